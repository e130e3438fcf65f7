/* The vision patch grid: patch validity, the bucketized position-id table
 * and its AVX2 emulation, and both against HF's goldens. JPEG inputs use
 * their *.decoded.png (PIL's decode; see test-preprocess.c). */
#include "test-common.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "rg-image.h"
#include "rg-patches.h"
#include "rg-preprocess.h"
#include "rg-safetensors.h"

static JsonParser *buckets_parser;
static JsonParser *manifest_parser;

static JsonObject *
buckets_json (void)
{
  return json_node_get_object (json_parser_get_root (buckets_parser));
}

static void
test_table_matches_json (void)
{
  JsonObject *buckets = json_object_get_object_member (buckets_json (), "buckets");

  g_assert_cmpint (json_object_get_int_member (buckets_json (), "num_patches_per_side"), ==, 70);
  g_assert_cmpuint (json_object_get_size (buckets), ==, 70);
  for (guint nb = 1; nb <= 70; nb++)
    {
      g_autofree char *key = g_strdup_printf ("%u", nb);
      JsonArray *row = json_object_get_array_member (buckets, key);
      guint out[70];

      g_assert_nonnull (row);
      g_assert_cmpuint (json_array_get_length (row), ==, nb);
      g_assert_true (rg_position_buckets (nb, 70, out));
      for (guint i = 0; i < nb; i++)
        g_assert_cmpuint (out[i], ==, json_array_get_int_element (row, i));
    }
}

static void
test_emulation_matches_table (void)
{
  for (guint nb = 1; nb <= 70; nb++)
    {
      const uint8_t *row = &rg_position_buckets_70[(nb - 1) * nb / 2];
      guint out[70];

      rg_position_buckets_emulate (nb, 70, out);
      for (guint i = 0; i < nb; i++)
        if (out[i] != row[i])
          g_error ("nb=%u i=%u: emulation %u, table %u", nb, i, out[i], row[i]);
    }
}

/* The table is not floor (70 i / nb): exactly the listed entries differ. */
static void
test_table_differs_from_floor_where_listed (void)
{
  JsonObject *differs = json_object_get_object_member (buckets_json (), "differs_from_exact_floor");
  guint n_differ = 0, n_listed = 0;

  for (guint nb = 1; nb <= 70; nb++)
    {
      g_autofree char *key = g_strdup_printf ("%u", nb);
      JsonArray *listed = json_object_has_member (differs, key) ? json_object_get_array_member (differs, key) : NULL;
      guint out[70];

      g_assert_true (rg_position_buckets (nb, 70, out));
      for (guint i = 0; i < nb; i++)
        {
          gboolean is_listed = FALSE;

          for (guint j = 0; listed && j < json_array_get_length (listed); j++)
            is_listed |= json_array_get_int_element (listed, j) == i;
          g_assert_cmpint (out[i] != 70 * i / nb, ==, is_listed);
          n_differ += out[i] != 70 * i / nb;
        }
      n_listed += listed ? json_array_get_length (listed) : 0;
    }
  g_assert_cmpuint (n_differ, ==, n_listed);
  g_assert_cmpuint (n_differ, >, 0);
}

static void
test_buckets_out_of_range (void)
{
  guint out[71];

  g_assert_false (rg_position_buckets (0, 70, out));
  g_assert_false (rg_position_buckets (71, 70, out));
  /* Another side (e.g. a 32-patch tower): emulation, identity at nb = side. */
  g_assert_true (rg_position_buckets (32, 32, out));
  for (guint i = 0; i < 32; i++)
    g_assert_cmpuint (out[i], ==, i);
}

static RgPixelBatch *
batch_with_valid (guint n, guint height, guint width, const guint *valid_hw)
{
  RgPixelBatch *batch = g_new0 (RgPixelBatch, 1);

  batch->n = n;
  batch->height = height;
  batch->width = width;
  batch->pixel_values = g_new0 (float, (gsize) n * 3 * height * width);
  batch->pixel_mask = g_new0 (uint8_t, (gsize) n * height * width);
  batch->valid_hw = g_new0 (guint, n * 2);
  for (guint i = 0; i < n; i++)
    {
      batch->valid_hw[i * 2] = valid_hw[i * 2];
      batch->valid_hw[i * 2 + 1] = valid_hw[i * 2 + 1];
      for (guint y = 0; y < valid_hw[i * 2]; y++)
        memset (batch->pixel_mask + (gsize) i * height * width + (gsize) y * width, 1, valid_hw[i * 2 + 1]);
    }
  return batch;
}

