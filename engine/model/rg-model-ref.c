/* rg-model-ref.c: the reference backend (plain C): the family's
 * description (rg-arch.h) run by rg-exec-ref.c with every weight as f32. */
#include "rg-model-ref.h"

#include <string.h>

#include "regard-error.h"
#include "rg-exec.h"
#include "rg-patches.h"
#include "rg-weights.h"

typedef struct
{
  RgModel parent;
  RgExecRef ex;
  float *image_states;      /* cross-attention: [n_images x seq, width] */
} RgModelRef;

/* Reports checkpoint bytes per tensor and stops between tensors once
 * CANCELLABLE fires. */
typedef struct
{
  GCancellable *cancellable;
  RgModelProgress progress;
  gpointer progress_data;
  guint64 done, total;
} LoadProgress;

static gboolean
load_weights (RgExecRef *ex, RgSnapshot *snap, const RgModelConfig *cfg, LoadProgress *lp,
              GError **error)
{
  const RgArch *arch = ex->arch;

  ex->w = g_new0 (float **, arch->n_weights);
  g_ptr_array_add (ex->owned, ex->w);
  for (guint s = 1; s < arch->n_weights; s++)
    {
      const RgArchWeight *aw = &arch->weights[s];
      guint n = rg_arch_weight_layers (arch, &ex->dims, s);
      int64_t shape[4];
      guint n_dims = rg_arch_weight_shape (arch, &ex->dims, s, shape);

      if (aw->tied_to && rg_snapshot_get_tensor (snap, aw->name) == NULL &&
          (cfg->tie_word_embeddings || cfg->text.tie_word_embeddings))
        {
          ex->w[s] = ex->w[aw->tied_to];   /* the table is in slot order */
          continue;
        }
      ex->w[s] = g_new0 (float *, n);
      g_ptr_array_add (ex->owned, ex->w[s]);
      for (guint l = 0; l < n; l++)
        {
          g_autofree char *name = rg_arch_weight_name (arch, s, l);
          const RgTensorInfo *t;

          if (g_cancellable_set_error_if_cancelled (lp->cancellable, error))
            return FALSE;
          ex->w[s][l] = rg_weights_load_f32 (snap, name, n_dims, shape, error);
          if (ex->w[s][l] == NULL)
            return FALSE;
          g_ptr_array_add (ex->owned, ex->w[s][l]);
          t = rg_snapshot_get_tensor (snap, name);
          lp->done += t ? t->nbytes : 0;
          if (lp->progress)
            lp->progress (MIN (lp->done, lp->total), lp->total, lp->progress_data);
        }
    }
  return TRUE;
}

static gboolean
alloc_caches (RgExecRef *ex, GError **error)
{
  const RgArch *arch = ex->arch;

  ex->cache = g_new0 (float **, arch->n_buffers);
  g_ptr_array_add (ex->owned, ex->cache);
  for (guint b = 1; b < arch->n_buffers; b++)
    {
      const RgArchBuffer *buf = &arch->buffers[b];
      guint n = (guint) rg_arch_dim (&ex->dims, buf->layers);
      uint64_t elems = (uint64_t) ex->context_length * ex->dims.d[buf->cols];

      if (buf->role != RG_ROLE_KV_CACHE)
        continue;
      ex->cache[b] = g_new0 (float *, n);
      g_ptr_array_add (ex->owned, ex->cache[b]);
      for (guint l = 0; l < n; l++)
        {
          ex->cache[b][l] = elems <= G_MAXSIZE / sizeof (float) ? g_try_new0 (float, elems) : NULL;
          if (ex->cache[b][l] == NULL)
            {
              g_set_error (error, REGARD_ERROR, REGARD_ERROR_OUT_OF_MEMORY,
                           "Out of memory for a KV cache of %u tokens", ex->context_length);
              return FALSE;
            }
          g_ptr_array_add (ex->owned, ex->cache[b][l]);
        }
    }
  return TRUE;
}

