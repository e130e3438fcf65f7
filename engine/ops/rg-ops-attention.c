/* rg-ops-attention.c: attention with an online softmax: the tiled kernel
 * (shaders/attention.comp), the kernel of CPU devices (attention_cpu.comp,
 * lanes over keys), the one-query kernel of CPU devices where that one does
 * not apply (attention_decode.comp) and the merge of key ranges
 * (attention_combine.comp); see the shaders for the algorithms. */
#include "config.h"

#include "rg-ops.h"
#include "regard-error.h"

/* Mirrors `Push` in shaders/attention.glsl. */
typedef struct
{
  uint32_t n_q;
  uint32_t n_kv;
  uint32_t n_heads;
  uint32_t n_kv_heads;
  uint32_t group;
  uint32_t n_rows;
  uint32_t n_blocks;
  uint32_t causal;
  uint32_t q_pos0;
  uint32_t window;
  uint32_t has_mask;
  float scale;
  uint32_t n_split;
  uint32_t split_len;
} AttnPush;
G_STATIC_ASSERT (sizeof (AttnPush) == 56);

/* llvmpipe (lavapipe) ends a shader's loops once an invocation has run
 * 65535 iterations of them in total (LP_MAX_TGSI_LOOP_ITERATIONS, shared
 * by every loop): keep each workgroup's key range below that, with room. */
#define CPU_LOOP_BUDGET 60000

/* The shader's shape: WG threads, BQ query rows per workgroup; either TPR
 * threads per row (WG = BQ * TPR) or RPT rows per thread (BQ = WG * RPT),
 * the other 1; BK keys per tile; DS4 vec4s of q and of the output per
 * thread and row, HDP4 vec4s per key row in shared memory (see
 * attention.comp, which derives TPR and RPT from WG and BQ). */
typedef struct
{
  uint32_t wg, bq, tpr, rpt, bk, ds4, hdp4;
} AttnShape;

static void
shape_derive (AttnShape *s, uint32_t hd)
{
  uint32_t hd4 = (hd + 3) / 4;

  s->wg = s->bq * s->tpr / s->rpt;
  s->ds4 = (hd4 + s->tpr - 1) / s->tpr;
  s->hdp4 = s->ds4 * s->tpr;
}

/* Loop iterations one invocation runs per key tile, counting every loop
 * of attention.comp as if none were unrolled (an upper bound). */
static uint64_t
loop_iterations_per_tile (const AttnShape *s)
{
#define CEIL_DIV(a, b) (((uint64_t) (a) + (b) - 1) / (b))
  uint64_t chunks = CEIL_DIV (s->bk, 4);  /* keys go 4 at a time */
  uint64_t ds4 = s->ds4, rpt = s->rpt;
  uint64_t n = 1 + CEIL_DIV (s->bk * s->hdp4, s->wg) + CEIL_DIV (s->bk, s->wg);

  if (s->tpr > 1)
    n += chunks * (1 + ds4);                           /* partial scores */
  /* per chunk: scores (or partial sums), softmax with rescale, P V */
  n += chunks * (1 + s->tpr + rpt + ds4 * (1 + rpt) + rpt * (1 + ds4) + ds4 * (1 + rpt));
  return n;
#undef CEIL_DIV
}

/* q, output and everything outside the key loop */
static uint64_t
loop_iterations_fixed (const AttnShape *s)
{
  return 8 + 2 * (uint64_t) s->rpt * (2 + 6 * (uint64_t) s->ds4);
}

static uint64_t
shared_bytes (const AttnShape *s)
{
  /* sK, sV [BK * HDP4] vec4, sVis [BK], sP [BK / 4 * WG] vec4 when TPR > 1 */
  return 2 * 16 * (uint64_t) s->bk * s->hdp4 + 4 * (uint64_t) s->bk + 4 * (s->tpr > 1 ? (uint64_t) s->bk * s->wg : 1);
}

