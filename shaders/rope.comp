#version 450
// In-place rotate_half RoPE on x [L, n_heads, head_dim], one invocation per
// rotated pair (k, k + head_dim/2). cos/sin come from a host-made table
// [n_positions, head_dim] (cos in the first half, sin in the second) so the
// GPU's loose sin/cos never enter.
#include "common.glsl"

layout(binding = 0) buffer X { float x[]; };
layout(binding = 1) readonly buffer T { float cs[]; };

layout(push_constant) uniform Push
{
  uint L;
  uint n_heads;
  uint head_dim;
  uint pos0;
} p;

void main()
{
  uint half_d = p.head_dim / 2;
  uint i = global_index();
  if (i >= p.L * p.n_heads * half_d)
    return;
  uint k = i % half_d;
  uint rh = i / half_d;          // row * n_heads + head
  uint row = rh / p.n_heads;
  uint base = rh * p.head_dim;
  uint tbase = (p.pos0 + row) * p.head_dim;
  float c = cs[tbase + k];
  float s = cs[tbase + half_d + k];
  float x0 = x[base + k];
  float x1 = x[base + k + half_d];
  // precise: no fma contraction, so the result matches the C reference
  // x0*c - x1*s rounded product by product.
  precise float a0 = x0 * c;
  precise float b0 = x1 * s;
  precise float a1 = x1 * c;
  precise float b1 = x0 * s;
  precise float y0 = a0 - b0;
  precise float y1 = a1 + b1;
  x[base + k] = y0;
  x[base + k + half_d] = y1;
}
