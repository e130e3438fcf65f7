/* rg-exec-vulkan.c: a family description (rg-arch.h) recorded as Vulkan
 * dispatches (rg-ops.h).
 *
 * Fusions: a LINEAR's norm, gate, accumulate and output offset are
 * rg_op_linear's own epilogue; an RMSNORM marked FOLDABLE is not run where
 * the device fuses the norm into the mat-vec: the LINEARs that follow and
 * read its output read its input with the norm's gain instead.
 *
 * Submission: ops are recorded into one command buffer and submitted
 * when the estimated work since the last submit reaches a budget sized to
 * about 0.4 s of this device's measured speed (a decode step
 * is always one submit; a long prefill or a large image several), with
 * the cancellable checked between submits, so Stop is felt within a
 * fraction of a second even on a CPU Vulkan device. */
#include "rg-exec-vulkan.h"

#include <math.h>
#include <string.h>

#include "regard-error.h"

#define TARGET_SECONDS 0.4
#define MIN_BUDGET 2.5e8
#define FIRST_BUDGET 1.6e10

typedef struct
{
  RgExecVk *ex;
  RgModel *model;
  RgExecRun *run;
  RgVkRecorder *rec;
  RgVkBuffer **scratch;     /* [buffer slot] */
  guint layer;
  guint wlayer;             /* the current op's weight layer (layer / every) */
  double flops;             /* recorded since the last submit */
  /* a FOLDABLE RMSNORM not run: LINEARs reading DST read SRC normed */
  guint8 fold_dst;
  RgArchRef fold_src;
  const RgVkBuffer *fold_gain;
  float fold_eps;
  /* taps recorded, downloaded after the next submit */
  GPtrArray *tap_bufs;      /* RgVkBuffer* */
  GPtrArray *tap_names;     /* char* (owned) */
  GArray *tap_rows;         /* uint64_t rows, cols pairs */
} Run;

static uint64_t
buf_cols (Run *r, guint b)
{
  return MAX (r->ex->dims.d[r->ex->arch->buffers[b].cols], 1);
}

static RgVkBuffer *
buffer (Run *r, guint8 b)
{
  const RgArchBuffer *buf = &r->ex->arch->buffers[b];

  if (b == 0)
    return NULL;
  switch (buf->role)
    {
    case RG_ROLE_SCRATCH:
      if (r->scratch[b] == NULL)
        {
          GError *error = NULL;
          uint64_t n = MAX (r->run->rows[buf->rows] * buf_cols (r, b), 1);

          r->scratch[b] = rg_vk_buffer_new (r->ex->ctx, buf->name, n * 4, &error);
          if (r->scratch[b] == NULL)
            rg_vk_recorder_take_error (r->rec, error);
        }
      return r->scratch[b];
    case RG_ROLE_KV_CACHE:
    case RG_ROLE_IMAGE_CACHE:
      /* a gated block's caches are its own (layer / every); none before
       * the first image states */
      return r->ex->cache[b] ? r->ex->cache[b][r->wlayer] : NULL;
    default:
      return r->run->io[b];
    }
}

/* REF's first element. */
static uint64_t
offset (Run *r, RgArchRef ref)
{
  return r->run->rows[ref.row0] * buf_cols (r, ref.buf) + rg_arch_dim (&r->ex->dims, ref.col0);
}

static const RgGpuWeight *
mat (Run *r, guint16 slot)
{
  return slot ? r->ex->mat[slot][r->ex->arch->weights[slot].layers == RG_DIM_NONE ? 0 : r->wlayer] : NULL;
}

static const RgVkBuffer *
vec (Run *r, guint16 slot)
{
  return slot ? r->ex->vec[slot][r->ex->arch->weights[slot].layers == RG_DIM_NONE ? 0 : r->wlayer] : NULL;
}

static void
tap (Run *r, const char *name, RgVkBuffer *src, uint64_t src_offset, uint64_t rows, uint64_t cols)
{
  GError *error = NULL;
  RgVkBuffer *keep;
  uint64_t rc[2] = { rows, cols };

  if (r->model->taps == NULL || src == NULL)
    return;
  /* outlives the submit, unlike the recorder's scratch */
  keep = rg_vk_buffer_new (r->ex->ctx, name, MAX (rows * cols, 1) * 4, &error);
  if (keep == NULL)
    {
      rg_vk_recorder_take_error (r->rec, error);
      return;
    }
  rg_op_copy (r->rec, keep, 0, src, src_offset, rows * cols);
  g_ptr_array_add (r->tap_bufs, keep);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
  g_ptr_array_add (r->tap_names, strstr (name, "%u") ? g_strdup_printf (name, r->wlayer) : g_strdup (name));
#pragma GCC diagnostic pop
  g_array_append_vals (r->tap_rows, rc, 2);
}

