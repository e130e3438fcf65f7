/* rg-model-gpu.h: IDEFICS2 on Vulkan, the same RgModel interface as the
 * reference backend (rg-model-ref.h), both running the family description
 * of rg-arch.h. */
#pragma once

#include <gio/gio.h>

#include "rg-model.h"
#include "rg-snapshot.h"
#include "rg-vk.h"

G_BEGIN_DECLS

typedef enum
{
  RG_WEIGHTS_F32,   /* every matrix upcast to f32: the reference path */
  RG_WEIGHTS_AUTO,  /* bf16 checkpoints stay bf16 (exact), others go to f16 */
  RG_WEIGHTS_F16,
  RG_WEIGHTS_Q8_0,  /* language model in Q8_0 where rows are whole blocks, the rest f16 */
  RG_WEIGHTS_Q4_0,  /* the same with Q4_0 */
} RgWeightFormat;

/* Uploads the snapshot's weights to CTX (borrowed: it must outlive the
 * model), streaming from the mapped files one tensor at a time. */
RgModel *rg_model_gpu_new (RgSnapshot *snap, RgVkContext *ctx, RgWeightFormat format,
                           guint context_length, GCancellable *cancellable,
                           RgModelProgress progress, gpointer progress_data,
                           GError **error);
/* The same with the KV cache's element type (rg_kv_type_resolve: AUTO is
 * f32 for RG_WEIGHTS_F32, f16 otherwise); the model's kv_type says which. */
RgModel *rg_model_gpu_new_full (RgSnapshot *snap, RgVkContext *ctx, RgWeightFormat format, RgKvType kv,
                                guint context_length, GCancellable *cancellable,
                                RgModelProgress progress, gpointer progress_data,
                                GError **error);

/* "f32", "f16", "bf16", "q8_0", "q4_0" (the language model's type) or
 * "mixed": what the matrices were stored as. */
const char *rg_model_gpu_get_weight_format (RgModel *model);
/* Device memory the model holds (weights + KV cache). */
guint64 rg_model_gpu_get_device_bytes (RgModel *model);
/* How many matrices the load converted, and how many it took already
 * converted from the weight cache (rg-weight-cache.h). */
void rg_model_gpu_get_load_stats (RgModel *model, guint *n_converted, guint *n_from_cache);

/* Tests: the estimated work (FLOPs) recorded per command buffer of an
 * encode or forward (0: learned from the device's speed, about 0.4 s of
 * work), and how many command buffers the model has submitted. */
void rg_model_gpu_set_submit_flops (RgModel *model, double flops);
guint rg_model_gpu_get_n_submits (RgModel *model);

G_END_DECLS
