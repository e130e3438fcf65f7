/* rg-image.c: decoding with gdk-pixbuf into packed RGB, the way the PIL
 * processor sees images. */
#include "rg-image.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <string.h>

#include "regard-engine.h"

/* Bytes handed to the loader per write: small enough that a refused size
 * stops us after the header, not after the whole file. */
#define FEED_CHUNK 65536

RgImage *
rg_image_new (guint width, guint height, GError **error)
{
  RgImage *image;

  if (width == 0 || height == 0)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_IMAGE,
                   "Image has zero width or height (%ux%u)", width, height);
      return NULL;
    }
  if ((guint64) width * height > RG_IMAGE_MAX_PIXELS)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_IMAGE,
                   "Image of %ux%u pixels is larger than the %" G_GUINT64_FORMAT
                   " megapixel limit", width, height, RG_IMAGE_MAX_PIXELS / 1000000);
      return NULL;
    }
  image = g_new0 (RgImage, 1);
  image->width = width;
  image->height = height;
  image->rgb = g_try_malloc0 ((gsize) width * height * 3);
  if (image->rgb == NULL)
    {
      g_free (image);
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_OUT_OF_MEMORY,
                   "Out of memory for a %ux%u image", width, height);
      return NULL;
    }
  return image;
}

void
rg_image_free (RgImage *image)
{
  if (image == NULL)
    return;
  g_free (image->rgb);
  g_free (image);
}

RgImage *
rg_image_copy (const RgImage *image)
{
  return rg_image_crop (image, 0, 0, image->width, image->height);
}

RgImage *
rg_image_crop (const RgImage *image, guint x0, guint y0, guint x1, guint y1)
{
  RgImage *out;

  g_return_val_if_fail (image != NULL, NULL);
  g_return_val_if_fail (x0 < x1 && x1 <= image->width, NULL);
  g_return_val_if_fail (y0 < y1 && y1 <= image->height, NULL);

  out = rg_image_new (x1 - x0, y1 - y0, NULL);
  if (out == NULL)
    return NULL;
  for (guint y = y0; y < y1; y++)
    memcpy (out->rgb + (gsize) (y - y0) * out->width * 3,
            image->rgb + ((gsize) y * image->width + x0) * 3,
            (gsize) out->width * 3);
  return out;
}

/* PIL's AlphaComposite.c (7 fractional bits, divisions by 255 done as
 * shifts) with an opaque white destination, so that semi-transparent
 * pixels round exactly as the processor's convert_to_rgb. */
#define AC_PRECISION_BITS 7
#define SHIFTFORDIV255(a) ((((a) >> 8) + (a)) >> 8)

void
rg_image_composite_over_white (const uint8_t rgba[4], uint8_t rgb[3])
{
  const guint32 dst_a = 255, dst_c = 255;
  guint32 src_a = rgba[3];
  guint32 blend, outa255, coef1, coef2;

  if (src_a == 0)
    {
      rgb[0] = rgb[1] = rgb[2] = dst_c;
      return;
    }
  blend = dst_a * (255 - src_a);
  outa255 = src_a * 255 + blend;
  coef1 = src_a * 255 * 255 * (1u << AC_PRECISION_BITS) / outa255;
  coef2 = 255 * (1u << AC_PRECISION_BITS) - coef1;
  for (int c = 0; c < 3; c++)
    {
      guint32 tmp = rgba[c] * coef1 + dst_c * coef2;

      rgb[c] = (uint8_t) (SHIFTFORDIV255 (tmp + (0x80u << AC_PRECISION_BITS)) >> AC_PRECISION_BITS);
    }
}

guint64
rg_image_fnv1a64 (const RgImage *image)
{
  guint64 h = G_GUINT64_CONSTANT (0xcbf29ce484222325);
  gsize n = (gsize) image->width * image->height * 3;

  for (gsize i = 0; i < n; i++)
    {
      h ^= image->rgb[i];
      h *= G_GUINT64_CONSTANT (0x100000001b3);
    }
  return h;
}

typedef struct
{
  int width, height;
  gboolean refused;
} SizeCheck;

static void
on_size_prepared (GdkPixbufLoader *loader, int width, int height, gpointer user_data)
{
  SizeCheck *check = user_data;

  check->width = width;
  check->height = height;
  /* 0x0 makes gdk-pixbuf's loaders stop before they allocate the canvas
   * (the same trick gdk_pixbuf_get_file_info uses). */
  if (width <= 0 || height <= 0 || (guint64) width * (guint64) height > RG_IMAGE_MAX_PIXELS)
    {
      check->refused = TRUE;
      gdk_pixbuf_loader_set_size (loader, 0, 0);
    }
}

static void
set_refused_error (const SizeCheck *check, const char *what, GError **error)
{
  if (check->width <= 0 || check->height <= 0)
    g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_IMAGE,
                 "%s: image declares an empty size (%dx%d)", what, check->width, check->height);
  else
    g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_IMAGE,
                 "%s: image of %dx%d pixels is larger than the %" G_GUINT64_FORMAT
                 " megapixel limit", what, check->width, check->height,
                 RG_IMAGE_MAX_PIXELS / 1000000);
}

