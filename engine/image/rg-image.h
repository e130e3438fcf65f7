/* rg-image.h: decoded images as packed 8-bit RGB, the processor's input.
 *
 * Decoding follows what Idefics2ImageProcessor sees after PIL's
 * Image.open + exif_transpose + convert_to_rgb: the first frame, EXIF
 * orientation applied, alpha composited over opaque white with PIL's
 * integer alpha_composite arithmetic, grayscale expanded to R=G=B. The
 * declared size is checked before any pixel is decoded, so a small file
 * that claims a huge canvas is refused without a huge allocation. */
#pragma once

#include <gio/gio.h>
#include <stdint.h>

G_BEGIN_DECLS

/* Images with more pixels than this are refused (decompression bombs).
 * The model's own processor reads images through Pillow, which refuses
 * them above twice its MAX_IMAGE_PIXELS (2 x 89 478 485): what Pillow
 * reads, Regard reads (a 12000 x 12000 scan is 144 million pixels). */
#define RG_IMAGE_MAX_PIXELS ((guint64) 2 * 89478485)

/* The mode PIL opens a file in, as far as a processor that resizes before
 * converting to RGB cares (Idefics3ImageProcessor): P and L resize with
 * NEAREST, RGBA premultiplied. Read from the file's header. */
typedef enum
{
  RG_IMAGE_MODE_RGB,
  RG_IMAGE_MODE_RGBA,
  RG_IMAGE_MODE_L,    /* grayscale (also 1-bit and 16-bit gray) */
  RG_IMAGE_MODE_P,    /* palette */
} RgImageMode;

typedef struct
{
  guint width, height;
  uint8_t *rgb;   /* [height, width, 3], row-major, no row padding */
  RgImageMode mode;
  /* [height, width], only from the *_keep_alpha decoders for RGBA files:
   * then RGB holds the straight (not composited) colour. */
  uint8_t *alpha;
} RgImage;

/* A WIDTHxHEIGHT image; the pixels are zero. NULL on an empty or oversized
 * request. */
RgImage *rg_image_new (guint width, guint height, GError **error);
void rg_image_free (RgImage *image);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RgImage, rg_image_free)

RgImage *rg_image_copy (const RgImage *image);
/* The rectangle [x0, x1) x [y0, y1) of IMAGE, which must lie inside it and
 * be non-empty. */
RgImage *rg_image_crop (const RgImage *image, guint x0, guint y0, guint x1, guint y1);

/* Decode encoded bytes (PNG, JPEG, GIF, BMP, TIFF, WebP, ... whatever
 * gdk-pixbuf has a loader for). Errors: REGARD_ERROR_INVALID_IMAGE
 * (empty, corrupt, truncated, over RG_IMAGE_MAX_PIXELS), and G_FILE_ERROR
 * when the file cannot be opened. */
RgImage *rg_image_decode_bytes (GBytes *bytes, GError **error);
RgImage *rg_image_decode_file (const char *path, GError **error);
/* The same, but an RGBA file keeps its alpha (RgImage.alpha) instead of
 * being composited over white; MODE is set from the file's header. */
RgImage *rg_image_decode_bytes_keep_alpha (GBytes *bytes, GError **error);
RgImage *rg_image_decode_file_keep_alpha (const char *path, GError **error);

/* PIL's Image.alpha_composite of one RGBA pixel over opaque white, to RGB. */
void rg_image_composite_over_white (const uint8_t rgba[4], uint8_t rgb[3]);

/* FNV-1a 64-bit over the packed RGB bytes (the goldens' u8_fnv1a64). */
guint64 rg_image_fnv1a64 (const RgImage *image);

G_END_DECLS
