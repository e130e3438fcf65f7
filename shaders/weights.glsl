// Weight element access for every weight type. Weights are bound as
// 32-bit words so 16-bit types need no 16-bit storage feature; a row of
// odd width may start in the middle of a word.
//   W_F32: one float per word;  W_F16 / W_BF16: two halves per word, the
//   element with the lower index in the low 16 bits (little endian).
//   W_Q8_0 / W_Q4_0: ggml blocks of 32 elements (34 / 18 bytes: f16 scale,
//   then int8 values / nibbles; see engine/rg-quant.h). Blocks are only
//   2-byte aligned, so a block starts in the low or the high half of a
//   word; rows are whole blocks. load_w decodes one element (tiled matmul,
//   embedding); matvec decodes whole blocks with load_block.
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
// The same words through a uniform texel buffer (binding 8): on CPU
// devices (lavapipe) texel fetches are an order of magnitude faster.
layout(binding = 8) uniform usamplerBuffer w_texels;
uint w_word(uint i) { return texelFetch(w_texels, int(i)).r; }
#else
layout(binding = WEIGHT_BINDING) readonly buffer Weights { uint w_words_[]; };
uint w_word(uint i) { return w_words_[i]; }
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
  uint base = (idx / W_QK) * W_BLOCK_BYTES;   // even: blocks are 2-byte aligned
  uint j = idx % W_QK;
  float d = unpackHalf2x16(w_word(base >> 2) >> ((base & 2u) * 8u)).x;
#if defined(W_Q8_0)
  uint b = base + 2u + j;
  int q = bitfieldExtract(int(w_word(b >> 2)), int((b & 3u) * 8u), 8);
#else
  uint b = base + 2u + (j & 15u);
  uint byte = (w_word(b >> 2) >> ((b & 3u) * 8u)) & 0xffu;
  int q = int(j < 16u ? (byte & 15u) : (byte >> 4)) - 8;
#endif
  // one rounding, as rg_dequantize_row_*: the same float as the CPU's
  return float(q) * d;
#endif
}

#ifdef W_QUANT
// Block BLK of the bound chunk, dequantized into v (element j of the block
// in v[j]): the scale word and the value words are each read once.
void load_block(uint blk, out float v[32])
{
  uint base = blk * W_BLOCK_BYTES;
  uint w0 = base >> 2;
  bool hi = (base & 2u) != 0u;     // the block starts in the high half of w0
  uint first = w_word(w0);
  float d = unpackHalf2x16(hi ? first >> 16 : first).x;
  uint prev = first;
#if defined(W_Q8_0)
  // values at base + 2: whole words when the block starts high, else each
  // value word straddles two stored words
  for (uint i = 0u; i < 8u; i++)
    {
      uint next = w_word(w0 + 1u + i);
      uint q = hi ? next : (prev >> 16) | (next << 16);
      prev = next;
      for (uint k = 0u; k < 4u; k++)
        v[4u * i + k] = float(bitfieldExtract(int(q), int(8u * k), 8)) * d;
    }
#else
  for (uint i = 0u; i < 4u; i++)
    {
      uint next = w_word(w0 + 1u + i);
      uint q = hi ? next : (prev >> 16) | (next << 16);
      prev = next;
      for (uint k = 0u; k < 4u; k++)
        {
          v[4u * i + k] = float(int((q >> (8u * k)) & 15u) - 8) * d;
          v[4u * i + k + 16u] = float(int((q >> (8u * k + 4u)) & 15u) - 8) * d;
        }
    }
#endif
}
#endif

#endif
