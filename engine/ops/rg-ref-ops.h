/* rg-ref-ops.h: plain-C reference of every op the model uses.
 *
 * These functions are the oracle: the reference backend (rg-exec-ref.c) is built
 * from them, and every Vulkan shader is tested against them. They favour
 * clarity and exactness over speed: f32 in and out, dot products and
 * reductions accumulated in double, any size, no alignment requirements.
 *
 * Conventions: tensors are dense row-major arrays; a shape [A, B] means
 * element (a, b) lives at a*B + b. "rows" is the product of all leading
 * dimensions. Unless stated, OUT may alias the (first) input of
 * element-wise ops, never of matmul, attention or patch-embed. */
#pragma once

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

#include "rg-dtype.h"

G_BEGIN_DECLS

/* ---- Linear algebra ---------------------------------------------------- */

/* y[M, N] = x[M, K] . W[N, K]^T (+ bias[N] when BIAS is non-NULL).
 * W is in PyTorch nn.Linear layout [out, in]. */
void rg_ref_linear (const float *x, const float *w, const float *bias,
                    float *y, size_t M, size_t N, size_t K);

/* Same with W stored as raw elements of W_DTYPE (F32, F16 or BF16; F16 and
 * BF16 as uint16 bit patterns), each upcast exactly to f32 before use. */
void rg_ref_linear_w (const float *x, const void *w, RgDType w_dtype,
                      const float *bias, float *y, size_t M, size_t N, size_t K);

/* ---- Normalizations ---------------------------------------------------- */

/* y[r, :] = (x[r, :] - mean) / sqrt(var + eps) * w + b  over DIM columns,
 * var the biased variance (nn.LayerNorm). x, y: [rows, dim]; w, b: [dim]
 * (b may be NULL). Y may alias X. */
void rg_ref_layernorm (const float *x, const float *w, const float *b,
                       float *y, size_t rows, size_t dim, float eps);

/* HF RMSNorm: y = w * (float) (x * rsqrt(mean(x^2) + eps)); the statistic
 * is taken in f32 (here double), the normalized value rounded to f32 BEFORE
 * the gain multiply (pitfall P8). x, y: [rows, dim]; w: [dim]. Y may alias X. */
void rg_ref_rmsnorm (const float *x, const float *w, float *y,
                     size_t rows, size_t dim, float eps);

/* ---- Element-wise ------------------------------------------------------ */

/* torch.nn.functional.gelu (x, approximate="tanh"):
 * 0.5 x (1 + tanh (sqrt(2/pi) (x + 0.044715 x^3))). */
void rg_ref_gelu_tanh (const float *x, float *y, size_t n);
/* torch.nn.functional.gelu (x) (exact): 0.5 x (1 + erf (x / sqrt 2)). */
void rg_ref_gelu (const float *x, float *y, size_t n);
/* CLIP's quick_gelu: x * sigmoid (1.702 x). */
void rg_ref_quick_gelu (const float *x, float *y, size_t n);
/* max (x, 0). */
void rg_ref_relu (const float *x, float *y, size_t n);
/* A tanh-gated residual (IDEFICS1's gated cross-attention blocks):
 * out[r, c] += tanh (alpha[n_alpha == 1 ? 0 : c]) * x[r, c] for the rows r
 * with ROW_INDEX NULL or row_index[r] >= 0; other rows are left as they
 * are (a select, so a NaN in x never reaches them). x, out: [rows, cols]. */
void rg_ref_tanh_gate_add (const float *x, const float *alpha, size_t n_alpha,
                           const int32_t *row_index, float *out, size_t rows, size_t cols);
/* out = silu(gate) * up; OUT may alias GATE or UP. */
void rg_ref_swiglu (const float *gate, const float *up, float *out, size_t n);
/* out = a + b; OUT may alias A or B. */
void rg_ref_add (const float *a, const float *b, float *out, size_t n);

/* ---- Rotary position embedding ----------------------------------------- */

/* inv_freq[k] = 1 / theta^((2k) / head_dim), k < head_dim/2, computed in
 * float32 exactly as transformers' default RoPE init:
 * 1.0 / (base ** (arange(0, dim, 2).float() / dim)). */
void rg_ref_rope_inv_freq (size_t head_dim, float theta, float *inv_freq);

/* In-place HF "rotate_half" RoPE on x [L, n_heads, head_dim] (head_dim
 * even); row i is at absolute position pos0 + i. With h = head_dim/2,
 * a = (float) pos * inv_freq[k] (f32), c = cosf(a), s = sinf(a):
 *   x'[k]     = x[k] c - x[k+h] s
 *   x'[k+h]   = x[k+h] c + x[k] s          for k < h
 * (dimension k pairs with k + head_dim/2, not k+1). */
