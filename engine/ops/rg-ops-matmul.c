/* rg-ops-matmul.c: y = x . W^T (+ bias), the model's linear layers.
 *
 * Two shaders: matvec for the few rows of decode (each weight element
 * read once for all rows: decode is bandwidth-bound), matmul with 32x32
 * shared-memory tiles for prefill and the vision tower. A weight split into
 * chunks is dispatched once per chunk, each writing its slice of columns. */
#include "config.h"

#include "rg-ops.h"

#define MATVEC_MAX_M 8
#define MATVEC_WG 256
/* Block-quantized rows give one block (32 weights) per thread: a 4096-wide
 * row has only 128 blocks, so 256 threads would leave half of them idle. */
#define MATVEC_QUANT_WG 64
#define MATMUL_WG 256
#define MATMUL_TILE 32

/* Mirrors `Push` in shaders/matvec.comp and shaders/matmul.comp. */
typedef struct
{
  uint32_t M;
  uint32_t N;
  uint32_t K;
  uint32_t n_rows;
  uint32_t row0;
  uint32_t has_bias;
  uint32_t tiles_n;
} MatmulPush;
G_STATIC_ASSERT (sizeof (MatmulPush) == 28);

void
rg_op_matmul (RgVkRecorder *rec, RgVkBuffer *out, const RgVkBuffer *x,
              const RgGpuWeight *w, const RgVkBuffer *bias, uint32_t M)
{
  RgVkContext *ctx = rg_vk_recorder_get_context (rec);
  gboolean matvec = M <= MATVEC_MAX_M;
  gboolean texel = rg_vk_context_get_texel_weights (ctx);
  /* mat-vec rows reduced by one subgroup each: no barriers */
  gboolean sg = matvec && rg_vk_context_get_info (ctx)->subgroup_arithmetic;
  g_autofree char *shader = g_strdup_printf ("%s_%s%s%s", matvec ? "matvec" : "matmul",
                                             rg_op_weight_suffix (w->dtype), texel ? "_tex" : "",
                                             sg ? "_sg" : "");
  uint64_t row_bytes = rg_gpu_weight_row_bytes (w);

  if (M == 0)
    return;
  if ((uint64_t) M * w->cols > G_MAXUINT32 || (uint64_t) M * w->rows > G_MAXUINT32)
    {
      rg_vk_recorder_take_error (rec, g_error_new (G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                                   "matmul '%s': %u rows is too many for one call", w->name, M));
      return;
    }
  if (!rg_op_check_size (rec, shader, x, (uint64_t) M * w->cols * 4) ||
      !rg_op_check_size (rec, shader, out, (uint64_t) M * w->rows * 4) ||
      (bias && !rg_op_check_size (rec, shader, bias, (uint64_t) w->rows * 4)))
    return;

  /* Threads per weight row (matvec): enough that each thread handles a
   * useful run of the row (more on CPU devices, where an invocation is
   * expensive), at most 64, a power of two. */
  uint32_t wg = !matvec ? MATMUL_WG : rg_dtype_traits (w->dtype)->block_elems > 1 ? MATVEC_QUANT_WG : MATVEC_WG;
  /* units a thread steps through: elements, or 16-byte groups of a
   * quantized row's values (16 int8 or 32 nibbles); quantized rows are read by at least a
   * subgroup's worth of threads, which then read neighbouring words */
  gboolean quant = rg_dtype_traits (w->dtype)->block_elems > 1;
  uint32_t units = quant ? w->cols / (w->dtype == RG_DTYPE_Q8_0 ? 16 : 32) : w->cols;
  uint32_t per_thread = rg_vk_context_get_info (ctx)->type == VK_PHYSICAL_DEVICE_TYPE_CPU ? 32 : 8;
  uint32_t tpr = quant ? MIN (MAX (rg_vk_context_get_info (ctx)->subgroup_size, 1u), MIN (64u, wg)) : 1;

  while (tpr * 2 <= MIN (64u, wg) && tpr * 2 * per_thread <= units)
    tpr *= 2;
  /* quantized rows per subgroup (one x load serves them all) */
  uint32_t rps = 1;

  if (sg)
    {
      gboolean cpu = rg_vk_context_get_info (ctx)->type == VK_PHYSICAL_DEVICE_TYPE_CPU;

      tpr = rg_vk_context_get_info (ctx)->subgroup_size;
      /* A GPU wants many subgroups in flight: 2 rows each. A CPU device
       * wants x loaded as rarely as possible: up to 16 rows, kept under
       * lavapipe's 65535 loop iterations per invocation (which it
       * enforces silently) with a wide margin. */
      if (quant && !cpu)
        rps = 2;
      else if (quant)
        {
          uint64_t per_row = (uint64_t) (units + tpr - 1) / tpr * (5u * M + 4u);

          rps = 16;
          while (rps > 1 && per_row * rps > 30000)
            rps /= 2;
        }
    }

  for (guint c = 0; c < w->n_chunks; c++)
    {
      uint32_t row0 = c * w->rows_per_chunk;
      uint32_t n_rows = MIN (w->rows_per_chunk, w->rows - row0);
      RgVkBinding bindings[4] = {
        rg_vk_bind (x), rg_vk_bind (w->chunks[c]), rg_vk_bind (bias ? bias : x), rg_vk_bind (out),
      };
      MatmulPush push = { M, w->rows, w->cols, n_rows, row0, bias != NULL, 0 };
      RgVkDispatch d = {
        .shader = shader,
        .spec = { wg, tpr, M, rps },
        .n_spec = matvec ? 4 : 1,
        .bindings = bindings,
        .n_bindings = 4,
        .texels = (const RgVkBuffer *const *) &w->chunks[c],
        .n_texels = texel ? 1 : 0,
        .push = &push,
        .push_size = sizeof push,
        .flops = 2.0 * M * n_rows * w->cols,
        .bytes = (double) n_rows * row_bytes + 4.0 * M * (w->cols + n_rows),
      };
      uint64_t n_groups;

      if (matvec)
        n_groups = (n_rows + wg / tpr * rps - 1) / (wg / tpr * rps);
      else
        {
          uint32_t tiles_m = (M + MATMUL_TILE - 1) / MATMUL_TILE;
          push.tiles_n = (n_rows + MATMUL_TILE - 1) / MATMUL_TILE;
          n_groups = (uint64_t) tiles_m * push.tiles_n;
        }
      rg_vk_groups_1d (ctx, n_groups, d.groups);
      rg_vk_dispatch (rec, &d);
    }
}
