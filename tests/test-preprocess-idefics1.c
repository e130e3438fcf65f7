/* IdeficsImageProcessor (the original IDEFICS) against the idefics1-tiny
 * goldens: options from preprocessor_config.json, refusals, and every
 * preprocess case's pixel_values bit for bit (JPEG inputs through their
 * *.decoded.png, as in test-preprocess). */
#include "test-common.h"
#include "test-golden-common.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "regard-error.h"
#include "rg-family.h"
#include "rg-preprocess-idefics1.h"
#include "rg-safetensors.h"

static JsonParser *manifest;
static JsonArray *cases;

static RgPreprocessOptions
fixture_options (void)
{
  g_autofree char *path = rg_test_fixture_path ("idefics1-tiny/preprocessor_config.json");
  RgPreprocessOptions opts = rg_idefics1_preprocess_options_default ();
  g_autoptr(GError) error = NULL;

  g_assert_true (rg_idefics1_preprocess_options_load (&opts, path, &error));
  g_assert_no_error (error);
  return opts;
}

static void
test_options_fixture (void)
{
  RgPreprocessOptions def = rg_idefics1_preprocess_options_default ();
  RgPreprocessOptions opts = fixture_options ();

  g_assert_cmpuint (def.image_size, ==, 224);
  g_assert_cmpuint (opts.image_size, ==, 56);
  g_assert_cmpfloat (opts.image_mean[0], ==, 0.48145466f);
  g_assert_cmpfloat (opts.image_mean[2], ==, 0.40821073f);
  g_assert_cmpfloat (opts.image_std[1], ==, 0.26130258f);
}

static void
test_options_reject (void)
{
  static const struct
  {
    const char *json;
    int code;
    const char *mentions;
  } bad[] = {
    { "[]", REGARD_ERROR_INVALID_MODEL, "object" },
    { "{ not json", REGARD_ERROR_INVALID_MODEL, "preprocessor_config.json" },
    { "{\"image_size\": 0}", REGARD_ERROR_INVALID_MODEL, "image_size" },
    { "{\"image_size\": 100000}", REGARD_ERROR_INVALID_MODEL, "image_size" },
    { "{\"image_size\": \"224\"}", REGARD_ERROR_INVALID_MODEL, "image_size" },
    { "{\"image_std\": [0.5, 0, 0.5]}", REGARD_ERROR_INVALID_MODEL, "image_std" },
    { "{\"image_mean\": [0.5, 0.5]}", REGARD_ERROR_INVALID_MODEL, "image_mean" },
    { "{\"image_num_channels\": 1}", REGARD_ERROR_UNSUPPORTED, "image_num_channels" },
    { "{\"image_processor_type\": \"Idefics2ImageProcessor\"}", REGARD_ERROR_UNSUPPORTED, "IdeficsImageProcessor" },
  };
  g_autofree char *dir = g_dir_make_tmp ("regard-pp1-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "preprocessor_config.json", NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      RgPreprocessOptions opts = rg_idefics1_preprocess_options_default ();
      RgPreprocessOptions before = opts;

      g_assert_true (g_file_set_contents (path, bad[i].json, -1, NULL));
      g_assert_false (rg_idefics1_preprocess_options_load (&opts, path, &error));
      g_assert_error (error, REGARD_ERROR, bad[i].code);
      g_assert_nonnull (strstr (error->message, bad[i].mentions));
      g_assert_cmpmem (&opts, sizeof opts, &before, sizeof before);
    }
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_options_missing_file (void)
{
  g_autoptr(GError) error = NULL;
  RgPreprocessOptions opts = rg_idefics1_preprocess_options_default ();

  g_assert_false (rg_idefics1_preprocess_options_load (&opts, "/nonexistent/preprocessor_config.json", &error));
  g_assert_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL);
  g_assert_nonnull (strstr (error->message, "/nonexistent/preprocessor_config.json"));
}

/* A square squash: aspect ratio is not kept, every image becomes S x S,
 * one batch entry per image, no padding, mask all ones. */
