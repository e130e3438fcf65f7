/* Pillow's LANCZOS and NEAREST resizes against the smolvlm-tiny
 * preprocessing goldens (Idefics3ImageProcessor, which resizes with PIL up
 * to three times in a row). Every RGB, L and P case's resize chain is
 * replayed exactly as the manifest lists it (sizes from resize_chain, tiles
 * cropped from the last image before the global resize), and every frame
 * must match the golden's FNV-1a checksum and, where stored, its resized_u8
 * tensor byte for byte. RGB steps are LANCZOS; L and P steps are NEAREST
 * (Pillow forces it for P), replayed on the RGB form of the image, which
 * gives the same pixels (see rg-resample.h). The RGBA cases resize
 * premultiplied and are not covered here; JPEG inputs use their
 * *.decoded.png (see test-preprocess). */
#include "test-common.h"
#include "test-golden-common.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "regard-engine.h"
#include "rg-image.h"
#include "rg-resample.h"
#include "rg-safetensors.h"

/* Not a RgResampleFilter: Pillow's NEAREST is a different code path. */
#define RG_RESAMPLE_NEAREST_FOR_TEST 100
/* LANCZOS on RGBA: premultiplied, frames composited over white after. */
#define RG_RESAMPLE_RGBA_FOR_TEST 101

static JsonParser *manifest;
static JsonArray *cases;

static RgImage *
load_case_image (JsonObject *c)
{
  return rg_test_golden_case_image ("smolvlm-tiny", json_object_get_string_member (c, "image"));
}

/* The filter of every step of the case: LANCZOS on RGB, NEAREST on P (the
 * L and P inputs), or -1 for anything else (RGBA, premultiplied). */
static int
case_filter (JsonObject *c)
{
  JsonArray *chain = json_object_get_array_member (c, "resize_chain");
  int filter = -1;

  for (guint i = 0; i < json_array_get_length (chain); i++)
    {
      JsonObject *step = json_array_get_object_element (chain, i);
      const char *f = json_object_get_string_member (step, "filter");
      const char *mode = json_object_get_string_member (step, "mode");
      int this;

      if (g_strcmp0 (f, "LANCZOS") == 0 && g_strcmp0 (mode, "RGB") == 0)
        this = RG_RESAMPLE_LANCZOS;
      else if (g_strcmp0 (f, "LANCZOS") == 0 && g_strcmp0 (mode, "RGBA") == 0)
        this = RG_RESAMPLE_RGBA_FOR_TEST;
      else if (g_str_has_prefix (f, "NEAREST") && g_strcmp0 (mode, "P") == 0)
        this = RG_RESAMPLE_NEAREST_FOR_TEST;
      else
        return -1;
      if (i > 0 && this != filter)
        return -1;
      filter = this;
    }
  return filter;
}

static guint
hw (JsonObject *step, const char *member, guint i)
{
  return (guint) json_array_get_int_element (json_object_get_array_member (step, member), i);
}

/* The RGBA case: the image decoded with its alpha (not composited), the
 * chain resized premultiplied, every frame composited over white. */
static RgImage *
rgba_frame (const uint8_t *rgba, guint w, guint h, guint x0, guint y0, guint x1, guint y1)
{
  RgImage *img = rg_image_new (x1 - x0, y1 - y0, NULL);

  for (guint y = y0; y < y1; y++)
    for (guint x = x0; x < x1; x++)
      rg_image_composite_over_white (rgba + ((gsize) y * w + x) * 4,
                                     img->rgb + ((gsize) (y - y0) * img->width + (x - x0)) * 3);
  (void) h;
  return img;
}

