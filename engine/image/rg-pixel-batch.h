/* rg-pixel-batch.h: what image preprocessing hands to the vision tower.
 *
 * One batch holds every (sub-)image of one prompt, in prompt order (with
 * splitting: TL, TR, BL, BR, full for each image), zero-padded bottom/right
 * to the largest height and width, exactly as Idefics2ImageProcessor's
 * pixel_values / pixel_attention_mask. */
#pragma once

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

typedef struct
{
  guint n;              /* number of (sub-)images */
  guint height, width;  /* padded size shared by all of them */
  float *pixel_values;  /* [n, 3, height, width], normalized, 0.0 in the padding */
  uint8_t *pixel_mask;  /* [n, height, width], 1 on real pixels */
  guint *valid_hw;      /* [n, 2]: resized height and width of each sub-image */
} RgPixelBatch;

void rg_pixel_batch_free (RgPixelBatch *batch);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RgPixelBatch, rg_pixel_batch_free)

G_END_DECLS
