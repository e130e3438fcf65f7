/* rg-ops-softmax.c: row softmax, one workgroup per row (shaders/softmax.comp). */
#include "config.h"

#include "rg-ops.h"
#include "regard-error.h"

/* Mirrors `Push` in shaders/softmax.comp. */
typedef struct
{
  uint32_t rows;
  uint32_t n;
} SoftmaxPush;
G_STATIC_ASSERT (sizeof (SoftmaxPush) == 8);

void
rg_op_softmax (RgVkRecorder *rec, RgVkBuffer *out, const RgVkBuffer *x, uint32_t rows, uint32_t n)
{
  RgVkContext *ctx = rg_vk_recorder_get_context (rec);
  uint32_t wg = rg_op_row_wg (rec, n);
  uint64_t total = (uint64_t) rows * n;
  SoftmaxPush push = { rows, n };
  RgVkBinding bindings[2] = { rg_vk_bind (x), rg_vk_bind (out) };
  RgVkDispatch d = {
    .shader = "softmax_f32",
    .spec = { wg },
    .n_spec = 1,
    .bindings = bindings,
    .n_bindings = 2,
    .push = &push,
    .push_size = sizeof push,
    .flops = 5.0 * (double) total,
    .bytes = 12.0 * (double) total,
  };

  if (rows == 0 || n == 0)
    return;
  if (total > G_MAXUINT32)
    {
      rg_vk_recorder_take_error (rec, g_error_new (REGARD_ERROR, REGARD_ERROR_FAILED,
                                                   "softmax_f32: %u x %u elements is too many", rows, n));
      return;
    }
  if (!rg_op_check_size (rec, "softmax_f32", x, total * 4) ||
      !rg_op_check_size (rec, "softmax_f32", out, total * 4))
    return;
  rg_vk_groups_1d (ctx, rows, d.groups);
  rg_vk_dispatch (rec, &d);
}
