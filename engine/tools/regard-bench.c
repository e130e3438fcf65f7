/* regard-bench.c: regard_bench_ops and regard_bench_model
 * (regard-tools.h), behind `regard-cli bench`: speed on a device.
 *
 *   bench ops [--device D]       each op at model-sized shapes (scaled
 *                                down on CPU devices, where a full-size op
 *                                takes seconds; the shape is printed),
 *                                next to the copy bandwidth of the device
 *   bench --model DIR [...]      the whole model: image encode, prefill,
 *                                decode tokens/s and decode's share of the
 *                                bandwidth roofline
 *
 * Times are wall-clock around one submit holding REPS repetitions, so the
 * per-dispatch overhead of the device is included, as in the model. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "regard-tools.h"
#include "rg-peak.h"
#include "rg-budget.h"
#include "rg-family.h"
#include "rg-image.h"
#include "rg-model-gpu.h"
#include "rg-ops.h"
#include "rg-preprocess.h"
#include "rg-quant.h"
#include "rg-ref-ops.h"
#include "rg-snapshot.h"
#include "rg-vk.h"

/* ---- Helpers ------------------------------------------------------------ */

/* S as a JSON string literal, with its quotes. */
static void
json_string (FILE *fp, const char *s)
{
  fputc ('"', fp);
  for (const unsigned char *p = (const unsigned char *) s; *p; p++)
    {
      if (*p == '"' || *p == '\\')
        fprintf (fp, "\\%c", *p);
      else if (*p < 0x20)
        fprintf (fp, "\\u%04x", *p);
      else
        fputc (*p, fp);
    }
  fputc ('"', fp);
}

static RgVkBuffer *
filled (RgVkContext *ctx, const char *name, uint64_t n_floats, float scale, GError **error)
{
  g_autofree float *data = g_new (float, n_floats);
  guint32 s = 12345;

  for (uint64_t i = 0; i < n_floats; i++)
    {
      s = s * 1664525u + 1013904223u;
      data[i] = ((float) (s >> 8) / 16777216.0f - 0.5f) * scale;
    }
  return rg_gpu_upload_f32 (ctx, name, data, n_floats, error);
}

/* A [rows, cols] weight of DTYPE with random contents. */
static RgGpuWeight *
random_weight (RgVkContext *ctx, RgDType dtype, uint32_t rows, uint32_t cols, GError **error)
{
  g_autoptr(RgGpuWeight) w = rg_gpu_weight_new (ctx, "bench weight", dtype, rows, cols, 0, error);
  uint64_t row_bytes;
  uint32_t slice;
  g_autofree float *f = NULL;
  g_autofree guint8 *buf = NULL;
  guint32 s = 777;

  if (w == NULL)
    return NULL;
  row_bytes = rg_gpu_weight_row_bytes (w);
  slice = (uint32_t) CLAMP ((8u << 20) / row_bytes, 1, rows);
  f = g_new (float, (size_t) slice * cols);
  buf = g_malloc ((size_t) slice * row_bytes);
  for (uint32_t r = 0; r < rows; r += slice)
    {
      uint32_t n = MIN (slice, rows - r);
      size_t ne = (size_t) n * cols;

      for (size_t i = 0; i < ne; i++)
        {
          s = s * 1664525u + 1013904223u;
          f[i] = (float) (s >> 8) / 16777216.0f - 0.5f;
        }
      switch (dtype)
        {
        case RG_DTYPE_F32: memcpy (buf, f, ne * 4); break;
        case RG_DTYPE_F16: for (size_t i = 0; i < ne; i++) ((uint16_t *) buf)[i] = rg_f32_to_f16 (f[i]); break;
        case RG_DTYPE_BF16: for (size_t i = 0; i < ne; i++) ((uint16_t *) buf)[i] = rg_f32_to_bf16 (f[i]); break;
        case RG_DTYPE_Q8_0: rg_quantize_row_q8_0 (f, (RgBlockQ8_0 *) buf, ne); break;
        case RG_DTYPE_Q4_0: rg_quantize_row_q4_0 (f, (RgBlockQ4_0 *) buf, ne); break;
        default: g_assert_not_reached ();
        }
      if (!rg_gpu_weight_upload_rows (w, r, n, buf, error))
        return NULL;
    }
  return g_steal_pointer (&w);
}

