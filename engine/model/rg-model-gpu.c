/* rg-model-gpu.c: the Vulkan backend of RgModel.
 *
 * Loads the family's weight table (rg-arch.h) to the device, converting
 * or quantizing by the table's rules and the requested format, allocates
 * the KV cache and RoPE table its ops read, and runs its programs through
 * rg-exec-vulkan.c: the same description the reference backend runs. */
#include "config.h"

#include "rg-model-gpu.h"

#include <math.h>
#include <string.h>

#include "regard-error.h"
#include "rg-exec-vulkan.h"
#include "rg-patches.h"
#include "rg-quant.h"
#include "rg-weight-cache.h"
#include "rg-weights.h"

typedef RgGpuWeight Mat;   /* a matrix in nn.Linear layout */
typedef RgVkBuffer Vec;    /* an f32 vector */

typedef struct
{
  RgModel parent;
  RgVkContext *ctx;            /* borrowed */
  RgExecVk ex;                 /* the description, the weights it reads, the KV cache */
  GPtrArray *mats;             /* RgGpuWeight* (owned) */
  GPtrArray *vecs;             /* RgVkBuffer* (owned: vectors, KV caches, rope table) */
  GPtrArray *tables;           /* the executor's pointer tables (g_free) */
  const char *format_name;
  guint64 device_bytes;
  guint n_converted;           /* matrices converted while loading */
  guint n_from_cache;          /* matrices mapped from the weight cache */
  RgVkBuffer *image_states;    /* cross-attention: [n_images x seq, width] */
} RgModelGpu;

/* ---- Loading ------------------------------------------------------------ */

typedef struct
{
  RgSnapshot *snap;
  RgModelGpu *self;
  RgWeightFormat format;
  GCancellable *cancellable;
  RgModelProgress progress;
  gpointer progress_data;
  guint64 done, total;
  gboolean used_f32, used_f16, used_bf16, used_q8_0, used_q4_0;
  RgQuantRule quant;           /* of the matrix being loaded */
  RgWeightCache *cache;        /* quantized formats: converted matrices on disk */
  GError *error;               /* first failure; later loads are skipped */
} Loader;

static void
report (Loader *ld, guint64 bytes)
{
  ld->done += bytes;
  if (ld->progress)
    ld->progress (MIN (ld->done, ld->total), ld->total, ld->progress_data);
}

static gboolean
loader_failed (Loader *ld)
{
  if (ld->error)
    return TRUE;
  g_cancellable_set_error_if_cancelled (ld->cancellable, &ld->error);
  return ld->error != NULL;
}

static RgDType
target_dtype (Loader *ld, RgDType src, uint32_t cols)
{
  switch (ld->format)
    {
    case RG_WEIGHTS_Q8_0:
    case RG_WEIGHTS_Q4_0:
      /* Only the language model is quantized, and only rows of whole
       * blocks: the vision tower and connector are a small share of the
       * bytes but sensitive, and a partial block has no layout. */
      if (ld->quant != RG_QUANT_NEVER && cols % RG_QK == 0)
        return ld->format == RG_WEIGHTS_Q8_0 ? RG_DTYPE_Q8_0 : RG_DTYPE_Q4_0;
      return RG_DTYPE_F16;
    case RG_WEIGHTS_F32:
      return RG_DTYPE_F32;
    case RG_WEIGHTS_F16:
      return RG_DTYPE_F16;
    case RG_WEIGHTS_AUTO:
    default:
      /* bf16 -> bf16 is exact; f32 -> f16 halves memory and bandwidth */
      return src == RG_DTYPE_BF16 ? RG_DTYPE_BF16 : RG_DTYPE_F16;
    }
}

