// matvec.glsl: what the two mat-vec kernels share (y[m, row0 + r] =
// x[m, :] . W[r, :] (+ bias, + y) for the few rows of decode, M <= 8):
// specialization constants, the epilogue (linear.glsl), the weight
// readers (weights.glsl), loads of x and of the norm gain, and the
// block dot products of the quantized types. matvec.comp reduces a row
// over TPR threads in shared memory; matvec_subgroup.comp gives each
// subgroup RPS rows and reduces with subgroupAdd.
//
// NM (= M) and RPS are specialization constants and the loops over them
// are [[unroll]]ed, so accumulators stay in registers (lavapipe otherwise
// keeps an array indexed by a loop counter in memory, at 5x the cost).
#include "common.glsl"
#extension GL_EXT_control_flow_attributes : require

layout(constant_id = 1) const uint TPR = 64;   // threads per row, a power of two <= WG_SIZE
layout(constant_id = 2) const uint NM = 1;     // rows of x, 1 .. 8
layout(constant_id = 3) const uint RPS = 1;    // weight rows per subgroup (matvec_subgroup.comp)

#include "linear.glsl"

#define WEIGHT_BINDING 1
#define W_COLS (p.K)
#include "weights.glsl"

#ifdef W_TEXEL
// x and the norm gain through texels too (bindings 9, 10): on CPU devices
// a storage read per lane costs as much as a 16-byte texel fetch.
layout(binding = 9) uniform usamplerBuffer x_texels;
layout(binding = 10) uniform usamplerBuffer gain_texels;
vec4 load_x4(uint i) { return uintBitsToFloat(texelFetch(x_texels, int(i >> 2))); }
vec4 load_gain4(uint i) { return uintBitsToFloat(texelFetch(gain_texels, int(i >> 2))); }
#else
vec4 load_x4(uint i) { return vec4(x[i], x[i + 1u], x[i + 2u], x[i + 3u]); }
vec4 load_gain4(uint i) { return vec4(norm_gain[i], norm_gain[i + 1u], norm_gain[i + 2u], norm_gain[i + 3u]); }
#endif

#ifdef W_QUANT
// A block's values: the texels Q[0..W_ROW_TEXELS) starting at texel VT.
struct BlockValues
{
  uvec4 q[W_ROW_TEXELS];
};

BlockValues fetch_block(uint vt)
{
  BlockValues bv;
  [[unroll]] for (uint h = 0u; h < W_ROW_TEXELS; h++)
    bv.q[h] = w_word4(vt + h);
  return bv;
}

// XS (32 elements of x) . the block of 32 weights BV, unscaled; for Q4_0
// the nibbles without their offset of 8, which block_offset subtracts once
// for all rows sharing XS.
float block_dot(BlockValues bv, vec4 xs[8])
{
  // four independent sums: a single chain of 32 fma would wait on latency
  vec4 s = vec4(0.0);
#if defined(W_Q8_0)
  [[unroll]] for (uint h = 0u; h < 2u; h++)
    [[unroll]] for (uint i = 0u; i < 4u; i++)
      {
        int w = int(bv.q[h][i]);
        vec4 v = vec4(bitfieldExtract(w, 0, 8), bitfieldExtract(w, 8, 8), bitfieldExtract(w, 16, 8), w >> 24);
        s = fma(v, xs[4u * h + i], s);
      }
#else
  // byte c of the block: element c in the low nibble, c + 16 in the high
  [[unroll]] for (uint i = 0u; i < 4u; i++)
    {
      uint q = bv.q[0][i];
      vec4 lo = vec4(q & 15u, (q >> 8) & 15u, (q >> 16) & 15u, (q >> 24) & 15u);
      vec4 up = vec4((q >> 4) & 15u, (q >> 12) & 15u, (q >> 20) & 15u, q >> 28);
      s = fma(lo, xs[i], s);
      s = fma(up, xs[i + 4u], s);
    }
#endif
  return (s.x + s.y) + (s.z + s.w);
}

float block_offset(vec4 xs[8])
{
#if defined(W_Q4_0)
  vec4 s = ((xs[0] + xs[1]) + (xs[2] + xs[3])) + ((xs[4] + xs[5]) + (xs[6] + xs[7]));
  return 8.0 * ((s.x + s.y) + (s.z + s.w));
#else
  return 0.0;
#endif
}
#endif

