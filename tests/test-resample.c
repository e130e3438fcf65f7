/* Pillow's antialiased bilinear resize, on hand-computed cases (the golden
 * images are covered in test-preprocess). */
#include "test-common.h"

#include <string.h>

#include "regard-engine.h"
#include "rg-resample.h"

static RgImage *
gray_row (const uint8_t *values, guint n)
{
  RgImage *img = rg_image_new (n, 1, NULL);

  for (guint i = 0; i < n; i++)
    memset (img->rgb + i * 3, values[i], 3);
  return img;
}

/* 2 -> 4 upscale: taps of Pillow's triangle with support 1, worked by
 * hand: centers 0.25, 0.75, 1.25, 1.75 give [0], [.75 .25], [.25 .75], [1]
 * after normalization: 0, 63.75 -> 64, 191.25 -> 191, 255. */
static void
test_upscale_by_hand (void)
{
  static const uint8_t in[2] = { 0, 255 }, expect[4] = { 0, 64, 191, 255 };
  g_autoptr(RgImage) src = gray_row (in, 2);
  g_autoptr(GError) error = NULL;
  g_autoptr(RgImage) out = rg_resample_bilinear (src, 4, 1, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (out->width, ==, 4);
  for (guint i = 0; i < 4; i++)
    for (guint c = 0; c < 3; c++)
      g_assert_cmpuint (out->rgb[i * 3 + c], ==, expect[i]);
}

/* 4 -> 2 downscale: support widens to 2 (antialiasing), so output 0 reads
 * inputs 0..2 with weights .75 .75 .25 (/1.75): 71.43 -> 71; output 1
 * reads 1..3 with .25 .75 .75: 209.29 -> 209. A plain bilinear sample
 * would give 50 and 227.5. */
static void
test_downscale_antialiased_by_hand (void)
{
  static const uint8_t in[4] = { 0, 100, 200, 255 }, expect[2] = { 71, 209 };
  g_autoptr(RgImage) src = gray_row (in, 4);
  g_autoptr(GError) error = NULL;
  g_autoptr(RgImage) out = rg_resample_bilinear (src, 2, 1, &error);

  g_assert_no_error (error);
  for (guint i = 0; i < 2; i++)
    g_assert_cmpuint (out->rgb[i * 3], ==, expect[i]);
}

/* The vertical pass mirrors the horizontal one. */
static void
test_vertical_by_hand (void)
{
  static const uint8_t expect[4] = { 0, 64, 191, 255 };
  g_autoptr(RgImage) src = rg_image_new (1, 2, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(RgImage) out = NULL;

  memset (src->rgb + 3, 255, 3);
  out = rg_resample_bilinear (src, 1, 4, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (out->height, ==, 4);
  for (guint i = 0; i < 4; i++)
    g_assert_cmpuint (out->rgb[i * 3 + 1], ==, expect[i]);
}

static void
test_same_size_is_copy (void)
{
  g_autoptr(RgImage) src = rg_image_new (7, 5, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(RgImage) out = NULL;

  for (guint i = 0; i < 7 * 5 * 3; i++)
    src->rgb[i] = (uint8_t) (i * 37 + 11);
  out = rg_resample_bilinear (src, 7, 5, &error);
  g_assert_no_error (error);
  g_assert_true (out != src && out->rgb != src->rgb);
  g_assert_cmpmem (out->rgb, 7 * 5 * 3, src->rgb, 7 * 5 * 3);
}

/* Channels are independent and a constant image stays constant, whatever
 * the scale (the normalized taps sum to 1 within rounding). */
static void
test_constant_stays_constant (void)
{
  static const guint sizes[][2] = { { 1, 1 }, { 3, 2 }, { 378, 378 }, { 980, 17 }, { 13, 900 } };
  g_autoptr(RgImage) src = rg_image_new (123, 77, NULL);

  for (guint i = 0; i < 123 * 77; i++)
    {
      src->rgb[i * 3 + 0] = 0;
      src->rgb[i * 3 + 1] = 200;
      src->rgb[i * 3 + 2] = 255;
    }
  for (gsize s = 0; s < G_N_ELEMENTS (sizes); s++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(RgImage) out = rg_resample_bilinear (src, sizes[s][0], sizes[s][1], &error);

      g_assert_no_error (error);
      for (guint i = 0; i < out->width * out->height; i++)
        {
          g_assert_cmpuint (out->rgb[i * 3 + 0], ==, 0);
          g_assert_cmpuint (out->rgb[i * 3 + 1], ==, 200);
          g_assert_cmpuint (out->rgb[i * 3 + 2], ==, 255);
        }
    }
}

/* Taps stay inside the input and sum to 2^22 up to per-tap rounding. */
static void
test_taps_bounds_and_sum (void)
{
  static const guint pairs[][2] = { { 30, 378 }, { 1000, 980 }, { 1200, 980 }, { 100000, 980 }, { 1, 378 }, { 980, 1 } };

  for (gsize p = 0; p < G_N_ELEMENTS (pairs); p++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(RgResampleTaps) taps = rg_resample_taps_new (pairs[p][0], pairs[p][1], &error);

      g_assert_no_error (error);
      for (guint i = 0; i < taps->out_size; i++)
        {
          gint64 sum = 0;

          g_assert_cmpuint (taps->n[i], >=, 1);
          g_assert_cmpuint (taps->n[i], <=, taps->ksize);
          g_assert_cmpuint (taps->first[i] + taps->n[i], <=, pairs[p][0]);
          for (guint j = 0; j < taps->n[i]; j++)
            sum += taps->coeffs[(gsize) i * taps->ksize + j];
          g_assert_cmpint (ABS (sum - (1 << RG_RESAMPLE_PRECISION_BITS)), <=, taps->n[i]);
        }
    }
}

static void
test_taps_reject_empty (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RgResampleTaps) taps = rg_resample_taps_new (0, 10, &error);

  g_assert_null (taps);
  g_assert_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_IMAGE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engine/image/resize/pillow-bilinear/upscale", test_upscale_by_hand);
  g_test_add_func ("/engine/image/resize/pillow-bilinear/downscale-antialiased", test_downscale_antialiased_by_hand);
  g_test_add_func ("/engine/image/resize/pillow-bilinear/vertical", test_vertical_by_hand);
  g_test_add_func ("/engine/image/resize/pillow-bilinear/same-size-copy", test_same_size_is_copy);
  g_test_add_func ("/engine/image/resize/pillow-bilinear/constant", test_constant_stays_constant);
  g_test_add_func ("/engine/image/resize/taps/bounds-and-sum", test_taps_bounds_and_sum);
  g_test_add_func ("/engine/image/resize/taps/reject-empty", test_taps_reject_empty);
  return g_test_run ();
}
