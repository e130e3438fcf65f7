/* Fuzzes image decoding (gdk-pixbuf loaders, EXIF orientation, alpha,
 * the file-mode sniffing of the _keep_alpha decoder, bomb limits) and the
 * IDEFICS2 and IDEFICS3 preprocessing of what decodes (resize, splitting
 * or tiles, normalization, padding), at small edges so that each input
 * stays fast. */
#include "fuzz-common.h"

#include "rg-image.h"
#include "rg-preprocess.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  GBytes *bytes = g_bytes_new_static (data, size);
  GError *error = NULL;
  gboolean idefics3 = (size & 2) != 0;
  RgImage *img = idefics3 ? rg_image_decode_bytes_keep_alpha (bytes, &error)
                          : rg_image_decode_bytes (bytes, &error);

  if (img != NULL)
    {
      RgPreprocessOptions opts = rg_preprocess_options_default_for (idefics3 ? RG_PROCESSOR_IDEFICS3
                                                                             : RG_PROCESSOR_IDEFICS2);
      RgPixelBatch *batch;

      opts.longest_edge = 56;
      opts.shortest_edge = 14;
      opts.max_image_edge = 14;
      opts.do_split = (size & 1) != 0;
      batch = rg_preprocess_images (&img, 1, &opts, &error);
      if (batch)
        rg_pixel_batch_free (batch);
      rg_image_free (img);
    }
  g_clear_error (&error);
  g_bytes_unref (bytes);
  return 0;
}
