/* rg-arch-idefics1.c: IDEFICS (v1, idefics-9b/80b-instruct) as data (see
 * rg-arch.h and docs ../shared/reference/idefics1.md).
 *
 * Vision tower (CLIP ViT: patch conv without bias, a class token, learned
 * positions, pre_layrnorm, pre-LN layers with GELU; the features are the
 * last layer WITHOUT post_layernorm, class row included), the perceiver
 * resampler (LayerNorms with bias, latents in the keys, optional per-head
 * q/k LayerNorms, ReLU MLP; the output stays at the vision width), and
 * LLaMA with a gated cross-attention block before every N-th decoder layer:
 *   x += tanh(a_x) * CrossAttn(RMSNorm(x), image states)  (rows attending an image)
 *   x += tanh(a_d) * MLP(RMSNorm(x))                       (every row)
 * Decoupled embedding and lm_head: the added tokens' rows are tables of
 * their own. Shapes: V = vision width, T = text width, NP = patches,
 * NL = latents, L = new tokens. */
#include "rg-arch-llama.h"

#include "regard-error.h"

/* ---- Weights ------------------------------------------------------------ */

enum
{
  W_NONE,
  W_CLASS, W_PATCH, W_POS_EMB, W_PRE_LN, W_PRE_LN_B,
  W_V_LN1, W_V_LN1_B, W_V_Q, W_V_Q_B, W_V_K, W_V_K_B, W_V_V, W_V_V_B, W_V_O, W_V_O_B,
  W_V_LN2, W_V_LN2_B, W_V_FC1, W_V_FC1_B, W_V_FC2, W_V_FC2_B,
  W_LATENTS,
  W_P_CTX_LN, W_P_CTX_LN_B, W_P_LAT_LN, W_P_LAT_LN_B, W_P_Q, W_P_K, W_P_V,
  W_P_Q_LN, W_P_Q_LN_B, W_P_K_LN, W_P_K_LN_B, W_P_O, W_P_LN, W_P_LN_B, W_P_FC, W_P_PROJ,
  W_P_FINAL_LN, W_P_FINAL_LN_B,
  W_EMBED, W_EMBED_ADD,
  W_X_IN_NORM, W_X_Q, W_X_K, W_X_V, W_X_Q_NORM, W_X_K_NORM, W_X_O, W_X_ALPHA_CA, W_X_ALPHA_CA_V,
  W_X_POST_NORM, W_X_GATE, W_X_UP, W_X_DOWN, W_X_ALPHA_D, W_X_ALPHA_D_V,
  RG_LLAMA_WEIGHT_SLOTS,
  W_NORM, W_LM_HEAD, W_LM_HEAD_ADD,
  W_N
};

#define VE "model.vision_model.embeddings."
#define VL "model.vision_model.encoder.layers.%u."
#define PR "model.perceiver_resampler."
#define PB PR "blocks.%u."
#define XL "model.gated_cross_attn_layers.%u."

