/* Fuzzes image decoding (gdk-pixbuf loaders, EXIF orientation, alpha,
 * bomb limits) and the IDEFICS2 preprocessing of what decodes (resize,
 * splitting, normalization, padding), at a small longest edge so that
 * each input stays fast; every other input the IDEFICS1 one (a BICUBIC
 * squash to a small square). */
#include "fuzz-common.h"

#include "rg-image.h"
#include "rg-preprocess.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  GBytes *bytes = g_bytes_new_static (data, size);
  GError *error = NULL;
  RgImage *img = rg_image_decode_bytes (bytes, &error);

  if (img != NULL)
    {
      RgPreprocessOptions opts = rg_preprocess_options_default ();
      RgPixelBatch *batch;

      opts.longest_edge = 56;
      opts.shortest_edge = 14;
      opts.do_split = (size & 1) != 0;
      if ((size & 2) != 0)
        {
          opts = rg_preprocess_options_default_for (RG_PROCESSOR_IDEFICS1);
          opts.image_size = 28;
        }
      batch = rg_preprocess_images (&img, 1, &opts, &error);
      if (batch)
        rg_pixel_batch_free (batch);
      rg_image_free (img);
    }
  g_clear_error (&error);
  g_bytes_unref (bytes);
  return 0;
}
