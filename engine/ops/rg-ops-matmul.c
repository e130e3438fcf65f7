/* rg-ops-matmul.c: y = x . W^T (+ bias), the model's linear layers.
 *
 * Two shaders: matvec for the few rows of decode (each weight element
 * read once for all rows: decode is bandwidth-bound), matmul with 32x32
 * shared-memory tiles for long prefills and the vision tower on GPUs. A
 * weight split into chunks is dispatched once per chunk, each writing its
 * slice of columns. $REGARD_MATMUL=tiled|matvec forces one of them for
 * batches of more than 8 rows (the tests cover both). */
#include "config.h"

#include "rg-ops.h"

#define MATVEC_MAX_M 8
#define MATVEC_BATCH_MAX_M 32
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
  uint32_t tiles_n;   /* matmul */
  uint32_t m0;        /* matvec: first row of x and y of this slice */
} MatmulPush;
G_STATIC_ASSERT (sizeof (MatmulPush) == 32);

/* How a mat-vec spreads over the device (see shaders/matvec.comp). */
typedef struct
{
  gboolean texel, sg;
  uint32_t wg;    /* workgroup size */
  uint32_t tpr;   /* threads per weight row */
  uint32_t rps;   /* quantized weight rows per subgroup */
} MatvecPlan;

static MatvecPlan
plan_matvec (RgVkContext *ctx, const RgGpuWeight *w, uint32_t nm)
{
  const RgVkDeviceInfo *info = rg_vk_context_get_info (ctx);
  gboolean cpu = info->type == VK_PHYSICAL_DEVICE_TYPE_CPU;
  gboolean quant = rg_dtype_traits (w->dtype)->block_elems > 1;
  /* units a thread steps through: elements, or blocks of 32 */
  uint32_t units = quant ? w->cols / 32 : w->cols;
  /* more work per thread on CPU devices, where an invocation is expensive */
  uint32_t per_thread = cpu ? 32 : 8;
  MatvecPlan pl = {
    .texel = rg_vk_context_get_texel_weights (ctx),
    /* rows reduced by one subgroup each: no barriers */
    .sg = info->subgroup_arithmetic,
    .wg = quant ? MATVEC_QUANT_WG : MATVEC_WG,
    .rps = 1,
  };

  /* quantized rows are read by at least a subgroup's worth of threads,
   * which then read neighbouring 16-byte groups */
  pl.tpr = quant ? MIN (MAX (info->subgroup_size, 1u), MIN (64u, pl.wg)) : 1;
  while (pl.tpr * 2 <= MIN (64u, pl.wg) && pl.tpr * 2 * per_thread <= units)
    pl.tpr *= 2;

  if (pl.sg)
    {
      pl.tpr = info->subgroup_size;
      /* Several rows per subgroup share each load of x. A GPU wants
       * many subgroups in flight: 2 rows each. A CPU device wants x
       * loaded as rarely as possible: up to 32 rows (fewer for several
       * rows of x, whose accumulators multiply), the shader's row loops
       * unrolled. Lavapipe silently stops a loop after 65535 iterations;
       * the loop over a row's units stays far below that. */
      if (!cpu)
        pl.rps = 2;
      else
        {
          uint64_t iterations = (uint64_t) (units + pl.tpr - 1) / pl.tpr;

          pl.rps = nm == 1 ? 32 : nm <= 2 ? 16 : 8;
          if (iterations > 30000)
            pl.rps = 1;
        }
    }
  return pl;
}

/* Rows [m0, m0 + nm) of x through the mat-vec shader, every chunk. */
static void
record_matvec (RgVkRecorder *rec, RgVkBuffer *out, const RgVkBuffer *x, const RgGpuWeight *w,
               const RgVkBuffer *bias, uint32_t m0, uint32_t nm)
{
  RgVkContext *ctx = rg_vk_recorder_get_context (rec);
  MatvecPlan pl = plan_matvec (ctx, w, nm);
  g_autofree char *shader = g_strdup_printf ("matvec_%s%s%s", rg_op_weight_suffix (w->dtype),
                                             pl.texel ? "_tex" : "", pl.sg ? "_sg" : "");
  uint64_t row_bytes = rg_gpu_weight_row_bytes (w);
  gboolean quant = rg_dtype_traits (w->dtype)->block_elems > 1;

  for (guint c = 0; c < w->n_chunks; c++)
    {
      uint32_t row0 = c * w->rows_per_chunk;
      uint32_t n_rows = MIN (w->rows_per_chunk, w->rows - row0);
      RgVkBinding bindings[4] = {
        rg_vk_bind (x), rg_vk_bind (w->chunks[c]), rg_vk_bind (bias ? bias : x), rg_vk_bind (out),
      };
      MatmulPush push = { nm, w->rows, w->cols, n_rows, row0, bias != NULL, 0, m0 };
      uint32_t rows_per_group = pl.wg / pl.tpr * pl.rps;
      const RgVkBuffer *texels[2] = { w->chunks[c], x };
      RgVkDispatch d = {
        .shader = shader,
        .spec = { pl.wg, pl.tpr, nm, pl.rps },
        .n_spec = 4,
        .bindings = bindings,
        .n_bindings = 4,
        .texels = texels,
        /* quantized variants read x through texels too */
        .n_texels = pl.texel ? (quant ? 2 : 1) : 0,
        .push = &push,
        .push_size = sizeof push,
        .flops = 2.0 * nm * n_rows * w->cols,
        .bytes = (double) n_rows * row_bytes + 4.0 * nm * (w->cols + n_rows),
      };

      rg_vk_groups_1d (ctx, (n_rows + rows_per_group - 1) / rows_per_group, d.groups);
      rg_vk_dispatch (rec, &d);
    }
}

