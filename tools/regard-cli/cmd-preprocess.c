/* cmd-preprocess.c: regard-cli preprocess, the processor's pixel_values.
 *
 * Reads only the model folder's preprocessor_config.json (no weights) and
 * writes what Idefics2ImageProcessor would hand the model, as safetensors:
 * pixel_values F32 [N, 3, H, W] and pixel_attention_mask U8 [N, H, W],
 * N = images (x 5 with splitting). regard_preprocess_to_safetensors
 * (regard-tools.h) does the work. */
#include "config.h"

#include <stdio.h>

#include "cli.h"
#include "regard-tools.h"

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
  RegardPreprocessParams params = regard_preprocess_params_default ();
  g_autoptr(RegardPreprocessInfo) info = NULL;
  g_autoptr(GError) error = NULL;

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

  if (split || no_split)
    params.image_splitting = split;
  info = regard_preprocess_to_safetensors (model_dir, (const char * const *) argv + 1, (guint) argc - 1,
                                           &params, out_path, &error);
  if (info == NULL)
    return cli_fail (error);
  printf ("%s: %u (sub-)images, padded to %ux%u (split %s)\n", out_path, info->n_images,
          info->height, info->width, info->split ? "on" : "off");
  for (guint i = 0; i < info->n_images; i++)
    printf ("  %u: %ux%u\n", i, info->valid_hw[i * 2], info->valid_hw[i * 2 + 1]);
  return 0;
}
