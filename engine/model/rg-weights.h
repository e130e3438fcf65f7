/* rg-weights.h: named weights of a snapshot, checked and upcast to f32.
 *
 * The reference backend (plain C) keeps every weight as f32; this is the one
 * place that turns a snapshot tensor (F32, F16 or BF16) into such a copy,
 * after checking its shape against what the config implies. */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "rg-snapshot.h"

G_BEGIN_DECLS

/* A newly allocated f32 copy (g_free) of tensor NAME, whose shape must be
 * exactly SHAPE [N_DIMS]. REGARD_ERROR_INVALID_MODEL when it is missing,
 * of another shape or not a float type. */
float *rg_weights_load_f32 (RgSnapshot *snap, const char *name,
                            guint n_dims, const int64_t *shape, GError **error);

/* Same for a tensor found directly in a safetensors file. */
float *rg_weights_tensor_to_f32 (const RgTensorInfo *info, const char *name,
                                 guint n_dims, const int64_t *shape, GError **error);

G_END_DECLS
