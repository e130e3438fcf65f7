/* rg-arch-idefics2.c: IDEFICS2 as data (see rg-arch.h).
 *
 * Vision tower (SigLIP NaViT: patch embedding + bucketized position
 * embedding, pre-LN encoder layers, post layernorm), connector (SwiGLU
 * modality projection, perceiver resampler whose latents cross-attend to
 * [context; latents]), Mistral decoder with a KV cache, final norm and
 * lm_head. Shapes: V = vision hidden, T = text hidden, NP = patches of the
 * padded grid, NL = perceiver latents, L = new tokens. */
#include "rg-arch-llama.h"
#include "rg-arch-siglip.h"

#include "regard-error.h"

/* ---- Weights ------------------------------------------------------------ */

enum
{
  W_NONE,
  RG_SIGLIP_WEIGHT_SLOTS,
  W_MP_GATE, W_MP_UP, W_MP_DOWN,
  W_LATENTS,
  W_P_LAT_NORM, W_P_CTX_NORM, W_P_Q, W_P_K, W_P_V, W_P_O, W_P_POST_NORM, W_P_GATE, W_P_UP, W_P_DOWN,
  W_P_NORM,
  W_EMBED,
  RG_LLAMA_WEIGHT_SLOTS,
  W_NORM, W_LM_HEAD,
  W_N
};

#define PR "model.connector.perceiver_resampler."

static const RgArchWeight weights[W_N] = {
  RG_SIGLIP_WEIGHTS,

  [W_MP_GATE] = { "model.connector.modality_projection.gate_proj.weight", RG_DIM_NONE,
                  MAT (RG_DIM_TI, RG_DIM_V, RG_QUANT_NEVER) },
  [W_MP_UP] = { "model.connector.modality_projection.up_proj.weight", RG_DIM_NONE,
                MAT (RG_DIM_TI, RG_DIM_V, RG_QUANT_NEVER) },
  [W_MP_DOWN] = { "model.connector.modality_projection.down_proj.weight", RG_DIM_NONE,
                  MAT (RG_DIM_T, RG_DIM_TI, RG_QUANT_NEVER) },
  [W_LATENTS] = { PR "latents", RG_DIM_NONE, 2, { RG_DIM_NL, RG_DIM_T }, RG_WEIGHT_VECTOR, RG_QUANT_NEVER },
  [W_P_LAT_NORM] = { PR "layers.%u.input_latents_norm.weight", RG_DIM_P_LAYERS, VEC1 (RG_DIM_T) },
  [W_P_CTX_NORM] = { PR "layers.%u.input_context_norm.weight", RG_DIM_P_LAYERS, VEC1 (RG_DIM_T) },
  [W_P_Q] = { PR "layers.%u.self_attn.q_proj.weight", RG_DIM_P_LAYERS, MAT (RG_DIM_P_Q, RG_DIM_T, RG_QUANT_NEVER) },
  [W_P_K] = { PR "layers.%u.self_attn.k_proj.weight", RG_DIM_P_LAYERS, MAT (RG_DIM_P_KV, RG_DIM_T, RG_QUANT_NEVER) },
  [W_P_V] = { PR "layers.%u.self_attn.v_proj.weight", RG_DIM_P_LAYERS, MAT (RG_DIM_P_KV, RG_DIM_T, RG_QUANT_NEVER) },
  [W_P_O] = { PR "layers.%u.self_attn.o_proj.weight", RG_DIM_P_LAYERS, MAT (RG_DIM_T, RG_DIM_P_Q, RG_QUANT_NEVER) },
  [W_P_POST_NORM] = { PR "layers.%u.post_attention_layernorm.weight", RG_DIM_P_LAYERS, VEC1 (RG_DIM_T) },
  [W_P_GATE] = { PR "layers.%u.mlp.gate_proj.weight", RG_DIM_P_LAYERS, MAT (RG_DIM_P_FF, RG_DIM_T, RG_QUANT_NEVER) },
  [W_P_UP] = { PR "layers.%u.mlp.up_proj.weight", RG_DIM_P_LAYERS, MAT (RG_DIM_P_FF, RG_DIM_T, RG_QUANT_NEVER) },
  [W_P_DOWN] = { PR "layers.%u.mlp.down_proj.weight", RG_DIM_P_LAYERS, MAT (RG_DIM_T, RG_DIM_P_FF, RG_QUANT_NEVER) },
  [W_P_NORM] = { PR "norm.weight", RG_DIM_NONE, VEC1 (RG_DIM_T) },

  /* A mixed 4-bit format, as llama.cpp's Q4_K_M keeps some matrices at
   * higher precision: lm_head (the logits' error decides the next token),
   * the token embedding (a gather: one row read per token, so 8 bits cost
   * no bandwidth) and the small k/v projections (GQA: 1/8 of q's size,
   * about 3% of the decoder's bytes) stay Q8_0. */
  [W_EMBED] = { "model.text_model.embed_tokens.weight", RG_DIM_NONE, MAT (RG_DIM_VOCAB, RG_DIM_T, RG_QUANT_8BIT) },
  RG_LLAMA_WEIGHTS ("model.text_model.layers.%u.", RG_QUANT_8BIT),
  [W_NORM] = { "model.text_model.norm.weight", RG_DIM_NONE, VEC1 (RG_DIM_T) },
  /* A tied checkpoint may omit lm_head: it is then the embedding. */
  [W_LM_HEAD] = { "lm_head.weight", RG_DIM_NONE, MAT (RG_DIM_VOCAB, RG_DIM_T, RG_QUANT_8BIT), .tied_to = W_EMBED },
};