/* Converts N elements of SRC to DST_DTYPE into OUT. */
static void
convert (RgDType src_dtype, const void *src, RgDType dst_dtype, void *out, size_t n, float *tmp)
{
  rg_dtype_to_f32 (src_dtype, src, tmp, n);
  if (dst_dtype == RG_DTYPE_F32)
    memcpy (out, tmp, n * sizeof (float));
  /* rows are whole blocks, so the slice is one run of blocks */
  else if (dst_dtype == RG_DTYPE_Q8_0)
    rg_quantize_row_q8_0 (tmp, out, n);
  else if (dst_dtype == RG_DTYPE_Q4_0)
    rg_quantize_row_q4_0 (tmp, out, n);
  else
    {
      uint16_t *o = out;
      for (size_t i = 0; i < n; i++)
        o[i] = dst_dtype == RG_DTYPE_F16 ? rg_f32_to_f16 (tmp[i]) : rg_f32_to_bf16 (tmp[i]);
    }
}

/* A matrix [ROWS, COLS] (any stored shape with that many elements per row,
 * e.g. the conv kernel [V, C, P, P]), streamed in slices of rows. */
static Mat *
load_mat (Loader *ld, const char *name, uint32_t rows, uint32_t cols)
{
  const size_t slice_bytes = 8u << 20;
  const RgTensorInfo *info;
  g_autoptr(RgGpuWeight) w = NULL;
  RgDType dst;
  uint64_t src_row_bytes, dst_row_bytes;
  uint32_t rows_per_slice;
  g_autofree guint8 *buf = NULL;
  g_autofree float *tmp = NULL;
  const guint8 *cached = NULL;

  if (loader_failed (ld))
    return NULL;

  info = rg_snapshot_get_tensor (ld->snap, name);
  if (info == NULL || info->n_dims < 1 || (uint64_t) info->shape[0] != rows ||
      info->n_elements != (uint64_t) rows * cols ||
      (info->dtype != RG_DTYPE_F32 && info->dtype != RG_DTYPE_F16 && info->dtype != RG_DTYPE_BF16))
    {
      g_set_error (&ld->error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL,
                   "%s: tensor '%s' is missing or not a float matrix of %u x %u",
                   info ? info->filename : rg_snapshot_get_dir (ld->snap), name, rows, cols);
      return NULL;
    }
  dst = target_dtype (ld, info->dtype, cols);
  /* the mixed 4-bit format keeps some matrices 8-bit (see the family's weight table) */
  if (dst == RG_DTYPE_Q4_0 && ld->quant == RG_QUANT_8BIT)
    dst = RG_DTYPE_Q8_0;
  ld->used_f32 |= dst == RG_DTYPE_F32;
  ld->used_f16 |= dst == RG_DTYPE_F16;
  ld->used_bf16 |= dst == RG_DTYPE_BF16;
  ld->used_q8_0 |= dst == RG_DTYPE_Q8_0;
  ld->used_q4_0 |= dst == RG_DTYPE_Q4_0;
  if (ld->cache && dst != info->dtype)
    {
      cached = rg_weight_cache_lookup (ld->cache, name, dst, rows, cols);
      /* a complete cache without this matrix: convert, write nothing */
      if (cached == NULL && !rg_weight_cache_is_complete (ld->cache) &&
          !rg_weight_cache_begin (ld->cache, name, dst, rows, cols, NULL))
        g_clear_pointer (&ld->cache, rg_weight_cache_free);
    }

  w = rg_gpu_weight_new (ld->self->ctx, name, dst, rows, cols, 0, &ld->error);
  if (w == NULL)
    return NULL;
  rg_dtype_bytes_checked (info->dtype, cols, &src_row_bytes);
  dst_row_bytes = rg_gpu_weight_row_bytes (w);
  rows_per_slice = (uint32_t) CLAMP (slice_bytes / MAX (dst_row_bytes, 1), 1, rows);

  if (dst != info->dtype && cached == NULL)
    {
      buf = g_malloc ((size_t) rows_per_slice * dst_row_bytes);
      tmp = g_new (float, (size_t) rows_per_slice * cols);
    }
  for (uint32_t r = 0; r < rows; r += rows_per_slice)
    {
      uint32_t n = MIN (rows_per_slice, rows - r);
      const guint8 *src = (const guint8 *) info->data + (size_t) r * src_row_bytes;

      if (dst == info->dtype)
        {
          /* straight from the mapped file */
          if (!rg_gpu_weight_upload_rows (w, r, n, src, &ld->error))
            return NULL;
        }
      else if (cached)
        {
          /* converted by an earlier load: straight from the mapped cache */
          if (!rg_gpu_weight_upload_rows (w, r, n, cached + (size_t) r * dst_row_bytes, &ld->error))
            return NULL;
        }
      else
        {
          convert (info->dtype, src, dst, buf, (size_t) n * cols, tmp);
          if (!rg_gpu_weight_upload_rows (w, r, n, buf, &ld->error))
            return NULL;
          /* a cache that cannot be written is dropped, never fatal */
          if (ld->cache && !rg_weight_cache_is_complete (ld->cache) &&
              !rg_weight_cache_append (ld->cache, buf, (size_t) n * dst_row_bytes, NULL))
            g_clear_pointer (&ld->cache, rg_weight_cache_free);
        }
      if (loader_failed (ld))
        return NULL;
    }
  report (ld, info->nbytes);
  ld->self->device_bytes += (guint64) rows * dst_row_bytes;
  ld->self->n_converted += dst != info->dtype && cached == NULL;
  ld->self->n_from_cache += cached != NULL;
  g_ptr_array_add (ld->self->mats, w);
  return g_steal_pointer (&w);
}

