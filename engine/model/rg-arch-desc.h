/* rg-arch-desc.h: shorthands for writing a family's description (see
 * rg-arch.h); included by the rg-arch-*.c descriptions and the shared
 * blocks (rg-arch-siglip.h, rg-arch-llama.h) only. */
#pragma once

#include "rg-arch.h"

/* weight rows: an f32 vector of D; a [R, C] matrix quantized by rule Q */
#define VEC1(d) 1, { d }, RG_WEIGHT_VECTOR, RG_QUANT_NEVER
#define MAT(r, c, q) 2, { r, c }, RG_WEIGHT_MATRIX, q

/* refs: buffer B from row 0, from row symbol R, from column dim C */
#define R(b) { b, RG_ROWS_ZERO, RG_DIM_NONE }
#define RAT(b, r) { b, r, RG_DIM_NONE }
#define RCOL(b, c) { b, RG_ROWS_ZERO, c }

#define BLOCK(name, ops, layers) { name, ops, G_N_ELEMENTS (ops), layers }

/* resolve () helpers. The dims and eps of a ViT tower (SigLIP, CLIP) from
 * the vision config: V, VI, V_HEADS, V_HEAD_DIM, V_LAYERS, CHANNELS, PATCH. */
void rg_arch_resolve_vision (const RgVisionConfig *vc, RgArchDims *dims);
/* Those of the Llama decoder (rg-arch-llama.h) from the text config: T,
 * TI, VOCAB, T_HEADS, T_KV_HEADS, T_HEAD_DIM, T_LAYERS, the eps and RoPE
 * theta, and T_Q, T_KV (FALSE and an error where they overflow). */
gboolean rg_arch_resolve_llama (const RgTextConfig *tc, RgArchDims *dims, GError **error);
