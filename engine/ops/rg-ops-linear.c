/* rg-ops-linear.c: y = x . W^T (+ bias), the model's linear layers.
 *
 * Three shaders: matvec for the few rows of decode (each weight element
 * read once for all rows: decode is bandwidth-bound), matmul with 32x32
 * shared-memory tiles for long prefills and the vision tower on GPUs, and
 * matmul_cpu, register tiles for the same on CPU devices. A weight split
 * into chunks is dispatched once per chunk, each writing its slice of
 * columns. $REGARD_MATMUL=tiled|cpu|matvec forces one of them for batches
 * of more than 8 rows (the tests cover each). */
#include "config.h"

#include "rg-ops.h"
#include "regard-error.h"

#define MATVEC_MAX_M 8
#define MATVEC_BATCH_MAX_M 32
#define MATVEC_WG 256
/* Block-quantized rows give one block (32 weights) per thread: a 4096-wide
 * row has only 128 blocks, so 256 threads would leave half of them idle. */
#define MATVEC_QUANT_WG 64
#define MATMUL_WG 256
#define MATMUL_TILE 32
/* matmul_cpu: a subgroup's tile is CPU_TILE_M rows of x by CPU_TILE_ROWS
 * weight rows. On lavapipe (2 cores, Q8_0 [128, 4096] x [3584, 4096]^T,
 * CPU time) 6 x 16 took 145 ms, 4 x 16 156, 4 x 24 147, 8 x 16 174, 8 x 32
 * 166, 16 x 16 193, against 280 for the 8-row mat-vec slices: larger
 * tiles unroll into loop bodies too big for the instruction cache. */
#define CPU_TILE_M 6
#define CPU_TILE_ROWS 16

/* Mirrors `Push` and LINEAR_* in shaders/linear.glsl. */
typedef struct
{
  uint32_t M;
  uint32_t N;
  uint32_t K;
  uint32_t n_rows;
  uint32_t row0;
  uint32_t flags;
  uint32_t tiles_n;   /* matmul */
  uint32_t m0;        /* matvec: first row of x and y of this slice */
  uint32_t y_offset;
  float norm_eps;
} LinearPush;
G_STATIC_ASSERT (sizeof (LinearPush) == 40);

enum
{
  LINEAR_BIAS = 1,
  LINEAR_ACCUMULATE = 2,
  LINEAR_NORM = 4,
  LINEAR_GATE_SILU = 8,
};

static uint32_t
linear_flags (const RgLinearParams *lp)
{
  return (lp->bias ? LINEAR_BIAS : 0) | (lp->accumulate ? LINEAR_ACCUMULATE : 0) |
         (lp->norm_gain ? LINEAR_NORM : 0) | (lp->gate_silu ? LINEAR_GATE_SILU : 0);
}

/* How a mat-vec spreads over the device (see shaders/matvec.comp and
 * matvec_subgroup.comp). */
typedef struct
{
  gboolean texel, sg;
  uint32_t wg;    /* workgroup size */
  uint32_t tpr;   /* threads per weight row */
  uint32_t rps;   /* weight rows per subgroup */
  uint32_t iterations;   /* of the loop over a row's units, per invocation */
} MatvecPlan;

static MatvecPlan
plan_matvec (RgVkContext *ctx, const RgGpuWeight *w, uint32_t nm)
{
  const RgVkDeviceInfo *info = rg_vk_context_get_info (ctx);
  gboolean cpu = info->type == VK_PHYSICAL_DEVICE_TYPE_CPU;
  gboolean quant = rg_dtype_traits (w->dtype)->block_elems > 1;
  /* units a thread steps through: elements, or blocks of 32 */
  uint32_t units = quant ? w->cols / 32 : w->cols;
  uint32_t texel_elems = quant ? 0 : 16 / rg_dtype_traits (w->dtype)->block_bytes;
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
       * unrolled. */
      pl.rps = !cpu ? 2 : nm == 1 ? 32 : nm <= 2 ? 16 : 8;
    }
  /* the subgroup shader steps through whole texels of plain rows */
  if (pl.sg && !quant && w->cols % texel_elems == 0)
    units = w->cols / texel_elems;
  pl.iterations = (units + pl.tpr - 1) / pl.tpr;
  return pl;
}

