// Shared helpers for every compute shader.
#ifndef REGARD_COMMON_GLSL
#define REGARD_COMMON_GLSL

// Workgroup size, set by the host through specialization constant 0.
// Shaders use WG_SIZE, never gl_WorkGroupSize: spirv-opt (shaderc 2023.2)
// folds gl_WorkGroupSize to the default of 1 when local_size_x_id is used.
layout(constant_id = 0) const uint WG_SIZE = 64;
layout(local_size_x_id = 0) in;

// Linear invocation index over a 2-D dispatch grid: large element counts
// exceed maxComputeWorkGroupCount[0] (65535 on many devices), so the host
// spreads groups over x and y.
uint global_index()
{
  return (gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x) * WG_SIZE
       + gl_LocalInvocationID.x;
}

uint group_index()
{
  return gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
}

#endif
