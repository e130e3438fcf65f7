#version 450
// y[M, row0 + n] = x[M, K] . W[n, K]^T (+ bias, + y): 32 x 32 output tiles,
// 256 threads each computing 2 x 2 outputs, K walked in steps of 16 through
// shared memory (weights converted to f32 as they are loaded).
#include "common.glsl"


#define BM 32
#define BN 32
#define BK 16

#include "linear.glsl"

#define WEIGHT_BINDING 1
#define W_COLS (p.K)
#include "weights.glsl"

shared float xs[BK][BM + 1];
shared float ws[BK][BN + 1];

void main()
{
  uint tile = group_index();
  uint tm = tile / p.tiles_n;
  uint tn = tile % p.tiles_n;
  uint t = gl_LocalInvocationID.x;   // WG_SIZE must be 256
  uint tx = t % 16;                  // along n
  uint ty = t / 16;                  // along m
  uint m0 = tm * BM;
  uint n0 = tn * BN;

  if (m0 >= p.M)
    return; // uniform per workgroup

  float acc00 = 0.0, acc01 = 0.0, acc10 = 0.0, acc11 = 0.0;

  for (uint k0 = 0; k0 < p.K; k0 += BK)
    {
      // 512 elements per tile, 2 per thread
      for (uint e = t; e < BM * BK; e += 256)
        {
          uint mm = e / BK, kk = e % BK;
          uint gm = m0 + mm, gk = k0 + kk;
          xs[kk][mm] = (gm < p.M && gk < p.K) ? x[gm * p.K + gk] : 0.0;
          uint gn = n0 + mm;
          ws[kk][mm] = (gn < p.n_rows && gk < p.K) ? load_w(gn * p.K + gk) : 0.0;
        }
      barrier();
      for (uint kk = 0; kk < BK; kk++)
        {
          float a0 = xs[kk][ty * 2], a1 = xs[kk][ty * 2 + 1];
          float b0 = ws[kk][tx * 2], b1 = ws[kk][tx * 2 + 1];
          acc00 += a0 * b0;
          acc01 += a0 * b1;
          acc10 += a1 * b0;
          acc11 += a1 * b1;
        }
      barrier();
    }

  uint gm = m0 + ty * 2;
  uint gn = n0 + tx * 2;
  if (gm < p.M)
    {
      if (gn < p.n_rows) store_y(gm, gn, acc00);
      if (gn + 1 < p.n_rows) store_y(gm, gn + 1, acc01);
    }
  if (gm + 1 < p.M)
    {
      if (gn < p.n_rows) store_y(gm + 1, gn, acc10);
      if (gn + 1 < p.n_rows) store_y(gm + 1, gn + 1, acc11);
    }
}
