#version 450
// y[m, row0 + r] = x[m, :] . W[r, :] (+ bias) for the few rows of decode
// (M <= MAX_M): each weight row is read by TPR threads that split K and
// reduce in shared memory, so each weight element is read once for all M;
// a workgroup handles WG_SIZE / TPR rows, so short rows (K = 64) do not
// leave most of a large workgroup idle.
#include "common.glsl"

layout(constant_id = 1) const uint TPR = 64;   // threads per row, a power of two <= WG_SIZE

#define MAX_M 8
#define WEIGHT_BINDING 1
#include "weights.glsl"

layout(binding = 0) readonly buffer X { float x[]; };
layout(binding = 2) readonly buffer Bias { float bias[]; };
layout(binding = 3) writeonly buffer Y { float y[]; };

layout(push_constant) uniform Push
{
  uint M;         // rows of x (<= MAX_M)
  uint N;         // row stride of y (all output features)
  uint K;         // input features
  uint n_rows;    // weight rows in this chunk
  uint row0;      // first output feature of this chunk
  uint has_bias;
} p;

shared float partial[MAX_M][256];

void main()
{
  uint lt = gl_LocalInvocationID.x;
  uint t = lt % TPR;                                // thread within its row
  uint r = group_index() * (WG_SIZE / TPR) + lt / TPR;
  // no early return: every thread must reach the barriers below
  bool valid = r < p.n_rows;

  float acc[MAX_M];
  for (uint m = 0; m < MAX_M; m++)
    acc[m] = 0.0;

#ifdef W_QUANT
  // a thread takes whole blocks (rows are whole blocks): each scale and
  // value word is read once, and the 32 weights stay in registers
  uint nb = valid ? p.K / W_QK : 0u;
  for (uint b = t; b < nb; b += TPR)
    {
      float wv[32];
      load_block(r * nb + b, wv);
      for (uint m = 0; m < p.M; m++)
        {
          uint xb = m * p.K + b * W_QK;
          float s = 0.0;
          for (uint j = 0u; j < W_QK; j++)
            s += x[xb + j] * wv[j];
          acc[m] += s;
        }
    }
#else
  uint wbase = r * p.K;
  uint kend = valid ? p.K : 0u;
  for (uint k = t; k < kend; k += TPR)
    {
      float wv = load_w(wbase + k);
      for (uint m = 0; m < p.M; m++)
        acc[m] += x[m * p.K + k] * wv;
    }
#endif
  for (uint m = 0; m < p.M; m++)
    partial[m][lt] = acc[m];
  barrier();
  for (uint s = TPR / 2; s > 0; s >>= 1)
    {
      if (t < s)
        for (uint m = 0; m < p.M; m++)
          partial[m][lt] += partial[m][lt + s];
      barrier();
    }
  if (valid && t == 0u)
    {
      float b = p.has_bias != 0u ? bias[p.row0 + r] : 0.0;
      for (uint m = 0; m < p.M; m++)
        y[m * p.N + p.row0 + r] = partial[m][lt] + b;
    }
}
