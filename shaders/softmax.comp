#version 450
// Row softmax on f32, one workgroup per row: max, sum of exp(x - max), then
// exp(x - max) / sum, as rg_ref_softmax. x at binding 0, out at 1 (may be
// the same buffer: each invocation rewrites only elements it read).
#include "common.glsl"
#include "reduce.glsl"

layout(binding = 0) readonly buffer X { float x[]; };
layout(binding = 1) buffer O { float o[]; };

layout(push_constant) uniform Push
{
  uint rows;
  uint n;
} p;

void main()
{
  uint row = group_index();
  // Uniform per workgroup: the whole group leaves before any barrier.
  if (row >= p.rows)
    return;
  uint t = gl_LocalInvocationID.x;
  uint base = row * p.n;

  float m = -1.0 / 0.0;
  for (uint i = t; i < p.n; i += WG_SIZE)
    m = max(m, x[base + i]);
  m = wg_max(m);
  float s = 0.0;
  for (uint i = t; i < p.n; i += WG_SIZE)
    s += exp(x[base + i] - m);
  float inv = 1.0 / wg_sum(s);
  for (uint i = t; i < p.n; i += WG_SIZE)
    o[base + i] = exp(x[base + i] - m) * inv;
}
