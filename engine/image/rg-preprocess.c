/* rg-preprocess.c: the processor's split / resize / normalize / pad. */
#include "rg-file.h"
#include "rg-preprocess.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "regard-error.h"
#include "rg-preprocess-idefics1.h"
#include "rg-resample.h"

/* Bounds on configured edges, so that a hostile config cannot ask for
 * gigantic batches. */
#define MAX_EDGE 8192

RgPreprocessOptions
rg_preprocess_options_default (void)
{
  RgPreprocessOptions opts = {
    .do_split = FALSE,
    .longest_edge = 980,
    .shortest_edge = 378,
    .rescale_factor = 1.0 / 255.0,
    .image_mean = { 0.5f, 0.5f, 0.5f },
    .image_std = { 0.5f, 0.5f, 0.5f },
  };
  return opts;
}

RgPreprocessOptions
rg_preprocess_options_default_for (RgProcessorKind kind)
{
  RgPreprocessOptions opts = rg_preprocess_options_default ();

  if (kind == RG_PROCESSOR_IDEFICS3)
    {
      opts.kind = RG_PROCESSOR_IDEFICS3;
      opts.do_split = TRUE;
      opts.longest_edge = 4 * 364;
      opts.max_image_edge = 364;
      opts.filter = RG_RESAMPLE_LANCZOS;
    }
  else if (kind == RG_PROCESSOR_IDEFICS1)
    opts = rg_idefics1_preprocess_options_default ();
  return opts;
}

static gboolean
read_edge (JsonObject *size, const char *label, const char *key, guint *out, const char *path,
           GError **error)
{
  JsonNode *node = json_object_get_member (size, key);
  gint64 v;

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    goto bad;
  v = json_node_get_int (node);
  if (v < 1 || v > MAX_EDGE)
    goto bad;
  *out = (guint) v;
  return TRUE;
bad:
  g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL,
               "%s: %s.%s must be an integer in 1..%d", path, label, key, MAX_EDGE);
  return FALSE;
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
read_triple (JsonObject *root, const char *key, float out[3], gboolean positive,
             const char *path, GError **error)
{
  JsonNode *node = json_object_get_member (root, key);
  JsonArray *array;

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    goto bad;
  array = json_node_get_array (node);
  if (json_array_get_length (array) != 3)
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

/* Flags Regard always applies: a config turning one off is a model we
 * would silently misread, so it is refused. */
static gboolean
check_flag_true (JsonObject *root, const char *key, const char *path, GError **error)
{
  JsonNode *node = json_object_get_member (root, key);

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL,
                   "%s: %s must be a boolean", path, key);
      return FALSE;
    }
  if (!json_node_get_boolean (node))
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_UNSUPPORTED,
                   "%s: %s = false is not supported", path, key);
      return FALSE;
    }
  return TRUE;
}

