/* rg-preprocess-idefics1.c: IdeficsImageProcessor's resize / rescale /
 * normalize (see rg-preprocess-idefics1.h). */
#include "rg-preprocess-idefics1.h"

#include <json-glib/json-glib.h>

#include "regard-error.h"
#include "rg-file.h"
#include "rg-resample.h"

/* A hostile config cannot ask for gigantic images. */
#define MAX_IMAGE_SIZE 4096

RgPreprocessOptions
rg_idefics1_preprocess_options_default (void)
{
  /* IDEFICS_STANDARD_MEAN / _STD (OpenAI CLIP's) and image_size 224; the
   * rescale is always 1/255. */
  RgPreprocessOptions opts = {
    .kind = RG_PROCESSOR_IDEFICS1,
    .filter = RG_RESAMPLE_BICUBIC,
    .image_size = 224,
    .rescale_factor = 1.0 / 255.0,
    .image_mean = { 0.48145466f, 0.4578275f, 0.40821073f },
    .image_std = { 0.26862954f, 0.26130258f, 0.27577711f },
  };
  return opts;
}

static gboolean
read_number (JsonNode *node, double *out)
{
  GType t;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  t = json_node_get_value_type (node);
  if (t != G_TYPE_INT64 && t != G_TYPE_DOUBLE)
    return FALSE;
  *out = json_node_get_double (node);
  return TRUE;
}

static gboolean
read_triple (JsonObject *root, const char *key, float out[3], gboolean positive, const char *path,
             GError **error)
{
  JsonNode *node = json_object_get_member (root, key);
  JsonArray *array;

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node) || json_array_get_length (array = json_node_get_array (node)) != 3)
    goto bad;
  for (guint i = 0; i < 3; i++)
    {
      double v;

      if (!read_number (json_array_get_element (array, i), &v) || (positive && !(v > 0)) ||
          !(v > -1e6 && v < 1e6))
        goto bad;
      out[i] = (float) v;
    }
  return TRUE;
bad:
  g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL,
               "%s: %s must be an array of 3 %snumbers", path, key, positive ? "positive " : "");
  return FALSE;
}

static gboolean
read_int (JsonObject *root, const char *key, gint64 lo, gint64 hi, gint64 *out, const char *path,
          GError **error)
{
  JsonNode *node = json_object_get_member (root, key);

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64 ||
      json_node_get_int (node) < lo || json_node_get_int (node) > hi)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL,
                   "%s: %s must be an integer in %" G_GINT64_FORMAT "..%" G_GINT64_FORMAT, path, key, lo, hi);
      return FALSE;
    }
  *out = json_node_get_int (node);
  return TRUE;
}

gboolean
rg_idefics1_preprocess_options_load (RgPreprocessOptions *opts, const char *path, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local = NULL;
  g_autofree char *contents = NULL;
  RgPreprocessOptions o = *opts;
  gint64 size = o.image_size, channels = 3;
  gsize length = 0;
  JsonObject *root;
  JsonNode *node;

  if (!rg_file_get_contents_max (path, RG_FILE_MAX_JSON, &contents, &length, &local) ||
      !json_parser_load_from_data (parser, contents, (gssize) length, &local))
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL, "%s: %s", path, local->message);
      return FALSE;
    }
  node = json_parser_get_root (parser);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL, "%s: not a JSON object", path);
      return FALSE;
    }
  root = json_node_get_object (node);

  node = json_object_get_member (root, "image_processor_type");
  if (node != NULL && (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING ||
                       g_strcmp0 (json_node_get_string (node), "IdeficsImageProcessor") != 0))
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_UNSUPPORTED,
                   "%s: image_processor_type must be \"IdeficsImageProcessor\" for an IDEFICS model", path);
      return FALSE;
    }
  if (!read_int (root, "image_size", 1, MAX_IMAGE_SIZE, &size, path, error) ||
      !read_int (root, "image_num_channels", 1, 64, &channels, path, error) ||
      !read_triple (root, "image_mean", o.image_mean, FALSE, path, error) ||
      !read_triple (root, "image_std", o.image_std, TRUE, path, error))
    return FALSE;
  if (channels != 3)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_UNSUPPORTED,
                   "%s: image_num_channels = %" G_GINT64_FORMAT " is not supported (only 3: RGB)", path, channels);
      return FALSE;
    }
  o.image_size = (guint) size;
  *opts = o;
  return TRUE;
}

static gboolean
check_options (const RgPreprocessOptions *opts, GError **error)
{
  if (opts->image_size == 0 || opts->image_size > MAX_IMAGE_SIZE)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL,
                   "Image size %u is out of range (1..%d)", opts->image_size, MAX_IMAGE_SIZE);
      return FALSE;
    }
  return TRUE;
}

GPtrArray *
rg_idefics1_resize_images (RgImage * const *images, guint n_images, const RgPreprocessOptions *opts,
                           GError **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) rg_image_free);

  g_return_val_if_fail (opts != NULL, NULL);
  g_return_val_if_fail (n_images == 0 || images != NULL, NULL);
  if (!check_options (opts, error))
    return NULL;
  for (guint i = 0; i < n_images; i++)
    {
      const RgImage *img = images[i];
      RgImage *resized;

      if (img == NULL || img->width == 0 || img->height == 0 || img->rgb == NULL)
        {
          g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_IMAGE, "Image %u is empty", i + 1);
          return NULL;
        }
      /* Always resized, even at the target size (Pillow then copies). */
      resized = rg_resample (img, opts->image_size, opts->image_size, RG_RESAMPLE_BICUBIC, error);
      if (resized == NULL)
        return NULL;
      g_ptr_array_add (out, resized);
    }
  return g_steal_pointer (&out);
}

RgPixelBatch *
rg_idefics1_preprocess_images (RgImage * const *images, guint n_images,
                               const RgPreprocessOptions *opts, GError **error)
{
  g_autoptr(GPtrArray) resized = rg_idefics1_resize_images (images, n_images, opts, error);

  if (resized == NULL)
    return NULL;
  /* The same rescale (float32 (double (u8) / 255)) and float32 normalize
   * as Idefics2's processor; every image has the same size, so nothing is
   * padded and the pixel mask is all ones. */
  return rg_pixel_batch_from_resized (resized, opts, error);
}
