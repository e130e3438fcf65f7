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