static void
test_square_squash (void)
{
  RgPreprocessOptions opts = fixture_options ();
  g_autoptr(RgImage) wide = rg_image_new (300, 7, NULL);
  g_autoptr(RgImage) tall = rg_image_new (5, 90, NULL);
  RgImage *images[2] = { wide, tall };
  g_autoptr(RgPixelBatch) batch = NULL;
  g_autoptr(GError) error = NULL;

  memset (wide->rgb, 255, (gsize) 300 * 7 * 3);
  batch = rg_idefics1_preprocess_images (images, 2, &opts, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (batch->n, ==, 2);
  g_assert_cmpuint (batch->height, ==, 56);
  g_assert_cmpuint (batch->width, ==, 56);
  for (gsize i = 0; i < (gsize) 2 * 56 * 56; i++)
    g_assert_cmpuint (batch->pixel_mask[i], ==, 1);
  /* White: (1 - mean) / std; black: -mean / std, channel 0. */
  g_assert_cmpfloat (batch->pixel_values[0], ==, (1.0f - opts.image_mean[0]) / opts.image_std[0]);
  g_assert_cmpfloat (batch->pixel_values[3 * 56 * 56], ==, (0.0f - opts.image_mean[0]) / opts.image_std[0]);
}

static void
test_empty_batch (void)
{
  RgPreprocessOptions opts = fixture_options ();
  g_autoptr(RgPixelBatch) batch = NULL;
  g_autoptr(GError) error = NULL;

  batch = rg_idefics1_preprocess_images (NULL, 0, &opts, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (batch->n, ==, 0);
}

/* ---- the family: model_type "idefics" picks this processor ---- */

static void
test_family_fixture (void)
{
  g_autofree char *dir = rg_test_fixture_path ("idefics1-tiny");
  g_autoptr(GError) error = NULL;
  const RgFamily *family = rg_family_for_model_dir (dir, &error);
  RgFamilyProcessor fp;

  g_assert_no_error (error);
  g_assert_true (family == rg_family_lookup ("idefics"));
  g_assert_cmpint (family->expansion, ==, RG_EXPANSION_IDEFICS1);
  g_assert_true (rg_family_load_processor (family, dir, &fp, &error));
  g_assert_no_error (error);
  g_assert_cmpint (fp.pre.kind, ==, RG_PROCESSOR_IDEFICS1);
  g_assert_cmpint (fp.pre.filter, ==, RG_RESAMPLE_BICUBIC);
  g_assert_cmpuint (fp.pre.image_size, ==, 56);
  g_assert_false (fp.pre.do_split);
  /* One <image> token per image; no processor_config.json needed. */
  g_assert_cmpuint (fp.image_seq_len, ==, 1);
}

static char *
make_dir (const char *config, const char *preprocessor)
{
  char *dir = g_dir_make_tmp ("regard-idefics1-XXXXXX", NULL);
  g_autofree char *c = g_build_filename (dir, "config.json", NULL);
  g_autofree char *p = g_build_filename (dir, "preprocessor_config.json", NULL);

  g_assert_true (g_file_set_contents (c, config, -1, NULL));
  if (preprocessor)
    g_assert_true (g_file_set_contents (p, preprocessor, -1, NULL));
  return dir;
}

#define IDEFICS_CONFIG "{\"model_type\": \"idefics\", \"vision_config\": {\"image_size\": 56}}"

/* The vision tower has positions for its own image_size only. */
static void
test_family_image_size_mismatch (void)
{
  g_autofree char *dir = make_dir (IDEFICS_CONFIG, "{\"image_size\": 224}");
  g_autoptr(GError) error = NULL;
  RgFamilyProcessor fp;

  g_assert_false (rg_family_load_processor (rg_family_lookup ("idefics"), dir, &fp, &error));
  g_assert_error (error, REGARD_ERROR, REGARD_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "image_size 224"));
  g_assert_nonnull (strstr (error->message, "image_size 56"));
  rg_test_remove_tree (dir);
}

static void
test_family_missing_preprocessor (void)
{
  g_autofree char *dir = make_dir (IDEFICS_CONFIG, NULL);
  g_autoptr(GError) error = NULL;
  RgFamilyProcessor fp;

  g_assert_false (rg_family_load_processor (rg_family_lookup ("idefics"), dir, &fp, &error));
  g_assert_error (error, REGARD_ERROR, REGARD_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "preprocessor_config.json"));
  g_assert_nonnull (strstr (error->message, "IDEFICS"));
  rg_test_remove_tree (dir);
}

