/* rg-preprocess-idefics1.h: IdeficsImageProcessor (the original IDEFICS,
 * idefics-9b/80b).
 *
 * Per image: RGB with alpha composited over white (rg-image does that on
 * decoding, as convert_to_rgb), one Pillow BICUBIC squash to image_size x
 * image_size (aspect ratio not kept, no crop, no splitting, no padding),
 * rescale by 1/255 and normalize with the configured mean/std in float32.
 * The result is an RgPixelBatch whose pixel mask is all ones.
 *
 * rg_preprocess_options_load () and rg_preprocess_images () come here for
 * options of kind RG_PROCESSOR_IDEFICS1. */
#pragma once

#include "rg-preprocess.h"

G_BEGIN_DECLS

/* IdeficsImageProcessor's defaults (idefics-9b-instruct's values): kind
 * RG_PROCESSOR_IDEFICS1, image_size 224, CLIP's mean and std, BICUBIC. */
RgPreprocessOptions rg_idefics1_preprocess_options_default (void);

/* Reads preprocessor_config.json (PATH) over the defaults. A missing file,
 * bad JSON, wrong types or out-of-range values are REGARD_ERROR_INVALID_MODEL;
 * settings the processor cannot honour (image_num_channels other than 3,
 * another image_processor_type) are REGARD_ERROR_UNSUPPORTED. On error OPTS
 * is untouched. */
gboolean rg_idefics1_preprocess_options_load (RgPreprocessOptions *opts, const char *path, GError **error);

/* The resized uint8 images (RgImage *, owned), in order. */
GPtrArray *rg_idefics1_resize_images (RgImage * const *images, guint n_images,
                                      const RgPreprocessOptions *opts, GError **error);

/* pixel_values [N, 3, S, S] of N_IMAGES images. N_IMAGES may be 0 (an empty
 * batch): the all-zero image HF feeds for a text-only prompt is the
 * model's business (nothing attends it). */
RgPixelBatch *rg_idefics1_preprocess_images (RgImage * const *images, guint n_images,
                                             const RgPreprocessOptions *opts, GError **error);

G_END_DECLS