static const RgArchWeight weights[W_N] = {
  [W_CLASS] = { VE "class_embedding", RG_DIM_NONE, VEC1 (RG_DIM_V) },
  [W_PATCH] = { VE "patch_embedding.weight", RG_DIM_NONE,
                4, { RG_DIM_V, RG_DIM_CHANNELS, RG_DIM_PATCH, RG_DIM_PATCH }, RG_WEIGHT_MATRIX, RG_QUANT_NEVER },
  /* every row is read (1 + NP positions): a vector added whole */
  [W_POS_EMB] = { VE "position_embedding.weight", RG_DIM_NONE,
                  2, { RG_DIM_V_POSITIONS, RG_DIM_V }, RG_WEIGHT_VECTOR, RG_QUANT_NEVER },
  [W_PRE_LN] = { "model.vision_model.pre_layrnorm.weight", RG_DIM_NONE, VEC1 (RG_DIM_V) },
  [W_PRE_LN_B] = { "model.vision_model.pre_layrnorm.bias", RG_DIM_NONE, VEC1 (RG_DIM_V) },

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

  /* the perceiver exists only with use_resampler (P_LAYERS is 0 otherwise) */
  [W_LATENTS] = { PR "latents", RG_DIM_NONE, 2, { RG_DIM_NL, RG_DIM_V }, RG_WEIGHT_VECTOR, RG_QUANT_NEVER,
                  .when = RG_DIM_RESAMPLER },
  [W_P_CTX_LN] = { PB "0.context_layer_norm.weight", RG_DIM_P_LAYERS, VEC1 (RG_DIM_V) },
  [W_P_CTX_LN_B] = { PB "0.context_layer_norm.bias", RG_DIM_P_LAYERS, VEC1 (RG_DIM_V) },
  [W_P_LAT_LN] = { PB "0.latents_layer_norm.weight", RG_DIM_P_LAYERS, VEC1 (RG_DIM_V) },
  [W_P_LAT_LN_B] = { PB "0.latents_layer_norm.bias", RG_DIM_P_LAYERS, VEC1 (RG_DIM_V) },
  [W_P_Q] = { PB "0.q_proj.weight", RG_DIM_P_LAYERS, MAT (RG_DIM_P_Q, RG_DIM_V, RG_QUANT_NEVER) },
  [W_P_K] = { PB "0.k_proj.weight", RG_DIM_P_LAYERS, MAT (RG_DIM_P_Q, RG_DIM_V, RG_QUANT_NEVER) },
  [W_P_V] = { PB "0.v_proj.weight", RG_DIM_P_LAYERS, MAT (RG_DIM_P_Q, RG_DIM_V, RG_QUANT_NEVER) },
  [W_P_Q_LN] = { PB "0.q_layer_norm.weight", RG_DIM_P_LAYERS, VEC1 (RG_DIM_P_HEAD_DIM), .when = RG_DIM_P_QK_NORM },
  [W_P_Q_LN_B] = { PB "0.q_layer_norm.bias", RG_DIM_P_LAYERS, VEC1 (RG_DIM_P_HEAD_DIM), .when = RG_DIM_P_QK_NORM },
  [W_P_K_LN] = { PB "0.k_layer_norm.weight", RG_DIM_P_LAYERS, VEC1 (RG_DIM_P_HEAD_DIM), .when = RG_DIM_P_QK_NORM },
  [W_P_K_LN_B] = { PB "0.k_layer_norm.bias", RG_DIM_P_LAYERS, VEC1 (RG_DIM_P_HEAD_DIM), .when = RG_DIM_P_QK_NORM },
  [W_P_O] = { PB "0.output_proj.weight", RG_DIM_P_LAYERS, MAT (RG_DIM_V, RG_DIM_P_Q, RG_QUANT_NEVER) },
  [W_P_LN] = { PB "1.ln.weight", RG_DIM_P_LAYERS, VEC1 (RG_DIM_V) },
  [W_P_LN_B] = { PB "1.ln.bias", RG_DIM_P_LAYERS, VEC1 (RG_DIM_V) },
  [W_P_FC] = { PB "1.fc.weight", RG_DIM_P_LAYERS, MAT (RG_DIM_P_FF, RG_DIM_V, RG_QUANT_NEVER) },
  [W_P_PROJ] = { PB "1.c_proj.weight", RG_DIM_P_LAYERS, MAT (RG_DIM_V, RG_DIM_P_FF, RG_QUANT_NEVER) },
  [W_P_FINAL_LN] = { PR "layer_norm.weight", RG_DIM_NONE, VEC1 (RG_DIM_V), .when = RG_DIM_RESAMPLER },
  [W_P_FINAL_LN_B] = { PR "layer_norm.bias", RG_DIM_NONE, VEC1 (RG_DIM_V), .when = RG_DIM_RESAMPLER },

  /* the mixed 4-bit format keeps the embedding, lm_head and the gated
   * blocks' small k/v projections (vision width in) 8-bit; the decoder's
   * k/v are as large as q here (no GQA, unlike IDEFICS2's 1/8): 4-bit,
   * which keeps idefics-9b in an 8 GB GPU; the added tokens' rows are f16 */
  [W_EMBED] = { "model.embed_tokens.weight", RG_DIM_NONE, MAT (RG_DIM_VOCAB_BASE, RG_DIM_T, RG_QUANT_8BIT) },
  [W_EMBED_ADD] = { "model.embed_tokens.additional_embedding.weight", RG_DIM_NONE,
                    MAT (RG_DIM_VOCAB_EXTRA, RG_DIM_T, RG_QUANT_NEVER) },

  [W_X_IN_NORM] = { XL "input_layernorm.weight", RG_DIM_X_LAYERS, VEC1 (RG_DIM_T) },
  [W_X_Q] = { XL "cross_attn.q_proj.weight", RG_DIM_X_LAYERS, MAT (RG_DIM_T_Q, RG_DIM_T, RG_QUANT_YES) },
  [W_X_K] = { XL "cross_attn.k_proj.weight", RG_DIM_X_LAYERS, MAT (RG_DIM_T_Q, RG_DIM_V, RG_QUANT_8BIT) },
  [W_X_V] = { XL "cross_attn.v_proj.weight", RG_DIM_X_LAYERS, MAT (RG_DIM_T_Q, RG_DIM_V, RG_QUANT_8BIT) },
  [W_X_Q_NORM] = { XL "cross_attn.q_layer_norm.weight", RG_DIM_X_LAYERS, VEC1 (RG_DIM_T_HEAD_DIM), .when = RG_DIM_QK_NORM },
  [W_X_K_NORM] = { XL "cross_attn.k_layer_norm.weight", RG_DIM_X_LAYERS, VEC1 (RG_DIM_T_HEAD_DIM), .when = RG_DIM_QK_NORM },
  [W_X_O] = { XL "cross_attn.o_proj.weight", RG_DIM_X_LAYERS, MAT (RG_DIM_T, RG_DIM_T_Q, RG_QUANT_YES) },
  /* alpha_type "float": [1]; "vector": [1, 1, T] */
  [W_X_ALPHA_CA] = { XL "alpha_cross_attn", RG_DIM_X_LAYERS, VEC1 (RG_DIM_ONE), .when = RG_DIM_ALPHA_SCALAR },
  [W_X_ALPHA_CA_V] = { XL "alpha_cross_attn", RG_DIM_X_LAYERS, 3, { RG_DIM_ONE, RG_DIM_ONE, RG_DIM_T },
                       RG_WEIGHT_VECTOR, RG_QUANT_NEVER, .when = RG_DIM_ALPHA_VECTOR },
  [W_X_POST_NORM] = { XL "post_attention_layernorm.weight", RG_DIM_X_LAYERS, VEC1 (RG_DIM_T) },
  [W_X_GATE] = { XL "mlp.gate_proj.weight", RG_DIM_X_LAYERS, MAT (RG_DIM_TI, RG_DIM_T, RG_QUANT_YES) },
  [W_X_UP] = { XL "mlp.up_proj.weight", RG_DIM_X_LAYERS, MAT (RG_DIM_TI, RG_DIM_T, RG_QUANT_YES) },
  [W_X_DOWN] = { XL "mlp.down_proj.weight", RG_DIM_X_LAYERS, MAT (RG_DIM_T, RG_DIM_TI, RG_QUANT_YES) },
  [W_X_ALPHA_D] = { XL "alpha_dense", RG_DIM_X_LAYERS, VEC1 (RG_DIM_ONE), .when = RG_DIM_ALPHA_SCALAR },
  [W_X_ALPHA_D_V] = { XL "alpha_dense", RG_DIM_X_LAYERS, 3, { RG_DIM_ONE, RG_DIM_ONE, RG_DIM_T },
                      RG_WEIGHT_VECTOR, RG_QUANT_NEVER, .when = RG_DIM_ALPHA_VECTOR },

  RG_LLAMA_WEIGHTS ("model.layers.%u.", RG_QUANT_YES),
  [W_NORM] = { "model.norm.weight", RG_DIM_NONE, VEC1 (RG_DIM_T) },
  [W_LM_HEAD] = { "lm_head.weight", RG_DIM_NONE, MAT (RG_DIM_VOCAB_BASE, RG_DIM_T, RG_QUANT_8BIT) },
  [W_LM_HEAD_ADD] = { "lm_head.additional_fc.weight", RG_DIM_NONE, MAT (RG_DIM_VOCAB_EXTRA, RG_DIM_T, RG_QUANT_NEVER) },
};

