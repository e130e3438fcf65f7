/* Pillow's BICUBIC resize against the idefics1-tiny preprocessing goldens
 * (IdeficsImageProcessor: convert_to_rgb, then one PIL BICUBIC squash to
 * image_size x image_size). Every case's image is decoded to RGB (alpha
 * over white, grayscale expanded, as convert_to_rgb does before the
 * resize), resized, and must match the golden's resized_u8.0 byte for
 * byte and its FNV-1a checksum. JPEG inputs use their *.decoded.png (PIL's
 * own decoding; gdk-pixbuf's libjpeg may differ by a level). */
#include "test-common.h"
#include "test-golden-common.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "rg-image.h"
#include "rg-resample.h"
#include "rg-safetensors.h"

static JsonParser *manifest;
static JsonArray *cases;

static RgImage *
load_case_image (JsonObject *c)
{
  return rg_test_golden_case_image ("idefics1-tiny", json_object_get_string_member (c, "image"));
}

static void
test_golden_case (gconstpointer data)
{
  JsonObject *c = json_array_get_object_element (cases, GPOINTER_TO_UINT (data));
  JsonObject *sub = json_array_get_object_element (json_object_get_array_member (c, "sub_images"), 0);
  JsonArray *size = json_object_get_array_member (sub, "resized_hw");
  guint h = (guint) json_array_get_int_element (size, 0), w = (guint) json_array_get_int_element (size, 1);
  g_autoptr(RgImage) image = load_case_image (c);
  g_autoptr(RgImage) out = NULL;
  g_autofree char *rel = g_build_filename ("idefics1-tiny", json_object_get_string_member (c, "file"), NULL);
  g_autofree char *full = rg_test_fixture_path (rel);
  g_autoptr(RgSafetensors) st = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *fnv = NULL;
  const RgTensorInfo *t;
  const uint8_t *ref;

  g_assert_cmpuint (image->width, ==, json_array_get_int_element (json_object_get_array_member (c, "size_wh"), 0));
  g_assert_cmpuint (image->height, ==, json_array_get_int_element (json_object_get_array_member (c, "size_wh"), 1));
  out = rg_resample (image, w, h, RG_RESAMPLE_BICUBIC, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (out->width, ==, w);
  g_assert_cmpuint (out->height, ==, h);

  st = rg_safetensors_open (full, &error);
  g_assert_no_error (error);
  t = rg_safetensors_find (st, "resized_u8.0");
  g_assert_nonnull (t);
  g_assert_cmpint (t->dtype, ==, RG_DTYPE_U8);
  g_assert_cmpuint (t->nbytes, ==, (gsize) w * h * 3);
  ref = t->data;
  for (gsize i = 0; i < t->nbytes; i++)
    if (ref[i] != out->rgb[i])
      g_error ("pixel (%" G_GSIZE_FORMAT ", %" G_GSIZE_FORMAT ") channel %" G_GSIZE_FORMAT ": %u, expected %u",
               i / 3 / w, i / 3 % w, i % 3, out->rgb[i], ref[i]);
  fnv = g_strdup_printf ("%016" G_GINT64_MODIFIER "x", rg_image_fnv1a64 (out));
  g_assert_cmpstr (fnv, ==, json_object_get_string_member (sub, "u8_fnv1a64"));
}

/* Support 2 per unit of downscale (at least 2), weights summing to 2^22 up
 * to rounding, negative lobes; an upscale reads up to 5 inputs. */
static void
test_taps (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RgResampleTaps) up = rg_resample_taps_new_filter (RG_RESAMPLE_BICUBIC, 30, 56, &error);
  g_autoptr(RgResampleTaps) down = rg_resample_taps_new_filter (RG_RESAMPLE_BICUBIC, 1200, 56, &error);
  gboolean negative = FALSE;

  g_assert_no_error (error);
  g_assert_cmpuint (up->ksize, ==, 5);
  /* support = 2 * 1200 / 56 = 42.86 -> 2 * 43 + 1 */
  g_assert_cmpuint (down->ksize, ==, 87);
  for (guint i = 0; i < up->out_size; i++)
    {
      gint64 sum = 0;

      g_assert_cmpuint (up->n[i], >=, 2); /* 2 at the borders */
      g_assert_cmpuint (up->first[i] + up->n[i], <=, 30);
      for (guint j = 0; j < up->n[i]; j++)
        {
          sum += up->coeffs[i * up->ksize + j];
          negative |= up->coeffs[i * up->ksize + j] < 0;
        }
      g_assert_cmpint (ABS (sum - (1 << RG_RESAMPLE_PRECISION_BITS)), <=, (gint64) up->n[i]);
    }
  g_assert_true (negative);
}

