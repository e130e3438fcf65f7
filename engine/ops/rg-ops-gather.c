/* rg-ops-gather.c: embedding lookup, row scatter, patch embedding, pixel
 * shuffle. */
#include "config.h"

#include "rg-ops.h"

typedef struct
{
  uint32_t n, dim, row0, n_rows, total_rows;
  int32_t id0;
  uint32_t keep_others;
} EmbeddingPush;
G_STATIC_ASSERT (sizeof (EmbeddingPush) == 28);

typedef struct
{
  uint32_t n, dim;
} ScatterPush;
G_STATIC_ASSERT (sizeof (ScatterPush) == 8);

typedef struct
{
  uint32_t C, H, W, P, gh, gw;
} Im2colPush;
G_STATIC_ASSERT (sizeof (Im2colPush) == 24);

typedef struct
{
  uint32_t gh, gw, D, s;
} PixelShufflePush;
G_STATIC_ASSERT (sizeof (PixelShufflePush) == 16);

static gboolean
check_elements (RgVkRecorder *rec, const char *op, uint64_t n)
{
  if (n > G_MAXUINT32)
    {
      rg_vk_recorder_take_error (rec, g_error_new (G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                                   "%s: %" G_GUINT64_FORMAT " elements is too many", op, n));
      return FALSE;
    }
  return TRUE;
}

static void
embedding (RgVkRecorder *rec, RgVkBuffer *out, const RgGpuWeight *table,
           const RgVkBuffer *ids, uint32_t n, int32_t id0, gboolean keep_others)
{
  RgVkContext *ctx = rg_vk_recorder_get_context (rec);
  g_autofree char *shader = g_strdup_printf ("embedding_%s", rg_op_weight_suffix (table->dtype));
  uint64_t total = (uint64_t) n * table->cols;
  uint32_t wg = rg_op_default_wg (rec);

  if (n == 0 || !check_elements (rec, shader, total) ||
      !rg_op_check_size (rec, shader, ids, (uint64_t) n * 4) ||
      !rg_op_check_size (rec, shader, out, total * 4))
    return;
  for (guint c = 0; c < table->n_chunks; c++)
    {
      uint32_t row0 = c * table->rows_per_chunk;
      EmbeddingPush push = {
        n, table->cols, row0, MIN (table->rows_per_chunk, table->rows - row0), table->rows, id0, keep_others,
      };
      RgVkBinding bindings[3] = { rg_vk_bind (ids), rg_vk_bind (table->chunks[c]), rg_vk_bind (out) };
      RgVkDispatch d = {
        .shader = shader,
        .spec = { wg },
        .n_spec = 1,
        .bindings = bindings,
        .n_bindings = 3,
        .push = &push,
        .push_size = sizeof push,
        .bytes = 8.0 * (double) total / table->n_chunks,
      };

      rg_vk_groups_1d (ctx, (total + wg - 1) / wg, d.groups);
      rg_vk_dispatch (rec, &d);
    }
}

void
rg_op_embedding (RgVkRecorder *rec, RgVkBuffer *out, const RgGpuWeight *table,
                 const RgVkBuffer *ids, uint32_t n)
{
  embedding (rec, out, table, ids, n, 0, FALSE);
}

void
rg_op_embedding_range (RgVkRecorder *rec, RgVkBuffer *out, const RgGpuWeight *table,
                       const RgVkBuffer *ids, uint32_t n, int32_t id0)
{
  embedding (rec, out, table, ids, n, id0, TRUE);
}

void
rg_op_scatter_rows (RgVkRecorder *rec, RgVkBuffer *dst, const RgVkBuffer *src,
                    const RgVkBuffer *rows, uint32_t n, uint32_t dim)
{
  RgVkContext *ctx = rg_vk_recorder_get_context (rec);
  uint64_t total = (uint64_t) n * dim;
  uint32_t wg = rg_op_default_wg (rec);
  ScatterPush push = { n, dim };
  RgVkBinding bindings[3] = { rg_vk_bind (src), rg_vk_bind (rows), rg_vk_bind (dst) };
  RgVkDispatch d = {
    .shader = "scatter_rows",
    .spec = { wg },
    .n_spec = 1,
    .bindings = bindings,
    .n_bindings = 3,
    .push = &push,
    .push_size = sizeof push,
    .bytes = 8.0 * (double) total,
  };

  if (n == 0 || !check_elements (rec, d.shader, total) ||
      !rg_op_check_size (rec, d.shader, src, total * 4) ||
      !rg_op_check_size (rec, d.shader, rows, (uint64_t) n * 4))
    return;
  rg_vk_groups_1d (ctx, (total + wg - 1) / wg, d.groups);
  rg_vk_dispatch (rec, &d);
}