/* ---- Activations -------------------------------------------------------- */

enum
{
  B_NONE,
  /* encode */
  B_PIXELS, B_FEATURES,
  B_PATCHES, B_X, B_POS, B_H, B_Q, B_K, B_V, B_F,  /* vision [1 + NP, V], f [.., Vi] */
  B_LAT, B_LAT_N, B_KV_IN, B_PQ, B_PK, B_PV, B_PA, B_PF, B_PFIN,
  /* forward */
  B_IDS, B_STATES, B_INDEX, B_LOGITS, RG_LLAMA_BUFFER_SLOTS, B_XK, B_XV,
  B_N
};

static const RgArchBuffer buffers[B_N] = {
  [B_PIXELS] = { "pixels", RG_ROLE_PIXELS, RG_ROWS_ONE, RG_DIM_NONE },
  [B_FEATURES] = { "image features", RG_ROLE_FEATURES, RG_ROWS_SUB_IMAGES_LATENTS, RG_DIM_V },
  [B_PATCHES] = { "vision patches", RG_ROLE_SCRATCH, RG_ROWS_PATCHES, RG_DIM_V },
  [B_X] = { "vision x", RG_ROLE_SCRATCH, RG_ROWS_CLS_PATCHES, RG_DIM_V },
  [B_POS] = { "vision pos", RG_ROLE_SCRATCH, RG_ROWS_CLS_PATCHES, RG_DIM_V },
  [B_H] = { "vision h", RG_ROLE_SCRATCH, RG_ROWS_CLS_PATCHES, RG_DIM_V },
  [B_Q] = { "vision q", RG_ROLE_SCRATCH, RG_ROWS_CLS_PATCHES, RG_DIM_V },
  [B_K] = { "vision k", RG_ROLE_SCRATCH, RG_ROWS_CLS_PATCHES, RG_DIM_V },
  [B_V] = { "vision v", RG_ROLE_SCRATCH, RG_ROWS_CLS_PATCHES, RG_DIM_V },
  [B_F] = { "vision mlp", RG_ROLE_SCRATCH, RG_ROWS_CLS_PATCHES, RG_DIM_VI },
  [B_LAT] = { "latents", RG_ROLE_SCRATCH, RG_ROWS_LATENTS, RG_DIM_V },
  [B_LAT_N] = { "normed latents", RG_ROLE_SCRATCH, RG_ROWS_LATENTS, RG_DIM_V },
  [B_KV_IN] = { "perceiver kv input", RG_ROLE_SCRATCH, RG_ROWS_CLS_CONTEXT, RG_DIM_V },
  [B_PQ] = { "perceiver q", RG_ROLE_SCRATCH, RG_ROWS_LATENTS, RG_DIM_P_Q },
  [B_PK] = { "perceiver k", RG_ROLE_SCRATCH, RG_ROWS_CLS_CONTEXT, RG_DIM_P_Q },
  [B_PV] = { "perceiver v", RG_ROLE_SCRATCH, RG_ROWS_CLS_CONTEXT, RG_DIM_P_Q },
  [B_PA] = { "perceiver attn", RG_ROLE_SCRATCH, RG_ROWS_LATENTS, RG_DIM_P_Q },
  [B_PF] = { "perceiver mlp", RG_ROLE_SCRATCH, RG_ROWS_LATENTS, RG_DIM_P_FF },
  [B_PFIN] = { "perceiver out", RG_ROLE_SCRATCH, RG_ROWS_LATENTS, RG_DIM_V },

  [B_IDS] = { "token ids", RG_ROLE_TOKEN_IDS, RG_ROWS_TOKENS, RG_DIM_ONE },
  [B_STATES] = { "image states", RG_ROLE_IMAGE_STATES, RG_ROWS_IMAGE_STATES, RG_DIM_V },
  [B_INDEX] = { "image index", RG_ROLE_IMAGE_INDEX, RG_ROWS_TOKENS, RG_DIM_ONE },
  [B_LOGITS] = { "logits", RG_ROLE_LOGITS, RG_ROWS_ONE, RG_DIM_VOCAB },
  RG_LLAMA_BUFFERS,
  /* computed once per image states, read by every forward */
  [B_XK] = { "cross k", RG_ROLE_IMAGE_CACHE, RG_ROWS_IMAGE_STATES, RG_DIM_T_Q, RG_DIM_X_LAYERS },
  [B_XV] = { "cross v", RG_ROLE_IMAGE_CACHE, RG_ROWS_IMAGE_STATES, RG_DIM_T_Q, RG_DIM_X_LAYERS },
};