/* The kernel's values at known points: Keys' cubic with a = -0.5, whose
 * values at quarter points are exact binary fractions summing to 1. */
static void
test_kernel_values (void)
{
  g_autoptr(GError) error = NULL;
  /* Output 8 of 8 -> 16 sits at input 4.25: inputs 2..5 at distances
   * 1.75, 0.75, 0.25, 1.25. */
  g_autoptr(RgResampleTaps) taps = rg_resample_taps_new_filter (RG_RESAMPLE_BICUBIC, 8, 16, &error);
  const double w[4] = { -0.0234375, 0.2265625, 0.8671875, -0.0703125 }; /* sum 1 */
  const gint32 *k;

  g_assert_no_error (error);
  g_assert_cmpuint (taps->first[8], ==, 2);
  g_assert_cmpuint (taps->n[8], ==, 4);
  k = &taps->coeffs[8 * taps->ksize];
  for (guint j = 0; j < 4; j++)
    g_assert_cmpint (k[j], ==, (gint32) (w[j] * (1 << RG_RESAMPLE_PRECISION_BITS) + (w[j] < 0 ? -0.5 : 0.5)));
}

/* Overshoot past 0 and 255 (negative lobes on a step edge) is clamped. */
static void
test_clamped_ringing (void)
{
  g_autoptr(RgImage) src = rg_image_new (8, 1, NULL);
  g_autoptr(RgImage) out = NULL;
  g_autoptr(GError) error = NULL;
  gboolean hit0 = FALSE, hit255 = FALSE;

  for (guint x = 4; x < 8; x++)
    memset (src->rgb + x * 3, 255, 3);
  out = rg_resample (src, 29, 1, RG_RESAMPLE_BICUBIC, &error);
  g_assert_no_error (error);
  for (guint x = 0; x < 29; x++)
    {
      hit0 |= out->rgb[x * 3] == 0;
      hit255 |= out->rgb[x * 3] == 255;
    }
  g_assert_true (hit0 && hit255);
}

int
main (int argc, char **argv)
{
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);
  path = rg_test_fixture_path ("idefics1-tiny/golden/manifest.json");
  manifest = json_parser_new ();
  json_parser_load_from_file (manifest, path, &error);
  g_assert_no_error (error);
  cases = json_object_get_array_member (json_node_get_object (json_parser_get_root (manifest)),
                                        "preprocess_cases");
  /* tiny, portrait, landscape, square, screenshot, gray (L), alpha (RGBA). */
  g_assert_cmpuint (json_array_get_length (cases), ==, 7);

  g_test_add_func ("/engine/image/resize/pillow-bicubic/taps", test_taps);
  g_test_add_func ("/engine/image/resize/pillow-bicubic/kernel-values", test_kernel_values);
  g_test_add_func ("/engine/image/resize/pillow-bicubic/clamped-ringing", test_clamped_ringing);
  for (guint i = 0; i < json_array_get_length (cases); i++)
    {
      JsonObject *c = json_array_get_object_element (cases, i);
      g_autofree char *base = g_path_get_basename (json_object_get_string_member (c, "image"));
      g_autofree char *tpath = NULL;

      *strrchr (base, '.') = '\0';
      tpath = g_strdup_printf ("/engine/image/resize/pillow-bicubic/golden/%s", base);
      g_test_add_data_func (tpath, GUINT_TO_POINTER (i), test_golden_case);
    }

  ret = g_test_run ();
  g_clear_object (&manifest);
  return ret;
}