/* A small f32 tensor of N elements (norm gains, biases, latents). */
static Vec *
load_vec (Loader *ld, const char *name, uint64_t n)
{
  const RgTensorInfo *info;
  g_autofree float *data = NULL;
  Vec *buf;

  if (loader_failed (ld))
    return NULL;
  info = rg_snapshot_get_tensor (ld->snap, name);
  if (info == NULL || info->n_elements != n)
    {
      g_set_error (&ld->error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL,
                   "%s: tensor '%s' is missing or does not have %" G_GUINT64_FORMAT " elements",
                   info ? info->filename : rg_snapshot_get_dir (ld->snap), name, n);
      return NULL;
    }
  data = rg_weights_tensor_to_f32 (info, name, info->n_dims, info->shape, &ld->error);
  if (data == NULL)
    return NULL;
  buf = rg_gpu_upload_f32 (ld->self->ctx, name, data, n, &ld->error);
  if (buf == NULL)
    return NULL;
  report (ld, info->nbytes);
  ld->self->device_bytes += (guint64) n * 4;
  g_ptr_array_add (ld->self->vecs, buf);
  return buf;
}

/* Every weight of the family's table, then the KV caches and the RoPE
 * table the description's ops read. */
static void
load_weights (Loader *ld, const RgModelConfig *cfg, guint context_length)
{
  RgModelGpu *self = ld->self;
  RgExecVk *ex = &self->ex;
  const RgArch *arch = ex->arch;

  ex->mat = g_new0 (RgGpuWeight **, arch->n_weights);
  ex->vec = g_new0 (RgVkBuffer **, arch->n_weights);
  ex->cache = g_new0 (RgVkBuffer **, arch->n_buffers);
  g_ptr_array_add (self->tables, ex->mat);
  g_ptr_array_add (self->tables, ex->vec);
  g_ptr_array_add (self->tables, ex->cache);
  for (guint s = 1; s < arch->n_weights && !loader_failed (ld); s++)
    {
      const RgArchWeight *aw = &arch->weights[s];
      guint n = rg_arch_weight_layers (arch, &ex->dims, s);
      uint32_t rows, cols;

      if (aw->tied_to && rg_snapshot_get_tensor (ld->snap, aw->name) == NULL &&
          (cfg->tie_word_embeddings || cfg->text.tie_word_embeddings))
        {
          ex->mat[s] = ex->mat[aw->tied_to];   /* the table is in slot order */
          ex->vec[s] = ex->vec[aw->tied_to];
          continue;
        }
      ex->mat[s] = g_new0 (RgGpuWeight *, n);
      ex->vec[s] = g_new0 (RgVkBuffer *, n);
      g_ptr_array_add (self->tables, ex->mat[s]);
      g_ptr_array_add (self->tables, ex->vec[s]);
      rg_arch_weight_matrix (arch, &ex->dims, s, &rows, &cols);
      ld->quant = aw->quant;
      for (guint l = 0; l < n && !loader_failed (ld); l++)
        {
          g_autofree char *name = rg_arch_weight_name (arch, s, l);

          if (aw->kind == RG_WEIGHT_MATRIX)
            ex->mat[s][l] = load_mat (ld, name, rows, cols);
          else
            ex->vec[s][l] = load_vec (ld, name, (uint64_t) rows * cols);
        }
    }
  for (guint b = 1; b < arch->n_buffers && !loader_failed (ld); b++)
    {
      const RgArchBuffer *buf = &arch->buffers[b];
      guint n = (guint) rg_arch_dim (&ex->dims, buf->layers);
      uint64_t cache_bytes = (uint64_t) context_length * ex->dims.d[buf->cols] * (ex->kv_f16 ? 2 : 4);

      if (buf->role != RG_ROLE_KV_CACHE)
        continue;
      ex->cache[b] = g_new0 (RgVkBuffer *, n);
      g_ptr_array_add (self->tables, ex->cache[b]);
      for (guint l = 0; l < n && ld->error == NULL; l++)
        {
          g_autofree char *name = g_strdup_printf ("%s, layer %u", buf->name, l);

          ex->cache[b][l] = rg_vk_buffer_new (self->ctx, name, cache_bytes, &ld->error);
          if (ex->cache[b][l])
            {
              g_ptr_array_add (self->vecs, ex->cache[b][l]);
              self->device_bytes += cache_bytes;
            }
        }
    }
  /* the RoPE table of the description's rotary op */
  for (guint b = 0; b < arch->forward.n_blocks && !loader_failed (ld) && ex->rope == NULL; b++)
    for (guint i = 0; i < arch->forward.blocks[b].n_ops && ex->rope == NULL; i++)
      {
        const RgArchOp *op = &arch->forward.blocks[b].ops[i];
        uint32_t D = (uint32_t) ex->dims.d[op->head_dim];
        g_autofree float *table = NULL;

        if (op->kind != RG_OP_ROPE)
          continue;
        table = rg_rope_table_new (context_length, D, ex->dims.p[op->eps]);
        ex->rope = rg_gpu_upload_f32 (self->ctx, "rope cos/sin table", table,
                                      (uint64_t) context_length * D, &ld->error);
        if (ex->rope)
          g_ptr_array_add (self->vecs, ex->rope);
      }
}

