/* rg-ops-norm.c: LayerNorm and RMSNorm, one workgroup per row
 * (shaders/norm.comp). */
#include "config.h"

#include "rg-ops.h"
#include "regard-error.h"

/* Mirrors `Push` in shaders/norm.comp. */
typedef struct
{
  uint32_t rows;
  uint32_t dim;
  float eps;
  uint32_t has_bias;
} NormPush;
G_STATIC_ASSERT (sizeof (NormPush) == 16);

static void
norm (RgVkRecorder *rec, const char *shader, RgVkBuffer *out, const RgVkBuffer *x,
      const RgVkBuffer *w, const RgVkBuffer *b, uint32_t rows, uint32_t dim, float eps)
{
  RgVkContext *ctx = rg_vk_recorder_get_context (rec);
  uint64_t n = (uint64_t) rows * dim;
  /* A row is read two or three times from cache: a workgroup of 256 keeps
   * rows of a few thousand in a handful of loads per invocation. */
  uint32_t wg = rg_op_row_wg (rec, dim);
  NormPush push = { rows, dim, eps, b != NULL };
  RgVkBinding bindings[4] = { rg_vk_bind (x), rg_vk_bind (w), rg_vk_bind (b ? b : w), rg_vk_bind (out) };
  RgVkDispatch d = {
    .shader = shader,
    .spec = { wg },
    .n_spec = 1,
    .bindings = bindings,
    .n_bindings = 4,
    .push = &push,
    .push_size = sizeof push,
    .flops = 5.0 * (double) n,
    .bytes = 12.0 * (double) n,
  };

  if (rows == 0 || dim == 0)
    return;
  if (n > G_MAXUINT32)
    {
      rg_vk_recorder_take_error (rec, g_error_new (REGARD_ERROR, REGARD_ERROR_FAILED,
                                                   "%s: %u x %u elements is too many", shader, rows, dim));
      return;
    }
  if (!rg_op_check_size (rec, shader, x, n * 4) ||
      !rg_op_check_size (rec, shader, w, (uint64_t) dim * 4) ||
      (b && !rg_op_check_size (rec, shader, b, (uint64_t) dim * 4)) ||
      !rg_op_check_size (rec, shader, out, n * 4))
    return;
  rg_vk_groups_1d (ctx, rows, d.groups);
  rg_vk_dispatch (rec, &d);
}

void
rg_op_layernorm (RgVkRecorder *rec, RgVkBuffer *out, const RgVkBuffer *x,
                 const RgVkBuffer *w, const RgVkBuffer *b, uint32_t rows, uint32_t dim, float eps)
{
  norm (rec, "layernorm_f32", out, x, w, b, rows, dim, eps);
}

void
rg_op_rmsnorm (RgVkRecorder *rec, RgVkBuffer *out, const RgVkBuffer *x,
               const RgVkBuffer *w, uint32_t rows, uint32_t dim, float eps)
{
  norm (rec, "rmsnorm_f32", out, x, w, NULL, rows, dim, eps);
}
