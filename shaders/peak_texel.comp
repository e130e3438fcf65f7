#version 450
// peak_texel.comp: how fast the device reads a uniform texel buffer (the
// way weights reach the mat-vecs on CPU devices), for `regard-cli bench
// ops`: the ceiling of a bandwidth-bound decode there. Each workgroup streams its own contiguous share of the buffer (as a
// subgroup streams its weight rows in the mat-vecs), 8 x WG_SIZE texels a
// step: invocation l of the group reads texels l, l + WG_SIZE, ... of
// it, 8 fetches issued before they are combined, and stores the xor of
// every word it read, so no fetch can be dropped.
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
  uint n_groups = p.invocations / WG_SIZE;
  uint group = group_index();
  uint per_group = p.n_texels / n_groups;   // a multiple of 8 * WG_SIZE
  uint base = group * per_group + gl_LocalInvocationID.x;
  uvec4 acc = uvec4(0u);

  if (group >= n_groups)
    return;
  for (uint j = 0u; j < per_group; j += 8u * WG_SIZE)
    {
      uvec4 q[8];
      [[unroll]] for (uint k = 0u; k < 8u; k++)
        q[k] = texelFetch(src, int(base + j + k * WG_SIZE));
      [[unroll]] for (uint k = 0u; k < 8u; k++)
        acc ^= q[k];
    }
  o[global_index()] = acc.x ^ acc.y ^ acc.z ^ acc.w;
}
