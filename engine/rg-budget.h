/* rg-budget.h: how much device memory a model needs, and which weight
 * format fits a device.
 *
 * The estimate follows what rg-model-gpu.c allocates: every matrix in the
 * chosen format (block-quantized formats quantize only the language model's
 * matrices whose rows are whole blocks; the vision tower, the connector and
 * the other matrices stay f16, and Q4_0 keeps lm_head in Q8_0), f32 vectors, the KV cache
 * [layers, context, kv_heads, head_dim] for keys and values (KV: f32 or f16;
 * AUTO: f32 for f32 weights, f16 otherwise, so a quantized model's default
 * context costs half), the RoPE table,
 * and the peak of the scratch activations: one vision sub-image (at most
 * (image_size / patch_size)^2 patches, one at a time) or the prefill of a
 * prompt with its image tokens, whichever is larger, for one layer at a
 * time. */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "rg-config.h"
#include "rg-dtype.h"
#include "rg-model.h"

G_BEGIN_DECLS

typedef struct
{
  guint64 matrices;      /* weight matrices in their stored types */
  guint64 vectors;       /* norms, biases, latents, RoPE table (f32) */
  guint64 kv_cache;
  guint64 activations;   /* scratch peak */
  guint64 total;
} RgBudgetEstimate;

/* FORMAT: the language model's matrix type (F32, F16, BF16, Q8_0, Q4_0).
 * IMAGE_SPLITTING: prompts carry 5 sub-images per image (more image
 * tokens in the prefill). */
void rg_budget_estimate (const RgModelConfig *cfg, RgDType format, RgKvType kv, guint context_length,
                         gboolean image_splitting, RgBudgetEstimate *out);

/* Bytes one decoded token reads at N_PAST cached tokens: every decoder
 * matrix and lm_head once (the embedding only gives one row) plus the KV
 * cache; the bandwidth roofline of decode is this over the device's
 * bandwidth. */
guint64 rg_budget_decode_bytes (const RgModelConfig *cfg, RgDType format, RgKvType kv, guint n_past);

/* Share of the budget kept free for the driver, other programs' growth
 * and block fragmentation. */
#define RG_BUDGET_HEADROOM 0.05

/* Picks a format for BUDGET_BYTES of device memory (RgVkDeviceInfo's
 * budget_bytes) on DEVICE_NAME (for messages). REQUESTED is a format or
 * RG_DTYPE_COUNT for "auto": the best that fits, f16 > q8_0 > q4_0. A
 * requested format that does not fit is an error too. REASON gets a
 * sentence saying what was chosen and why; the error (OUT_OF_MEMORY) names
 * what would help: a smaller format, a shorter context, no image splitting,
 * another device. */
gboolean rg_budget_choose (const RgModelConfig *cfg, RgDType requested, RgKvType kv, guint context_length,
                           gboolean image_splitting, guint64 budget_bytes, const char *device_name,
                           RgDType *chosen, char **reason, GError **error);

/* The shortest context the engine shortens its default to (a few images
 * and a conversation) rather than refuse a model. */
#define RG_BUDGET_MIN_DEFAULT_CONTEXT 1024

/* rg_budget_choose for a default *CONTEXT_LENGTH (the caller did not ask
 * for one): when nothing fits at it, the longest context (a multiple of
 * 256, at least RG_BUDGET_MIN_DEFAULT_CONTEXT) with which the smallest
 * allowed format fits is taken instead, said in REASON and stored in
 * *CONTEXT_LENGTH; otherwise the same error as rg_budget_choose. */
gboolean rg_budget_choose_default_context (const RgModelConfig *cfg, RgDType requested, RgKvType kv, guint *context_length,
                                           gboolean image_splitting, guint64 budget_bytes,
                                           const char *device_name, RgDType *chosen, char **reason,
                                           GError **error);

/* Host memory available for a model now: $REGARD_HOST_MEMORY_BYTES (for
 * tests), else /proc/meminfo's MemAvailable, else free physical pages. */
guint64 rg_budget_host_bytes (void);

/* Whether the reference backend (every weight upcast to f32 in RAM) fits
 * in HOST_BYTES for this context, with the same estimate and headroom as
 * a device; otherwise an error (OUT_OF_MEMORY) naming both sizes. */
gboolean rg_budget_check_host (const RgModelConfig *cfg, RgKvType kv, guint context_length, gboolean image_splitting,
                               guint64 host_bytes, GError **error);

G_END_DECLS
