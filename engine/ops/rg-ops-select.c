/* rg-ops-select.c: argmax and top-k over the vocabulary (sampling). */
#include "config.h"

#include "rg-ops.h"

#define SELECT_WG 256
#define TOPK_MAX 64

typedef struct
{
  uint32_t n, k;
} SelectPush;
G_STATIC_ASSERT (sizeof (SelectPush) == 8);

static void
select_op (RgVkRecorder *rec, const char *shader, RgVkBuffer *out_idx, RgVkBuffer *out_values,
           const RgVkBuffer *x, uint32_t n, uint32_t k)
{
  SelectPush push = { n, k };
  RgVkBinding bindings[3] = { rg_vk_bind (x), rg_vk_bind (out_idx), rg_vk_bind (out_values ? out_values : out_idx) };
  RgVkDispatch d = {
    .shader = shader,
    .spec = { SELECT_WG },
    .n_spec = 1,
    .bindings = bindings,
    .n_bindings = 3,
    .push = &push,
    .push_size = sizeof push,
    .groups = { 1, 1, 1 },
    .bytes = 4.0 * n * k,
  };

  if (n == 0 || k == 0)
    {
      rg_vk_recorder_take_error (rec, g_error_new (G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                                   "%s: empty input", shader));
      return;
    }
  if (k > TOPK_MAX || k > n)
    {
      rg_vk_recorder_take_error (rec, g_error_new (G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                                   "%s: k = %u (at most %u and n)", shader, k, TOPK_MAX));
      return;
    }
  if (!rg_op_check_size (rec, shader, x, (uint64_t) n * 4) ||
      !rg_op_check_size (rec, shader, out_idx, (uint64_t) k * 4) ||
      (out_values && !rg_op_check_size (rec, shader, out_values, (uint64_t) k * 4)))
    return;
  rg_vk_dispatch (rec, &d);
}

void
rg_op_argmax (RgVkRecorder *rec, RgVkBuffer *out, const RgVkBuffer *x, uint32_t n)
{
  select_op (rec, "argmax", out, NULL, x, n, 1);
}

void
rg_op_topk (RgVkRecorder *rec, RgVkBuffer *out_idx, RgVkBuffer *out_values,
            const RgVkBuffer *x, uint32_t n, uint32_t k)
{
  select_op (rec, "topk", out_idx, out_values, x, n, k);
}
