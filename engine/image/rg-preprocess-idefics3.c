/* rg-preprocess-idefics3.c: Idefics3ImageProcessor (SmolVLM), the slow
 * PIL one in its 2025 form (shared/reference/idefics3-smolvlm.md section 3).
 *
 * Per image, always resampling the previous 8-bit result:
 * 1. resize the longest edge to size.longest_edge (upscaling too), the
 *    other side int (...) and made even, then capped at 4096;
 * 2. with splitting: resize both sides up to multiples of M =
 *    max_image_size.longest_edge (the second side from the first's aspect,
 *    int (), then rounded up), cut R x C tiles of M x M, row-major, then
 *    resize the whole image to M x M (the global frame); when the image is
 *    exactly M x M there are no tiles. Without splitting: resize to M x M.
 * 3. convert to RGB last: RGBA frames are composited over white only now.
 *
 * Resizes use the configured filter (LANCZOS) on RGB, the same
 * premultiplied on RGBA, and NEAREST for palette and grayscale images:
 * the processor hands Pillow a one-channel array, which it resizes as mode
 * P, always NEAREST (pitfall 1). */
#include "rg-preprocess.h"

#include <math.h>
#include <string.h>

#include "regard-error.h"
#include "rg-resample.h"

/* transformers' MAX_IMAGE_SIZE for the longest edge after step 1. */
#define MAX_RESIZED_EDGE 4096
/* Tiles per image: real checkpoints have at most 8 x 8 (4096 / 512). */
#define MAX_TILES 1024

/* Step 1: _resize_output_size_rescale_to_max_len then
 * _resize_output_size_scale_below_upper_bound. */
static void
longest_edge_size (guint width, guint height, guint longest, guint *out_w, guint *out_h)
{
  double aspect = (double) width / (double) height;
  gint64 w, h;

  if (width >= height)
    {
      w = longest;
      h = (gint64) ((double) w / aspect);
      if (h % 2 != 0)
        h++;
    }
  else
    {
      h = longest;
      w = (gint64) ((double) h * aspect);
      if (w % 2 != 0)
        w++;
    }
  h = MAX (h, 1);
  w = MAX (w, 1);

  aspect = (double) w / (double) h;
  if (w >= h && w > MAX_RESIZED_EDGE)
    {
      w = MAX_RESIZED_EDGE;
      h = (gint64) ((double) w / aspect);
    }
  else if (h > w && h > MAX_RESIZED_EDGE)
    {
      h = MAX_RESIZED_EDGE;
      w = (gint64) ((double) h * aspect);
    }
  *out_w = (guint) MAX (w, 1);
  *out_h = (guint) MAX (h, 1);
}

static gint64
ceil_to (gint64 v, gint64 m)
{
  return (v + m - 1) / m * m;
}

/* Step 2: resize_for_vision_encoder. */
static void
multiple_size (guint width, guint height, guint m, guint *out_w, guint *out_h)
{
  double aspect = (double) width / (double) height;
  gint64 w, h;

  if (width >= height)
    {
      w = ceil_to (width, m);
      h = ceil_to ((gint64) ((double) w / aspect), m);
    }
  else
    {
      h = ceil_to (height, m);
      w = ceil_to ((gint64) ((double) h * aspect), m);
    }
  /* int () of a positive ratio can be 0: ceil_to (0) is 0 */
  *out_w = (guint) MAX (w, (gint64) m);
  *out_h = (guint) MAX (h, (gint64) m);
}

void
rg_preprocess_image_grid (const RgPreprocessOptions *opts, guint width, guint height, RgImageGrid *grid)
{
  guint w1, h1, w2, h2;

  grid->rows = grid->cols = 0;
  if (!opts->do_split || width == 0 || height == 0 || opts->max_image_edge == 0)
    return;
  longest_edge_size (width, height, opts->longest_edge, &w1, &h1);
  multiple_size (w1, h1, opts->max_image_edge, &w2, &h2);
  if (w2 > opts->max_image_edge || h2 > opts->max_image_edge)
    {
      grid->rows = h2 / opts->max_image_edge;
      grid->cols = w2 / opts->max_image_edge;
    }
}

/* An image being resized: packed RGB, or RGBA (straight alpha). */
typedef struct
{
  guint width, height, channels;
  uint8_t *px;
} Work;

static void
work_clear (Work *w)
{
  g_clear_pointer (&w->px, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Work, work_clear)

static gboolean
work_from_image (const RgImage *img, Work *out, GError **error)
{
  gsize n = (gsize) img->width * img->height;

  out->width = img->width;
  out->height = img->height;
  out->channels = img->alpha ? 4 : 3;
  out->px = g_try_malloc (n * out->channels);
  if (out->px == NULL)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_OUT_OF_MEMORY,
                   "Out of memory for a %ux%u image", img->width, img->height);
      return FALSE;
    }
  if (img->alpha == NULL)
    memcpy (out->px, img->rgb, n * 3);
  else
    for (gsize i = 0; i < n; i++)
      {
        memcpy (out->px + i * 4, img->rgb + i * 3, 3);
        out->px[i * 4 + 3] = img->alpha[i];
      }
  return TRUE;
}

