/* Hostile and degenerate image files: each gives a clear
 * REGARD_ERROR_INVALID_IMAGE (or a valid tiny image), never a crash or a
 * huge allocation. Runs under ASan/UBSan in CI. */
#include "test-common.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "regard-engine.h"
#include "rg-image.h"
#include "rg-preprocess.h"

static void
assert_invalid_bytes (const void *data, gsize len)
{
  g_autoptr(GBytes) bytes = g_bytes_new (data, len);
  g_autoptr(GError) error = NULL;
  g_autoptr(RgImage) image = rg_image_decode_bytes (bytes, &error);

  g_assert_null (image);
  g_assert_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_IMAGE);
  g_test_message ("%s", error->message);
}

static GBytes *
encode (GdkPixbuf *pixbuf, const char *type)
{
  g_autoptr(GError) error = NULL;
  char *buf = NULL;
  gsize len = 0;

  g_assert_true (gdk_pixbuf_save_to_buffer (pixbuf, &buf, &len, type, &error, NULL));
  g_assert_no_error (error);
  return g_bytes_new_take (buf, len);
}

static void
test_zero_size_file (void)
{
  g_autofree char *dir = g_dir_make_tmp ("regard-img-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "empty.png", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(RgImage) image = NULL;

  g_assert_true (g_file_set_contents (path, "", 0, NULL));
  image = rg_image_decode_file (path, &error);
  g_assert_null (image);
  g_assert_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_IMAGE);
  g_assert_nonnull (strstr (error->message, "empty.png"));
  g_unlink (path);
  g_rmdir (dir);
}

/* A file over REGARD_MAX_IMAGE_BYTES is refused by its size, before the
 * decoder reads it (sparse: it takes no disk space). */
static void
test_file_too_large (void)
{
  g_autofree char *dir = g_dir_make_tmp ("regard-img-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "huge.png", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(RgImage) image = NULL;
  FILE *f = fopen (path, "wb");

  g_assert_nonnull (f);
  g_assert_cmpint (ftruncate (fileno (f), (off_t) REGARD_MAX_IMAGE_BYTES + 1), ==, 0);
  fclose (f);
  image = rg_image_decode_file (path, &error);
  g_assert_null (image);
  g_assert_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_IMAGE);
  g_assert_nonnull (strstr (error->message, "too large"));
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_empty_bytes (void)
{
  assert_invalid_bytes ("", 0);
}

static void
test_missing_file (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RgImage) image = rg_image_decode_file ("/nonexistent/regard/image.png", &error);

  g_assert_null (image);
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
}

static void
test_garbage (void)
{
  guint8 junk[4096];
  GRand *rand = g_rand_new_with_seed (42);

  for (gsize i = 0; i < sizeof junk; i++)
    junk[i] = (guint8) g_rand_int (rand);
  g_rand_free (rand);
  assert_invalid_bytes (junk, sizeof junk);
  assert_invalid_bytes ("hello, this is not an image\n", 28);
}