/* ---- Activations -------------------------------------------------------- */

enum
{
  B_NONE,
  /* encode */
  RG_SIGLIP_INPUT_SLOTS, B_FEATURES,
  RG_SIGLIP_SCRATCH_SLOTS,
  B_C, B_MP_G, B_MP_U,                            /* connector [NP, T], [NP, Ti] */
  B_LAT, B_LAT_N, B_KV_IN, B_PQ, B_PK, B_PV, B_PA, B_PH, B_PG, B_PU, B_PFIN,
  /* forward */
  B_IDS, B_IMAGE_FEATURES, B_IMAGE_ROWS, B_LOGITS, RG_LLAMA_BUFFER_SLOTS, B_LAST,
  B_N
};

static const RgArchBuffer buffers[B_N] = {
  RG_SIGLIP_BUFFERS,
  [B_FEATURES] = { "image features", RG_ROLE_FEATURES, RG_ROWS_SUB_IMAGES_LATENTS, RG_DIM_T },
  [B_C] = { "context", RG_ROLE_SCRATCH, RG_ROWS_PATCHES, RG_DIM_T },
  [B_MP_G] = { "projection gate", RG_ROLE_SCRATCH, RG_ROWS_PATCHES, RG_DIM_TI },
  [B_MP_U] = { "projection up", RG_ROLE_SCRATCH, RG_ROWS_PATCHES, RG_DIM_TI },
  [B_LAT] = { "latents", RG_ROLE_SCRATCH, RG_ROWS_LATENTS, RG_DIM_T },
  [B_LAT_N] = { "normed latents", RG_ROLE_SCRATCH, RG_ROWS_LATENTS, RG_DIM_T },
  [B_KV_IN] = { "perceiver kv input", RG_ROLE_SCRATCH, RG_ROWS_CONTEXT, RG_DIM_T },
  [B_PQ] = { "perceiver q", RG_ROLE_SCRATCH, RG_ROWS_LATENTS, RG_DIM_P_Q },
  [B_PK] = { "perceiver k", RG_ROLE_SCRATCH, RG_ROWS_CONTEXT, RG_DIM_P_KV },
  [B_PV] = { "perceiver v", RG_ROLE_SCRATCH, RG_ROWS_CONTEXT, RG_DIM_P_KV },
  [B_PA] = { "perceiver attn", RG_ROLE_SCRATCH, RG_ROWS_LATENTS, RG_DIM_P_Q },
  [B_PH] = { "perceiver h", RG_ROLE_SCRATCH, RG_ROWS_LATENTS, RG_DIM_T },
  [B_PG] = { "perceiver gate", RG_ROLE_SCRATCH, RG_ROWS_LATENTS, RG_DIM_P_FF },
  [B_PU] = { "perceiver up", RG_ROLE_SCRATCH, RG_ROWS_LATENTS, RG_DIM_P_FF },
  [B_PFIN] = { "perceiver out", RG_ROLE_SCRATCH, RG_ROWS_LATENTS, RG_DIM_T },

  [B_IDS] = { "token ids", RG_ROLE_TOKEN_IDS, RG_ROWS_TOKENS, RG_DIM_ONE },
  [B_IMAGE_FEATURES] = { "image features", RG_ROLE_IMAGE_FEATURES, RG_ROWS_IMAGE_TOKENS, RG_DIM_T },
  [B_IMAGE_ROWS] = { "image rows", RG_ROLE_IMAGE_ROWS, RG_ROWS_IMAGE_TOKENS, RG_DIM_ONE },
  [B_LOGITS] = { "logits", RG_ROLE_LOGITS, RG_ROWS_ONE, RG_DIM_VOCAB },
  RG_LLAMA_BUFFERS,
  [B_LAST] = { "last hidden state", RG_ROLE_SCRATCH, RG_ROWS_ONE, RG_DIM_T },
};

