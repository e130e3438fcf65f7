// Weight element access for every weight type. Weights are bound as
// 32-bit words so 16-bit types need no 16-bit storage feature; a row of
// odd width may start in the middle of a word.
//   W_F32: one float per word;  W_F16 / W_BF16: two halves per word, the
//   element with the lower index in the low 16 bits (little endian).
//   W_Q8_0 / W_Q4_0: ggml blocks of 32 elements (f16 scale, then int8
//   values / nibbles; see engine/core/rg-quant.h), regrouped per chunk by
//   rg_gpu_weight_upload_rows: rows in groups of 8, and per group and
//   block column one unit of whole texels: the 8 rows' values of the block
//   (2 texels each for Q8_0, 1 for Q4_0), then the 8 rows' scales (one
//   texel of 8 halves). A mat-vec reads a unit as one contiguous run, and
//   one fetch brings 8 rows' scales.
//   The including shader defines W_COLS (K) before including this file.
#ifndef REGARD_WEIGHTS_GLSL
#define REGARD_WEIGHTS_GLSL

#if !defined(W_F32) && !defined(W_F16) && !defined(W_BF16) && !defined(W_Q8_0) && !defined(W_Q4_0)
#error "weights.glsl: define W_F32, W_F16, W_BF16, W_Q8_0 or W_Q4_0"
#endif

#if defined(W_Q8_0) || defined(W_Q4_0)
#define W_QUANT 1
#define W_QK 32u
#if defined(W_Q8_0)
#define W_BLOCK_BYTES 34u
#else
#define W_BLOCK_BYTES 18u
#endif
#endif

#ifdef W_TEXEL
// The same words through a uniform texel buffer (binding 8) of 16-byte
// texels: on CPU devices (lavapipe) texel fetches are much faster than
// storage reads, and one fetch brings four words.
layout(binding = 8) uniform usamplerBuffer w_texels;
uint w_word(uint i) { return texelFetch(w_texels, int(i >> 2))[i & 3u]; }
uvec4 w_word4(uint i4) { return texelFetch(w_texels, int(i4)); }
#else
layout(binding = WEIGHT_BINDING) readonly buffer Weights { uint w_words_[]; };
uint w_word(uint i) { return w_words_[i]; }
// words 4 * i4 .. 4 * i4 + 3 (chunks are whole 16-byte units)
uvec4 w_word4(uint i4)
{
  uint b = 4u * i4;
  return uvec4(w_words_[b], w_words_[b + 1u], w_words_[b + 2u], w_words_[b + 3u]);
}
#endif

#ifdef W_QUANT
#if defined(W_Q8_0)
#define W_ROW_TEXELS 2u    // texels of one row's block: 32 int8
#else
#define W_ROW_TEXELS 1u    // 32 nibbles
#endif
#define W_UNIT_TEXELS (8u * W_ROW_TEXELS + 1u)
// First texel of the unit of block BLK of ROW's group of 8 rows.
uint w_unit(uint row, uint blk)
{
  return ((row >> 3) * (W_COLS / W_QK) + blk) * W_UNIT_TEXELS;
}
// Scale of row J (0..7) of a unit, from the unit's scale texel.
float w_unit_scale(uvec4 scales, uint j)
{
  uint word = scales[j >> 1];
  return unpackHalf2x16((j & 1u) != 0u ? word >> 16 : word).x;
}
// Scale of block BLK of row ROW.
float w_scale(uint row, uint blk)
{
  uint word = w_word((w_unit(row, blk) + W_UNIT_TEXELS - 1u) * 4u + ((row & 7u) >> 1));
  return unpackHalf2x16((row & 1u) != 0u ? word >> 16 : word).x;
}
#endif

float load_w(uint idx)
{
#if defined(W_F32)
  return uintBitsToFloat(w_word(idx));
#elif defined(W_F16)
  uint word = w_word(idx >> 1);
  vec2 two = unpackHalf2x16(word);
  return (idx & 1u) != 0u ? two.y : two.x;
#elif defined(W_BF16)
  uint word = w_word(idx >> 1);
  return uintBitsToFloat((idx & 1u) != 0u ? (word & 0xffff0000u) : (word << 16));
#else
  uint row = idx / W_COLS, k = idx % W_COLS;
  uint blk = k / W_QK, j = k % W_QK;
  float d = w_scale(row, blk);
  uint words = (w_unit(row, blk) + (row & 7u) * W_ROW_TEXELS) * 4u;   // the row's block values
#if defined(W_Q8_0)
  int q = bitfieldExtract(int(w_word(words + (j >> 2))), int((j & 3u) * 8u), 8);
#else
  uint byte = (w_word(words + ((j & 15u) >> 2)) >> ((j & 3u) * 8u)) & 0xffu;
  int q = int(j < 16u ? (byte & 15u) : (byte >> 4)) - 8;
#endif
  // one rounding, as rg_dequantize_row_*: the same float as the CPU's
  return float(q) * d;
#endif
}

#endif