/* A 1x1 image decodes, and the processor stretches it to 378x378. */
static void
test_one_pixel (void)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 1, 1);
  g_autoptr(GBytes) png = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(RgImage) image = NULL;
  g_autoptr(RgPixelBatch) batch = NULL;
  RgPreprocessOptions opts = rg_preprocess_options_default ();

  gdk_pixbuf_fill (pixbuf, 0x204060ff);
  png = encode (pixbuf, "png");
  image = rg_image_decode_bytes (png, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (image->width, ==, 1);
  g_assert_cmpuint (image->height, ==, 1);
  g_assert_cmpuint (image->rgb[0], ==, 0x20);
  g_assert_cmpuint (image->rgb[1], ==, 0x40);
  g_assert_cmpuint (image->rgb[2], ==, 0x60);
  batch = rg_preprocess_images (&image, 1, &opts, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (batch->n, ==, 1);
  g_assert_cmpuint (batch->height, ==, 378);
  g_assert_cmpuint (batch->width, ==, 378);
  /* (float) (0x20 / 255.0) * 2 - 1, everywhere. */
  g_assert_cmpfloat (batch->pixel_values[378 * 378 - 1], ==, ((float) (32 * (1 / 255.0)) - 0.5f) / 0.5f);
}

static void
truncated (const char *fixture, gsize keep)
{
  g_autofree char *path = rg_test_fixture_path (fixture);
  g_autoptr(GBytes) whole = rg_test_read_file (path);
  gsize len = g_bytes_get_size (whole);

  g_assert_cmpuint (keep, <, len);
  assert_invalid_bytes (g_bytes_get_data (whole, NULL), keep);
}

static void
test_truncated_png (void)
{
  truncated ("images/screenshot_text_800x450.png", 2000);
  truncated ("images/screenshot_text_800x450.png", 40);  /* inside IHDR */
  truncated ("images/screenshot_text_800x450.png", 8);   /* signature only */
}

static void
test_truncated_jpeg (void)
{
  truncated ("images/portrait_600x1000.jpg", 5000);
  truncated ("images/portrait_600x1000.jpg", 300);
  truncated ("images/portrait_600x1000.jpg", 2);
}

static void
put_be32 (guint8 *p, guint32 v)
{
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

static guint32
crc32_png (const guint8 *data, gsize len)
{
  guint32 crc = 0xffffffffu;

  for (gsize i = 0; i < len; i++)
    {
      crc ^= data[i];
      for (int k = 0; k < 8; k++)
        crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
    }
  return crc ^ 0xffffffffu;
}

/* A PNG whose IHDR declares WIDTH x HEIGHT, with a valid CRC, followed by
 * a little deflate data: only the header is believable. */
static gsize
craft_png (guint8 *out, guint32 width, guint32 height)
{
  static const guint8 sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  static const guint8 idat[] = { 0x78, 0x9c, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01 };
  guint8 *p = out;
  guint32 crc;

  memcpy (p, sig, 8);
  p += 8;
  put_be32 (p, 13);
  memcpy (p + 4, "IHDR", 4);
  put_be32 (p + 8, width);
  put_be32 (p + 12, height);
  p[16] = 8;   /* bit depth */
  p[17] = 2;   /* RGB */
  p[18] = p[19] = p[20] = 0;
  crc = (guint32) crc32_png (p + 4, 17);
  put_be32 (p + 21, crc);
  p += 25;
  put_be32 (p, sizeof idat);
  memcpy (p + 4, "IDAT", 4);
  memcpy (p + 8, idat, sizeof idat);
  put_be32 (p + 8 + sizeof idat, (guint32) crc32_png (p + 4, 4 + sizeof idat));
  p += 12 + sizeof idat;
  return (gsize) (p - out);
}

/* 100000 x 100000 declared in a 60-byte file: refused from the header. */
static void
test_png_huge_dimensions (void)
{
  guint8 png[128];
  gsize len = craft_png (png, 100000, 100000);
  g_autoptr(GBytes) bytes = g_bytes_new (png, len);
  g_autoptr(GError) error = NULL;
  g_autoptr(RgImage) image = rg_image_decode_bytes (bytes, &error);

  g_assert_null (image);
  g_assert_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_IMAGE);
  g_assert_nonnull (strstr (error->message, "100000x100000"));
}

/* Just over the pixel limit along one thin side. */
static void
test_png_over_pixel_limit (void)
{
  guint8 png[128];
  gsize len = craft_png (png, 10001, 10000);
  g_autoptr(GBytes) bytes = g_bytes_new (png, len);
  g_autoptr(GError) error = NULL;
  g_autoptr(RgImage) image = rg_image_decode_bytes (bytes, &error);

  g_assert_null (image);
  g_assert_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_IMAGE);
  g_assert_nonnull (strstr (error->message, "limit"));
}

static void
test_png_zero_width (void)
{
  guint8 png[128];
  gsize len = craft_png (png, 0, 16);

  assert_invalid_bytes (png, len);
}

/* A believable small header with garbage image data. */
static void
test_png_bad_data (void)
{
  guint8 png[128];
  gsize len = craft_png (png, 64, 64);

  assert_invalid_bytes (png, len);
}

/* EXIF orientation 6 (rotate 90 clockwise) is applied, as PIL's
 * exif_transpose: a 4x2 JPEG comes out 2x4. */
static void
test_jpeg_exif_orientation (void)
{
  static const guint8 app1[] = {
    0xff, 0xe1, 0x00, 0x22, 'E', 'x', 'i', 'f', 0, 0,
    'I', 'I', 0x2a, 0x00, 0x08, 0x00, 0x00, 0x00,
    0x01, 0x00,                                    /* one IFD entry */
    0x12, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x06, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
  };
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 4, 2);
  g_autoptr(GBytes) jpeg = NULL;
  g_autoptr(GByteArray) with_exif = g_byte_array_new ();
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(RgImage) image = NULL;
  const guint8 *data;
  gsize len;

  gdk_pixbuf_fill (pixbuf, 0x808080ff);
  jpeg = encode (pixbuf, "jpeg");
  data = g_bytes_get_data (jpeg, &len);
  g_assert_cmpuint (data[0], ==, 0xff);
  g_assert_cmpuint (data[1], ==, 0xd8);
  g_byte_array_append (with_exif, data, 2);
  g_byte_array_append (with_exif, app1, sizeof app1);
  g_byte_array_append (with_exif, data + 2, len - 2);
  bytes = g_byte_array_free_to_bytes (g_steal_pointer (&with_exif));

  image = rg_image_decode_bytes (bytes, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (image->width, ==, 2);
  g_assert_cmpuint (image->height, ==, 4);
}