static gboolean
submit (Run *r, GError **error)
{
  gint64 t0 = g_get_monotonic_time ();
  double seconds;

  if (!rg_vk_recorder_submit (r->rec, error))
    return FALSE;
  seconds = (g_get_monotonic_time () - t0) / 1e6;
  /* learn the device's speed from submits long enough to time */
  if (seconds > 0.02 && r->flops > 0 && r->ex->fixed_budget <= 0)
    r->ex->budget = CLAMP (r->flops / seconds * TARGET_SECONDS, MIN_BUDGET, 1e15);
  r->flops = 0;
  for (guint i = 0; i < r->tap_bufs->len; i++)
    {
      uint64_t rows = g_array_index (r->tap_rows, uint64_t, 2 * i);
      uint64_t cols = g_array_index (r->tap_rows, uint64_t, 2 * i + 1);
      g_autofree float *data = g_new (float, MAX (rows * cols, 1));

      if (!rg_vk_buffer_download (r->tap_bufs->pdata[i], 0, data, rows * cols * 4, error))
        return FALSE;
      rg_exec_run_tap (r->run, r->model->taps, r->tap_names->pdata[i], rows, cols, data);
    }
  g_ptr_array_set_size (r->tap_bufs, 0);
  g_ptr_array_set_size (r->tap_names, 0);
  g_array_set_size (r->tap_rows, 0);
  r->ex->n_submits++;
  if (r->model->on_step)
    r->model->on_step (r->model->on_step_data);
  return TRUE;
}

/* Whether a FOLDABLE norm OP (at I of OPS) may be left to the LINEARs after it. */
static gboolean
can_fold (Run *r, const RgArchOp *ops, guint n_ops, guint i)
{
  const RgArchOp *op = &ops[i], *next = i + 1 < n_ops ? &ops[i + 1] : NULL;

  return (op->flags & RG_OPF_FOLDABLE) && !(op->name && r->model->taps) &&
         next && next->kind == RG_OP_LINEAR && next->in.buf == op->out.buf &&
         rg_op_linear_fuses_norm (r->rec, (uint32_t) r->run->rows[next->rows]);
}

static void
linear (Run *r, const RgArchOp *op, RgVkBuffer *out)
{
  const RgGpuWeight *w = mat (r, op->w);
  uint32_t M = (uint32_t) r->run->rows[op->rows];
  RgArchRef in = op->in;
  RgLinearParams lp = {
    .bias = vec (r, op->b),
    .gate_silu = buffer (r, op->in2.buf),
    .accumulate = (op->flags & RG_OPF_ACCUMULATE) != 0,
    .out_offset = offset (r, op->out),
  };
  RgVkBuffer *x;

  if (op->norm)
    {
      lp.norm_gain = vec (r, op->norm);
      lp.norm_eps = r->ex->dims.p[op->eps];
    }
  if (r->fold_dst && in.buf == r->fold_dst)
    {
      in = (RgArchRef) { r->fold_src.buf, in.row0 };
      lp.norm_gain = r->fold_gain;
      lp.norm_eps = r->fold_eps;
    }
  x = buffer (r, in.buf);
  if (x && offset (r, in) != 0)
    {
      /* rg_op_linear reads x from its start: copy the rows out */
      GError *error = NULL;
      RgVkBuffer *rows = rg_vk_buffer_new (r->ex->ctx, "linear input rows", (uint64_t) M * w->cols * 4, &error);

      if (rows == NULL)
        {
          rg_vk_recorder_take_error (r->rec, error);
          return;
        }
      rg_vk_recorder_keep_buffer (r->rec, rows);
      rg_op_copy (r->rec, rows, 0, x, offset (r, in), (uint64_t) M * w->cols);
      x = rows;
    }
  if (x)
    rg_op_linear (r->rec, out, x, w, &lp, M);
  r->flops += 2.0 * M * w->rows * w->cols;
}

static void
attention (Run *r, const RgArchOp *op, RgVkBuffer *out)
{
  const RgArchDims *d = &r->ex->dims;
  uint32_t D = (uint32_t) d->d[op->head_dim];
  RgAttnParams p = {
    .n_q = (uint32_t) r->run->rows[op->rows], .n_kv = (uint32_t) r->run->rows[op->kv_rows],
    .n_heads = (uint32_t) d->d[op->heads], .n_kv_heads = (uint32_t) d->d[op->kv_heads], .head_dim = D,
    .scale = 1.0f / sqrtf ((float) D), .causal = (op->flags & RG_OPF_CAUSAL) != 0,
    .q_pos0 = (uint32_t) r->run->rows[RG_ROWS_PAST], .window = (uint32_t) rg_arch_dim (d, op->window),
    .kv_f16 = r->ex->kv_f16 && r->ex->arch->buffers[op->in2.buf].role == RG_ROLE_KV_CACHE,
  };

  /* k and v are read from their start (a KV cache is passed whole) */
  rg_op_attention (r->rec, out, buffer (r, op->in.buf), buffer (r, op->in2.buf), buffer (r, op->in3.buf),
                   op->mask ? r->run->io[op->mask] : NULL, &p);
  r->flops += 4.0 * p.n_q * p.n_kv * p.n_heads * D;
}

