/* rg-ops.h: the model's ops as Vulkan compute dispatches.
 *
 * Every op records into an RgVkRecorder (nothing runs until the recorder
 * is submitted) and has a plain-C twin in rg-ref-ops.h that the gpu test
 * suite compares it with. Activations are f32; weights are RgGpuWeight,
 * whose element type (F32, F16, BF16; block-quantized types later) the op
 * picks the shader variant for, so callers never change when a format is
 * added.
 *
 * Buffers are passed with explicit sizes: an op checks that each buffer is
 * large enough and records an error in the recorder otherwise (see
 * rg_vk_recorder_submit). Shapes are row-major; [A, B] means a*B + b. */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "rg-dtype.h"
#include "rg-vk.h"

G_BEGIN_DECLS

/* ---- Weights ----------------------------------------------------------- */

/* A [rows, cols] matrix in nn.Linear layout ([out, in]). A matrix larger
 * than one binding allows (maxStorageBufferRange: 128 MiB on lavapipe,
 * Mistral's embedding and lm_head are 262 MB in f16) is split by rows into
 * chunks, each its own buffer; ops run once per chunk. */
typedef struct
{
  char *name;
  RgDType dtype;
  uint32_t rows;
  uint32_t cols;
  uint32_t rows_per_chunk;
  guint n_chunks;
  RgVkBuffer **chunks;   /* owned */
} RgGpuWeight;

/* Block-quantized rows are stored in groups of this many rows (see
 * rg-ops-common.c and shaders/weights.glsl). */
#define RG_QUANT_GROUP_ROWS 8u

/* MAX_CHUNK_BYTES 0: the device's binding limit ($REGARD_MAX_BINDING_BYTES
 * lowers it, for tests). */
RgGpuWeight *rg_gpu_weight_new (RgVkContext *ctx, const char *name, RgDType dtype,
                                uint32_t rows, uint32_t cols, uint64_t max_chunk_bytes,
                                GError **error);
void rg_gpu_weight_free (RgGpuWeight *w);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RgGpuWeight, rg_gpu_weight_free)
/* Uploads rows [row0, row0 + n_rows) from DATA (elements of w->dtype). */
gboolean rg_gpu_weight_upload_rows (RgGpuWeight *w, uint32_t row0, uint32_t n_rows,
                                    const void *data, GError **error);
uint64_t rg_gpu_weight_row_bytes (const RgGpuWeight *w);

/* An f32 vector or matrix held in one buffer (norm gains, biases, tables). */
RgVkBuffer *rg_gpu_upload_f32 (RgVkContext *ctx, const char *name, const float *data,
                               uint64_t n, GError **error);

/* ---- Element-wise (f32) ------------------------------------------------ */

void rg_op_add (RgVkRecorder *rec, RgVkBuffer *out, const RgVkBuffer *a, const RgVkBuffer *b, uint64_t n);
void rg_op_gelu_tanh (RgVkRecorder *rec, RgVkBuffer *out, const RgVkBuffer *x, uint64_t n);
/* exact (erf) GELU, CLIP's quick_gelu, ReLU: as their rg_ref_* twins. */
void rg_op_gelu (RgVkRecorder *rec, RgVkBuffer *out, const RgVkBuffer *x, uint64_t n);
void rg_op_quick_gelu (RgVkRecorder *rec, RgVkBuffer *out, const RgVkBuffer *x, uint64_t n);
void rg_op_relu (RgVkRecorder *rec, RgVkBuffer *out, const RgVkBuffer *x, uint64_t n);
/* out[rows, cols] += tanh(alpha) * x on the rows whose ROW_INDEX (int32
 * [rows], may be NULL: every row) is >= 0; ALPHA has 1 or COLS elements.
 * As rg_ref_tanh_gate_add. */
void rg_op_tanh_gate_add (RgVkRecorder *rec, RgVkBuffer *out, const RgVkBuffer *x,
                          const RgVkBuffer *alpha, uint32_t n_alpha, const RgVkBuffer *row_index,
                          uint32_t rows, uint32_t cols);
/* out = silu(gate) * up */
void rg_op_swiglu (RgVkRecorder *rec, RgVkBuffer *out, const RgVkBuffer *gate, const RgVkBuffer *up, uint64_t n);
/* dst[dst_offset + i] = src[src_offset + i], i < n (f32 elements): copies,
 * concatenations, KV-cache appends. */
void rg_op_copy (RgVkRecorder *rec, RgVkBuffer *dst, uint64_t dst_offset,
                 const RgVkBuffer *src, uint64_t src_offset, uint64_t n);

/* ---- Normalizations ---------------------------------------------------- */

