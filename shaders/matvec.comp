#version 450
// y[m, row0 + r] = x[m, :] . W[r, :] (+ bias, + y) for the few rows of
// decode (M <= 8): each weight row is read by TPR threads that split K and
// reduce in shared memory, so each weight element is read once for all M;
// a workgroup handles WG_SIZE / TPR rows, so short rows (K = 64) do not
// leave most of a large workgroup idle. The subgroup variants can also
// apply RMSNorm to x on the fly (LINEAR_NORM): every subgroup reads all of
// x anyway, so the sum of squares costs no extra memory traffic.
//
// NM (= M) and RPS are specialization constants and the loops over them
// are [[unroll]]ed, so accumulators stay in registers (lavapipe otherwise
// keeps an array indexed by a loop counter in memory, at 5x the cost).
#include "common.glsl"
#extension GL_EXT_control_flow_attributes : require

#ifdef SG_REDUCE
// Variant: RPS rows per subgroup, reduced with subgroupAdd: no shared
// memory and no barriers (which cost most on CPU devices). TPR is then the
// subgroup size.
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#endif

layout(constant_id = 1) const uint TPR = 64;   // threads per row, a power of two <= WG_SIZE
layout(constant_id = 2) const uint NM = 1;     // rows of x, 1 .. 8
layout(constant_id = 3) const uint RPS = 1;    // weight rows per subgroup (SG_REDUCE)


#include "linear.glsl"

#define WEIGHT_BINDING 1
#define W_COLS (p.K)
#include "weights.glsl"

#ifndef SG_REDUCE
shared float partial[NM][WG_SIZE];
#endif

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

#ifdef SG_REDUCE
// The factor RMSNorm scales x row M by, from this lane's sum of squares.
float norm_scale(float sum_sq)
{
  return (p.flags & LINEAR_NORM) != 0u ? inversesqrt(subgroupAdd(sum_sq) / float(p.K) + p.norm_eps) : 1.0;
}
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

#ifdef SG_REDUCE
// Reduces the RPS x NM sums of the subgroup's rows R0.. and stores them.
void store_rows(uint r0, float acc[RPS][NM], float sum_sq[NM])
{
  [[unroll]] for (uint m = 0; m < NM; m++)
    {
      float scale = norm_scale(sum_sq[m]);
      [[unroll]] for (uint rr = 0; rr < RPS; rr++)
        {
          float v = subgroupAdd(acc[rr][m]);
          if (gl_SubgroupInvocationID == 0u && r0 + rr < p.n_rows)
            store_y(p.m0 + m, r0 + rr, v * scale);
        }
    }
}
#endif

