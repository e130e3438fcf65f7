/* rg-exec-ref.c: a family description (rg-arch.h) run with the reference
 * ops of rg-ref-ops.h, unfused: a LINEAR's norm, gate and accumulate are
 * each their own reference op, which is what the fused GPU forms mean. */
#include "rg-exec.h"

#include <math.h>
#include <string.h>

#include "regard-error.h"
#include "rg-ref-ops.h"

typedef struct
{
  RgExecRef *ex;
  RgModel *model;
  RgExecRun *run;
  float **scratch;     /* [buffer slot] */
  guint layer;
  guint wlayer;        /* the current op's weight layer (layer / every) */
} Run;

static uint64_t
buf_cols (Run *r, guint b)
{
  return MAX (r->ex->dims.d[r->ex->arch->buffers[b].cols], 1);
}

/* The host pointer of REF (NULL: an unbound role buffer). */
static void *
ptr (Run *r, RgArchRef ref)
{
  const RgArchBuffer *buf = &r->ex->arch->buffers[ref.buf];
  char *base;

  if (ref.buf == 0)
    return NULL;
  switch (buf->role)
    {
    case RG_ROLE_SCRATCH:
      if (r->scratch[ref.buf] == NULL)
        r->scratch[ref.buf] = g_new0 (float, MAX (r->run->rows[buf->rows] * buf_cols (r, ref.buf), 1));
      base = (char *) r->scratch[ref.buf];
      break;
    case RG_ROLE_KV_CACHE:
    case RG_ROLE_IMAGE_CACHE:
      /* a gated block's caches are its own (layer / every); none before
       * the first image states */
      base = r->ex->cache[ref.buf] ? (char *) r->ex->cache[ref.buf][r->wlayer] : NULL;
      break;
    default:
      base = r->run->io[ref.buf];
      break;
    }
  if (base == NULL)
    return NULL;
  /* every element is 4 bytes (f32, int32 ids) */
  return base + (r->run->rows[ref.row0] * buf_cols (r, ref.buf) + rg_arch_dim (&r->ex->dims, ref.col0)) * 4;
}

static const float *
weight (Run *r, guint16 slot)
{
  return slot ? r->ex->w[slot][r->ex->arch->weights[slot].layers == RG_DIM_NONE ? 0 : r->wlayer] : NULL;
}

static void
tap (Run *r, const char *name, const float *data, uint64_t rows, uint64_t cols)
{
  g_autofree char *numbered = NULL;

  if (r->model->taps == NULL || data == NULL)
    return;
  if (strstr (name, "%u"))
    {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
      numbered = g_strdup_printf (name, r->wlayer);
#pragma GCC diagnostic pop
      name = numbered;
    }
  rg_exec_run_tap (r->run, r->model->taps, name, rows, cols, data);
}

/* The number of gates of a TANH_GATE_ADD weight (1 or the row length). */
static size_t
weight_elements (Run *r, guint16 slot)
{
  int64_t shape[4];
  guint n = rg_arch_weight_shape (r->ex->arch, &r->ex->dims, slot, shape);
  size_t e = 1;

  for (guint i = 0; i < n; i++)
    e *= (size_t) shape[i];
  return e;
}

static void
linear (Run *r, const RgArchOp *op, float *out, const float *x, size_t M)
{
  uint32_t N, K;
  g_autofree float *normed = NULL, *y = NULL;

  rg_arch_weight_matrix (r->ex->arch, &r->ex->dims, op->w, &N, &K);
  if (op->norm)
    {
      normed = g_new (float, M * K);
      rg_ref_rmsnorm (x, weight (r, op->norm), normed, M, K, r->ex->dims.p[op->eps]);
      x = normed;
    }
  if (op->in2.buf == 0 && !(op->flags & RG_OPF_ACCUMULATE))
    {
      rg_ref_linear (x, weight (r, op->w), weight (r, op->b), out, M, N, K);
      return;
    }
  y = g_new (float, M * N);
  rg_ref_linear (x, weight (r, op->w), weight (r, op->b), y, M, N, K);
  if (op->in2.buf)
    rg_ref_swiglu (ptr (r, op->in2), y, y, M * N);
  if (op->flags & RG_OPF_ACCUMULATE)
    rg_ref_add (out, y, out, M * N);
  else
    memcpy (out, y, M * N * sizeof (float));
}