/* Picks the shape for N_ROWS rows (queries x heads of a kv group) of head
 * dim HD on this device; FALSE when nothing fits its shared memory.
 *
 * A thread keeps q and the output accumulator of its rows (or row slice)
 * in registers, so the running max and sum need no serial per-row step and
 * no shared state.
 *
 * On a GPU a thread's slice stays at most 8 vec4s (32 floats each of q and
 * acc: modest register use for any head dim); rows with several threads
 * sum their partial dot products in shared memory once per tile.
 *
 * On a CPU device (llvmpipe: an invocation is a SIMD lane, every shared or
 * storage access is a loop over the lanes, barriers switch coroutines,
 * registers are cheap) a thread owns whole rows, several of them, so each
 * K and V word it reads serves all its rows. */
static gboolean
choose_shape (const RgVkDeviceInfo *info, uint32_t n_rows, uint32_t hd, AttnShape *s)
{
  gboolean cpu = info->type == VK_PHYSICAL_DEVICE_TYPE_CPU;
  uint32_t hd4 = (hd + 3) / 4;
  uint32_t max_wg = MAX (1u, info->max_compute_workgroup_invocations);

  s->tpr = 1;
  s->rpt = 1;
  if (cpu)
    {
      /* measured on llvmpipe: 8 rows per thread for small head dims (the
       * vision tower's D = 8), 4 for D = 128; the workgroup size matters
       * little (8 to 32 within 10%) */
      uint32_t wg_max = MIN (32u, max_wg), rpt_max = hd4 <= 4 ? 8 : 4, wg;

      for (s->bq = 1; s->bq * 2 <= wg_max * rpt_max && s->bq < n_rows; s->bq *= 2)
        ;
      /* at least one SIMD vector's worth of threads before rows per thread */
      wg = MAX (s->bq / rpt_max, MIN (s->bq, MIN (8u, wg_max)));
      s->rpt = s->bq / wg;
    }
  else
    {
      uint32_t bq_max;

      while ((hd4 + s->tpr - 1) / s->tpr > 8)
        s->tpr++;
      /* rows per workgroup: up to 64 threads' worth (128 for wide rows),
       * fewer when there are fewer rows (decode) */
      bq_max = MAX (1u, (s->tpr > 1 ? 128 : 64) / s->tpr);
      for (s->bq = 1; s->bq * 2 <= bq_max && s->bq < n_rows; s->bq *= 2)
        ;
      /* few rows: more threads per row rather than idle lanes */
      while (s->bq * s->tpr * 2 <= 64 && s->tpr < hd4)
        s->tpr *= 2;
      s->tpr = MIN (s->tpr, hd4);
      while (s->bq * s->tpr > max_wg && s->bq > 1)
        s->bq /= 2;
      while (s->bq * s->tpr > max_wg && s->tpr > 1)
        s->tpr--;
    }
  s->bk = 32;
  shape_derive (s, hd);
  /* BK stays a multiple of 4 (the shader takes keys 4 at a time) */
  while (shared_bytes (s) > info->max_compute_shared_memory && s->bk > 4)
    s->bk /= 2;
  return shared_bytes (s) <= info->max_compute_shared_memory;
}

static uint64_t
gcd_u64 (uint64_t a, uint64_t b)
{
  while (b != 0)
    {
      uint64_t t = a % b;
      a = b;
      b = t;
    }
  return a;
}

static void
attn_error (RgVkRecorder *rec, const char *what, const RgAttnParams *p)
{
  rg_vk_recorder_take_error (rec, g_error_new (REGARD_ERROR, REGARD_ERROR_FAILED,
                                               "attention: %s (Lq=%u Lk=%u Hq=%u Hkv=%u D=%u)", what,
                                               p->n_q, p->n_kv, p->n_heads, p->n_kv_heads, p->head_dim));
}

/* Scratch for N_SPLIT partial results of ROWS (query, head) rows: O
 * [n_split, rows, hd] and (max, sum) [n_split, rows, 2], kept until the
 * recorder's submit. */
static gboolean
split_scratch (RgVkRecorder *rec, uint64_t rows, uint32_t hd, uint32_t n_split,
               RgVkBuffer **part_o, RgVkBuffer **part_ml)
{
  RgVkContext *ctx = rg_vk_recorder_get_context (rec);
  GError *error = NULL;

  *part_o = rg_vk_buffer_new (ctx, "attention partial O", (uint64_t) n_split * rows * hd * 4, &error);
  *part_ml = *part_o ? rg_vk_buffer_new (ctx, "attention partial max/sum", (uint64_t) n_split * rows * 2 * 4, &error)
                     : NULL;
  if (*part_o)
    rg_vk_recorder_keep_buffer (rec, *part_o);
  if (*part_ml)
    rg_vk_recorder_keep_buffer (rec, *part_ml);
  if (error)
    rg_vk_recorder_take_error (rec, error);
  return error == NULL;
}

