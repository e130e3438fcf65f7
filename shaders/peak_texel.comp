#version 450
// peak_texel.comp: how fast the device reads a uniform texel buffer (the
// way weights reach the mat-vecs on CPU devices), for `regard-cli bench
// ops`: the ceiling of a bandwidth-bound decode there. Invocation i of N
// reads texels i, i + N, i + 2N, ... (neighbouring lanes read neighbouring
// texels, as the mat-vecs do), 8 fetches issued before they are combined,
// and stores the xor of every word it read, so no fetch can be dropped.
#include "common.glsl"
#extension GL_EXT_control_flow_attributes : require

layout(binding = 0) buffer O { uint o[]; };
layout(binding = 8) uniform usamplerBuffer src;

layout(push_constant) uniform Push
{
  uint n_texels;      // a multiple of 8 * invocations
  uint invocations;
  uint pad0;
  uint pad1;
} p;

void main()
{
  uint i = global_index();
  uint n = p.invocations;
  uvec4 acc = uvec4(0u);

  if (i >= n)
    return;
  for (uint t = i; t < p.n_texels; t += 8u * n)
    {
      uvec4 q[8];
      [[unroll]] for (uint k = 0u; k < 8u; k++)
        q[k] = texelFetch(src, int(t + k * n));
      [[unroll]] for (uint k = 0u; k < 8u; k++)
        acc ^= q[k];
    }
  o[i] = acc.x ^ acc.y ^ acc.z ^ acc.w;
}