typedef void (*RecordFn) (RgVkRecorder *rec, gpointer data);

/* Microseconds per call of RECORD: one warm-up submit, then REPS calls in
 * one submit. */
static double
time_op (RgVkContext *ctx, RecordFn record, gpointer data, guint reps, GError **error)
{
  g_autoptr(RgVkRecorder) rec = rg_vk_recorder_new (ctx);
  gint64 t0;

  record (rec, data);
  if (!rg_vk_recorder_submit (rec, error))
    return -1;
  t0 = g_get_monotonic_time ();
  for (guint i = 0; i < reps; i++)
    record (rec, data);
  if (!rg_vk_recorder_submit (rec, error))
    return -1;
  return (double) (g_get_monotonic_time () - t0) / reps;
}

typedef struct
{
  RgVkBuffer *dst, *src;
  uint64_t bytes;
} CopyArgs;

static void
record_copy (RgVkRecorder *rec, gpointer data)
{
  CopyArgs *a = data;

  rg_vk_copy (rec, a->dst, 0, a->src, 0, a->bytes);
}

/* Device bandwidth: a vkCmdCopyBuffer of BYTES, counted as read + write. */
static double
copy_bandwidth (RgVkContext *ctx, GError **error)
{
  const RgVkDeviceInfo *info = rg_vk_context_get_info (ctx);
  uint64_t bytes = info->type == VK_PHYSICAL_DEVICE_TYPE_CPU ? 64ull << 20 : 256ull << 20;
  g_autoptr(RgVkBuffer) a = rg_vk_buffer_new (ctx, "copy src", bytes, error);
  g_autoptr(RgVkBuffer) b = a ? rg_vk_buffer_new (ctx, "copy dst", bytes, error) : NULL;
  CopyArgs args = { b, a, bytes };
  double us;

  if (b == NULL || !rg_vk_buffer_fill_zero (a, error))
    return -1;
  us = time_op (ctx, record_copy, &args, 8, error);
  return us > 0 ? 2.0 * bytes / (us * 1e3) : -1;
}

typedef struct
{
  RgVkBuffer *out;
  uint32_t invocations;
} PeakArgs;

#define PEAK_ITERS 1024

static void
record_peak (RgVkRecorder *rec, gpointer data)
{
  PeakArgs *a = data;

  /* |mul| < 1 and a small add: the chains neither overflow nor go subnormal */
  rg_peak_fma_record (rec, a->out, a->invocations, PEAK_ITERS, 0.999f, 0.001f);
}

/* The device's f32 FMA rate in GFLOP/s: enough invocations to fill every
 * core (a CPU device runs a workgroup per thread; a GPU needs far more). */
static double
fma_peak (RgVkContext *ctx, GError **error)
{
  gboolean cpu = rg_vk_context_get_info (ctx)->type == VK_PHYSICAL_DEVICE_TYPE_CPU;
  uint32_t invocations = cpu ? 256 * 64 : 4096 * 64;
  g_autoptr(RgVkBuffer) out = rg_vk_buffer_new (ctx, "fma peak", (uint64_t) invocations * 4, error);
  PeakArgs args = { out, invocations };
  double us;

  if (out == NULL)
    return -1;
  us = time_op (ctx, record_peak, &args, cpu ? 8 : 16, error);
  return us > 0 ? (double) invocations * PEAK_ITERS * RG_PEAK_FLOPS_PER_ITER / (us * 1e3) : -1;
}

typedef struct
{
  RgVkBuffer *out, *src;
  uint32_t n_texels, invocations;
} TexelArgs;

static void
record_texel (RgVkRecorder *rec, gpointer data)
{
  TexelArgs *a = data;

  rg_peak_texel_record (rec, a->out, a->src, a->n_texels, a->invocations);
}

/* How fast the device reads a uniform texel buffer, in GB/s: 512 MB on a
 * CPU device (more than its caches, as a model's weights are), 1 GB on a
 * GPU, within the texel buffer limit; 0 where that limit is too small for
 * one probe. */