static void
record_tiled (RgVkRecorder *rec, RgVkBuffer *out, const RgVkBuffer *x, const RgGpuWeight *w,
              const RgVkBuffer *bias, uint32_t M)
{
  RgVkContext *ctx = rg_vk_recorder_get_context (rec);
  gboolean texel = rg_vk_context_get_texel_weights (ctx);
  g_autofree char *shader = g_strdup_printf ("matmul_%s%s", rg_op_weight_suffix (w->dtype), texel ? "_tex" : "");
  uint64_t row_bytes = rg_gpu_weight_row_bytes (w);

  for (guint c = 0; c < w->n_chunks; c++)
    {
      uint32_t row0 = c * w->rows_per_chunk;
      uint32_t n_rows = MIN (w->rows_per_chunk, w->rows - row0);
      RgVkBinding bindings[4] = {
        rg_vk_bind (x), rg_vk_bind (w->chunks[c]), rg_vk_bind (bias ? bias : x), rg_vk_bind (out),
      };
      uint32_t tiles_m = (M + MATMUL_TILE - 1) / MATMUL_TILE;
      MatmulPush push = { M, w->rows, w->cols, n_rows, row0, bias != NULL,
                          (n_rows + MATMUL_TILE - 1) / MATMUL_TILE, 0 };
      RgVkDispatch d = {
        .shader = shader,
        .spec = { MATMUL_WG },
        .n_spec = 1,
        .bindings = bindings,
        .n_bindings = 4,
        .texels = (const RgVkBuffer *const *) &w->chunks[c],
        .n_texels = texel ? 1 : 0,
        .push = &push,
        .push_size = sizeof push,
        .flops = 2.0 * M * n_rows * w->cols,
        .bytes = (double) n_rows * row_bytes + 4.0 * M * (w->cols + n_rows),
      };

      rg_vk_groups_1d (ctx, (uint64_t) tiles_m * push.tiles_n, d.groups);
      rg_vk_dispatch (rec, &d);
    }
}

void
rg_op_matmul (RgVkRecorder *rec, RgVkBuffer *out, const RgVkBuffer *x,
              const RgGpuWeight *w, const RgVkBuffer *bias, uint32_t M)
{
  RgVkContext *ctx = rg_vk_recorder_get_context (rec);
  gboolean cpu = rg_vk_context_get_info (ctx)->type == VK_PHYSICAL_DEVICE_TYPE_CPU;

  if (M == 0)
    return;
  if ((uint64_t) M * w->cols > G_MAXUINT32 || (uint64_t) M * w->rows > G_MAXUINT32)
    {
      rg_vk_recorder_take_error (rec, g_error_new (G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                                   "matmul '%s': %u rows is too many for one call", w->name, M));
      return;
    }
  if (!rg_op_check_size (rec, "matmul", x, (uint64_t) M * w->cols * 4) ||
      !rg_op_check_size (rec, "matmul", out, (uint64_t) M * w->rows * 4) ||
      (bias && !rg_op_check_size (rec, "matmul", bias, (uint64_t) w->rows * 4)))
    return;

  /* Decode takes the mat-vec. So does a short prefill, in slices of 8
   * rows (each slice reads the weights once), and on CPU devices every
   * batch: there the tiled matmul's shared-memory tiles and barriers cost
   * far more than re-reading weights (1 against 40 GFLOP/s-equivalent on
   * lavapipe). */
  const char *force = g_getenv ("REGARD_MATMUL");
  gboolean batch_matvec = cpu || M <= MATVEC_BATCH_MAX_M;

  if (g_strcmp0 (force, "tiled") == 0)
    batch_matvec = FALSE;
  else if (g_strcmp0 (force, "matvec") == 0)
    batch_matvec = TRUE;
  if (M <= MATVEC_MAX_M || batch_matvec)
    {
      for (uint32_t m0 = 0; m0 < M; m0 += MATVEC_MAX_M)
        record_matvec (rec, out, x, w, bias, m0, MIN (MATVEC_MAX_M, M - m0));
    }
  else
    record_tiled (rec, out, x, w, bias, M);
}
