/* rg-resample.h: Pillow's antialiased resizes of 8-bit images.
 *
 * A bit-exact port of Pillow 9.4's Image.resize(size, BILINEAR, BICUBIC or
 * LANCZOS) on an RGB image (libImaging/Resample.c): a triangle (BILINEAR),
 * Keys cubic (BICUBIC, a = -0.5) or 3-lobe Lanczos filter whose support
 * grows with the downscale factor, coefficients in 22-bit fixed point, a horizontal
 * pass into an 8-bit temporary, then a vertical pass. A pass whose size is
 * unchanged is skipped, and a same-size resize is a copy, as in Pillow. */
#pragma once

#include "rg-image.h"

G_BEGIN_DECLS

/* Fixed-point filter taps for resizing IN_SIZE samples to OUT_SIZE:
 * output i reads n[i] inputs starting at first[i], weighted by
 * coeffs[i * ksize + j] / 2^22. Exposed for tests. */
typedef struct
{
  guint out_size;
  guint ksize;
  guint *first;     /* [out_size] */
  guint *n;         /* [out_size] */
  gint32 *coeffs;   /* [out_size * ksize] */
} RgResampleTaps;

#define RG_RESAMPLE_PRECISION_BITS 22

typedef enum
{
  RG_RESAMPLE_BILINEAR,   /* PIL.Image.BILINEAR (2) */
  RG_RESAMPLE_LANCZOS,    /* PIL.Image.LANCZOS (1) */
  RG_RESAMPLE_BICUBIC,    /* PIL.Image.BICUBIC (3) */
} RgResampleFilter;

/* BILINEAR taps. */
RgResampleTaps *rg_resample_taps_new (guint in_size, guint out_size, GError **error);
RgResampleTaps *rg_resample_taps_new_filter (RgResampleFilter filter, guint in_size, guint out_size,
                                             GError **error);
void rg_resample_taps_free (RgResampleTaps *taps);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RgResampleTaps, rg_resample_taps_free)

/* IMAGE resized to WIDTH x HEIGHT. */
RgImage *rg_resample (const RgImage *image, guint width, guint height, RgResampleFilter filter,
                      GError **error);
RgImage *rg_resample_bilinear (const RgImage *image, guint width, guint height, GError **error);
/* Pillow's resize of an RGBA image (packed, WIDTH x HEIGHT x 4) with a
 * filter other than NEAREST: converted to premultiplied RGBa, resized,
 * converted back; a same-size resize is a plain copy. Returns a new
 * OUT_WIDTH x OUT_HEIGHT x 4 buffer (g_free). */
uint8_t *rg_resample_rgba (const uint8_t *rgba, guint width, guint height, guint out_width,
                           guint out_height, RgResampleFilter filter, GError **error);

/* Pillow's resize with NEAREST, which Pillow forces for modes P and 1
 * (so for the palette and, through Idefics3's processor, grayscale
 * images). Picking pixels commutes with per-pixel colour conversion, so
 * resizing the RGB form of a P or L image gives the same RGB result. */
RgImage *rg_resample_nearest (const RgImage *image, guint width, guint height, GError **error);

G_END_DECLS