/* ---- Ops ---------------------------------------------------------------- */

/* x [1 + NP, V] = [class; conv14x14(pixels)] + positions, then pre_layrnorm */
static const RgArchOp vision_embed[] = {
  { RG_OP_PATCH_EMBED, .out = R (B_PATCHES), .in = R (B_PIXELS), .w = W_PATCH,
    .head_dim = RG_DIM_PATCH, .cols = RG_DIM_CHANNELS, .rows = RG_ROWS_PATCHES },
  { RG_OP_COPY, .out = R (B_X), .w = W_CLASS, .rows = RG_ROWS_ONE, .cols = RG_DIM_V },
  { RG_OP_COPY, .out = RAT (B_X, RG_ROWS_ONE), .in = R (B_PATCHES), .rows = RG_ROWS_PATCHES, .cols = RG_DIM_V },
  { RG_OP_COPY, .out = R (B_POS), .w = W_POS_EMB, .rows = RG_ROWS_CLS_PATCHES, .cols = RG_DIM_V },
  { RG_OP_ADD, .out = R (B_X), .in = R (B_X), .in2 = R (B_POS), .rows = RG_ROWS_CLS_PATCHES, .cols = RG_DIM_V },
  { RG_OP_TAP, .in = R (B_X), .rows = RG_ROWS_CLS_PATCHES, .cols = RG_DIM_V, .name = "vision_embeddings" },
  { RG_OP_LAYERNORM, .out = R (B_X), .in = R (B_X), .w = W_PRE_LN, .b = W_PRE_LN_B,
    .rows = RG_ROWS_CLS_PATCHES, .cols = RG_DIM_V, .eps = RG_PARAM_V_EPS },
};

