#version 450
// peak_fma.comp: the device's f32 FMA rate, for `regard-cli bench ops`:
// the ceiling that the matmul and attention GFLOP/s are read against.
// Each invocation runs 8 independent vec4 FMA chains (enough to hide the
// FMA latency behind throughput) for p.iters rounds and stores their sum,
// so the compiler can drop none of them. The loop stays far below
// lavapipe's 65535-iteration cap.
#include "common.glsl"
#extension GL_EXT_control_flow_attributes : require

layout(binding = 0) buffer O { float o[]; };

layout(push_constant) uniform Push
{
  uint iters;
  float mul;   // |mul| < 1 and a small add: the chains neither overflow nor go subnormal
  float add;
  uint pad;
} p;

void main()
{
  uint i = global_index();
  vec4 acc[8];
  vec4 m = vec4(p.mul), a = vec4(p.add);

  [[unroll]] for (uint c = 0u; c < 8u; c++)
    acc[c] = vec4(float(i & 255u) + float(c), 1.0, 2.0, 3.0);
  for (uint it = 0u; it < p.iters; it++)
    [[unroll]] for (uint c = 0u; c < 8u; c++)
      acc[c] = fma(acc[c], m, a);
  vec4 s = vec4(0.0);
  [[unroll]] for (uint c = 0u; c < 8u; c++)
    s += acc[c];
  o[i] = (s.x + s.y) + (s.z + s.w);
}