static gboolean
ref_encode_images (RgModel *model, const RgPixelBatch *batch, float *features, GError **error)
{
  RgModelRef *self = (RgModelRef *) model;
  const RgArchDims *d = &self->ex.dims;
  size_t C = d->d[RG_DIM_CHANNELS], P = d->d[RG_DIM_PATCH], NL = model->image_seq_len, T = model->feature_width;
  size_t n = batch->n, NP;
  g_autoptr(RgPatchGrid) grid = NULL;
  RgExecRun run = { 0 };

  grid = rg_exec_run_prepare_encode (&run, model, d, batch, error);
  if (grid == NULL)
    return FALSE;
  NP = (size_t) grid->rows * grid->cols;
  rg_exec_run_bind (&run, self->ex.arch, RG_ROLE_FEATURES, features);
  for (size_t s = 0; s < n; s++)
    {
      const uint8_t *patch_mask = grid->patch_mask + s * NP;
      g_autofree float *pixels = NULL;
      g_autofree int32_t *ids = NULL;
      gboolean all_valid = TRUE, ok;

      for (size_t i = 0; i < NP; i++)
        all_valid = all_valid && patch_mask[i];
      run.part = s;
      run.rows[RG_ROWS_SUB_IMAGE] = s * NL;
      /* only the valid patches when they are a rectangle: no key mask */
      if (rg_exec_run_narrow (&run, grid, batch, s, C, P, &pixels, &ids))
        all_valid = TRUE;
      rg_exec_run_bind (&run, self->ex.arch, RG_ROLE_PIXELS,
                        pixels ? pixels : (float *) batch->pixel_values + s * C * batch->height * batch->width);
      rg_exec_run_bind (&run, self->ex.arch, RG_ROLE_POSITION_IDS, ids ? ids : grid->position_ids + s * NP);
      rg_exec_run_bind (&run, self->ex.arch, RG_ROLE_PATCH_MASK, all_valid ? NULL : (gpointer) patch_mask);
      ok = rg_exec_ref_run (&self->ex, model, &self->ex.arch->encode, &run, error);
      rg_exec_run_widen (&run, grid, batch, P);
      if (!ok)
        return FALSE;
    }
  if (model->taps)
    rg_taps_store (model->taps, model->vtable->forward_cross ? "image_hidden_states" : "connector_output",
                   3, (int64_t[]) { n, NL, T }, features);
  return TRUE;
}

/* Frees the IMAGE_CACHE buffers (the gated blocks' k/v of the image states). */
static void
clear_image_caches (RgModelRef *self)
{
  RgExecRef *ex = &self->ex;

  for (guint b = 1; ex->cache && b < ex->arch->n_buffers; b++)
    if (ex->arch->buffers[b].role == RG_ROLE_IMAGE_CACHE && ex->cache[b])
      {
        for (guint l = 0; l < ex->dims.d[ex->arch->buffers[b].layers]; l++)
          g_free (ex->cache[b][l]);
        g_clear_pointer (&ex->cache[b], g_free);
      }
}

static gboolean
ref_set_image_states (RgModel *model, const float *states, guint n_images, GError **error)
{
  RgModelRef *self = (RgModelRef *) model;
  RgExecRef *ex = &self->ex;
  RgExecRun run = { 0 };

  clear_image_caches (self);
  g_clear_pointer (&self->image_states, g_free);
  model->n_images = 0;
  if (states == NULL || n_images == 0)
    return TRUE;
  self->image_states = g_memdup2 (states, (gsize) n_images * model->image_seq_len * model->feature_width * sizeof (float));
  model->n_images = n_images;
  for (guint b = 1; b < ex->arch->n_buffers; b++)
    {
      const RgArchBuffer *buf = &ex->arch->buffers[b];
      guint n = (guint) ex->dims.d[buf->layers];
      uint64_t elems = (uint64_t) n_images * model->image_seq_len * ex->dims.d[buf->cols];

      if (buf->role != RG_ROLE_IMAGE_CACHE)
        continue;
      ex->cache[b] = g_new0 (float *, n);
      for (guint l = 0; l < n; l++)
        if ((ex->cache[b][l] = g_try_new0 (float, MAX (elems, 1))) == NULL)
          {
            g_set_error (error, REGARD_ERROR, REGARD_ERROR_OUT_OF_MEMORY, "Out of memory for the image states");
            goto fail;
          }
    }
  /* the gated blocks' keys and values, once */
  rg_exec_run_prepare_images (&run, model);
  rg_exec_run_bind (&run, ex->arch, RG_ROLE_IMAGE_STATES, self->image_states);
  if (rg_exec_ref_run (ex, model, &ex->arch->images, &run, error))
    return TRUE;
fail:
  clear_image_caches (self);
  g_clear_pointer (&self->image_states, g_free);
  model->n_images = 0;
  return FALSE;
}

