#version 450
// y[m, row0 + r] = x[m, :] . W[r, :] (+ bias) for the few rows of decode
// (M <= 8): each weight row is read by TPR threads that split K and reduce
// in shared memory, so each weight element is read once for all M; a
// workgroup handles WG_SIZE / TPR rows, so short rows (K = 64) do not leave
// most of a large workgroup idle.
//
// NM (= M) is a specialization constant: every loop over the rows has a
// constant trip count, so accumulators stay in registers (a dynamically
// indexed array spills to memory, which costs 5x on lavapipe).
#include "common.glsl"

#ifdef SG_REDUCE
// Variant: a row per subgroup, reduced with subgroupAdd: no shared memory
// and no barriers (which cost most on CPU devices). TPR is then the
// subgroup size.
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#endif

layout(constant_id = 1) const uint TPR = 64;   // threads per row, a power of two <= WG_SIZE
layout(constant_id = 2) const uint NM = 1;     // rows of x, 1 .. 8
layout(constant_id = 3) const uint RPS = 1;    // weight rows per subgroup (SG_REDUCE + quantized)


layout(binding = 0) readonly buffer X { float x[]; };
layout(binding = 2) readonly buffer Bias { float bias[]; };
layout(binding = 3) writeonly buffer Y { float y[]; };

layout(push_constant) uniform Push
{
  uint M;         // rows of x (= NM)
  uint N;         // row stride of y (all output features)
  uint K;         // input features
  uint n_rows;    // weight rows in this chunk
  uint row0;      // first output feature of this chunk
  uint has_bias;
  uint unused_tiles_n;  // matmul.comp's field
  uint m0;        // first row of x and y (a slice of a longer batch)
} p;

#define WEIGHT_BINDING 1
#define W_ROWS (p.n_rows)
#define W_COLS (p.K)
#include "weights.glsl"

#ifndef SG_REDUCE
shared float partial[NM][WG_SIZE];
#endif

