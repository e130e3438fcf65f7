/* test-golden-common.h: reading the golden tensors of a fixture model
 * (its golden/cases/ files, written by HF in f32 and int64). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "rg-safetensors.h"

G_BEGIN_DECLS

/* The safetensors file RELATIVE to fixture MODEL_DIR (asserted to open). */
RgSafetensors *rg_test_golden_open (const char *model_dir, const char *relative);
/* A copy of the f32 tensor NAME (asserted present and f32); *N its size. */
float *rg_test_golden_f32 (RgSafetensors *st, const char *name, size_t *n);
/* The int64 tensor NAME (ids, indices) as int32; *N its size. */
int32_t *rg_test_golden_i64 (RgSafetensors *st, const char *name, size_t *n);

G_END_DECLS
