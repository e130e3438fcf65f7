#version 450
// A tanh-gated residual (IDEFICS1's gated cross-attention blocks):
// out[r, c] += tanh(alpha[n_alpha == 1 ? 0 : c]) * x[r, c] for rows whose
// index is >= 0 (or every row without an index buffer). Rows left out are
// not touched at all: a select, never a multiply by 0 (a NaN stays out).
// x at binding 0, alpha at 1, row index (int32) at 2, out at 3.
#include "common.glsl"

layout(binding = 0) readonly buffer X { float x[]; };
layout(binding = 1) readonly buffer A { float alpha[]; };
layout(binding = 2) readonly buffer I { int row_index[]; };
layout(binding = 3) buffer O { float o[]; };

layout(push_constant) uniform Push
{
  uint rows;
  uint cols;
  uint n_alpha;
  uint has_index;
} p;

// tanh through exp: GLSL's tanh has no precision guarantee, exp does.
float tanh_exact(float v)
{
  float e = exp(-2.0 * abs(v));
  float t = (1.0 - e) / (1.0 + e);
  return v < 0.0 ? -t : t;
}

void main()
{
  uint e = global_index();
  if (e >= p.rows * p.cols)
    return;
  uint r = e / p.cols, c = e % p.cols;
  if (p.has_index != 0u && row_index[r] < 0)
    return;
  o[e] += tanh_exact(alpha[p.n_alpha == 1u ? 0u : c]) * x[e];
}
