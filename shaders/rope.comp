#version 450
// In-place rotate_half RoPE on q [L, n_heads, head_dim] and, in the same
// dispatch, on k [L, k_heads, head_dim] starting k_offset elements into its
// buffer (the new rows of a KV cache), one invocation per rotated pair
// (j, j + head_dim/2). cos/sin come from a host-made table
// [n_positions, head_dim] (cos in the first half, sin in the second) so the
// GPU's loose sin/cos never enter.
#include "common.glsl"

layout(binding = 0) buffer Q { float q[]; };
layout(binding = 1) readonly buffer T { float cs[]; };
layout(binding = 2) buffer K { float k[]; };

layout(push_constant) uniform Push
{
  uint L;
  uint n_heads;
  uint head_dim;
  uint pos0;
  uint k_heads;    // 0: no k
  uint k_offset;
} p;

// The rotated pair of V at BASE + j, BASE + j + half_d, by the angles of ROW.
vec2 rotate(float x0, float x1, uint row, uint j)
{
  uint half_d = p.head_dim / 2;
  uint tbase = (p.pos0 + row) * p.head_dim;
  float c = cs[tbase + j];
  float s = cs[tbase + half_d + j];
  // precise: no fma contraction, so the result matches the C reference
  // x0*c - x1*s rounded product by product.
  precise float a0 = x0 * c;
  precise float b0 = x1 * s;
  precise float a1 = x1 * c;
  precise float b1 = x0 * s;
  precise float y0 = a0 - b0;
  precise float y1 = a1 + b1;
  return vec2(y0, y1);
}

void main()
{
  uint half_d = p.head_dim / 2;
  uint i = global_index();
  uint q_pairs = p.L * p.n_heads * half_d;

  if (i < q_pairs)
    {
      uint j = i % half_d;
      uint rh = i / half_d;          // row * n_heads + head
      uint base = rh * p.head_dim;
      vec2 y = rotate(q[base + j], q[base + j + half_d], rh / p.n_heads, j);
      q[base + j] = y.x;
      q[base + j + half_d] = y.y;
    }
  else if (i - q_pairs < p.L * p.k_heads * half_d)
    {
      uint ik = i - q_pairs;
      uint j = ik % half_d;
      uint rh = ik / half_d;         // row * k_heads + head
      uint base = p.k_offset + rh * p.head_dim;
      vec2 y = rotate(k[base + j], k[base + j + half_d], rh / p.k_heads, j);
      k[base + j] = y.x;
      k[base + j + half_d] = y.y;
    }
}