#if defined(SG_REDUCE) && defined(W_QUANT)
// A lane takes whole blocks (32 weights) of RPS rows: each load of x serves
// all of them (x costs four times the bytes of Q8_0 values), and rows come
// in runs of the same group of 8 (RPS is a power of two), whose scales
// arrive in one fetch.
void main()
{
  const uint RUN = RPS < 8u ? RPS : 8u;   // rows sharing a unit
  uint t = gl_SubgroupInvocationID;
  uint r0 = (group_index() * gl_NumSubgroups + gl_SubgroupID) * RPS;
  uint nb = r0 < p.n_rows ? p.K / W_QK : 0u;
  float acc[RPS][NM];
  float sum_sq[NM];

  [[unroll]] for (uint m = 0; m < NM; m++)
    {
      sum_sq[m] = 0.0;
      [[unroll]] for (uint rr = 0; rr < RPS; rr++)
        acc[rr][m] = 0.0;
    }
  for (uint b = t; b < nb; b += gl_SubgroupSize)
    {
      vec4 xv[NM][8];
      float xoff[NM];
      [[unroll]] for (uint m = 0; m < NM; m++)
        {
          [[unroll]] for (uint i = 0u; i < 8u; i++)
            xv[m][i] = load_x4((p.m0 + m) * p.K + b * W_QK + 4u * i);
          if ((p.flags & LINEAR_NORM) != 0u)
            [[unroll]] for (uint i = 0u; i < 8u; i++)
              {
                sum_sq[m] += dot(xv[m][i], xv[m][i]);
                xv[m][i] *= load_gain4(b * W_QK + 4u * i);
              }
          xoff[m] = block_offset(xv[m]);
        }
      [[unroll]] for (uint run = 0; run < RPS / RUN; run++)
        {
          // runs past the last row read the last group (a copy, never stored)
          uint first = min(r0 + run * RUN, (p.n_rows - 1u) & ~(RUN - 1u));
          uint unit = w_unit(first, b);
          uvec4 scales = w_word4(unit + W_UNIT_TEXELS - 1u);
          // all of the run's fetches first: on CPU devices their cache
          // misses then overlap instead of waiting behind the arithmetic
          BlockValues bv[RUN];
          [[unroll]] for (uint jj = 0; jj < RUN; jj++)
            {
              uint j = RUN == 8u ? jj : (first & 7u) + jj;   // first is 8-aligned when RUN is 8
              bv[jj] = fetch_block(unit + j * W_ROW_TEXELS);
            }
          [[unroll]] for (uint jj = 0; jj < RUN; jj++)
            {
              uint j = RUN == 8u ? jj : (first & 7u) + jj;
              float d = w_unit_scale(scales, j & 7u);
              [[unroll]] for (uint m = 0; m < NM; m++)
                acc[run * RUN + jj][m] += (block_dot(bv[jj], xv[m]) - xoff[m]) * d;
            }
        }
    }
  store_rows(r0, acc, sum_sq);
}
#elif defined(SG_REDUCE)
// Plain weight types: RPS rows per subgroup share each load of x. Where
// rows are whole texels (K a multiple of W_TEXEL_ELEMS) a lane takes one
// texel of each row per step, fetched together as for the quantized
// types; otherwise the lanes read neighbouring elements one at a time.
#if defined(W_F32)
#define W_TEXEL_ELEMS 4u
#else
#define W_TEXEL_ELEMS 8u
#endif

// The weights of one texel, in order: 4 (f32) or 8 (f16, bf16).
void texel_weights(uvec4 q, out vec4 lo, out vec4 hi)
{
#if defined(W_F32)
  lo = uintBitsToFloat(q);
  hi = vec4(0.0);
#elif defined(W_F16)
  lo = vec4(unpackHalf2x16(q.x), unpackHalf2x16(q.y));
  hi = vec4(unpackHalf2x16(q.z), unpackHalf2x16(q.w));
#else
  lo = uintBitsToFloat(uvec4(q.x << 16, q.x & 0xffff0000u, q.y << 16, q.y & 0xffff0000u));
  hi = uintBitsToFloat(uvec4(q.z << 16, q.z & 0xffff0000u, q.w << 16, q.w & 0xffff0000u));
#endif
}

