/* rg-ops-eltwise.c: element-wise ops, one shader (eltwise.comp) with a
 * variant per op. */
#include "config.h"

#include "rg-ops.h"

/* Mirrors `Push` in shaders/eltwise.comp. */
typedef struct
{
  uint32_t n;
  uint32_t dst_offset;
  uint32_t src_offset;
  float s;
} EltwisePush;
G_STATIC_ASSERT (sizeof (EltwisePush) == 16);

static void
eltwise (RgVkRecorder *rec, const char *shader, RgVkBuffer *out, const RgVkBuffer *a,
         const RgVkBuffer *b, uint64_t n, float s, uint64_t dst_offset, uint64_t src_offset,
         double flops_per_elem)
{
  RgVkContext *ctx = rg_vk_recorder_get_context (rec);
  uint32_t wg = rg_op_default_wg (rec);
  EltwisePush push = { (uint32_t) n, (uint32_t) dst_offset, (uint32_t) src_offset, s };
  RgVkBinding bindings[3] = { rg_vk_bind (a), rg_vk_bind (b ? b : a), rg_vk_bind (out) };
  RgVkDispatch d = {
    .shader = shader,
    .spec = { wg },
    .n_spec = 1,
    .bindings = bindings,
    .n_bindings = 3,
    .push = &push,
    .push_size = sizeof push,
    .flops = flops_per_elem * (double) n,
    .bytes = (b ? 12.0 : 8.0) * (double) n,
  };

  if (n == 0)
    return;
  if (n > G_MAXUINT32 || dst_offset + n > G_MAXUINT32 || src_offset + n > G_MAXUINT32)
    {
      rg_vk_recorder_take_error (rec, g_error_new (G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                                   "%s: %" G_GUINT64_FORMAT " elements is too many", shader, n));
      return;
    }
  if (!rg_op_check_size (rec, shader, a, (src_offset + n) * 4) ||
      (b && !rg_op_check_size (rec, shader, b, n * 4)) ||
      !rg_op_check_size (rec, shader, out, (dst_offset + n) * 4))
    return;
  rg_vk_groups_1d (ctx, (n + wg - 1) / wg, d.groups);
  rg_vk_dispatch (rec, &d);
}

void
rg_op_add (RgVkRecorder *rec, RgVkBuffer *out, const RgVkBuffer *a, const RgVkBuffer *b, uint64_t n)
{
  eltwise (rec, "add_f32", out, a, b, n, 0, 0, 0, 1);
}

void
rg_op_gelu_tanh (RgVkRecorder *rec, RgVkBuffer *out, const RgVkBuffer *x, uint64_t n)
{
  eltwise (rec, "gelu_tanh_f32", out, x, NULL, n, 0, 0, 0, 10);
}

void
rg_op_gelu (RgVkRecorder *rec, RgVkBuffer *out, const RgVkBuffer *x, uint64_t n)
{
  eltwise (rec, "gelu_f32", out, x, NULL, n, 0, 0, 0, 14);
}

void
rg_op_quick_gelu (RgVkRecorder *rec, RgVkBuffer *out, const RgVkBuffer *x, uint64_t n)
{
  eltwise (rec, "quick_gelu_f32", out, x, NULL, n, 0, 0, 0, 5);
}

void
rg_op_relu (RgVkRecorder *rec, RgVkBuffer *out, const RgVkBuffer *x, uint64_t n)
{
  eltwise (rec, "relu_f32", out, x, NULL, n, 0, 0, 0, 1);
}

/* Mirrors `Push` in shaders/gate.comp. */
typedef struct
{
  uint32_t rows, cols, n_alpha, has_index;
} GatePush;
G_STATIC_ASSERT (sizeof (GatePush) == 16);

void
rg_op_tanh_gate_add (RgVkRecorder *rec, RgVkBuffer *out, const RgVkBuffer *x,
                     const RgVkBuffer *alpha, uint32_t n_alpha, const RgVkBuffer *row_index,
                     uint32_t rows, uint32_t cols)
{
  RgVkContext *ctx = rg_vk_recorder_get_context (rec);
  uint32_t wg = rg_op_default_wg (rec);
  uint64_t n = (uint64_t) rows * cols;
  GatePush push = { rows, cols, n_alpha, row_index != NULL };
  RgVkBinding bindings[4] = {
    rg_vk_bind (x), rg_vk_bind (alpha), rg_vk_bind (row_index ? row_index : alpha), rg_vk_bind (out),
  };
  RgVkDispatch d = {
    .shader = "tanh_gate_add_f32",
    .spec = { wg },
    .n_spec = 1,
    .bindings = bindings,
    .n_bindings = 4,
    .push = &push,
    .push_size = sizeof push,
    .flops = 3.0 * (double) n,
    .bytes = 12.0 * (double) n,
  };

  if (n == 0)
    return;
  if (n > G_MAXUINT32 || (n_alpha != 1 && n_alpha != cols))
    {
      rg_vk_recorder_take_error (rec, g_error_new (G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                                   "tanh_gate_add: %u x %u with %u gates", rows, cols, n_alpha));
      return;
    }
  if (!rg_op_check_size (rec, d.shader, x, n * 4) ||
      !rg_op_check_size (rec, d.shader, alpha, (uint64_t) n_alpha * 4) ||
      (row_index && !rg_op_check_size (rec, d.shader, row_index, (uint64_t) rows * 4)) ||
      !rg_op_check_size (rec, d.shader, out, n * 4))
    return;
  rg_vk_groups_1d (ctx, (n + wg - 1) / wg, d.groups);
  rg_vk_dispatch (rec, &d);
}

void
rg_op_swiglu (RgVkRecorder *rec, RgVkBuffer *out, const RgVkBuffer *gate, const RgVkBuffer *up, uint64_t n)
{
  eltwise (rec, "swiglu_f32", out, gate, up, n, 0, 0, 0, 5);
}

void
rg_op_copy (RgVkRecorder *rec, RgVkBuffer *dst, uint64_t dst_offset,
            const RgVkBuffer *src, uint64_t src_offset, uint64_t n)
{
  eltwise (rec, "copy_f32", dst, src, NULL, n, 0, dst_offset, src_offset, 0);
}