static void
attention (Run *r, const RgArchOp *op, float *out)
{
  const RgArchDims *d = &r->ex->dims;
  const uint8_t *mask = op->mask ? r->run->io[op->mask] : NULL;
  size_t n_kv = r->run->rows[op->kv_rows];
  g_autofree uint8_t *key_mask = NULL;
  RgRefAttnParams p = {
    .n_q = r->run->rows[op->rows], .n_kv = n_kv,
    .n_heads = d->d[op->heads], .n_kv_heads = d->d[op->kv_heads], .head_dim = d->d[op->head_dim],
    .scale = 1.0f / sqrtf ((float) d->d[op->head_dim]),
    .causal = (op->flags & RG_OPF_CAUSAL) != 0, .q_pos0 = r->run->rows[RG_ROWS_PAST],
    .window = rg_arch_dim (d, op->window),
  };

  if (mask)
    {
      /* the mask covers the first keys; the rest (latents) are valid */
      size_t n_mask = MIN (r->run->rows[r->ex->arch->buffers[op->mask].rows], n_kv);

      key_mask = g_new (uint8_t, MAX (n_kv, 1));
      memcpy (key_mask, mask, n_mask);
      memset (key_mask + n_mask, 1, n_kv - n_mask);
      p.key_mask = key_mask;
    }
  rg_ref_attention (ptr (r, op->in), ptr (r, op->in2), ptr (r, op->in3), out, &p);
}

