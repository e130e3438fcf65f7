/* rg-model-cpu.h: the plain-C reference backend of RgModel.
 *
 * Every weight is upcast to f32 at load and the whole IDEFICS2 forward
 * (vision tower, connector, Mistral with a KV cache) runs on the CPU
 * through the reference ops of rg-ref-ops.h. It is slow and meant as the
 * oracle for the Vulkan backend and for the golden tests. */
#pragma once

#include <gio/gio.h>

#include "rg-model.h"
#include "rg-snapshot.h"

G_BEGIN_DECLS

/* The snapshot is only read during the call (weights are copied).
 * CONTEXT_LENGTH: KV cache capacity in tokens (0: 4096). Reports PROGRESS
 * (checkpoint bytes) per tensor and stops between tensors once
 * CANCELLABLE fires (G_IO_ERROR_CANCELLED). */
RgModel *rg_model_cpu_new (RgSnapshot *snap, guint context_length, GCancellable *cancellable,
                           RgModelProgress progress, gpointer progress_data, GError **error);

G_END_DECLS