gboolean
rg_preprocess_options_load (RgPreprocessOptions *opts, const char *path, GError **error)
{
  static const char *const always[] = { "do_convert_rgb", "do_resize", "do_rescale", "do_normalize", "do_pad" };
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local = NULL;
  RgPreprocessOptions o = *opts;
  JsonObject *root;
  JsonNode *node;

  g_autofree char *contents = NULL;
  gsize length = 0;

  /* Another processor, with other keys. */
  if (opts->kind == RG_PROCESSOR_IDEFICS1)
    return rg_idefics1_preprocess_options_load (opts, path, error);
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

  for (gsize i = 0; i < G_N_ELEMENTS (always); i++)
    if (!check_flag_true (root, always[i], path, error))
      return FALSE;

  node = json_object_get_member (root, "do_image_splitting");
  if (node != NULL)
    {
      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
        {
          g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL,
                       "%s: do_image_splitting must be a boolean", path);
          return FALSE;
        }
      o.do_split = json_node_get_boolean (node);
    }

  node = json_object_get_member (root, "resample");
  if (node != NULL)
    {
      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
        {
          g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL,
                       "%s: resample must be an integer", path);
          return FALSE;
        }
      /* PIL's filter numbers */
      if (json_node_get_int (node) == 2)
        o.filter = RG_RESAMPLE_BILINEAR;
      else if (json_node_get_int (node) == 1)
        o.filter = RG_RESAMPLE_LANCZOS;
      else
        {
          g_set_error (error, REGARD_ERROR, REGARD_ERROR_UNSUPPORTED,
                       "%s: resample = %" G_GINT64_FORMAT " is not supported (only 1, LANCZOS, and 2, bilinear)",
                       path, json_node_get_int (node));
          return FALSE;
        }
    }

  node = json_object_get_member (root, "max_image_size");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL,
                       "%s: max_image_size must be an object", path);
          return FALSE;
        }
      if (!read_edge (json_node_get_object (node), "max_image_size", "longest_edge", &o.max_image_edge, path, error))
        return FALSE;
    }

  node = json_object_get_member (root, "size");
  if (node != NULL)
    {
      JsonObject *size;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL,
                       "%s: size must be an object", path);
          return FALSE;
        }
      size = json_node_get_object (node);
      if (!read_edge (size, "size", "longest_edge", &o.longest_edge, path, error) ||
          !read_edge (size, "size", "shortest_edge", &o.shortest_edge, path, error))
        return FALSE;
    }

  node = json_object_get_member (root, "rescale_factor");
  if (node != NULL && (!read_number (node, &o.rescale_factor) ||
                       !(o.rescale_factor > 0 && o.rescale_factor < 1e6)))
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL,
                   "%s: rescale_factor must be a positive number", path);
      return FALSE;
    }
  if (!read_triple (root, "image_mean", o.image_mean, FALSE, path, error) ||
      !read_triple (root, "image_std", o.image_std, TRUE, path, error))
    return FALSE;

  *opts = o;
  return TRUE;
}

void
rg_preprocess_resize_size (guint width, guint height, guint longest_edge, guint shortest_edge,
                           guint *out_width, guint *out_height)
{
  /* Python: aspect_ratio = width / height (double), int () truncates. */
  double aspect_ratio = (double) width / (double) height;
  guint w = width, h = height;

  if (w >= h && w > longest_edge)
    {
      w = longest_edge;
      h = (guint) (int) ((double) w / aspect_ratio);
    }
  else if (h > w && h > longest_edge)
    {
      h = longest_edge;
      w = (guint) (int) ((double) h * aspect_ratio);
    }
  *out_height = MAX (h, shortest_edge);
  *out_width = MAX (w, shortest_edge);
}

static gboolean
push_resized (GPtrArray *out, const RgImage *image, const RgPreprocessOptions *opts, GError **error)
{
  guint w, h;
  RgImage *resized;

  rg_preprocess_resize_size (image->width, image->height, opts->longest_edge,
                             opts->shortest_edge, &w, &h);
  resized = rg_resample (image, w, h, opts->filter, error);
  if (resized == NULL)
    return FALSE;
  g_ptr_array_add (out, resized);
  return TRUE;
}

GPtrArray *
rg_preprocess_resize_images (RgImage * const *images, guint n_images,
                             const RgPreprocessOptions *opts, GError **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) rg_image_free);

  g_return_val_if_fail (opts != NULL, NULL);
  g_return_val_if_fail (n_images == 0 || images != NULL, NULL);
  if (opts->longest_edge == 0 || opts->shortest_edge == 0 ||
      opts->longest_edge > MAX_EDGE || opts->shortest_edge > MAX_EDGE)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL,
                   "Resize edges %u/%u out of range", opts->longest_edge, opts->shortest_edge);
      return NULL;
    }

  for (guint i = 0; i < n_images; i++)
    {
      const RgImage *img = images[i];

      if (img == NULL || img->width == 0 || img->height == 0 || img->rgb == NULL)
        {
          g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_IMAGE, "Image %u is empty", i + 1);
          return NULL;
        }
      if (opts->do_split)
        {
          guint mw = img->width / 2, mh = img->height / 2;
          const guint box[4][4] = {
            { 0, 0, mw, mh },
            { mw, 0, img->width, mh },
            { 0, mh, mw, img->height },
            { mw, mh, img->width, img->height },
          };

          if (mw == 0 || mh == 0)
            {
              g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_IMAGE,
                           "Image %u (%ux%u) is too small to split into four crops",
                           i + 1, img->width, img->height);
              return NULL;
            }
          for (guint c = 0; c < 4; c++)
            {
              g_autoptr(RgImage) crop = rg_image_crop (img, box[c][0], box[c][1], box[c][2], box[c][3]);

              if (crop == NULL)
                {
                  g_set_error (error, REGARD_ERROR, REGARD_ERROR_OUT_OF_MEMORY,
                               "Out of memory cropping image %u", i + 1);
                  return NULL;
                }
              if (!push_resized (out, crop, opts, error))
                return NULL;
            }
        }
      if (!push_resized (out, img, opts, error))
        return NULL;
    }
  return g_steal_pointer (&out);
}