/* Merges the splits of D's dispatch: one invocation per output element. */
static void
record_combine (RgVkRecorder *rec, RgVkDispatch *d, uint64_t n_out, uint32_t n_split)
{
  uint32_t cwg = rg_op_default_wg (rec);

  d->shader = "attention_combine_f32";
  d->n_texels = 0;
  d->spec[0] = cwg;
  d->flops = 4.0 * n_out * n_split;
  d->bytes = 4.0 * n_out * (n_split + 1);
  rg_vk_groups_1d (rg_vk_recorder_get_context (rec), (n_out + cwg - 1) / cwg, d->groups);
  rg_vk_dispatch (rec, d);
}

/* One query without a key mask on a CPU device with subgroups: shaders/
 * attention_decode.comp, lanes over the head dim (the tiled
 * kernel's workgroups of a few threads staging K/V tiles in shared memory
 * run at ~0.6 GB/s on lavapipe). Returns FALSE where it does not apply. */
static gboolean
record_decode (RgVkRecorder *rec, RgVkBuffer *out, const RgVkBuffer *q, const RgVkBuffer *k,
               const RgVkBuffer *v, const RgAttnParams *p, uint64_t kv_bytes)
{
  RgVkContext *ctx = rg_vk_recorder_get_context (rec);
  const RgVkDeviceInfo *info = rg_vk_context_get_info (ctx);
  uint32_t hd = p->head_dim, group = p->n_heads / p->n_kv_heads;
  uint32_t sg = MAX (info->subgroup_size, 1u), ds = (hd / 4 + sg - 1) / sg;
  uint32_t n_split, split_len;
  RgVkBuffer *part_o = NULL, *part_ml = NULL;
  RgVkBinding bindings[7];

  if (info->type != VK_PHYSICAL_DEVICE_TYPE_CPU || !info->subgroup_arithmetic || p->n_q != 1 ||
      hd % 4 != 0 || ds > 8 || group > 8 || p->n_kv == 0)
    return FALSE;

  /* enough workgroups for the device's threads, each with at least 32
   * keys, and every loop far under lavapipe's 65535 iterations */
  n_split = MIN ((16 + p->n_kv_heads - 1) / p->n_kv_heads, (p->n_kv + 31) / 32);
  n_split = MAX (n_split, (p->n_kv + 59999) / 60000);
  n_split = MAX (n_split, 1u);
  split_len = (p->n_kv + n_split - 1) / n_split;
  n_split = (p->n_kv + split_len - 1) / split_len;

  if (n_split > 1 && !split_scratch (rec, p->n_heads, hd, n_split, &part_o, &part_ml))
    return TRUE;

  {
    AttnPush push = {
      .n_q = 1, .n_kv = p->n_kv, .n_heads = p->n_heads, .n_kv_heads = p->n_kv_heads, .group = group,
      .n_rows = group, .n_blocks = 1, .causal = p->causal != FALSE, .q_pos0 = p->q_pos0,
      .window = p->window, .has_mask = 0, .scale = p->scale, .n_split = n_split, .split_len = split_len,
    };
    /* K and V as texels where activations go that way (CPU devices) */
    gboolean texel = rg_vk_context_get_texel_weights (ctx) &&
                     MAX (rg_vk_buffer_get_size (k), rg_vk_buffer_get_size (v)) <= rg_vk_context_get_max_texel_bytes (ctx);
    const RgVkBuffer *kv[2] = { k, v };
    RgVkDispatch d = {
      .shader = p->kv_f16 ? (texel ? "attention_decode_kv16_tex" : "attention_decode_kv16")
                          : (texel ? "attention_decode_f32_tex" : "attention_decode_f32"),
      .texels = kv,
      .n_texels = texel ? 2 : 0,
      .spec = { sg, group, ds, hd },
      .n_spec = 4,
      .bindings = bindings,
      .n_bindings = 7,
      .push = &push,
      .push_size = sizeof push,
      .flops = 4.0 * p->n_heads * (double) p->n_kv * hd,
      .bytes = 2.0 * kv_bytes,
    };

    bindings[0] = rg_vk_bind (q);
    bindings[1] = (RgVkBinding) { k, 0, kv_bytes };
    bindings[2] = (RgVkBinding) { v, 0, kv_bytes };
    bindings[3] = (RgVkBinding) { k, 0, 4 };   /* no mask: a dummy */
    bindings[4] = rg_vk_bind (out);
    bindings[5] = part_o ? rg_vk_bind (part_o) : bindings[4];
    bindings[6] = part_ml ? rg_vk_bind (part_ml) : bindings[4];
    d.groups[0] = p->n_kv_heads * n_split;
    d.groups[1] = 1;
    d.groups[2] = 1;
    rg_vk_dispatch (rec, &d);

    if (n_split > 1)
      record_combine (rec, &d, (uint64_t) p->n_heads * hd, n_split);
  }
  return TRUE;
}

