/* rg-arch-llama.h: the Llama/Mistral decoder layer (IDEFICS2's Mistral,
 * IDEFICS3's Llama, IDEFICS1's LLaMA), written once, and the final norm +
 * lm_head. On x [L, T] at positions n_past..: k and v are projected into
 * f32 rows, then one RoPE op turns q in place and stores k (turned) and v
 * into the KV cache's next rows, in the cache's element type (f32 or f16,
 * chosen at load: RgExecVk.kv_f16); the RMSNorms fold into the linear
 * layers that read them where the GPU can.
 *   x = x + o_proj(attn(rope(q), cache + rope(k), cache + v)) on RMSNorm(x)
 *   x = x + down(silu(gate(RMSNorm(x))) * up(RMSNorm(x)))
 * The attention's sliding window is T_WINDOW (Mistral's; 0, none, where a
 * family's resolve leaves it unset).
 *
 * A family with it instantiates it in its description:
 *   - weight slots RG_LLAMA_WEIGHT_SLOTS in its weight enum, rows
 *     RG_LLAMA_WEIGHTS (PREFIX, KV_QUANT) in its table (PREFIX: the layers'
 *     tensor names with "%u"; KV_QUANT: the k/v projections' rule);
 *   - buffer slots RG_LLAMA_BUFFER_SLOTS (the KV cache and the scratch
 *     rows) in its buffer enum, rows RG_LLAMA_BUFFERS;
 *   - RG_LLAMA_EMBED_IMAGE_ROWS_OPS in its token embeddings block where
 *     image features come in as token rows (IDEFICS2, IDEFICS3: its
 *     W_EMBED, B_IDS, B_IMAGE_FEATURES, B_IMAGE_ROWS);
 *   - RG_LLAMA_LAYER_OPS in its layer block (x T_LAYERS) on x = B_TX,
 *     RG_LLAMA_HEAD_OPS in its head block (its W_NORM, W_LM_HEAD and
 *     B_LOGITS).
 * The names become the family's own slots: the macros are expanded inside
 * its enums and tables (with rg-arch-desc.h's shorthands). */
#pragma once

#include "rg-arch-desc.h"

#define RG_LLAMA_WEIGHT_SLOTS \
  W_T_IN_NORM, W_T_Q, W_T_K, W_T_V, W_T_O, W_T_POST_NORM, W_T_GATE, W_T_UP, W_T_DOWN

#define RG_LLAMA_WEIGHTS(prefix, kv_quant) \
  [W_T_IN_NORM] = { prefix "input_layernorm.weight", RG_DIM_T_LAYERS, VEC1 (RG_DIM_T) }, \
  [W_T_Q] = { prefix "self_attn.q_proj.weight", RG_DIM_T_LAYERS, MAT (RG_DIM_T_Q, RG_DIM_T, RG_QUANT_YES) }, \
  [W_T_K] = { prefix "self_attn.k_proj.weight", RG_DIM_T_LAYERS, MAT (RG_DIM_T_KV, RG_DIM_T, kv_quant) }, \
  [W_T_V] = { prefix "self_attn.v_proj.weight", RG_DIM_T_LAYERS, MAT (RG_DIM_T_KV, RG_DIM_T, kv_quant) }, \
  [W_T_O] = { prefix "self_attn.o_proj.weight", RG_DIM_T_LAYERS, MAT (RG_DIM_T, RG_DIM_T_Q, RG_QUANT_YES) }, \
  [W_T_POST_NORM] = { prefix "post_attention_layernorm.weight", RG_DIM_T_LAYERS, VEC1 (RG_DIM_T) }, \
  [W_T_GATE] = { prefix "mlp.gate_proj.weight", RG_DIM_T_LAYERS, MAT (RG_DIM_TI, RG_DIM_T, RG_QUANT_YES) }, \
  [W_T_UP] = { prefix "mlp.up_proj.weight", RG_DIM_T_LAYERS, MAT (RG_DIM_TI, RG_DIM_T, RG_QUANT_YES) }, \
  [W_T_DOWN] = { prefix "mlp.down_proj.weight", RG_DIM_T_LAYERS, MAT (RG_DIM_T, RG_DIM_TI, RG_QUANT_YES) }

#define RG_LLAMA_BUFFER_SLOTS B_K_CACHE, B_V_CACHE, B_TX, B_TH, B_TQ, B_TK, B_TV, B_TA, B_TG, B_TU

#define RG_LLAMA_BUFFERS \
  [B_K_CACHE] = { "KV cache keys", RG_ROLE_KV_CACHE, RG_ROWS_CACHE, RG_DIM_T_KV, RG_DIM_T_LAYERS }, \
  [B_V_CACHE] = { "KV cache values", RG_ROLE_KV_CACHE, RG_ROWS_CACHE, RG_DIM_T_KV, RG_DIM_T_LAYERS }, \
  [B_TX] = { "hidden states", RG_ROLE_SCRATCH, RG_ROWS_TOKENS, RG_DIM_T }, \
  [B_TH] = { "text h", RG_ROLE_SCRATCH, RG_ROWS_TOKENS, RG_DIM_T }, \
  [B_TQ] = { "text q", RG_ROLE_SCRATCH, RG_ROWS_TOKENS, RG_DIM_T_Q }, \
  [B_TK] = { "text k", RG_ROLE_SCRATCH, RG_ROWS_TOKENS, RG_DIM_T_KV }, \
  [B_TV] = { "text v", RG_ROLE_SCRATCH, RG_ROWS_TOKENS, RG_DIM_T_KV }, \
  [B_TA] = { "text attn", RG_ROLE_SCRATCH, RG_ROWS_TOKENS, RG_DIM_T_Q }, \
  [B_TG] = { "text gate", RG_ROLE_SCRATCH, RG_ROWS_TOKENS, RG_DIM_TI }, \
  [B_TU] = { "text up", RG_ROLE_SCRATCH, RG_ROWS_TOKENS, RG_DIM_TI }

