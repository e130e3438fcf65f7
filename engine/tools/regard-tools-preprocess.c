/* regard-tools-preprocess.c: the processor's pixel_values as a safetensors
 * file (regard-tools.h). Reads only the model folder's config.json (its
 * model_type, the processor's family) and processor files, never the
 * weights. */
#include "config.h"

#include "regard-tools.h"
#include "rg-family.h"
#include "rg-image.h"
#include "rg-preprocess.h"
#include "rg-safetensors.h"

RegardPreprocessParams
regard_preprocess_params_default (void)
{
  return (RegardPreprocessParams) { .image_splitting = -1 };
}

void
regard_preprocess_info_free (RegardPreprocessInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->valid_hw);
  g_free (info);
}

RegardPreprocessInfo *
regard_preprocess_to_safetensors (const char *model_dir, const char * const *image_paths, guint n_paths,
                                  const RegardPreprocessParams *params, const char *out_path, GError **error)
{
  RegardPreprocessParams defaults = regard_preprocess_params_default ();
  const RgFamily *family;
  RgFamilyProcessor fp;
  RgPreprocessOptions opts;
  g_autoptr(GPtrArray) images = g_ptr_array_new_with_free_func ((GDestroyNotify) rg_image_free);
  g_autoptr(RgPixelBatch) batch = NULL;
  RgTensorWrite tensors[2] = { 0 };
  RegardPreprocessInfo *info;

  g_return_val_if_fail (model_dir != NULL && out_path != NULL && (image_paths != NULL || n_paths == 0), NULL);
  if (params == NULL)
    params = &defaults;
  family = rg_family_for_model_dir (model_dir, error);
  if (family == NULL || !rg_family_load_processor (family, model_dir, &fp, error))
    return NULL;
  opts = fp.pre;
  /* IDEFICS1's processor never splits: the option does not apply. */
  if (params->image_splitting >= 0 && opts.kind != RG_PROCESSOR_IDEFICS1)
    opts.do_split = params->image_splitting != 0;
  for (guint i = 0; i < n_paths; i++)
    {
      RgImage *image = opts.kind == RG_PROCESSOR_IDEFICS3 ? rg_image_decode_file_keep_alpha (image_paths[i], error)
                                                          : rg_image_decode_file (image_paths[i], error);

      if (image == NULL)
        return NULL;
      g_ptr_array_add (images, image);
    }
  batch = rg_preprocess_images ((RgImage **) images->pdata, images->len, &opts, error);
  if (batch == NULL)
    return NULL;

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
  /* IdeficsImageProcessor has no pixel mask (every image is S x S). */
  if (!rg_safetensors_write (out_path, tensors, opts.kind == RG_PROCESSOR_IDEFICS1 ? 1 : G_N_ELEMENTS (tensors),
                             error))
    return NULL;

  info = g_new0 (RegardPreprocessInfo, 1);
  info->n_images = batch->n;
  info->height = batch->height;
  info->width = batch->width;
  info->split = opts.do_split;
  info->valid_hw = g_new (guint, (gsize) batch->n * 2);
  for (guint i = 0; i < batch->n * 2; i++)
    info->valid_hw[i] = batch->valid_hw[i];
  return info;
}
