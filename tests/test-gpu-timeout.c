/* A fence wait that times out is a lost device (#14): the error is
 * REGARD_ERROR_DEVICE_LOST, nothing the submission may still use is freed
 * or reused, and a new context works afterwards. The timeout is shortened
 * (rg_vk_context_set_fence_timeout, as $REGARD_GPU_TIMEOUT_MS does) below
 * the time the recorded work takes on any device. */
#include "test-gpu.h"

#include "regard-engine.h"

/* 64 MiB per buffer, 16 passes: about 3 GB of memory traffic, seconds on
 * lavapipe and still far above 1 ms on a discrete GPU. */
#define N_FLOATS (16u * 1024 * 1024)
#define N_PASSES 16

static void
check_add_works (RgVkContext *ctx)
{
  const float a[] = { 1, 2, 3, 4 }, b[] = { 10, 20, 30, 40 };
  float got[4];
  g_autoptr(GError) error = NULL;
  g_autoptr(RgVkBuffer) ba = rg_vk_buffer_new (ctx, "a", sizeof a, &error);
  g_autoptr(RgVkBuffer) bb = rg_vk_buffer_new (ctx, "b", sizeof b, &error);
  g_autoptr(RgVkRecorder) rec = rg_vk_recorder_new (ctx);

  g_assert_no_error (error);
  g_assert_true (rg_vk_buffer_upload (ba, 0, a, sizeof a, &error));
  g_assert_true (rg_vk_buffer_upload (bb, 0, b, sizeof b, &error));
  rg_op_add (rec, ba, ba, bb, 4);
  g_assert_true (rg_vk_recorder_submit (rec, &error));
  g_assert_no_error (error);
  g_assert_true (rg_vk_buffer_download (ba, 0, got, sizeof got, &error));
  g_assert_cmpfloat (got[0], ==, 11);
  g_assert_cmpfloat (got[3], ==, 44);
}

static void
test_timeout_is_device_lost (void)
{
  g_autoptr(GError) error = NULL;
  RgVkContext *ctx = rg_vk_context_new (NULL, &error);
  RgVkBuffer *a, *b;
  RgVkRecorder *rec;

  g_assert_no_error (error);
  a = rg_vk_buffer_new (ctx, "a", (uint64_t) N_FLOATS * 4, &error);
  g_assert_no_error (error);
  b = rg_vk_buffer_new (ctx, "b", (uint64_t) N_FLOATS * 4, &error);
  g_assert_no_error (error);

  rec = rg_vk_recorder_new (ctx);
  for (guint i = 0; i < N_PASSES; i++)
    rg_op_add (rec, a, a, b, N_FLOATS);
  rg_vk_context_set_fence_timeout (ctx, 1000 * 1000); /* 1 ms */
  g_assert_false (rg_vk_recorder_submit (rec, &error));
  g_assert_error (error, REGARD_ERROR, REGARD_ERROR_DEVICE_LOST);
  g_assert_true (rg_vk_context_is_lost (ctx));
  g_clear_error (&error);

  /* Nothing is reused: no new memory, no new submission, no copy. */
  g_assert_null (rg_vk_buffer_new (ctx, "c", 16, &error));
  g_assert_error (error, REGARD_ERROR, REGARD_ERROR_DEVICE_LOST);
  g_clear_error (&error);
  rg_op_add (rec, a, a, b, 4);
  g_assert_false (rg_vk_recorder_submit (rec, &error));
  g_assert_error (error, REGARD_ERROR, REGARD_ERROR_DEVICE_LOST);
  g_clear_error (&error);

  /* Freeing while the work may still run only drops bookkeeping; the
   * context waits for the fence before it destroys anything. */
  rg_vk_recorder_free (rec);
  rg_vk_buffer_free (a);
  rg_vk_buffer_free (b);
  rg_vk_context_free (ctx);

  /* A new context (a reload) works. */
  ctx = rg_vk_context_new (NULL, &error);
  g_assert_no_error (error);
  check_add_works (ctx);
  rg_vk_context_free (ctx);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  rg_test_gpu_init ();
  g_test_add_func ("/gpu/vulkan/timeout-is-device-lost", test_timeout_is_device_lost);
  return g_test_run ();
}