#if defined(SG_REDUCE) && defined(W_QUANT)
// RPS weight rows per subgroup: each 16-byte group of x is loaded once and
// used for all of them (x costs four times the bytes of Q8_0 values).
void main()
{
#if defined(W_Q8_0)
  const uint GROUP_ELEMS = 16u;
#else
  const uint GROUP_ELEMS = 32u;
#endif
  uint t = gl_SubgroupInvocationID;
  uint r0 = (group_index() * gl_NumSubgroups + gl_SubgroupID) * RPS;
  uint groups = p.K / GROUP_ELEMS;
  uint row_groups = W_ROW_VALUE_BYTES / 16u;
  float acc[RPS][NM];

  for (uint rr = 0; rr < RPS; rr++)
    for (uint m = 0; m < NM; m++)
      acc[rr][m] = 0.0;
  if (r0 >= p.n_rows)
    groups = 0u;
  for (uint g = t; g < groups; g += gl_SubgroupSize)
    {
      uint k0 = g * GROUP_ELEMS;
      vec4 xv[NM][GROUP_ELEMS / 4u];
      for (uint m = 0; m < NM; m++)
        for (uint i = 0u; i < GROUP_ELEMS / 4u; i++)
          {
            uint xi = (p.m0 + m) * p.K + k0 + 4u * i;
            xv[m][i] = vec4(x[xi], x[xi + 1u], x[xi + 2u], x[xi + 3u]);
          }
      for (uint rr = 0; rr < RPS; rr++)
        {
          uint r = min(r0 + rr, p.n_rows - 1u);   // rows past the end compute a copy, never stored
          uvec4 q4 = w_word4(r * row_groups + g);
          float d = w_scale(r, k0 / W_QK);
          for (uint m = 0; m < NM; m++)
            {
              float s = 0.0;
              for (uint i = 0u; i < 4u; i++)
                {
                  uint q = q4[i];
#if defined(W_Q8_0)
                  vec4 lv = vec4(bitfieldExtract(int(q), 0, 8), bitfieldExtract(int(q), 8, 8),
                                 bitfieldExtract(int(q), 16, 8), bitfieldExtract(int(q), 24, 8));
                  s += dot(xv[m][i], lv);
#else
                  vec4 lo = vec4(int(q & 15u), int((q >> 8) & 15u), int((q >> 16) & 15u), int((q >> 24) & 15u)) - 8.0;
                  vec4 up = vec4(int((q >> 4) & 15u), int((q >> 12) & 15u), int((q >> 20) & 15u), int(q >> 28)) - 8.0;
                  s += dot(xv[m][i], lo) + dot(xv[m][i + 4u], up);
#endif
                }
              acc[rr][m] += s * d;
            }
        }
    }
  for (uint rr = 0; rr < RPS; rr++)
    {
      uint r = r0 + rr;
      for (uint m = 0; m < NM; m++)
        {
          float v = subgroupAdd(acc[rr][m]);
          if (t == 0u && r < p.n_rows)
            y[(p.m0 + m) * p.N + p.row0 + r] = v + (p.has_bias != 0u ? bias[p.row0 + r] : 0.0);
        }
    }
}
#elif defined(SG_REDUCE)
// Plain weight types: RPS rows per subgroup share each load of x; the
// lanes of a subgroup read neighbouring elements of a row.
void main()
{
  uint t = gl_SubgroupInvocationID;
  uint r0 = (group_index() * gl_NumSubgroups + gl_SubgroupID) * RPS;
  uint kend = r0 < p.n_rows ? p.K : 0u;
  float acc[RPS][NM];

  for (uint rr = 0; rr < RPS; rr++)
    for (uint m = 0; m < NM; m++)
      acc[rr][m] = 0.0;
  for (uint k = t; k < kend; k += gl_SubgroupSize)
    {
      float xv[NM];
      for (uint m = 0; m < NM; m++)
        xv[m] = x[(p.m0 + m) * p.K + k];
      for (uint rr = 0; rr < RPS; rr++)
        {
          uint r = min(r0 + rr, p.n_rows - 1u);   // rows past the end compute a copy, never stored
          float wv = load_w(r * p.K + k);
          for (uint m = 0; m < NM; m++)
            acc[rr][m] += xv[m] * wv;
        }
    }
  for (uint rr = 0; rr < RPS; rr++)
    {
      uint r = r0 + rr;
      for (uint m = 0; m < NM; m++)
        {
          float v = subgroupAdd(acc[rr][m]);
          if (t == 0u && r < p.n_rows)
            y[(p.m0 + m) * p.N + p.row0 + r] = v + (p.has_bias != 0u ? bias[p.row0 + r] : 0.0);
        }
    }
}
#else
void main()
{
  uint lt = gl_LocalInvocationID.x;
#ifdef SG_REDUCE
  uint t = gl_SubgroupInvocationID;
  uint r = group_index() * gl_NumSubgroups + gl_SubgroupID;
#else
  uint t = lt % TPR;                                // thread within its row
  uint r = group_index() * (WG_SIZE / TPR) + lt / TPR;
#endif
  // no early return: every thread must reach the barriers below
  bool valid = r < p.n_rows;

  float acc[NM];
  for (uint m = 0; m < NM; m++)
    acc[m] = 0.0;

#ifdef W_QUANT
  // The TPR threads of a row read consecutive 16-byte groups of values
  // (16 int8 = half a Q8_0 block, or 32 nibbles = one Q4_0 block), so
  // neighbouring threads read neighbouring memory, one fetch each.
#if defined(W_Q8_0)
  const uint GROUP_ELEMS = 16u;
#else
  const uint GROUP_ELEMS = 32u;
#endif
  uint groups = valid ? p.K / GROUP_ELEMS : 0u;
  uint gbase = r * (W_ROW_VALUE_BYTES / 16u);
  for (uint g = t; g < groups; g += TPR)
    {
      uvec4 q4 = w_word4(gbase + g);
      uint k0 = g * GROUP_ELEMS;
      float d = w_scale(r, k0 / W_QK);
      for (uint m = 0; m < NM; m++)
        {
          float s = 0.0;
          for (uint i = 0u; i < 4u; i++)
            {
              uint q = q4[i];
#if defined(W_Q8_0)
              uint xi = (p.m0 + m) * p.K + k0 + 4u * i;
              vec4 lv = vec4(bitfieldExtract(int(q), 0, 8), bitfieldExtract(int(q), 8, 8),
                             bitfieldExtract(int(q), 16, 8), bitfieldExtract(int(q), 24, 8));
              s += dot(vec4(x[xi], x[xi + 1u], x[xi + 2u], x[xi + 3u]), lv);
#else
              uint xi = (p.m0 + m) * p.K + k0 + 4u * i;
              vec4 lo = vec4(int(q & 15u), int((q >> 8) & 15u), int((q >> 16) & 15u), int((q >> 24) & 15u)) - 8.0;
              vec4 up = vec4(int((q >> 4) & 15u), int((q >> 12) & 15u), int((q >> 20) & 15u), int(q >> 28)) - 8.0;
              s += dot(vec4(x[xi], x[xi + 1u], x[xi + 2u], x[xi + 3u]), lo) +
                   dot(vec4(x[xi + 16u], x[xi + 17u], x[xi + 18u], x[xi + 19u]), up);
#endif
            }
          acc[m] += s * d;
        }
    }
#else
  uint wbase = r * p.K;
  uint kend = valid ? p.K : 0u;
  for (uint k = t; k < kend; k += TPR)
    {
      float wv = load_w(wbase + k);
      for (uint m = 0; m < NM; m++)
        acc[m] += x[(p.m0 + m) * p.K + k] * wv;
    }
#endif
#ifdef SG_REDUCE
  for (uint m = 0; m < NM; m++)
    acc[m] = subgroupAdd(acc[m]);
  if (valid && t == 0u)
    {
      float b = p.has_bias != 0u ? bias[p.row0 + r] : 0.0;
      for (uint m = 0; m < NM; m++)
        y[(p.m0 + m) * p.N + p.row0 + r] = acc[m] + b;
    }
#else
  for (uint m = 0; m < NM; m++)
    partial[m][lt] = acc[m];
  barrier();
  for (uint s = TPR / 2; s > 0; s >>= 1)
    {
      if (t < s)
        for (uint m = 0; m < NM; m++)
          partial[m][lt] += partial[m][lt + s];
      barrier();
    }
  if (valid && t == 0u)
    {
      float b = p.has_bias != 0u ? bias[p.row0 + r] : 0.0;
      for (uint m = 0; m < NM; m++)
        y[(p.m0 + m) * p.N + p.row0 + r] = partial[m][lt] + b;
    }
#endif
}
#endif
