/* cmd-preprocess.c: regard-cli preprocess, the processor's pixel_values.
 *
 * Reads only the model folder's preprocessor_config.json (no weights) and
 * writes what Idefics2ImageProcessor would hand the model, as safetensors:
 * pixel_values F32 [N, 3, H, W] and pixel_attention_mask U8 [N, H, W],
 * N = images (x 5 with splitting). */
#include "config.h"

#include <stdio.h>

#include "cli.h"
#include "regard-engine.h"
#include "rg-image.h"
#include "rg-preprocess.h"
#include "rg-safetensors.h"

int
cmd_preprocess (int argc, char **argv)
{
  g_autofree char *model_dir = NULL;
  g_autofree char *out_path = NULL;
  gboolean split = FALSE, no_split = FALSE;
  const GOptionEntry options[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model_dir, "Model folder (reads preprocessor_config.json)", "DIR" },
    { "split", 0, 0, G_OPTION_ARG_NONE, &split, "Split each image into 4 crops + the full image", NULL },
    { "no-split", 0, 0, G_OPTION_ARG_NONE, &no_split, "Do not split images", NULL },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out_path, "Output .safetensors file", "FILE" },
    { NULL }
  };
  RgPreprocessOptions opts = rg_preprocess_options_default ();
  g_autoptr(GPtrArray) images = g_ptr_array_new_with_free_func ((GDestroyNotify) rg_image_free);
  g_autoptr(RgPixelBatch) batch = NULL;
  g_autoptr(GError) error = NULL;
  RgTensorWrite tensors[2] = { 0 };

  if (!cli_parse ("preprocess", "IMAGE...", options, &argc, &argv))
    return 2;
  if (model_dir == NULL || out_path == NULL || argc < 2)
    {
      g_printerr ("Usage: regard-cli preprocess --model DIR [--split|--no-split] --out FILE.safetensors IMAGE...\n");
      return 2;
    }
  if (split && no_split)
    {
      g_printerr ("regard-cli preprocess: --split and --no-split exclude each other\n");
      return 2;
    }

  {
    g_autofree char *config = g_build_filename (model_dir, "preprocessor_config.json", NULL);

    if (!rg_preprocess_options_load (&opts, config, &error))
      return cli_fail (error);
  }
  if (split)
    opts.do_split = TRUE;
  if (no_split)
    opts.do_split = FALSE;

  for (int i = 1; i < argc; i++)
    {
      RgImage *image = rg_image_decode_file (argv[i], &error);

      if (image == NULL)
        return cli_fail (error);
      g_ptr_array_add (images, image);
    }

  batch = rg_preprocess_images ((RgImage **) images->pdata, images->len, &opts, &error);
  if (batch == NULL)
    return cli_fail (error);

  tensors[0].name = "pixel_values";
  tensors[0].dtype = RG_DTYPE_F32;
  tensors[0].n_dims = 4;
  tensors[0].shape[0] = batch->n;
  tensors[0].shape[1] = 3;
  tensors[0].shape[2] = batch->height;
  tensors[0].shape[3] = batch->width;
  tensors[0].data = batch->pixel_values;
  tensors[1].name = "pixel_attention_mask";
  tensors[1].dtype = RG_DTYPE_U8;
  tensors[1].n_dims = 3;
  tensors[1].shape[0] = batch->n;
  tensors[1].shape[1] = batch->height;
  tensors[1].shape[2] = batch->width;
  tensors[1].data = batch->pixel_mask;
  if (!rg_safetensors_write (out_path, tensors, G_N_ELEMENTS (tensors), &error))
    return cli_fail (error);

  printf ("%s: %u (sub-)images, padded to %ux%u (split %s)\n", out_path, batch->n,
          batch->height, batch->width, opts.do_split ? "on" : "off");
  for (guint i = 0; i < batch->n; i++)
    printf ("  %u: %ux%u\n", i, batch->valid_hw[i * 2], batch->valid_hw[i * 2 + 1]);
  return 0;
}
