#version 450
// matvec.comp: the mat-vec of decode (M <= 8) with a shared-memory
// reduction: each weight row is read by TPR threads that split K and
// reduce in shared memory, so each weight element is read once for all M;
// a workgroup handles WG_SIZE / TPR rows, so short rows (K = 64) do not
// leave most of a large workgroup idle. For devices without subgroup
// arithmetic; matvec_subgroup.comp is the other kernel (matvec.glsl has
// what they share).
#include "matvec.glsl"

shared float partial[NM][WG_SIZE];

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
