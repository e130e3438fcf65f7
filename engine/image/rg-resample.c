/* rg-resample.c: Pillow's BILINEAR, BICUBIC and LANCZOS resizes
 * (Resample.c), ported for bit exactness. Every double expression keeps
 * Pillow's order of operations. The bicubic kernel has a*b+c shapes whose
 * contraction to FMA would change results (Pillow's x86-64 builds do not
 * contract), so this file is built with -ffp-contract=off. */
#include "rg-resample.h"

#include <math.h>
#include <string.h>

#include "regard-error.h"

static double
triangle_filter (double x)
{
  if (x < 0.0)
    x = -x;
  if (x < 1.0)
    return 1.0 - x;
  return 0.0;
}

/* Keys' cubic convolution with a = -0.5, support 2 (Pillow's
 * bicubic_filter, same expression order). */
static double
bicubic_filter (double x)
{
  const double a = -0.5;

  if (x < 0.0)
    x = -x;
  if (x < 1.0)
    return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0)
    return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

static double
sinc_filter (double x)
{
  if (x == 0.0)
    return 1.0;
  x = x * G_PI;
  return sin (x) / x;
}

/* Sinc windowed by a 3-lobe sinc, support 3 (Pillow's lanczos_filter). */
static double
lanczos_filter (double x)
{
  if (-3.0 <= x && x < 3.0)
    return sinc_filter (x) * sinc_filter (x / 3);
  return 0.0;
}

typedef struct
{
  double (*func) (double x);
  double support;
} Filter;

static const Filter filters[] = {
  [RG_RESAMPLE_BILINEAR] = { triangle_filter, 1.0 },
  [RG_RESAMPLE_LANCZOS] = { lanczos_filter, 3.0 },
  [RG_RESAMPLE_BICUBIC] = { bicubic_filter, 2.0 },
};

void
rg_resample_taps_free (RgResampleTaps *taps)
{
  if (taps == NULL)
    return;
  g_free (taps->first);
  g_free (taps->n);
  g_free (taps->coeffs);
  g_free (taps);
}

/* precompute_coeffs () + normalize_coeffs_8bpc () for the box
 * [0, in_size) (Pillow passes the box as floats: in1 - in0 is a float). */
RgResampleTaps *
rg_resample_taps_new (guint in_size, guint out_size, GError **error)
{
  return rg_resample_taps_new_filter (RG_RESAMPLE_BILINEAR, in_size, out_size, error);
}

RgResampleTaps *
rg_resample_taps_new_filter (RgResampleFilter filter, guint in_size, guint out_size, GError **error)
{
  const Filter *f;
  g_autoptr(RgResampleTaps) taps = NULL;
  g_autofree double *k = NULL;
  float in0 = 0.0f, in1 = (float) in_size;
  double scale, filterscale, support, ss;
  guint ksize;

  g_return_val_if_fail ((guint) filter < G_N_ELEMENTS (filters), NULL);
  f = &filters[filter];
  if (in_size == 0 || out_size == 0 || in_size > G_MAXINT / 2 || out_size > G_MAXINT / 2)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_IMAGE,
                   "Cannot resize %u samples to %u", in_size, out_size);
      return NULL;
    }
  filterscale = scale = (double) (in1 - in0) / out_size;
  if (filterscale < 1.0)
    filterscale = 1.0;
  support = f->support * filterscale;
  ksize = (guint) ceil (support) * 2 + 1;
  if ((guint64) out_size * ksize > G_MAXINT / sizeof (double))
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_IMAGE,
                   "Resize from %u to %u needs too many filter taps", in_size, out_size);
      return NULL;
    }

  taps = g_new0 (RgResampleTaps, 1);
  taps->out_size = out_size;
  taps->ksize = ksize;
  taps->first = g_new (guint, out_size);
  taps->n = g_new (guint, out_size);
  taps->coeffs = g_new0 (gint32, (gsize) out_size * ksize);
  k = g_new (double, ksize);
  ss = 1.0 / filterscale;

  for (guint xx = 0; xx < out_size; xx++)
    {
      double center = in0 + (xx + 0.5) * scale;
      double ww = 0.0;
      int xmin = (int) (center - support + 0.5);
      int xmax = (int) (center + support + 0.5);
      int x;

      if (xmin < 0)
        xmin = 0;
      if (xmax > (int) in_size)
        xmax = (int) in_size;
      xmax -= xmin;
      for (x = 0; x < xmax; x++)
        {
          double w = f->func ((x + xmin - center + 0.5) * ss);

          k[x] = w;
          ww += w;
        }
      for (x = 0; x < xmax; x++)
        if (ww != 0.0)
          k[x] /= ww;
      for (x = 0; x < xmax; x++)
        {
          gint32 *out = &taps->coeffs[(gsize) xx * ksize + x];

          if (k[x] < 0)
            *out = (int) (-0.5 + k[x] * (1 << RG_RESAMPLE_PRECISION_BITS));
          else
            *out = (int) (0.5 + k[x] * (1 << RG_RESAMPLE_PRECISION_BITS));
        }
      taps->first[xx] = (guint) xmin;
      taps->n[xx] = (guint) MAX (xmax, 0);
    }
  return g_steal_pointer (&taps);
}

