#version 450
// Element-wise ops on f32; one variant per op (OP_ADD, OP_GELU_TANH,
// OP_SWIGLU, OP_COPY). Inputs at binding 0 (and 1), output at 2.
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
#elif defined(OP_SWIGLU)
  o[i] = silu(a[i]) * b[i];
#elif defined(OP_COPY)
  o[p.dst_offset + i] = a[p.src_offset + i];
#else
#error "eltwise.comp: no OP_* defined"
#endif
}
