/* rg-arch-idefics3.c: IDEFICS3 (SmolVLM v1, Idefics3-8B-Llama3) as data
 * (see rg-arch.h; reference: shared/reference/idefics3-smolvlm.md).
 *
 * Vision tower: IDEFICS2's SigLIP NaViT code (patch embedding + position
 * embedding, pre-LN encoder layers, post layernorm); every frame is the
 * full N x N grid, so position ids are 0..N^2-1 and no patch is masked
 * (the same patch grid code computes both). Connector: pixel shuffle by s
 * (s x s blocks of patches, read row by row, become one row of V s^2
 * channels), then one bias-free linear to the text width. Llama decoder
 * with a KV cache (no sliding window), final norm and lm_head (the
 * embedding when the top-level config ties them and lm_head is absent).
 * Shapes: V = vision hidden, T = text hidden, NP = N^2 patches, NL =
 * (N/s)^2 image tokens per frame, L = new tokens. */
#include "rg-arch.h"

#include "regard-error.h"

/* ---- Weights ------------------------------------------------------------ */

enum
{
  W_NONE,
  W_PATCH, W_PATCH_B, W_POS_EMB,
  W_V_LN1, W_V_LN1_B, W_V_Q, W_V_Q_B, W_V_K, W_V_K_B, W_V_V, W_V_V_B, W_V_O, W_V_O_B,
  W_V_LN2, W_V_LN2_B, W_V_FC1, W_V_FC1_B, W_V_FC2, W_V_FC2_B,
  W_V_POST_LN, W_V_POST_LN_B,
  W_PROJ,
  W_EMBED,
  W_T_IN_NORM, W_T_Q, W_T_K, W_T_V, W_T_O, W_T_POST_NORM, W_T_GATE, W_T_UP, W_T_DOWN,
  W_NORM, W_LM_HEAD,
  W_N
};

#define VL "model.vision_model.encoder.layers.%u."
#define TL "model.text_model.layers.%u."
#define VEC1(d) 1, { d }, RG_WEIGHT_VECTOR, RG_QUANT_NEVER
#define MAT(r, c, q) 2, { r, c }, RG_WEIGHT_MATRIX, q