void main()
{
  uint t = gl_SubgroupInvocationID;
  uint r0 = (group_index() * gl_NumSubgroups + gl_SubgroupID) * RPS;
  float acc[RPS][NM];
  float sum_sq[NM];

  [[unroll]] for (uint m = 0; m < NM; m++)
    {
      sum_sq[m] = 0.0;
      [[unroll]] for (uint rr = 0; rr < RPS; rr++)
        acc[rr][m] = 0.0;
    }
  if (p.K % W_TEXEL_ELEMS == 0u)
    {
      uint row_texels = p.K / W_TEXEL_ELEMS;
      uint n_texels = r0 < p.n_rows ? row_texels : 0u;
      for (uint c = t; c < n_texels; c += gl_SubgroupSize)
        {
          uint k0 = c * W_TEXEL_ELEMS;
          vec4 xv[NM][2];
          uvec4 q[RPS];
          // the weights first, so that their cache misses overlap
          [[unroll]] for (uint rr = 0; rr < RPS; rr++)
            q[rr] = w_word4(min(r0 + rr, p.n_rows - 1u) * row_texels + c);   // rows past the end: a copy, never stored
          [[unroll]] for (uint m = 0; m < NM; m++)
            [[unroll]] for (uint h = 0u; h < W_TEXEL_ELEMS / 4u; h++)
              {
                vec4 xh = load_x4((p.m0 + m) * p.K + k0 + 4u * h);
                if ((p.flags & LINEAR_NORM) != 0u)
                  {
                    sum_sq[m] += dot(xh, xh);
                    xh *= load_gain4(k0 + 4u * h);
                  }
                xv[m][h] = xh;
              }
          [[unroll]] for (uint rr = 0; rr < RPS; rr++)
            {
              vec4 lo, hi;
              texel_weights(q[rr], lo, hi);
              [[unroll]] for (uint m = 0; m < NM; m++)
                acc[rr][m] += W_TEXEL_ELEMS == 8u ? dot(xv[m][0], lo) + dot(xv[m][1], hi) : dot(xv[m][0], lo);
            }
        }
    }
  else
    {
      uint kend = r0 < p.n_rows ? p.K : 0u;
      for (uint k = t; k < kend; k += gl_SubgroupSize)
        {
          float xv[NM];
          [[unroll]] for (uint m = 0; m < NM; m++)
            {
              xv[m] = x[(p.m0 + m) * p.K + k];
              if ((p.flags & LINEAR_NORM) != 0u)
                {
                  sum_sq[m] += xv[m] * xv[m];
                  xv[m] *= norm_gain[k];
                }
            }
          [[unroll]] for (uint rr = 0; rr < RPS; rr++)
            {
              uint r = min(r0 + rr, p.n_rows - 1u);   // rows past the end compute a copy, never stored
              float wv = load_w(r * p.K + k);
              [[unroll]] for (uint m = 0; m < NM; m++)
                acc[rr][m] += xv[m] * wv;
            }
        }
    }
  store_rows(r0, acc, sum_sq);
}
#else
void main()
{
  uint lt = gl_LocalInvocationID.x;
  uint t = lt % TPR;                                // thread within its row
  uint r = group_index() * (WG_SIZE / TPR) + lt / TPR;
  // no early return: every thread must reach the barriers below
  bool valid = r < p.n_rows;

  float acc[NM];
  [[unroll]] for (uint m = 0; m < NM; m++)
    acc[m] = 0.0;

#ifdef W_QUANT
  // The TPR threads of a row take whole blocks of 32 weights in turn.
  uint nb = valid ? p.K / W_QK : 0u;
  for (uint b = t; b < nb; b += TPR)
    {
      BlockValues bv = fetch_block(w_unit(r, b) + (r & 7u) * W_ROW_TEXELS);
      float d = w_scale(r, b);
      [[unroll]] for (uint m = 0; m < NM; m++)
        {
          vec4 xs[8];
          [[unroll]] for (uint i = 0u; i < 8u; i++)
            xs[i] = load_x4((p.m0 + m) * p.K + b * W_QK + 4u * i);
          acc[m] += (block_dot(bv, xs) - block_offset(xs)) * d;
        }
    }
#else
  uint wbase = r * p.K;
  uint kend = valid ? p.K : 0u;
  for (uint k = t; k < kend; k += TPR)
    {
      float wv = load_w(wbase + k);
      [[unroll]] for (uint m = 0; m < NM; m++)
        acc[m] += x[(p.m0 + m) * p.K + k] * wv;
    }
#endif
  [[unroll]] for (uint m = 0; m < NM; m++)
    partial[m][lt] = acc[m];
  barrier();
  for (uint s = TPR / 2; s > 0; s >>= 1)
    {
      if (t < s)
        [[unroll]] for (uint m = 0; m < NM; m++)
          partial[m][lt] += partial[m][lt + s];
      barrier();
    }
  if (valid && t == 0u)
    [[unroll]] for (uint m = 0; m < NM; m++)
      store_y(p.m0 + m, r, partial[m][lt]);
}
#endif