/* One pre-LN CLIP layer in place on x [1 + NP, V]; no mask. */
static const RgArchOp vision_layer[] = {
  { RG_OP_LAYERNORM, .out = R (B_H), .in = R (B_X), .w = W_V_LN1, .b = W_V_LN1_B,
    .rows = RG_ROWS_CLS_PATCHES, .cols = RG_DIM_V, .eps = RG_PARAM_V_EPS },
  { RG_OP_LINEAR, .out = R (B_Q), .in = R (B_H), .w = W_V_Q, .b = W_V_Q_B, .rows = RG_ROWS_CLS_PATCHES },
  { RG_OP_LINEAR, .out = R (B_K), .in = R (B_H), .w = W_V_K, .b = W_V_K_B, .rows = RG_ROWS_CLS_PATCHES },
  { RG_OP_LINEAR, .out = R (B_V), .in = R (B_H), .w = W_V_V, .b = W_V_V_B, .rows = RG_ROWS_CLS_PATCHES },
  { RG_OP_ATTENTION, .out = R (B_H), .in = R (B_Q), .in2 = R (B_K), .in3 = R (B_V),
    .rows = RG_ROWS_CLS_PATCHES, .kv_rows = RG_ROWS_CLS_PATCHES,
    .heads = RG_DIM_V_HEADS, .kv_heads = RG_DIM_V_HEADS, .head_dim = RG_DIM_V_HEAD_DIM },
  { RG_OP_LINEAR, .out = R (B_X), .in = R (B_H), .w = W_V_O, .b = W_V_O_B, .rows = RG_ROWS_CLS_PATCHES,
    .flags = RG_OPF_ACCUMULATE },
  { RG_OP_LAYERNORM, .out = R (B_H), .in = R (B_X), .w = W_V_LN2, .b = W_V_LN2_B,
    .rows = RG_ROWS_CLS_PATCHES, .cols = RG_DIM_V, .eps = RG_PARAM_V_EPS },
  { RG_OP_LINEAR, .out = R (B_F), .in = R (B_H), .w = W_V_FC1, .b = W_V_FC1_B, .rows = RG_ROWS_CLS_PATCHES },
  { RG_OP_GELU, .out = R (B_F), .in = R (B_F), .rows = RG_ROWS_CLS_PATCHES, .cols = RG_DIM_VI,
    .when = RG_DIM_ACT_GELU },
  { RG_OP_QUICK_GELU, .out = R (B_F), .in = R (B_F), .rows = RG_ROWS_CLS_PATCHES, .cols = RG_DIM_VI,
    .when = RG_DIM_ACT_QUICK_GELU },
  { RG_OP_LINEAR, .out = R (B_X), .in = R (B_F), .w = W_V_FC2, .b = W_V_FC2_B, .rows = RG_ROWS_CLS_PATCHES,
    .flags = RG_OPF_ACCUMULATE },
};

/* The features: the last layer as it is (no post_layernorm, class row
 * kept), or the resampler's input. */
static const RgArchOp vision_post[] = {
  { RG_OP_TAP, .in = R (B_X), .rows = RG_ROWS_CLS_PATCHES, .cols = RG_DIM_V, .name = "vision_last_hidden_state" },
  { RG_OP_COPY, .out = RAT (B_FEATURES, RG_ROWS_SUB_IMAGE), .in = R (B_X), .rows = RG_ROWS_CLS_PATCHES,
    .cols = RG_DIM_V, .when = RG_DIM_NO_RESAMPLER },
  { RG_OP_COPY, .out = R (B_LAT), .w = W_LATENTS, .rows = RG_ROWS_LATENTS, .cols = RG_DIM_V,
    .when = RG_DIM_RESAMPLER },
};

/* One perceiver block: latents attend [LN(c); LN(lat)] (context first),
 * then a ReLU MLP; the context c (= x) is never updated. */
