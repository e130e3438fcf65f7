// attention.glsl: what the attention kernels share: bindings, push
// constants and the split-K layout of the partials. attention.comp is the
// tiled flash-attention kernel, attention_decode.comp the one-query kernel
// of CPU devices, attention_cpu.comp their many-query kernel (lanes over
// keys), attention_combine.comp merges the key ranges (splits) any of them
// wrote.
//
// Split-K: with p.n_split > 1 the keys are cut into ranges of p.split_len
// and workgroup (split, kv head, block) writes its unnormalized partial
// (max, sum, O) to scratch; attention_combine.comp merges the splits. This
// gives a decode step (one query) many workgroups, and keeps every
// invocation under llvmpipe's cap of 65535 loop iterations per shader
// invocation (lavapipe silently ends loops past it).
//
#include "common.glsl"

// Specialization: 0 WG_SIZE, 1 BQ, 2 BK (a multiple of 4), 3 HD (the head
// dim, so arrays are sized exactly and the d loops have constant bounds);
// threads per row and rows per thread follow from WG_SIZE and BQ.
// Bindings: 0 q [Lq, Hq, HD], 1 k, 2 v [Lk, Hkv, HD] (f32, or f16 under
// KV_F16: read them through k_at, v_at), 3 key mask uint [Lk]
// (a dummy when p.has_mask == 0), 4 out [Lq, Hq, HD], 5 partial O
// [n_split, Lq, Hq, HD], 6 partial (max, sum) [n_split, Lq, Hq, 2]
// (5 and 6 are dummies when n_split == 1). attention_combine.comp reads 5 and 6, writes 4.

layout(constant_id = 1) const uint BQ = 16;
layout(constant_id = 2) const uint BK = 16;
layout(constant_id = 3) const uint HD = 128;

layout(binding = 0) readonly buffer Q { float q[]; };
#ifdef KV_F16
// An f16 KV cache: two halves per word (head_dim even, rows whole words).
layout(binding = 1) readonly buffer K { uint k[]; };
layout(binding = 2) readonly buffer V { uint v[]; };
float k_at(uint i) { return unpackHalf2x16(k[i >> 1u])[i & 1u]; }
float v_at(uint i) { return unpackHalf2x16(v[i >> 1u])[i & 1u]; }
#else
layout(binding = 1) readonly buffer K { float k[]; };
layout(binding = 2) readonly buffer V { float v[]; };
float k_at(uint i) { return k[i]; }
float v_at(uint i) { return v[i]; }
#endif
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

