#version 450
// Scaled dot-product attention with an online (flash-attention style)
// softmax: scores exist only for one tile of BQ query rows x BK keys at a
// time, in shared memory; no Lq x Lk matrix is ever stored.
//
// A workgroup owns BQ "rows" of one kv head: row rr = i * G + g is query i
// of q head kvh * G + g (G = Hq / Hkv), so the heads sharing a kv head
// share every K/V tile load (GQA), and a decode step (Lq = 1) still fills
// a block with the G heads of its group. Per key tile:
//   1. K tile -> shared            2. scores S = Q K^T * scale, masked -> -inf
//   3. running max/sum per row, P = exp(S - max); V tile -> shared
//   4. O = O * exp(old_max - new_max) + P V
// A row that never sees a key keeps sum 0 and writes zeros.
//
// Split-K: with p.n_split > 1 the keys are cut into ranges of p.split_len
// and workgroup (split, kv head, block) writes its unnormalized partial
// (max, sum, O) to scratch; the COMBINE variant merges the splits. This
// gives a decode step (one query) many workgroups, and keeps every
// invocation under llvmpipe's cap of 65535 loop iterations per shader
// invocation (lavapipe silently ends loops past it).
//
// Specialization: 0 WG_SIZE, 1 BQ, 2 BK, 3 HD (the head dim, so shared
// arrays are sized exactly and the d loops have constant bounds).
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

#if defined(COMBINE)
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

shared float sQ[BQ * HD];
shared float sKV[BK * HD];   // the K tile, then the V tile
shared float sS[BQ * BK];    // scores, then probabilities
shared float sO[BQ * HD];    // unnormalized output accumulators
shared float sM[BQ];         // running max per row
shared float sL[BQ];         // running sum per row
shared float sA[BQ];         // this tile's rescale factor per row

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

  for (uint e = t; e < BQ * HD; e += WG_SIZE) {
    uint rr = r0 + e / HD;
    float val = 0.0;
    if (rr < r_end) {
      uint i = rr / p.group;
      uint h = kvh * p.group + rr % p.group;
      val = q[(i * p.n_heads + h) * HD + e % HD];
    }
    sQ[e] = val;
    sO[e] = 0.0;
  }
  for (uint r = t; r < BQ; r += WG_SIZE) {
    sM[r] = NEG_INF;
    sL[r] = 0.0;
  }
  barrier();

  for (uint j0 = j_begin; j0 < j_end; j0 += BK) {
    // 1. K tile (zeros past the end)
    for (uint e = t; e < BK * HD; e += WG_SIZE) {
      uint j = j0 + e / HD;
      sKV[e] = j < j_end ? k[(j * p.n_kv_heads + kvh) * HD + e % HD] : 0.0;
    }
    barrier();

    // 2. masked, scaled scores
    for (uint e = t; e < BQ * BK; e += WG_SIZE) {
      uint r = e / BK;
      uint jj = e % BK;
      uint j = j0 + jj;
      uint rr = r0 + r;
      bool visible = j < j_end && rr < r_end;
      if (visible && p.has_mask != 0)
        visible = key_mask[j] != 0;
      if (visible && p.causal != 0) {
        uint pos = p.q_pos0 + rr / p.group;
        visible = j <= pos && (p.window == 0 || j + p.window > pos);
      }
      float s = NEG_INF;
      if (visible) {
        float dot = 0.0;
        for (uint d = 0; d < HD; d++)
          dot += sQ[r * HD + d] * sKV[jj * HD + d];
        s = dot * p.scale;
      }
      sS[e] = s;
    }
    barrier();

    // 3. online softmax statistics, then the V tile over the K tile
    for (uint r = t; r < BQ; r += WG_SIZE) {
      float m_old = sM[r];
      float m_new = m_old;
      for (uint jj = 0; jj < BK; jj++)
        m_new = max(m_new, sS[r * BK + jj]);
      float sum = 0.0;
      for (uint jj = 0; jj < BK; jj++) {
        float s = sS[r * BK + jj];
        // exp(-inf) spelled out: masked keys contribute exactly 0
        float pj = s == NEG_INF ? 0.0 : exp(s - m_new);
        sS[r * BK + jj] = pj;
        sum += pj;
      }
      // Nothing seen yet: no accumulator to rescale (and -inf - -inf is NaN).
      float alpha = m_old == NEG_INF ? 0.0 : exp(m_old - m_new);
      sA[r] = alpha;
      sL[r] = sL[r] * alpha + sum;
      sM[r] = m_new;
    }
    for (uint e = t; e < BK * HD; e += WG_SIZE) {
      uint j = j0 + e / HD;
      sKV[e] = j < j_end ? v[(j * p.n_kv_heads + kvh) * HD + e % HD] : 0.0;
    }
    barrier();

    // 4. O = O * alpha + P V (skipping zero probabilities, so a masked key's
    // value never enters, as in the reference)
    for (uint e = t; e < BQ * HD; e += WG_SIZE) {
      uint r = e / HD;
      uint d = e % HD;
      float acc = sO[e] * sA[r];
      for (uint jj = 0; jj < BK; jj++) {
        float pj = sS[r * BK + jj];
        if (pj != 0.0)
          acc += pj * sKV[jj * HD + d];
      }
      sO[e] = acc;
    }
    barrier();
  }

  for (uint e = t; e < BQ * HD; e += WG_SIZE) {
    uint r = e / HD;
    uint rr = r0 + r;
    if (rr >= r_end)
      continue;
    uint i = rr / p.group;
    uint h = kvh * p.group + rr % p.group;
    uint oi = (i * p.n_heads + h) * HD + e % HD;
    if (p.n_split == 1) {
      float l = sL[r];
      o[oi] = l > 0.0 ? sO[e] / l : 0.0;
    } else {
      uint n_rows_all = p.n_q * p.n_heads;
      part_o[split * n_rows_all * HD + oi] = sO[e];
      if (e % HD == 0) {
        uint pr = split * n_rows_all + i * p.n_heads + h;
        part_ml[pr * 2] = sM[r];
        part_ml[pr * 2 + 1] = sL[r];
      }
    }
  }
}
#endif
