/* rg-patches.c: patch validity and bucketized position ids. */
#include "rg-patches.h"

#include <math.h>

#include "regard-error.h"

/* torch.arange's float32 values on the AVX2 CPU kernel (torch 1.13): the
 * size is ceil((end - start) / step) in double; full 16-element chunks are
 * filled 8 lanes at a time from a float32 base (start + step * lane0) plus
 * lane * step in double, the tail element by element. */
static float
arange_avx2_value (double start, double end, double step, guint i)
{
  double n = ceil ((end - start) / step);
  double vec_end = floor (n / 16) * 16;

  if ((double) i < vec_end)
    {
      guint lane = i % 8;
      float base = (float) (start + step * (double) (i - lane));

      return (float) ((double) base + (double) lane * step);
    }
  return (float) (start + step * (double) i);
}

void
rg_position_buckets_emulate (guint nb, guint side, guint *out)
{
  /* Boundaries: arange (1/side, 1.0, 1/side) with python (double) scalars. */
  double bstep = 1.0 / side;
  guint n_bounds = (guint) ceil ((1.0 - bstep) / bstep);
  /* Coordinates: arange (0, 1 - 1e-6, 1 / nb) where 1 / nb is a float32
   * tensor division. */
  double step = (double) (1.0f / (float) nb);

  for (guint i = 0; i < nb; i++)
    {
      float v = arange_avx2_value (0.0, 1.0 - 1e-6, step, i);
      guint count = 0;

      /* bucketize (right=True): the number of boundaries <= v. */
      for (guint j = 0; j < n_bounds; j++)
        if (arange_avx2_value (bstep, 1.0, bstep, j) <= v)
          count++;
      out[i] = count;
    }
}

gboolean
rg_position_buckets (guint nb, guint side, guint *out)
{
  if (nb == 0 || nb > side)
    return FALSE;
  if (side == 70)
    {
      const uint8_t *row = &rg_position_buckets_70[(gsize) (nb - 1) * nb / 2];

      for (guint i = 0; i < nb; i++)
        out[i] = row[i];
      return TRUE;
    }
  rg_position_buckets_emulate (nb, side, out);
  return TRUE;
}

void
rg_patch_grid_free (RgPatchGrid *grid)
{
  if (grid == NULL)
    return;
  g_free (grid->patch_mask);
  g_free (grid->position_ids);
  g_free (grid->valid_grid);
  g_free (grid);
}

/* A patch is valid iff every pixel of it is real (sum == patch^2, as the
 * goldens' transformers commit; not "> 0"). */
static gboolean
patch_is_valid (const uint8_t *mask, guint width, guint r, guint c, guint patch)
{
  for (guint y = r * patch; y < (r + 1) * patch; y++)
    for (guint x = c * patch; x < (c + 1) * patch; x++)
      if (mask[(gsize) y * width + x] != 1)
        return FALSE;
  return TRUE;
}

RgPatchGrid *
rg_patch_grid_new (const RgPixelBatch *batch, guint patch_size, guint num_patches_per_side,
                   GError **error)
{
  g_autoptr(RgPatchGrid) grid = g_new0 (RgPatchGrid, 1);
  g_autofree guint *bh = NULL;
  g_autofree guint *bw = NULL;
  gsize per_image;

  g_return_val_if_fail (batch != NULL, NULL);
  if (patch_size == 0 || num_patches_per_side == 0 || num_patches_per_side > 4096)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL,
                   "Invalid patch size %u or patches per side %u", patch_size, num_patches_per_side);
      return NULL;
    }
  grid->n = batch->n;
  grid->rows = batch->height / patch_size;
  grid->cols = batch->width / patch_size;
  per_image = (gsize) grid->rows * grid->cols;
  grid->patch_mask = g_new0 (uint8_t, per_image * grid->n);
  grid->position_ids = g_new0 (int32_t, per_image * grid->n);
  grid->valid_grid = g_new0 (guint, (gsize) grid->n * 2);
  bh = g_new0 (guint, MAX (grid->rows, 1));
  bw = g_new0 (guint, MAX (grid->cols, 1));

  for (guint i = 0; i < grid->n; i++)
    {
      const uint8_t *mask = batch->pixel_mask + (gsize) i * batch->height * batch->width;
      uint8_t *pm = grid->patch_mask + i * per_image;
      int32_t *ids = grid->position_ids + i * per_image;
      guint nb_h = 0, nb_w = 0;
      gsize n_valid = 0, k = 0;

      for (guint r = 0; r < grid->rows; r++)
        for (guint c = 0; c < grid->cols; c++)
          {
            pm[(gsize) r * grid->cols + c] = patch_is_valid (mask, batch->width, r, c, patch_size);
            n_valid += pm[(gsize) r * grid->cols + c];
          }
      for (guint r = 0; r < grid->rows; r++)
        nb_h += pm[(gsize) r * grid->cols];
      for (guint c = 0; c < grid->cols; c++)
        nb_w += pm[c];
      grid->valid_grid[i * 2 + 0] = nb_h;
      grid->valid_grid[i * 2 + 1] = nb_w;
      if (n_valid == 0)
        continue;

      /* HF scatters nb_h * nb_w ids into the valid patches in row-major
       * order; anything but a top-left rectangle would not fit. */
      if (n_valid != (gsize) nb_h * nb_w ||
          !rg_position_buckets (nb_h, num_patches_per_side, bh) ||
          !rg_position_buckets (nb_w, num_patches_per_side, bw))
        {
          g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_IMAGE,
                       "Image %u: valid patches (%" G_GSIZE_FORMAT ") do not form a %ux%u grid "
                       "within %u patches per side", i, n_valid, nb_h, nb_w, num_patches_per_side);
          return NULL;
        }
      for (gsize p = 0; p < per_image; p++)
        if (pm[p])
          {
            ids[p] = (int32_t) (bh[k / nb_w] * num_patches_per_side + bw[k % nb_w]);
            k++;
          }
    }
  return g_steal_pointer (&grid);
}