/* ---- Many queries on CPU devices: shaders/attention_cpu.comp ----------- */

typedef enum
{
  ATTN_AUTO,   /* by device and shape */
  ATTN_TILED,  /* attention.comp (and attention_decode.comp for decode) */
  ATTN_CPU,    /* attention_cpu.comp wherever it can run */
} AttnKernel;

/* $REGARD_ATTENTION=tiled|cpu forces a kernel (tests, benchmarks). */
static AttnKernel
attn_kernel_forced (void)
{
  const char *env = g_getenv ("REGARD_ATTENTION");

  if (env == NULL)
    return ATTN_AUTO;
  if (g_str_equal (env, "tiled"))
    return ATTN_TILED;
  if (g_str_equal (env, "cpu"))
    return ATTN_CPU;
  return ATTN_AUTO;
}

/* Query rows per workgroup of attention_cpu.comp: each K/V fetch serves
 * that many rows, all of whose q and accumulators stay in registers.
 * Measured on llvmpipe: 8 beats 4 and 16 for D = 72 (16 spills more, and
 * takes 90 s to compile); for D = 128, 4 beats 8 (60 s to compile). */
static uint32_t
cpu_rows_per_group (uint32_t n_rows, uint32_t hd)
{
  uint32_t nq = hd <= 72 ? 8 : 4;

  while (nq > 1 && nq / 2 >= n_rows)
    nq /= 2;
  return nq;
}

/* Lanes over keys: a subgroup owns a few query rows of a kv head and a key
 * range, each lane its own keys (see the shader). Returns FALSE where it
 * does not apply (the caller then takes the tiled kernel). */
