/* rg-arch-siglip.h: the SigLIP NaViT vision tower (IDEFICS2, IDEFICS3),
 * written once: patch embedding + position embedding, pre-LN encoder
 * layers with gelu_tanh, post layernorm. Shapes: V = vision hidden, Vi =
 * its MLP width, NP = patches of the padded grid.
 *
 * A family with this tower instantiates it in its description:
 *   - weight slots RG_SIGLIP_WEIGHT_SLOTS in its weight enum, rows
 *     RG_SIGLIP_WEIGHTS in its table;
 *   - buffer slots RG_SIGLIP_INPUT_SLOTS (the encode inputs) and
 *     RG_SIGLIP_SCRATCH_SLOTS in its buffer enum, rows RG_SIGLIP_BUFFERS;
 *   - its encode program starts with the blocks RG_SIGLIP_EMBED_OPS and
 *     RG_SIGLIP_LAYER_OPS (x V_LAYERS), then RG_SIGLIP_POST_OPS followed by
 *     its connector, which reads the tower's output from B_X [NP, V].
 * The names (W_V_Q, B_X...) become the family's own slots: the macros are
 * expanded inside its enums and tables (with rg-arch-desc.h's shorthands).
 * IDEFICS1's CLIP tower differs (class token, pre_layrnorm, no post
 * layernorm, GELU or quick_gelu, no mask) and is its own. */
#pragma once

#include "rg-arch-desc.h"

#define RG_SIGLIP_WEIGHT_SLOTS \
  W_PATCH, W_PATCH_B, W_POS_EMB, \
  W_V_LN1, W_V_LN1_B, W_V_Q, W_V_Q_B, W_V_K, W_V_K_B, W_V_V, W_V_V_B, W_V_O, W_V_O_B, \
  W_V_LN2, W_V_LN2_B, W_V_FC1, W_V_FC1_B, W_V_FC2, W_V_FC2_B, \
  W_V_POST_LN, W_V_POST_LN_B

#define RG_SIGLIP_VL "model.vision_model.encoder.layers.%u."

#define RG_SIGLIP_WEIGHTS \
  [W_PATCH] = { "model.vision_model.embeddings.patch_embedding.weight", RG_DIM_NONE, \
                4, { RG_DIM_V, RG_DIM_CHANNELS, RG_DIM_PATCH, RG_DIM_PATCH }, RG_WEIGHT_MATRIX, RG_QUANT_NEVER }, \
  [W_PATCH_B] = { "model.vision_model.embeddings.patch_embedding.bias", RG_DIM_NONE, VEC1 (RG_DIM_V) }, \
  [W_POS_EMB] = { "model.vision_model.embeddings.position_embedding.weight", RG_DIM_NONE, \
                  MAT (RG_DIM_V_POSITIONS, RG_DIM_V, RG_QUANT_NEVER) }, \
  [W_V_LN1] = { RG_SIGLIP_VL "layer_norm1.weight", RG_DIM_V_LAYERS, VEC1 (RG_DIM_V) }, \
  [W_V_LN1_B] = { RG_SIGLIP_VL "layer_norm1.bias", RG_DIM_V_LAYERS, VEC1 (RG_DIM_V) }, \
  [W_V_Q] = { RG_SIGLIP_VL "self_attn.q_proj.weight", RG_DIM_V_LAYERS, MAT (RG_DIM_V, RG_DIM_V, RG_QUANT_NEVER) }, \
  [W_V_Q_B] = { RG_SIGLIP_VL "self_attn.q_proj.bias", RG_DIM_V_LAYERS, VEC1 (RG_DIM_V) }, \
  [W_V_K] = { RG_SIGLIP_VL "self_attn.k_proj.weight", RG_DIM_V_LAYERS, MAT (RG_DIM_V, RG_DIM_V, RG_QUANT_NEVER) }, \
  [W_V_K_B] = { RG_SIGLIP_VL "self_attn.k_proj.bias", RG_DIM_V_LAYERS, VEC1 (RG_DIM_V) }, \
  [W_V_V] = { RG_SIGLIP_VL "self_attn.v_proj.weight", RG_DIM_V_LAYERS, MAT (RG_DIM_V, RG_DIM_V, RG_QUANT_NEVER) }, \
  [W_V_V_B] = { RG_SIGLIP_VL "self_attn.v_proj.bias", RG_DIM_V_LAYERS, VEC1 (RG_DIM_V) }, \
  [W_V_O] = { RG_SIGLIP_VL "self_attn.out_proj.weight", RG_DIM_V_LAYERS, MAT (RG_DIM_V, RG_DIM_V, RG_QUANT_NEVER) }, \
  [W_V_O_B] = { RG_SIGLIP_VL "self_attn.out_proj.bias", RG_DIM_V_LAYERS, VEC1 (RG_DIM_V) }, \
  [W_V_LN2] = { RG_SIGLIP_VL "layer_norm2.weight", RG_DIM_V_LAYERS, VEC1 (RG_DIM_V) }, \
  [W_V_LN2_B] = { RG_SIGLIP_VL "layer_norm2.bias", RG_DIM_V_LAYERS, VEC1 (RG_DIM_V) }, \
  [W_V_FC1] = { RG_SIGLIP_VL "mlp.fc1.weight", RG_DIM_V_LAYERS, MAT (RG_DIM_VI, RG_DIM_V, RG_QUANT_NEVER) }, \
  [W_V_FC1_B] = { RG_SIGLIP_VL "mlp.fc1.bias", RG_DIM_V_LAYERS, VEC1 (RG_DIM_VI) }, \
  [W_V_FC2] = { RG_SIGLIP_VL "mlp.fc2.weight", RG_DIM_V_LAYERS, MAT (RG_DIM_V, RG_DIM_VI, RG_QUANT_NEVER) }, \
  [W_V_FC2_B] = { RG_SIGLIP_VL "mlp.fc2.bias", RG_DIM_V_LAYERS, VEC1 (RG_DIM_V) }, \
  [W_V_POST_LN] = { "model.vision_model.post_layernorm.weight", RG_DIM_NONE, VEC1 (RG_DIM_V) }, \
  [W_V_POST_LN_B] = { "model.vision_model.post_layernorm.bias", RG_DIM_NONE, VEC1 (RG_DIM_V) }