static double
texel_bandwidth (RgVkContext *ctx, GError **error)
{
  gboolean cpu = rg_vk_context_get_info (ctx)->type == VK_PHYSICAL_DEVICE_TYPE_CPU;
  uint32_t invocations = cpu ? 64 * 64 : 4096 * 64;
  uint64_t step = 16ull * 8 * invocations;
  uint64_t bytes = MIN ((cpu ? 512ull : 1024ull) << 20, rg_vk_context_get_max_texel_bytes (ctx)) / step * step;
  g_autoptr(RgVkBuffer) src = NULL;
  g_autoptr(RgVkBuffer) out = NULL;
  TexelArgs args;
  double us;

  if (bytes == 0 || bytes / 16 > G_MAXUINT32)
    return 0;
  src = rg_vk_buffer_new (ctx, "texel read src", bytes, error);
  out = src ? rg_vk_buffer_new (ctx, "texel read out", (uint64_t) invocations * 4, error) : NULL;
  if (out == NULL || !rg_vk_buffer_fill_zero (src, error))
    return -1;
  args = (TexelArgs) { out, src, (uint32_t) (bytes / 16), invocations };
  us = time_op (ctx, record_texel, &args, 4, error);
  return us > 0 ? bytes / (us * 1e3) : -1;
}

/* ---- bench ops ---------------------------------------------------------- */

typedef struct
{
  RgVkBuffer *out, *x, *y, *z, *table;
  RgGpuWeight *w;
  uint32_t M, a, b, c;
  RgAttnParams attn;
} OpArgs;

static void
rec_matmul (RgVkRecorder *rec, gpointer data)
{
  OpArgs *o = data;
  rg_op_linear (rec, o->out, o->x, o->w, NULL, o->M);
}

static void
rec_rmsnorm (RgVkRecorder *rec, gpointer data)
{
  OpArgs *o = data;
  rg_op_rmsnorm (rec, o->out, o->x, o->y, o->a, o->b, 1e-5f);
}

static void
rec_swiglu (RgVkRecorder *rec, gpointer data)
{
  OpArgs *o = data;
  rg_op_swiglu (rec, o->out, o->x, o->y, (uint64_t) o->a * o->b);
}

static void
rec_rope (RgVkRecorder *rec, gpointer data)
{
  OpArgs *o = data;
  rg_op_rope (rec, o->x, o->table, o->a, o->b, o->c, 0);
}

static void
rec_attention (RgVkRecorder *rec, gpointer data)
{
  OpArgs *o = data;
  rg_op_attention (rec, o->out, o->x, o->y, o->z, NULL, &o->attn);
}

static void
rec_embedding (RgVkRecorder *rec, gpointer data)
{
  OpArgs *o = data;
  rg_op_embedding (rec, o->out, o->w, o->y, o->M);
}

static void
print_row (FILE *fp, gboolean json, gboolean *first, const char *op, const char *shape, double us, double flops,
           double bytes, double copy_gbs)
{
  double gflops = flops / (us * 1e3), gbs = bytes / (us * 1e3);

  if (json)
    {
      fprintf (fp, "%s\n    {\"op\": ", *first ? "" : ",");
      json_string (fp, op);
      fprintf (fp, ", \"shape\": ");
      json_string (fp, shape);
      fprintf (fp, ", \"us\": %.1f, \"gflops\": %.3f, \"gbs\": %.3f}", us, gflops, gbs);
    }
  else
    fprintf (fp, "%-22s %-34s %10.1f %9.2f %8.2f %6.0f%%\n", op, shape, us, gflops, gbs,
            copy_gbs > 0 ? 100.0 * gbs / copy_gbs : 0.0);
  *first = FALSE;
}

RegardBenchParams
regard_bench_params_default (void)
{
  return (RegardBenchParams) { .prompt_tokens = 128, .gen_tokens = 32, .repeat = 1, .image_split = -1 };
}

