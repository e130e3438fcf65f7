/* rg-quant.h: ggml-compatible block quantization of weight rows.
 *
 *   Q8_0  32 weights per 34-byte block: f16 scale d, then 32 int8 qs;
 *         w = qs[j] * d.
 *   Q4_0  32 weights per 18-byte block: f16 scale d, then 16 bytes whose
 *         low nibbles are elements 0..15 and high nibbles 16..31;
 *         w = (q - 8) * d.
 *
 * The byte layout is ggml's (block_q8_0 / block_q4_0), so files can be
 * compared with llama.cpp's, and shaders/weights.glsl decodes exactly the
 * same bytes. The quantizers are ggml's reference ones (quantize_row_*_ref):
 * same scale rule, same rounding, so a row quantizes to the same bytes. */
#pragma once

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

G_BEGIN_DECLS

#define RG_QK 32   /* elements per block, both formats */

typedef struct
{
  uint16_t d;              /* f16 scale */
  int8_t qs[RG_QK];
} RgBlockQ8_0;
G_STATIC_ASSERT (sizeof (RgBlockQ8_0) == 34);

typedef struct
{
  uint16_t d;              /* f16 scale */
  uint8_t qs[RG_QK / 2];   /* nibbles: low = j, high = j + 16 */
} RgBlockQ4_0;
G_STATIC_ASSERT (sizeof (RgBlockQ4_0) == 18);

/* N must be a multiple of RG_QK (callers keep other rows in f16). */
void rg_quantize_row_q8_0 (const float *x, RgBlockQ8_0 *y, size_t n);
void rg_quantize_row_q4_0 (const float *x, RgBlockQ4_0 *y, size_t n);
void rg_dequantize_row_q8_0 (const RgBlockQ8_0 *x, float *y, size_t n);
void rg_dequantize_row_q4_0 (const RgBlockQ4_0 *x, float *y, size_t n);

G_END_DECLS