static const RgArchOp perceiver_layer[] = {
  { RG_OP_LAYERNORM, .out = R (B_KV_IN), .in = R (B_X), .w = W_P_CTX_LN, .b = W_P_CTX_LN_B,
    .rows = RG_ROWS_CLS_PATCHES, .cols = RG_DIM_V, .eps = RG_PARAM_P_EPS },
  { RG_OP_LAYERNORM, .out = R (B_LAT_N), .in = R (B_LAT), .w = W_P_LAT_LN, .b = W_P_LAT_LN_B,
    .rows = RG_ROWS_LATENTS, .cols = RG_DIM_V, .eps = RG_PARAM_P_EPS },
  { RG_OP_COPY, .out = RAT (B_KV_IN, RG_ROWS_CLS_PATCHES), .in = R (B_LAT_N), .rows = RG_ROWS_LATENTS, .cols = RG_DIM_V },
  { RG_OP_LINEAR, .out = R (B_PQ), .in = R (B_LAT_N), .w = W_P_Q, .rows = RG_ROWS_LATENTS },
  { RG_OP_LINEAR, .out = R (B_PK), .in = R (B_KV_IN), .w = W_P_K, .rows = RG_ROWS_CLS_CONTEXT },
  { RG_OP_LINEAR, .out = R (B_PV), .in = R (B_KV_IN), .w = W_P_V, .rows = RG_ROWS_CLS_CONTEXT },
  /* qk_layer_norms_perceiver: LayerNorm over each head */
  { RG_OP_LAYERNORM, .out = R (B_PQ), .in = R (B_PQ), .w = W_P_Q_LN, .b = W_P_Q_LN_B, .heads = RG_DIM_P_HEADS,
    .rows = RG_ROWS_LATENTS, .cols = RG_DIM_P_HEAD_DIM, .eps = RG_PARAM_P_EPS, .when = RG_DIM_P_QK_NORM },
  { RG_OP_LAYERNORM, .out = R (B_PK), .in = R (B_PK), .w = W_P_K_LN, .b = W_P_K_LN_B, .heads = RG_DIM_P_HEADS,
    .rows = RG_ROWS_CLS_CONTEXT, .cols = RG_DIM_P_HEAD_DIM, .eps = RG_PARAM_P_EPS, .when = RG_DIM_P_QK_NORM },
  { RG_OP_ATTENTION, .out = R (B_PA), .in = R (B_PQ), .in2 = R (B_PK), .in3 = R (B_PV),
    .rows = RG_ROWS_LATENTS, .kv_rows = RG_ROWS_CLS_CONTEXT,
    .heads = RG_DIM_P_HEADS, .kv_heads = RG_DIM_P_HEADS, .head_dim = RG_DIM_P_HEAD_DIM },
  { RG_OP_LINEAR, .out = R (B_LAT), .in = R (B_PA), .w = W_P_O, .rows = RG_ROWS_LATENTS, .flags = RG_OPF_ACCUMULATE },
  { RG_OP_LAYERNORM, .out = R (B_LAT_N), .in = R (B_LAT), .w = W_P_LN, .b = W_P_LN_B,
    .rows = RG_ROWS_LATENTS, .cols = RG_DIM_V, .eps = RG_PARAM_P_EPS },
  { RG_OP_LINEAR, .out = R (B_PF), .in = R (B_LAT_N), .w = W_P_FC, .rows = RG_ROWS_LATENTS },
  { RG_OP_RELU, .out = R (B_PF), .in = R (B_PF), .rows = RG_ROWS_LATENTS, .cols = RG_DIM_P_FF },
  { RG_OP_LINEAR, .out = R (B_LAT), .in = R (B_PF), .w = W_P_PROJ, .rows = RG_ROWS_LATENTS, .flags = RG_OPF_ACCUMULATE },
};

static const RgArchOp perceiver_post[] = {
  { RG_OP_LAYERNORM, .out = R (B_PFIN), .in = R (B_LAT), .w = W_P_FINAL_LN, .b = W_P_FINAL_LN_B,
    .rows = RG_ROWS_LATENTS, .cols = RG_DIM_V, .eps = RG_PARAM_P_EPS, .when = RG_DIM_RESAMPLER },
  { RG_OP_TAP, .in = R (B_PFIN), .rows = RG_ROWS_LATENTS, .cols = RG_DIM_V, .name = "perceiver_output",
    .when = RG_DIM_RESAMPLER },
  { RG_OP_COPY, .out = RAT (B_FEATURES, RG_ROWS_SUB_IMAGE), .in = R (B_PFIN), .rows = RG_ROWS_LATENTS,
    .cols = RG_DIM_V, .when = RG_DIM_RESAMPLER },
};

/* x = E[id] (id < base vocabulary) or E_add[id - base] */
static const RgArchOp text_embed[] = {
  { RG_OP_EMBED, .out = R (B_TX), .in = R (B_IDS), .w = W_EMBED, .b = W_EMBED_ADD, .rows = RG_ROWS_TOKENS },
  { RG_OP_TAP, .in = R (B_TX), .rows = RG_ROWS_TOKENS, .cols = RG_DIM_T, .name = "inputs_embeds" },
};

/* Decoder layer l: the gated block l / interval first when l % interval
 * == 0, then LLaMA's layer (rg-arch-llama.h; no window). */
