#version 450
// IDEFICS3's pixel shuffle: the patch grid src [gh * gw, D] -> dst
// [(gh/s) * (gw/s), s * s * D], each output row the s x s block of patches
// read row by row, each patch's D channels contiguous. One invocation per
// output element (a gather: writes are contiguous).
#include "common.glsl"

layout(binding = 0) readonly buffer Src { float src[]; };
layout(binding = 1) writeonly buffer Dst { float dst[]; };

layout(push_constant) uniform Push
{
  uint gh;
  uint gw;
  uint D;
  uint s;
} p;

void main()
{
  uint e = global_index();
  if (e >= p.gh * p.gw * p.D)
    return;
  uint row_len = p.s * p.s * p.D;
  uint u = e / row_len, c = e % row_len;
  uint ow = p.gw / p.s;
  uint y = (u / ow) * p.s + c / (p.s * p.D);
  uint x = (u % ow) * p.s + (c / p.D) % p.s;
  dst[e] = src[(y * p.gw + x) * p.D + c % p.D];
}
