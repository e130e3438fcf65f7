/* Image preprocessing against Idefics2ImageProcessor's goldens (slow PIL
 * processor, Pillow 9.4): resize rule, resized uint8 images (FNV-1a, sums
 * and stored tensors), normalized float pixel values and padding.
 *
 * JPEG inputs are checked through their *.decoded.png: the goldens' pixels
 * come from PIL's libjpeg-turbo decode, and a different libjpeg build may
 * round the IDCT differently; the decoded PNGs separate decoding from
 * preprocessing. test /engine/image/decode/jpeg-size covers the JPEG path. */
#include "test-common.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "regard-engine.h"
#include "rg-image.h"
#include "rg-preprocess.h"
#include "rg-safetensors.h"

static JsonArray *cases;  /* manifest preprocess_cases */
static JsonParser *manifest_parser;

static char *
case_image_path (JsonObject *c, gboolean decoded)
{
  g_autofree char *golden = rg_test_fixture_path ("idefics2-tiny"); /* paths are relative to the snapshot */
  g_autofree char *path = g_build_filename (golden, json_object_get_string_member (c, "image"), NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  char *resolved = g_file_get_path (file);

  if (decoded && g_str_has_suffix (resolved, ".jpg"))
    {
      char *png;

      resolved[strlen (resolved) - 4] = '\0';
      png = g_strconcat (resolved, ".decoded.png", NULL);
      g_free (resolved);
      return png;
    }
  return resolved;
}

static RgImage *
load_case_image (JsonObject *c)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = case_image_path (c, TRUE);
  RgImage *image = rg_image_decode_file (path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (image);
  return image;
}

static RgPreprocessOptions
case_options (JsonObject *c)
{
  RgPreprocessOptions opts = rg_preprocess_options_default ();

  opts.do_split = json_object_get_boolean_member (c, "do_image_splitting");
  return opts;
}

static void
test_resize_size_rule (void)
{
  static const guint cases_whl[][4] = {
    { 30, 20, 378, 378 },        /* small: each side clamped up, aspect lost */
    { 600, 1000, 588, 980 },     /* portrait: W = int (980 * 0.6) */
    { 1200, 500, 980, 408 },     /* landscape: H = int (980 / 2.4) = 408 */
    { 980, 980, 980, 980 },      /* unchanged */
    { 800, 450, 800, 450 },      /* below 980: no upscaling */
    { 1000, 1000, 980, 980 },    /* square goes through the W >= H branch */
    { 3000, 10, 980, 378 },      /* int (980 / 300) = 3, then clamped */
    { 1, 1, 378, 378 },
    { 999, 1000, 979, 980 },     /* int (980 * 0.999) = 979.02 -> 979 */
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases_whl); i++)
    {
      guint w, h;

      rg_preprocess_resize_size (cases_whl[i][0], cases_whl[i][1], 980, 378, &w, &h);
      g_assert_cmpuint (w, ==, cases_whl[i][2]);
      g_assert_cmpuint (h, ==, cases_whl[i][3]);
    }
}

static void
test_resize_size_truncates_in_double (void)
{
  guint w, h;

  /* 980 / (1470 / 1001) = 667.3333 -> 667; the integer formula
   * 980 * 1001 / 1470 gives the same here, but 980 / (W / H) must be
   * computed through the double aspect ratio: 2000x1337 ->
   * 980 / 1.4958863126402393 = 655.13 -> 655. */
  rg_preprocess_resize_size (1470, 1001, 980, 378, &w, &h);
  g_assert_cmpuint (w, ==, 980);
  g_assert_cmpuint (h, ==, 667);
  rg_preprocess_resize_size (2000, 1337, 980, 378, &w, &h);
  g_assert_cmpuint (h, ==, 655);
  /* A 7x5 image at 980 / (7 / 5) = 700 exactly in the maths, 699.99.. or
   * 700 in double: Python gives int (980 / 1.4) = 700. */
  rg_preprocess_resize_size (1400, 1000, 980, 378, &w, &h);
  g_assert_cmpuint (h, ==, (guint) (int) (980.0 / (1400.0 / 1000.0)));
}

