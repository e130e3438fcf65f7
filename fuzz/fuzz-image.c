/* Fuzzes image decoding (gdk-pixbuf loaders, EXIF orientation, alpha,
 * the file-mode sniffing of the _keep_alpha decoder, bomb limits) and each
 * family's preprocessing of what decodes, chosen by the input's size: the
 * IDEFICS2 one (resize, splitting, normalization, padding), IDEFICS1's (a
 * BICUBIC squash to a small square), IDEFICS3's (longest edge, tiles and
 * global image); all at small edges so that each input stays fast. */
#include "fuzz-common.h"

#include "rg-image.h"
#include "rg-preprocess.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  GBytes *bytes = g_bytes_new_static (data, size);
  GError *error = NULL;
  guint which = (guint) (size >> 1) % 3;
  RgImage *img = which == 2 ? rg_image_decode_bytes_keep_alpha (bytes, &error)
                            : rg_image_decode_bytes (bytes, &error);

  if (img != NULL)
    {
      RgPreprocessOptions opts = rg_preprocess_options_default ();
      RgPixelBatch *batch;

      opts.longest_edge = 56;
      opts.shortest_edge = 14;
      opts.do_split = (size & 1) != 0;
      if (which == 1)
        {
          opts = rg_preprocess_options_default_for (RG_PROCESSOR_IDEFICS1);
          opts.image_size = 28;
        }
      else if (which == 2)
        {
          opts = rg_preprocess_options_default_for (RG_PROCESSOR_IDEFICS3);
          opts.longest_edge = 56;
          opts.max_image_edge = 14;
          opts.do_split = (size & 1) != 0;
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