/* Pillow's clip8: the accumulator holds value * 2^22 (+ rounding). */
static inline uint8_t
clip8 (int acc)
{
  int v = acc >> RG_RESAMPLE_PRECISION_BITS;

  return (uint8_t) CLAMP (v, 0, 255);
}

/* Both passes work on packed rows of CH channels (3: RGB, 4: RGBa). */
static void
resample_horizontal (uint8_t *out, const uint8_t *in, guint in_w, guint out_w, guint rows, guint ch,
                     const RgResampleTaps *taps)
{
  for (guint y = 0; y < rows; y++)
    {
      const uint8_t *row = in + (gsize) y * in_w * ch;
      uint8_t *dst = out + (gsize) y * out_w * ch;

      for (guint xx = 0; xx < out_w; xx++)
        {
          const gint32 *k = &taps->coeffs[(gsize) xx * taps->ksize];
          const uint8_t *src = row + (gsize) taps->first[xx] * ch;
          int acc[4];

          for (guint c = 0; c < ch; c++)
            acc[c] = 1 << (RG_RESAMPLE_PRECISION_BITS - 1);
          for (guint x = 0; x < taps->n[xx]; x++)
            for (guint c = 0; c < ch; c++)
              acc[c] += src[x * ch + c] * k[x];
          for (guint c = 0; c < ch; c++)
            dst[xx * ch + c] = clip8 (acc[c]);
        }
    }
}

static void
resample_vertical (uint8_t *out, const uint8_t *in, gsize stride, guint out_h, const RgResampleTaps *taps)
{
  for (guint yy = 0; yy < out_h; yy++)
    {
      const gint32 *k = &taps->coeffs[(gsize) yy * taps->ksize];
      const uint8_t *src = in + (gsize) taps->first[yy] * stride;
      uint8_t *dst = out + (gsize) yy * stride;

      for (gsize i = 0; i < stride; i++)
        {
          int s = 1 << (RG_RESAMPLE_PRECISION_BITS - 1);

          for (guint y = 0; y < taps->n[yy]; y++)
            s += src[y * stride + i] * k[y];
          dst[i] = clip8 (s);
        }
    }
}

static uint8_t *
alloc_pixels (guint width, guint height, guint ch, GError **error)
{
  uint8_t *p;

  if (width == 0 || height == 0 || (guint64) width * height > RG_IMAGE_MAX_PIXELS)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_IMAGE, "Cannot resize to %ux%u", width, height);
      return NULL;
    }
  p = g_try_malloc ((gsize) width * height * ch);
  if (p == NULL)
    g_set_error (error, REGARD_ERROR, REGARD_ERROR_OUT_OF_MEMORY, "Out of memory resizing an image");
  return p;
}

/* Pillow's ImagingResample on packed 8-bit pixels: horizontal pass, then
 * vertical; a pass whose size is unchanged is skipped. Pillow crops the
 * horizontal pass to the rows the vertical taps read; with the full box
 * that is every row, so the result is the same without the crop. */
static uint8_t *
resample_pixels (const uint8_t *in, guint w, guint h, guint ch, guint out_w, guint out_h,
                 RgResampleFilter filter, GError **error)
{
  g_autofree uint8_t *temp = NULL;
  g_autoptr(RgResampleTaps) htaps = NULL;
  g_autoptr(RgResampleTaps) vtaps = NULL;
  const uint8_t *cur = in;
  uint8_t *out;

  if (out_w != w)
    {
      htaps = rg_resample_taps_new_filter (filter, w, out_w, error);
      if (htaps == NULL || (temp = alloc_pixels (out_w, h, ch, error)) == NULL)
        return NULL;
      resample_horizontal (temp, in, w, out_w, h, ch, htaps);
      cur = temp;
    }
  if (out_h != h)
    {
      vtaps = rg_resample_taps_new_filter (filter, h, out_h, error);
      if (vtaps == NULL || (out = alloc_pixels (out_w, out_h, ch, error)) == NULL)
        return NULL;
      resample_vertical (out, cur, (gsize) out_w * ch, out_h, vtaps);
      return out;
    }
  if (temp != NULL)
    return g_steal_pointer (&temp);
  out = alloc_pixels (w, h, ch, error);
  if (out != NULL)
    memcpy (out, in, (gsize) w * h * ch);
  return out;
}

