// Weight element access for every weight type. Weights are bound as
// 32-bit words so 16-bit types need no 16-bit storage feature; a row of
// odd width may start in the middle of a word.
//   W_F32: one float per word;  W_F16 / W_BF16: two halves per word, the
//   element with the lower index in the low 16 bits (little endian).
#ifndef REGARD_WEIGHTS_GLSL
#define REGARD_WEIGHTS_GLSL

#if !defined(W_F32) && !defined(W_F16) && !defined(W_BF16)
#error "weights.glsl: define W_F32, W_F16 or W_BF16"
#endif

layout(binding = WEIGHT_BINDING) readonly buffer Weights { uint w_words[]; };

float load_w(uint idx)
{
#if defined(W_F32)
  return uintBitsToFloat(w_words[idx]);
#elif defined(W_F16)
  uint word = w_words[idx >> 1];
  vec2 two = unpackHalf2x16(word);
  return (idx & 1u) != 0u ? two.y : two.x;
#else
  uint word = w_words[idx >> 1];
  return uintBitsToFloat((idx & 1u) != 0u ? (word & 0xffff0000u) : (word << 16));
#endif
}

#endif
