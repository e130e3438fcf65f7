#version 450
// In-place rotate_half RoPE on q [L, n_heads, head_dim] and, in the same
// dispatch, the new rows of a KV cache: k [L, k_heads, head_dim] rotated
// and v [L, k_heads, head_dim] copied into the caches at element
// cache_offset, as f32 or (kv_f16) as packed halves. One invocation per
// rotated pair (j, j + head_dim/2) of q; per pair of k and element of v
// for an f32 cache; per two pairs (j, j + 1) of k and two elements of v for
// an f16 cache, so each 32-bit word of the cache is written whole by one
// invocation (no 16-bit storage needed; head_dim % 4 == 0). cos/sin come
// from a host-made table [n_positions, head_dim] (cos in the first half,
// sin in the second) so the GPU's loose sin/cos never enter.
#include "common.glsl"

layout(binding = 0) buffer Q { float q[]; };
layout(binding = 1) readonly buffer T { float cs[]; };
layout(binding = 2) readonly buffer K { float k[]; };
layout(binding = 3) readonly buffer V { float v[]; };
// f32 bits or two halves per word
layout(binding = 4) writeonly buffer KC { uint k_cache[]; };
layout(binding = 5) writeonly buffer VC { uint v_cache[]; };

layout(push_constant) uniform Push
{
  uint L;
  uint n_heads;
  uint head_dim;
  uint pos0;
  uint k_heads;       // 0: no k and v
  uint cache_offset;  // elements of the caches before the first new row
  uint kv_f16;        // 1: the caches hold halves
} p;

// The rotated pair (x0, x1) at J of a row at position pos0 + ROW.
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
  uint per = p.kv_f16 != 0u ? 2u : 1u;
  uint kv = p.L * p.k_heads * p.head_dim;   // elements of the new k (and v) rows
  uint k_units = kv / 2u / per;

  if (i < q_pairs)
    {
      uint j = i % half_d;
      uint rh = i / half_d;          // row * n_heads + head
      uint base = rh * p.head_dim;
      vec2 y = rotate(q[base + j], q[base + j + half_d], rh / p.n_heads, j);
      q[base + j] = y.x;
      q[base + j + half_d] = y.y;
    }
  else if (i - q_pairs < k_units)
    {
      uint ik = (i - q_pairs) * per;  // the first pair
      uint j = ik % half_d;
      uint rh = ik / half_d;         // row * k_heads + head
      uint base = rh * p.head_dim;
      vec2 y = rotate(k[base + j], k[base + j + half_d], rh / p.k_heads, j);
      uint o = p.cache_offset + base + j;
      if (p.kv_f16 != 0u)
        {
          vec2 y1 = rotate(k[base + j + 1u], k[base + j + 1u + half_d], rh / p.k_heads, j + 1u);
          k_cache[o / 2u] = packHalf2x16(vec2(y.x, y1.x));
          k_cache[(o + half_d) / 2u] = packHalf2x16(vec2(y.y, y1.y));
        }
      else
        {
          k_cache[o] = floatBitsToUint(y.x);
          k_cache[o + half_d] = floatBitsToUint(y.y);
        }
    }
  else if ((i - q_pairs - k_units) * per < kv)
    {
      uint e = (i - q_pairs - k_units) * per;
      if (p.kv_f16 != 0u)
        v_cache[(p.cache_offset + e) / 2u] = packHalf2x16(vec2(v[e], v[e + 1u]));
      else
        v_cache[p.cache_offset + e] = floatBitsToUint(v[e]);
    }
}