/* ---- Running ------------------------------------------------------------ */

/* A buffer of the run (freed by the caller's array) holding DATA. */
static RgVkBuffer *
upload (RgModelGpu *self, GPtrArray *owned, const char *name, const void *data, uint64_t bytes, GError **error)
{
  RgVkBuffer *buf = rg_vk_buffer_new (self->ctx, name, MAX (bytes, 4), error);

  if (buf == NULL)
    return NULL;
  g_ptr_array_add (owned, buf);
  if (data && !rg_vk_buffer_upload (buf, 0, data, bytes, error))
    return NULL;
  return buf;
}

static gboolean
download (RgVkBuffer *buf, float *out, uint64_t n, GError **error)
{
  return rg_vk_buffer_download (buf, 0, out, n * sizeof (float), error);
}

/* The rows of the key masks the program's attention ops read. */
static uint64_t
mask_rows (const RgArchProgram *prog, const RgExecRun *run)
{
  uint64_t n = 0;

  for (guint b = 0; b < prog->n_blocks; b++)
    for (guint i = 0; i < prog->blocks[b].n_ops; i++)
      if (prog->blocks[b].ops[i].mask)
        n = MAX (n, run->rows[prog->blocks[b].ops[i].kv_rows]);
  return n;
}

static gboolean
gpu_encode_images (RgModel *model, const RgPixelBatch *batch, float *features, GError **error)
{
  RgModelGpu *self = (RgModelGpu *) model;
  const RgArch *arch = self->ex.arch;
  const RgArchDims *d = &self->ex.dims;
  uint32_t C = (uint32_t) d->d[RG_DIM_CHANNELS], P = (uint32_t) d->d[RG_DIM_PATCH];
  uint64_t T = model->feature_width, NL = model->image_seq_len;
  uint64_t n = batch->n, NP, n_mask;
  g_autoptr(RgPatchGrid) grid = NULL;
  g_autoptr(GPtrArray) owned = g_ptr_array_new_with_free_func ((GDestroyNotify) rg_vk_buffer_free);
  g_autofree uint32_t *mask32 = NULL;
  RgExecRun run = { .split = TRUE };
  RgVkBuffer *feat;

  grid = rg_exec_run_prepare_encode (&run, model, d, batch, error);
  if (grid == NULL)
    return FALSE;
  NP = (uint64_t) grid->rows * grid->cols;
  feat = upload (self, owned, "image features", NULL, n * NL * T * 4, error);
  if (feat == NULL)
    return FALSE;
  rg_exec_run_bind (&run, arch, RG_ROLE_FEATURES, feat);
  /* the mask covers the patches; keys after them (latents) are valid */
  n_mask = MAX (mask_rows (&arch->encode, &run), NP);
  mask32 = g_new (uint32_t, n_mask);

  /* One sub-image per run: activations stay within one image's size (at
   * most 70 x 70 patches), whatever the number of crops. */
  for (uint64_t s = 0; s < n; s++)
    {
      const float *pixels = batch->pixel_values + s * C * batch->height * batch->width;
      const int32_t *pos = grid->position_ids + s * NP;
      const uint8_t *patch_mask = grid->patch_mask + s * NP;
      g_autoptr(GPtrArray) inputs = g_ptr_array_new_with_free_func ((GDestroyNotify) rg_vk_buffer_free);
      g_autofree float *narrow_px = NULL;
      g_autofree int32_t *narrow_ids = NULL;
      gboolean all_valid = TRUE, ok;
      RgVkBuffer *px, *ids, *mask = NULL;

      for (uint64_t i = 0; i < n_mask; i++)
        {
          mask32[i] = i >= NP || patch_mask[i] != 0;
          all_valid = all_valid && mask32[i];
        }
      /* only the valid patches when they are a rectangle: no key mask */
      if (rg_exec_run_narrow (&run, grid, batch, (guint) s, C, P, &narrow_px, &narrow_ids))
        {
          pixels = narrow_px;
          pos = narrow_ids;
          all_valid = TRUE;
        }
      px = upload (self, inputs, "pixels", pixels, (uint64_t) C * run.height * run.width * 4, error);
      ids = px ? upload (self, inputs, "position ids", pos, run.rows[RG_ROWS_PATCHES] * 4, error) : NULL;
      if (ids && !all_valid)
        mask = upload (self, inputs, "patch mask", mask32, n_mask * 4, error);
      if (ids == NULL || (!all_valid && mask == NULL))
        {
          rg_exec_run_widen (&run, grid, batch, P);
          return FALSE;
        }
      run.part = (guint) s;
      run.rows[RG_ROWS_SUB_IMAGE] = s * NL;
      rg_exec_run_bind (&run, arch, RG_ROLE_PIXELS, px);
      rg_exec_run_bind (&run, arch, RG_ROLE_POSITION_IDS, ids);
      rg_exec_run_bind (&run, arch, RG_ROLE_PATCH_MASK, mask);
      ok = rg_exec_vk_run (&self->ex, model, &arch->encode, &run, error);
      rg_exec_run_widen (&run, grid, batch, P);
      if (!ok)
        return FALSE;
    }
  if (!download (feat, features, n * NL * T, error))
    return FALSE;
  if (model->taps)
    rg_taps_store (model->taps, model->vtable->forward_cross ? "image_hidden_states" : "connector_output",
                   3, (int64_t[]) { n, NL, T }, features);
  return TRUE;
}

