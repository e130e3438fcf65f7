#version 450
// Scaled dot-product attention with an online (flash-attention style)
// softmax: no Lq x Lk matrix is ever stored, and no score leaves registers.
//
// A workgroup owns BQ "rows" of one kv head: row rr = i * G + g is query i
// of q head kvh * G + g (G = Hq / Hkv), so the heads sharing a kv head
// share every K/V tile load (GQA), and a decode step (Lq = 1) still fills
// a block with the G heads of its group. Each thread owns rows (or, for a
// wide head dim, a slice of one row) and keeps their q, running max, sum
// and output accumulator in registers: no serial per-row statistics step.
// Per tile of BK keys:
//   1. K, V tiles -> shared (masked keys as zeros), one barrier
//   2. 4 keys at a time: scores q . k (q pre-scaled), masked -> -inf;
//      when a row's max grows, its sum and output are rescaled by
//      exp(old_max - new_max); O += exp(S - max) V
//   3. a barrier before the next tile overwrites shared memory
// Rows split over TPR threads add their partial dot products through
// shared memory first (one more barrier per tile). A row that never sees a
// key keeps sum 0 and writes zeros.
//
// Split-K: with p.n_split > 1 the keys are cut into ranges of p.split_len
// and workgroup (split, kv head, block) writes its unnormalized partial
// (max, sum, O) to scratch; the COMBINE variant merges the splits. This
// gives a decode step (one query) many workgroups, and keeps every
// invocation under llvmpipe's cap of 65535 loop iterations per shader
// invocation (lavapipe silently ends loops past it).
//
// Specialization: 0 WG_SIZE, 1 BQ, 2 BK (a multiple of 4), 3 HD (the head
// dim, so arrays are sized exactly and the d loops have constant bounds);
// threads per row and rows per thread follow from WG_SIZE and BQ.
// Bindings: 0 q [Lq, Hq, HD], 1 k, 2 v [Lk, Hkv, HD], 3 key mask uint [Lk]
// (a dummy when p.has_mask == 0), 4 out [Lq, Hq, HD], 5 partial O
// [n_split, Lq, Hq, HD], 6 partial (max, sum) [n_split, Lq, Hq, 2]
// (5 and 6 are dummies when n_split == 1). COMBINE reads 5 and 6, writes 4.
#include "common.glsl"

layout(constant_id = 1) const uint BQ = 16;
layout(constant_id = 2) const uint BK = 16;
layout(constant_id = 3) const uint HD = 128;

layout(binding = 0) readonly buffer Q { float q[]; };
layout(binding = 1) readonly buffer K { float k[]; };
layout(binding = 2) readonly buffer V { float v[]; };
layout(binding = 3) readonly buffer M { uint key_mask[]; };
layout(binding = 4) writeonly buffer O { float o[]; };
layout(binding = 5) buffer PO { float part_o[]; };
layout(binding = 6) buffer PML { float part_ml[]; };

layout(push_constant) uniform Push
{
  uint n_q;
  uint n_kv;
  uint n_heads;
  uint n_kv_heads;
  uint group;      // Hq / Hkv
  uint n_rows;     // n_q * group: rows per kv head
  uint n_blocks;   // ceil(n_rows / BQ)
  uint causal;
  uint q_pos0;
  uint window;     // 0: none
  uint has_mask;
  float scale;
  uint n_split;    // key ranges; 1: write out directly
  uint split_len;  // keys per range, a multiple of BK
} p;

// -inf as a literal expression glslc folds (1.0 / 0.0 is the IEEE infinity).
#define NEG_INF (-1.0 / 0.0)

#if defined(DECODE)
// One query (decode) on CPU devices: a workgroup is one subgroup owning a
// kv head and a range of keys (split); its lanes split the head dim (lane t
// owns vec4s t, t + SG, ...), so K and V rows are read once, as whole
// vec4s, for all G query heads of the group, scores are summed across the
// lanes with subgroupAdd, and every lane keeps the same running max and sum.
// Here spec constant 1 is G (query heads per kv head) and 2 is DS (vec4s
// per lane). Writes O directly (one split) or the partials COMBINE merges.
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#extension GL_EXT_control_flow_attributes : require
#define GQ BQ
#define DS BK

