#version 450
// dst[rows[i], :] = src[i, :]: places image features at the <image> rows.
#include "common.glsl"

layout(binding = 0) readonly buffer Src { float src[]; };
layout(binding = 1) readonly buffer Rows { int rows[]; };
layout(binding = 2) buffer Dst { float dst[]; };

layout(push_constant) uniform Push
{
  uint n;
  uint dim;
} p;

void main()
{
  uint e = global_index();
  if (e >= p.n * p.dim)
    return;
  uint i = e / p.dim, d = e % p.dim;
  dst[uint(rows[i]) * p.dim + d] = src[e];
}