/* Frees the IMAGE_CACHE buffers (the gated blocks' k/v of the image states). */
static void
clear_image_caches (RgModelGpu *self)
{
  RgExecVk *ex = &self->ex;

  for (guint b = 1; ex->cache && b < ex->arch->n_buffers; b++)
    if (ex->arch->buffers[b].role == RG_ROLE_IMAGE_CACHE && ex->cache[b])
      {
        for (guint l = 0; l < ex->dims.d[ex->arch->buffers[b].layers]; l++)
          g_clear_pointer (&ex->cache[b][l], rg_vk_buffer_free);
        g_clear_pointer (&ex->cache[b], g_free);
      }
}

static gboolean
gpu_set_image_states (RgModel *model, const float *states, guint n_images, GError **error)
{
  RgModelGpu *self = (RgModelGpu *) model;
  RgExecVk *ex = &self->ex;
  uint64_t bytes = (uint64_t) n_images * model->image_seq_len * model->feature_width * 4;
  RgExecRun run = { 0 };

  clear_image_caches (self);
  g_clear_pointer (&self->image_states, rg_vk_buffer_free);
  model->n_images = 0;
  if (states == NULL || n_images == 0)
    return TRUE;
  self->image_states = rg_vk_buffer_new (self->ctx, "image states", bytes, error);
  if (self->image_states == NULL)
    return FALSE;
  if (!rg_vk_buffer_upload (self->image_states, 0, states, bytes, error))
    goto fail;
  model->n_images = n_images;
  for (guint b = 1; b < ex->arch->n_buffers; b++)
    {
      const RgArchBuffer *buf = &ex->arch->buffers[b];
      guint n = (guint) ex->dims.d[buf->layers];
      uint64_t cache_bytes = (uint64_t) n_images * model->image_seq_len * ex->dims.d[buf->cols] * 4;

      if (buf->role != RG_ROLE_IMAGE_CACHE)
        continue;
      ex->cache[b] = g_new0 (RgVkBuffer *, n);
      for (guint l = 0; l < n; l++)
        if ((ex->cache[b][l] = rg_vk_buffer_new (self->ctx, buf->name, MAX (cache_bytes, 4), error)) == NULL)
          goto fail;
    }
  /* the gated blocks' keys and values, once */
  rg_exec_run_prepare_images (&run, model);
  rg_exec_run_bind (&run, ex->arch, RG_ROLE_IMAGE_STATES, self->image_states);
  if (rg_exec_vk_run (ex, model, &ex->arch->images, &run, error))
    return TRUE;
fail:
  clear_image_caches (self);
  g_clear_pointer (&self->image_states, rg_vk_buffer_free);
  model->n_images = 0;
  return FALSE;
}