#ifdef KV_TEXEL
// K and V through uniform texel buffers (bindings 8, 9): on CPU devices a
// 16-byte texel fetch costs what one storage read per lane does.
layout(binding = 8) uniform usamplerBuffer k_texels;
layout(binding = 9) uniform usamplerBuffer v_texels;
vec4 load4(uint which, uint i)   // i: a float index, a multiple of 4
{
  return uintBitsToFloat(which == 0u ? texelFetch(k_texels, int(i >> 2)) : texelFetch(v_texels, int(i >> 2)));
}
#else
vec4 load4(uint which, uint i)   // i: a float index, a multiple of 4
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
#elif defined(COMBINE)
// One invocation per output element (query i, head h, d): the splits'
// partials rescaled to the common max, summed, normalized.
void main()
{
  uint idx = global_index();
  uint n_rows_all = p.n_q * p.n_heads;
  if (idx >= n_rows_all * HD)
    return;
  uint row = idx / HD;
  float m = NEG_INF;
  for (uint s = 0; s < p.n_split; s++)
    m = max(m, part_ml[(s * n_rows_all + row) * 2]);
  float l = 0.0;
  float acc = 0.0;
  if (m != NEG_INF) {
    for (uint s = 0; s < p.n_split; s++) {
      float ms = part_ml[(s * n_rows_all + row) * 2];
      if (ms == NEG_INF)
        continue;  // this range saw no key
      float w = exp(ms - m);
      l += part_ml[(s * n_rows_all + row) * 2 + 1] * w;
      acc += part_o[s * n_rows_all * HD + idx] * w;
    }
  }
  o[idx] = l > 0.0 ? acc / l : 0.0;
}
#else

// Threads per query row (TPR, a wide row split over threads) or query rows
// per thread (RPT, register blocking: each K/V word read from shared
// memory serves RPT rows), from the workgroup size and BQ rows per
// workgroup; one of them is 1. Thread t owns rows t / TPR + WG_SIZE * r
// (r < RPT) and, of their vec4s, those with index % TPR == t % TPR: slices
// interleave so the TPR threads of a row read neighbouring shared words (no
// bank conflicts), and each keeps DS4 vec4s of q and of the output per row
// in registers.
const uint TPR = WG_SIZE >= BQ ? WG_SIZE / BQ : 1;
const uint RPT = BQ > WG_SIZE ? BQ / WG_SIZE : 1;
const uint HD4 = (HD + 3) / 4;
const uint DS4 = (HD4 + TPR - 1) / TPR;
const uint HDP4 = DS4 * TPR;  // a key's row in shared, zero padded

shared vec4 sK[BK * HDP4];
shared vec4 sV[BK * HDP4];
shared float sVis[BK];        // 1: key in range and not masked
// Partial scores, [BK / 4][WG_SIZE] vec4s, when a row has several threads.
shared vec4 sP[TPR > 1 ? BK / 4 * WG_SIZE : 1];

// This thread's rows: q (pre-scaled) and the unnormalized output slices,
// the running max and sum, and the keys each row may see (causal rows:
// [lo, hi]); all in registers for the whole key range.
vec4 qv[RPT * DS4];
vec4 acc[RPT * DS4];
float m[RPT];
float l[RPT];
uint lo[RPT];
uint hi[RPT];