static const RgArchWeight weights[W_N] = {
  [W_PATCH] = { "model.vision_model.embeddings.patch_embedding.weight", RG_DIM_NONE,
                4, { RG_DIM_V, RG_DIM_CHANNELS, RG_DIM_PATCH, RG_DIM_PATCH }, RG_WEIGHT_MATRIX, RG_QUANT_NEVER },
  [W_PATCH_B] = { "model.vision_model.embeddings.patch_embedding.bias", RG_DIM_NONE, VEC1 (RG_DIM_V) },
  [W_POS_EMB] = { "model.vision_model.embeddings.position_embedding.weight", RG_DIM_NONE,
                  MAT (RG_DIM_V_POSITIONS, RG_DIM_V, RG_QUANT_NEVER) },

  [W_V_LN1] = { VL "layer_norm1.weight", RG_DIM_V_LAYERS, VEC1 (RG_DIM_V) },
  [W_V_LN1_B] = { VL "layer_norm1.bias", RG_DIM_V_LAYERS, VEC1 (RG_DIM_V) },
  [W_V_Q] = { VL "self_attn.q_proj.weight", RG_DIM_V_LAYERS, MAT (RG_DIM_V, RG_DIM_V, RG_QUANT_NEVER) },
  [W_V_Q_B] = { VL "self_attn.q_proj.bias", RG_DIM_V_LAYERS, VEC1 (RG_DIM_V) },
  [W_V_K] = { VL "self_attn.k_proj.weight", RG_DIM_V_LAYERS, MAT (RG_DIM_V, RG_DIM_V, RG_QUANT_NEVER) },
  [W_V_K_B] = { VL "self_attn.k_proj.bias", RG_DIM_V_LAYERS, VEC1 (RG_DIM_V) },
  [W_V_V] = { VL "self_attn.v_proj.weight", RG_DIM_V_LAYERS, MAT (RG_DIM_V, RG_DIM_V, RG_QUANT_NEVER) },
  [W_V_V_B] = { VL "self_attn.v_proj.bias", RG_DIM_V_LAYERS, VEC1 (RG_DIM_V) },
  [W_V_O] = { VL "self_attn.out_proj.weight", RG_DIM_V_LAYERS, MAT (RG_DIM_V, RG_DIM_V, RG_QUANT_NEVER) },
  [W_V_O_B] = { VL "self_attn.out_proj.bias", RG_DIM_V_LAYERS, VEC1 (RG_DIM_V) },
  [W_V_LN2] = { VL "layer_norm2.weight", RG_DIM_V_LAYERS, VEC1 (RG_DIM_V) },
  [W_V_LN2_B] = { VL "layer_norm2.bias", RG_DIM_V_LAYERS, VEC1 (RG_DIM_V) },
  [W_V_FC1] = { VL "mlp.fc1.weight", RG_DIM_V_LAYERS, MAT (RG_DIM_VI, RG_DIM_V, RG_QUANT_NEVER) },
  [W_V_FC1_B] = { VL "mlp.fc1.bias", RG_DIM_V_LAYERS, VEC1 (RG_DIM_VI) },
  [W_V_FC2] = { VL "mlp.fc2.weight", RG_DIM_V_LAYERS, MAT (RG_DIM_V, RG_DIM_VI, RG_QUANT_NEVER) },
  [W_V_FC2_B] = { VL "mlp.fc2.bias", RG_DIM_V_LAYERS, VEC1 (RG_DIM_V) },
  [W_V_POST_LN] = { "model.vision_model.post_layernorm.weight", RG_DIM_NONE, VEC1 (RG_DIM_V) },
  [W_V_POST_LN_B] = { "model.vision_model.post_layernorm.bias", RG_DIM_NONE, VEC1 (RG_DIM_V) },

  [W_PROJ] = { "model.connector.modality_projection.proj.weight", RG_DIM_NONE,
               MAT (RG_DIM_T, RG_DIM_V_SHUFFLED, RG_QUANT_NEVER) },

  /* the mixed 4-bit format keeps lm_head, the embedding and k/v at 8 bits
   * (see rg-arch-idefics2.c) */
  [W_EMBED] = { "model.text_model.embed_tokens.weight", RG_DIM_NONE, MAT (RG_DIM_VOCAB, RG_DIM_T, RG_QUANT_8BIT) },
  [W_T_IN_NORM] = { TL "input_layernorm.weight", RG_DIM_T_LAYERS, VEC1 (RG_DIM_T) },
  [W_T_Q] = { TL "self_attn.q_proj.weight", RG_DIM_T_LAYERS, MAT (RG_DIM_T_Q, RG_DIM_T, RG_QUANT_YES) },
  [W_T_K] = { TL "self_attn.k_proj.weight", RG_DIM_T_LAYERS, MAT (RG_DIM_T_KV, RG_DIM_T, RG_QUANT_8BIT) },
  [W_T_V] = { TL "self_attn.v_proj.weight", RG_DIM_T_LAYERS, MAT (RG_DIM_T_KV, RG_DIM_T, RG_QUANT_8BIT) },
  [W_T_O] = { TL "self_attn.o_proj.weight", RG_DIM_T_LAYERS, MAT (RG_DIM_T, RG_DIM_T_Q, RG_QUANT_YES) },
  [W_T_POST_NORM] = { TL "post_attention_layernorm.weight", RG_DIM_T_LAYERS, VEC1 (RG_DIM_T) },
  [W_T_GATE] = { TL "mlp.gate_proj.weight", RG_DIM_T_LAYERS, MAT (RG_DIM_TI, RG_DIM_T, RG_QUANT_YES) },
  [W_T_UP] = { TL "mlp.up_proj.weight", RG_DIM_T_LAYERS, MAT (RG_DIM_TI, RG_DIM_T, RG_QUANT_YES) },
  [W_T_DOWN] = { TL "mlp.down_proj.weight", RG_DIM_T_LAYERS, MAT (RG_DIM_T, RG_DIM_TI, RG_QUANT_YES) },
  [W_NORM] = { "model.text_model.norm.weight", RG_DIM_NONE, VEC1 (RG_DIM_T) },
  /* tied (top-level tie_word_embeddings, reference pitfall 15): absent, the embedding */
  [W_LM_HEAD] = { "lm_head.weight", RG_DIM_NONE, MAT (RG_DIM_VOCAB, RG_DIM_T, RG_QUANT_8BIT), .tied_to = W_EMBED },
};

