#include "test-gpu.h"

#include <stdlib.h>
#include <string.h>

static RgVkContext *gpu_ctx;

static void
free_context (void)
{
  g_clear_pointer (&gpu_ctx, rg_vk_context_free);
}

RgVkContext *
rg_test_gpu_init (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) devices = rg_vk_enumerate_devices (NULL);

  if (devices == NULL || devices->len == 0)
    {
      g_printerr ("no Vulkan device: skipping the gpu tests\n");
      exit (RG_TEST_EXIT_SKIP);
    }
  gpu_ctx = rg_vk_context_new (NULL, &error);
  g_assert_no_error (error);
  g_test_message ("device: %s", rg_vk_context_get_info (gpu_ctx)->name);
  atexit (free_context);
  return gpu_ctx;
}

RgVkContext *
rg_test_gpu (void)
{
  g_assert_nonnull (gpu_ctx);
  return gpu_ctx;
}

float *
rg_test_random_f32 (guint32 seed, size_t n, float lo, float hi)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  float *v = g_new (float, MAX (n, 1));

  for (size_t i = 0; i < n; i++)
    v[i] = (float) g_rand_double_range (rand, lo, hi);
  return v;
}

RgVkBuffer *
rg_test_upload_bytes (const char *name, const void *data, size_t bytes)
{
  g_autoptr(GError) error = NULL;
  RgVkBuffer *buf = rg_vk_buffer_new (rg_test_gpu (), name, bytes, &error);

  g_assert_no_error (error);
  if (bytes > 0)
    rg_vk_buffer_upload (buf, 0, data, bytes, &error);
  g_assert_no_error (error);
  return buf;
}

RgVkBuffer *
rg_test_upload_f32 (const char *name, const float *data, size_t n)
{
  return rg_test_upload_bytes (name, data, n * sizeof (float));
}

RgVkBuffer *
rg_test_new_buffer (const char *name, size_t bytes)
{
  g_autoptr(GError) error = NULL;
  RgVkBuffer *buf = rg_vk_buffer_new (rg_test_gpu (), name, bytes, &error);

  g_assert_no_error (error);
  /* poison, so an op that forgets to write shows up */
  if (bytes > 0)
    {
      g_autofree guint8 *nan = g_malloc (bytes);
      memset (nan, 0xff, bytes);
      rg_vk_buffer_upload (buf, 0, nan, bytes, &error);
      g_assert_no_error (error);
    }
  return buf;
}

void
rg_test_download (RgVkBuffer *buf, void *data, size_t bytes)
{
  g_autoptr(GError) error = NULL;

  rg_vk_buffer_download (buf, 0, data, bytes, &error);
  g_assert_no_error (error);
}

float *
rg_test_download_f32 (RgVkBuffer *buf, size_t n)
{
  float *v = g_new (float, MAX (n, 1));

  rg_test_download (buf, v, n * sizeof (float));
  return v;
}

RgVkRecorder *
rg_test_recorder (void)
{
  return rg_vk_recorder_new (rg_test_gpu ());
}

void
rg_test_submit (RgVkRecorder *rec)
{
  g_autoptr(GError) error = NULL;

  rg_vk_recorder_submit (rec, &error);
  g_assert_no_error (error);
}

void
rg_test_assert_nmse (const char *file, int line, const char *what,
                     const float *a, const float *b, size_t n, double max_nmse)
{
  RgCompare c = rg_test_compare_f32 (a, b, n);

  g_test_message ("%s: n=%zu nmse=%.3g max|diff|=%.3g", what, n, c.nmse, c.max_abs);
  if (c.n_nonfinite > 0 || !(c.nmse <= max_nmse))
    {
      g_autofree char *msg = g_strdup_printf ("%s: nmse %.3g > %.3g (max |diff| %.3g at [%zu]: got %.9g want %.9g; "
                                              "%zu non-finite)", what, c.nmse, max_nmse, c.max_abs, c.worst_index,
                                              (double) a[c.worst_index], (double) b[c.worst_index], c.n_nonfinite);
      g_assertion_message (G_LOG_DOMAIN, file, line, G_STRFUNC, msg);
    }
}