void main()
{
  uint wg = group_index();
  // Uniform per workgroup: leaving here precedes every barrier.
  if (wg >= p.n_blocks * p.n_kv_heads * p.n_split)
    return;
  uint t = gl_LocalInvocationID.x;
  uint split = wg / (p.n_blocks * p.n_kv_heads);
  uint kvh = (wg / p.n_blocks) % p.n_kv_heads;
  uint r0 = (wg % p.n_blocks) * BQ;
  uint r_end = min(r0 + BQ, p.n_rows);

  // Keys any row of this block may see: causal rows stop at their own
  // position, windowed rows start window - 1 before it.
  uint j_begin = 0;
  uint j_end = p.n_kv;
  if (p.causal != 0) {
    uint pos_lo = p.q_pos0 + r0 / p.group;
    uint pos_hi = p.q_pos0 + (r_end - 1) / p.group;
    j_end = min(j_end, pos_hi + 1);
    if (p.window != 0 && pos_lo >= p.window)
      j_begin = pos_lo - p.window + 1;
  }
  // this workgroup's key range
  j_begin = max(j_begin, split * p.split_len);
  if (p.n_split > 1)
    j_end = min(j_end, (split + 1) * p.split_len);

  // Rows past the end still take part in the loads and barriers, with
  // q = 0, and write nothing.
  uint c = t % TPR;
  for (uint r = 0; r < RPT; r++) {
    uint rr = r0 + t / TPR + WG_SIZE * r;
    uint i = rr / p.group;
    uint h = kvh * p.group + rr % p.group;
    uint pos = p.q_pos0 + i;
    uint row_base = (i * p.n_heads + h) * HD;
    lo[r] = 0;
    hi[r] = 0xffffffffu;
    if (p.causal != 0) {
      hi[r] = pos;
      if (p.window != 0 && pos >= p.window)
        lo[r] = pos - p.window + 1;
    }
    for (uint dd = 0; dd < DS4; dd++) {
      uint d = (dd * TPR + c) * 4;
      vec4 x = vec4(0.0);
      if (rr < r_end && d < HD) {
        x.x = q[row_base + d];
        if (d + 1 < HD) x.y = q[row_base + d + 1];
        if (d + 2 < HD) x.z = q[row_base + d + 2];
        if (d + 3 < HD) x.w = q[row_base + d + 3];
      }
      qv[r * DS4 + dd] = x * p.scale;
      acc[r * DS4 + dd] = vec4(0.0);
    }
    m[r] = NEG_INF;
    l[r] = 0.0;
  }

  for (uint j0 = j_begin; j0 < j_end; j0 += BK) {
    // K and V tiles. Keys out of range or masked are zeros, so that their
    // probability 0 times their value is 0 whatever the buffer holds there
    // (the reference skips them); so is the padding of a row to HDP4.
    for (uint e = t; e < BK * HDP4; e += WG_SIZE) {
      uint j = j0 + e / HDP4;
      uint d = (e % HDP4) * 4;
      bool ok = j < j_end && d < HD;
      if (ok && p.has_mask != 0)
        ok = key_mask[j] != 0;
      vec4 kx = vec4(0.0);
      vec4 vx = vec4(0.0);
      if (ok) {
        uint b = (j * p.n_kv_heads + kvh) * HD + d;
        kx.x = k[b];
        vx.x = v[b];
        if (d + 1 < HD) { kx.y = k[b + 1]; vx.y = v[b + 1]; }
        if (d + 2 < HD) { kx.z = k[b + 2]; vx.z = v[b + 2]; }
        if (d + 3 < HD) { kx.w = k[b + 3]; vx.w = v[b + 3]; }
      }
      sK[e] = kx;
      sV[e] = vx;
    }
    for (uint jj = t; jj < BK; jj += WG_SIZE) {
      uint j = j0 + jj;
      bool vis = j < j_end;
      if (vis && p.has_mask != 0)
        vis = key_mask[j] != 0;
      sVis[jj] = vis ? 1.0 : 0.0;
    }
    barrier();

    if (TPR > 1) {
      // each thread's partial dot products (RPT == 1), summed per row below
      for (uint jc = 0; jc < BK; jc += 4) {
        vec4 s4 = vec4(0.0);
        for (uint dd = 0; dd < DS4; dd++) {
          uint b = jc * HDP4 + dd * TPR + c;
          s4 += vec4(dot(qv[dd], sK[b]), dot(qv[dd], sK[b + HDP4]),
                     dot(qv[dd], sK[b + 2 * HDP4]), dot(qv[dd], sK[b + 3 * HDP4]));
        }
        sP[jc / 4 * WG_SIZE + t] = s4;
      }
      barrier();
    }

    // Keys in chunks of 4 held in vec4s (no local array indexed by key:
    // llvmpipe compiles those very slowly once unrolled): scores, masks, and
    // the online softmax, which rescales a row's accumulator only when its
    // max grows. Every thread reads the same key words (a broadcast).
    for (uint jc = 0; jc < BK; jc += 4) {
      vec4 s4[RPT];
      if (TPR > 1) {
        s4[0] = vec4(0.0);
        for (uint cc = 0; cc < TPR; cc++)
          s4[0] += sP[jc / 4 * WG_SIZE + t - c + cc];
      } else {
        for (uint r = 0; r < RPT; r++)
          s4[r] = vec4(0.0);
        for (uint dd = 0; dd < DS4; dd++) {
          uint b = jc * HDP4 + dd;
          vec4 k0 = sK[b];
          vec4 k1 = sK[b + HDP4];
          vec4 k2 = sK[b + 2 * HDP4];
          vec4 k3 = sK[b + 3 * HDP4];
          for (uint r = 0; r < RPT; r++) {
            vec4 qd = qv[r * DS4 + dd];
            s4[r] += vec4(dot(qd, k0), dot(qd, k1), dot(qd, k2), dot(qd, k3));
          }
        }
      }
      uvec4 j4 = uvec4(j0 + jc) + uvec4(0, 1, 2, 3);
      bvec4 key_vis = greaterThan(vec4(sVis[jc], sVis[jc + 1], sVis[jc + 2], sVis[jc + 3]), vec4(0.0));
      vec4 p4[RPT];
      for (uint r = 0; r < RPT; r++) {
        bvec4 vis = key_vis;
        if (p.causal != 0)
          vis = bvec4(uvec4(vis) & uvec4(greaterThanEqual(j4, uvec4(lo[r]))) & uvec4(lessThanEqual(j4, uvec4(hi[r]))));
        vec4 s = mix(vec4(NEG_INF), s4[r], vis);
        float m_new = max(m[r], max(max(s.x, s.y), max(s.z, s.w)));
        // A row that has seen nothing has nothing to rescale (and -inf -
        // -inf would be NaN); its p stays 0.
        if (m_new > m[r]) {
          float alpha = m[r] == NEG_INF ? 0.0 : exp(m[r] - m_new);
          l[r] *= alpha;
          for (uint dd = 0; dd < DS4; dd++)
            acc[r * DS4 + dd] *= alpha;
          m[r] = m_new;
        }
        // exp(-inf) spelled out: hidden keys contribute exactly 0
        p4[r] = mix(vec4(0.0), exp(s - m[r]), vis);
        l[r] += p4[r].x + p4[r].y + p4[r].z + p4[r].w;
      }
      for (uint dd = 0; dd < DS4; dd++) {
        uint b = jc * HDP4 + dd * TPR + c;
        vec4 v0 = sV[b];
        vec4 v1 = sV[b + HDP4];
        vec4 v2 = sV[b + 2 * HDP4];
        vec4 v3 = sV[b + 3 * HDP4];
        for (uint r = 0; r < RPT; r++)
          acc[r * DS4 + dd] += p4[r].x * v0 + p4[r].y * v1 + p4[r].z * v2 + p4[r].w * v3;
      }
    }
    barrier();  // the next tile overwrites sK, sV, sVis, sP
  }

  uint n_rows_all = p.n_q * p.n_heads;
  for (uint r = 0; r < RPT; r++) {
    uint rr = r0 + t / TPR + WG_SIZE * r;
    if (rr >= r_end)
      break;
    uint i = rr / p.group;
    uint h = kvh * p.group + rr % p.group;
    uint row_base = (i * p.n_heads + h) * HD;
    float inv_l = l[r] > 0.0 ? 1.0 / l[r] : 0.0;
    for (uint dd = 0; dd < DS4; dd++) {
      uint d = (dd * TPR + c) * 4;
      for (uint x = 0; x < 4 && d + x < HD; x++) {
        if (p.n_split == 1)
          o[row_base + d + x] = acc[r * DS4 + dd][x] * inv_l;
        else
          part_o[split * n_rows_all * HD + row_base + d + x] = acc[r * DS4 + dd][x];
      }
    }
    if (p.n_split > 1 && c == 0) {
      uint pr = split * n_rows_all + i * p.n_heads + h;
      part_ml[pr * 2] = m[r];
      part_ml[pr * 2 + 1] = l[r];
    }
  }
}
#endif
