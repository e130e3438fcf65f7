/* test-gpu.h: helpers for the gpu suite (each op against rg-ref-ops.h). */
#pragma once

#include "test-common.h"
#include "rg-ops.h"
#include "rg-ref-ops.h"
#include "rg-vk.h"

G_BEGIN_DECLS

/* The shared context for this test program; call from main () before
 * g_test_run (): exits with status 77 (skip) when there is no Vulkan
 * device at all. */
RgVkContext *rg_test_gpu_init (void);
RgVkContext *rg_test_gpu (void);

/* Deterministic pseudo-random floats in [lo, hi). */
float *rg_test_random_f32 (guint32 seed, size_t n, float lo, float hi);

/* Uploads / downloads f32 arrays; assert on failure. */
RgVkBuffer *rg_test_upload_f32 (const char *name, const float *data, size_t n);
RgVkBuffer *rg_test_upload_bytes (const char *name, const void *data, size_t bytes);
RgVkBuffer *rg_test_new_buffer (const char *name, size_t bytes);
float *rg_test_download_f32 (RgVkBuffer *buf, size_t n);
void rg_test_download (RgVkBuffer *buf, void *data, size_t bytes);

/* Records with a fresh recorder through RECORD, submits, asserts success. */
RgVkRecorder *rg_test_recorder (void);
void rg_test_submit (RgVkRecorder *rec);

/* Asserts NMSE(a, b) <= max_nmse (llama.cpp test-backend-ops style). */
#define rg_assert_nmse(a, b, n, max_nmse) \
  rg_test_assert_nmse (__FILE__, __LINE__, #a, a, b, n, max_nmse)
void rg_test_assert_nmse (const char *file, int line, const char *what,
                          const float *a, const float *b, size_t n, double max_nmse);

G_END_DECLS
