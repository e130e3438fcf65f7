/* rg-preprocess.h: Idefics2ImageProcessor (the slow, PIL-based one).
 *
 * Per image: optional split into 4 crops of the original pixels (TL, TR,
 * BL, BR, floor halves) followed by the full image; each (sub-)image is
 * resized with Pillow's bilinear to the processor's size rule, rescaled and
 * normalized to float, and all of them are zero-padded bottom/right to the
 * largest height and width of the prompt. */
#pragma once

#include "rg-image.h"
#include "rg-pixel-batch.h"

G_BEGIN_DECLS

typedef struct
{
  gboolean do_split;       /* do_image_splitting */
  guint longest_edge;      /* size.longest_edge (980) */
  guint shortest_edge;     /* size.shortest_edge (378) */
  double rescale_factor;   /* 1/255 */
  float image_mean[3];     /* 0.5 */
  float image_std[3];      /* 0.5 */
} RgPreprocessOptions;

/* idefics2-8b's values, splitting off. */
RgPreprocessOptions rg_preprocess_options_default (void);
/* Reads preprocessor_config.json (PATH) over the defaults: missing keys keep
 * their default; wrong types or out-of-range values are errors
 * (REGARD_ERROR_INVALID_MODEL). */
gboolean rg_preprocess_options_load (RgPreprocessOptions *opts, const char *path, GError **error);

/* get_resize_output_image_size (): (width, height) -> resized size. */
void rg_preprocess_resize_size (guint width, guint height, guint longest_edge, guint shortest_edge,
                                guint *out_width, guint *out_height);

/* The resized uint8 (sub-)images of all IMAGES, in batch order (RgImage *,
 * owned). Splitting needs images of at least 2x2 pixels. */
GPtrArray *rg_preprocess_resize_images (RgImage * const *images, guint n_images,
                                        const RgPreprocessOptions *opts, GError **error);

/* The padded, normalized batch of resized sub-images (from
 * rg_preprocess_resize_images ()). */
RgPixelBatch *rg_pixel_batch_from_resized (GPtrArray *resized, const RgPreprocessOptions *opts,
                                           GError **error);

/* Everything at once: what the vision tower eats for one prompt. */
RgPixelBatch *rg_preprocess_images (RgImage * const *images, guint n_images,
                                    const RgPreprocessOptions *opts, GError **error);

G_END_DECLS