static void
record_op (Run *r, const RgArchOp *ops, guint n_ops, guint i)
{
  const RgArchOp *op = &ops[i];
  const RgArchDims *d = &r->ex->dims;
  RgVkRecorder *rec = r->rec;
  uint64_t rows = r->run->rows[op->rows], cols = rg_arch_dim (d, op->cols);
  RgVkBuffer *out;

  if (!rg_arch_op_runs (op, d, r->layer, &r->wlayer))
    return;
  out = op->kind == RG_OP_TAP ? NULL : buffer (r, op->out.buf);
  if (op->kind != RG_OP_LINEAR)
    r->fold_dst = 0;
  /* a norm per head: rows x heads rows of cols */
  if ((op->kind == RG_OP_LAYERNORM || op->kind == RG_OP_RMSNORM) && op->heads)
    rows *= d->d[op->heads];
  if (op->kind != RG_OP_TAP && out == NULL)
    return;   /* an output nobody wants */
  switch (op->kind)
    {
    case RG_OP_NOP:
      break;
    case RG_OP_EMBED:
      rg_op_embedding (rec, out, mat (r, op->w), buffer (r, op->in.buf), (uint32_t) rows);
      /* a decoupled vocabulary: the second table's ids follow the first's */
      if (op->b)
        rg_op_embedding_range (rec, out, mat (r, op->b), buffer (r, op->in.buf), (uint32_t) rows,
                               (int32_t) mat (r, op->w)->rows);
      break;
    case RG_OP_PATCH_EMBED:
      {
        const RgGpuWeight *w = mat (r, op->w);

        rg_op_patch_embed (rec, out, buffer (r, op->in.buf), w, vec (r, op->b), (uint32_t) cols,
                           r->run->height, r->run->width, (uint32_t) d->d[op->head_dim]);
        r->flops += 2.0 * r->run->rows[RG_ROWS_PATCHES] * w->rows * w->cols;
      }
      break;
    case RG_OP_SCATTER_ROWS:
      if (rows > 0 && buffer (r, op->in.buf) && buffer (r, op->in2.buf))
        rg_op_scatter_rows (rec, out, buffer (r, op->in.buf), buffer (r, op->in2.buf), (uint32_t) rows, (uint32_t) cols);
      break;
    case RG_OP_COPY:
      rg_op_copy (rec, out, offset (r, op->out), op->w ? vec (r, op->w) : buffer (r, op->in.buf),
                  op->w ? 0 : offset (r, op->in), rows * cols);
      break;
    case RG_OP_ADD:
      rg_op_add (rec, out, buffer (r, op->in.buf), buffer (r, op->in2.buf), rows * cols);
      break;
    case RG_OP_LAYERNORM:
      rg_op_layernorm (rec, out, buffer (r, op->in.buf), vec (r, op->w), vec (r, op->b),
                       (uint32_t) rows, (uint32_t) cols, d->p[op->eps]);
      break;
    case RG_OP_RMSNORM:
      if (can_fold (r, ops, n_ops, i))
        {
          r->fold_dst = op->out.buf;
          r->fold_src = op->in;
          r->fold_gain = vec (r, op->w);
          r->fold_eps = d->p[op->eps];
          return;
        }
      rg_op_rmsnorm (rec, out, buffer (r, op->in.buf), vec (r, op->w), (uint32_t) rows, (uint32_t) cols, d->p[op->eps]);
      break;
    case RG_OP_LINEAR:
      linear (r, op, out);
      break;
    case RG_OP_GELU_TANH:
      rg_op_gelu_tanh (rec, out, buffer (r, op->in.buf), rows * cols);
      break;
    case RG_OP_GELU:
      rg_op_gelu (rec, out, buffer (r, op->in.buf), rows * cols);
      break;
    case RG_OP_QUICK_GELU:
      rg_op_quick_gelu (rec, out, buffer (r, op->in.buf), rows * cols);
      break;
    case RG_OP_RELU:
      rg_op_relu (rec, out, buffer (r, op->in.buf), rows * cols);
      break;
    case RG_OP_TANH_GATE_ADD:
      {
        uint32_t n_alpha, alpha_cols;

        rg_arch_weight_matrix (r->ex->arch, d, op->w, &n_alpha, &alpha_cols);
        rg_op_tanh_gate_add (rec, out, buffer (r, op->in.buf), vec (r, op->w), n_alpha * alpha_cols,
                             op->in2.buf ? buffer (r, op->in2.buf) : NULL, (uint32_t) rows, (uint32_t) cols);
      }
      break;
    case RG_OP_IMAGE_ATTENTION:
      {
        uint32_t D = (uint32_t) d->d[op->head_dim], H = (uint32_t) d->d[op->heads];
        uint64_t seq = r->run->rows[op->kv_rows];

        rg_op_image_attention (rec, out, buffer (r, op->in.buf), buffer (r, op->in2.buf),
                               buffer (r, op->in3.buf), r->run->io[op->mask], (uint32_t) rows, H, D,
                               (uint32_t) seq, (uint32_t) r->run->rows[RG_ROWS_IMAGES], 1.0f / sqrtf ((float) D));
        r->flops += 4.0 * rows * seq * H * D;
      }
      break;
    case RG_OP_SWIGLU:
      rg_op_swiglu (rec, out, buffer (r, op->in.buf), buffer (r, op->in2.buf), rows * cols);
      break;
    case RG_OP_ROPE:
      /* the caches' rows line up (both [context, kv_heads * head_dim]) */
      rg_op_rope_kv (rec, out, (uint32_t) d->d[op->heads], buffer (r, op->in.buf), buffer (r, op->in2.buf),
                     buffer (r, op->cache_k.buf), buffer (r, op->cache_v.buf), offset (r, op->cache_k),
                     (uint32_t) d->d[op->kv_heads], r->ex->kv_f16, r->ex->rope, (uint32_t) rows,
                     (uint32_t) d->d[op->head_dim], (uint32_t) r->run->rows[RG_ROWS_PAST]);
      break;
    case RG_OP_ATTENTION:
      attention (r, op, out);
      break;
    case RG_OP_TAP:
      tap (r, op->name, buffer (r, op->in.buf), offset (r, op->in), rows, cols);
      return;
    case RG_OP_PIXEL_SHUFFLE:
      rg_op_pixel_shuffle (rec, out, buffer (r, op->in.buf), r->run->grid_h, r->run->grid_w, (uint32_t) cols,
                           (uint32_t) d->d[op->head_dim]);
      break;
    }
  if (op->name)
    tap (r, op->name, out, offset (r, op->out), rows, cols);
}