static GPtrArray *
replay_chain_rgba (JsonObject *c)
{
  JsonArray *chain = json_object_get_array_member (c, "resize_chain");
  guint rows = (guint) json_object_get_int_member (c, "rows");
  guint cols = (guint) json_object_get_int_member (c, "cols");
  GPtrArray *frames = g_ptr_array_new_with_free_func ((GDestroyNotify) rg_image_free);
  g_autofree char *dir = rg_test_fixture_path ("smolvlm-tiny");
  g_autofree char *path = g_build_filename (dir, json_object_get_string_member (c, "image"), NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkPixbuf) pb = gdk_pixbuf_new_from_file (path, &error);
  g_autofree uint8_t *prev = NULL, *cur = NULL;
  guint w, h, pw = 0, ph = 0;

  g_assert_no_error (error);
  g_assert_true (gdk_pixbuf_get_has_alpha (pb));
  g_assert_cmpint (gdk_pixbuf_get_bits_per_sample (pb), ==, 8);
  w = (guint) gdk_pixbuf_get_width (pb);
  h = (guint) gdk_pixbuf_get_height (pb);
  cur = g_malloc ((gsize) w * h * 4);
  for (guint y = 0; y < h; y++)
    memcpy (cur + (gsize) y * w * 4, gdk_pixbuf_read_pixels (pb) + (gsize) y * gdk_pixbuf_get_rowstride (pb),
            (gsize) w * 4);

  for (guint i = 0; i < json_array_get_length (chain); i++)
    {
      JsonObject *step = json_array_get_object_element (chain, i);
      guint tw = hw (step, "to_hw", 1), th = hw (step, "to_hw", 0);
      uint8_t *next;

      g_assert_cmpuint (h, ==, hw (step, "from_hw", 0));
      g_assert_cmpuint (w, ==, hw (step, "from_hw", 1));
      next = rg_resample_rgba (cur, w, h, tw, th, RG_RESAMPLE_LANCZOS, &error);
      g_assert_no_error (error);
      g_free (prev);
      prev = g_steal_pointer (&cur);
      pw = w;
      ph = h;
      cur = next;
      w = tw;
      h = th;
    }
  if (rows > 0)
    for (guint r = 0; r < rows; r++)
      for (guint k = 0; k < cols; k++)
        g_ptr_array_add (frames, rgba_frame (prev, pw, ph, k * (pw / cols), r * (ph / rows),
                                             (k + 1) * (pw / cols), (r + 1) * (ph / rows)));
  g_ptr_array_add (frames, rgba_frame (cur, w, h, 0, 0, w, h));
  return frames;
}

/* The case's frames: tiles of the image before the last resize (row-major)
 * then the last image, or only the last image when there are no tiles. */
static GPtrArray *
replay_chain (JsonObject *c)
{
  JsonArray *chain = json_object_get_array_member (c, "resize_chain");
  guint rows = (guint) json_object_get_int_member (c, "rows");
  guint cols = (guint) json_object_get_int_member (c, "cols");
  guint n = json_array_get_length (chain);
  GPtrArray *frames = g_ptr_array_new_with_free_func ((GDestroyNotify) rg_image_free);
  g_autoptr(RgImage) prev = NULL;
  RgImage *cur = load_case_image (c);

  for (guint i = 0; i < n; i++)
    {
      JsonObject *step = json_array_get_object_element (chain, i);
      g_autoptr(GError) error = NULL;
      RgImage *next;

      g_assert_cmpuint (cur->height, ==, hw (step, "from_hw", 0));
      g_assert_cmpuint (cur->width, ==, hw (step, "from_hw", 1));
      if (case_filter (c) == RG_RESAMPLE_NEAREST_FOR_TEST)
        next = rg_resample_nearest (cur, hw (step, "to_hw", 1), hw (step, "to_hw", 0), &error);
      else
        next = rg_resample (cur, hw (step, "to_hw", 1), hw (step, "to_hw", 0), RG_RESAMPLE_LANCZOS, &error);
      g_assert_no_error (error);
      g_clear_pointer (&prev, rg_image_free);
      prev = cur;
      cur = next;
    }
  if (rows > 0)
    {
      guint th = prev->height / rows, tw = prev->width / cols;

      g_assert_cmpuint (th * rows, ==, prev->height);
      g_assert_cmpuint (tw * cols, ==, prev->width);
      for (guint r = 0; r < rows; r++)
        for (guint k = 0; k < cols; k++)
          g_ptr_array_add (frames, rg_image_crop (prev, k * tw, r * th, (k + 1) * tw, (r + 1) * th));
    }
  g_ptr_array_add (frames, cur);
  return frames;
}

static void
test_golden_case (gconstpointer data)
{
  JsonObject *c = json_array_get_object_element (cases, GPOINTER_TO_UINT (data));
  JsonArray *subs = json_object_get_array_member (c, "sub_images");
  g_autoptr(GPtrArray) frames = case_filter (c) == RG_RESAMPLE_RGBA_FOR_TEST ? replay_chain_rgba (c)
                                                                          : replay_chain (c);
  g_autoptr(RgSafetensors) st = NULL;

  /* Only some cases store their frames. */
  if (json_object_has_member (c, "file"))
    {
      g_autofree char *rel = g_build_filename ("smolvlm-tiny", json_object_get_string_member (c, "file"), NULL);
      g_autofree char *full = rg_test_fixture_path (rel);
      g_autoptr(GError) error = NULL;

      st = rg_safetensors_open (full, &error);
      g_assert_no_error (error);
    }
  g_assert_cmpuint (frames->len, ==, json_object_get_int_member (c, "n_frames"));
  g_assert_cmpuint (json_array_get_length (subs), ==, frames->len);
  for (guint k = 0; k < frames->len; k++)
    {
      const RgImage *img = g_ptr_array_index (frames, k);
      JsonObject *s = json_array_get_object_element (subs, k);
      g_autofree char *name = g_strdup_printf ("resized_u8.%u", k);
      const RgTensorInfo *t = st ? rg_safetensors_find (st, name) : NULL;
      g_autofree char *fnv = g_strdup_printf ("%016" G_GINT64_MODIFIER "x", rg_image_fnv1a64 (img));

      g_assert_cmpuint (img->height, ==, 128);
      g_assert_cmpuint (img->width, ==, 128);
      if (t != NULL)
        {
          const uint8_t *ref = t->data;

          g_assert_cmpint (t->dtype, ==, RG_DTYPE_U8);
          g_assert_cmpuint (t->nbytes, ==, (gsize) img->width * img->height * 3);
          for (gsize i = 0; i < t->nbytes; i++)
            if (ref[i] != img->rgb[i])
              g_error ("%s: pixel (%" G_GSIZE_FORMAT ", %" G_GSIZE_FORMAT ") channel %" G_GSIZE_FORMAT
                       ": %u, expected %u", name, i / 3 / img->width, i / 3 % img->width, i % 3,
                       img->rgb[i], ref[i]);
        }
      if (strcmp (fnv, json_object_get_string_member (s, "u8_fnv1a64")) != 0)
        g_error ("frame %u: FNV-1a %s, expected %s", k, fnv, json_object_get_string_member (s, "u8_fnv1a64"));
    }
}

