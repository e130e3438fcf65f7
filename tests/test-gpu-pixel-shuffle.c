/* IDEFICS3's pixel shuffle on the GPU against rg_ref_pixel_shuffle, which
 * is itself checked against transformers' view / permute / reshape chain
 * replayed step by step (Idefics3Connector.pixel_shuffle). */
#include "test-gpu.h"

#include <string.h>

/* The HF chain on [gh, gw, D], each step materialized as torch's
 * .contiguous () would: view [gh, gw/s, s*D]; permute (1, 0, 2);
 * reshape [gw/s, gh/s, s*s*D]; permute (1, 0, 2); reshape [NL, s*s*D]. */
static float *
hf_pixel_shuffle (const float *x, size_t gh, size_t gw, size_t D, size_t s)
{
  size_t ow = gw / s, oh = gh / s, sD = s * D, ssD = s * s * D;
  g_autofree float *a = g_new (float, gh * gw * D);   /* [ow, gh, sD] */
  float *out = g_new (float, gh * gw * D);            /* [oh, ow, ssD] */

  for (size_t X = 0; X < ow; X++)
    for (size_t y = 0; y < gh; y++)
      for (size_t k = 0; k < sD; k++)
        a[(X * gh + y) * sD + k] = x[y * gw * D + X * sD + k];
  /* a read as [ow, oh, ssD], then rows (X, Y) swapped */
  for (size_t Y = 0; Y < oh; Y++)
    for (size_t X = 0; X < ow; X++)
      memcpy (out + (Y * ow + X) * ssD, a + (X * oh + Y) * ssD, ssD * sizeof (float));
  return out;
}

static void
check_ref (size_t gh, size_t gw, size_t D, size_t s)
{
  size_t n = gh * gw * D;
  g_autofree float *x = rg_test_random_f32 ((guint32) (gh * 131 + gw * 7 + D + s), n, -3, 3);
  g_autofree float *want = hf_pixel_shuffle (x, gh, gw, D, s);
  g_autofree float *got = g_new (float, n);

  rg_ref_pixel_shuffle (x, gh, gw, D, s, got);
  g_assert_cmpmem (got, n * 4, want, n * 4);
}

static void
test_ref_matches_hf_chain (void)
{
  check_ref (8, 8, 32, 4);     /* smolvlm-tiny */
  check_ref (9, 9, 5, 3);      /* smolvlm-hidden's s = 3 */
  check_ref (6, 12, 7, 2);     /* not square: rows and columns kept apart */
  check_ref (4, 4, 1, 4);      /* one output row */
  check_ref (5, 3, 3, 1);      /* s = 1: the identity */
}

/* The order itself on a grid small enough to spell out: 4 x 4 patches of
 * D = 1 with value = patch index, s = 2. */
static void
test_ref_order (void)
{
  float x[16], got[16];
  const float want[16] = { 0, 1, 4, 5,  2, 3, 6, 7,  8, 9, 12, 13,  10, 11, 14, 15 };

  for (int i = 0; i < 16; i++)
    x[i] = (float) i;
  rg_ref_pixel_shuffle (x, 4, 4, 1, 2, got);
  g_assert_cmpmem (got, sizeof got, want, sizeof want);
}

static void
check_gpu (uint32_t gh, uint32_t gw, uint32_t D, uint32_t s)
{
  size_t n = (size_t) gh * gw * D;
  g_autofree float *x = rg_test_random_f32 (gh * 31 + gw + D * 7 + s, n, -2, 2);
  g_autofree float *want = g_new (float, n);
  g_autofree float *got = NULL;
  g_autoptr(RgVkBuffer) bi = rg_test_upload_f32 ("in", x, n);
  g_autoptr(RgVkBuffer) bo = rg_test_new_buffer ("out", n * 4);
  g_autoptr(RgVkRecorder) rec = rg_test_recorder ();

  rg_ref_pixel_shuffle (x, gh, gw, D, s, want);
  rg_op_pixel_shuffle (rec, bo, bi, gh, gw, D, s);
  rg_test_submit (rec);
  got = rg_test_download_f32 (bo, n);
  /* a permutation: bit-exact */
  g_assert_cmpmem (got, n * 4, want, n * 4);
}

static void
test_gpu_sizes (void)
{
  check_gpu (8, 8, 32, 4);       /* smolvlm-tiny */
  check_gpu (9, 9, 24, 3);       /* smolvlm-hidden */
  check_gpu (6, 10, 13, 2);      /* not square, odd D */
  check_gpu (3, 3, 1, 3);        /* one row of 9 */
  check_gpu (7, 14, 3, 7);       /* D smaller than s */
  check_gpu (32, 32, 768, 4);    /* SmolVLM-256M/500M: 786432 elements, several workgroups in y */
}

static void
test_gpu_rejects_partial_blocks (void)
{
  g_autoptr(RgVkBuffer) bi = rg_test_new_buffer ("in", 6 * 6 * 4);
  g_autoptr(RgVkBuffer) bo = rg_test_new_buffer ("out", 6 * 6 * 4);
  g_autoptr(RgVkRecorder) rec = rg_test_recorder ();
  g_autoptr(GError) error = NULL;

  rg_op_pixel_shuffle (rec, bo, bi, 6, 6, 1, 4);
  g_assert_false (rg_vk_recorder_submit (rec, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "pixel_shuffle"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/gpu/ops/pixel-shuffle/reference-matches-hf-chain", test_ref_matches_hf_chain);
  g_test_add_func ("/gpu/ops/pixel-shuffle/reference-order", test_ref_order);
  g_test_add_func ("/gpu/ops/pixel-shuffle/sizes", test_gpu_sizes);
  g_test_add_func ("/gpu/ops/pixel-shuffle/rejects-partial-blocks", test_gpu_rejects_partial_blocks);
  rg_test_gpu_init ();
  return g_test_run ();
}
