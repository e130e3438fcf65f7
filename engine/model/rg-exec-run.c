/* rg-exec-run.c: setting up one run of a description's program, the same
 * for every executor: buffer bindings, and the row counts (and checks) of
 * an encode and of a forward. */
#include "rg-exec.h"

#include "regard-error.h"

void
rg_model_set_shape (RgModel *model, const RgArch *arch, const RgArchDims *dims,
                    const RgModelVTable *cross_vtable)
{
  uint64_t rows, cols;

  rg_arch_feature_shape (arch, dims, &rows, &cols);
  model->image_seq_len = (guint) rows;
  model->feature_width = (guint) cols;
  model->last_image_index = -1;
  for (guint b = 1; b < arch->n_buffers; b++)
    if (arch->buffers[b].role == RG_ROLE_IMAGE_INDEX)
      model->vtable = cross_vtable;
}

void
rg_exec_run_prepare_images (RgExecRun *run, const RgModel *model)
{
  run->rows[RG_ROWS_ONE] = 1;
  run->rows[RG_ROWS_IMAGES] = model->n_images;
  run->rows[RG_ROWS_IMAGE_SEQ] = model->image_seq_len;
  run->rows[RG_ROWS_IMAGE_STATES] = (uint64_t) model->n_images * model->image_seq_len;
}

void
rg_exec_run_bind (RgExecRun *run, const RgArch *arch, RgRole role, gpointer data)
{
  for (guint b = 1; b < arch->n_buffers && b < RG_ARCH_MAX_BUFFERS; b++)
    if (arch->buffers[b].role == role)
      run->io[b] = data;
}

RgPatchGrid *
rg_exec_run_prepare_encode (RgExecRun          *run,
                            const RgModel      *model,
                            const RgArchDims   *dims,
                            const RgPixelBatch *batch,
                            GError            **error)
{
  uint64_t P = dims->d[RG_DIM_PATCH], NL = dims->d[RG_DIM_NL];
  uint64_t side = model->config.vision.image_size / P;
  uint64_t n = batch->n, NP;
  g_autoptr(RgPatchGrid) grid = NULL;

  /* Patch validity and position ids, exactly as HF (see rg-patches.h). */
  grid = rg_patch_grid_new (batch, (guint) P, (guint) side, error);
  if (grid == NULL)
    return NULL;
  NP = (uint64_t) grid->rows * grid->cols;
  if (n == 0 || NP == 0)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_IMAGE,
                   "Empty pixel batch (%u images of %u x %u)", batch->n, batch->height, batch->width);
      return NULL;
    }
  for (uint64_t i = 0; i < n * NP; i++)
    if (grid->position_ids[i] < 0 || (uint64_t) grid->position_ids[i] >= side * side)
      {
        g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_IMAGE,
                     "Vision position id outside the %" G_GUINT64_FORMAT " x %" G_GUINT64_FORMAT " grid",
                     side, side);
        return NULL;
      }

  /* CLIP (IDEFICS1) adds every learned position whole: one grid only */
  if (model->config.family == RG_MODEL_FAMILY_IDEFICS1 &&
      (batch->height != model->config.vision.image_size || batch->width != model->config.vision.image_size))
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_IMAGE,
                   "Images of %u x %u pixels, the model takes %u x %u", batch->width, batch->height,
                   model->config.vision.image_size, model->config.vision.image_size);
      return NULL;
    }

  /* a pixel shuffle must turn the grid into exactly NL rows */
  if (dims->d[RG_DIM_SCALE] > 0)
    {
      uint64_t s = dims->d[RG_DIM_SCALE];

      if (grid->rows % s != 0 || grid->cols % s != 0 || (grid->rows / s) * (grid->cols / s) != NL)
        {
          g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_IMAGE,
                       "A sub-image of %u x %u patches does not make the model's %" G_GUINT64_FORMAT
                       " image tokens with a pixel shuffle by %" G_GUINT64_FORMAT,
                       grid->rows, grid->cols, NL, s);
          return NULL;
        }
    }
  run->stacked = TRUE;
  run->grid_h = grid->rows;
  run->grid_w = grid->cols;
  run->height = batch->height;
  run->width = batch->width;
  run->rows[RG_ROWS_ONE] = 1;
  run->rows[RG_ROWS_PATCHES] = NP;
  run->rows[RG_ROWS_LATENTS] = NL;
  run->rows[RG_ROWS_CONTEXT] = NP + NL;
  run->rows[RG_ROWS_CLS_PATCHES] = NP + 1;
  run->rows[RG_ROWS_CLS_CONTEXT] = NP + 1 + NL;
  run->rows[RG_ROWS_SUB_IMAGES_LATENTS] = n * NL;
  return g_steal_pointer (&grid);
}

GArray *
rg_exec_run_prepare_forward (RgExecRun     *run,
                             const RgModel *model,
                             const int32_t *ids,
                             guint          n,
                             const float   *image_features,
                             guint          n_image_rows,
                             GError       **error)
{
  GArray *image_rows;

  if (!rg_model_check_forward (model, ids, n, image_features, n_image_rows, error))
    return NULL;
  image_rows = g_array_new (FALSE, FALSE, sizeof (int32_t));
  if (image_features)
    for (guint i = 0; i < n; i++)
      if (ids[i] == model->config.image_token_id)
        {
          int32_t row = (int32_t) i;
          g_array_append_val (image_rows, row);
        }

  run->rows[RG_ROWS_ONE] = 1;
  run->rows[RG_ROWS_TOKENS] = n;
  run->rows[RG_ROWS_LAST] = n - 1;
  run->rows[RG_ROWS_PAST] = model->n_past;
  run->rows[RG_ROWS_PAST_TOKENS] = (uint64_t) model->n_past + n;
  run->rows[RG_ROWS_IMAGE_TOKENS] = image_features ? n_image_rows : 0;
  run->rows[RG_ROWS_CACHE] = model->context_length;
  run->rows[RG_ROWS_IMAGES] = model->n_images;
  run->rows[RG_ROWS_IMAGE_SEQ] = model->image_seq_len;
  run->rows[RG_ROWS_IMAGE_STATES] = (uint64_t) model->n_images * model->image_seq_len;
  return image_rows;
}