void
rg_pixel_batch_free (RgPixelBatch *batch)
{
  if (batch == NULL)
    return;
  g_free (batch->pixel_values);
  g_free (batch->pixel_mask);
  g_free (batch->valid_hw);
  g_free (batch);
}

RgPixelBatch *
rg_pixel_batch_from_resized (GPtrArray *resized, const RgPreprocessOptions *opts, GError **error)
{
  g_autoptr(RgPixelBatch) batch = g_new0 (RgPixelBatch, 1);
  float lut[3][256];
  gsize plane, total;

  g_return_val_if_fail (resized != NULL && opts != NULL, NULL);

  /* rescale: float32 (float64 (u8) * factor); normalize: (x - mean) / std
   * in float32, as numpy does for the processor. One table per channel. */
  for (int c = 0; c < 3; c++)
    for (int v = 0; v < 256; v++)
      {
        float x = (float) ((double) v * opts->rescale_factor);

        lut[c][v] = (x - opts->image_mean[c]) / opts->image_std[c];
      }

  batch->n = resized->len;
  for (guint i = 0; i < resized->len; i++)
    {
      const RgImage *img = g_ptr_array_index (resized, i);

      batch->height = MAX (batch->height, img->height);
      batch->width = MAX (batch->width, img->width);
    }
  if (batch->n == 0)
    return g_steal_pointer (&batch);

  plane = (gsize) batch->height * batch->width;
  if (plane > RG_IMAGE_MAX_PIXELS || batch->n > G_MAXSIZE / (plane * 3 * sizeof (float)))
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_IMAGE,
                   "Pixel batch of %u images of %ux%u is too large", batch->n, batch->height, batch->width);
      return NULL;
    }
  total = plane * batch->n;
  batch->pixel_values = g_try_malloc0 (total * 3 * sizeof (float));
  batch->pixel_mask = g_try_malloc0 (total);
  batch->valid_hw = g_new0 (guint, (gsize) batch->n * 2);
  if (batch->pixel_values == NULL || batch->pixel_mask == NULL)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_OUT_OF_MEMORY,
                   "Out of memory for a pixel batch of %u images of %ux%u",
                   batch->n, batch->height, batch->width);
      return NULL;
    }

  for (guint i = 0; i < batch->n; i++)
    {
      const RgImage *img = g_ptr_array_index (resized, i);
      float *values = batch->pixel_values + (gsize) i * 3 * plane;
      uint8_t *mask = batch->pixel_mask + (gsize) i * plane;

      batch->valid_hw[i * 2 + 0] = img->height;
      batch->valid_hw[i * 2 + 1] = img->width;
      for (guint y = 0; y < img->height; y++)
        {
          const uint8_t *src = img->rgb + (gsize) y * img->width * 3;
          gsize row = (gsize) y * batch->width;

          memset (mask + row, 1, img->width);
          for (guint x = 0; x < img->width; x++)
            for (int c = 0; c < 3; c++)
              values[c * plane + row + x] = lut[c][src[x * 3 + c]];
        }
    }
  return g_steal_pointer (&batch);
}

RgPixelBatch *
rg_preprocess_images (RgImage * const *images, guint n_images,
                      const RgPreprocessOptions *opts, GError **error)
{
  g_autoptr(GPtrArray) resized = NULL;

  if (opts->kind == RG_PROCESSOR_IDEFICS3)
    resized = rg_preprocess_idefics3_frames (images, n_images, opts, error);
  else if (opts->kind == RG_PROCESSOR_IDEFICS1)
    resized = rg_idefics1_resize_images (images, n_images, opts, error);
  else
    resized = rg_preprocess_resize_images (images, n_images, opts, error);
  if (resized == NULL)
    return NULL;
  return rg_pixel_batch_from_resized (resized, opts, error);
}
