/* test-preprocess-idefics3.c: Idefics3ImageProcessor (SmolVLM) against the
 * smolvlm-tiny preprocessing goldens, through the same entry point as
 * `regard-cli preprocess` (regard_preprocess_to_safetensors): frame count,
 * every frame's uint8 pixels (FNV-1a, and byte for byte where the golden
 * stores them), the normalized values and the all-ones mask. Covers the
 * resize chain (longest edge with upscaling, multiples of M, global
 * image), NEAREST for gray and palette files, premultiplied RGBA composited
 * after resizing. JPEG inputs use their *.decoded.png, as test-preprocess
 * does (libjpeg builds may round the IDCT differently). */
#include "test-common.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "regard-tools.h"
#include "rg-image.h"
#include "rg-preprocess.h"
#include "rg-safetensors.h"

static JsonParser *parser;
static JsonArray *cases;
static char *tmp_dir;

static char *
case_image (JsonObject *c)
{
  g_autofree char *dir = rg_test_fixture_path ("smolvlm-tiny");
  g_autofree char *path = g_build_filename (dir, json_object_get_string_member (c, "image"), NULL);
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

static guint64
fnv1a64 (const uint8_t *p, gsize n)
{
  guint64 h = G_GUINT64_CONSTANT (0xcbf29ce484222325);

  for (gsize i = 0; i < n; i++)
    {
      h ^= p[i];
      h *= G_GUINT64_CONSTANT (0x100000001b3);
    }
  return h;
}

static void
test_golden_case (gconstpointer data)
{
  JsonObject *c = json_array_get_object_element (cases, GPOINTER_TO_UINT (data));
  JsonArray *subs = json_object_get_array_member (c, "sub_images");
  g_autofree char *model = rg_test_fixture_path ("smolvlm-tiny");
  g_autofree char *image = case_image (c);
  g_autofree char *out = g_build_filename (tmp_dir, "pp.safetensors", NULL);
  const char *paths[] = { image };
  RegardPreprocessParams params = regard_preprocess_params_default ();
  g_autoptr(RegardPreprocessInfo) info = NULL;
  g_autoptr(RgSafetensors) st = NULL, golden = NULL;
  g_autoptr(GError) error = NULL;
  const RgTensorInfo *pv, *mask;
  const gsize plane = 128 * 128;
  float lut[256];
  guint n;

  params.image_splitting = json_object_get_boolean_member (c, "do_image_splitting");
  info = regard_preprocess_to_safetensors (model, paths, 1, &params, out, &error);
  g_assert_no_error (error);
  n = (guint) json_object_get_int_member (c, "n_frames");
  g_assert_cmpuint (info->n_images, ==, n);
  g_assert_cmpuint (info->height, ==, 128);
  g_assert_cmpuint (info->width, ==, 128);

  st = rg_safetensors_open (out, &error);
  g_assert_no_error (error);
  pv = rg_safetensors_find (st, "pixel_values");
  mask = rg_safetensors_find (st, "pixel_attention_mask");
  g_assert_nonnull (pv);
  g_assert_nonnull (mask);
  g_assert_cmpuint (pv->nbytes, ==, n * 3 * plane * sizeof (float));
  for (gsize i = 0; i < mask->nbytes; i++)
    g_assert_cmpuint (((const uint8_t *) mask->data)[i], ==, 1);

  if (json_object_has_member (c, "file"))
    {
      g_autofree char *rel = g_build_filename ("smolvlm-tiny", json_object_get_string_member (c, "file"), NULL);
      g_autofree char *full = rg_test_fixture_path (rel);

      golden = rg_safetensors_open (full, &error);
      g_assert_no_error (error);
    }

  /* p = float32 (float32 (u8 / 255) - 0.5) / 0.5: distinct per level, so
   * each value maps back to exactly one uint8. */
  for (int v = 0; v < 256; v++)
    lut[v] = ((float) ((double) v * (1.0 / 255.0)) - 0.5f) / 0.5f;

  for (guint k = 0; k < n; k++)
    {
      const float *values = (const float *) pv->data + (gsize) k * 3 * plane;
      g_autofree uint8_t *u8 = g_malloc (plane * 3);
      g_autofree char *name = g_strdup_printf ("resized_u8.%u", k);
      const RgTensorInfo *ref = golden ? rg_safetensors_find (golden, name) : NULL;
      JsonObject *sub = json_array_get_object_element (subs, k);
      g_autofree char *fnv = NULL;

      for (gsize i = 0; i < plane; i++)
        for (int ch = 0; ch < 3; ch++)
          {
            float x = values[ch * plane + i];
            int v = (int) ((x * 0.5f + 0.5f) * 255.0f + 0.5f);

            g_assert_cmpint (v, >=, 0);
            g_assert_cmpint (v, <=, 255);
            g_assert_cmpfloat (lut[v], ==, x);
            u8[i * 3 + ch] = (uint8_t) v;
          }
      if (ref != NULL)
        {
          g_assert_cmpuint (ref->nbytes, ==, plane * 3);
          for (gsize i = 0; i < plane * 3; i++)
            if (((const uint8_t *) ref->data)[i] != u8[i])
              g_error ("frame %u pixel %" G_GSIZE_FORMAT " channel %" G_GSIZE_FORMAT ": %u, expected %u",
                       k, i / 3, i % 3, u8[i], ((const uint8_t *) ref->data)[i]);
        }
      fnv = g_strdup_printf ("%016" G_GINT64_MODIFIER "x", fnv1a64 (u8, plane * 3));
      if (strcmp (fnv, json_object_get_string_member (sub, "u8_fnv1a64")) != 0)
        g_error ("frame %u: FNV-1a %s, expected %s", k, fnv, json_object_get_string_member (sub, "u8_fnv1a64"));
    }
  g_unlink (out);
}

/* The reference's table (M = 128, longest edge 512), as w x h. */
static void
test_grid (void)
{
  static const guint rows[][4] = {
    /* width, height, rows, cols */
    { 30, 20, 3, 4 },
    { 600, 1000, 4, 3 },
    { 1200, 500, 2, 4 },
    { 980, 980, 4, 4 },
    { 800, 450, 3, 4 },
    { 128, 128, 4, 4 },     /* upscaled to 512 first */
    { 1, 1000, 4, 1 },      /* int (512 * 0.001) = 0 -> 0 + 1 even... at least one tile */
  };
  RgPreprocessOptions opts = rg_preprocess_options_default_for (RG_PROCESSOR_IDEFICS3);

  opts.longest_edge = 512;
  opts.max_image_edge = 128;
  for (gsize i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      RgImageGrid g;

      rg_preprocess_image_grid (&opts, rows[i][0], rows[i][1], &g);
      if (g.rows != rows[i][2] || g.cols != rows[i][3])
        g_error ("%ux%u: %u x %u tiles, expected %u x %u", rows[i][0], rows[i][1], g.rows, g.cols,
                 rows[i][2], rows[i][3]);
    }
  /* exactly M x M after the resizes: no tiles (pitfall 8) */
  opts.longest_edge = 128;
  {
    RgImageGrid g;

    rg_preprocess_image_grid (&opts, 300, 200, &g);
    g_assert_cmpuint (g.rows, ==, 0);
    g_assert_cmpuint (g.cols, ==, 0);
    opts.do_split = FALSE;
    opts.longest_edge = 512;
    rg_preprocess_image_grid (&opts, 30, 20, &g);
    g_assert_cmpuint (g.rows, ==, 0);
  }
}

/* The file's mode decides the filter: gray and palette files are L and P,
 * an RGBA file keeps its alpha only from the _keep_alpha decoder. */
static void
test_decode_mode (void)
{
  static const struct { const char *name; RgImageMode mode; } files[] = {
    { "gray_500x700.png", RG_IMAGE_MODE_L },
    { "palette_p_300x200.png", RG_IMAGE_MODE_P },
    { "alpha_rgba_640x480.png", RG_IMAGE_MODE_RGBA },
    { "tiny_30x20.png", RG_IMAGE_MODE_RGB },
    { "portrait_600x1000.jpg", RG_IMAGE_MODE_RGB },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *rel = g_build_filename ("images", files[i].name, NULL);
      g_autofree char *path = rg_test_fixture_path (rel);
      g_autoptr(GError) error = NULL;
      g_autoptr(RgImage) kept = rg_image_decode_file_keep_alpha (path, &error);
      g_autoptr(RgImage) flat = NULL;

      g_assert_no_error (error);
      g_assert_cmpint (kept->mode, ==, files[i].mode);
      g_assert_true ((kept->alpha != NULL) == (files[i].mode == RG_IMAGE_MODE_RGBA));
      flat = rg_image_decode_file (path, &error);
      g_assert_no_error (error);
      g_assert_null (flat->alpha);
    }
}

int
main (int argc, char **argv)
{
  g_autofree char *manifest = NULL;
  g_autoptr(GError) error = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);
  manifest = rg_test_fixture_path ("smolvlm-tiny/golden/manifest.json");
  parser = json_parser_new ();
  json_parser_load_from_file (parser, manifest, &error);
  g_assert_no_error (error);
  cases = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                        "preprocess_cases");
  g_assert_cmpuint (json_array_get_length (cases), ==, 16);
  tmp_dir = g_dir_make_tmp ("regard-pp3-XXXXXX", NULL);

  g_test_add_func ("/image/idefics3/grid", test_grid);
  g_test_add_func ("/image/idefics3/decode-mode", test_decode_mode);
  for (guint i = 0; i < json_array_get_length (cases); i++)
    {
      JsonObject *c = json_array_get_object_element (cases, i);
      g_autofree char *base = g_path_get_basename (json_object_get_string_member (c, "image"));
      g_autofree char *path = NULL;
      char *dot = strrchr (base, '.');

      if (dot)
        *dot = '\0';
      path = g_strdup_printf ("/image/idefics3/golden/%s/split%d", base,
                              json_object_get_boolean_member (c, "do_image_splitting"));
      g_test_add_data_func (path, GUINT_TO_POINTER (i), test_golden_case);
    }

  ret = g_test_run ();
  rg_test_remove_tree (tmp_dir);
  g_free (tmp_dir);
  g_object_unref (parser);
  return ret;
}