/* x, out [rows, dim]; w, b [dim] (b may be NULL). As rg_ref_layernorm. */
void rg_op_layernorm (RgVkRecorder *rec, RgVkBuffer *out, const RgVkBuffer *x,
                      const RgVkBuffer *w, const RgVkBuffer *b, uint32_t rows, uint32_t dim, float eps);
/* As rg_ref_rmsnorm. */
void rg_op_rmsnorm (RgVkRecorder *rec, RgVkBuffer *out, const RgVkBuffer *x,
                    const RgVkBuffer *w, uint32_t rows, uint32_t dim, float eps);

/* ---- Linear ------------------------------------------------------------ */

/* What a linear layer does around y = x . W^T; zeroes: plain. */
typedef struct
{
  const RgVkBuffer *bias;       /* [N]: y += bias */
  const RgVkBuffer *norm_gain;  /* [K]: x is first RMSNorm(x) * gain (the layer's input norm) */
  float norm_eps;
  const RgVkBuffer *gate_silu;  /* laid out like OUT: y = silu(gate) * (x . W^T), a SwiGLU's up projection */
  gboolean accumulate;          /* y += x . W^T: a residual added in place */
  uint64_t out_offset;          /* elements of OUT before y's first row (a KV-cache slot) */
} RgLinearParams;

/* PARAMS for a linear layer with only a bias (may be NULL). */
#define RG_LINEAR_BIAS(b) (&(RgLinearParams) { .bias = (b) })

/* The linear layer: out[out_offset + m * N + n] (+)= (norm(x) . W^T)[m, n]
 * (+ bias), N = w->rows, for M rows of x [M, w->cols]; PARAMS NULL: plain
 * y = x . W^T. M <= 8 takes the mat-vec path (decode). Where
 * the device allows, the norm and the residual are fused into the
 * mat-vec (no extra pass over memory); otherwise they run as their own
 * ops, with the same result up to rounding. */
void rg_op_linear (RgVkRecorder *rec, RgVkBuffer *out, const RgVkBuffer *x,
                   const RgGpuWeight *w, const RgLinearParams *params, uint32_t M);
/* Whether rg_op_linear fuses the norm for M rows of x; where it does not,
 * a norm shared by several layers is best applied once by the caller. */
gboolean rg_op_linear_fuses_norm (RgVkRecorder *rec, uint32_t M);


/* ---- Positions and attention ------------------------------------------- */

/* Host-side table for rg_op_rope: cos_sin[p, k] = cos(a), [p, h + k] =
 * sin(a) with a = (float) p * inv_freq[k] in f32 as transformers computes
 * it, for p < n_positions, k < h = head_dim / 2. Computed on the CPU so the
 * GPU's loose sin/cos precision never enters. */
float *rg_rope_table_new (uint32_t n_positions, uint32_t head_dim, float theta);

/* In-place rotate_half RoPE on x [L, n_heads, head_dim]; row i at position
 * pos0 + i, reading the table above (as a buffer of n_positions rows). */
void rg_op_rope (RgVkRecorder *rec, RgVkBuffer *x, const RgVkBuffer *cos_sin,
                 uint32_t L, uint32_t n_heads, uint32_t head_dim, uint32_t pos0);
/* The same on q [L, n_heads, head_dim] and, in the same dispatch, the new
 * rows of a KV cache: K [L, k_heads, head_dim] rotated and V (same shape)
 * copied into K_CACHE and V_CACHE from element CACHE_OFFSET on, as f32 or,
 * with KV_F16, as halves (two per 32-bit word; head_dim % 4 == 0). K, V
 * and the caches may be NULL (q only). */
void rg_op_rope_kv (RgVkRecorder *rec, RgVkBuffer *q, uint32_t n_heads,
                    const RgVkBuffer *k, const RgVkBuffer *v, RgVkBuffer *k_cache, RgVkBuffer *v_cache,
                    uint64_t cache_offset, uint32_t k_heads, gboolean kv_f16,
                    const RgVkBuffer *cos_sin, uint32_t L, uint32_t head_dim, uint32_t pos0);

typedef struct
{
  uint32_t n_q;          /* Lq */
  uint32_t n_kv;         /* Lk */
  uint32_t n_heads;      /* Hq */
  uint32_t n_kv_heads;   /* Hkv: q head h uses kv head h / (Hq / Hkv) */
  uint32_t head_dim;     /* D */
  float scale;
  gboolean causal;       /* query i at q_pos0 + i sees keys j <= q_pos0 + i */
  uint32_t q_pos0;
  uint32_t window;       /* 0: none; else keys p - window < j <= p */
  gboolean kv_f16;       /* k and v hold halves (an f16 KV cache; head_dim even) */
} RgAttnParams;