static gboolean
run_op (Run *r, const RgArchOp *op, GError **error)
{
  const RgArchDims *d = &r->ex->dims;
  size_t rows = r->run->rows[op->rows], cols = rg_arch_dim (d, op->cols);
  float *out;

  if (!rg_arch_op_runs (op, d, r->layer, &r->wlayer))
    return TRUE;
  out = ptr (r, op->out);
  if (op->kind != RG_OP_TAP && op->kind != RG_OP_ROPE && out == NULL)
    return TRUE;   /* an output nobody wants */
  /* a norm per head: rows x heads rows of cols */
  if ((op->kind == RG_OP_LAYERNORM || op->kind == RG_OP_RMSNORM) && op->heads)
    rows *= d->d[op->heads];
  switch (op->kind)
    {
    case RG_OP_NOP:
      break;
    case RG_OP_EMBED:
      {
        uint32_t n_rows, dim;

        rg_arch_weight_matrix (r->ex->arch, d, op->w, &n_rows, &dim);
        if (op->b)
          {
            /* a decoupled vocabulary: the second table's ids follow the first's */
            const int32_t *ids = ptr (r, op->in);
            uint32_t n_extra, dim2;

            rg_arch_weight_matrix (r->ex->arch, d, op->b, &n_extra, &dim2);
            for (size_t i = 0; i < rows; i++)
              if (ids[i] < 0 || (uint64_t) ids[i] >= (uint64_t) n_rows + n_extra)
                {
                  g_set_error (error, REGARD_ERROR, REGARD_ERROR_FAILED,
                               "An id outside the %u + %u rows of %s", n_rows, n_extra,
                               r->ex->arch->weights[op->w].name);
                  return FALSE;
                }
            rg_ref_embedding_range (weight (r, op->w), n_rows, dim, 0, ids, rows, out);
            rg_ref_embedding_range (weight (r, op->b), n_extra, dim, (int32_t) n_rows, ids, rows, out);
          }
        else if (!rg_ref_embedding (weight (r, op->w), n_rows, dim, ptr (r, op->in), rows, out))
          {
            g_set_error (error, REGARD_ERROR, REGARD_ERROR_FAILED,
                         "An id outside the %u rows of %s", n_rows, r->ex->arch->weights[op->w].name);
            return FALSE;
          }
      }
      break;
    case RG_OP_PATCH_EMBED:
      rg_ref_patch_embed (ptr (r, op->in), d->d[op->cols], r->run->height, r->run->width,
                          weight (r, op->w), weight (r, op->b), r->ex->dims.d[r->ex->arch->weights[op->w].shape[0]],
                          d->d[op->head_dim], out);
      break;
    case RG_OP_SCATTER_ROWS:
      {
        const float *src = ptr (r, op->in);
        const int32_t *dst_rows = ptr (r, op->in2);

        for (size_t i = 0; src && dst_rows && i < rows; i++)
          memcpy (out + (size_t) dst_rows[i] * cols, src + i * cols, cols * sizeof (float));
      }
      break;
    case RG_OP_COPY:
      memmove (out, op->w ? weight (r, op->w) : ptr (r, op->in), rows * cols * sizeof (float));
      break;
    case RG_OP_ADD:
      rg_ref_add (ptr (r, op->in), ptr (r, op->in2), out, rows * cols);
      break;
    case RG_OP_LAYERNORM:
      rg_ref_layernorm (ptr (r, op->in), weight (r, op->w), weight (r, op->b), out, rows, cols, d->p[op->eps]);
      break;
    case RG_OP_RMSNORM:
      rg_ref_rmsnorm (ptr (r, op->in), weight (r, op->w), out, rows, cols, d->p[op->eps]);
      break;
    case RG_OP_LINEAR:
      linear (r, op, out, ptr (r, op->in), rows);
      break;
    case RG_OP_GELU_TANH:
      rg_ref_gelu_tanh (ptr (r, op->in), out, rows * cols);
      break;
    case RG_OP_GELU:
      rg_ref_gelu (ptr (r, op->in), out, rows * cols);
      break;
    case RG_OP_QUICK_GELU:
      rg_ref_quick_gelu (ptr (r, op->in), out, rows * cols);
      break;
    case RG_OP_RELU:
      rg_ref_relu (ptr (r, op->in), out, rows * cols);
      break;
    case RG_OP_TANH_GATE_ADD:
      rg_ref_tanh_gate_add (ptr (r, op->in), weight (r, op->w), weight_elements (r, op->w),
                            op->in2.buf ? ptr (r, op->in2) : NULL, out, rows, cols);
      break;
    case RG_OP_IMAGE_ATTENTION:
      {
        const int32_t *index = r->run->io[op->mask];
        size_t D = d->d[op->head_dim];

        if (index == NULL)
          {
            memset (out, 0, rows * d->d[op->heads] * D * sizeof (float));
            break;
          }
        rg_ref_image_attention (ptr (r, op->in), ptr (r, op->in2), ptr (r, op->in3), index, out, rows,
                                d->d[op->heads], D, r->run->rows[op->kv_rows], 1.0f / sqrtf ((float) D));
      }
      break;
    case RG_OP_SWIGLU:
      rg_ref_swiglu (ptr (r, op->in), ptr (r, op->in2), out, rows * cols);
      break;
    case RG_OP_ROPE:
      rg_ref_rope (out, rows, d->d[op->heads], d->d[op->head_dim], r->run->rows[RG_ROWS_PAST], d->p[op->eps]);
      if (op->in.buf)
        {
          /* the new k rows turned, and v, into the cache (rounded to its f16) */
          float *k = ptr (r, op->cache_k), *v = ptr (r, op->cache_v);
          size_t n = rows * d->d[op->kv_heads] * d->d[op->head_dim];

          memcpy (k, ptr (r, op->in), n * sizeof (float));
          memcpy (v, ptr (r, op->in2), n * sizeof (float));
          rg_ref_rope (k, rows, d->d[op->kv_heads], d->d[op->head_dim], r->run->rows[RG_ROWS_PAST], d->p[op->eps]);
          if (r->ex->kv_f16)
            {
              rg_ref_round_f16 (k, n);
              rg_ref_round_f16 (v, n);
            }
        }
      break;
    case RG_OP_ATTENTION:
      attention (r, op, out);
      break;
    case RG_OP_TAP:
      tap (r, op->name, ptr (r, op->in), rows, cols);
      return TRUE;
    case RG_OP_PIXEL_SHUFFLE:
      rg_ref_pixel_shuffle (ptr (r, op->in), r->run->grid_h, r->run->grid_w, cols, d->d[op->head_dim], out);
      break;
    }
  if (op->name)
    tap (r, op->name, out, rows, cols);
  return TRUE;
}

gboolean
rg_exec_ref_run (RgExecRef *ex, RgModel *model, const RgArchProgram *prog,
                 RgExecRun *run, GError **error)
{
  g_autofree float **scratch = g_new0 (float *, ex->arch->n_buffers);
  Run r = { .ex = ex, .model = model, .run = run, .scratch = scratch };
  gboolean ok = TRUE;

  for (guint b = 0; ok && b < prog->n_blocks; b++)
    {
      const RgArchBlock *block = &prog->blocks[b];
      guint n = block->layers == RG_DIM_NONE ? 1 : (guint) ex->dims.d[block->layers];

      for (guint l = 0; ok && l < n; l++)
        {
          r.layer = l;
          if (g_cancellable_set_error_if_cancelled (model->cancellable, error))
            ok = FALSE;
          for (guint i = 0; ok && i < block->n_ops; i++)
            ok = run_op (&r, &block->ops[i], error);
          if (ok && model->on_step)
            model->on_step (model->on_step_data);
        }
    }
  for (guint b = 0; b < ex->arch->n_buffers; b++)
    g_free (scratch[b]);
  return ok;
}