static void
test_options_from_fixture (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = rg_test_fixture_path ("idefics2-tiny/preprocessor_config.json");
  RgPreprocessOptions opts = rg_preprocess_options_default ();

  opts.do_split = TRUE;
  opts.longest_edge = 1;
  g_assert_true (rg_preprocess_options_load (&opts, path, &error));
  g_assert_no_error (error);
  g_assert_false (opts.do_split);
  g_assert_cmpuint (opts.longest_edge, ==, 980);
  g_assert_cmpuint (opts.shortest_edge, ==, 378);
  g_assert_cmpfloat (opts.rescale_factor, ==, 1.0 / 255.0);
  g_assert_cmpfloat (opts.image_mean[1], ==, 0.5f);
  g_assert_cmpfloat (opts.image_std[2], ==, 0.5f);
}

static void
test_options_reject_bad_config (void)
{
  static const char *const bad[] = {
    "[]",
    "{\"size\": {\"longest_edge\": -5}}",
    "{\"size\": {\"longest_edge\": \"980\"}}",
    "{\"image_std\": [0.5, 0, 0.5]}",
    "{\"image_mean\": [0.5, 0.5]}",
    "{\"do_image_splitting\": 1}",
    "{\"do_normalize\": false}",
    "{\"resample\": 3}",
    "{\"rescale_factor\": -1}",
    "{ not json",
  };
  g_autofree char *dir = g_dir_make_tmp ("regard-pp-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "preprocessor_config.json", NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      RgPreprocessOptions opts = rg_preprocess_options_default ();
      RgPreprocessOptions before = opts;

      g_assert_true (g_file_set_contents (path, bad[i], -1, NULL));
      g_assert_false (rg_preprocess_options_load (&opts, path, &error));
      g_assert_nonnull (error);
      g_assert_true (error->domain == REGARD_ERROR);
      /* A failed load leaves the options untouched. */
      g_assert_cmpmem (&opts, sizeof opts, &before, sizeof before);
    }
  g_unlink (path);
  g_rmdir (dir);
}

/* Checksums of every sub-image and of the padded float batch. */
static void
test_golden_case (gconstpointer data)
{
  JsonObject *c = json_array_get_object_element (cases, GPOINTER_TO_UINT (data));
  JsonArray *subs = json_object_get_array_member (c, "sub_images");
  JsonArray *shape = json_object_get_array_member (c, "pixel_values_shape");
  RgPreprocessOptions opts = case_options (c);
  g_autoptr(RgImage) image = load_case_image (c);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) resized = NULL;
  g_autoptr(RgPixelBatch) batch = NULL;
  gsize plane;

  resized = rg_preprocess_resize_images (&image, 1, &opts, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (resized->len, ==, json_array_get_length (subs));
  batch = rg_pixel_batch_from_resized (resized, &opts, &error);
  g_assert_no_error (error);

  g_assert_cmpuint (batch->n, ==, json_array_get_int_element (shape, 1));
  g_assert_cmpuint (3, ==, json_array_get_int_element (shape, 2));
  g_assert_cmpuint (batch->height, ==, json_array_get_int_element (shape, 3));
  g_assert_cmpuint (batch->width, ==, json_array_get_int_element (shape, 4));
  plane = (gsize) batch->height * batch->width;

  for (guint k = 0; k < resized->len; k++)
    {
      JsonObject *s = json_array_get_object_element (subs, k);
      JsonArray *hw = json_object_get_array_member (s, "resized_hw");
      const RgImage *img = g_ptr_array_index (resized, k);
      g_autofree char *fnv = g_strdup_printf ("%016" G_GINT64_MODIFIER "x", rg_image_fnv1a64 (img));
      const float *values = batch->pixel_values + (gsize) k * 3 * plane;
      const uint8_t *mask = batch->pixel_mask + (gsize) k * plane;
      guint64 u8_sum = 0, mask_sum = 0;
      double sum = 0, expected_sum;

      g_test_message ("sub-image %u: %ux%u", k, img->height, img->width);
      g_assert_cmpuint (img->height, ==, json_array_get_int_element (hw, 0));
      g_assert_cmpuint (img->width, ==, json_array_get_int_element (hw, 1));
      g_assert_cmpuint (batch->valid_hw[k * 2], ==, img->height);
      g_assert_cmpuint (batch->valid_hw[k * 2 + 1], ==, img->width);
      for (gsize i = 0; i < (gsize) img->width * img->height * 3; i++)
        u8_sum += img->rgb[i];
      g_assert_cmpuint (u8_sum, ==, json_object_get_int_member (s, "u8_sum"));
      g_assert_cmpstr (fnv, ==, json_object_get_string_member (s, "u8_fnv1a64"));

      for (gsize i = 0; i < plane; i++)
        mask_sum += mask[i];
      g_assert_cmpuint (mask_sum, ==, json_object_get_int_member (s, "pixel_attention_mask_sum"));

      /* The golden is numpy's float64 sum over the padded sub-image. Every
       * normalized value is a float32 multiple of 2^-32, so while partial
       * sums stay below 2^21 (all the goldens' do: |sum| < 1e6) a double
       * sum is exact in any order: the 1e-6 only absorbs JSON printing.
       * One pixel off by one LSB moves the sum by 2/255. */
      for (gsize i = 0; i < 3 * plane; i++)
        sum += values[i];
      expected_sum = json_object_get_double_member (s, "pixel_values_sum");
      g_test_message ("pixel_values_sum %.17g, golden %.17g, diff %.3g", sum, expected_sum, sum - expected_sum);
      g_assert_cmpfloat_with_epsilon (sum, expected_sum, 1e-6);
    }
}

