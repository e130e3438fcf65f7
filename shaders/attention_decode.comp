#version 450
// attention_decode.comp: attention of one query (decode) on CPU devices
// (bindings, push constants and split-K partials: attention.glsl): a workgroup is one subgroup owning a
// kv head and a range of keys (split); its lanes split the head dim (lane t
// owns vec4s t, t + SG, ...), so K and V rows are read once, as whole
// vec4s, for all G query heads of the group, scores are summed across the
// lanes with subgroupAdd, and every lane keeps the same running max and sum.
// Here spec constant 1 is G (query heads per kv head) and 2 is DS (vec4s
// per lane). Writes O directly (one split) or the partials attention_combine.comp
// merges.
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#extension GL_EXT_control_flow_attributes : require

#include "attention.glsl"

#define GQ BQ
#define DS BK

#ifdef KV_TEXEL
// K and V through uniform texel buffers (bindings 8, 9): on CPU devices a
// 16-byte texel fetch costs what one storage read per lane does. An f16
// cache's texel holds 8 halves: a lane takes the half it owns.
layout(binding = 8) uniform usamplerBuffer k_texels;
layout(binding = 9) uniform usamplerBuffer v_texels;
vec4 load4(uint which, uint i)   // i: an element index, a multiple of 4
{
#ifdef KV_F16
  uvec4 w = which == 0u ? texelFetch(k_texels, int(i >> 3)) : texelFetch(v_texels, int(i >> 3));
  uvec2 h = (i & 4u) != 0u ? w.zw : w.xy;
  return vec4(unpackHalf2x16(h.x), unpackHalf2x16(h.y));
#else
  return uintBitsToFloat(which == 0u ? texelFetch(k_texels, int(i >> 2)) : texelFetch(v_texels, int(i >> 2)));
#endif
}
#elif defined(KV_F16)
vec4 load4(uint which, uint i)   // i: an element index, a multiple of 4
{
  uint w = i >> 1;
  uvec2 h = which == 0u ? uvec2(k[w], k[w + 1u]) : uvec2(v[w], v[w + 1u]);
  return vec4(unpackHalf2x16(h.x), unpackHalf2x16(h.y));
}
#else
vec4 load4(uint which, uint i)   // i: an element index, a multiple of 4
{
  return which == 0u ? vec4(k[i], k[i + 1u], k[i + 2u], k[i + 3u]) : vec4(v[i], v[i + 1u], v[i + 2u], v[i + 3u]);
}
#endif

void main()
{
  uint t = gl_SubgroupInvocationID;
  uint kvh = gl_WorkGroupID.x % p.n_kv_heads;
  uint split = gl_WorkGroupID.x / p.n_kv_heads;
  uint hd4 = HD / 4u;
  // keys this query sees: causal (up to its position) and the window
  uint q_pos = p.q_pos0;
  uint j_end = p.causal != 0u ? min(p.n_kv, q_pos + 1u) : p.n_kv;
  uint j_begin = (p.window != 0u && q_pos + 1u > p.window) ? q_pos + 1u - p.window : 0u;
  uint s0 = split * p.split_len;
  j_begin = max(j_begin, s0);
  j_end = min(j_end, s0 + p.split_len);

  vec4 qv[GQ][DS];
  vec4 acc[GQ][DS];
  float m[GQ], l[GQ];
  [[unroll]] for (uint g = 0u; g < GQ; g++)
    {
      uint h = kvh * GQ + g;
      m[g] = NEG_INF;
      l[g] = 0.0;
      [[unroll]] for (uint u = 0u; u < DS; u++)
        {
          uint c = t + gl_SubgroupSize * u;
          uint i = h * HD + 4u * c;
          qv[g][u] = c < hd4 ? vec4(q[i], q[i + 1u], q[i + 2u], q[i + 3u]) * p.scale : vec4(0.0);
          acc[g][u] = vec4(0.0);
        }
    }
  for (uint j = j_begin; j < j_end; j++)
    {
      vec4 kx[DS], vx[DS];
      [[unroll]] for (uint u = 0u; u < DS; u++)
        {
          uint c = t + gl_SubgroupSize * u;
          uint i = (j * p.n_kv_heads + kvh) * HD + 4u * c;
          kx[u] = c < hd4 ? load4(0u, i) : vec4(0.0);
          vx[u] = c < hd4 ? load4(1u, i) : vec4(0.0);
        }
      [[unroll]] for (uint g = 0u; g < GQ; g++)
        {
          float part = 0.0;
          [[unroll]] for (uint u = 0u; u < DS; u++)
            part += dot(qv[g][u], kx[u]);
          float sc = subgroupAdd(part);
          float m_new = max(m[g], sc);
          float corr = exp(m[g] - m_new);   // 0 for the first key (m = -inf)
          float pe = exp(sc - m_new);
          l[g] = l[g] * corr + pe;
          m[g] = m_new;
          [[unroll]] for (uint u = 0u; u < DS; u++)
            acc[g][u] = acc[g][u] * corr + pe * vx[u];
        }
    }
  uint n_rows_all = p.n_q * p.n_heads;
  [[unroll]] for (uint g = 0u; g < GQ; g++)
    {
      uint h = kvh * GQ + g;
      float inv_l = l[g] > 0.0 ? 1.0 / l[g] : 0.0;
      [[unroll]] for (uint u = 0u; u < DS; u++)
        {
          uint c = t + gl_SubgroupSize * u;
          if (c >= hd4)
            continue;
          [[unroll]] for (uint x = 0u; x < 4u; x++)
            {
              uint d = 4u * c + x;
              if (p.n_split == 1u)
                o[h * HD + d] = acc[g][u][x] * inv_l;
              else
                part_o[split * n_rows_all * HD + h * HD + d] = acc[g][u][x];
            }
        }
      if (p.n_split > 1u && t == 0u)
        {
          part_ml[(split * n_rows_all + h) * 2u] = m[g];
          part_ml[(split * n_rows_all + h) * 2u + 1u] = l[g];
        }
    }
}
