#version 450
// Row normalizations on f32, one workgroup per row: LAYERNORM (nn.LayerNorm,
// optional bias) and RMSNORM (HF RMSNorm). Statistics are f32 tree
// reductions in shared memory (no subgroup ops: any device, any WG_SIZE).
// x at binding 0, gain at 1, bias at 2 (a dummy when p.has_bias == 0), out at 3.
#include "common.glsl"
#include "reduce.glsl"

layout(binding = 0) readonly buffer X { float x[]; };
layout(binding = 1) readonly buffer W { float w[]; };
layout(binding = 2) readonly buffer B { float b[]; };
layout(binding = 3) buffer O { float o[]; };

layout(push_constant) uniform Push
{
  uint rows;
  uint dim;
  float eps;
  uint has_bias;
} p;

void main()
{
  uint row = group_index();
  // Uniform per workgroup: the whole group leaves before any barrier.
  if (row >= p.rows)
    return;
  uint t = gl_LocalInvocationID.x;
  uint base = row * p.dim;
  float fdim = float(p.dim);

#if defined(LAYERNORM)
  float s = 0.0;
  for (uint i = t; i < p.dim; i += WG_SIZE)
    s += x[base + i];
  float mean = wg_sum(s) / fdim;
  // Two-pass variance mean((x - mean)^2), as torch computes it.
  float ss = 0.0;
  for (uint i = t; i < p.dim; i += WG_SIZE) {
    float d = x[base + i] - mean;
    ss += d * d;
  }
  float var = wg_sum(ss) / fdim;
  // 1/sqrt, not inversesqrt: the latter's precision is looser.
  float inv = 1.0 / sqrt(var + p.eps);
  for (uint i = t; i < p.dim; i += WG_SIZE) {
    float v = (x[base + i] - mean) * inv;
    o[base + i] = v * w[i] + (p.has_bias != 0 ? b[i] : 0.0);
  }
#elif defined(RMSNORM)
  float ss = 0.0;
  for (uint i = t; i < p.dim; i += WG_SIZE) {
    float v = x[base + i];
    ss += v * v;
  }
  float inv = 1.0 / sqrt(wg_sum(ss) / fdim + p.eps);
  for (uint i = t; i < p.dim; i += WG_SIZE) {
    // Normalized value rounded to f32 before the gain multiply (P8);
    // precise keeps the two products from fusing into one fma.
    precise float v = x[base + i] * inv;
    precise float y = w[i] * v;
    o[base + i] = y;
  }
#else
#error "norm.comp: define LAYERNORM or RMSNORM"
#endif
}