/* Stored resized_u8.K tensors, byte for byte. */
static void
test_golden_resized_u8 (gconstpointer data)
{
  JsonObject *c = json_array_get_object_element (cases, GPOINTER_TO_UINT (data));
  RgPreprocessOptions opts = case_options (c);
  g_autoptr(RgImage) image = load_case_image (c);
  g_autoptr(GError) error = NULL;
  g_autofree char *rel = g_build_filename ("idefics2-tiny", json_object_get_string_member (c, "file"), NULL);
  g_autofree char *full = rg_test_fixture_path (rel);
  g_autoptr(RgSafetensors) st = rg_safetensors_open (full, &error);
  g_autoptr(GPtrArray) resized = NULL;
  guint checked = 0;

  g_assert_no_error (error);
  resized = rg_preprocess_resize_images (&image, 1, &opts, &error);
  g_assert_no_error (error);
  for (guint k = 0; k < resized->len; k++)
    {
      g_autofree char *name = g_strdup_printf ("resized_u8.%u", k);
      const RgTensorInfo *t = rg_safetensors_find (st, name);
      const RgImage *img = g_ptr_array_index (resized, k);
      const uint8_t *ref;

      if (t == NULL)
        continue;
      g_assert_cmpint (t->dtype, ==, RG_DTYPE_U8);
      g_assert_cmpuint (t->n_dims, ==, 3);
      g_assert_cmpint (t->shape[0], ==, img->height);
      g_assert_cmpint (t->shape[1], ==, img->width);
      g_assert_cmpint (t->shape[2], ==, 3);
      ref = t->data;
      for (gsize i = 0; i < t->nbytes; i++)
        if (ref[i] != img->rgb[i])
          g_error ("%s: pixel (%" G_GSIZE_FORMAT ", %" G_GSIZE_FORMAT ") channel %" G_GSIZE_FORMAT
                   ": %u, expected %u", name, i / 3 / img->width, i / 3 % img->width, i % 3,
                   img->rgb[i], ref[i]);
      checked++;
    }
  g_assert_cmpuint (checked, >, 0);
}

/* The tiny image's float32 pixel_values, bit for bit. */
static void
test_golden_pixel_values_tiny (void)
{
  g_autofree char *png = rg_test_fixture_path ("images/tiny_30x20.png");
  g_autofree char *st_path = rg_test_fixture_path ("idefics2-tiny/golden/preprocess/tiny_30x20__split0.safetensors");
  RgPreprocessOptions opts = rg_preprocess_options_default ();
  g_autoptr(GError) error = NULL;
  g_autoptr(RgImage) image = rg_image_decode_file (png, &error);
  g_autoptr(RgSafetensors) st = NULL;
  g_autoptr(RgPixelBatch) batch = NULL;
  const RgTensorInfo *t;
  g_autofree float *ref = NULL;
  gsize n;

  g_assert_no_error (error);
  st = rg_safetensors_open (st_path, &error);
  g_assert_no_error (error);
  t = rg_safetensors_find (st, "pixel_values");
  g_assert_nonnull (t);
  g_assert_cmpint (t->dtype, ==, RG_DTYPE_F32);
  batch = rg_preprocess_images (&image, 1, &opts, &error);
  g_assert_no_error (error);
  n = (gsize) batch->n * 3 * batch->height * batch->width;
  g_assert_cmpuint (t->n_elements, ==, n);
  /* Exact: the formula is fully specified in float32. (Copied: tensors in
   * a safetensors file need not be aligned.) */
  ref = g_memdup2 (t->data, t->nbytes);
  rg_assert_close_f32 (batch->pixel_values, ref, n, 0.0);
  g_assert_cmpmem (batch->pixel_values, n * sizeof (float), t->data, n * sizeof (float));
}

