/* rg-arch.h: a model family as data, run by every backend.
 *
 * A family (rg-arch-idefics2.c, rg-arch-idefics3.c, rg-arch-idefics1.c; the
 * blocks they share in rg-arch-siglip.h and rg-arch-llama.h) is described once:
 *   - named sizes (RgDim) and scalars (RgParam) computed from the config,
 *     64-bit and overflow-checked;
 *   - a weight table: the checkpoint's tensor name (with %u for the layer),
 *     its shape in dims, what it is used as (matrix or f32 vector) and
 *     whether a quantized format may quantize it;
 *   - activation buffers: rows (a symbol bound at run time: patches,
 *     latents, new tokens...) by a dim; some have roles (pixels, token ids,
 *     the KV cache, the logits) the executor binds;
 *   - two programs (encode one sub-image; forward new tokens), each a list
 *     of blocks, each block a list of ops, repeated once per layer where it
 *     is a layer.
 * The executors (rg-exec-ref.c, plain C from the reference ops; the Vulkan
 * one in rg-exec-vulkan.c) walk the same ops. The op vocabulary states the
 * fused forms the GPU wants (a linear layer with an input RMSNorm, a SwiGLU
 * gate, a residual accumulate, an output row offset); the reference runs
 * each unfused with the same meaning. Adding a family = a new description
 * plus any op it needs (with its shader, reference and test).
 *
 * Row offsets: only COPY (both sides), LINEAR (in and out), ROPE's caches and
 * ATTENTION's k/v read a ref's row0; every other op works on whole
 * buffers from row 0 (rg_arch_validate checks this). A column offset
 * (col0) is for LINEAR's output of one row (a decoupled lm_head's second
 * part) and COPY.
 *
 * Switches: an op or a weight with `when` exists only where that dim is
 * non-zero (IDEFICS1's optional q/k norms, resampler, activation); a
 * layered op with `every` runs on the layers l with l % every == 0, its
 * weights of another layer count indexed l / every (IDEFICS1's gated
 * cross-attention blocks before every N-th decoder layer). */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "rg-config.h"

G_BEGIN_DECLS

/* Sizes from the config. Families fill those they use; products are
 * computed in 64 bits and checked (every dim must fit 32 bits: the ops
 * take uint32 sizes). */
typedef enum
{
  RG_DIM_NONE = 0,
  RG_DIM_ONE,
  /* vision tower */
  RG_DIM_V, RG_DIM_VI, RG_DIM_V_HEADS, RG_DIM_V_HEAD_DIM, RG_DIM_V_LAYERS,
  RG_DIM_CHANNELS, RG_DIM_PATCH, RG_DIM_V_POSITIONS,
  /* connector */
  RG_DIM_NL, RG_DIM_P_HEADS, RG_DIM_P_KV_HEADS, RG_DIM_P_HEAD_DIM, RG_DIM_P_Q, RG_DIM_P_KV,
  RG_DIM_P_FF, RG_DIM_P_LAYERS,
  RG_DIM_SCALE, RG_DIM_V_SHUFFLED,   /* IDEFICS3: pixel shuffle factor s, V * s^2 */
  /* text */
  RG_DIM_T, RG_DIM_TI, RG_DIM_VOCAB, RG_DIM_T_HEADS, RG_DIM_T_KV_HEADS, RG_DIM_T_HEAD_DIM,
  RG_DIM_T_Q, RG_DIM_T_KV, RG_DIM_T_LAYERS, RG_DIM_T_WINDOW,
  /* IDEFICS1: decoupled vocabulary, gated cross-attention, switches (0/1) */
  RG_DIM_VOCAB_BASE, RG_DIM_VOCAB_EXTRA, RG_DIM_X_LAYERS, RG_DIM_X_INTERVAL, RG_DIM_ALPHA_SCALAR, RG_DIM_ALPHA_VECTOR,
  RG_DIM_IMAGE_SEQ, RG_DIM_RESAMPLER, RG_DIM_NO_RESAMPLER, RG_DIM_QK_NORM, RG_DIM_P_QK_NORM,
  RG_DIM_ACT_GELU, RG_DIM_ACT_QUICK_GELU,
  RG_DIM_N
} RgDim;

