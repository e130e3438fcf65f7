#version 450
// Cross-attention to one image per query (IDEFICS1): query i attends only
// the SEQ key rows of image index[i] (no RoPE, no causal mask); a negative
// index gives zeros. One workgroup per (query, head): the keys are taken
// a workgroup-wide tile at a time (one score per invocation), merged with
// an online softmax into per-invocation output dims (d = t, t + WG, ...).
// q at binding 0, k at 1, v at 2, index (int32) at 3, out at 4.
#include "common.glsl"

#define MAX_DIMS_PER_INVOCATION 4

layout(binding = 0) readonly buffer Q { float q[]; };
layout(binding = 1) readonly buffer K { float k[]; };
layout(binding = 2) readonly buffer V { float v[]; };
layout(binding = 3) readonly buffer I { int image_index[]; };
layout(binding = 4) writeonly buffer O { float o[]; };

layout(push_constant) uniform Push
{
  uint n_q;
  uint n_heads;
  uint head_dim;
  uint seq;
  uint n_images;
  float scale;
} p;

shared float scores[WG_SIZE];

void main()
{
  uint g = group_index();
  // Uniform per workgroup: the whole group leaves before any barrier.
  if (g >= p.n_q * p.n_heads)
    return;
  uint i = g / p.n_heads, h = g % p.n_heads;
  uint t = gl_LocalInvocationID.x;
  uint D = p.head_dim, row = p.n_heads * D;
  uint qbase = i * row + h * D;
  int img = image_index[i];

  if (img < 0 || uint(img) >= p.n_images || p.seq == 0u) {
    for (uint d = t; d < D; d += WG_SIZE)
      o[qbase + d] = 0.0;
    return;
  }

  uint key0 = uint(img) * p.seq;
  float m = -3.0e38, l = 0.0;
  float acc[MAX_DIMS_PER_INVOCATION];
  for (uint a = 0; a < MAX_DIMS_PER_INVOCATION; a++)
    acc[a] = 0.0;

  for (uint j0 = 0; j0 < p.seq; j0 += WG_SIZE) {
    uint j = j0 + t;
    float s = -3.0e38;
    if (j < p.seq) {
      uint kb = (key0 + j) * row + h * D;
      float dot = 0.0;
      for (uint d = 0; d < D; d++)
        dot += q[qbase + d] * k[kb + d];
      s = dot * p.scale;
    }
    scores[t] = s;
    barrier();
    uint nj = min(WG_SIZE, p.seq - j0);
    float tm = m;
    for (uint jj = 0; jj < nj; jj++)
      tm = max(tm, scores[jj]);
    float corr = exp(m - tm);
    l *= corr;
    for (uint a = 0; a < MAX_DIMS_PER_INVOCATION; a++)
      acc[a] *= corr;
    for (uint jj = 0; jj < nj; jj++) {
      float e = exp(scores[jj] - tm);
      uint vb = (key0 + j0 + jj) * row + h * D;
      l += e;
      for (uint a = 0; a < MAX_DIMS_PER_INVOCATION; a++) {
        uint d = t + a * WG_SIZE;
        if (d < D)
          acc[a] += e * v[vb + d];
      }
    }
    m = tm;
    barrier();   // scores is rewritten by the next tile
  }
  for (uint a = 0; a < MAX_DIMS_PER_INVOCATION; a++) {
    uint d = t + a * WG_SIZE;
    if (d < D)
      o[qbase + d] = acc[a] / l;
  }
}