RgImage *
rg_resample_bilinear (const RgImage *image, guint width, guint height, GError **error)
{
  return rg_resample (image, width, height, RG_RESAMPLE_BILINEAR, error);
}

RgImage *
rg_resample (const RgImage *image, guint width, guint height, RgResampleFilter filter, GError **error)
{
  g_autoptr(RgImage) out = NULL;
  uint8_t *pixels;

  g_return_val_if_fail (image != NULL, NULL);
  out = rg_image_new (width, height, error);
  if (out == NULL)
    return NULL;
  pixels = resample_pixels (image->rgb, image->width, image->height, 3, width, height, filter, error);
  if (pixels == NULL)
    return NULL;
  g_free (out->rgb);
  out->rgb = pixels;
  return g_steal_pointer (&out);
}

/* Pillow's RGBA -> RGBa: c * a / 255 rounded with its MULDIV255. */
static inline uint8_t
muldiv255 (unsigned a, unsigned b)
{
  unsigned t = a * b + 128;
  return (uint8_t) ((t + (t >> 8)) >> 8);
}

uint8_t *
rg_resample_rgba (const uint8_t *rgba, guint width, guint height, guint out_width, guint out_height,
                  RgResampleFilter filter, GError **error)
{
  g_autofree uint8_t *pre = NULL;
  uint8_t *out;
  gsize n = (gsize) width * height;

  g_return_val_if_fail (rgba != NULL, NULL);
  if (width == out_width && height == out_height)
    {
      /* Pillow copies before converting to RGBa: no round trip. */
      out = alloc_pixels (width, height, 4, error);
      if (out != NULL)
        memcpy (out, rgba, n * 4);
      return out;
    }
  pre = alloc_pixels (width, height, 4, error);
  if (pre == NULL)
    return NULL;
  for (gsize i = 0; i < n; i++)
    {
      const uint8_t *p = rgba + i * 4;
      pre[i * 4 + 0] = muldiv255 (p[0], p[3]);
      pre[i * 4 + 1] = muldiv255 (p[1], p[3]);
      pre[i * 4 + 2] = muldiv255 (p[2], p[3]);
      pre[i * 4 + 3] = p[3];
    }
  out = resample_pixels (pre, width, height, 4, out_width, out_height, filter, error);
  if (out == NULL)
    return NULL;
  /* RGBa -> RGBA: 255 * c / a, truncated and clipped; alpha 0 and 255
   * keep their colour. */
  for (gsize i = 0; i < (gsize) out_width * out_height; i++)
    {
      uint8_t *p = out + i * 4;
      unsigned a = p[3];

      if (a != 0 && a != 255)
        for (guint c = 0; c < 3; c++)
          p[c] = (uint8_t) MIN (255u, 255u * p[c] / a);
    }
  return out;
}

/* Pillow's resize with NEAREST: an affine scale (ImagingScaleAffine) whose
 * source position is ACCUMULATED in double (x0 = scale / 2, then += scale
 * per pixel), truncated; pixels mapping outside the source stay 0. */
static guint *
nearest_table (guint in_size, guint out_size, guint *valid_end)
{
  double scale = (double) (float) in_size / out_size;
  double pos = scale * 0.5;
  guint *table = g_new (guint, out_size);

  *valid_end = 0;
  for (guint i = 0; i < out_size; i++)
    {
      int v = pos < 0.0 ? -1 : (int) pos;

      table[i] = G_MAXUINT;
      if (v >= 0 && (guint) v < in_size)
        {
          table[i] = (guint) v;
          *valid_end = i + 1;
        }
      pos += scale;
    }
  return table;
}

RgImage *
rg_resample_nearest (const RgImage *image, guint width, guint height, GError **error)
{
  g_autofree guint *xs = NULL, *ys = NULL;
  guint xend, yend;
  RgImage *out;

  g_return_val_if_fail (image != NULL, NULL);
  if (width == image->width && height == image->height)
    {
      out = rg_image_copy (image);
      if (out == NULL)
        g_set_error (error, REGARD_ERROR, REGARD_ERROR_OUT_OF_MEMORY, "Out of memory copying an image");
      return out;
    }
  out = rg_image_new (width, height, error);
  if (out == NULL)
    return NULL;
  xs = nearest_table (image->width, width, &xend);
  ys = nearest_table (image->height, height, &yend);
  for (guint y = 0; y < yend; y++)
    {
      const uint8_t *row;
      uint8_t *dst = out->rgb + (gsize) y * width * 3;

      if (ys[y] == G_MAXUINT)
        continue;
      row = image->rgb + (gsize) ys[y] * image->width * 3;
      for (guint x = 0; x < xend; x++)
        if (xs[x] != G_MAXUINT)
          memcpy (dst + (gsize) x * 3, row + (gsize) xs[x] * 3, 3);
    }
  return out;
}
