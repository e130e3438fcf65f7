// Shared helpers for every compute shader.
#ifndef REGARD_COMMON_GLSL
#define REGARD_COMMON_GLSL

// Linear invocation index over a 2-D dispatch grid: large element counts
// exceed maxComputeWorkGroupCount[0] (65535 on many devices), so the host
// spreads groups over x and y.
uint global_index()
{
  return (gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x) * gl_WorkGroupSize.x
       + gl_LocalInvocationID.x;
}

uint group_index()
{
  return gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
}

#endif