/* PIL's alpha_composite over white, worked by hand for a few pixels. */
static void
test_composite_over_white (void)
{
  static const guint8 cases[][7] = {
    /* r g b a -> r g b */
    { 10, 20, 30, 0, 255, 255, 255 },
    { 10, 20, 30, 255, 10, 20, 30 },
    /* a = 128 black: (255 * 127 * 128 + 16384) shift-divided by 255 -> 127 */
    { 0, 0, 0, 128, 127, 127, 127 },
    /* a = 1: 255 * 254 / 255 + 100 / 255 = 254.39 in blue */
    { 255, 0, 100, 1, 255, 254, 254 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      guint8 rgb[3];

      rg_image_composite_over_white (cases[i], rgb);
      g_assert_cmpuint (rgb[0], ==, cases[i][4]);
      g_assert_cmpuint (rgb[1], ==, cases[i][5]);
      g_assert_cmpuint (rgb[2], ==, cases[i][6]);
    }
}

/* Other containers decode to the same pixels as the PNG they came from. */
static void
test_other_formats (void)
{
  static const char *const types[] = { "bmp", "tiff" };
  g_autofree char *path = rg_test_fixture_path ("images/tiny_30x20.png");
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new_from_file (path, &error);
  g_autoptr(RgImage) ref = NULL;

  g_assert_no_error (error);
  ref = rg_image_decode_file (path, &error);
  g_assert_no_error (error);
  for (gsize i = 0; i < G_N_ELEMENTS (types); i++)
    {
      g_autoptr(GBytes) bytes = encode (pixbuf, types[i]);
      g_autoptr(RgImage) image = rg_image_decode_bytes (bytes, &error);

      g_assert_no_error (error);
      g_assert_cmpuint (image->width, ==, 30);
      g_assert_cmpuint (image->height, ==, 20);
      g_assert_cmpmem (image->rgb, 30 * 20 * 3, ref->rgb, 30 * 20 * 3);
    }
}

/* An animated GIF gives its first frame (as PIL's Image.open). Two 2x1
 * frames, LZW by hand: codes clear(4), pixels, end(5) in 3 bits. */
static void
test_gif_first_frame (void)
{
  static const guint8 gif[] = {
    'G', 'I', 'F', '8', '9', 'a', 0x02, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00,
    0x00, 0x00, 0x00, 0xff, 0xff, 0xff,                       /* black, white */
    0x21, 0xf9, 0x04, 0x00, 0x0a, 0x00, 0x00, 0x00,           /* 100 ms */
    0x2c, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00,
    0x02, 0x02, 0x0c, 0x0a, 0x00,                             /* white, black */
    0x21, 0xf9, 0x04, 0x00, 0x0a, 0x00, 0x00, 0x00,
    0x2c, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00,
    0x02, 0x02, 0x44, 0x0a, 0x00,                             /* black, white */
    0x3b,
  };
  g_autoptr(GBytes) bytes = g_bytes_new_static (gif, sizeof gif);
  g_autoptr(GError) error = NULL;
  g_autoptr(RgImage) image = rg_image_decode_bytes (bytes, &error);
  static const guint8 expect[6] = { 255, 255, 255, 0, 0, 0 };

  g_assert_no_error (error);
  g_assert_cmpuint (image->width, ==, 2);
  g_assert_cmpuint (image->height, ==, 1);
  g_assert_cmpmem (image->rgb, 6, expect, 6);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engine/image/hostile/zero-size-file", test_zero_size_file);
  g_test_add_func ("/engine/image/hostile/empty-bytes", test_empty_bytes);
  g_test_add_func ("/engine/image/hostile/file-too-large", test_file_too_large);
  g_test_add_func ("/engine/image/hostile/missing-file", test_missing_file);
  g_test_add_func ("/engine/image/hostile/garbage", test_garbage);
  g_test_add_func ("/engine/image/hostile/one-pixel", test_one_pixel);
  g_test_add_func ("/engine/image/hostile/truncated-png", test_truncated_png);
  g_test_add_func ("/engine/image/hostile/truncated-jpeg", test_truncated_jpeg);
  g_test_add_func ("/engine/image/hostile/png-huge-dimensions", test_png_huge_dimensions);
  g_test_add_func ("/engine/image/hostile/png-over-pixel-limit", test_png_over_pixel_limit);
  g_test_add_func ("/engine/image/hostile/png-zero-width", test_png_zero_width);
  g_test_add_func ("/engine/image/hostile/png-bad-data", test_png_bad_data);
  g_test_add_func ("/engine/image/decode/exif-orientation", test_jpeg_exif_orientation);
  g_test_add_func ("/engine/image/decode/composite-over-white", test_composite_over_white);
  g_test_add_func ("/engine/image/decode/other-formats", test_other_formats);
  g_test_add_func ("/engine/image/decode/gif-first-frame", test_gif_first_frame);
  return g_test_run ();
}
