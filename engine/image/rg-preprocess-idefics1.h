/* rg-preprocess-idefics1.h: IdeficsImageProcessor (the original IDEFICS,
 * idefics-9b/80b).
 *
 * Per image: RGB with alpha composited over white (rg-image does that on
 * decoding, as convert_to_rgb), one Pillow BICUBIC squash to image_size x
 * image_size (aspect ratio not kept, no crop, no splitting, no padding),
 * rescale by 1/255 and normalize with the configured mean/std in float32.
 * The result is an RgPixelBatch whose pixel mask is all ones. */
#pragma once

#include "rg-image.h"
#include "rg-pixel-batch.h"

G_BEGIN_DECLS

typedef struct
{
  guint image_size;        /* image_size (224) */
  float image_mean[3];     /* CLIP's mean */
  float image_std[3];      /* CLIP's std */
} RgIdefics1PreprocessOptions;

/* IdeficsImageProcessor's defaults (idefics-9b-instruct's values). */
RgIdefics1PreprocessOptions rg_idefics1_preprocess_options_default (void);

/* Reads preprocessor_config.json (PATH) over the defaults. A missing file,
 * bad JSON, wrong types or out-of-range values are REGARD_ERROR_INVALID_MODEL;
 * settings the processor cannot honour (image_num_channels other than 3,
 * another image_processor_type) are REGARD_ERROR_UNSUPPORTED. On error OPTS
 * is untouched. */
gboolean rg_idefics1_preprocess_options_load (RgIdefics1PreprocessOptions *opts, const char *path,
                                              GError **error);

/* The resized uint8 images (RgImage *, owned), in order. */
GPtrArray *rg_idefics1_resize_images (RgImage * const *images, guint n_images,
                                      const RgIdefics1PreprocessOptions *opts, GError **error);

/* pixel_values [N, 3, S, S] of N_IMAGES images. N_IMAGES may be 0 (an empty
 * batch): the all-zero image HF feeds for a text-only prompt is the
 * model's business (nothing attends it). */
RgPixelBatch *rg_idefics1_preprocess_images (RgImage * const *images, guint n_images,
                                             const RgIdefics1PreprocessOptions *opts, GError **error);

G_END_DECLS