/* ---- Activations -------------------------------------------------------- */

enum
{
  B_NONE,
  /* encode */
  B_PIXELS, B_POS_IDS, B_PATCH_MASK, B_FEATURES,
  B_X, B_POS, B_H, B_Q, B_K, B_V, B_F,            /* vision [NP, V], f [NP, Vi] */
  B_SHUFFLED,                                     /* [NL, V s^2] */
  /* forward */
  B_IDS, B_IMAGE_FEATURES, B_IMAGE_ROWS, B_LOGITS, B_K_CACHE, B_V_CACHE,
  B_TX, B_TH, B_TQ, B_TA, B_TG, B_TU,
  B_N
};

static const RgArchBuffer buffers[B_N] = {
  [B_PIXELS] = { "pixels", RG_ROLE_PIXELS, RG_ROWS_ONE, RG_DIM_NONE },
  [B_POS_IDS] = { "position ids", RG_ROLE_POSITION_IDS, RG_ROWS_PATCHES, RG_DIM_ONE },
  [B_PATCH_MASK] = { "patch mask", RG_ROLE_PATCH_MASK, RG_ROWS_PATCHES, RG_DIM_ONE },
  [B_FEATURES] = { "image features", RG_ROLE_FEATURES, RG_ROWS_SUB_IMAGES_LATENTS, RG_DIM_T },
  [B_X] = { "vision x", RG_ROLE_SCRATCH, RG_ROWS_PATCHES, RG_DIM_V },
  [B_POS] = { "vision pos", RG_ROLE_SCRATCH, RG_ROWS_PATCHES, RG_DIM_V },
  [B_H] = { "vision h", RG_ROLE_SCRATCH, RG_ROWS_PATCHES, RG_DIM_V },
  [B_Q] = { "vision q", RG_ROLE_SCRATCH, RG_ROWS_PATCHES, RG_DIM_V },
  [B_K] = { "vision k", RG_ROLE_SCRATCH, RG_ROWS_PATCHES, RG_DIM_V },
  [B_V] = { "vision v", RG_ROLE_SCRATCH, RG_ROWS_PATCHES, RG_DIM_V },
  [B_F] = { "vision mlp", RG_ROLE_SCRATCH, RG_ROWS_PATCHES, RG_DIM_VI },
  [B_SHUFFLED] = { "pixel shuffle", RG_ROLE_SCRATCH, RG_ROWS_LATENTS, RG_DIM_V_SHUFFLED },

  [B_IDS] = { "token ids", RG_ROLE_TOKEN_IDS, RG_ROWS_TOKENS, RG_DIM_ONE },
  [B_IMAGE_FEATURES] = { "image features", RG_ROLE_IMAGE_FEATURES, RG_ROWS_IMAGE_TOKENS, RG_DIM_T },
  [B_IMAGE_ROWS] = { "image rows", RG_ROLE_IMAGE_ROWS, RG_ROWS_IMAGE_TOKENS, RG_DIM_ONE },
  [B_LOGITS] = { "logits", RG_ROLE_LOGITS, RG_ROWS_ONE, RG_DIM_VOCAB },
  [B_K_CACHE] = { "KV cache keys", RG_ROLE_KV_CACHE, RG_ROWS_CACHE, RG_DIM_T_KV, RG_DIM_T_LAYERS },
  [B_V_CACHE] = { "KV cache values", RG_ROLE_KV_CACHE, RG_ROWS_CACHE, RG_DIM_T_KV, RG_DIM_T_LAYERS },
  [B_TX] = { "hidden states", RG_ROLE_SCRATCH, RG_ROWS_TOKENS, RG_DIM_T },
  [B_TH] = { "text h", RG_ROLE_SCRATCH, RG_ROWS_TOKENS, RG_DIM_T },
  [B_TQ] = { "text q", RG_ROLE_SCRATCH, RG_ROWS_TOKENS, RG_DIM_T_Q },
  [B_TA] = { "text attn", RG_ROLE_SCRATCH, RG_ROWS_TOKENS, RG_DIM_T_Q },
  [B_TG] = { "text gate", RG_ROLE_SCRATCH, RG_ROWS_TOKENS, RG_DIM_TI },
  [B_TU] = { "text up", RG_ROLE_SCRATCH, RG_ROWS_TOKENS, RG_DIM_TI },
};

/* ---- Ops ---------------------------------------------------------------- */

