#version 450
// attention.comp: scaled dot-product attention, tiled (bindings and
// split-K: attention.glsl; attention_decode.comp is the one-query kernel
// of CPU devices), with an online (flash-attention style)
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
#include "attention.glsl"

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
        kx.x = k_at(b);
        vx.x = v_at(b);
        if (d + 1 < HD) { kx.y = k_at(b + 1); vx.y = v_at(b + 1); }
        if (d + 2 < HD) { kx.z = k_at(b + 2); vx.z = v_at(b + 2); }
        if (d + 3 < HD) { kx.w = k_at(b + 3); vx.w = v_at(b + 3); }
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
