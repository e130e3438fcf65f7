#version 450
// matvec_subgroup.comp: the mat-vec of decode (M <= 8) with subgroup
// reductions: RPS weight rows per subgroup, reduced with subgroupAdd, so
// no shared memory and no barriers (which cost most on CPU devices); TPR
// is the subgroup size. It can also apply RMSNorm to x on the fly
// (LINEAR_NORM): every subgroup reads all of x anyway, so the sum of
// squares costs no extra memory traffic. matvec.comp is the shared-memory
// kernel; matvec.glsl has what they share.
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#include "matvec.glsl"

// The factor RMSNorm scales x row M by, from this lane's sum of squares.
float norm_scale(float sum_sq)
{
  return (p.flags & LINEAR_NORM) != 0u ? inversesqrt(subgroupAdd(sum_sq) / float(p.K) + p.norm_eps) : 1.0;
}

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

#if defined(W_QUANT)
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
#else
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
#endif