#define R(b) { b, RG_ROWS_ZERO }
#define RAT(b, r) { b, r }

/* x [NP, V] = conv_PxP(pixels) + position_embedding[pos_ids] */
static const RgArchOp vision_embed[] = {
  { RG_OP_PATCH_EMBED, .out = R (B_X), .in = R (B_PIXELS), .w = W_PATCH, .b = W_PATCH_B,
    .head_dim = RG_DIM_PATCH, .cols = RG_DIM_CHANNELS, .rows = RG_ROWS_PATCHES },
  { RG_OP_EMBED, .out = R (B_POS), .in = R (B_POS_IDS), .w = W_POS_EMB, .rows = RG_ROWS_PATCHES },
  { RG_OP_ADD, .out = R (B_X), .in = R (B_X), .in2 = R (B_POS), .rows = RG_ROWS_PATCHES, .cols = RG_DIM_V },
  { RG_OP_TAP, .in = R (B_X), .rows = RG_ROWS_PATCHES, .cols = RG_DIM_V, .name = "vision_embeddings" },
};

/* One pre-LN encoder layer, in place on x [NP, V] (the mask is bound only
 * when a patch is invalid, which IDEFICS3's square frames never have). */
static const RgArchOp vision_layer[] = {
  { RG_OP_LAYERNORM, .out = R (B_H), .in = R (B_X), .w = W_V_LN1, .b = W_V_LN1_B,
    .rows = RG_ROWS_PATCHES, .cols = RG_DIM_V, .eps = RG_PARAM_V_EPS },
  { RG_OP_LINEAR, .out = R (B_Q), .in = R (B_H), .w = W_V_Q, .b = W_V_Q_B, .rows = RG_ROWS_PATCHES },
  { RG_OP_LINEAR, .out = R (B_K), .in = R (B_H), .w = W_V_K, .b = W_V_K_B, .rows = RG_ROWS_PATCHES },
  { RG_OP_LINEAR, .out = R (B_V), .in = R (B_H), .w = W_V_V, .b = W_V_V_B, .rows = RG_ROWS_PATCHES },
  { RG_OP_ATTENTION, .out = R (B_H), .in = R (B_Q), .in2 = R (B_K), .in3 = R (B_V), .mask = B_PATCH_MASK,
    .rows = RG_ROWS_PATCHES, .kv_rows = RG_ROWS_PATCHES,
    .heads = RG_DIM_V_HEADS, .kv_heads = RG_DIM_V_HEADS, .head_dim = RG_DIM_V_HEAD_DIM },
  { RG_OP_LINEAR, .out = R (B_Q), .in = R (B_H), .w = W_V_O, .b = W_V_O_B, .rows = RG_ROWS_PATCHES },
  { RG_OP_ADD, .out = R (B_X), .in = R (B_X), .in2 = R (B_Q), .rows = RG_ROWS_PATCHES, .cols = RG_DIM_V },
  { RG_OP_LAYERNORM, .out = R (B_H), .in = R (B_X), .w = W_V_LN2, .b = W_V_LN2_B,
    .rows = RG_ROWS_PATCHES, .cols = RG_DIM_V, .eps = RG_PARAM_V_EPS },
  { RG_OP_LINEAR, .out = R (B_F), .in = R (B_H), .w = W_V_FC1, .b = W_V_FC1_B, .rows = RG_ROWS_PATCHES },
  { RG_OP_GELU_TANH, .out = R (B_F), .in = R (B_F), .rows = RG_ROWS_PATCHES, .cols = RG_DIM_VI },
  { RG_OP_LINEAR, .out = R (B_H), .in = R (B_F), .w = W_V_FC2, .b = W_V_FC2_B, .rows = RG_ROWS_PATCHES },
  { RG_OP_ADD, .out = R (B_X), .in = R (B_X), .in2 = R (B_H), .rows = RG_ROWS_PATCHES, .cols = RG_DIM_V },
};

/* post layernorm; connector: this frame's NL feature rows =
 * proj(pixel_shuffle(x)), written straight into its rows of the output */
