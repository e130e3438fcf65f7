/* regard-bench-attention.c: regard_bench_attention (regard-tools.h),
 * behind `regard-cli bench attention`: rg_op_attention alone at the
 * shapes the models run (vision towers, perceivers, text prefill), each
 * the best of REPEAT submits (one dispatch pair each, to the fence).
 * $REGARD_ATTENTION=tiled|cpu picks the kernel on CPU devices. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "regard-tools.h"
#include "rg-dtype.h"
#include "rg-ops.h"
#include "rg-vk.h"

typedef struct
{
  const char *use;
  uint32_t n_q, n_kv, n_heads, n_kv_heads, head_dim;
  gboolean causal, mask, kv_f16;
} BenchShape;

static const BenchShape shapes[] = {
  { "tiny vision tower", 1824, 1824, 4, 4, 8, FALSE, FALSE },
  { "same, padded", 1824, 1824, 4, 4, 8, FALSE, TRUE },
  { "tiny perceiver", 64, 1888, 4, 2, 8, FALSE, TRUE },
  { "tiny prefill", 82, 82, 4, 2, 16, TRUE, FALSE },
  { "idefics2-8b perceiver", 64, 1088, 16, 4, 96, FALSE, TRUE },
  { "Mistral prefill", 512, 512, 32, 8, 128, TRUE, FALSE },
  { "Mistral prefill, f16 KV", 512, 512, 32, 8, 128, TRUE, FALSE, TRUE },
  { "SigLIP-so400m, 1024 patches", 1024, 1024, 16, 16, 72, FALSE, TRUE },
  { "SigLIP-so400m, 4900 patches", 4900, 4900, 16, 16, 72, FALSE, FALSE },
  { "0.85B decode after 2000 tokens", 1, 2000, 32, 8, 64, TRUE, FALSE },
  { "0.85B decode after 2000 tokens, f16 KV", 1, 2000, 32, 8, 64, TRUE, FALSE, TRUE },
};

/* N floats in [-1, 1) (a fixed sequence), as f32 or as halves */
static RgVkBuffer *
bench_buffer (RgVkContext *ctx, const char *name, uint64_t n, gboolean f16, GError **error)
{
  g_autofree float *data = g_new (float, n);
  g_autofree uint16_t *halves = NULL;
  g_autoptr(RgVkBuffer) buf = NULL;
  guint32 s = 4242;

  for (uint64_t i = 0; i < n; i++)
    {
      s = s * 1664525u + 1013904223u;
      data[i] = (float) (s >> 8) / 8388608.0f - 1.0f;
    }
  if (!f16)
    return rg_gpu_upload_f32 (ctx, name, data, n, error);
  halves = g_new (uint16_t, n);
  for (uint64_t i = 0; i < n; i++)
    halves[i] = rg_f32_to_f16 (data[i]);
  buf = rg_vk_buffer_new (ctx, name, n * 2, error);
  if (buf == NULL || !rg_vk_buffer_upload (buf, 0, halves, n * 2, error))
    return NULL;
  return g_steal_pointer (&buf);
}

/* Milliseconds of the fastest of REPEAT submits of one attention, after a
 * warm-up submit (pipeline creation); < 0 on error. */
static double
time_attention (RgVkContext *ctx, const BenchShape *s, guint repeat, GError **error)
{
  uint64_t nq = (uint64_t) s->n_q * s->n_heads * s->head_dim;
  uint64_t nkv = (uint64_t) s->n_kv * s->n_kv_heads * s->head_dim;
  g_autoptr(RgVkBuffer) q = bench_buffer (ctx, "q", nq, FALSE, error);
  g_autoptr(RgVkBuffer) k = q ? bench_buffer (ctx, "k", nkv, s->kv_f16, error) : NULL;
  g_autoptr(RgVkBuffer) v = k ? bench_buffer (ctx, "v", nkv, s->kv_f16, error) : NULL;
  g_autoptr(RgVkBuffer) out = v ? rg_vk_buffer_new (ctx, "out", nq * 4, error) : NULL;
  g_autoptr(RgVkBuffer) mask = NULL;
  g_autoptr(RgVkRecorder) rec = NULL;
  RgAttnParams p = {
    .n_q = s->n_q, .n_kv = s->n_kv, .n_heads = s->n_heads, .n_kv_heads = s->n_kv_heads,
    .head_dim = s->head_dim, .scale = 1.0f / sqrtf ((float) s->head_dim), .causal = s->causal,
    .kv_f16 = s->kv_f16,
    /* the queries are the last positions (a decode step sees every key) */
    .q_pos0 = s->causal ? s->n_kv - s->n_q : 0,
  };
  double best = -1;

  if (out == NULL)
    return -1;
  if (s->mask)
    {
      /* the last eighth masked, as a padded image */
      g_autofree uint32_t *m = g_new (uint32_t, s->n_kv);

      for (uint32_t j = 0; j < s->n_kv; j++)
        m[j] = j < s->n_kv - s->n_kv / 8;
      mask = rg_vk_buffer_new (ctx, "key mask", (uint64_t) s->n_kv * 4, error);
      if (mask == NULL || !rg_vk_buffer_upload (mask, 0, m, (uint64_t) s->n_kv * 4, error))
        return -1;
    }
  rec = rg_vk_recorder_new (ctx);
  for (guint r = 0; r <= repeat; r++)
    {
      gint64 t0 = g_get_monotonic_time ();
      double ms;

      rg_op_attention (rec, out, q, k, v, mask, &p);
      if (!rg_vk_recorder_submit (rec, error))
        return -1;
      ms = (g_get_monotonic_time () - t0) / 1e3;
      if (r > 0 && (best < 0 || ms < best))
        best = ms;
    }
  return best;
}

gboolean
regard_bench_attention (const RegardBenchParams *params, GError **error)
{
  FILE *fp = params->out ? params->out : stdout;
  g_autoptr(RgVkContext) ctx = rg_vk_context_new (params->device, error);
  guint repeat = MAX (params->repeat, 1);

  if (ctx == NULL)
    return FALSE;
  fprintf (fp, "device: %s, kernel: %s, best of %u\n", rg_vk_context_get_info (ctx)->name,
           g_getenv ("REGARD_ATTENTION") ? g_getenv ("REGARD_ATTENTION") : "auto", repeat);
  fprintf (fp, "%-30s %-36s %10s %9s\n", "use", "shape (Lq, Lk, Hq/Hkv, D)", "ms", "GFLOP/s");
  for (guint i = 0; i < G_N_ELEMENTS (shapes); i++)
    {
      const BenchShape *s = &shapes[i];
      g_autofree char *shape = g_strdup_printf ("%u, %u%s, %u/%u, %u%s", s->n_q, s->n_kv, s->causal ? " causal" : "",
                                                s->n_heads, s->n_kv_heads, s->head_dim, s->mask ? ", key mask" : "");
      double ms, flops = 4.0 * s->n_q * s->n_kv * s->n_heads * s->head_dim * (s->causal && s->n_q > 1 ? 0.5 : 1.0);

      if (params->filter != NULL && strstr (s->use, params->filter) == NULL)
        continue;
      ms = time_attention (ctx, s, repeat, error);
      if (ms < 0)
        return FALSE;
      fprintf (fp, "%-30s %-36s %10.1f %9.2f\n", s->use, shape, ms, flops / (ms * 1e6));
      fflush (fp);
    }
  return TRUE;
}