typedef enum
{
  RG_PARAM_NONE = 0,
  RG_PARAM_V_EPS, RG_PARAM_P_EPS, RG_PARAM_T_EPS, RG_PARAM_ROPE_THETA,
  RG_PARAM_N
} RgParam;

typedef struct
{
  uint64_t d[RG_DIM_N];
  float p[RG_PARAM_N];
} RgArchDims;

/* Rows bound per run: counts, and offsets (a ref's first row). */
typedef enum
{
  RG_ROWS_ZERO = 0,
  RG_ROWS_ONE,
  RG_ROWS_PATCHES,       /* NP: patches of one padded sub-image */
  RG_ROWS_LATENTS,       /* NL */
  RG_ROWS_CONTEXT,       /* NP + NL: the perceiver's keys */
  RG_ROWS_SUB_IMAGE,     /* s * NL: this sub-image's first feature row */
  RG_ROWS_TOKENS,        /* L: new tokens */
  RG_ROWS_LAST,          /* L - 1 */
  RG_ROWS_PAST,          /* n_past: the first new token's position */
  RG_ROWS_PAST_TOKENS,   /* n_past + L */
  RG_ROWS_IMAGE_TOKENS,  /* image-token rows among the new tokens */
  RG_ROWS_CACHE,         /* the KV cache's capacity (context length) */
  RG_ROWS_SUB_IMAGES_LATENTS, /* n * NL: every sub-image's features */
  RG_ROWS_CLS_PATCHES,   /* 1 + NP: a class token and the patches (CLIP) */
  RG_ROWS_CLS_CONTEXT,   /* 1 + NP + NL: the IDEFICS1 perceiver's keys */
  RG_ROWS_IMAGES,        /* forward: images whose states the cross-attention reads */
  RG_ROWS_IMAGE_SEQ,     /* forward: state rows per image */
  RG_ROWS_IMAGE_STATES,  /* forward: images x state rows */
  RG_ROWS_N
} RgRows;

/* What a buffer is to the executor. */
typedef enum
{
  RG_ROLE_SCRATCH = 0,   /* activations of one program run */
  RG_ROLE_PIXELS,        /* input f32 [C, H, W] of one sub-image */
  RG_ROLE_POSITION_IDS,  /* input int32 [NP] */
  RG_ROLE_PATCH_MASK,    /* input mask [NP] (absent when every patch is valid) */
  RG_ROLE_FEATURES,      /* output f32 [n * NL, T] of encode */
  RG_ROLE_TOKEN_IDS,     /* input int32 [L] */
  RG_ROLE_IMAGE_FEATURES,/* input f32 [image tokens, T] (absent without images) */
  RG_ROLE_IMAGE_ROWS,    /* input int32 [image tokens]: their rows among the L */
  RG_ROLE_LOGITS,        /* output f32 [1, vocab] */
  RG_ROLE_KV_CACHE,      /* persistent, one per layer: [context, cols] */
  RG_ROLE_IMAGE_STATES,  /* input f32 [images x seq, cols]: what cross-attention reads (IDEFICS1) */
  RG_ROLE_IMAGE_INDEX,   /* input int32 [L]: the image each token attends, -1: none */
  RG_ROLE_IMAGE_CACHE,   /* persistent, one per layer: [images x seq, cols], written by the
                          * images program when the image states change (cross-attention k/v) */
} RgRole;

typedef struct
{
  const char *name;
  RgRole role;
  RgRows rows;
  RgDim cols;
  RgDim layers;     /* KV_CACHE: one buffer per layer of this count */
} RgArchBuffer;

#define RG_ARCH_MAX_BUFFERS 64

/* A buffer slot (index into the family's buffer table) and a first row. */
typedef struct
{
  guint8 buf;     /* 0: none */
  guint8 row0;    /* RgRows */
  guint8 col0;    /* RgDim: columns before the first element (LINEAR out of one row, COPY) */
} RgArchRef;