static gboolean
gpu_forward_cross (RgModel *model, const int32_t *ids, const int32_t *image_index, guint n,
                   float *logits, GError **error)
{
  RgModelGpu *self = (RgModelGpu *) model;
  const RgArch *arch = self->ex.arch;
  uint64_t vocab = self->ex.dims.d[RG_DIM_VOCAB];
  g_autoptr(GPtrArray) owned = g_ptr_array_new_with_free_func ((GDestroyNotify) rg_vk_buffer_free);
  g_autofree int32_t *none = NULL;
  RgExecRun run = { 0 };
  RgVkBuffer *bids, *bindex, *out = NULL;
  g_autoptr(GArray) image_rows = rg_exec_run_prepare_forward (&run, model, ids, n, NULL, 0, error);

  if (image_rows == NULL || !rg_model_check_image_index (model, image_index, n, error))
    return FALSE;
  if (image_index == NULL)
    {
      none = g_new (int32_t, n);
      for (guint i = 0; i < n; i++)
        none[i] = -1;
      image_index = none;
    }
  run.split = n > 1;
  bids = upload (self, owned, "token ids", ids, (uint64_t) n * 4, error);
  bindex = bids ? upload (self, owned, "image index", image_index, (uint64_t) n * 4, error) : NULL;
  if (bindex == NULL)
    return FALSE;
  rg_exec_run_bind (&run, arch, RG_ROLE_TOKEN_IDS, bids);
  rg_exec_run_bind (&run, arch, RG_ROLE_IMAGE_INDEX, bindex);
  rg_exec_run_bind (&run, arch, RG_ROLE_IMAGE_STATES, self->image_states);
  if (logits)
    {
      out = upload (self, owned, "logits", NULL, vocab * 4, error);
      if (out == NULL)
        return FALSE;
      rg_exec_run_bind (&run, arch, RG_ROLE_LOGITS, out);
    }
  if (!rg_exec_vk_run (&self->ex, model, &arch->forward, &run, error))
    return FALSE;
  if (logits && !download (out, logits, vocab, error))
    return FALSE;
  model->n_past += n;
  model->last_image_index = image_index[n - 1];
  return TRUE;
}