#define RG_SIGLIP_INPUT_SLOTS B_PIXELS, B_POS_IDS, B_PATCH_MASK
#define RG_SIGLIP_SCRATCH_SLOTS B_X, B_POS, B_H, B_Q, B_K, B_V, B_F   /* [NP, V], f [NP, Vi] */

#define RG_SIGLIP_BUFFERS \
  [B_PIXELS] = { "pixels", RG_ROLE_PIXELS, RG_ROWS_ONE, RG_DIM_NONE }, \
  [B_POS_IDS] = { "position ids", RG_ROLE_POSITION_IDS, RG_ROWS_PATCHES, RG_DIM_ONE }, \
  [B_PATCH_MASK] = { "patch mask", RG_ROLE_PATCH_MASK, RG_ROWS_PATCHES, RG_DIM_ONE }, \
  [B_X] = { "vision x", RG_ROLE_SCRATCH, RG_ROWS_PATCHES, RG_DIM_V }, \
  [B_POS] = { "vision pos", RG_ROLE_SCRATCH, RG_ROWS_PATCHES, RG_DIM_V }, \
  [B_H] = { "vision h", RG_ROLE_SCRATCH, RG_ROWS_PATCHES, RG_DIM_V }, \
  [B_Q] = { "vision q", RG_ROLE_SCRATCH, RG_ROWS_PATCHES, RG_DIM_V }, \
  [B_K] = { "vision k", RG_ROLE_SCRATCH, RG_ROWS_PATCHES, RG_DIM_V }, \
  [B_V] = { "vision v", RG_ROLE_SCRATCH, RG_ROWS_PATCHES, RG_DIM_V }, \
  [B_F] = { "vision mlp", RG_ROLE_SCRATCH, RG_ROWS_PATCHES, RG_DIM_VI }