/* A patch with a single padded pixel is invalid (sum == 196, not > 0). */
static void
test_partial_patch_is_invalid (void)
{
  static const guint valid[] = { 28, 42, 27, 41 };
  g_autoptr(RgPixelBatch) batch = batch_with_valid (2, 28, 42, valid);
  g_autoptr(GError) error = NULL;
  g_autoptr(RgPatchGrid) grid = rg_patch_grid_new (batch, 14, 70, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (grid->rows, ==, 2);
  g_assert_cmpuint (grid->cols, ==, 3);
  for (guint p = 0; p < 6; p++)
    g_assert_cmpuint (grid->patch_mask[p], ==, 1);
  /* Second image (27x41 real pixels): the bottom row and the right column
   * of patches miss one pixel line each, so only (0,0) and (0,1) count. */
  for (guint p = 0; p < 6; p++)
    g_assert_cmpuint (grid->patch_mask[6 + p], ==, (p == 0 || p == 1));
  g_assert_cmpuint (grid->valid_grid[2], ==, 1);
  g_assert_cmpuint (grid->valid_grid[3], ==, 2);
  /* 2x3 grid: rows {0, 35}, cols {0, 23, 46}; 1x2 grid: cols {0, 35};
   * padded positions get 0. */
  {
    static const int32_t expect[12] = { 0, 23, 46, 35 * 70, 35 * 70 + 23, 35 * 70 + 46, 0, 35, 0, 0, 0, 0 };

    g_assert_cmpmem (grid->position_ids, sizeof expect, expect, sizeof expect);
  }
}

/* Position ids of a grid smaller than the padded one are laid out
 * row-major over the valid patches only (a 2x2 valid grid in a 3x3). */
static void
test_positions_follow_valid_patches (void)
{
  static const guint valid[] = { 28, 28 };
  g_autoptr(RgPixelBatch) batch = batch_with_valid (1, 42, 42, valid);
  g_autoptr(GError) error = NULL;
  g_autoptr(RgPatchGrid) grid = rg_patch_grid_new (batch, 14, 70, &error);
  static const int32_t expect[9] = { 0, 35, 0, 35 * 70, 35 * 70 + 35, 0, 0, 0, 0 };

  g_assert_no_error (error);
  g_assert_cmpmem (grid->position_ids, sizeof expect, expect, sizeof expect);
}

static char *
image_path (const char *rel)
{
  g_autofree char *root = rg_test_fixture_path ("idefics2-tiny");
  g_autofree char *path = g_build_filename (root, rel, NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  char *resolved = g_file_get_path (file);

  if (g_str_has_suffix (resolved, ".jpg"))
    {
      char *png;

      resolved[strlen (resolved) - 4] = '\0';
      png = g_strconcat (resolved, ".decoded.png", NULL);
      g_free (resolved);
      return png;
    }
  return resolved;
}

static void
test_golden_case (gconstpointer data)
{
  JsonObject *root = json_node_get_object (json_parser_get_root (manifest_parser));
  JsonObject *c = json_array_get_object_element (json_object_get_array_member (root, "model_cases"),
                                                 GPOINTER_TO_UINT (data));
  JsonArray *images = json_object_get_array_member (c, "images");
  JsonArray *valid = json_object_get_array_member (c, "valid_patch_grid_hw");
  g_autofree char *rel = g_build_filename ("idefics2-tiny", json_object_get_string_member (c, "file"), NULL);
  g_autofree char *st_path = rg_test_fixture_path (rel);
  RgPreprocessOptions opts = rg_preprocess_options_default ();
  g_autoptr(GPtrArray) decoded = g_ptr_array_new_with_free_func ((GDestroyNotify) rg_image_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(RgPixelBatch) batch = NULL;
  g_autoptr(RgPatchGrid) grid = NULL;
  g_autoptr(RgSafetensors) st = NULL;
  const RgTensorInfo *mask, *ids, *pmask;
  g_autofree int64_t *ref_ids = NULL;
  gsize per_image;

  for (guint i = 0; i < json_array_get_length (images); i++)
    {
      g_autofree char *path = image_path (json_array_get_string_element (images, i));
      RgImage *img = rg_image_decode_file (path, &error);

      g_assert_no_error (error);
      g_ptr_array_add (decoded, img);
    }
  opts.do_split = json_object_get_boolean_member (c, "do_image_splitting");
  batch = rg_preprocess_images ((RgImage **) decoded->pdata, decoded->len, &opts, &error);
  g_assert_no_error (error);
  grid = rg_patch_grid_new (batch, 14, 70, &error);
  g_assert_no_error (error);

  st = rg_safetensors_open (st_path, &error);
  g_assert_no_error (error);
  mask = rg_safetensors_find (st, "patch_attention_mask");
  ids = rg_safetensors_find (st, "vision_position_ids");
  g_assert_nonnull (mask);
  g_assert_nonnull (ids);
  g_assert_cmpint (mask->dtype, ==, RG_DTYPE_U8);
  g_assert_cmpint (ids->dtype, ==, RG_DTYPE_I64);
  g_assert_cmpuint (mask->n_dims, ==, 3);
  g_assert_cmpint (mask->shape[0], ==, grid->n);
  g_assert_cmpint (mask->shape[1], ==, grid->rows);
  g_assert_cmpint (mask->shape[2], ==, grid->cols);
  per_image = (gsize) grid->rows * grid->cols;
  g_assert_cmpuint (ids->n_elements, ==, per_image * grid->n);
  g_assert_cmpmem (grid->patch_mask, per_image * grid->n, mask->data, mask->nbytes);

  /* Tensors in the file need not be 8-byte aligned: copy before reading. */
  ref_ids = g_memdup2 (ids->data, ids->nbytes);
  for (gsize i = 0; i < per_image * grid->n; i++)
    if (grid->position_ids[i] != ref_ids[i])
      g_error ("image %" G_GSIZE_FORMAT " patch %" G_GSIZE_FORMAT ": position id %d, expected %" G_GINT64_FORMAT,
               i / per_image, i % per_image, grid->position_ids[i], ref_ids[i]);

  for (guint i = 0; i < grid->n; i++)
    {
      JsonArray *hw = json_array_get_array_element (valid, i);

      g_assert_cmpuint (grid->valid_grid[i * 2], ==, json_array_get_int_element (hw, 0));
      g_assert_cmpuint (grid->valid_grid[i * 2 + 1], ==, json_array_get_int_element (hw, 1));
    }

  /* Stored for the two-image case only: the processor's pixel mask. */
  pmask = rg_safetensors_find (st, "pixel_attention_mask");
  if (pmask != NULL)
    {
      g_assert_cmpuint (pmask->nbytes, ==, (gsize) batch->n * batch->height * batch->width);
      g_assert_cmpmem (batch->pixel_mask, pmask->nbytes, pmask->data, pmask->nbytes);
    }
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *buckets = NULL;
  g_autofree char *manifest = NULL;
  JsonArray *cases;

  g_test_init (&argc, &argv, NULL);

  buckets = rg_test_fixture_path ("idefics2-tiny/golden/vision_position_buckets.json");
  buckets_parser = json_parser_new ();
  if (!json_parser_load_from_file (buckets_parser, buckets, &error))
    g_error ("%s", error->message);
  manifest = rg_test_fixture_path ("idefics2-tiny/golden/manifest.json");
  manifest_parser = json_parser_new ();
  if (!json_parser_load_from_file (manifest_parser, manifest, &error))
    g_error ("%s", error->message);

  g_test_add_func ("/engine/image/patches/buckets/table-matches-json", test_table_matches_json);
  g_test_add_func ("/engine/image/patches/buckets/emulation-matches-table", test_emulation_matches_table);
  g_test_add_func ("/engine/image/patches/buckets/differs-from-floor", test_table_differs_from_floor_where_listed);
  g_test_add_func ("/engine/image/patches/buckets/out-of-range", test_buckets_out_of_range);
  g_test_add_func ("/engine/image/patches/mask/partial-patch-invalid", test_partial_patch_is_invalid);
  g_test_add_func ("/engine/image/patches/positions/valid-only", test_positions_follow_valid_patches);

  cases = json_object_get_array_member (json_node_get_object (json_parser_get_root (manifest_parser)),
                                        "model_cases");
  for (guint i = 0; i < json_array_get_length (cases); i++)
    {
      JsonObject *c = json_array_get_object_element (cases, i);
      g_autofree char *path = NULL;

      if (json_array_get_length (json_object_get_array_member (c, "images")) == 0)
        continue;
      path = g_strdup_printf ("/engine/image/patches/golden/%s", json_object_get_string_member (c, "name"));
      g_test_add_data_func (path, GUINT_TO_POINTER (i), test_golden_case);
    }
  return g_test_run ();
}
