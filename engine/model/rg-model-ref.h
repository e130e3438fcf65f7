/* rg-model-ref.h: the reference backend (plain C) of RgModel.
 *
 * Every weight is upcast to f32 at load and the family's description
 * (rg-arch.h) runs on the CPU through the reference ops of rg-ref-ops.h
 * (rg-exec-ref.c). It is slow and meant as the oracle for the Vulkan
 * backend and for the golden tests ("reference backend", never "CPU":
 * a CPU Vulkan device such as lavapipe runs the Vulkan backend). */
#pragma once

#include <gio/gio.h>

#include "rg-model.h"
#include "rg-snapshot.h"

G_BEGIN_DECLS

/* The snapshot is only read during the call (weights are copied).
 * CONTEXT_LENGTH: KV cache capacity in tokens (0: 4096). Reports PROGRESS
 * (checkpoint bytes) per tensor and stops between tensors once
 * CANCELLABLE fires (G_IO_ERROR_CANCELLED). */
RgModel *rg_model_ref_new (RgSnapshot *snap, guint context_length, GCancellable *cancellable,
                           RgModelProgress progress, gpointer progress_data, GError **error);
/* The same with the KV cache's element type (rg_kv_type_resolve; the
 * weights are f32 here, so AUTO is f32 unless $REGARD_KV_CACHE says f16):
 * an f16 cache keeps f32 values rounded to f16, as the Vulkan one reads. */
RgModel *rg_model_ref_new_full (RgSnapshot *snap, RgKvType kv, guint context_length, GCancellable *cancellable,
                                RgModelProgress progress, gpointer progress_data, GError **error);

G_END_DECLS