static const RgArchOp text_layer[] = {
  { RG_OP_TAP, .in = R (B_TX), .rows = RG_ROWS_TOKENS, .cols = RG_DIM_T, .name = "layer_input.%u" },
#define X .every = RG_DIM_X_INTERVAL
  /* x += tanh(a_x) * o(ImageAttn(q(RMSNorm(x)), k(F), v(F))) on rows attending an image */
  { RG_OP_RMSNORM, .out = R (B_TH), .in = R (B_TX), .w = W_X_IN_NORM,
    .rows = RG_ROWS_TOKENS, .cols = RG_DIM_T, .eps = RG_PARAM_T_EPS, X },
  { RG_OP_LINEAR, .out = R (B_TQ), .in = R (B_TH), .w = W_X_Q, .rows = RG_ROWS_TOKENS, X },
  /* qk_layer_norms: RMSNorm over each head, cross-attention only (k: in the images program) */
  { RG_OP_RMSNORM, .out = R (B_TQ), .in = R (B_TQ), .w = W_X_Q_NORM, .heads = RG_DIM_T_HEADS,
    .rows = RG_ROWS_TOKENS, .cols = RG_DIM_T_HEAD_DIM, .eps = RG_PARAM_T_EPS, .when = RG_DIM_QK_NORM, X },
  { RG_OP_IMAGE_ATTENTION, .out = R (B_TA), .in = R (B_TQ), .in2 = R (B_XK), .in3 = R (B_XV), .mask = B_INDEX,
    .rows = RG_ROWS_TOKENS, .kv_rows = RG_ROWS_IMAGE_SEQ, .heads = RG_DIM_T_HEADS, .head_dim = RG_DIM_T_HEAD_DIM, X },
  { RG_OP_LINEAR, .out = R (B_TH), .in = R (B_TA), .w = W_X_O, .rows = RG_ROWS_TOKENS, X },
  { RG_OP_TANH_GATE_ADD, .out = R (B_TX), .in = R (B_TH), .in2 = R (B_INDEX), .w = W_X_ALPHA_CA,
    .rows = RG_ROWS_TOKENS, .cols = RG_DIM_T, .when = RG_DIM_ALPHA_SCALAR, X },
  { RG_OP_TANH_GATE_ADD, .out = R (B_TX), .in = R (B_TH), .in2 = R (B_INDEX), .w = W_X_ALPHA_CA_V,
    .rows = RG_ROWS_TOKENS, .cols = RG_DIM_T, .when = RG_DIM_ALPHA_VECTOR, X },
  /* x += tanh(a_d) * down(silu(gate(RMSNorm(x))) * up(RMSNorm(x))) on every row (P8) */
  { RG_OP_RMSNORM, .out = R (B_TH), .in = R (B_TX), .w = W_X_POST_NORM, .flags = RG_OPF_FOLDABLE,
    .rows = RG_ROWS_TOKENS, .cols = RG_DIM_T, .eps = RG_PARAM_T_EPS, X },
  { RG_OP_LINEAR, .out = R (B_TG), .in = R (B_TH), .w = W_X_GATE, .rows = RG_ROWS_TOKENS, X },
  { RG_OP_LINEAR, .out = R (B_TU), .in = R (B_TH), .in2 = R (B_TG), .w = W_X_UP, .rows = RG_ROWS_TOKENS, X },
  { RG_OP_LINEAR, .out = R (B_TH), .in = R (B_TU), .w = W_X_DOWN, .rows = RG_ROWS_TOKENS, X },
  { RG_OP_TANH_GATE_ADD, .out = R (B_TX), .in = R (B_TH), .w = W_X_ALPHA_D,
    .rows = RG_ROWS_TOKENS, .cols = RG_DIM_T, .when = RG_DIM_ALPHA_SCALAR, X },
  { RG_OP_TANH_GATE_ADD, .out = R (B_TX), .in = R (B_TH), .w = W_X_ALPHA_D_V,
    .rows = RG_ROWS_TOKENS, .cols = RG_DIM_T, .when = RG_DIM_ALPHA_VECTOR, X },
  { RG_OP_TAP, .in = R (B_TX), .rows = RG_ROWS_TOKENS, .cols = RG_DIM_T, .name = "cross_block_output.%u", X },
#undef X
  /* the decoder layer */
  RG_LLAMA_LAYER_OPS,
};

/* Gated block g's keys and values of the image states, once per image
 * states (HF recomputes them every step: the same values). */
static const RgArchOp image_kv[] = {
  { RG_OP_LINEAR, .out = R (B_XK), .in = R (B_STATES), .w = W_X_K, .rows = RG_ROWS_IMAGE_STATES },
  { RG_OP_LINEAR, .out = R (B_XV), .in = R (B_STATES), .w = W_X_V, .rows = RG_ROWS_IMAGE_STATES },
  { RG_OP_RMSNORM, .out = R (B_XK), .in = R (B_XK), .w = W_X_K_NORM, .heads = RG_DIM_T_HEADS,
    .rows = RG_ROWS_IMAGE_STATES, .cols = RG_DIM_T_HEAD_DIM, .eps = RG_PARAM_T_EPS, .when = RG_DIM_QK_NORM },
};

/* logits [base vocabulary ; added tokens] of the last row */
static const RgArchOp text_head[] = {
  RG_LLAMA_HEAD_OPS,
  { RG_OP_LINEAR, .out = RCOL (B_LOGITS, RG_DIM_VOCAB_BASE), .in = RAT (B_TX, RG_ROWS_LAST), .w = W_LM_HEAD_ADD,
    .rows = RG_ROWS_ONE },
};

static const RgArchBlock encode_blocks[] = {
  BLOCK ("vision embeddings, pre_layrnorm", vision_embed, RG_DIM_NONE),
  BLOCK ("vision encoder layer", vision_layer, RG_DIM_V_LAYERS),
  BLOCK ("vision features", vision_post, RG_DIM_NONE),
  BLOCK ("perceiver block", perceiver_layer, RG_DIM_P_LAYERS),
  BLOCK ("perceiver norm", perceiver_post, RG_DIM_NONE),
};