void rg_ref_rope (float *x, size_t L, size_t n_heads, size_t head_dim,
                  size_t pos0, float theta);

/* x rounded in place to the nearest f16 (ties to even), as a store into
 * an f16 KV cache does. */
void rg_ref_round_f16 (float *x, size_t n);

/* ---- Attention --------------------------------------------------------- */

typedef struct
{
  size_t n_q;          /* Lq: query rows */
  size_t n_kv;         /* Lk: key/value rows */
  size_t n_heads;      /* Hq */
  size_t n_kv_heads;   /* Hkv, divides Hq: q head h uses kv head h / (Hq/Hkv) */
  size_t head_dim;     /* D */
  float scale;         /* scores = (q . k) * scale, e.g. D^-0.5 */
  gboolean causal;     /* query i (absolute position q_pos0 + i) sees keys j <= q_pos0 + i */
  size_t q_pos0;       /* absolute position of query row 0 (causal / window) */
  size_t window;       /* 0: none; else query at p sees only keys p - window < j <= p
                        * (needs causal) */
  const uint8_t *key_mask; /* [Lk], 0 = key masked out; NULL: every key valid */
} RgRefAttnParams;

/* out[Lq, Hq, D] = softmax(q k^T * scale + mask) v, per head, with
 * q [Lq, Hq, D], k and v [Lk, Hkv, D] (key j at absolute position j).
 * Masked keys contribute exactly 0 (as HF's finfo.min additive mask after
 * the max subtraction). A query row with no visible key gets zeros.
 * Softmax subtracts the row max; one row of scores is held at a time. */
void rg_ref_attention (const float *q, const float *k, const float *v,
                       float *out, const RgRefAttnParams *p);

/* Cross-attention to one image per query (IDEFICS1): query i attends only
 * the SEQ key rows of image image_index[i] (rows image_index[i] * SEQ ..),
 * no RoPE, no causal mask; image_index[i] < 0 gives a row of zeros.
 * q [n_q, H, D]; k, v [n_images * SEQ, H, D]; indices < n_images. */
void rg_ref_image_attention (const float *q, const float *k, const float *v,
                             const int32_t *image_index, float *out, size_t n_q,
                             size_t n_heads, size_t head_dim, size_t seq, float scale);

/* ---- Gathers and convolutions ------------------------------------------ */

/* out[n, dim] = table[ids[i], :]. Returns FALSE (leaving the rest of OUT
 * unwritten) when an id is outside [0, n_rows). */
gboolean rg_ref_embedding (const float *table, size_t n_rows, size_t dim,
                           const int32_t *ids, size_t n, float *out);

/* The rows of TABLE [n_rows, dim] for the ids in [id0, id0 + n_rows):
 * out[i] = table[ids[i] - id0]; rows of other ids are left as they are
 * (a decoupled vocabulary: the added tokens' table after the base one). */
void rg_ref_embedding_range (const float *table, size_t n_rows, size_t dim, int32_t id0,
                             const int32_t *ids, size_t n, float *out);

/* Conv2d(C -> V, kernel P, stride P, padding "valid", bias) flattened over
 * the patch grid: pixels [C, H, W] -> out [(H/P) * (W/P), V], patch
 * (r, c) at row r*(W/P) + c; remainder pixels are ignored.
 * weight [V, C, P, P]; bias [V] (may be NULL). */
void rg_ref_patch_embed (const float *pixels, size_t C, size_t H, size_t W,
                         const float *weight, const float *bias, size_t V,
                         size_t P, float *out);

/* IDEFICS3's pixel shuffle: the patch grid in [gh * gw, D] (row-major
 * patches) -> out [(gh/s) * (gw/s), s * s * D], each output row the s x s
 * block of patches read row by row, each patch's D channels contiguous:
 * out[(y/s) * (gw/s) + x/s][(y%s) * s * D + (x%s) * D + d] = in[y * gw + x][d].
 * GH and GW must be multiples of S. */
void rg_ref_pixel_shuffle (const float *in, size_t gh, size_t gw, size_t D, size_t s, float *out);

/* ---- Sampling helpers -------------------------------------------------- */

/* Index of the largest element; ties go to the lowest index; NaN never
 * wins. N must be > 0. */
size_t rg_ref_argmax (const float *x, size_t n);

/* The K largest elements of x[N] in descending order (ties: lower index
 * first). IDX [k] receives indices, VALUES [k] (may be NULL) the values.
 * k <= n. */
void rg_ref_topk (const float *x, size_t n, size_t k, int32_t *idx, float *values);

G_END_DECLS