static gboolean
gpu_forward (RgModel *model, const int32_t *ids, guint n,
             const float *image_features, guint n_image_rows,
             float *logits, GError **error)
{
  RgModelGpu *self = (RgModelGpu *) model;
  const RgArch *arch = self->ex.arch;
  uint64_t T = self->ex.dims.d[RG_DIM_T], vocab = self->ex.dims.d[RG_DIM_VOCAB];
  g_autoptr(GPtrArray) owned = g_ptr_array_new_with_free_func ((GDestroyNotify) rg_vk_buffer_free);
  RgExecRun run = { 0 };
  RgVkBuffer *bids, *out = NULL;
  g_autoptr(GArray) image_rows = NULL;

  if (model->vtable->forward_cross)
    return rg_model_forward_as_cross (model, ids, n, image_features, logits, error);
  image_rows = rg_exec_run_prepare_forward (&run, model, ids, n, image_features, n_image_rows, error);
  if (image_rows == NULL)
    return FALSE;
  /* a decode step stays one submit: Stop is checked between tokens */
  run.split = n > 1;
  bids = upload (self, owned, "token ids", ids, (uint64_t) n * 4, error);
  if (bids == NULL)
    return FALSE;
  rg_exec_run_bind (&run, arch, RG_ROLE_TOKEN_IDS, bids);
  if (image_features && n_image_rows > 0)
    {
      RgVkBuffer *feat = upload (self, owned, "image features", image_features, (uint64_t) n_image_rows * T * 4, error);
      RgVkBuffer *rows = feat ? upload (self, owned, "image rows", image_rows->data, (uint64_t) n_image_rows * 4, error) : NULL;

      if (rows == NULL)
        return FALSE;
      rg_exec_run_bind (&run, arch, RG_ROLE_IMAGE_FEATURES, feat);
      rg_exec_run_bind (&run, arch, RG_ROLE_IMAGE_ROWS, rows);
    }
  if (logits)
    {
      out = upload (self, owned, "logits", NULL, vocab * 4, error);
      if (out == NULL)
        return FALSE;
      rg_exec_run_bind (&run, arch, RG_ROLE_LOGITS, out);
    }
  if (!rg_exec_vk_run (&self->ex, model, &arch->forward, &run, error))
    return FALSE;
  if (logits && !download (out, logits, vocab, error))
    return FALSE;
  model->n_past += n;
  return TRUE;
}

static void
gpu_free (RgModel *model)
{
  RgModelGpu *self = (RgModelGpu *) model;

  clear_image_caches (self);
  g_clear_pointer (&self->image_states, rg_vk_buffer_free);
  if (self->mats)
    g_ptr_array_unref (self->mats);
  if (self->vecs)
    g_ptr_array_unref (self->vecs);
  if (self->tables)
    g_ptr_array_unref (self->tables);
  g_free (self);
}

static const RgModelVTable gpu_vtable = {
  .free = gpu_free,
  .encode_images = gpu_encode_images,
  .forward = gpu_forward,
  .truncate = rg_model_truncate_positions,
};

/* IDEFICS1: the same with the image states the gated blocks read */
static const RgModelVTable gpu_cross_vtable = {
  .free = gpu_free,
  .encode_images = gpu_encode_images,
  .forward = gpu_forward,
  .truncate = rg_model_truncate_positions,
  .set_image_states = gpu_set_image_states,
  .forward_cross = gpu_forward_cross,
};

RgModel *
rg_model_gpu_new (RgSnapshot *snap, RgVkContext *ctx, RgWeightFormat format,
                  guint context_length, GCancellable *cancellable,
                  RgModelProgress progress, gpointer progress_data, GError **error)
{
  return rg_model_gpu_new_full (snap, ctx, format, RG_KV_AUTO, context_length, cancellable,
                                progress, progress_data, error);
}