static const RgArchBlock images_blocks[] = {
  BLOCK ("gated cross-attention block keys and values", image_kv, RG_DIM_X_LAYERS),
};

static const RgArchBlock forward_blocks[] = {
  BLOCK ("token embeddings", text_embed, RG_DIM_NONE),
  BLOCK ("gated cross-attention block, decoder layer", text_layer, RG_DIM_T_LAYERS),
  BLOCK ("final norm, lm_head", text_head, RG_DIM_NONE),
};

/* ---- Dims --------------------------------------------------------------- */

static gboolean
resolve (const RgModelConfig *cfg, RgArchDims *dims, GError **error)
{
  const RgVisionConfig *vc = &cfg->vision;
  const RgPerceiverConfig *pc = &cfg->perceiver;
  const RgTextConfig *tc = &cfg->text;
  const RgIdefics1Config *ic = &cfg->idefics1;
  uint64_t *d = dims->d, side = vc->image_size / vc->patch_size, grid;

  if (tc->head_dim % 2 != 0)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_UNSUPPORTED, "Odd text head dimension %u", tc->head_dim);
      return FALSE;
    }
  /* P7: a gated block before every layer l % interval == 0 must exist */
  if ((tc->num_hidden_layers + ic->cross_layer_interval - 1) / ic->cross_layer_interval >
      tc->num_hidden_layers / ic->cross_layer_interval)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_UNSUPPORTED,
                   "config.json: %u layers with cross_layer_interval %u: layer %u would need a gated "
                   "cross-attention block the checkpoint does not have",
                   tc->num_hidden_layers, ic->cross_layer_interval,
                   (tc->num_hidden_layers - 1) / ic->cross_layer_interval * ic->cross_layer_interval);
      return FALSE;
    }
  rg_arch_resolve_vision (vc, dims);
  d[RG_DIM_ACT_GELU] = ic->vision_act == RG_ACT_GELU;
  d[RG_DIM_ACT_QUICK_GELU] = ic->vision_act == RG_ACT_QUICK_GELU;
  d[RG_DIM_RESAMPLER] = ic->use_resampler;
  d[RG_DIM_NO_RESAMPLER] = !ic->use_resampler;
  d[RG_DIM_NL] = pc->resampler_n_latents;
  d[RG_DIM_P_HEADS] = pc->resampler_n_heads;
  d[RG_DIM_P_HEAD_DIM] = pc->resampler_head_dim;
  d[RG_DIM_P_LAYERS] = ic->use_resampler ? pc->resampler_depth : 0;
  d[RG_DIM_P_QK_NORM] = ic->qk_layer_norms_perceiver;
  d[RG_DIM_VOCAB_EXTRA] = ic->additional_vocab_size;
  d[RG_DIM_VOCAB_BASE] = tc->vocab_size - ic->additional_vocab_size;  /* checked by rg-config */
  d[RG_DIM_X_INTERVAL] = ic->cross_layer_interval;
  d[RG_DIM_X_LAYERS] = tc->num_hidden_layers / ic->cross_layer_interval;
  d[RG_DIM_QK_NORM] = ic->qk_layer_norms;
  d[RG_DIM_ALPHA_SCALAR] = !ic->alpha_vector;
  d[RG_DIM_ALPHA_VECTOR] = ic->alpha_vector;
  dims->p[RG_PARAM_P_EPS] = 1e-5f;   /* P4: PyTorch's LayerNorm default, whatever the config says */
  if (!rg_arch_mul (side, side, &grid, "the vision patch grid", error))
    return FALSE;
  d[RG_DIM_V_POSITIONS] = grid + 1;
  d[RG_DIM_IMAGE_SEQ] = ic->use_resampler ? pc->resampler_n_latents : grid + 1;
  return rg_arch_mul (pc->resampler_n_heads, pc->resampler_head_dim, &d[RG_DIM_P_Q], "the perceiver's q width", error) &&
         rg_arch_mul (4, vc->hidden_size, &d[RG_DIM_P_FF], "the perceiver's MLP width", error) &&
         rg_arch_resolve_llama (tc, dims, error);
}

const RgArch rg_arch_idefics1 = {
  .name = "idefics1",
  .resolve = resolve,
  .weights = weights,
  .n_weights = W_N,
  .buffers = buffers,
  .n_buffers = B_N,
  .encode = { encode_blocks, G_N_ELEMENTS (encode_blocks) },
  .forward = { forward_blocks, G_N_ELEMENTS (forward_blocks) },
  .images = { images_blocks, G_N_ELEMENTS (images_blocks) },
  .feature_rows = RG_DIM_IMAGE_SEQ,
  .feature_cols = RG_DIM_V,
};
