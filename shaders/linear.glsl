// Shared by the linear-layer shaders (matvec.comp, matmul.comp): the push
// constants, the bindings of x, bias and y, and the epilogue that stores
// an output element. Mirrored in C by LinearPush (engine/ops/rg-ops-linear.c).
#ifndef REGARD_LINEAR_GLSL
#define REGARD_LINEAR_GLSL

#define LINEAR_BIAS 1u        // y += bias[row]
#define LINEAR_ACCUMULATE 2u  // y += W x: a residual added in place
#define LINEAR_NORM 4u        // x is RMSNorm(x) * gain (matvec with subgroups only)
#define LINEAR_GATE_SILU 8u   // y = silu(gate) * (W x): a SwiGLU's up projection

#include "activations.glsl"

layout(binding = 0) readonly buffer X { float x[]; };
layout(binding = 2) readonly buffer Bias { float bias[]; };
layout(binding = 3) buffer Y { float y[]; };
layout(binding = 4) readonly buffer NormGain { float norm_gain[]; };
layout(binding = 5) readonly buffer Gate { float gate[]; };   // laid out like y

layout(push_constant) uniform Push
{
  uint M;          // rows of x
  uint N;          // row stride of y (all output features)
  uint K;          // input features
  uint n_rows;     // weight rows in this chunk
  uint row0;       // first output feature of this chunk
  uint flags;      // LINEAR_*
  uint tiles_n;    // matmul.comp: tiles along the chunk's rows
  uint m0;         // matvec.comp: first row of x and y (a slice of a longer batch)
  uint y_offset;   // elements of y before its first row (a KV-cache slot)
  float norm_eps;  // LINEAR_NORM
} p;

// y[m, row0 + r] = V (+ bias, times silu(gate), + the element's previous value)
void store_y(uint m, uint r, float v)
{
  uint i = p.y_offset + m * p.N + p.row0 + r;

  if ((p.flags & LINEAR_BIAS) != 0u)
    v += bias[p.row0 + r];
  if ((p.flags & LINEAR_GATE_SILU) != 0u)
    v = silu(gate[i]) * v;
  if ((p.flags & LINEAR_ACCUMULATE) != 0u)
    v += y[i];
  y[i] = v;
}

#endif
