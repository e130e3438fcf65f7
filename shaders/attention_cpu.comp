#version 450
// attention_cpu.comp: attention over many queries on CPU devices (lavapipe;
// bindings, push constants and split-K partials: attention.glsl).
//
// On llvmpipe an invocation is a SIMD lane and every memory access is a
// loop over the lanes, so the lanes here work on DIFFERENT keys and every
// access is useful: a workgroup is one subgroup owning NQ rows of one kv
// head (row rr = i * G + g is query i of q head kvh * G + g, as in
// attention.comp, so the heads of a GQA group share each K/V fetch) and a
// key range (split). Each lane keeps q of the NQ rows (pre-scaled), its
// own running max and sum per row and an unnormalized output accumulator
// per row in registers (every loop over them [[unroll]]ed: lavapipe keeps
// other local arrays in memory), and walks keys 4 at a time: keys
// j0 + u * S + lane (u < 4). Per step: the 4 key rows fetched back to
// back (as texels), NQ x 4 scores, the
// online softmax once per step (no branch: the rescale of a row's
// accumulator rides on its P V update), then the 4 value rows fetched and
// accumulated. At the end the lanes are merged once: subgroupMax of the
// max, each lane's sum and accumulator rescaled to it, subgroupAdd.
//
// Spec constants: 0 WG_SIZE (= the subgroup size: one subgroup per
// workgroup), 1 BQ = NQ (rows per workgroup), 2 BK = flags (1: key mask,
// 2: causal), 3 HD (a multiple of 4). A lane's 4 keys of a step are the
// lanes of vec4s, so no local array is indexed by a key (llvmpipe compiles
// those very slowly). Compiling is still slow for big NQ x HD (~20 s for 8
// x 72 on a loaded 2-core machine): the host keeps NQ x HD <= 576.
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#extension GL_EXT_control_flow_attributes : require

#include "attention.glsl"

#define NQ BQ
const uint HD4 = HD / 4u;
// Spec constant 2: what the host knows per dispatch, so that llvmpipe
// compiles no code for a mask or causality the dispatch does not have.
const bool KEY_MASK = (BK & 1u) != 0u;   // = p.has_mask
const bool CAUSAL = (BK & 2u) != 0u;     // = p.causal

#ifndef KV_TEXEL
// Through storage buffers, llvmpipe took minutes to compile this shader
// (a bounds-checked loop over the lanes per load, ~150 loads per step):
// without texels the host takes attention.comp.
#error "attention_cpu.comp reads q, K and V as texels"
#endif
// q, K and V through uniform texel buffers (bindings 8, 9, 10): on CPU
// devices a 16-byte texel fetch costs what one storage read per lane does.
layout(binding = 8) uniform usamplerBuffer k_texels;
layout(binding = 9) uniform usamplerBuffer v_texels;
layout(binding = 10) uniform usamplerBuffer q_texels;
// i: a float index, a multiple of 4
vec4 load_k4(uint i) { return uintBitsToFloat(texelFetch(k_texels, int(i >> 2))); }
vec4 load_v4(uint i) { return uintBitsToFloat(texelFetch(v_texels, int(i >> 2))); }
vec4 load_q4(uint i) { return uintBitsToFloat(texelFetch(q_texels, int(i >> 2))); }