gboolean
regard_bench_ops (const RegardBenchParams *params, GError **error)
{
  const char *device = params->device;
  gboolean json = params->json;
  FILE *fp = params->out ? params->out : stdout;
  g_autoptr(RgVkContext) ctx = rg_vk_context_new (device, error);
  const RgVkDeviceInfo *info;
  gboolean cpu, first = TRUE;
  double copy_gbs, peak_gflops, texel_gbs;
  /* Mistral-7B's decode shapes; a CPU device gets 1/4 of the rows */
  uint32_t T = 4096, I = 14336, H = 32, Hkv = 8, D = 128, ctx_len = 1024, prefill = 128;
  static const RgDType wtypes[] = { RG_DTYPE_F32, RG_DTYPE_F16, RG_DTYPE_Q8_0, RG_DTYPE_Q4_0 };

  if (ctx == NULL)
    return FALSE;
  info = rg_vk_context_get_info (ctx);
  cpu = info->type == VK_PHYSICAL_DEVICE_TYPE_CPU;
  copy_gbs = copy_bandwidth (ctx, error);
  if (copy_gbs < 0)
    return FALSE;
  peak_gflops = fma_peak (ctx, error);
  if (peak_gflops < 0)
    return FALSE;
  texel_gbs = texel_bandwidth (ctx, error);
  if (texel_gbs < 0)
    return FALSE;
  if (json)
    {
      fprintf (fp, "{\n  \"device\": ");
      json_string (fp, info->name);
      fprintf (fp, ",\n  \"copy_gbs\": %.3f,\n  \"texel_read_gbs\": ", copy_gbs);
      if (texel_gbs > 0)
        fprintf (fp, "%.3f", texel_gbs);
      else
        fprintf (fp, "null");
      fprintf (fp, ",\n  \"fma_gflops\": %.3f,\n  \"ops\": [", peak_gflops);
    }
  else
    {
      fprintf (fp, "device: %s (%s)\n", info->name, rg_vk_context_get_choice_reason (ctx));
      fprintf (fp, "copy bandwidth (vkCmdCopyBuffer, read + write): %.2f GB/s\n", copy_gbs);
      if (texel_gbs > 0)
        fprintf (fp, "uniform texel buffer reads (peak_texel.comp): %.2f GB/s\n", texel_gbs);
      else
        fprintf (fp, "uniform texel buffer reads: not measured (the device's texel buffers are too small)\n");
      fprintf (fp, "f32 FMA peak (peak_fma.comp): %.1f GFLOP/s\n", peak_gflops);
      if (cpu)
        fprintf (fp, "CPU device: matrix rows scaled to 1/4 of Mistral-7B's, prefill to 32 tokens\n");
      fprintf (fp, "%-22s %-34s %10s %9s %8s %7s\n", "op", "shape", "us", "GFLOP/s", "GB/s", "of copy");
    }

  for (guint t = 0; t < G_N_ELEMENTS (wtypes); t++)
    for (guint pass = 0; pass < 2; pass++)
      {
        /* pass 0: decode mat-vec [T -> I]; pass 1: prefill matmul */
        uint32_t rows = cpu ? I / 4 : I, M = pass == 0 ? 1 : (cpu ? prefill / 4 : prefill);
        g_autoptr(RgGpuWeight) w = random_weight (ctx, wtypes[t], rows, T, error);
        g_autoptr(RgVkBuffer) x = w ? filled (ctx, "x", (uint64_t) M * T, 1, error) : NULL;
        g_autoptr(RgVkBuffer) out = x ? rg_vk_buffer_new (ctx, "y", (uint64_t) M * rows * 4, error) : NULL;
        OpArgs o = { .out = out, .x = x, .w = w, .M = M };
        g_autofree char *op = g_strdup_printf ("%s_%s", pass == 0 ? "matvec" : "matmul", rg_op_weight_suffix (wtypes[t]));
        g_autofree char *shape = g_strdup_printf ("[%u, %u] x [%u, %u]^T", M, T, rows, T);
        double us;

        if (out == NULL)
          return FALSE;
        us = time_op (ctx, rec_matmul, &o, pass == 0 ? 10 : 2, error);
        if (us < 0)
          return FALSE;
        print_row (fp, json, &first, op, shape, us, 2.0 * M * rows * T,
                   (double) rows * rg_gpu_weight_row_bytes (w) + 4.0 * M * (T + rows), copy_gbs);
      }

  {
    uint32_t L = cpu ? 32 : prefill;
    g_autoptr(RgVkBuffer) x = filled (ctx, "x", (uint64_t) L * I, 1, error);
    g_autoptr(RgVkBuffer) y = x ? filled (ctx, "y", (uint64_t) L * I, 1, error) : NULL;
    g_autoptr(RgVkBuffer) out = y ? rg_vk_buffer_new (ctx, "out", (uint64_t) L * I * 4, error) : NULL;
    g_autofree float *rope = rg_rope_table_new (ctx_len, D, 10000.0f);
    g_autoptr(RgVkBuffer) table = out ? rg_gpu_upload_f32 (ctx, "rope", rope, (uint64_t) ctx_len * D, error) : NULL;
    g_autoptr(RgVkBuffer) k = table ? filled (ctx, "k", (uint64_t) ctx_len * Hkv * D, 1, error) : NULL;
    g_autoptr(RgVkBuffer) v = k ? filled (ctx, "v", (uint64_t) ctx_len * Hkv * D, 1, error) : NULL;
    g_autoptr(RgVkBuffer) ids = NULL;
    g_autoptr(RgGpuWeight) emb = NULL;
    OpArgs o = { .out = out, .x = x, .y = y, .z = v, .table = table };
    g_autofree char *shape = NULL;
    double us;

    if (v == NULL)
      return FALSE;

    o.a = 1;
    o.b = T;
    us = time_op (ctx, rec_rmsnorm, &o, 20, error);
    print_row (fp, json, &first, "rmsnorm", "[1, 4096]", us, 4.0 * T, 12.0 * T, copy_gbs);
    o.a = L;
    shape = g_strdup_printf ("[%u, 4096]", L);
    us = time_op (ctx, rec_rmsnorm, &o, 20, error);
    print_row (fp, json, &first, "rmsnorm", shape, us, 4.0 * L * T, 12.0 * L * T, copy_gbs);

    o.a = 1;
    o.b = I;
    us = time_op (ctx, rec_swiglu, &o, 20, error);
    print_row (fp, json, &first, "swiglu", "[1, 14336]", us, 6.0 * I, 12.0 * I, copy_gbs);

    o.a = 1;
    o.b = H;
    o.c = D;
    us = time_op (ctx, rec_rope, &o, 20, error);
    print_row (fp, json, &first, "rope", "[1, 32, 128]", us, 3.0 * H * D, 12.0 * H * D, copy_gbs);

    /* decode attention: one query against the cache */
    o.x = x;   /* q [1, H, D] */
    o.y = k;
    o.attn = (RgAttnParams) { .n_q = 1, .n_kv = ctx_len, .n_heads = H, .n_kv_heads = Hkv, .head_dim = D,
                              .scale = 1.0f / sqrtf ((float) D), .causal = TRUE, .q_pos0 = ctx_len - 1 };
    g_clear_pointer (&shape, g_free);
    shape = g_strdup_printf ("q [1, 32, 128], kv [%u, 8, 128]", ctx_len);
    us = time_op (ctx, rec_attention, &o, 10, error);
    if (us < 0)
      return FALSE;
    print_row (fp, json, &first, "attention (decode)", shape, us, 4.0 * H * ctx_len * D,
               8.0 * ctx_len * Hkv * D, copy_gbs);
    /* the same reading an f16 KV cache (the buffers' bytes as halves) */
    o.attn.kv_f16 = TRUE;
    us = time_op (ctx, rec_attention, &o, 10, error);
    if (us < 0)
      return FALSE;
    print_row (fp, json, &first, "attention (decode, f16 KV)", shape, us, 4.0 * H * ctx_len * D,
               4.0 * ctx_len * Hkv * D, copy_gbs);

    /* token embedding of a prefill, q8_0 table */
    emb = random_weight (ctx, RG_DTYPE_Q8_0, cpu ? 8000 : 32000, T, error);
    if (emb == NULL)
      return FALSE;
    {
      g_autofree int32_t *tok = g_new (int32_t, L);
      for (uint32_t i = 0; i < L; i++)
        tok[i] = (int32_t) (i * 97 % emb->rows);
      ids = rg_vk_buffer_new (ctx, "ids", L * 4, error);
      if (ids == NULL || !rg_vk_buffer_upload (ids, 0, tok, L * 4, error))
        return FALSE;
    }
    o.w = emb;
    o.y = ids;
    o.M = L;
    g_clear_pointer (&shape, g_free);
    shape = g_strdup_printf ("%u ids of [%u, 4096] q8_0", L, emb->rows);
    us = time_op (ctx, rec_embedding, &o, 10, error);
    print_row (fp, json, &first, "embedding", shape, us, 0, (double) L * T * (34.0 / 32 + 4), copy_gbs);
  }
  if (json)
    fprintf (fp, "\n  ]\n}\n");
  return TRUE;
}