/* W resized to WIDTH x HEIGHT in place: Pillow's resize for the mode. */
static gboolean
work_resize (Work *w, gboolean nearest, RgResampleFilter filter, guint width, guint height,
             GError **error)
{
  uint8_t *px;

  if (w->channels == 4)
    px = rg_resample_rgba (w->px, w->width, w->height, width, height, filter, error);
  else
    {
      /* a view of the packed pixels, not a copy */
      RgImage view = { .width = w->width, .height = w->height, .rgb = w->px };
      RgImage *out = nearest ? rg_resample_nearest (&view, width, height, error)
                             : rg_resample (&view, width, height, filter, error);

      if (out == NULL)
        return FALSE;
      px = g_steal_pointer (&out->rgb);
      rg_image_free (out);
    }
  if (px == NULL)
    return FALSE;
  g_free (w->px);
  w->px = px;
  w->width = width;
  w->height = height;
  return TRUE;
}

/* The rectangle of W at (X0, Y0), SIZE x SIZE, converted to RGB: alpha
 * composited over white (convert_to_rgb). */
static RgImage *
work_frame (const Work *w, guint x0, guint y0, guint size, GError **error)
{
  RgImage *img = rg_image_new (size, size, error);

  if (img == NULL)
    return NULL;
  for (guint y = 0; y < size; y++)
    {
      const uint8_t *src = w->px + ((gsize) (y0 + y) * w->width + x0) * w->channels;
      uint8_t *dst = img->rgb + (gsize) y * size * 3;

      if (w->channels == 3)
        memcpy (dst, src, (gsize) size * 3);
      else
        for (guint x = 0; x < size; x++)
          rg_image_composite_over_white (src + (gsize) x * 4, dst + (gsize) x * 3);
    }
  return img;
}

/* Appends IMG's frames to OUT: tiles (row-major) then the global image. */
static gboolean
push_frames (GPtrArray *out, const RgImage *img, guint index, const RgPreprocessOptions *opts,
             GError **error)
{
  g_auto(Work) w = { 0 };
  gboolean nearest = img->mode == RG_IMAGE_MODE_L || img->mode == RG_IMAGE_MODE_P;
  guint m = opts->max_image_edge, w1, h1, w2, h2;
  RgImageGrid grid;

  if (!work_from_image (img, &w, error))
    return FALSE;
  longest_edge_size (img->width, img->height, opts->longest_edge, &w1, &h1);
  if (!work_resize (&w, nearest, opts->filter, w1, h1, error))
    return FALSE;

  rg_preprocess_image_grid (opts, img->width, img->height, &grid);
  if ((guint64) grid.rows * grid.cols > MAX_TILES)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_UNSUPPORTED,
                   "Image %u would be split into %u x %u tiles (at most %u)",
                   index + 1, grid.rows, grid.cols, MAX_TILES);
      return FALSE;
    }
  if (opts->do_split)
    {
      multiple_size (w1, h1, m, &w2, &h2);
      if (!work_resize (&w, nearest, opts->filter, w2, h2, error))
        return FALSE;
      for (guint r = 0; r < grid.rows; r++)
        for (guint c = 0; c < grid.cols; c++)
          {
            RgImage *tile = work_frame (&w, c * m, r * m, m, error);

            if (tile == NULL)
              return FALSE;
            g_ptr_array_add (out, tile);
          }
    }
  /* the global image (a same-size resize is a copy) */
  if (!work_resize (&w, nearest, opts->filter, m, m, error))
    return FALSE;
  {
    RgImage *global = work_frame (&w, 0, 0, m, error);

    if (global == NULL)
      return FALSE;
    g_ptr_array_add (out, global);
  }
  return TRUE;
}

GPtrArray *
rg_preprocess_idefics3_frames (RgImage * const *images, guint n_images,
                               const RgPreprocessOptions *opts, GError **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) rg_image_free);

  g_return_val_if_fail (opts != NULL, NULL);
  g_return_val_if_fail (n_images == 0 || images != NULL, NULL);
  if (opts->longest_edge == 0 || opts->max_image_edge == 0 ||
      opts->longest_edge > MAX_RESIZED_EDGE * 2 || opts->max_image_edge > MAX_RESIZED_EDGE)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL,
                   "Resize edges %u/%u out of range", opts->longest_edge, opts->max_image_edge);
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
      if (!push_frames (out, img, i, opts, error))
        return NULL;
    }
  return g_steal_pointer (&out);
}
