/* test-golden-common.h: reading the golden tensors of a fixture model
 * (its golden/cases/ files, written by HF in f32 and int64). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "rg-image.h"
#include "rg-safetensors.h"

G_BEGIN_DECLS

/* The safetensors file RELATIVE to fixture MODEL_DIR (asserted to open). */
RgSafetensors *rg_test_golden_open (const char *model_dir, const char *relative);
/* A copy of the f32 tensor NAME (asserted present and f32); *N its size. */
float *rg_test_golden_f32 (RgSafetensors *st, const char *name, size_t *n);
/* The int64 tensor NAME (ids, indices) as int32; *N its size. */
int32_t *rg_test_golden_i64 (RgSafetensors *st, const char *name, size_t *n);

/* The image RELATIVE (to the fixture MODEL_DIR, e.g. "idefics1-tiny")
 * decoded as the goldens saw it: a JPEG through the lossless
 * ".decoded.png" of the pixels PIL decoded. Asserts it decodes. */
RgImage *rg_test_golden_case_image (const char *model_dir, const char *relative);

G_END_DECLS