/* ---- bench --model ------------------------------------------------------ */

static const struct
{
  const char *name;
  RgWeightFormat format;
  RgDType dtype;
} formats[] = {
  { "f32", RG_WEIGHTS_F32, RG_DTYPE_F32 },
  { "f16", RG_WEIGHTS_F16, RG_DTYPE_F16 },
  { "q8_0", RG_WEIGHTS_Q8_0, RG_DTYPE_Q8_0 },
  { "q4_0", RG_WEIGHTS_Q4_0, RG_DTYPE_Q4_0 },
  { "q4", RG_WEIGHTS_Q4_0, RG_DTYPE_Q4_0 },
};

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

gboolean
regard_bench_model (const char *dir, const RegardBenchParams *params, GError **error)
{
  const char *format_name = params->format, *image = params->image, *device = params->device;
  guint n_prompt = params->prompt_tokens, n_gen = params->gen_tokens, context = params->context;
  guint n_runs = params->repeat;
  gboolean json = params->json;
  FILE *fp = params->out ? params->out : stdout;
  g_autofree double *prefill_runs = NULL, *decode_runs = NULL, *encode_runs = NULL;
  g_autoptr(RgSnapshot) snap = rg_snapshot_open (dir, error);
  g_autoptr(RgVkContext) ctx = NULL;
  g_autoptr(RgModel) model = NULL;
  int32_t cross_image = -1;   /* the image the benchmarked tokens attend (cross-attention) */
  g_autofree float *logits = NULL;
  g_autofree int32_t *ids = NULL;
  g_autofree char *reason = NULL;
  const RgModelConfig *cfg;
  const RgVkDeviceInfo *info;
  RgWeightFormat format = RG_WEIGHTS_Q8_0;
  RgDType dtype = RG_DTYPE_Q8_0;
  RgKvType kv = RG_KV_AUTO;
  double copy_gbs, load_s, encode_ms = 0, prefill_s, decode_s;
  guint converted = 0, cached = 0, vocab, n_sub = 0;
  guint64 bytes_per_token;
  gint64 t0;
  guint32 s = 4321;

  if (snap == NULL)
    return FALSE;
  if (n_prompt < 1 || n_gen < 1 || n_runs < 1 || n_runs > 1000)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "prompt and generated tokens must be at least 1, runs 1 to 1000");
      return FALSE;
    }
  cfg = rg_snapshot_get_config (snap);
  vocab = cfg->text.vocab_size;
  ctx = rg_vk_context_new (device, error);
  if (ctx == NULL)
    return FALSE;
  info = rg_vk_context_get_info (ctx);
  if (context == 0)
    context = MAX (1024u, n_prompt + n_gen + 64);
  if (n_prompt + n_gen + 1 > context)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "%u + %u tokens do not fit a context of %u", n_prompt, n_gen, context);
      return FALSE;
    }

  if (g_strcmp0 (format_name, "auto") == 0)
    {
      if (!rg_budget_choose (cfg, RG_DTYPE_COUNT, RG_KV_AUTO, context, image != NULL, info->budget_bytes, info->name, &dtype,
                             &reason, error))
        return FALSE;
      format = dtype == RG_DTYPE_F16 ? RG_WEIGHTS_F16 : dtype == RG_DTYPE_Q8_0 ? RG_WEIGHTS_Q8_0 : RG_WEIGHTS_Q4_0;
    }
  else if (format_name != NULL)
    {
      guint i;

      for (i = 0; i < G_N_ELEMENTS (formats); i++)
        if (g_str_equal (format_name, formats[i].name))
          break;
      if (i == G_N_ELEMENTS (formats))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "unknown format '%s' (f32, f16, q8_0, q4_0, auto)", format_name);
          return FALSE;
        }
      format = formats[i].format;
      dtype = formats[i].dtype;
    }

  if (params->kv_cache == NULL || g_str_equal (params->kv_cache, "auto"))
    kv = RG_KV_AUTO;
  else if (g_str_equal (params->kv_cache, "f32") || g_str_equal (params->kv_cache, "f16"))
    kv = g_str_equal (params->kv_cache, "f32") ? RG_KV_F32 : RG_KV_F16;
  else
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "unknown KV cache type '%s' (f32, f16, auto)", params->kv_cache);
      return FALSE;
    }

  copy_gbs = copy_bandwidth (ctx, error);
  if (copy_gbs < 0)
    return FALSE;

  t0 = g_get_monotonic_time ();
  model = rg_model_gpu_new_full (snap, ctx, format, kv, context, NULL, NULL, NULL, error);
  if (model == NULL)
    return FALSE;
  load_s = (g_get_monotonic_time () - t0) / 1e6;
  rg_model_gpu_get_load_stats (model, &converted, &cached);

  if (image)
    {
      g_autoptr(RgImage) img = NULL;
      g_autoptr(RgPixelBatch) batch = NULL;
      g_autofree float *features = NULL;
      /* the family's image processor, as an ask would run it */
      const RgFamily *family = rg_family_for_model_dir (dir, error);
      RgFamilyProcessor proc;

      if (family == NULL || !rg_family_load_processor (family, dir, &proc, error))
        return FALSE;
      img = proc.pre.kind == RG_PROCESSOR_IDEFICS3 ? rg_image_decode_file_keep_alpha (image, error)
                                                   : rg_image_decode_file (image, error);
      if (img == NULL)
        return FALSE;
      if (params->image_split >= 0)
        proc.pre.do_split = params->image_split > 0;
      batch = rg_preprocess_images (&img, 1, &proc.pre, error);
      if (batch == NULL)
        return FALSE;
      n_sub = batch->n;
      features = g_new (float, (size_t) batch->n * model->image_seq_len * model->feature_width);
      encode_runs = g_new (double, n_runs);
      for (guint r = 0; r < n_runs; r++)
        {
          t0 = g_get_monotonic_time ();
          if (!model->vtable->encode_images (model, batch, features, error))
            return FALSE;
          encode_runs[r] = (g_get_monotonic_time () - t0) / 1e3;
        }
      qsort (encode_runs, n_runs, sizeof (double), cmp_double);
      encode_ms = encode_runs[n_runs / 2];
      /* cross-attention families: every benchmarked token attends the image */
      if (model->vtable->set_image_states &&
          !model->vtable->set_image_states (model, features, batch->n, error))
        return FALSE;
      cross_image = 0;
    }

  /* a prompt of random ordinary tokens after BOS */
  ids = g_new (int32_t, MAX (n_prompt, 1));
  ids[0] = 1;
  for (guint i = 1; i < n_prompt; i++)
    {
      s = s * 1664525u + 1013904223u;
      ids[i] = (int32_t) (3 + (s >> 8) % 31000);
    }
  logits = g_new (float, vocab);
  prefill_runs = g_new (double, n_runs);
  decode_runs = g_new (double, n_runs);
  for (guint r = 0; r < n_runs; r++)
    {
      model->vtable->truncate (model, 0);
      t0 = g_get_monotonic_time ();
      if (model->vtable->forward_cross)
        {
          g_autofree int32_t *index = g_new (int32_t, MAX (n_prompt, 1));

          for (guint i = 0; i < MAX (n_prompt, 1); i++)
            index[i] = cross_image;
          if (!model->vtable->forward_cross (model, ids, index, MAX (n_prompt, 1), logits, error))
            return FALSE;
        }
      else if (!model->vtable->forward (model, ids, MAX (n_prompt, 1), NULL, 0, logits, error))
        return FALSE;
      prefill_runs[r] = (g_get_monotonic_time () - t0) / 1e6;

      /* greedy decode, the logits downloaded each step as in generation */
      t0 = g_get_monotonic_time ();
      for (guint i = 0; i < n_gen; i++)
        {
          int32_t next = (int32_t) rg_ref_argmax (logits, vocab);

          if (!model->vtable->forward (model, &next, 1, NULL, 0, logits, error))
            return FALSE;
        }
      decode_runs[r] = (g_get_monotonic_time () - t0) / 1e6;
    }
  /* the median run, and the best: on a shared machine the spread says
   * how much of a difference is noise */
  qsort (prefill_runs, n_runs, sizeof (double), cmp_double);
  qsort (decode_runs, n_runs, sizeof (double), cmp_double);
  prefill_s = prefill_runs[n_runs / 2];
  decode_s = decode_runs[n_runs / 2];
  bytes_per_token = rg_budget_decode_bytes (cfg, dtype, model->kv_type, MAX (n_prompt, 1) + n_gen / 2);

  {
    double tps = n_gen / MAX (decode_s, 1e-9), prefill_tps = MAX (n_prompt, 1) / MAX (prefill_s, 1e-9);
    double best_tps = n_gen / MAX (decode_runs[0], 1e-9), best_prefill_tps = MAX (n_prompt, 1) / MAX (prefill_runs[0], 1e-9);
    double read_gbs = tps * bytes_per_token / 1e9;

    if (json)
      {
        fprintf (fp, "{\"device\": ");
        json_string (fp, info->name);
        fprintf (fp, ", \"model\": ");
        json_string (fp, dir);
        fprintf (fp, ", \"format\": \"%s\", \"kv_cache\": \"%s\", \"load_s\": %.2f, \"converted\": %u, \"from_cache\": %u, \"device_bytes\": %"
                G_GUINT64_FORMAT ", \"image_subimages\": %u, \"image_encode_ms\": %.1f, \"prompt_tokens\": %u, "
                "\"prefill_tokens_per_s\": %.2f, \"gen_tokens\": %u, \"decode_tokens_per_s\": %.3f, "
                "\"runs\": %u, \"prefill_tokens_per_s_best\": %.2f, \"decode_tokens_per_s_best\": %.3f, "
                "\"copy_gbs\": %.3f, \"bytes_per_token\": %" G_GUINT64_FORMAT ", \"decode_read_gbs\": %.3f, "
                "\"roofline_fraction\": %.4f}\n",
                rg_model_gpu_get_weight_format (model), rg_kv_type_name (model->kv_type), load_s, converted, cached,
                rg_model_gpu_get_device_bytes (model), n_sub, encode_ms, MAX (n_prompt, 1), prefill_tps, n_gen, tps,
                n_runs, best_prefill_tps, best_tps, copy_gbs, bytes_per_token, read_gbs, read_gbs / copy_gbs);
      }
    else
      {
        fprintf (fp, "device: %s\n", info->name);
        if (reason)
          fprintf (fp, "format: %s\n", reason);
        fprintf (fp, "weights: %s, KV cache %s, %.2f GB on the device, loaded in %.1f s (%u matrices converted, "
                "%u from the cache)\n",
                rg_model_gpu_get_weight_format (model), rg_kv_type_name (model->kv_type),
                rg_model_gpu_get_device_bytes (model) / 1e9, load_s, converted, cached);
        if (image)
          {
            fprintf (fp, "image encode: %.1f ms (%u sub-images", encode_ms, n_sub);
            if (n_runs > 1)
              fprintf (fp, "; median of %u runs, best %.1f ms", n_runs, encode_runs[0]);
            fprintf (fp, ")\n");
          }
        fprintf (fp, "prefill: %u tokens in %.2f s = %.2f tokens/s", MAX (n_prompt, 1), prefill_s, prefill_tps);
        if (n_runs > 1)
          fprintf (fp, " (median of %u runs; best %.2f)", n_runs, best_prefill_tps);
        fprintf (fp, "\ndecode: %u tokens in %.2f s = %.3f tokens/s", n_gen, decode_s, tps);
        if (n_runs > 1)
          fprintf (fp, " (median of %u runs; best %.3f)", n_runs, best_tps);
        fprintf (fp, "\n");
        fprintf (fp, "bandwidth: copy %.2f GB/s; decode reads %.1f MB/token = %.2f GB/s, %.1f%% of the roofline\n",
                copy_gbs, bytes_per_token / 1e6, read_gbs, 100.0 * read_gbs / copy_gbs);
      }
  }
  return TRUE;
}