/* The generic loader and batch entry points hand IDEFICS1 options here. */
static void
test_dispatch (void)
{
  g_autofree char *path = rg_test_fixture_path ("idefics1-tiny/preprocessor_config.json");
  RgPreprocessOptions opts = rg_preprocess_options_default_for (RG_PROCESSOR_IDEFICS1);
  g_autoptr(RgImage) image = rg_image_new (90, 30, NULL);
  g_autoptr(RgPixelBatch) batch = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (opts.image_size, ==, 224);
  g_assert_true (rg_preprocess_options_load (&opts, path, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (opts.image_size, ==, 56);
  batch = rg_preprocess_images (&image, 1, &opts, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (batch->n, ==, 1);
  g_assert_cmpuint (batch->height, ==, 56);
  g_assert_cmpuint (batch->width, ==, 56);
}

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
  RgPreprocessOptions opts = fixture_options ();
  g_autoptr(RgImage) image = load_case_image (c);
  g_autofree char *rel = g_build_filename ("idefics1-tiny", json_object_get_string_member (c, "file"), NULL);
  g_autofree char *full = rg_test_fixture_path (rel);
  g_autoptr(RgSafetensors) st = NULL;
  g_autoptr(RgPixelBatch) batch = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree float *ref = NULL;
  const RgTensorInfo *t;
  gsize n;
  double sum = 0;

  batch = rg_idefics1_preprocess_images (&image, 1, &opts, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (batch->n, ==, 1);
  n = (gsize) 3 * batch->height * batch->width;

  st = rg_safetensors_open (full, &error);
  g_assert_no_error (error);
  t = rg_safetensors_find (st, "pixel_values");
  g_assert_nonnull (t);
  g_assert_cmpint (t->dtype, ==, RG_DTYPE_F32);
  g_assert_cmpuint (t->n_elements, ==, n);
  /* Exact: the formula is fully specified in float32. (Copied: tensors in
   * a safetensors file need not be aligned.) */
  ref = g_memdup2 (t->data, t->nbytes);
  rg_assert_close_f32 (batch->pixel_values, ref, n, 0.0);
  for (gsize i = 0; i < n; i++)
    sum += batch->pixel_values[i];
  g_assert_cmpfloat_with_epsilon (sum, json_object_get_double_member (sub, "pixel_values_sum"), 1e-6);
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
  g_assert_cmpuint (json_array_get_length (cases), ==, 7);

  g_test_add_func ("/engine/image/preprocess/idefics1/options/fixture", test_options_fixture);
  g_test_add_func ("/engine/image/preprocess/idefics1/options/reject", test_options_reject);
  g_test_add_func ("/engine/image/preprocess/idefics1/options/missing-file", test_options_missing_file);
  g_test_add_func ("/engine/image/preprocess/idefics1/square-squash", test_square_squash);
  g_test_add_func ("/engine/image/preprocess/idefics1/no-images", test_empty_batch);
  g_test_add_func ("/engine/image/preprocess/idefics1/dispatch", test_dispatch);
  g_test_add_func ("/engine/family/idefics1/fixture", test_family_fixture);
  g_test_add_func ("/engine/family/idefics1/image-size-mismatch", test_family_image_size_mismatch);
  g_test_add_func ("/engine/family/idefics1/missing-preprocessor-config", test_family_missing_preprocessor);
  for (guint i = 0; i < json_array_get_length (cases); i++)
    {
      JsonObject *c = json_array_get_object_element (cases, i);
      g_autofree char *base = g_path_get_basename (json_object_get_string_member (c, "image"));
      g_autofree char *tpath = NULL;

      *strrchr (base, '.') = '\0';
      tpath = g_strdup_printf ("/engine/image/preprocess/idefics1/golden/%s", base);
      g_test_add_data_func (tpath, GUINT_TO_POINTER (i), test_golden_case);
    }
  ret = g_test_run ();
  g_clear_object (&manifest);
  return ret;
}