/* x = embed(ids), image-token rows replaced in order by image features */
#define RG_LLAMA_EMBED_IMAGE_ROWS_OPS \
  { RG_OP_EMBED, .out = R (B_TX), .in = R (B_IDS), .w = W_EMBED, .rows = RG_ROWS_TOKENS }, \
  { RG_OP_SCATTER_ROWS, .out = R (B_TX), .in = R (B_IMAGE_FEATURES), .in2 = R (B_IMAGE_ROWS), \
    .rows = RG_ROWS_IMAGE_TOKENS, .cols = RG_DIM_T }, \
  { RG_OP_TAP, .in = R (B_TX), .rows = RG_ROWS_TOKENS, .cols = RG_DIM_T, .name = "inputs_embeds" }

#define RG_LLAMA_LAYER_OPS \
  /* x = x + o_proj(attn(rope(q), cache + rope(k), cache + v)) on RMSNorm(x) */ \
  { RG_OP_RMSNORM, .out = R (B_TH), .in = R (B_TX), .w = W_T_IN_NORM, .flags = RG_OPF_FOLDABLE, \
    .rows = RG_ROWS_TOKENS, .cols = RG_DIM_T, .eps = RG_PARAM_T_EPS }, \
  { RG_OP_LINEAR, .out = R (B_TQ), .in = R (B_TH), .w = W_T_Q, .rows = RG_ROWS_TOKENS }, \
  { RG_OP_LINEAR, .out = R (B_TK), .in = R (B_TH), .w = W_T_K, .rows = RG_ROWS_TOKENS }, \
  { RG_OP_LINEAR, .out = R (B_TV), .in = R (B_TH), .w = W_T_V, .rows = RG_ROWS_TOKENS }, \
  { RG_OP_ROPE, .out = R (B_TQ), .in = R (B_TK), .in2 = R (B_TV), .cache_k = RAT (B_K_CACHE, RG_ROWS_PAST), \
    .cache_v = RAT (B_V_CACHE, RG_ROWS_PAST), .rows = RG_ROWS_TOKENS, \
    .heads = RG_DIM_T_HEADS, .kv_heads = RG_DIM_T_KV_HEADS, .head_dim = RG_DIM_T_HEAD_DIM, \
    .eps = RG_PARAM_ROPE_THETA }, \
  { RG_OP_ATTENTION, .out = R (B_TA), .in = R (B_TQ), .in2 = R (B_K_CACHE), .in3 = R (B_V_CACHE), \
    .rows = RG_ROWS_TOKENS, .kv_rows = RG_ROWS_PAST_TOKENS, .flags = RG_OPF_CAUSAL, \
    .heads = RG_DIM_T_HEADS, .kv_heads = RG_DIM_T_KV_HEADS, .head_dim = RG_DIM_T_HEAD_DIM, \
    .window = RG_DIM_T_WINDOW }, \
  { RG_OP_LINEAR, .out = R (B_TX), .in = R (B_TA), .w = W_T_O, .rows = RG_ROWS_TOKENS, .flags = RG_OPF_ACCUMULATE }, \
  /* x = x + down(silu(gate(RMSNorm(x))) * up(RMSNorm(x))) */ \
  { RG_OP_RMSNORM, .out = R (B_TH), .in = R (B_TX), .w = W_T_POST_NORM, .flags = RG_OPF_FOLDABLE, \
    .rows = RG_ROWS_TOKENS, .cols = RG_DIM_T, .eps = RG_PARAM_T_EPS }, \
  { RG_OP_LINEAR, .out = R (B_TG), .in = R (B_TH), .w = W_T_GATE, .rows = RG_ROWS_TOKENS }, \
  { RG_OP_LINEAR, .out = R (B_TU), .in = R (B_TH), .in2 = R (B_TG), .w = W_T_UP, .rows = RG_ROWS_TOKENS }, \
  { RG_OP_LINEAR, .out = R (B_TX), .in = R (B_TU), .w = W_T_DOWN, .rows = RG_ROWS_TOKENS, .flags = RG_OPF_ACCUMULATE }

/* logits of the last row only; the final norm folds into lm_head unless
 * something (the taps) reads every normalized row */
#define RG_LLAMA_HEAD_OPS \
  { RG_OP_RMSNORM, .out = R (B_TX), .in = R (B_TX), .w = W_NORM, .flags = RG_OPF_FOLDABLE, \
    .rows = RG_ROWS_TOKENS, .cols = RG_DIM_T, .eps = RG_PARAM_T_EPS, .name = "text_last_hidden_state" }, \
  { RG_OP_LINEAR, .out = R (B_LOGITS), .in = RAT (B_TX, RG_ROWS_LAST), .w = W_LM_HEAD, .rows = RG_ROWS_ONE }
