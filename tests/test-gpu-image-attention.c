/* Cross-attention to one image per query (IDEFICS1) on the GPU against
 * rg_ref_image_attention, at awkward sizes: key counts below, at and above
 * one workgroup tile, head dims up to the limit, queries attending no image. */
#include "test-gpu.h"

#include <math.h>
#include <string.h>

static void
check (uint32_t n_q, uint32_t H, uint32_t D, uint32_t seq, uint32_t n_images)
{
  size_t row = (size_t) H * D, nq = n_q * row, nkv = MAX ((size_t) n_images * seq * row, 1);
  g_autofree float *q = rg_test_random_f32 (n_q + D, nq, -2, 2);
  g_autofree float *k = rg_test_random_f32 (seq + 7, nkv, -2, 2);
  g_autofree float *v = rg_test_random_f32 (seq + 9, nkv, -2, 2);
  g_autofree int32_t *index = g_new (int32_t, n_q);
  g_autofree float *want = g_new (float, nq);
  g_autofree float *got = NULL;
  g_autoptr(RgVkBuffer) bq = rg_test_upload_f32 ("q", q, nq);
  g_autoptr(RgVkBuffer) bk = rg_test_upload_f32 ("k", k, nkv);
  g_autoptr(RgVkBuffer) bv = rg_test_upload_f32 ("v", v, nkv);
  g_autoptr(RgVkBuffer) bi = NULL;
  g_autoptr(RgVkBuffer) bo = rg_test_new_buffer ("out", nq * 4);
  g_autoptr(RgVkRecorder) rec = rg_test_recorder ();
  float scale = 1.0f / sqrtf ((float) D);

  for (uint32_t i = 0; i < n_q; i++)
    index[i] = n_images == 0 || i % 4 == 0 ? -1 : (int32_t) ((i / 3) % n_images);
  bi = rg_test_upload_bytes ("index", index, n_q * 4);
  rg_ref_image_attention (q, k, v, index, want, n_q, H, D, seq, scale);
  rg_op_image_attention (rec, bo, bq, bk, bv, bi, n_q, H, D, seq, n_images, scale);
  rg_test_submit (rec);
  got = rg_test_download_f32 (bo, nq);
  rg_assert_nmse (got, want, nq, 1e-10);
  for (uint32_t i = 0; i < n_q; i++)
    if (index[i] < 0)
      for (size_t e = 0; e < row; e++)
        g_assert_cmpfloat (got[i * row + e], ==, 0.0f);
}

static void
test_small (void)
{
  check (1, 1, 1, 1, 1);
  check (17, 4, 16, 8, 2);      /* the tiny fixture's shape */
  check (5, 3, 13, 63, 3);
}

static void
test_tiles (void)
{
  /* seq beyond one 64-key tile (CLS + patches without the resampler) */
  check (9, 2, 96, 257, 2);
  check (3, 2, 128, 64, 1);
  check (2, 1, 256, 65, 2);    /* the head dim limit: 4 dims per invocation */
}

static void
test_no_images (void)
{
  check (7, 4, 16, 8, 0);
}

static void
test_head_dim_over_limit_is_an_error (void)
{
  g_autoptr(RgVkBuffer) b = rg_test_new_buffer ("b", 4 * 300 * 4);
  g_autoptr(RgVkRecorder) rec = rg_test_recorder ();
  g_autoptr(GError) error = NULL;

  rg_op_image_attention (rec, b, b, b, b, b, 1, 1, 300, 1, 1, 1.0f);
  g_assert_false (rg_vk_recorder_submit (rec, &error));
  g_assert_nonnull (error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  rg_test_gpu_init ();
  g_test_add_func ("/gpu/ops/image-attention/small", test_small);
  g_test_add_func ("/gpu/ops/image-attention/tiles", test_tiles);
  g_test_add_func ("/gpu/ops/image-attention/no-images", test_no_images);
  g_test_add_func ("/gpu/ops/image-attention/head-dim-over-limit-is-an-error", test_head_dim_over_limit_is_an_error);
  return g_test_run ();
}