/* Rows [m0, m0 + nm) of x through the mat-vec shader, every chunk. */
static void
record_matvec (RgVkRecorder *rec, RgVkBuffer *out, const RgVkBuffer *x, const RgGpuWeight *w,
               const RgLinearParams *lp, uint32_t m0, uint32_t nm)
{
  RgVkContext *ctx = rg_vk_recorder_get_context (rec);
  MatvecPlan pl = plan_matvec (ctx, w, nm);
  g_autofree char *shader = g_strdup_printf ("matvec_%s%s%s", rg_op_weight_suffix (w->dtype),
                                             pl.texel ? "_tex" : "", pl.sg ? "_sg" : "");
  uint64_t row_bytes = rg_gpu_weight_row_bytes (w);
  gboolean quant = rg_dtype_traits (w->dtype)->block_elems > 1;
  /* as shaders/matvec_subgroup.comp: rows of whole 16-byte texels take the
   * vectorized path, which reads x as texels */
  gboolean x_texels = quant || (pl.sg && w->cols % (16 / rg_dtype_traits (w->dtype)->block_bytes) == 0);
  const RgVkBuffer *gain = lp->norm_gain ? lp->norm_gain : x;

  /* lavapipe silently stops a loop after 65535 iterations */
  if (rg_vk_context_get_info (ctx)->type == VK_PHYSICAL_DEVICE_TYPE_CPU && pl.iterations > 60000)
    {
      rg_vk_recorder_take_error (rec, g_error_new (REGARD_ERROR, REGARD_ERROR_UNSUPPORTED,
                                                   "linear '%s': rows of %u are too wide for this device",
                                                   w->name, w->cols));
      return;
    }
  for (guint c = 0; c < w->n_chunks; c++)
    {
      uint32_t row0 = c * w->rows_per_chunk;
      uint32_t n_rows = MIN (w->rows_per_chunk, w->rows - row0);
      RgVkBinding bindings[6] = {
        rg_vk_bind (x), rg_vk_bind (w->chunks[c]), rg_vk_bind (lp->bias ? lp->bias : x), rg_vk_bind (out),
        rg_vk_bind (gain), rg_vk_bind (lp->gate_silu ? lp->gate_silu : x),
      };
      LinearPush push = { nm, w->rows, w->cols, n_rows, row0, linear_flags (lp), 0, m0,
                          (uint32_t) lp->out_offset, lp->norm_eps };
      uint32_t rows_per_group = pl.wg / pl.tpr * pl.rps;
      const RgVkBuffer *texels[3] = { w->chunks[c], x, gain };
      RgVkDispatch d = {
        .shader = shader,
        .spec = { pl.wg, pl.tpr, nm, pl.rps },
        .n_spec = 4,
        .bindings = bindings,
        .n_bindings = 6,
        .texels = texels,
        /* whole texels of x (and the norm gain) go through texels too */
        .n_texels = pl.texel ? (x_texels ? 3 : 1) : 0,
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
              const RgLinearParams *lp, uint32_t M)
{
  RgVkContext *ctx = rg_vk_recorder_get_context (rec);
  gboolean texel = rg_vk_context_get_texel_weights (ctx);
  g_autofree char *shader = g_strdup_printf ("matmul_%s%s", rg_op_weight_suffix (w->dtype), texel ? "_tex" : "");
  uint64_t row_bytes = rg_gpu_weight_row_bytes (w);

  g_return_if_fail (lp->norm_gain == NULL);
  for (guint c = 0; c < w->n_chunks; c++)
    {
      uint32_t row0 = c * w->rows_per_chunk;
      uint32_t n_rows = MIN (w->rows_per_chunk, w->rows - row0);
      RgVkBinding bindings[6] = {
        rg_vk_bind (x), rg_vk_bind (w->chunks[c]), rg_vk_bind (lp->bias ? lp->bias : x), rg_vk_bind (out),
        rg_vk_bind (x), rg_vk_bind (lp->gate_silu ? lp->gate_silu : x),
      };
      uint32_t tiles_m = (M + MATMUL_TILE - 1) / MATMUL_TILE;
      LinearPush push = { M, w->rows, w->cols, n_rows, row0, linear_flags (lp),
                          (n_rows + MATMUL_TILE - 1) / MATMUL_TILE, 0, (uint32_t) lp->out_offset, 0.0f };
      RgVkDispatch d = {
        .shader = shader,
        .spec = { MATMUL_WG },
        .n_spec = 1,
        .bindings = bindings,
        .n_bindings = 6,
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

/* Whether matmul_cpu can read W: texels of x and of plain rows must not
 * straddle rows. */
static gboolean
cpu_tiled_fits (RgVkContext *ctx, const RgGpuWeight *w)
{
  const RgVkDeviceInfo *info = rg_vk_context_get_info (ctx);
  const RgDTypeTraits *tr = rg_dtype_traits (w->dtype);

  return rg_vk_context_get_texel_weights (ctx) && info->subgroup_arithmetic && w->cols % 4 == 0 &&
         (tr->block_elems > 1 || w->cols % (16 / tr->block_bytes) == 0);
}

static void
record_cpu_tiled (RgVkRecorder *rec, RgVkBuffer *out, const RgVkBuffer *x, const RgGpuWeight *w,
                  const RgLinearParams *lp, uint32_t M)
{
  RgVkContext *ctx = rg_vk_recorder_get_context (rec);
  uint32_t sg = rg_vk_context_get_info (ctx)->subgroup_size;
  g_autofree char *shader = g_strdup_printf ("matmul_cpu_%s", rg_op_weight_suffix (w->dtype));
  uint64_t row_bytes = rg_gpu_weight_row_bytes (w);
  uint32_t tiles_m = (M + CPU_TILE_M - 1) / CPU_TILE_M;

  for (guint c = 0; c < w->n_chunks; c++)
    {
      uint32_t row0 = c * w->rows_per_chunk;
      uint32_t n_rows = MIN (w->rows_per_chunk, w->rows - row0);
      RgVkBinding bindings[6] = {
        rg_vk_bind (x), rg_vk_bind (w->chunks[c]), rg_vk_bind (lp->bias ? lp->bias : x), rg_vk_bind (out),
        rg_vk_bind (x), rg_vk_bind (lp->gate_silu ? lp->gate_silu : x),
      };
      uint32_t tiles_n = (n_rows + CPU_TILE_ROWS - 1) / CPU_TILE_ROWS;
      LinearPush push = { M, w->rows, w->cols, n_rows, row0, linear_flags (lp), tiles_n, 0,
                          (uint32_t) lp->out_offset, 0.0f };
      const RgVkBuffer *texels[2] = { w->chunks[c], x };
      RgVkDispatch d = {
        .shader = shader,
        /* one subgroup per workgroup */
        .spec = { sg, sg, CPU_TILE_M, CPU_TILE_ROWS },
        .n_spec = 4,
        .bindings = bindings,
        .n_bindings = 6,
        .texels = texels,
        .n_texels = 2,
        .push = &push,
        .push_size = sizeof push,
        .flops = 2.0 * M * n_rows * w->cols,
        .bytes = (double) n_rows * row_bytes + 4.0 * M * (w->cols + n_rows),
      };

      rg_vk_groups_1d (ctx, (uint64_t) tiles_m * tiles_n, d.groups);
      rg_vk_dispatch (rec, &d);
    }
}

/* A scratch buffer that lives until the recorder's submit. */
static RgVkBuffer *
scratch (RgVkRecorder *rec, const char *name, uint64_t bytes)
{
  GError *error = NULL;
  RgVkBuffer *buf = rg_vk_buffer_new (rg_vk_recorder_get_context (rec), name, bytes, &error);

  if (buf == NULL)
    {
      rg_vk_recorder_take_error (rec, error);
      return NULL;
    }
  rg_vk_recorder_keep_buffer (rec, buf);
  return buf;
}

/* Decode takes the mat-vec, and so does a short prefill on GPUs, in
 * slices of 8 rows (each slice reads the weights once); longer batches
 * take the tiled matmul. On CPU devices every batch of more than 8 rows
 * takes matmul_cpu where it can read the weights (faster than the mat-vec
 * slices from 9 rows: 19.7 against 21.7 ms at 9, 145 against 280 at 128
 * on lavapipe), else the mat-vec slices: there the GPU matmul's
 * shared-memory tiles and barriers cost far more than re-reading weights.
 * W NULL: the choice for weights the CPU kernel can read. */
static RgLinearKernel
choose_kernel (RgVkContext *ctx, const RgGpuWeight *w, uint32_t M)
{
  gboolean cpu = rg_vk_context_get_info (ctx)->type == VK_PHYSICAL_DEVICE_TYPE_CPU;
  const char *force = g_getenv ("REGARD_MATMUL");
  gboolean cpu_fits = w == NULL ? rg_vk_context_get_texel_weights (ctx) &&
                                    rg_vk_context_get_info (ctx)->subgroup_arithmetic
                                : cpu_tiled_fits (ctx, w);

  if (M <= MATVEC_MAX_M)
    return RG_LINEAR_MATVEC;
  if (g_strcmp0 (force, "tiled") == 0)
    return RG_LINEAR_TILED;
  if (g_strcmp0 (force, "matvec") == 0)
    return RG_LINEAR_MATVEC;
  if ((cpu || g_strcmp0 (force, "cpu") == 0) && cpu_fits)
    return RG_LINEAR_CPU_TILED;
  return cpu || M <= MATVEC_BATCH_MAX_M ? RG_LINEAR_MATVEC : RG_LINEAR_TILED;
}

RgLinearKernel
rg_op_linear_kernel (RgVkContext *ctx, const RgGpuWeight *w, uint32_t M)
{
  return choose_kernel (ctx, w, M);
}

gboolean
rg_op_linear_fuses_norm (RgVkRecorder *rec, uint32_t M)
{
  RgVkContext *ctx = rg_vk_recorder_get_context (rec);

  /* only where a subgroup reads a whole row of x */
  return choose_kernel (ctx, NULL, M) == RG_LINEAR_MATVEC && rg_vk_context_get_info (ctx)->subgroup_arithmetic;
}

void
rg_op_linear (RgVkRecorder *rec, RgVkBuffer *out, const RgVkBuffer *x,
              const RgGpuWeight *w, const RgLinearParams *params, uint32_t M)
{
  RgVkContext *ctx = rg_vk_recorder_get_context (rec);
  RgLinearParams lp = params ? *params : (RgLinearParams) { 0 };
  RgLinearKernel kernel;

  if (M == 0)
    return;
  if ((uint64_t) M * w->cols > G_MAXUINT32 || (uint64_t) M * w->rows + lp.out_offset > G_MAXUINT32)
    {
      rg_vk_recorder_take_error (rec, g_error_new (G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                                   "linear '%s': %u rows is too many for one call", w->name, M));
      return;
    }
  if ((out == x && (lp.accumulate || lp.norm_gain)) || (lp.gate_silu && lp.gate_silu == x))
    {
      rg_vk_recorder_take_error (rec, g_error_new (G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                                   "linear '%s': the output cannot be the input", w->name));
      return;
    }
  if (!rg_op_check_size (rec, "linear", x, (uint64_t) M * w->cols * 4) ||
      !rg_op_check_size (rec, "linear", out, ((uint64_t) M * w->rows + lp.out_offset) * 4) ||
      (lp.bias && !rg_op_check_size (rec, "linear", lp.bias, (uint64_t) w->rows * 4)) ||
      (lp.norm_gain && !rg_op_check_size (rec, "linear", lp.norm_gain, (uint64_t) w->cols * 4)) ||
      (lp.gate_silu && !rg_op_check_size (rec, "linear", lp.gate_silu, ((uint64_t) M * w->rows + lp.out_offset) * 4)))
    return;

  kernel = choose_kernel (ctx, w, M);
  if (lp.norm_gain && !(kernel == RG_LINEAR_MATVEC && rg_vk_context_get_info (ctx)->subgroup_arithmetic))
    {
      RgVkBuffer *normed = scratch (rec, "normalized x", (uint64_t) M * w->cols * 4);

      if (normed == NULL)
        return;
      rg_op_rmsnorm (rec, normed, x, lp.norm_gain, M, w->cols, lp.norm_eps);
      x = normed;
      lp.norm_gain = NULL;
    }
  switch (kernel)
    {
    case RG_LINEAR_MATVEC:
      for (uint32_t m0 = 0; m0 < M; m0 += MATVEC_MAX_M)
        record_matvec (rec, out, x, w, &lp, m0, MIN (MATVEC_MAX_M, M - m0));
      break;
    case RG_LINEAR_TILED:
      record_tiled (rec, out, x, w, &lp, M);
      break;
    case RG_LINEAR_CPU_TILED:
      record_cpu_tiled (rec, out, x, w, &lp, M);
      break;
    }
}