RgModel *
rg_model_gpu_new_full (RgSnapshot *snap, RgVkContext *ctx, RgWeightFormat format, RgKvType kv,
                       guint context_length, GCancellable *cancellable,
                       RgModelProgress progress, gpointer progress_data, GError **error)
{
  g_autoptr(RgModel) model = NULL;
  RgModelGpu *self;
  Loader ld = {
    .snap = snap, .format = format, .cancellable = cancellable,
    .progress = progress, .progress_data = progress_data,
  };

  self = g_new0 (RgModelGpu, 1);
  model = &self->parent;
  model->vtable = &gpu_vtable;
  model->config = *rg_snapshot_get_config (snap);
  model->context_length = context_length ? context_length : 4096;
  self->ctx = ctx;
  self->mats = g_ptr_array_new_with_free_func ((GDestroyNotify) rg_gpu_weight_free);
  self->vecs = g_ptr_array_new_with_free_func ((GDestroyNotify) rg_vk_buffer_free);
  self->tables = g_ptr_array_new_with_free_func (g_free);
  self->ex.ctx = ctx;
  self->ex.arch = rg_arch_for_config (&model->config, &self->ex.dims, error);
  if (self->ex.arch == NULL)
    return NULL;
  rg_model_set_shape (model, self->ex.arch, &self->ex.dims, &gpu_cross_vtable);
  if (!rg_kv_type_resolve (kv, format == RG_WEIGHTS_F32, (guint) self->ex.dims.d[RG_DIM_T_HEAD_DIM],
                           &model->kv_type, error))
    return NULL;
  self->ex.kv_f16 = model->kv_type == RG_KV_F16;

  ld.self = self;
  ld.total = rg_snapshot_get_total_bytes (snap);
  if (format == RG_WEIGHTS_Q8_0 || format == RG_WEIGHTS_Q4_0)
    {
      g_autoptr(GError) cache_error = NULL;

      /* quantizing takes longer than reading: keep the result (a cache
       * that cannot be made only costs the next load that time again) */
      ld.cache = rg_weight_cache_open (snap, format == RG_WEIGHTS_Q8_0 ? "q8_0" : "q4_0", &cache_error);
      if (cache_error)
        g_warning ("Weight cache off: %s", cache_error->message);
    }
  load_weights (&ld, &model->config, model->context_length);
  if (ld.error)
    {
      g_clear_pointer (&ld.cache, rg_weight_cache_free);
      g_propagate_error (error, ld.error);
      return NULL;
    }
  if (ld.cache && !rg_weight_cache_is_complete (ld.cache))
    {
      g_autoptr(GError) cache_error = NULL;

      if (!rg_weight_cache_commit (ld.cache, &cache_error))
        g_warning ("Weight cache not written: %s", cache_error->message);
    }
  g_clear_pointer (&ld.cache, rg_weight_cache_free);
  /* quantized formats name the language model's type (the vision tower
   * and connector are f16 there) */
  self->format_name = ld.used_q4_0 ? "q4_0" : ld.used_q8_0 ? "q8_0"
                      : (ld.used_f32 + ld.used_f16 + ld.used_bf16) > 1 ? "mixed"
                      : ld.used_f16 ? "f16" : ld.used_bf16 ? "bf16" : "f32";
  return g_steal_pointer (&model);
}

const char *
rg_model_gpu_get_weight_format (RgModel *model)
{
  return ((RgModelGpu *) model)->format_name;
}

guint64
rg_model_gpu_get_device_bytes (RgModel *model)
{
  return ((RgModelGpu *) model)->device_bytes;
}

void
rg_model_gpu_get_load_stats (RgModel *model, guint *n_converted, guint *n_from_cache)
{
  RgModelGpu *self = (RgModelGpu *) model;

  if (n_converted)
    *n_converted = self->n_converted;
  if (n_from_cache)
    *n_from_cache = self->n_from_cache;
}

void
rg_model_gpu_set_submit_flops (RgModel *model, double flops)
{
  ((RgModelGpu *) model)->ex.fixed_budget = flops;
}

guint
rg_model_gpu_get_n_submits (RgModel *model)
{
  return ((RgModelGpu *) model)->ex.n_submits;
}