/* Lanczos taps: support 3 per unit of downscale, sums of 2^22 up to
 * rounding, and negative lobes (unlike the triangle). */
static void
test_taps (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RgResampleTaps) up = rg_resample_taps_new_filter (RG_RESAMPLE_LANCZOS, 30, 512, &error);
  g_autoptr(RgResampleTaps) down = rg_resample_taps_new_filter (RG_RESAMPLE_LANCZOS, 512, 128, &error);
  gboolean negative = FALSE;

  g_assert_no_error (error);
  g_assert_cmpuint (up->ksize, ==, 7);
  g_assert_cmpuint (down->ksize, ==, 25);
  for (guint i = 0; i < down->out_size; i++)
    {
      gint64 sum = 0;

      g_assert_cmpuint (down->first[i] + down->n[i], <=, 512);
      for (guint j = 0; j < down->n[i]; j++)
        {
          sum += down->coeffs[i * down->ksize + j];
          negative |= down->coeffs[i * down->ksize + j] < 0;
        }
      g_assert_cmpint (ABS (sum - (1 << RG_RESAMPLE_PRECISION_BITS)), <=, (gint64) down->n[i]);
    }
  g_assert_true (negative);
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
  out = rg_resample (src, 29, 1, RG_RESAMPLE_LANCZOS, &error);
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
  guint n_rgb = 0, n_nearest = 0, n_rgba = 0;
  int ret;

  g_test_init (&argc, &argv, NULL);
  path = rg_test_fixture_path ("smolvlm-tiny/golden/manifest.json");
  manifest = json_parser_new ();
  json_parser_load_from_file (manifest, path, &error);
  g_assert_no_error (error);
  cases = json_object_get_array_member (json_node_get_object (json_parser_get_root (manifest)),
                                        "preprocess_cases");

  g_test_add_func ("/engine/image/resize/pillow-lanczos/taps", test_taps);
  g_test_add_func ("/engine/image/resize/pillow-lanczos/clamped-ringing", test_clamped_ringing);
  for (guint i = 0; i < json_array_get_length (cases); i++)
    {
      JsonObject *c = json_array_get_object_element (cases, i);
      g_autofree char *base = NULL, *tpath = NULL;

      int filter = case_filter (c);

      if (filter < 0)
        continue;
      base = g_path_get_basename (json_object_get_string_member (c, "image"));
      *strrchr (base, '.') = '\0';
      tpath = g_strdup_printf ("/engine/image/resize/pillow-%s/golden/%s/split%d",
                               filter == RG_RESAMPLE_LANCZOS ? "lanczos" :
                               filter == RG_RESAMPLE_RGBA_FOR_TEST ? "lanczos-rgba" : "nearest", base,
                               json_object_get_boolean_member (c, "do_image_splitting"));
      g_test_add_data_func (tpath, GUINT_TO_POINTER (i), test_golden_case);
      if (filter == RG_RESAMPLE_LANCZOS)
        n_rgb++;
      else if (filter == RG_RESAMPLE_NEAREST_FOR_TEST)
        n_nearest++;
      else
        n_rgba++;
    }
  /* tiny, portrait, landscape, square, screenshot, each split off and on. */
  g_assert_cmpuint (n_rgb, ==, 10);
  /* gray (L, resized as P) and palette, each split off and on. */
  g_assert_cmpuint (n_nearest, ==, 4);
  /* alpha, split off and on. */
  g_assert_cmpuint (n_rgba, ==, 2);

  ret = g_test_run ();
  g_clear_object (&manifest);
  return ret;
}