/* Packs a decoded pixbuf into RGB, compositing alpha over white. */
static RgImage *
image_from_pixbuf (GdkPixbuf *pixbuf, const char *what, GError **error)
{
  int w = gdk_pixbuf_get_width (pixbuf);
  int h = gdk_pixbuf_get_height (pixbuf);
  int channels = gdk_pixbuf_get_n_channels (pixbuf);
  int stride = gdk_pixbuf_get_rowstride (pixbuf);
  gboolean alpha = gdk_pixbuf_get_has_alpha (pixbuf);
  const guint8 *src = gdk_pixbuf_read_pixels (pixbuf);
  g_autoptr(GError) local = NULL;
  RgImage *image;

  if (gdk_pixbuf_get_colorspace (pixbuf) != GDK_COLORSPACE_RGB ||
      gdk_pixbuf_get_bits_per_sample (pixbuf) != 8 ||
      channels != (alpha ? 4 : 3) || w <= 0 || h <= 0 ||
      stride < w * channels)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_IMAGE,
                   "%s: unsupported pixel layout from the decoder", what);
      return NULL;
    }
  image = rg_image_new ((guint) w, (guint) h, &local);
  if (image == NULL)
    {
      g_set_error (error, local->domain, local->code, "%s: %s", what, local->message);
      return NULL;
    }
  for (int y = 0; y < h; y++)
    {
      const guint8 *row = src + (gsize) y * stride;
      uint8_t *out = image->rgb + (gsize) y * w * 3;

      if (!alpha)
        {
          memcpy (out, row, (gsize) w * 3);
          continue;
        }
      for (int x = 0; x < w; x++)
        rg_image_composite_over_white (row + (gsize) x * 4, out + (gsize) x * 3);
    }
  return image;
}

/* Feeds the loader from READ_CHUNK until EOF, a decoder error or a refused
 * size; always closes it. Returns the decoded image. */
typedef gssize (*ReadChunkFunc) (gpointer source, guint8 *buf, gsize size, GError **error);

static RgImage *
decode_with_loader (ReadChunkFunc read_chunk, gpointer source, const char *what, GError **error)
{
  g_autoptr(GdkPixbufLoader) loader = gdk_pixbuf_loader_new ();
  g_autoptr(GError) local = NULL;
  g_autoptr(GdkPixbuf) oriented = NULL;
  g_autofree guint8 *buf = g_malloc (FEED_CHUNK);
  SizeCheck check = { 0 };
  GdkPixbuf *pixbuf;
  gsize total = 0;
  gboolean ok = TRUE;

  g_signal_connect (loader, "size-prepared", G_CALLBACK (on_size_prepared), &check);

  while (ok && !check.refused)
    {
      gssize n = read_chunk (source, buf, FEED_CHUNK, &local);

      if (n < 0)
        {
          gdk_pixbuf_loader_close (loader, NULL);
          g_propagate_prefixed_error (error, g_steal_pointer (&local), "%s: ", what);
          return NULL;
        }
      if (n == 0)
        break;
      total += (gsize) n;
      ok = gdk_pixbuf_loader_write (loader, buf, (gsize) n, &local);
    }
  /* Closing a loader a failed write already closed is a no-op. */
  if (!gdk_pixbuf_loader_close (loader, local ? NULL : &local))
    ok = FALSE;

  if (check.refused)
    {
      set_refused_error (&check, what, error);
      return NULL;
    }
  if (total == 0)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_IMAGE, "%s: empty image file", what);
      return NULL;
    }
  if (!ok)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_IMAGE, "%s: cannot decode image: %s",
                   what, local ? local->message : "unknown decoder error");
      return NULL;
    }
  pixbuf = gdk_pixbuf_loader_get_pixbuf (loader);
  if (pixbuf == NULL)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_IMAGE,
                   "%s: the decoder produced no image", what);
      return NULL;
    }
  /* PIL's exif_transpose, as transformers' load_image applies it. */
  oriented = gdk_pixbuf_apply_embedded_orientation (pixbuf);
  if (oriented == NULL)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_OUT_OF_MEMORY,
                   "%s: out of memory while rotating the image", what);
      return NULL;
    }
  return image_from_pixbuf (oriented, what, error);
}

typedef struct
{
  const guint8 *data;
  gsize len, pos;
} MemSource;

static gssize
read_mem (gpointer source, guint8 *buf, gsize size, GError **error)
{
  MemSource *mem = source;
  gsize n = MIN (size, mem->len - mem->pos);

  memcpy (buf, mem->data + mem->pos, n);
  mem->pos += n;
  return (gssize) n;
}

static gssize
read_stream (gpointer source, guint8 *buf, gsize size, GError **error)
{
  return g_input_stream_read (G_INPUT_STREAM (source), buf, size, NULL, error);
}

RgImage *
rg_image_decode_bytes (GBytes *bytes, GError **error)
{
  MemSource mem = { 0 };

  g_return_val_if_fail (bytes != NULL, NULL);
  mem.data = g_bytes_get_data (bytes, &mem.len);
  return decode_with_loader (read_mem, &mem, "image data", error);
}

RgImage *
rg_image_decode_file (const char *path, GError **error)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GFileInputStream) stream = NULL;
  g_autofree char *name = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  file = g_file_new_for_path (path);
  name = g_file_get_parse_name (file);
  stream = g_file_read (file, NULL, error);
  if (stream == NULL)
    return NULL;
  return decode_with_loader (read_stream, stream, name, error);
}