void
rg_op_patch_embed (RgVkRecorder *rec, RgVkBuffer *out, const RgVkBuffer *pixels,
                   const RgGpuWeight *weight, const RgVkBuffer *bias,
                   uint32_t C, uint32_t H, uint32_t W, uint32_t P)
{
  RgVkContext *ctx = rg_vk_recorder_get_context (rec);
  g_autoptr(GError) error = NULL;
  uint32_t gh = P ? H / P : 0, gw = P ? W / P : 0;
  uint64_t kdim = (uint64_t) C * P * P;
  uint64_t total = (uint64_t) gh * gw * kdim;
  uint32_t wg = rg_op_default_wg (rec);
  Im2colPush push = { C, H, W, P, gh, gw };
  RgVkBuffer *cols;

  if (gh == 0 || gw == 0)
    return;
  if (weight->cols != kdim)
    {
      rg_vk_recorder_take_error (rec, g_error_new (G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                                   "patch_embed: weight '%s' has %u columns, expected %"
                                                   G_GUINT64_FORMAT, weight->name, weight->cols, kdim));
      return;
    }
  if (!check_elements (rec, "im2col", total) ||
      !rg_op_check_size (rec, "im2col", pixels, (uint64_t) C * H * W * 4))
    return;

  /* The patch matrix lives until the recorder is freed: ops do not own
   * scratch memory, so it is tied to the recorder. */
  cols = rg_vk_buffer_new (ctx, "patch-embed im2col", total * 4, &error);
  if (cols == NULL)
    {
      rg_vk_recorder_take_error (rec, g_steal_pointer (&error));
      return;
    }
  rg_vk_recorder_keep_buffer (rec, cols);
  {
    RgVkBinding bindings[2] = { rg_vk_bind (pixels), rg_vk_bind (cols) };
    RgVkDispatch d = {
      .shader = "im2col",
      .spec = { wg },
      .n_spec = 1,
      .bindings = bindings,
      .n_bindings = 2,
      .push = &push,
      .push_size = sizeof push,
      .bytes = 8.0 * (double) total,
    };

    rg_vk_groups_1d (ctx, (total + wg - 1) / wg, d.groups);
    rg_vk_dispatch (rec, &d);
  }
  rg_op_linear (rec, out, cols, weight, RG_LINEAR_BIAS (bias), gh * gw);
}

void
rg_op_pixel_shuffle (RgVkRecorder *rec, RgVkBuffer *out, const RgVkBuffer *in,
                     uint32_t gh, uint32_t gw, uint32_t D, uint32_t s)
{
  RgVkContext *ctx = rg_vk_recorder_get_context (rec);
  uint64_t total = (uint64_t) gh * gw * D;
  uint32_t wg = rg_op_default_wg (rec);
  PixelShufflePush push = { gh, gw, D, s };
  RgVkBinding bindings[2] = { rg_vk_bind (in), rg_vk_bind (out) };
  RgVkDispatch d = {
    .shader = "pixel_shuffle",
    .spec = { wg },
    .n_spec = 1,
    .bindings = bindings,
    .n_bindings = 2,
    .push = &push,
    .push_size = sizeof push,
    .bytes = 8.0 * (double) total,
  };

  if (total == 0)
    return;
  if (s == 0 || gh % s != 0 || gw % s != 0)
    {
      rg_vk_recorder_take_error (rec, g_error_new (G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                                   "pixel_shuffle: a %u x %u grid is not made of %u x %u blocks",
                                                   gh, gw, s, s));
      return;
    }
  if (!check_elements (rec, d.shader, total) ||
      !rg_op_check_size (rec, d.shader, in, total * 4) ||
      !rg_op_check_size (rec, d.shader, out, total * 4))
    return;
  rg_vk_groups_1d (ctx, (total + wg - 1) / wg, d.groups);
  rg_vk_dispatch (rec, &d);
}
