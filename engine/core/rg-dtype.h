/* rg-dtype.h: element types shared by the file readers and the GPU tensors.
 *
 * Block-quantized types (Q8_0, Q4_0) store BLOCK elements in BLOCK_BYTES
 * bytes; plain types have a block of one element. Sizes are always computed
 * through rg_dtype_row_bytes () so quantized formats slot in without
 * changing callers. */
#pragma once

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

G_BEGIN_DECLS

typedef enum
{
  RG_DTYPE_F32,
  RG_DTYPE_F16,
  RG_DTYPE_BF16,
  RG_DTYPE_I64,
  RG_DTYPE_I32,
  RG_DTYPE_U8,
  RG_DTYPE_Q8_0,   /* blocks of 32 int8 with an f16 scale (34 bytes) */
  RG_DTYPE_Q4_0,   /* blocks of 32 4-bit values with an f16 scale (18 bytes) */
  RG_DTYPE_COUNT
} RgDType;

typedef struct
{
  const char *name;      /* safetensors spelling: "F32", "BF16", ... */
  guint block_elems;     /* elements per block */
  guint block_bytes;     /* bytes per block */
} RgDTypeTraits;

const RgDTypeTraits *rg_dtype_traits (RgDType dtype);
const char *rg_dtype_name (RgDType dtype);
/* Parses a safetensors dtype string; FALSE when unknown. */
gboolean rg_dtype_from_name (const char *name, RgDType *out);
/* Bytes of N elements; FALSE on overflow or when N is not a whole number of
 * blocks. */
gboolean rg_dtype_bytes_checked (RgDType dtype, uint64_t n, uint64_t *bytes);

/* Scalar conversions, exact as in torch (round to nearest even). */
float rg_f16_to_f32 (uint16_t h);
uint16_t rg_f32_to_f16 (float f);
float rg_bf16_to_f32 (uint16_t b);
uint16_t rg_f32_to_bf16 (float f);

/* Converts N elements of a plain float type (F32, F16, BF16) to f32. */
void rg_dtype_to_f32 (RgDType dtype, const void *src, float *dst, size_t n);

G_END_DECLS
