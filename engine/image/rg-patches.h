/* rg-patches.h: the vision tower's patch grid for a pixel batch.
 *
 * patch_attention_mask: a patch is valid iff all patch_size^2 of its pixels
 * are real (pixel mask 1). Position ids follow HF Idefics2VisionEmbeddings
 * (transformers <= 4.54, the goldens): with nb_h valid patch rows and nb_w
 * valid columns (counted along the first column / row of the patch mask),
 * the k-th valid patch in row-major order gets
 * bucket[nb_h][k / nb_w] * side + bucket[nb_w][k % nb_w]; other patches 0.
 * bucket[] is torch.bucketize over float32 aranges computed by torch's AVX2
 * CPU kernel, which is not always floor(i * side / nb): see
 * rg_position_buckets (). */
#pragma once

#include "rg-pixel-batch.h"

G_BEGIN_DECLS

typedef struct
{
  guint n;                 /* (sub-)images */
  guint rows, cols;        /* patch grid of the padded batch: H / patch, W / patch */
  uint8_t *patch_mask;     /* [n, rows, cols], 1 on valid patches */
  int32_t *position_ids;   /* [n, rows * cols] */
  guint *valid_grid;       /* [n, 2]: nb_h, nb_w */
} RgPatchGrid;

RgPatchGrid *rg_patch_grid_new (const RgPixelBatch *batch, guint patch_size,
                                guint num_patches_per_side, GError **error);
void rg_patch_grid_free (RgPatchGrid *grid);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RgPatchGrid, rg_patch_grid_free)

/* bucket[nb][0..nb-1] for a grid of SIDE patches per side (OUT holds nb
 * entries). For side 70 (every IDEFICS2 checkpoint) this is the table HF's
 * code produced for the goldens; other sides use the AVX2-kernel
 * emulation. FALSE when nb is 0 or larger than SIDE. */
gboolean rg_position_buckets (guint nb, guint side, guint *out);
/* The emulation of torch's AVX2 arange + bucketize, for any side. */
void rg_position_buckets_emulate (guint nb, guint side, guint *out);
/* The stored table for side 70: entries of nb start at (nb - 1) * nb / 2. */
extern const uint8_t rg_position_buckets_70[70 * 71 / 2];

G_END_DECLS
