#version 450
// Patches of a [C, H, W] image as rows: out[pr * gw + pc, (c*P + ky)*P + kx]
// = pixels[c, pr*P + ky, pc*P + kx]; with the conv kernel flattened to
// [V, C*P*P] the "valid" stride-P convolution becomes one matmul.
#include "common.glsl"

layout(binding = 0) readonly buffer Px { float px[]; };
layout(binding = 1) writeonly buffer O { float o[]; };

layout(push_constant) uniform Push
{
  uint C, H, W, P;
  uint gh, gw;     // patch grid
} p;

void main()
{
  uint e = global_index();
  uint kdim = p.C * p.P * p.P;
  if (e >= p.gh * p.gw * kdim)
    return;
  uint pidx = e / kdim, k = e % kdim;
  uint pr = pidx / p.gw, pc = pidx % p.gw;
  uint c = k / (p.P * p.P), r = k % (p.P * p.P);
  uint ky = r / p.P, kx = r % p.P;
  o[e] = px[(c * p.H + pr * p.P + ky) * p.W + pc * p.P + kx];
}