static gboolean
record_cpu (RgVkRecorder *rec, RgVkBuffer *out, const RgVkBuffer *q, const RgVkBuffer *k,
            const RgVkBuffer *v, const RgVkBuffer *key_mask, const RgAttnParams *p, AttnKernel kernel)
{
  RgVkContext *ctx = rg_vk_recorder_get_context (rec);
  const RgVkDeviceInfo *info = rg_vk_context_get_info (ctx);
  uint32_t hd = p->head_dim, group = p->n_heads / p->n_kv_heads, n_rows = p->n_q * group;
  uint32_t sg = info->subgroup_size, nq, n_blocks, n_split, split_len, step;
  uint64_t q_bytes = (uint64_t) p->n_q * p->n_heads * hd * 4;
  uint64_t kv_bytes = (uint64_t) p->n_kv * p->n_kv_heads * hd * (p->kv_f16 ? 2 : 4);
  uint64_t n_groups, min_groups;
  RgVkBuffer *part_o = NULL, *part_ml = NULL;
  RgVkBinding bindings[7];
  gboolean texel;

  if (kernel == ATTN_TILED || !info->subgroup_arithmetic || sg == 0 || sg > info->max_compute_workgroup_invocations ||
      hd % (p->kv_f16 ? 8 : 4) != 0 || hd > 128 || p->n_kv == 0)
    return FALSE;
  if (kernel == ATTN_AUTO && info->type != VK_PHYSICAL_DEVICE_TYPE_CPU)
    return FALSE;
  /* q, K and V as texels where activations go that way (CPU devices);
   * without them, attention.comp (read through storage buffers, this
   * kernel took llvmpipe minutes to compile) */
  texel = rg_vk_context_get_texel_weights (ctx) &&
          MAX (rg_vk_buffer_get_size (q), MAX (rg_vk_buffer_get_size (k), rg_vk_buffer_get_size (v))) <=
            rg_vk_context_get_max_texel_bytes (ctx);
  if (!texel)
    return FALSE;

  nq = cpu_rows_per_group (n_rows, hd);
  n_blocks = (n_rows + nq - 1) / nq;
  n_groups = (uint64_t) n_blocks * p->n_kv_heads;

  /* Split-K: enough workgroups for the device's threads (a few per core,
   * for balance), each still with 8 steps of keys or more; and every
   * invocation's key loop far under lavapipe's 65535 iterations. */
  step = 4 * sg;
  min_groups = 4 * (uint64_t) MAX (g_get_num_processors (), 1);
  n_split = 1;
  if (n_groups < min_groups)
    n_split = (uint32_t) MIN ((min_groups + n_groups - 1) / n_groups, MAX (1u, p->n_kv / (8 * step)));
  n_split = MAX (n_split, (uint32_t) (((uint64_t) p->n_kv + (uint64_t) CPU_LOOP_BUDGET * step - 1) /
                                      ((uint64_t) CPU_LOOP_BUDGET * step)));
  split_len = (p->n_kv + n_split - 1) / n_split;
  split_len = (split_len + step - 1) / step * step;
  n_split = (p->n_kv + split_len - 1) / split_len;
  if (n_split > 1)
    {
      uint64_t scratch = (uint64_t) n_split * q_bytes;

      uint64_t limit = MIN (info->max_storage_buffer_range, info->max_memory_allocation_size);
      const char *env = g_getenv ("REGARD_MAX_BINDING_BYTES");

      if (env != NULL && g_ascii_strtoull (env, NULL, 10) > 0)
        limit = MIN (limit, g_ascii_strtoull (env, NULL, 10));
      /* the tiled kernel's query chunks handle that */
      if (scratch > MIN (limit, G_MAXUINT32))
        return FALSE;
      if (!split_scratch (rec, (uint64_t) p->n_q * p->n_heads, hd, n_split, &part_o, &part_ml))
        return TRUE;
    }

  {
    AttnPush push = {
      .n_q = p->n_q, .n_kv = p->n_kv, .n_heads = p->n_heads, .n_kv_heads = p->n_kv_heads, .group = group,
      .n_rows = n_rows, .n_blocks = n_blocks, .causal = p->causal != FALSE, .q_pos0 = p->q_pos0,
      .window = p->window, .has_mask = key_mask != NULL, .scale = p->scale, .n_split = n_split,
      .split_len = split_len,
    };
    const RgVkBuffer *texels[3] = { k, v, q };
    RgVkDispatch d = {
      .shader = p->kv_f16 ? "attention_cpu_kv16_tex" : "attention_cpu_f32_tex",
      .texels = texels,
      .n_texels = 3,
      /* spec 2: flags the shader compiles for (1: key mask, 2: causal) */
      .spec = { sg, nq, (key_mask != NULL ? 1u : 0u) | (p->causal ? 2u : 0u), hd },
      .n_spec = 4,
      .bindings = bindings,
      .n_bindings = 7,
      .push = &push,
      .push_size = sizeof push,
      .flops = 4.0 * p->n_q * p->n_heads * (double) p->n_kv * hd,
      .bytes = 2.0 * q_bytes + 2.0 * kv_bytes * n_blocks,
    };

    bindings[0] = (RgVkBinding) { q, 0, q_bytes };
    bindings[1] = (RgVkBinding) { k, 0, kv_bytes };
    bindings[2] = (RgVkBinding) { v, 0, kv_bytes };
    bindings[3] = key_mask ? (RgVkBinding) { key_mask, 0, (uint64_t) p->n_kv * 4 }
                           : (RgVkBinding) { k, 0, 4 };  /* unused dummy */
    bindings[4] = (RgVkBinding) { out, 0, q_bytes };
    bindings[5] = part_o ? rg_vk_bind (part_o) : bindings[4];  /* unused dummies */
    bindings[6] = part_ml ? rg_vk_bind (part_ml) : bindings[4];
    rg_vk_groups_1d (ctx, n_groups * n_split, d.groups);
    rg_vk_dispatch (rec, &d);

    if (n_split > 1)
      record_combine (rec, &d, (uint64_t) p->n_q * p->n_heads * hd, n_split);
  }
  return TRUE;
}

