/* rg-preprocess.h: the image processors (the slow, PIL-based ones).
 *
 * IDEFICS2 (Idefics2ImageProcessor): per image, optional split into 4 crops
 * of the original pixels (TL, TR, BL, BR, floor halves) followed by the full
 * image; each (sub-)image is resized with Pillow's bilinear to the
 * processor's size rule, rescaled and normalized to float, and all of them
 * are zero-padded bottom/right to the largest height and width of the
 * prompt.
 *
 * IDEFICS3 (Idefics3ImageProcessor, SmolVLM): see rg-preprocess-idefics3.c;
 * every frame is max_image_edge square, tiles then the global image.
 *
 * IDEFICS1 (IdeficsImageProcessor): see rg-preprocess-idefics1.h; one
 * image_size square BICUBIC squash per image. */
#pragma once

#include "rg-image.h"
#include "rg-pixel-batch.h"
#include "rg-resample.h"

G_BEGIN_DECLS

/* Which processor a family uses (rg-family.c picks it). */
typedef enum
{
  RG_PROCESSOR_IDEFICS2,
  RG_PROCESSOR_IDEFICS3,
  RG_PROCESSOR_IDEFICS1,
} RgProcessorKind;

typedef struct
{
  gboolean do_split;       /* do_image_splitting */
  guint longest_edge;      /* size.longest_edge (980) */
  guint shortest_edge;     /* size.shortest_edge (378) */
  double rescale_factor;   /* 1/255 */
  float image_mean[3];     /* 0.5 */
  float image_std[3];      /* 0.5 */
  /* Zero-initialized, the fields below mean IDEFICS2 with bilinear. */
  RgProcessorKind kind;
  RgResampleFilter filter; /* resample: 2 BILINEAR, 1 LANCZOS */
  guint max_image_edge;    /* IDEFICS3: max_image_size.longest_edge, the tile side */
  guint image_size;        /* IDEFICS1: image_size, the square side (224) */
} RgPreprocessOptions;

/* How an image was split: ROWS x COLS tiles plus the global image, or
 * 0 x 0 for a single frame (IDEFICS3; IDEFICS2's split is always 2 x 2). */
typedef struct
{
  guint rows, cols;
} RgImageGrid;

/* idefics2-8b's values, splitting off. */
RgPreprocessOptions rg_preprocess_options_default (void);
/* Idefics3ImageProcessor's own defaults (longest edge 4 x 364, tiles of
 * 364, LANCZOS, splitting on) for KIND RG_PROCESSOR_IDEFICS3, else the
 * above. */
RgPreprocessOptions rg_preprocess_options_default_for (RgProcessorKind kind);
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

/* IDEFICS3: the tile grid of a WIDTH x HEIGHT image (0 x 0 without
 * splitting or when the image becomes a single M x M frame). */
void rg_preprocess_image_grid (const RgPreprocessOptions *opts, guint width, guint height,
                               RgImageGrid *grid);
/* IDEFICS3: the M x M uint8 frames of all IMAGES (decoded with
 * rg_image_decode_*_keep_alpha for exact RGBA edges), per image its
 * rows x cols tiles then its global image. */
GPtrArray *rg_preprocess_idefics3_frames (RgImage * const *images, guint n_images,
                                          const RgPreprocessOptions *opts, GError **error);

/* The padded, normalized batch of resized sub-images (from
 * rg_preprocess_resize_images ()). */
RgPixelBatch *rg_pixel_batch_from_resized (GPtrArray *resized, const RgPreprocessOptions *opts,
                                           GError **error);

/* Everything at once: what the vision tower eats for one prompt, by
 * OPTS->kind. */
RgPixelBatch *rg_preprocess_images (RgImage * const *images, guint n_images,
                                    const RgPreprocessOptions *opts, GError **error);

G_END_DECLS