static const RgArchOp vision_post[] = {
  { RG_OP_LAYERNORM, .out = R (B_X), .in = R (B_X), .w = W_V_POST_LN, .b = W_V_POST_LN_B,
    .rows = RG_ROWS_PATCHES, .cols = RG_DIM_V, .eps = RG_PARAM_V_EPS },
  { RG_OP_TAP, .in = R (B_X), .rows = RG_ROWS_PATCHES, .cols = RG_DIM_V, .name = "vision_last_hidden_state" },
  { RG_OP_PIXEL_SHUFFLE, .out = R (B_SHUFFLED), .in = R (B_X), .rows = RG_ROWS_LATENTS, .cols = RG_DIM_V,
    .head_dim = RG_DIM_SCALE },
  { RG_OP_TAP, .in = R (B_SHUFFLED), .rows = RG_ROWS_LATENTS, .cols = RG_DIM_V_SHUFFLED,
    .name = "pixel_shuffle_output" },
  { RG_OP_LINEAR, .out = RAT (B_FEATURES, RG_ROWS_SUB_IMAGE), .in = R (B_SHUFFLED), .w = W_PROJ,
    .rows = RG_ROWS_LATENTS },
};

/* x = embed(ids), image-token rows replaced in order by image features */
static const RgArchOp text_embed[] = {
  { RG_OP_EMBED, .out = R (B_TX), .in = R (B_IDS), .w = W_EMBED, .rows = RG_ROWS_TOKENS },
  { RG_OP_SCATTER_ROWS, .out = R (B_TX), .in = R (B_IMAGE_FEATURES), .in2 = R (B_IMAGE_ROWS),
    .rows = RG_ROWS_IMAGE_TOKENS, .cols = RG_DIM_T },
  { RG_OP_TAP, .in = R (B_TX), .rows = RG_ROWS_TOKENS, .cols = RG_DIM_T, .name = "inputs_embeds" },
};

/* One Llama decoder layer on x [L, T] at positions n_past..: as
 * IDEFICS2's Mistral layer without the sliding window. */
static const RgArchOp text_layer[] = {
  { RG_OP_RMSNORM, .out = R (B_TH), .in = R (B_TX), .w = W_T_IN_NORM, .flags = RG_OPF_FOLDABLE,
    .rows = RG_ROWS_TOKENS, .cols = RG_DIM_T, .eps = RG_PARAM_T_EPS },
  { RG_OP_LINEAR, .out = R (B_TQ), .in = R (B_TH), .w = W_T_Q, .rows = RG_ROWS_TOKENS },
  { RG_OP_LINEAR, .out = RAT (B_K_CACHE, RG_ROWS_PAST), .in = R (B_TH), .w = W_T_K, .rows = RG_ROWS_TOKENS },
  { RG_OP_LINEAR, .out = RAT (B_V_CACHE, RG_ROWS_PAST), .in = R (B_TH), .w = W_T_V, .rows = RG_ROWS_TOKENS },
  { RG_OP_ROPE, .out = R (B_TQ), .in = RAT (B_K_CACHE, RG_ROWS_PAST), .rows = RG_ROWS_TOKENS,
    .heads = RG_DIM_T_HEADS, .kv_heads = RG_DIM_T_KV_HEADS, .head_dim = RG_DIM_T_HEAD_DIM,
    .eps = RG_PARAM_ROPE_THETA },
  { RG_OP_ATTENTION, .out = R (B_TA), .in = R (B_TQ), .in2 = R (B_K_CACHE), .in3 = R (B_V_CACHE),
    .rows = RG_ROWS_TOKENS, .kv_rows = RG_ROWS_PAST_TOKENS, .flags = RG_OPF_CAUSAL,
    .heads = RG_DIM_T_HEADS, .kv_heads = RG_DIM_T_KV_HEADS, .head_dim = RG_DIM_T_HEAD_DIM },
  { RG_OP_LINEAR, .out = R (B_TX), .in = R (B_TA), .w = W_T_O, .rows = RG_ROWS_TOKENS, .flags = RG_OPF_ACCUMULATE },
  { RG_OP_RMSNORM, .out = R (B_TH), .in = R (B_TX), .w = W_T_POST_NORM, .flags = RG_OPF_FOLDABLE,
    .rows = RG_ROWS_TOKENS, .cols = RG_DIM_T, .eps = RG_PARAM_T_EPS },
  { RG_OP_LINEAR, .out = R (B_TG), .in = R (B_TH), .w = W_T_GATE, .rows = RG_ROWS_TOKENS },
  { RG_OP_LINEAR, .out = R (B_TU), .in = R (B_TH), .in2 = R (B_TG), .w = W_T_UP, .rows = RG_ROWS_TOKENS },
  { RG_OP_LINEAR, .out = R (B_TX), .in = R (B_TU), .w = W_T_DOWN, .rows = RG_ROWS_TOKENS, .flags = RG_OPF_ACCUMULATE },
};

