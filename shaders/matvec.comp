#version 450
// y[m, row0 + r] = x[m, :] . W[r, :] (+ bias) for the few rows of decode
// (M <= MAX_M): one workgroup per weight row; the threads split K and
// reduce in shared memory, so each weight element is read once for all M.
#include "common.glsl"

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
  uint r = group_index();
  uint t = gl_LocalInvocationID.x;
  if (r >= p.n_rows)
    return; // whole workgroup leaves together: no barrier is skipped by half of it

  float acc[MAX_M];
  for (uint m = 0; m < MAX_M; m++)
    acc[m] = 0.0;

#ifdef W_QUANT
  // a thread takes whole blocks (rows are whole blocks): each scale and
  // value word is read once, and the 32 weights stay in registers
  uint nb = p.K / W_QK;
  for (uint b = t; b < nb; b += WG_SIZE)
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
  for (uint k = t; k < p.K; k += WG_SIZE)
    {
      float wv = load_w(wbase + k);
      for (uint m = 0; m < p.M; m++)
        acc[m] += x[m * p.K + k] * wv;
    }
#endif
  for (uint m = 0; m < p.M; m++)
    partial[m][t] = acc[m];
  barrier();
  for (uint s = WG_SIZE / 2; s > 0; s >>= 1)
    {
      if (t < s)
        for (uint m = 0; m < p.M; m++)
          partial[m][t] += partial[m][t + s];
      barrier();
    }
  if (t < p.M)
    {
      float v = partial[t][0];
      if (p.has_bias != 0u)
        v += bias[p.row0 + r];
      y[t * p.N + p.row0 + r] = v;
    }
}