/* x [NP, V] = conv_PxP(pixels) + position_embedding[pos_ids] */
#define RG_SIGLIP_EMBED_OPS \
  { RG_OP_PATCH_EMBED, .out = R (B_X), .in = R (B_PIXELS), .w = W_PATCH, .b = W_PATCH_B, \
    .head_dim = RG_DIM_PATCH, .cols = RG_DIM_CHANNELS, .rows = RG_ROWS_PATCHES }, \
  { RG_OP_EMBED, .out = R (B_POS), .in = R (B_POS_IDS), .w = W_POS_EMB, .rows = RG_ROWS_PATCHES }, \
  { RG_OP_ADD, .out = R (B_X), .in = R (B_X), .in2 = R (B_POS), .rows = RG_ROWS_PATCHES, .cols = RG_DIM_V }, \
  { RG_OP_TAP, .in = R (B_X), .rows = RG_ROWS_PATCHES, .cols = RG_DIM_V, .name = "vision_embeddings" }

/* One pre-LN encoder layer, in place on x [NP, V]; invalid patches are
 * masked as keys only (their own rows are computed and ignored later; the
 * mask is bound only when a patch is invalid). */
#define RG_SIGLIP_LAYER_OPS \
  /* x = x + out_proj(MHA(LN1(x))) */ \
  { RG_OP_LAYERNORM, .out = R (B_H), .in = R (B_X), .w = W_V_LN1, .b = W_V_LN1_B, \
    .rows = RG_ROWS_PATCHES, .cols = RG_DIM_V, .eps = RG_PARAM_V_EPS }, \
  { RG_OP_LINEAR, .out = R (B_Q), .in = R (B_H), .w = W_V_Q, .b = W_V_Q_B, .rows = RG_ROWS_PATCHES }, \
  { RG_OP_LINEAR, .out = R (B_K), .in = R (B_H), .w = W_V_K, .b = W_V_K_B, .rows = RG_ROWS_PATCHES }, \
  { RG_OP_LINEAR, .out = R (B_V), .in = R (B_H), .w = W_V_V, .b = W_V_V_B, .rows = RG_ROWS_PATCHES }, \
  { RG_OP_ATTENTION, .out = R (B_H), .in = R (B_Q), .in2 = R (B_K), .in3 = R (B_V), .mask = B_PATCH_MASK, \
    .rows = RG_ROWS_PATCHES, .kv_rows = RG_ROWS_PATCHES, \
    .heads = RG_DIM_V_HEADS, .kv_heads = RG_DIM_V_HEADS, .head_dim = RG_DIM_V_HEAD_DIM }, \
  { RG_OP_LINEAR, .out = R (B_Q), .in = R (B_H), .w = W_V_O, .b = W_V_O_B, .rows = RG_ROWS_PATCHES }, \
  { RG_OP_ADD, .out = R (B_X), .in = R (B_X), .in2 = R (B_Q), .rows = RG_ROWS_PATCHES, .cols = RG_DIM_V }, \
  /* x = x + fc2(gelu_tanh(fc1(LN2(x)))) */ \
  { RG_OP_LAYERNORM, .out = R (B_H), .in = R (B_X), .w = W_V_LN2, .b = W_V_LN2_B, \
    .rows = RG_ROWS_PATCHES, .cols = RG_DIM_V, .eps = RG_PARAM_V_EPS }, \
  { RG_OP_LINEAR, .out = R (B_F), .in = R (B_H), .w = W_V_FC1, .b = W_V_FC1_B, .rows = RG_ROWS_PATCHES }, \
  { RG_OP_GELU_TANH, .out = R (B_F), .in = R (B_F), .rows = RG_ROWS_PATCHES, .cols = RG_DIM_VI }, \
  { RG_OP_LINEAR, .out = R (B_H), .in = R (B_F), .w = W_V_FC2, .b = W_V_FC2_B, .rows = RG_ROWS_PATCHES }, \
  { RG_OP_ADD, .out = R (B_X), .in = R (B_X), .in2 = R (B_H), .rows = RG_ROWS_PATCHES, .cols = RG_DIM_V }

/* x = post_layernorm(x): the tower's output, in B_X */
#define RG_SIGLIP_POST_OPS \
  { RG_OP_LAYERNORM, .out = R (B_X), .in = R (B_X), .w = W_V_POST_LN, .b = W_V_POST_LN_B, \
    .rows = RG_ROWS_PATCHES, .cols = RG_DIM_V, .eps = RG_PARAM_V_EPS }, \
  { RG_OP_TAP, .in = R (B_X), .rows = RG_ROWS_PATCHES, .cols = RG_DIM_V, .name = "vision_last_hidden_state" }