/* ---- Entry point ------------------------------------------------------- */

void
rg_op_attention (RgVkRecorder *rec, RgVkBuffer *out, const RgVkBuffer *q,
                 const RgVkBuffer *k, const RgVkBuffer *v, const RgVkBuffer *key_mask,
                 const RgAttnParams *p)
{
  RgVkContext *ctx = rg_vk_recorder_get_context (rec);
  const RgVkDeviceInfo *info = rg_vk_context_get_info (ctx);
  uint32_t group, n_rows, bq, bk, wg, hd = p->head_dim;
  AttnShape shape;
  uint32_t n_split, split_len, n_tiles, n_blocks, chunk_rows;
  uint64_t q_bytes, kv_bytes, mask_bytes, row_bytes;
  RgVkBinding bindings[7];
  RgVkBuffer *part_o = NULL, *part_ml = NULL;
  AttnKernel kernel;

  if (p->n_q == 0 || p->n_heads == 0)
    return;
  if (p->n_kv_heads == 0 || p->n_heads % p->n_kv_heads != 0 || hd == 0 || (p->kv_f16 && hd % 2 != 0))
    {
      attn_error (rec, "invalid head layout", p);
      return;
    }
  group = p->n_heads / p->n_kv_heads;
  q_bytes = (uint64_t) p->n_q * p->n_heads * hd * 4;
  kv_bytes = (uint64_t) p->n_kv * p->n_kv_heads * hd * (p->kv_f16 ? 2 : 4);
  mask_bytes = (uint64_t) p->n_kv * 4;
  if (q_bytes > G_MAXUINT32 || kv_bytes > G_MAXUINT32 || (uint64_t) p->q_pos0 + p->n_q > G_MAXUINT32)
    {
      attn_error (rec, "too large for 32-bit indexing", p);
      return;
    }
  if (!rg_op_check_size (rec, "attention", q, q_bytes) ||
      !rg_op_check_size (rec, "attention", k, kv_bytes) ||
      !rg_op_check_size (rec, "attention", v, kv_bytes) ||
      (key_mask && !rg_op_check_size (rec, "attention", key_mask, mask_bytes)) ||
      !rg_op_check_size (rec, "attention", out, q_bytes))
    return;
  kernel = attn_kernel_forced ();
  /* On CPU devices lanes over keys beat attention_decode.comp for one
   * query too (0.85B shape, 2000 keys: 0.8 against 1.6 ms, `bench
   * attention`); the decode kernel stays where that one does not apply,
   * and when the tiled kernel is forced (which keeps it tested). */
  if (kernel != ATTN_TILED && record_cpu (rec, out, q, k, v, key_mask, p, kernel))
    return;
  if (kernel != ATTN_CPU && key_mask == NULL && kv_bytes > 0 && record_decode (rec, out, q, k, v, p, kv_bytes))
    return;

  n_rows = p->n_q * group;
  if (!choose_shape (info, n_rows, hd, &shape))
    {
      attn_error (rec, "head dim too large for the device's shared memory", p);
      return;
    }
  bq = shape.bq;
  bk = shape.bk;
  wg = shape.wg;

  /* Split-K: enough workgroups to fill a GPU when there are few query
   * blocks (decode), each still with a few tiles of keys; on a CPU device,
   * enough splits to stay under llvmpipe's loop cap. */
  n_blocks = (n_rows + bq - 1) / bq;
  n_tiles = MAX (1u, (p->n_kv + bk - 1) / bk);
  n_split = 1;
  if ((uint64_t) n_blocks * p->n_kv_heads < 128)
    n_split = MIN ((128 + n_blocks * p->n_kv_heads - 1) / (n_blocks * p->n_kv_heads), MAX (1u, n_tiles / 4));
  if (info->type == VK_PHYSICAL_DEVICE_TYPE_CPU)
    {
      uint64_t per_tile = loop_iterations_per_tile (&shape);
      uint64_t max_tiles = MAX (1u, (CPU_LOOP_BUDGET - loop_iterations_fixed (&shape)) / per_tile);

      n_split = MAX (n_split, (uint32_t) ((n_tiles + max_tiles - 1) / max_tiles));
    }
  split_len = ((n_tiles + n_split - 1) / n_split) * bk;
  n_split = MAX (1u, (p->n_kv + split_len - 1) / split_len);

  /* The split-K scratch holds n_split partial rows per query row; when that
   * exceeds one binding, the query rows go in chunks (each a dispatch pair
   * reusing the scratch) at offsets the device can bind. */
  row_bytes = (uint64_t) p->n_heads * hd * 4;
  chunk_rows = p->n_q;
  if (n_split > 1)
    {
      uint64_t limit = MIN (info->max_storage_buffer_range, info->max_memory_allocation_size);
      uint64_t align = MAX (info->min_storage_buffer_offset_alignment, 1);
      uint64_t unit = align / gcd_u64 (align, row_bytes);
      const char *env = g_getenv ("REGARD_MAX_BINDING_BYTES");

      if (env != NULL && g_ascii_strtoull (env, NULL, 10) > 0)
        limit = MIN (limit, g_ascii_strtoull (env, NULL, 10));
      limit = MIN (limit, G_MAXUINT32);
      if ((uint64_t) chunk_rows * n_split * row_bytes > limit)
        chunk_rows = (uint32_t) ((limit / (n_split * row_bytes)) / unit * unit);
      if (chunk_rows == 0)
        {
          attn_error (rec, "split-K scratch for one query row exceeds one binding", p);
          return;
        }
      if (!split_scratch (rec, (uint64_t) chunk_rows * p->n_heads, hd, n_split, &part_o, &part_ml))
        return;
    }

  /* Explicit ranges: a KV cache buffer larger than one binding allows is
   * fine as long as the rows in use fit. */
  bindings[1] = (RgVkBinding) { k, 0, kv_bytes ? kv_bytes : 4 };
  bindings[2] = (RgVkBinding) { v, 0, kv_bytes ? kv_bytes : 4 };
  bindings[3] = key_mask ? (RgVkBinding) { key_mask, 0, mask_bytes ? mask_bytes : 4 }
                         : (RgVkBinding) { k, 0, 4 };  /* unused dummy */

  for (uint32_t i0 = 0; i0 < p->n_q; i0 += chunk_rows)
    {
      uint32_t nq = MIN (chunk_rows, p->n_q - i0);
      uint32_t rows = nq * group;
      uint32_t blocks = (rows + bq - 1) / bq;
      uint64_t n_groups = (uint64_t) blocks * p->n_kv_heads * n_split;
      AttnPush push = {
        .n_q = nq,
        .n_kv = p->n_kv,
        .n_heads = p->n_heads,
        .n_kv_heads = p->n_kv_heads,
        .group = group,
        .n_rows = rows,
        .n_blocks = blocks,
        .causal = p->causal != FALSE,
        .q_pos0 = p->q_pos0 + i0,
        .window = p->window,
        .has_mask = key_mask != NULL,
        .scale = p->scale,
        .n_split = n_split,
        .split_len = split_len,
      };
      RgVkDispatch d = { 0 };

      bindings[0] = (RgVkBinding) { q, i0 * row_bytes, nq * row_bytes };
      bindings[4] = (RgVkBinding) { out, i0 * row_bytes, nq * row_bytes };
      bindings[5] = part_o ? rg_vk_bind (part_o) : bindings[4];  /* unused dummies */
      bindings[6] = part_ml ? rg_vk_bind (part_ml) : bindings[4];

      d.shader = p->kv_f16 ? "attention_kv16" : "attention_f32";
      d.spec[0] = wg;
      d.spec[1] = bq;
      d.spec[2] = bk;
      d.spec[3] = hd;
      d.n_spec = 4;
      d.bindings = bindings;
      d.n_bindings = 7;
      d.push = &push;
      d.push_size = sizeof push;
      d.flops = 4.0 * nq * p->n_heads * (double) p->n_kv * hd;
      d.bytes = 2.0 * nq * row_bytes + 2.0 * kv_bytes * blocks;
      rg_vk_groups_1d (ctx, n_groups, d.groups);
      rg_vk_dispatch (rec, &d);

      if (n_split > 1)
        record_combine (rec, &d, (uint64_t) nq * p->n_heads * hd, n_split);
    }
}