/* ---- Ops ---------------------------------------------------------------- */

static const RgArchOp vision_embed[] = { RG_SIGLIP_EMBED_OPS };
static const RgArchOp vision_layer[] = { RG_SIGLIP_LAYER_OPS };

/* post layernorm; connector: modality projection c [NP, T] =
 * down(silu(gate(x)) * up(x)), then the perceiver's latents */
static const RgArchOp vision_post[] = {
  RG_SIGLIP_POST_OPS,
  { RG_OP_LINEAR, .out = R (B_MP_G), .in = R (B_X), .w = W_MP_GATE, .rows = RG_ROWS_PATCHES },
  { RG_OP_LINEAR, .out = R (B_MP_U), .in = R (B_X), .w = W_MP_UP, .rows = RG_ROWS_PATCHES },
  { RG_OP_SWIGLU, .out = R (B_MP_G), .in = R (B_MP_G), .in2 = R (B_MP_U), .rows = RG_ROWS_PATCHES, .cols = RG_DIM_TI },
  { RG_OP_LINEAR, .out = R (B_C), .in = R (B_MP_G), .w = W_MP_DOWN, .rows = RG_ROWS_PATCHES },
  { RG_OP_TAP, .in = R (B_C), .rows = RG_ROWS_PATCHES, .cols = RG_DIM_T, .name = "modality_projection_output" },
  { RG_OP_COPY, .out = R (B_LAT), .w = W_LATENTS, .rows = RG_ROWS_LATENTS, .cols = RG_DIM_T },
};

/* Perceiver layer: NL latents cross-attend to [norm(c); norm(lat)]; the
 * context c is never updated. */
static const RgArchOp perceiver_layer[] = {
  /* lat = lat + o_proj(attn(q(norm(lat)), kv([norm(c); norm(lat)]))) */
  { RG_OP_RMSNORM, .out = R (B_KV_IN), .in = R (B_C), .w = W_P_CTX_NORM,
    .rows = RG_ROWS_PATCHES, .cols = RG_DIM_T, .eps = RG_PARAM_P_EPS },
  { RG_OP_RMSNORM, .out = R (B_LAT_N), .in = R (B_LAT), .w = W_P_LAT_NORM,
    .rows = RG_ROWS_LATENTS, .cols = RG_DIM_T, .eps = RG_PARAM_P_EPS },
  { RG_OP_COPY, .out = RAT (B_KV_IN, RG_ROWS_PATCHES), .in = R (B_LAT_N), .rows = RG_ROWS_LATENTS, .cols = RG_DIM_T },
  { RG_OP_LINEAR, .out = R (B_PQ), .in = R (B_LAT_N), .w = W_P_Q, .rows = RG_ROWS_LATENTS },
  { RG_OP_LINEAR, .out = R (B_PK), .in = R (B_KV_IN), .w = W_P_K, .rows = RG_ROWS_CONTEXT },
  { RG_OP_LINEAR, .out = R (B_PV), .in = R (B_KV_IN), .w = W_P_V, .rows = RG_ROWS_CONTEXT },
  { RG_OP_ATTENTION, .out = R (B_PA), .in = R (B_PQ), .in2 = R (B_PK), .in3 = R (B_PV), .mask = B_PATCH_MASK,
    .rows = RG_ROWS_LATENTS, .kv_rows = RG_ROWS_CONTEXT,
    .heads = RG_DIM_P_HEADS, .kv_heads = RG_DIM_P_KV_HEADS, .head_dim = RG_DIM_P_HEAD_DIM },
  { RG_OP_LINEAR, .out = R (B_PH), .in = R (B_PA), .w = W_P_O, .rows = RG_ROWS_LATENTS },
  { RG_OP_ADD, .out = R (B_LAT), .in = R (B_LAT), .in2 = R (B_PH), .rows = RG_ROWS_LATENTS, .cols = RG_DIM_T },
  /* lat = lat + down(silu(gate(norm(lat))) * up(norm(lat))) */
  { RG_OP_RMSNORM, .out = R (B_PH), .in = R (B_LAT), .w = W_P_POST_NORM,
    .rows = RG_ROWS_LATENTS, .cols = RG_DIM_T, .eps = RG_PARAM_P_EPS },
  { RG_OP_LINEAR, .out = R (B_PG), .in = R (B_PH), .w = W_P_GATE, .rows = RG_ROWS_LATENTS },
  { RG_OP_LINEAR, .out = R (B_PU), .in = R (B_PH), .w = W_P_UP, .rows = RG_ROWS_LATENTS },
  { RG_OP_SWIGLU, .out = R (B_PG), .in = R (B_PG), .in2 = R (B_PU), .rows = RG_ROWS_LATENTS, .cols = RG_DIM_P_FF },
  { RG_OP_LINEAR, .out = R (B_PH), .in = R (B_PG), .w = W_P_DOWN, .rows = RG_ROWS_LATENTS },
  { RG_OP_ADD, .out = R (B_LAT), .in = R (B_LAT), .in2 = R (B_PH), .rows = RG_ROWS_LATENTS, .cols = RG_DIM_T },
};