/* Two images of different sizes: padding is 0.0 in the values and 0 in the
 * mask, bottom/right, to the largest height and width. */
static void
test_padding_two_images (void)
{
  RgPreprocessOptions opts = rg_preprocess_options_default ();
  g_autoptr(GError) error = NULL;
  g_autoptr(RgImage) a = rg_image_new (30, 20, &error);      /* -> 378x378 */
  g_autoptr(RgImage) b = rg_image_new (500, 700, &error);    /* -> 500x700 (w x h) */
  RgImage *images[2];
  g_autoptr(RgPixelBatch) batch = NULL;
  gsize plane;

  memset (a->rgb, 255, 30 * 20 * 3);
  memset (b->rgb, 0, 500 * 700 * 3);
  images[0] = a;
  images[1] = b;
  batch = rg_preprocess_images (images, 2, &opts, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (batch->n, ==, 2);
  g_assert_cmpuint (batch->height, ==, 700);
  g_assert_cmpuint (batch->width, ==, 500);
  plane = 700 * 500;
  for (guint c = 0; c < 3; c++)
    for (guint y = 0; y < 700; y++)
      for (guint x = 0; x < 500; x++)
        {
          gboolean real = y < 378 && x < 378;
          float v = batch->pixel_values[c * plane + (gsize) y * 500 + x];
          float w = batch->pixel_values[3 * plane + c * plane + (gsize) y * 500 + x];

          g_assert_cmpfloat (v, ==, real ? 1.0f : 0.0f);
          g_assert_cmpfloat (w, ==, -1.0f);
          if (c == 0)
            {
              g_assert_cmpuint (batch->pixel_mask[(gsize) y * 500 + x], ==, real);
              g_assert_cmpuint (batch->pixel_mask[plane + (gsize) y * 500 + x], ==, 1);
            }
        }
  g_assert_cmpuint (batch->valid_hw[0], ==, 378);
  g_assert_cmpuint (batch->valid_hw[1], ==, 378);
  g_assert_cmpuint (batch->valid_hw[2], ==, 700);
  g_assert_cmpuint (batch->valid_hw[3], ==, 500);
}

/* Split order and crop bounds: TL, TR, BL, BR (odd pixels right/bottom),
 * then the full image. */
static void
test_split_order (void)
{
  RgPreprocessOptions opts = rg_preprocess_options_default ();
  g_autoptr(GError) error = NULL;
  g_autoptr(RgImage) img = rg_image_new (5, 3, &error);
  g_autoptr(GPtrArray) resized = NULL;
  static const uint8_t expect[5] = { 10, 20, 30, 40, 0 };

  /* Quadrant colours: mid_w = 2, mid_h = 1. */
  for (guint y = 0; y < 3; y++)
    for (guint x = 0; x < 5; x++)
      memset (img->rgb + (y * 5 + x) * 3, (y < 1 ? 0 : 20) + (x < 2 ? 10 : 20), 3);
  resized = rg_preprocess_resize_images (&img, 1, &(RgPreprocessOptions) { .do_split = TRUE,
                                         .longest_edge = opts.longest_edge,
                                         .shortest_edge = opts.shortest_edge }, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (resized->len, ==, 5);
  for (guint k = 0; k < 4; k++)
    {
      const RgImage *s = g_ptr_array_index (resized, k);

      /* A constant crop stays constant through the bilinear resize. */
      g_assert_cmpuint (s->rgb[0], ==, expect[k]);
      g_assert_cmpuint (s->rgb[(gsize) s->width * s->height * 3 - 1], ==, expect[k]);
    }
}

static void
test_split_too_small (void)
{
  RgPreprocessOptions opts = rg_preprocess_options_default ();
  g_autoptr(GError) error = NULL;
  g_autoptr(RgImage) img = rg_image_new (1, 7, &error);
  g_autoptr(GPtrArray) resized = NULL;

  opts.do_split = TRUE;
  resized = rg_preprocess_resize_images (&img, 1, &opts, &error);
  g_assert_null (resized);
  g_assert_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_IMAGE);
}

/* The JPEG itself decodes to the same size as PIL's decode (pixels may
 * differ by a libjpeg rounding; the amount is reported, not asserted). */
static void
test_jpeg_decodes_to_same_size (void)
{
  static const char *const names[] = { "portrait_600x1000", "square_980x980" };

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *jpg_rel = g_strdup_printf ("images/%s.jpg", names[i]);
      g_autofree char *png_rel = g_strdup_printf ("images/%s.decoded.png", names[i]);
      g_autofree char *jpg = rg_test_fixture_path (jpg_rel);
      g_autofree char *png = rg_test_fixture_path (png_rel);
      g_autoptr(GError) error = NULL;
      g_autoptr(RgImage) a = rg_image_decode_file (jpg, &error);
      g_autoptr(RgImage) b = NULL;
      guint max_diff = 0;
      gsize n_diff = 0;

      g_assert_no_error (error);
      b = rg_image_decode_file (png, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (a->width, ==, b->width);
      g_assert_cmpuint (a->height, ==, b->height);
      for (gsize k = 0; k < (gsize) a->width * a->height * 3; k++)
        {
          guint d = ABS ((int) a->rgb[k] - (int) b->rgb[k]);

          max_diff = MAX (max_diff, d);
          n_diff += d != 0;
        }
      g_test_message ("%s: JPEG vs PIL decode: %" G_GSIZE_FORMAT " samples differ, max %u",
                      names[i], n_diff, max_diff);
    }
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *manifest = NULL;

  g_test_init (&argc, &argv, NULL);

  manifest = rg_test_fixture_path ("idefics2-tiny/golden/manifest.json");
  manifest_parser = json_parser_new ();
  if (!json_parser_load_from_file (manifest_parser, manifest, &error))
    g_error ("%s", error->message);
  cases = json_object_get_array_member (json_node_get_object (json_parser_get_root (manifest_parser)),
                                        "preprocess_cases");

  g_test_add_func ("/engine/image/preprocess/resize-size/rule", test_resize_size_rule);
  g_test_add_func ("/engine/image/preprocess/resize-size/double-truncation", test_resize_size_truncates_in_double);
  g_test_add_func ("/engine/image/preprocess/options/fixture", test_options_from_fixture);
  g_test_add_func ("/engine/image/preprocess/options/reject-bad", test_options_reject_bad_config);
  g_test_add_func ("/engine/image/preprocess/padding/two-images", test_padding_two_images);
  g_test_add_func ("/engine/image/preprocess/split/order", test_split_order);
  g_test_add_func ("/engine/image/preprocess/split/too-small", test_split_too_small);
  g_test_add_func ("/engine/image/decode/jpeg-size", test_jpeg_decodes_to_same_size);
  g_test_add_func ("/engine/image/preprocess/golden/pixel-values-tiny", test_golden_pixel_values_tiny);

  for (guint i = 0; i < json_array_get_length (cases); i++)
    {
      JsonObject *c = json_array_get_object_element (cases, i);
      g_autofree char *base = g_path_get_basename (json_object_get_string_member (c, "image"));
      char *dot = strchr (base, '.');
      g_autofree char *path = NULL;

      if (dot)
        *dot = '\0';
      path = g_strdup_printf ("/engine/image/preprocess/golden/checksums/%s/split%d", base,
                              json_object_get_boolean_member (c, "do_image_splitting"));
      g_test_add_data_func (path, GUINT_TO_POINTER (i), test_golden_case);
      if (json_object_has_member (c, "file") && !json_object_get_null_member (c, "file"))
        {
          g_autofree char *vpath = g_strdup_printf ("/engine/image/preprocess/golden/resized-u8/%s/split%d", base,
                                                    json_object_get_boolean_member (c, "do_image_splitting"));
          g_test_add_data_func (vpath, GUINT_TO_POINTER (i), test_golden_resized_u8);
        }
    }
  return g_test_run ();
}