void main()
{
  uint wg = group_index();
  if (wg >= p.n_blocks * p.n_kv_heads * p.n_split)
    return;
  uint t = gl_SubgroupInvocationID;
  uint S = gl_SubgroupSize;
  uint split = wg / (p.n_blocks * p.n_kv_heads);
  uint kvh = (wg / p.n_blocks) % p.n_kv_heads;
  uint r0 = (wg % p.n_blocks) * NQ;
  uint r_end = min(r0 + NQ, p.n_rows);

  // Keys any row of this block may see: causal rows stop at their own
  // position, windowed rows start window - 1 before it.
  uint j_begin = 0u;
  uint j_end = p.n_kv;
  if (CAUSAL) {
    uint pos_lo = p.q_pos0 + r0 / p.group;
    uint pos_hi = p.q_pos0 + (r_end - 1u) / p.group;
    j_end = min(j_end, pos_hi + 1u);
    if (p.window != 0u && pos_lo >= p.window)
      j_begin = pos_lo - p.window + 1u;
  }
  j_begin = max(j_begin, split * p.split_len);
  if (p.n_split > 1u)
    j_end = min(j_end, (split + 1u) * p.split_len);

  // The rows: q (rows past the end repeat the last row and write
  // nothing), the keys each may see ([lo, hi], causal), running max and
  // sum, accumulator.
  vec4 qv[NQ][HD4];
  vec4 acc[NQ][HD4];
  float m[NQ], l[NQ];
  uint lo[NQ], hi[NQ];
  [[unroll]] for (uint n = 0u; n < NQ; n++) {
    uint rr = min(r0 + n, r_end - 1u);
    uint i = rr / p.group;
    uint h = kvh * p.group + rr % p.group;
    uint pos = p.q_pos0 + i;
    lo[n] = 0u;
    hi[n] = 0xffffffffu;
    if (CAUSAL) {
      hi[n] = pos;
      if (p.window != 0u && pos >= p.window)
        lo[n] = pos - p.window + 1u;
    }
    [[unroll]] for (uint d = 0u; d < HD4; d++) {
      qv[n][d] = load_q4((i * p.n_heads + h) * HD + 4u * d) * p.scale;
      acc[n][d] = vec4(0.0);
    }
    m[n] = NEG_INF;
    l[n] = 0.0;
  }

  uint kv_stride = p.n_kv_heads * HD;
  for (uint j0 = j_begin; j0 < j_end; j0 += S * 4u) {
    uvec4 j4 = uvec4(j0 + t) + uvec4(0u, S, 2u * S, 3u * S);
    bvec4 in_range = lessThan(j4, uvec4(j_end));
    // keys past the range read the range's last row (finite), weighted 0
    uvec4 jc = min(j4, uvec4(j_end - 1u));
    uvec4 base = jc * kv_stride + kvh * HD;
    bvec4 key_vis = in_range;
    if (KEY_MASK)
      key_vis = bvec4(uvec4(key_vis) & uvec4(notEqual(uvec4(key_mask[jc.x], key_mask[jc.y], key_mask[jc.z],
                                                               key_mask[jc.w]), uvec4(0u))));

    // scores of the 4 keys for every row: the key rows' fetches first, so
    // that their cache misses overlap
    vec4 k0[HD4], k1[HD4], k2[HD4], k3[HD4];
    [[unroll]] for (uint d = 0u; d < HD4; d++) {
      k0[d] = load_k4(base.x + 4u * d);
      k1[d] = load_k4(base.y + 4u * d);
      k2[d] = load_k4(base.z + 4u * d);
      k3[d] = load_k4(base.w + 4u * d);
    }
    vec4 p4[NQ];
    float alpha[NQ];
    [[unroll]] for (uint n = 0u; n < NQ; n++) {
      // four independent sums per key: one chain of HD fma would wait on latency
      vec4 s = vec4(0.0);
      [[unroll]] for (uint d = 0u; d < HD4; d++) {
        vec4 qd = qv[n][d];
        s += vec4(dot(qd, k0[d]), dot(qd, k1[d]), dot(qd, k2[d]), dot(qd, k3[d]));
      }
      bvec4 vis = key_vis;
      if (CAUSAL)
        vis = bvec4(uvec4(vis) & uvec4(greaterThanEqual(j4, uvec4(lo[n]))) & uvec4(lessThanEqual(j4, uvec4(hi[n]))));
      s = mix(vec4(NEG_INF), s, vis);
      float m_new = max(m[n], max(max(s.x, s.y), max(s.z, s.w)));
      // No branch: the rescale by exp(old max - new max) (1 mostly) rides
      // on the P V update; a row that has seen nothing has nothing to
      // rescale (and -inf - -inf would be NaN), its p stays 0.
      alpha[n] = m_new == NEG_INF ? 1.0 : exp(m[n] - m_new);
      m[n] = m_new;
      // exp(-inf) spelled out: hidden keys contribute exactly 0
      p4[n] = mix(vec4(0.0), exp(s - m_new), vis);
      l[n] = l[n] * alpha[n] + ((p4[n].x + p4[n].y) + (p4[n].z + p4[n].w));
    }

    // O += P V, a texel of the 4 value rows at a time, each serving all
    // rows while in registers; masked keys' values are zeros, whatever
    // the buffer holds (0 x NaN would not be 0)
    [[unroll]] for (uint d = 0u; d < HD4; d++) {
      vec4 v0 = load_v4(base.x + 4u * d);
      vec4 v1 = load_v4(base.y + 4u * d);
      vec4 v2 = load_v4(base.z + 4u * d);
      vec4 v3 = load_v4(base.w + 4u * d);
      if (KEY_MASK) {
        v0 = key_vis.x ? v0 : vec4(0.0);
        v1 = key_vis.y ? v1 : vec4(0.0);
        v2 = key_vis.z ? v2 : vec4(0.0);
        v3 = key_vis.w ? v3 : vec4(0.0);
      }
      [[unroll]] for (uint n = 0u; n < NQ; n++)
        acc[n][d] = acc[n][d] * alpha[n] + p4[n].x * v0 + p4[n].y * v1 + p4[n].z * v2 + p4[n].w * v3;
    }
  }

  // Merge the lanes: each lane's sum and accumulator rescaled to the
  // row's max over all lanes (a lane that saw nothing weighs 0).
  uint n_rows_all = p.n_q * p.n_heads;
  [[unroll]] for (uint n = 0u; n < NQ; n++) {
    float mx = subgroupMax(m[n]);
    float alpha = m[n] == NEG_INF ? 0.0 : exp(m[n] - mx);
    float lt = subgroupAdd(l[n] * alpha);
    uint rr = r0 + n;
    uint i = rr / p.group;
    uint h = kvh * p.group + rr % p.group;
    uint row_base = (i * p.n_heads + h) * HD;
    float w = p.n_split == 1u ? (lt > 0.0 ? 1.0 / lt : 0.0) : 1.0;
    [[unroll]] for (uint d = 0u; d < HD4; d++) {
      vec4 a = subgroupAdd(acc[n][d] * alpha) * w;
      if (t == 0u && rr < r_end) {
        [[unroll]] for (uint x = 0u; x < 4u; x++) {
          if (p.n_split == 1u)
            o[row_base + 4u * d + x] = a[x];
          else
            part_o[split * n_rows_all * HD + row_base + 4u * d + x] = a[x];
        }
      }
    }
    if (p.n_split > 1u && t == 0u && rr < r_end) {
      uint pr = split * n_rows_all + i * p.n_heads + h;
      part_ml[pr * 2u] = mx;
      part_ml[pr * 2u + 1u] = lt;
    }
  }
}