/* Weight slot 0 is "none". */
typedef enum
{
  RG_WEIGHT_MATRIX,   /* [rows, cols...] read by LINEAR, EMBED, PATCH_EMBED */
  RG_WEIGHT_VECTOR,   /* f32: norm gains, biases, learned rows (latents) */
} RgWeightKind;

typedef enum
{
  RG_QUANT_NEVER = 0, /* f16 under the quantized formats (small or sensitive) */
  RG_QUANT_YES,       /* Q8_0 / Q4_0 where rows are whole blocks */
  RG_QUANT_8BIT,      /* quantized, but kept Q8_0 under Q4_0 (mixed 4-bit) */
} RgQuantRule;

typedef struct
{
  const char *name;       /* HF tensor name; "%u" = the layer index */
  RgDim layers;           /* RG_DIM_NONE: one tensor; else one per layer */
  guint n_dims;
  RgDim shape[4];
  RgWeightKind kind;
  RgQuantRule quant;
  guint16 tied_to;        /* a slot it may be missing for (lm_head: the embedding), when tied */
  RgDim when;             /* RG_DIM_NONE, or exists only where this dim is non-zero */
} RgArchWeight;

typedef enum
{
  RG_OP_NOP = 0,
  RG_OP_EMBED,        /* out[rows] = w[ids] (in: int32 ids); b: a second table, for the ids after w's rows */
  RG_OP_PATCH_EMBED,  /* out[NP, V] = conv_PxP(in pixels) . w + b; P = dim */
  RG_OP_SCATTER_ROWS, /* out[in2[i]] = in[i], i < rows (skipped without images) */
  RG_OP_COPY,         /* out = in (or the vector weight w), rows x cols */
  RG_OP_ADD,          /* out = in + in2, rows x cols */
  RG_OP_LAYERNORM,    /* out = LN(in) * w + b over cols; eps param */
  RG_OP_RMSNORM,      /* out = RMSNorm(in) * w; RG_OPF_FOLDABLE: may be folded into the following linears */
  RG_OP_LINEAR,       /* out (+)= [RMSNorm(in) * norm] . w^T + b [* silu(in2)] */
  RG_OP_GELU_TANH,    /* out = gelu_tanh(in) */
  RG_OP_SWIGLU,       /* out = silu(in) * in2 */
  RG_OP_ROPE,         /* rotate_half RoPE in place of out (q, heads) at positions from PAST; with in (new k
                       * rows, kv_heads, f32) and in2 (new v rows): k rotated into cache_k, v copied into
                       * cache_v (the KV cache at PAST, in the cache's element type: f32 or f16) */
  RG_OP_ATTENTION,    /* out = softmax(q k^T / sqrt(D) + masks) v; q = in, k = in2, v = in3, key mask = mask */
  RG_OP_TAP,          /* store in (rows x cols) under NAME for --dump and the goldens ("%u": the layer, or layer / every) */
  RG_OP_GELU,         /* out = gelu(in), exact (erf) */
  RG_OP_QUICK_GELU,   /* out = in * sigmoid(1.702 in) */
  RG_OP_RELU,         /* out = max(in, 0) */
  RG_OP_TANH_GATE_ADD,/* out += tanh(w) * in (w: 1 or cols gates) on the rows whose index in2 is >= 0 (no in2: all) */
  RG_OP_IMAGE_ATTENTION, /* out = per query, attention to the IMAGE_SEQ rows of image mask[i] of k = in2, v = in3 */
  RG_OP_PIXEL_SHUFFLE,/* out [grid/s^2, s*s*cols] = s x s blocks of the patch grid in [grid, cols]; s = head_dim */
} RgOpKind;

enum
{
  RG_OPF_ACCUMULATE = 1 << 0, /* LINEAR: out += (a residual in place) */
  RG_OPF_FOLDABLE = 1 << 1,   /* RMSNORM: only the immediately following LINEARs read its output */
  RG_OPF_CAUSAL = 1 << 2,     /* ATTENTION: query i at PAST + i sees keys <= PAST + i (and the window) */
};