static gboolean
ref_forward_cross (RgModel *model, const int32_t *ids, const int32_t *image_index, guint n,
                   float *logits, GError **error)
{
  RgModelRef *self = (RgModelRef *) model;
  RgExecRun run = { 0 };
  g_autoptr(GArray) image_rows = rg_exec_run_prepare_forward (&run, model, ids, n, NULL, 0, error);
  g_autofree int32_t *none = NULL;

  if (image_rows == NULL || !rg_model_check_image_index (model, image_index, n, error))
    return FALSE;
  if (image_index == NULL)
    {
      none = g_new (int32_t, n);
      for (guint i = 0; i < n; i++)
        none[i] = -1;
      image_index = none;
    }
  rg_exec_run_bind (&run, self->ex.arch, RG_ROLE_TOKEN_IDS, (gpointer) ids);
  rg_exec_run_bind (&run, self->ex.arch, RG_ROLE_IMAGE_INDEX, (gpointer) image_index);
  rg_exec_run_bind (&run, self->ex.arch, RG_ROLE_IMAGE_STATES, self->image_states);
  rg_exec_run_bind (&run, self->ex.arch, RG_ROLE_LOGITS, logits);
  if (!rg_exec_ref_run (&self->ex, model, &self->ex.arch->forward, &run, error))
    return FALSE;
  model->n_past += n;
  model->last_image_index = image_index[n - 1];
  return TRUE;
}

static gboolean
ref_forward (RgModel *model, const int32_t *ids, guint n,
             const float *image_features, guint n_image_rows,
             float *logits, GError **error)
{
  RgModelRef *self = (RgModelRef *) model;
  RgExecRun run = { 0 };
  g_autoptr(GArray) image_rows = NULL;

  if (model->vtable->forward_cross)
    return rg_model_forward_as_cross (model, ids, n, image_features, logits, error);
  image_rows = rg_exec_run_prepare_forward (&run, model, ids, n, image_features, n_image_rows, error);
  if (image_rows == NULL)
    return FALSE;
  rg_exec_run_bind (&run, self->ex.arch, RG_ROLE_TOKEN_IDS, (gpointer) ids);
  if (image_features && n_image_rows > 0)
    {
      rg_exec_run_bind (&run, self->ex.arch, RG_ROLE_IMAGE_FEATURES, (gpointer) image_features);
      rg_exec_run_bind (&run, self->ex.arch, RG_ROLE_IMAGE_ROWS, image_rows->data);
    }
  rg_exec_run_bind (&run, self->ex.arch, RG_ROLE_LOGITS, logits);
  if (!rg_exec_ref_run (&self->ex, model, &self->ex.arch->forward, &run, error))
    return FALSE;
  model->n_past += n;
  return TRUE;
}

static void
ref_free (RgModel *model)
{
  RgModelRef *self = (RgModelRef *) model;

  clear_image_caches (self);
  g_clear_pointer (&self->ex.owned, g_ptr_array_unref);
  g_free (self->image_states);
  g_free (self);
}

static const RgModelVTable ref_vtable = {
  .free = ref_free,
  .encode_images = ref_encode_images,
  .forward = ref_forward,
  .truncate = rg_model_truncate_positions,
};

/* IDEFICS1: the same with the image states the gated blocks read */
static const RgModelVTable ref_cross_vtable = {
  .free = ref_free,
  .encode_images = ref_encode_images,
  .forward = ref_forward,
  .truncate = rg_model_truncate_positions,
  .set_image_states = ref_set_image_states,
  .forward_cross = ref_forward_cross,
};

RgModel *
rg_model_ref_new (RgSnapshot *snap, guint context_length, GCancellable *cancellable,
                  RgModelProgress progress, gpointer progress_data, GError **error)
{
  return rg_model_ref_new_full (snap, RG_KV_AUTO, context_length, cancellable, progress, progress_data, error);
}

RgModel *
rg_model_ref_new_full (RgSnapshot *snap, RgKvType kv, guint context_length, GCancellable *cancellable,
                       RgModelProgress progress, gpointer progress_data, GError **error)
{
  g_autoptr(RgModel) model = NULL;
  RgModelRef *self;
  LoadProgress lp = { cancellable, progress, progress_data, 0, rg_snapshot_get_total_bytes (snap) };

  self = g_new0 (RgModelRef, 1);
  model = &self->parent;
  model->vtable = &ref_vtable;
  model->config = *rg_snapshot_get_config (snap);
  model->context_length = context_length ? context_length : 4096;
  self->ex.owned = g_ptr_array_new_with_free_func (g_free);
  self->ex.context_length = model->context_length;

  self->ex.arch = rg_arch_for_config (&model->config, &self->ex.dims, error);
  if (self->ex.arch)
    rg_model_set_shape (model, self->ex.arch, &self->ex.dims, &ref_cross_vtable);
  if (self->ex.arch == NULL ||
      !rg_kv_type_resolve (kv, TRUE, (guint) self->ex.dims.d[RG_DIM_T_HEAD_DIM], &model->kv_type, error))
    return NULL;
  self->ex.kv_f16 = model->kv_type == RG_KV_F16;
  if (
      !load_weights (&self->ex, snap, &model->config, &lp, error) ||
      !alloc_caches (&self->ex, error))
    return NULL;
  return g_steal_pointer (&model);
}