/* out[Lq, Hq, D] = softmax(q k^T * scale + masks) v as rg_ref_attention,
 * tiled with an online softmax (no Lq x Lk matrix in memory).
 * q [Lq, Hq, D]; k, v [Lk, Hkv, D] (rows beyond n_kv are ignored, so a KV
 * cache buffer can be passed whole); KEY_MASK [Lk] uint32 (0 = masked) or
 * NULL. */
void rg_op_attention (RgVkRecorder *rec, RgVkBuffer *out, const RgVkBuffer *q,
                      const RgVkBuffer *k, const RgVkBuffer *v, const RgVkBuffer *key_mask,
                      const RgAttnParams *p);

/* Query i attends only the SEQ key rows of image IMAGE_INDEX[i] (int32
 * [n_q]; negative: a row of zeros); q, out [n_q, n_heads, head_dim]; k, v
 * [n_images * seq, n_heads, head_dim]; head_dim <= 256. As
 * rg_ref_image_attention. */
void rg_op_image_attention (RgVkRecorder *rec, RgVkBuffer *out, const RgVkBuffer *q,
                            const RgVkBuffer *k, const RgVkBuffer *v, const RgVkBuffer *image_index,
                            uint32_t n_q, uint32_t n_heads, uint32_t head_dim, uint32_t seq,
                            uint32_t n_images, float scale);

/* ---- Gathers, scatters, convolution ------------------------------------ */

/* out[n, table->cols] = table[ids[i], :]; IDS int32 [n]. Ids outside the
 * table write zeros (the host validates ids before). */
void rg_op_embedding (RgVkRecorder *rec, RgVkBuffer *out, const RgGpuWeight *table,
                      const RgVkBuffer *ids, uint32_t n);
/* The rows for the ids in [id0, id0 + table->rows): out[i] = table[ids[i] -
 * id0]; other rows untouched (the added tokens of a decoupled vocabulary,
 * after rg_op_embedding of the base table). */
void rg_op_embedding_range (RgVkRecorder *rec, RgVkBuffer *out, const RgGpuWeight *table,
                            const RgVkBuffer *ids, uint32_t n, int32_t id0);
/* dst[rows[i], :] = src[i, :] for i < n; ROWS int32 [n]; dim columns. */
void rg_op_scatter_rows (RgVkRecorder *rec, RgVkBuffer *dst, const RgVkBuffer *src,
                         const RgVkBuffer *rows, uint32_t n, uint32_t dim);
/* 14x14-style "valid" patch embedding with bias: pixels [C, H, W] ->
 * out [(H/P) * (W/P), V]; weight [V, C*P*P] (the conv kernel flattened);
 * bias [V] or NULL. */
void rg_op_patch_embed (RgVkRecorder *rec, RgVkBuffer *out, const RgVkBuffer *pixels,
                        const RgGpuWeight *weight, const RgVkBuffer *bias,
                        uint32_t C, uint32_t H, uint32_t W, uint32_t P);

/* IDEFICS3's pixel shuffle as rg_ref_pixel_shuffle: in [gh * gw, D] ->
 * out [(gh/s) * (gw/s), s * s * D]; GH and GW multiples of S. */
void rg_op_pixel_shuffle (RgVkRecorder *rec, RgVkBuffer *out, const RgVkBuffer *in,
                          uint32_t gh, uint32_t gw, uint32_t D, uint32_t s);

/* ---- For op implementations -------------------------------------------- */

/* Records an error unless BUF holds at least BYTES; returns FALSE then. */
gboolean rg_op_check_size (RgVkRecorder *rec, const char *op, const RgVkBuffer *buf, uint64_t bytes);
/* Workgroup size for element-wise ops on this device. */
uint32_t rg_op_default_wg (RgVkRecorder *rec);
/* Workgroup size for ops that give one workgroup to each row of
 * ROW_LEN elements (norms): small rows get small workgroups. */
uint32_t rg_op_row_wg (RgVkRecorder *rec, uint32_t row_len);
/* Shader variant name for a weight type, e.g. "matmul" + BF16 -> "matmul_bf16". */
const char *rg_op_weight_suffix (RgDType dtype);

typedef enum
{
  RG_LINEAR_MATVEC,      /* mat-vec, in slices of 8 rows of x */
  RG_LINEAR_TILED,       /* shared-memory tiles (GPUs) */
  RG_LINEAR_CPU_TILED,   /* register tiles (CPU devices) */
} RgLinearKernel;

/* The kernel rg_op_linear runs for M rows of x times W on CTX (so tests
 * can tell which path they cover). */
RgLinearKernel rg_op_linear_kernel (RgVkContext *ctx, const RgGpuWeight *w, uint32_t M);

G_END_DECLS