static const RgArchOp perceiver_post[] = {
  { RG_OP_RMSNORM, .out = R (B_PFIN), .in = R (B_LAT), .w = W_P_NORM,
    .rows = RG_ROWS_LATENTS, .cols = RG_DIM_T, .eps = RG_PARAM_P_EPS },
  { RG_OP_COPY, .out = RAT (B_FEATURES, RG_ROWS_SUB_IMAGE), .in = R (B_PFIN), .rows = RG_ROWS_LATENTS, .cols = RG_DIM_T },
};

static const RgArchOp text_embed[] = { RG_LLAMA_EMBED_IMAGE_ROWS_OPS };

/* Mistral: the Llama decoder layer with a sliding window (T_WINDOW) */
static const RgArchOp text_layer[] = { RG_LLAMA_LAYER_OPS };
static const RgArchOp text_head[] = { RG_LLAMA_HEAD_OPS };

static const RgArchBlock encode_blocks[] = {
  BLOCK ("vision embeddings", vision_embed, RG_DIM_NONE),
  BLOCK ("vision encoder layer", vision_layer, RG_DIM_V_LAYERS),
  BLOCK ("vision post-layernorm, modality projection", vision_post, RG_DIM_NONE),
  BLOCK ("perceiver resampler layer", perceiver_layer, RG_DIM_P_LAYERS),
  BLOCK ("perceiver norm", perceiver_post, RG_DIM_NONE),
};

static const RgArchBlock forward_blocks[] = {
  BLOCK ("token embeddings", text_embed, RG_DIM_NONE),
  BLOCK ("text decoder layer", text_layer, RG_DIM_T_LAYERS),
  BLOCK ("final norm, lm_head", text_head, RG_DIM_NONE),
};

/* ---- Dims --------------------------------------------------------------- */

static gboolean
resolve (const RgModelConfig *cfg, RgArchDims *dims, GError **error)
{
  const RgVisionConfig *vc = &cfg->vision;
  const RgPerceiverConfig *pc = &cfg->perceiver;
  const RgTextConfig *tc = &cfg->text;
  uint64_t *d = dims->d, side = vc->image_size / vc->patch_size;

  if (pc->hidden_size != tc->hidden_size)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_UNSUPPORTED,
                   "Perceiver hidden size %u differs from the text hidden size %u",
                   pc->hidden_size, tc->hidden_size);
      return FALSE;
    }
  if (tc->head_dim % 2 != 0)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_UNSUPPORTED,
                   "Odd text head dimension %u", tc->head_dim);
      return FALSE;
    }
  rg_arch_resolve_vision (vc, dims);
  d[RG_DIM_NL] = pc->resampler_n_latents;
  d[RG_DIM_P_HEADS] = pc->resampler_n_heads;
  d[RG_DIM_P_KV_HEADS] = pc->num_key_value_heads;
  d[RG_DIM_P_HEAD_DIM] = pc->resampler_head_dim;
  d[RG_DIM_P_LAYERS] = pc->resampler_depth;
  d[RG_DIM_T_WINDOW] = tc->sliding_window;
  dims->p[RG_PARAM_P_EPS] = pc->rms_norm_eps;
  return rg_arch_mul (side, side, &d[RG_DIM_V_POSITIONS], "the vision position grid", error) &&
         rg_arch_mul (pc->resampler_n_heads, pc->resampler_head_dim, &d[RG_DIM_P_Q], "the perceiver's q width", error) &&
         rg_arch_mul (pc->num_key_value_heads, pc->resampler_head_dim, &d[RG_DIM_P_KV], "the perceiver's kv width", error) &&
         rg_arch_mul (4, tc->hidden_size, &d[RG_DIM_P_FF], "the perceiver's MLP width", error) &&
         rg_arch_resolve_llama (tc, dims, error);
}

const RgArch rg_arch_idefics2 = {
  .name = "idefics2",
  .resolve = resolve,
  .weights = weights,
  .n_weights = W_N,
  .buffers = buffers,
  .n_buffers = B_N,
  .encode = { encode_blocks, G_N_ELEMENTS (encode_blocks) },
  .forward = { forward_blocks, G_N_ELEMENTS (forward_blocks) },
};
