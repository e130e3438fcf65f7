/* rg-image.c: decoding with gdk-pixbuf into packed RGB, the way the PIL
 * processor sees images. */
#include "rg-image.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <string.h>

#include "regard-error.h"

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
  g_free (image->alpha);
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
  out->mode = image->mode;
  for (guint y = y0; y < y1; y++)
    memcpy (out->rgb + (gsize) (y - y0) * out->width * 3,
            image->rgb + ((gsize) y * image->width + x0) * 3,
            (gsize) out->width * 3);
  if (image->alpha != NULL)
    {
      out->alpha = g_try_malloc ((gsize) out->width * out->height);
      if (out->alpha == NULL)
        {
          rg_image_free (out);
          return NULL;
        }
      for (guint y = y0; y < y1; y++)
        memcpy (out->alpha + (gsize) (y - y0) * out->width,
                image->alpha + (gsize) y * image->width + x0, out->width);
    }
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

/* Packs a decoded pixbuf into RGB, compositing alpha over white, or with
 * KEEP_ALPHA (an RGBA file) keeping it beside the straight colour. Files
 * PIL opens without alpha (RGB, L, P with a transparent colour) drop
 * gdk-pixbuf's alpha in that case: the processor's array has none. */
static RgImage *
image_from_pixbuf (GdkPixbuf *pixbuf, RgImageMode mode, gboolean keep_alpha, const char *what,
                   GError **error)
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
      stride < (gint64) w * channels)
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
  image->mode = mode;
  if (keep_alpha && alpha && mode == RG_IMAGE_MODE_RGBA)
    {
      image->alpha = g_try_malloc ((gsize) w * h);
      if (image->alpha == NULL)
        {
          rg_image_free (image);
          g_set_error (error, REGARD_ERROR, REGARD_ERROR_OUT_OF_MEMORY, "%s: out of memory", what);
          return NULL;
        }
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
        {
          const guint8 *px = row + (gsize) x * 4;

          if (image->alpha != NULL)
            {
              memcpy (out + (gsize) x * 3, px, 3);
              image->alpha[(gsize) y * w + x] = px[3];
            }
          else if (keep_alpha)
            memcpy (out + (gsize) x * 3, px, 3);
          else
            rg_image_composite_over_white (px, out + (gsize) x * 3);
        }
    }
  return image;
}

/* gdk-pixbuf returns a partial image, without an error, for a PNG or JPEG
 * cut short (PIL raises "image file is truncated"). These structural
 * checks catch that: a PNG must reach its IEND chunk, a JPEG its EOI
 * marker after the first scan. */
static gboolean
png_is_complete (const guint8 *p, gsize len)
{
  gsize pos = 8;

  while (pos + 12 <= len)
    {
      guint32 n = ((guint32) p[pos] << 24) | ((guint32) p[pos + 1] << 16) |
                  ((guint32) p[pos + 2] << 8) | p[pos + 3];

      if (memcmp (p + pos + 4, "IEND", 4) == 0)
        return TRUE;
      if (n > len - pos - 12)
        return FALSE;
      pos += 12 + (gsize) n;
    }
  return FALSE;
}

static gboolean
jpeg_is_complete (const guint8 *p, gsize len)
{
  gsize pos = 2;

  /* Walk the marker segments up to the first scan (SOS). */
  while (pos + 4 <= len)
    {
      guint8 marker;
      gsize seg;

      if (p[pos] != 0xff)
        return FALSE;
      marker = p[pos + 1];
      if (marker == 0xff)
        {
          pos++;   /* fill byte */
          continue;
        }
      seg = ((gsize) p[pos + 2] << 8) | p[pos + 3];
      if (seg < 2 || seg > len - pos - 2)
        return FALSE;
      pos += 2 + seg;
      if (marker == 0xda)
        break;
    }
  /* Entropy-coded data stuffs 0xff as ff 00, so ff d9 is the EOI. */
  for (; pos + 1 < len; pos++)
    if (p[pos] == 0xff && p[pos + 1] == 0xd9)
      return TRUE;
  return FALSE;
}

static gboolean
is_complete (GdkPixbufLoader *loader, const guint8 *data, gsize len)
{
  GdkPixbufFormat *format = gdk_pixbuf_loader_get_format (loader);
  g_autofree char *name = format ? gdk_pixbuf_format_get_name (format) : NULL;

  if (g_strcmp0 (name, "png") == 0)
    return png_is_complete (data, len);
  if (g_strcmp0 (name, "jpeg") == 0)
    return jpeg_is_complete (data, len);
  return TRUE;
}

/* The mode PIL would open DATA in, from its header: PNG's IHDR colour
 * type, a JPEG's component count, GIF (always palette), a BMP's bit depth;
 * other formats (WebP, TIFF...) RGB or RGBA by the decoder's alpha. */