gboolean
rg_exec_vk_run (RgExecVk *ex, RgModel *model, const RgArchProgram *prog,
                RgExecRun *run, GError **error)
{
  g_autofree RgVkBuffer **scratch = g_new0 (RgVkBuffer *, ex->arch->n_buffers);
  g_autoptr(RgVkRecorder) rec = rg_vk_recorder_new (ex->ctx);
  g_autoptr(GPtrArray) tap_bufs = g_ptr_array_new_with_free_func ((GDestroyNotify) rg_vk_buffer_free);
  g_autoptr(GPtrArray) tap_names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) tap_rows = g_array_new (FALSE, FALSE, sizeof (uint64_t));
  Run r = {
    .ex = ex, .model = model, .run = run, .rec = rec, .scratch = scratch,
    .tap_bufs = tap_bufs, .tap_names = tap_names, .tap_rows = tap_rows,
  };
  gboolean ok = TRUE;

  if (ex->budget <= 0)
    ex->budget = FIRST_BUDGET;
  if (ex->fixed_budget > 0)
    ex->budget = ex->fixed_budget;
  for (guint b = 0; ok && b < prog->n_blocks; b++)
    {
      const RgArchBlock *block = &prog->blocks[b];
      guint n = block->layers == RG_DIM_NONE ? 1 : (guint) ex->dims.d[block->layers];

      for (guint l = 0; ok && l < n; l++)
        {
          r.layer = l;
          for (guint i = 0; ok && i < block->n_ops; i++)
            {
              record_op (&r, block->ops, block->n_ops, i);
              /* never between a folded norm and its linears */
              if (run->split && r.flops >= ex->budget && r.fold_dst == 0)
                {
                  ok = submit (&r, error);
                  if (ok && g_cancellable_set_error_if_cancelled (model->cancellable, error))
                    ok = FALSE;
                }
            }
        }
    }
  if (ok)
    ok = submit (&r, error);
  else
    {
      /* wait for what was recorded before freeing its buffers */
      rg_vk_recorder_submit (rec, NULL);
    }
  for (guint b = 0; b < ex->arch->n_buffers; b++)
    g_clear_pointer (&scratch[b], rg_vk_buffer_free);
  return ok;
}
