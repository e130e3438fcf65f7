/* rg-exec-run.c: setting up one run of a description's program, the same
 * for every executor: buffer bindings, and the row counts (and checks) of
 * an encode and of a forward. */
#include "rg-exec.h"

#include "regard-error.h"

#include <string.h>

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

/* RUN's rows for a grid of GH x GW patches */
static void
set_grid (RgExecRun *run, uint32_t gh, uint32_t gw, uint32_t height, uint32_t width)
{
  uint64_t NP = (uint64_t) gh * gw, NL = run->rows[RG_ROWS_LATENTS];

  run->grid_h = gh;
  run->grid_w = gw;
  run->height = height;
  run->width = width;
  run->rows[RG_ROWS_PATCHES] = NP;
  run->rows[RG_ROWS_CONTEXT] = NP + NL;
  run->rows[RG_ROWS_CLS_PATCHES] = NP + 1;
  run->rows[RG_ROWS_CLS_CONTEXT] = NP + 1 + NL;
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
  run->whole_grid = dims->d[RG_DIM_SCALE] > 0;
  run->rows[RG_ROWS_ONE] = 1;
  run->rows[RG_ROWS_LATENTS] = NL;
  run->rows[RG_ROWS_SUB_IMAGES_LATENTS] = n * NL;
  set_grid (run, grid->rows, grid->cols, batch->height, batch->width);
  return g_steal_pointer (&grid);
}

gboolean
rg_exec_run_narrow (RgExecRun *run, const RgPatchGrid *grid, const RgPixelBatch *batch,
                    guint s, guint channels, guint patch, float **pixels, int32_t **ids)
{
  guint nb_h = grid->valid_grid[2 * s], nb_w = grid->valid_grid[2 * s + 1];
  size_t NP = (size_t) grid->rows * grid->cols;
  const uint8_t *mask = grid->patch_mask + s * NP;
  const float *src = batch->pixel_values + (size_t) s * channels * batch->height * batch->width;
  size_t h = (size_t) nb_h * patch, w = (size_t) nb_w * patch;
  float *px;
  int32_t *pid;

  if (run->whole_grid || nb_h == 0 || nb_w == 0 || (nb_h == grid->rows && nb_w == grid->cols))
    return FALSE;
  /* the valid patches must be exactly the top-left nb_h x nb_w rectangle */
  for (guint r = 0; r < grid->rows; r++)
    for (guint c = 0; c < grid->cols; c++)
      if ((mask[(size_t) r * grid->cols + c] != 0) != (r < nb_h && c < nb_w))
        return FALSE;
  /* a narrowed grid whose row count is the latents' would make its taps ambiguous */
  if ((uint64_t) nb_h * nb_w == run->rows[RG_ROWS_LATENTS])
    return FALSE;

  px = g_new (float, channels * h * w);
  for (size_t ch = 0; ch < channels; ch++)
    for (size_t y = 0; y < h; y++)
      memcpy (px + (ch * h + y) * w, src + (ch * batch->height + y) * batch->width, w * sizeof (float));
  pid = g_new (int32_t, (size_t) nb_h * nb_w);
  for (guint r = 0; r < nb_h; r++)
    memcpy (pid + (size_t) r * nb_w, grid->position_ids + s * NP + (size_t) r * grid->cols, nb_w * sizeof (int32_t));
  *pixels = px;
  *ids = pid;
  set_grid (run, nb_h, nb_w, (uint32_t) h, (uint32_t) w);
  run->pad_h = grid->rows;
  run->pad_w = grid->cols;
  return TRUE;
}

void
rg_exec_run_widen (RgExecRun *run, const RgPatchGrid *grid, const RgPixelBatch *batch, guint patch)
{
  (void) patch;
  set_grid (run, grid->rows, grid->cols, batch->height, batch->width);
  run->pad_h = run->pad_w = 0;
}

void
rg_exec_run_tap (const RgExecRun *run, RgTaps *taps, const char *name,
                 uint64_t rows, uint64_t cols, const float *data)
{
  uint64_t NPv = (uint64_t) run->grid_h * run->grid_w, NPp = (uint64_t) run->pad_h * run->pad_w;
  uint64_t extra;
  g_autofree float *full = NULL;

  if (run->pad_h == 0 || rows < NPv || (rows != NPv && rows != NPv + run->rows[RG_ROWS_LATENTS]))
    {
      rg_taps_store_part (taps, name, run->stacked, run->part, rows, cols, data);
      return;
    }
  /* patch rows (and the perceiver's latents after them): padded patches read 0 */
  extra = rows - NPv;
  full = g_new0 (float, (NPp + extra) * cols);
  for (uint32_t r = 0; r < run->grid_h; r++)
    memcpy (full + (size_t) r * run->pad_w * cols, data + (size_t) r * run->grid_w * cols,
            run->grid_w * cols * sizeof (float));
  memcpy (full + NPp * cols, data + NPv * cols, extra * cols * sizeof (float));
  rg_taps_store_part (taps, name, run->stacked, run->part, NPp + extra, cols, full);
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