static const RgArchOp text_head[] = {
  { RG_OP_RMSNORM, .out = R (B_TX), .in = R (B_TX), .w = W_NORM, .flags = RG_OPF_FOLDABLE,
    .rows = RG_ROWS_TOKENS, .cols = RG_DIM_T, .eps = RG_PARAM_T_EPS, .name = "text_last_hidden_state" },
  { RG_OP_LINEAR, .out = R (B_LOGITS), .in = RAT (B_TX, RG_ROWS_LAST), .w = W_LM_HEAD, .rows = RG_ROWS_ONE },
};

#define BLOCK(name, ops, layers) { name, ops, G_N_ELEMENTS (ops), layers }

static const RgArchBlock encode_blocks[] = {
  BLOCK ("vision embeddings", vision_embed, RG_DIM_NONE),
  BLOCK ("vision encoder layer", vision_layer, RG_DIM_V_LAYERS),
  BLOCK ("vision post-layernorm, pixel shuffle, projection", vision_post, RG_DIM_NONE),
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
  const RgTextConfig *tc = &cfg->text;
  uint64_t *d = dims->d, side = vc->image_size / vc->patch_size, s = cfg->connector.scale_factor;
  uint64_t ss;

  if (s == 0 || side % s != 0 || (side / s) * (side / s) != cfg->image_seq_len)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL,
                   "config.json: scale_factor %" G_GUINT64_FORMAT " does not fit the %" G_GUINT64_FORMAT
                   " patches per side", s, side);
      return FALSE;
    }
  d[RG_DIM_V] = vc->hidden_size;
  d[RG_DIM_VI] = vc->intermediate_size;
  d[RG_DIM_V_HEADS] = vc->num_attention_heads;
  d[RG_DIM_V_HEAD_DIM] = vc->hidden_size / vc->num_attention_heads;  /* divisibility checked by rg-config */
  d[RG_DIM_V_LAYERS] = vc->num_hidden_layers;
  d[RG_DIM_CHANNELS] = vc->num_channels;
  d[RG_DIM_PATCH] = vc->patch_size;
  d[RG_DIM_NL] = cfg->image_seq_len;
  d[RG_DIM_SCALE] = s;
  d[RG_DIM_T] = tc->hidden_size;
  d[RG_DIM_TI] = tc->intermediate_size;
  d[RG_DIM_VOCAB] = tc->vocab_size;
  d[RG_DIM_T_HEADS] = tc->num_attention_heads;
  d[RG_DIM_T_KV_HEADS] = tc->num_key_value_heads;
  d[RG_DIM_T_HEAD_DIM] = tc->head_dim;
  d[RG_DIM_T_LAYERS] = tc->num_hidden_layers;
  dims->p[RG_PARAM_V_EPS] = vc->layer_norm_eps;
  dims->p[RG_PARAM_T_EPS] = tc->rms_norm_eps;
  dims->p[RG_PARAM_ROPE_THETA] = tc->rope_theta;
  return rg_arch_mul (side, side, &d[RG_DIM_V_POSITIONS], "the vision position grid", error) &&
         rg_arch_mul (s, s, &ss, "the pixel shuffle block", error) &&
         rg_arch_mul (vc->hidden_size, ss, &d[RG_DIM_V_SHUFFLED], "the pixel shuffle width", error) &&
         rg_arch_mul (tc->num_attention_heads, tc->head_dim, &d[RG_DIM_T_Q], "the text q width", error) &&
         rg_arch_mul (tc->num_key_value_heads, tc->head_dim, &d[RG_DIM_T_KV], "the text kv width", error);
}

const RgArch rg_arch_idefics3 = {
  .name = "idefics3",
  .resolve = resolve,
  .weights = weights,
  .n_weights = W_N,
  .buffers = buffers,
  .n_buffers = B_N,
  .encode = { encode_blocks, G_N_ELEMENTS (encode_blocks) },
  .forward = { forward_blocks, G_N_ELEMENTS (forward_blocks) },
};