static RgImageMode
sniff_mode (const guint8 *p, gsize len, gboolean has_alpha)
{
  RgImageMode fallback = has_alpha ? RG_IMAGE_MODE_RGBA : RG_IMAGE_MODE_RGB;

  if (len >= 26 && memcmp (p, "\x89PNG\r\n\x1a\n", 8) == 0 && memcmp (p + 12, "IHDR", 4) == 0)
    switch (p[25])
      {
      case 0: case 4: return RG_IMAGE_MODE_L;   /* gray, gray + alpha */
      case 2: return RG_IMAGE_MODE_RGB;
      case 3: return RG_IMAGE_MODE_P;
      case 6: return RG_IMAGE_MODE_RGBA;
      default: return fallback;
      }
  if (len >= 6 && (memcmp (p, "GIF87a", 6) == 0 || memcmp (p, "GIF89a", 6) == 0))
    return RG_IMAGE_MODE_P;
  if (len >= 30 && p[0] == 'B' && p[1] == 'M')
    return (p[28] | (p[29] << 8)) <= 8 ? RG_IMAGE_MODE_P : fallback;
  if (len >= 4 && p[0] == 0xff && p[1] == 0xd8)
    {
      gsize pos = 2;

      /* Walk the segments to the first SOFn: its component count. */
      while (pos + 10 <= len && p[pos] == 0xff)
        {
          guint8 m = p[pos + 1];
          gsize seg = ((gsize) p[pos + 2] << 8) | p[pos + 3];

          if (m == 0xff)
            {
              pos++;   /* fill byte */
              continue;
            }
          if (m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc)
            return p[pos + 9] == 1 ? RG_IMAGE_MODE_L : RG_IMAGE_MODE_RGB;
          if (m == 0xd8 || m == 0x01 || (m >= 0xd0 && m <= 0xd7))
            seg = 0;
          pos += 2 + seg;
        }
      return RG_IMAGE_MODE_RGB;
    }
  return fallback;
}

/* Feeds the loader in chunks until the end, a decoder error or a refused
 * size; always closes it. */
static RgImage *
decode_data (const guint8 *data, gsize len, gboolean keep_alpha, const char *what, GError **error)
{
  g_autoptr(GdkPixbufLoader) loader = NULL;
  g_autoptr(GError) local = NULL;
  g_autoptr(GdkPixbuf) oriented = NULL;
  SizeCheck check = { 0 };
  GdkPixbuf *pixbuf;
  gboolean ok = TRUE;

  if (len == 0)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_IMAGE, "%s: empty image file", what);
      return NULL;
    }
  loader = gdk_pixbuf_loader_new ();
  g_signal_connect (loader, "size-prepared", G_CALLBACK (on_size_prepared), &check);
  for (gsize pos = 0; ok && !check.refused && pos < len; pos += FEED_CHUNK)
    ok = gdk_pixbuf_loader_write (loader, data + pos, MIN (FEED_CHUNK, len - pos), &local);
  /* Closing a loader a failed write already closed is a no-op. */
  if (!gdk_pixbuf_loader_close (loader, local ? NULL : &local))
    ok = FALSE;

  if (check.refused)
    {
      set_refused_error (&check, what, error);
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
  if (!is_complete (loader, data, len))
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_IMAGE,
                   "%s: image file is truncated", what);
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
  return image_from_pixbuf (oriented, sniff_mode (data, len, gdk_pixbuf_get_has_alpha (oriented)),
                            keep_alpha, what, error);
}

static RgImage *
decode_bytes (GBytes *bytes, gboolean keep_alpha, GError **error)
{
  gsize len = 0;
  const guint8 *data;

  g_return_val_if_fail (bytes != NULL, NULL);
  data = g_bytes_get_data (bytes, &len);
  if (len > REGARD_MAX_IMAGE_BYTES)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_IMAGE,
                   "image data is too large (%" G_GSIZE_FORMAT " bytes; at most %u)", len, REGARD_MAX_IMAGE_BYTES);
      return NULL;
    }
  return decode_data (data, len, keep_alpha, "image data", error);
}

static RgImage *
decode_file (const char *path, gboolean keep_alpha, GError **error)
{
  g_autoptr(GMappedFile) mapped = NULL;
  g_autofree char *name = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  name = g_filename_display_name (path);
  /* Mapped, not read: only the pages the decoder touches are loaded. */
  mapped = g_mapped_file_new (path, FALSE, error);
  if (mapped == NULL)
    return NULL;
  if (g_mapped_file_get_length (mapped) > REGARD_MAX_IMAGE_BYTES)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_IMAGE,
                   "%s is too large for an image (%" G_GSIZE_FORMAT " bytes; at most %u)",
                   name, g_mapped_file_get_length (mapped), REGARD_MAX_IMAGE_BYTES);
      return NULL;
    }
  return decode_data ((const guint8 *) g_mapped_file_get_contents (mapped),
                      g_mapped_file_get_length (mapped), keep_alpha, name, error);
}

RgImage *
rg_image_decode_bytes (GBytes *bytes, GError **error)
{
  return decode_bytes (bytes, FALSE, error);
}

RgImage *
rg_image_decode_file (const char *path, GError **error)
{
  return decode_file (path, FALSE, error);
}

RgImage *
rg_image_decode_bytes_keep_alpha (GBytes *bytes, GError **error)
{
  return decode_bytes (bytes, TRUE, error);
}

RgImage *
rg_image_decode_file_keep_alpha (const char *path, GError **error)
{
  return decode_file (path, TRUE, error);
}
