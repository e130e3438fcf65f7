#version 450
// Element-wise ops on f32; one variant per op (OP_ADD, OP_GELU_TANH,
// OP_GELU (erf), OP_QUICK_GELU, OP_RELU, OP_SWIGLU, OP_COPY). Inputs at binding 0 (and 1), output at 2.
#include "common.glsl"

layout(binding = 0) readonly buffer A { float a[]; };
layout(binding = 1) readonly buffer B { float b[]; };
layout(binding = 2) buffer O { float o[]; };

layout(push_constant) uniform Push
{
  uint n;
  uint dst_offset;
  uint src_offset;
  float s;
} p;

#include "activations.glsl"

// tanh through exp: GLSL's tanh has no precision guarantee, exp does.
float tanh_exact(float x)
{
  float e = exp(-2.0 * abs(x));
  float t = (1.0 - e) / (1.0 + e);
  return x < 0.0 ? -t : t;
}

// erf (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7): GLSL has none.
float erf_approx(float x)
{
  float ax = abs(x);
  float t = 1.0 / (1.0 + 0.3275911 * ax);
  float y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t
                    - 0.284496736) * t + 0.254829592) * t * exp(-ax * ax);
  return x < 0.0 ? -y : y;
}

void main()
{
  uint i = global_index();
  if (i >= p.n)
    return;
#if defined(OP_ADD)
  o[i] = a[i] + b[i];
#elif defined(OP_GELU_TANH)
  float x = a[i];
  // torch: 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3)))
  float inner = 0.7978845608028654 * (x + 0.044715 * x * x * x);
  o[i] = 0.5 * x * (1.0 + tanh_exact(inner));
#elif defined(OP_GELU)
  float x = a[i];
  o[i] = 0.5 * x * (1.0 + erf_approx(x * 0.7071067811865476));
#elif defined(OP_QUICK_GELU)
  float x = a[i];
  o[i] = x / (1.0 + exp(-1.702 * x));
#elif defined(OP_RELU)
  o[i] = max(a[i], 0.0);
#elif defined(OP_SWIGLU)
  o[i] = silu(a[i]) * b[i];
#elif defined(OP_COPY)
  o[p.dst_offset + i] = a[p.src_offset + i];
#else
#error "eltwise.comp: no OP_* defined"
#endif
}