typedef struct
{
  RgOpKind kind;
  RgArchRef out, in, in2, in3;
  RgArchRef cache_k, cache_v;  /* ROPE: where the new k and v rows go */
  guint8 mask;        /* ATTENTION: a PATCH_MASK buffer covering the first keys (the rest valid) */
  guint8 rows;        /* RgRows: M */
  guint8 kv_rows;     /* RgRows: ATTENTION's keys */
  RgDim cols;         /* element-wise, norms, copy: row length */
  RgDim heads, kv_heads, head_dim, window;  /* ATTENTION, ROPE; PATCH_EMBED: head_dim = patch side;
                                             * norms with heads: rows x heads rows of cols (per head) */
  guint16 w, b, norm; /* weight slots */
  RgParam eps;        /* norms; ROPE: theta */
  RgDim when;         /* RG_DIM_NONE, or runs only where this dim is non-zero */
  RgDim every;        /* layered ops: runs on layers l % every == 0 */
  guint flags;
  const char *name;   /* TAP: the tap's name; other ops: a tap of the output (rows x cols) */
} RgArchOp;

typedef struct
{
  const char *name;
  const RgArchOp *ops;
  guint n_ops;
  RgDim layers;       /* RG_DIM_NONE: run once; else once per layer (weights and KV caches of that layer) */
} RgArchBlock;

typedef struct
{
  const RgArchBlock *blocks;
  guint n_blocks;
} RgArchProgram;

typedef struct
{
  const char *name;
  gboolean (*resolve) (const RgModelConfig *cfg, RgArchDims *dims, GError **error);
  const RgArchWeight *weights;   /* [n_weights], slot 0 unused */
  guint n_weights;
  const RgArchBuffer *buffers;   /* [n_buffers], slot 0 unused */
  guint n_buffers;
  RgArchProgram encode;          /* one sub-image -> feature_rows rows of FEATURES */
  RgArchProgram forward;         /* L tokens -> KV cache, LOGITS */
  RgArchProgram images;          /* image states -> IMAGE_CACHE (cross-attention families) */
  RgDim feature_rows, feature_cols; /* FEATURES per sub-image (0: NL, T) */
} RgArch;

extern const RgArch rg_arch_idefics2;
extern const RgArch rg_arch_idefics3;
extern const RgArch rg_arch_idefics1;

/* Rows per sub-image and columns of what encode writes. */
void rg_arch_feature_shape (const RgArch *arch, const RgArchDims *dims, uint64_t *rows, uint64_t *cols);
/* Whether OP runs at LAYER (its `when` and `every`), and the layer index
 * its per-layer weights and "%u" tap names take there. */
gboolean rg_arch_op_runs (const RgArchOp *op, const RgArchDims *dims, guint layer, guint *weight_layer);

/* The description of a config's family (cfg->family) with its dims
 * resolved and the description checked. */
const RgArch *rg_arch_for_config (const RgModelConfig *cfg, RgArchDims *dims, GError **error);

/* Product of A and B into *OUT, FALSE (and an INVALID_MODEL error) when it
 * overflows 32 bits. For families' resolve (). */
gboolean rg_arch_mul (uint64_t a, uint64_t b, uint64_t *out, const char *what, GError **error);

/* The tensor name of weight SLOT for LAYER (g_free). */
char *rg_arch_weight_name (const RgArch *arch, guint slot, guint layer);
/* Number of layers of a weight (1 when it is not per layer). */
guint rg_arch_weight_layers (const RgArch *arch, const RgArchDims *dims, guint slot);
/* The weight's shape (N_DIMS dims into SHAPE[4]); rows = shape[0], cols =
 * the product of the others (checked against 32 bits by resolve). */
guint rg_arch_weight_shape (const RgArch *arch, const RgArchDims *dims, guint slot, int64_t shape[4]);
void rg_arch_weight_matrix (const RgArch *arch, const RgArchDims *dims, guint slot,
                            uint32_t *rows, uint32_t *cols);
/* The row count a symbol has for a weight, etc.: helpers for executors. */
uint64_t rg_arch_dim (const RgArchDims *dims, RgDim dim);

/* Every ref's row offset is one the op reads, every slot exists: a
 * description error is a programming error, found by the unit test. */
gboolean rg_arch_validate (const RgArch *arch, GError **error);

G_END_DECLS
