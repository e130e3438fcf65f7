/* rg-budget.c: device memory estimates per weight format. */
#include "rg-budget.h"

#include "regard-engine.h"
#include "rg-arch.h"

#include <string.h>
#include <unistd.h>

#define QK 32u

/* Text tokens of a prompt besides the image tokens, for the prefill's
 * activations: the chat template and a question. */
#define PROMPT_TEXT_TOKENS 64u

/* Bytes of one KV cache element: AUTO as the model resolves it without
 * $REGARD_KV_CACHE (f32 for f32 weights, f16 otherwise). */
static guint64
kv_bytes (RgDType format, RgKvType kv)
{
  if (kv == RG_KV_AUTO)
    kv = format == RG_DTYPE_F32 ? RG_KV_F32 : RG_KV_F16;
  return kv == RG_KV_F16 ? 2 : 4;
}

/* Bytes of a [rows, cols] matrix of the language model in FORMAT: rows
 * that are not whole blocks stay f16, as the loader keeps them. */
static guint64
text_matrix (RgDType format, guint64 rows, guint64 cols)
{
  uint64_t row_bytes;

  if (!rg_dtype_bytes_checked (format, cols, &row_bytes))
    row_bytes = cols * 2;
  return rows * row_bytes;
}

/* The vision tower and the connector: f16 unless the format is f32 or
 * bf16 (quantizing them costs accuracy for little memory). */
static guint64
other_matrix (RgDType format, guint64 rows, guint64 cols)
{
  return rows * cols * (format == RG_DTYPE_F32 ? 4 : 2);
}

/* The type the Vulkan loader stores a matrix of RULE with COLS in
 * (rg-model-gpu.c's target_dtype). */
static RgDType
stored_dtype (RgDType format, RgQuantRule rule, guint64 cols)
{
  if (format != RG_DTYPE_Q8_0 && format != RG_DTYPE_Q4_0)
    return format;
  if (rule == RG_QUANT_NEVER || cols % QK != 0)
    return RG_DTYPE_F16;
  return rule == RG_QUANT_8BIT ? RG_DTYPE_Q8_0 : format;
}

/* Matrices and vector elements of a family straight from its weight
 * table, as the loader stores them; TEXT_ONLY: only what a decode step
 * reads (no vision tower, perceiver or embedding). */
static void
arch_weights (const RgModelConfig *cfg, RgDType format, gboolean text_only, guint64 *m, guint64 *v)
{
  RgArchDims dims;
  const RgArch *arch = rg_arch_for_config (cfg, &dims, NULL);

  *m = *v = 0;
  for (guint s = 1; arch && s < arch->n_weights; s++)
    {
      const RgArchWeight *w = &arch->weights[s];
      guint64 n = rg_arch_weight_layers (arch, &dims, s);
      uint32_t rows, cols;

      /* a decode step reads neither the vision side, the embedding table
       * nor the gated blocks' k/v projections (applied once per image states) */
      if (text_only && (g_str_has_prefix (w->name, "model.vision_model.") ||
                        g_str_has_prefix (w->name, "model.perceiver_resampler.") ||
                        g_str_has_prefix (w->name, "model.embed_tokens.") ||
                        strstr (w->name, "cross_attn.k_proj") || strstr (w->name, "cross_attn.v_proj")))
        continue;
      rg_arch_weight_matrix (arch, &dims, s, &rows, &cols);
      if (w->kind == RG_WEIGHT_VECTOR)
        *v += n * rows * cols;
      else
        *m += n * text_matrix (stored_dtype (format, w->quant, cols), rows, cols);
    }
}

/* IDEFICS1 (one <image> token per image, cross-attention to the image
 * states): weights from its description, one image's vision + perceiver
 * activations, or a prompt's with the gated blocks' k/v of its images. */
static void
estimate_idefics1 (const RgModelConfig *cfg, RgDType format, RgKvType kv, guint context_length, RgBudgetEstimate *out)
{
  const RgVisionConfig *vc = &cfg->vision;
  const RgPerceiverConfig *pc = &cfg->perceiver;
  const RgTextConfig *tc = &cfg->text;
  guint64 V = vc->hidden_size, Vi = vc->intermediate_size, P = vc->patch_size, C = vc->num_channels;
  guint64 S = vc->image_size, NP = (S / P) * (S / P), NP1 = NP + 1;
  guint64 T = tc->hidden_size, I = tc->intermediate_size, vocab = tc->vocab_size;
  guint64 HD = (guint64) tc->num_attention_heads * tc->head_dim, KV = (guint64) tc->num_key_value_heads * tc->head_dim;
  guint64 NL = pc->resampler_n_latents, pq = (guint64) pc->resampler_n_heads * pc->resampler_head_dim;
  /* images attended by one prompt, for the states and the gated blocks' k/v */
  guint64 n_img = 4, seq = cfg->image_seq_len, ctx = context_length, L, vision_act, prefill_act, m, v;

  arch_weights (cfg, format, FALSE, &m, &v);
  out->matrices = m;
  out->vectors = (v + ctx * tc->head_dim) * 4;
  out->kv_cache = (guint64) tc->num_hidden_layers * ctx * KV * kv_bytes (format, kv) * 2;

  vision_act = C * S * S + NP * C * P * P + NP * V + 6 * NP1 * V + NP1 * Vi;
  vision_act += (NP1 + NL) * (V + 2 * pq) + 3 * NL * V + 2 * NL * pq + 4 * NL * V + n_img * seq * V;
  L = MIN (n_img * 3 + PROMPT_TEXT_TOKENS, MAX (ctx, 1));
  prefill_act = L * (2 * T + 2 * HD + 2 * I) + vocab + n_img * seq * V;
  /* plus, kept while the images stay, every gated block's keys and values */
  out->activations = (MAX (vision_act, prefill_act) +
                      (guint64) (tc->num_hidden_layers / cfg->idefics1.cross_layer_interval) * 2 * n_img * seq * HD) * 4;
  out->total = out->matrices + out->vectors + out->kv_cache + out->activations;
}

void
rg_budget_estimate (const RgModelConfig *cfg, RgDType format, RgKvType kv, guint context_length,
                    gboolean image_splitting, RgBudgetEstimate *out)
{
  const RgVisionConfig *vc = &cfg->vision;
  const RgPerceiverConfig *pc = &cfg->perceiver;
  const RgTextConfig *tc = &cfg->text;
  guint64 V = vc->hidden_size, Vi = vc->intermediate_size, P = vc->patch_size, C = vc->num_channels;
  guint64 S = vc->image_size, side = S / P, NP = side * side;
  guint64 T = tc->hidden_size, I = tc->intermediate_size, vocab = tc->vocab_size;
  guint64 H = tc->num_attention_heads, Hkv = tc->num_key_value_heads, D = tc->head_dim;
  guint64 NL = cfg->image_seq_len, NK = NP + NL;
  guint64 pq = (guint64) pc->resampler_n_heads * pc->resampler_head_dim;
  guint64 pkv = (guint64) pc->num_key_value_heads * pc->resampler_head_dim;
  /* the loader's mixed 4-bit format keeps lm_head, the embedding and k/v at 8 bits */
  RgDType wide = format == RG_DTYPE_Q4_0 ? RG_DTYPE_Q8_0 : format;
  /* sub-images of one image: IDEFICS2's 4 crops + the whole; IDEFICS3's
   * tiles (SmolVLM: up to 4 x 4 of 512 in 2048) + the global image */
  guint64 n_sub = !image_splitting ? 1 : cfg->family == RG_MODEL_FAMILY_IDEFICS3 ? 17 : 5;
  guint64 ctx = context_length, L, m = 0, v = 0, vision_act, layer_act, prefill_act;

  if (cfg->family == RG_MODEL_FAMILY_IDEFICS1)
    {
      estimate_idefics1 (cfg, format, kv, context_length, out);
      return;
    }

  /* vision tower */
  m += other_matrix (format, V, C * P * P) + other_matrix (format, NP, V);
  m += vc->num_hidden_layers * (4 * other_matrix (format, V, V) + 2 * other_matrix (format, Vi, V));
  v += V + vc->num_hidden_layers * (9 * V + Vi) + 2 * V;
  /* connector: IDEFICS3's pixel shuffle + one linear, or IDEFICS2's
   * modality projection + perceiver (zero-sized for IDEFICS3) */
  if (cfg->family == RG_MODEL_FAMILY_IDEFICS3)
    m += other_matrix (format, T, V * cfg->connector.scale_factor * cfg->connector.scale_factor);
  else
    m += 2 * other_matrix (format, I, V) + other_matrix (format, T, I);
  m += pc->resampler_depth * (2 * other_matrix (format, pq, T) + 2 * other_matrix (format, pkv, T) +
                              3 * other_matrix (format, 4 * T, T));
  v += NL * T + pc->resampler_depth * 3 * T + T;
  /* language model; lm_head even when tied (the loader may share it, the
   * estimate stays on the safe side), in Q8_0 for Q4_0 as the loader
   * keeps it */
  m += text_matrix (wide, vocab, T) + text_matrix (wide, vocab, T);
  m += tc->num_hidden_layers * (2 * text_matrix (format, H * D, T) + 2 * text_matrix (wide, Hkv * D, T) +
                                2 * text_matrix (format, I, T) + text_matrix (format, T, I));
  v += tc->num_hidden_layers * 2 * T + T + ctx * D;

  out->matrices = m;
  out->vectors = v * 4;
  out->kv_cache = (guint64) tc->num_hidden_layers * ctx * Hkv * D * kv_bytes (format, kv) * 2;

  /* one sub-image: pixels, im2col, x, positions, context, features, then
   * the largest of a vision layer, the projection and a perceiver layer */
  vision_act = C * S * S + NP * C * P * P + 2 * NP * V + NP * T + n_sub * NL * T;
  layer_act = MAX (4 * NP * V + NP * Vi, 2 * NP * I);
  layer_act = MAX (layer_act, 5 * NL * T + NK * T + 2 * NL * pq + 2 * NK * pkv + 8 * NL * T);
  vision_act = (vision_act + layer_act) * 4;

  /* prefill of the image tokens and a question: hidden states, logits,
   * features, and one decoder layer */
  L = MIN (n_sub * NL + PROMPT_TEXT_TOKENS, MAX (ctx, 1));
  prefill_act = L * T + vocab + n_sub * NL * T + T;
  prefill_act += L * (MAX (T, H * D) + 2 * H * D + 2 * Hkv * D + 2 * I);
  prefill_act *= 4;

  out->activations = MAX (vision_act, prefill_act);
  out->total = out->matrices + out->vectors + out->kv_cache + out->activations;
}

guint64
rg_budget_decode_bytes (const RgModelConfig *cfg, RgDType format, RgKvType kv, guint n_past)
{
  const RgTextConfig *tc = &cfg->text;
  guint64 T = tc->hidden_size, I = tc->intermediate_size, vocab = tc->vocab_size;
  guint64 H = tc->num_attention_heads, Hkv = tc->num_key_value_heads, D = tc->head_dim;
  RgDType wide = format == RG_DTYPE_Q4_0 ? RG_DTYPE_Q8_0 : format;
  guint64 layer;

  if (cfg->family == RG_MODEL_FAMILY_IDEFICS1)
    {
      guint64 m, v;

      /* every decoder and gated-block matrix (but the cross k/v, applied
       * once per image states) and lm_head */
      arch_weights (cfg, format, TRUE, &m, &v);
      return m + (guint64) tc->num_hidden_layers * n_past * Hkv * D * kv_bytes (format, kv) * 2;
    }
  layer = 2 * text_matrix (format, H * D, T) + 2 * text_matrix (wide, Hkv * D, T) +
                  2 * text_matrix (format, I, T) + text_matrix (format, T, I);

  return tc->num_hidden_layers * (layer + (guint64) n_past * Hkv * D * kv_bytes (format, kv) * 2) + text_matrix (wide, vocab, T);
}

static double
gb (guint64 bytes)
{
  return (double) bytes / 1e9;
}

static const char *
format_label (RgDType format)
{
  switch (format)
    {
    case RG_DTYPE_F32: return "f32";
    case RG_DTYPE_F16: return "f16";
    case RG_DTYPE_BF16: return "bf16";
    case RG_DTYPE_Q8_0: return "q8_0";
    case RG_DTYPE_Q4_0: return "q4_0";
    default: return "?";
    }
}

/* The longest context (a multiple of 256) with which FORMAT fits USABLE,
 * or 0. */
static guint
fitting_context (const RgModelConfig *cfg, RgDType format, RgKvType kv, gboolean splitting, guint64 usable)
{
  guint best = 0;

  for (guint ctx = 256; ctx <= 32768; ctx += 256)
    {
      RgBudgetEstimate e;

      rg_budget_estimate (cfg, format, kv, ctx, splitting, &e);
      if (e.total > usable)
        break;
      best = ctx;
    }
  return best;
}

gboolean
rg_budget_choose (const RgModelConfig *cfg, RgDType requested, RgKvType kv, guint context_length,
                  gboolean image_splitting, guint64 budget_bytes, const char *device_name,
                  RgDType *chosen, char **reason, GError **error)
{
  static const RgDType auto_order[] = { RG_DTYPE_F16, RG_DTYPE_Q8_0, RG_DTYPE_Q4_0 };
  guint64 usable = (guint64) ((double) budget_bytes * (1.0 - RG_BUDGET_HEADROOM));
  gboolean is_auto = requested == RG_DTYPE_COUNT;
  const char *dev = device_name ? device_name : "the device";
  RgBudgetEstimate e;
  g_autoptr(GString) help = g_string_new (NULL);
  guint ctx_fit;

  for (guint i = 0; i < (is_auto ? G_N_ELEMENTS (auto_order) : 1); i++)
    {
      RgDType f = is_auto ? auto_order[i] : requested;

      rg_budget_estimate (cfg, f, kv, context_length, image_splitting, &e);
      if (e.total <= usable)
        {
          *chosen = f;
          if (reason)
            {
              if (!is_auto)
                *reason = g_strdup_printf ("%s weights as requested: %.1f GB of the %.1f GB %s has.",
                                           format_label (f), gb (e.total), gb (budget_bytes), dev);
              else if (i == 0)
                *reason = g_strdup_printf ("16-bit weights (f16, or bf16 for a bf16 checkpoint: the most accurate format) fit: %.1f GB of the "
                                           "%.1f GB %s has.", gb (e.total), gb (budget_bytes), dev);
              else
                {
                  RgBudgetEstimate better;

                  rg_budget_estimate (cfg, auto_order[i - 1], kv, context_length, image_splitting, &better);
                  *reason = g_strdup_printf ("%s weights: %s would need %.1f GB but %s has %.1f GB; %s needs "
                                             "%.1f GB.", format_label (f), format_label (auto_order[i - 1]),
                                             gb (better.total), dev, gb (budget_bytes), format_label (f),
                                             gb (e.total));
                }
            }
          return TRUE;
        }
    }

  /* nothing fits: say what would */
  if (!is_auto && requested != RG_DTYPE_Q4_0)
    {
      g_autofree char *alt = NULL;
      RgDType order_after[] = { RG_DTYPE_Q8_0, RG_DTYPE_Q4_0 };

      for (guint i = 0; i < G_N_ELEMENTS (order_after) && alt == NULL; i++)
        {
          RgBudgetEstimate a;

          if (order_after[i] == requested)
            continue;
          rg_budget_estimate (cfg, order_after[i], kv, context_length, image_splitting, &a);
          if (a.total <= usable && a.total < e.total)
            alt = g_strdup_printf ("the smaller %s format (%.1f GB)", format_label (order_after[i]), gb (a.total));
        }
      if (alt)
        g_string_append_printf (help, "%s; ", alt);
    }
  if (image_splitting)
    {
      RgBudgetEstimate ns;

      /* sub-images are encoded one at a time: splitting only adds image
       * tokens, so this rarely matters, but say so when it does */
      rg_budget_estimate (cfg, is_auto ? RG_DTYPE_Q4_0 : requested, kv, context_length, FALSE, &ns);
      if (ns.total <= usable)
        g_string_append_printf (help, "turning image splitting off (%.1f GB); ", gb (ns.total));
    }
  ctx_fit = fitting_context (cfg, is_auto ? RG_DTYPE_Q4_0 : requested, kv, image_splitting, usable);
  if (ctx_fit > 0 && ctx_fit < context_length)
    g_string_append_printf (help, "a context of %u tokens instead of %u; ", ctx_fit, context_length);
  if (help->len == 0)
    {
      RgBudgetEstimate least;

      rg_budget_estimate (cfg, RG_DTYPE_Q4_0, kv, 256, FALSE, &least);
      g_string_append_printf (help, "another device with more memory: even q4_0 (the smallest format) without "
                                    "image splitting and with a context of 256 tokens needs %.1f GB",
                              gb (least.total));
    }
  else
    g_string_append (help, "or another device with more memory");
  g_set_error (error, REGARD_ERROR, REGARD_ERROR_OUT_OF_MEMORY,
               "The model needs %.1f GB in %s (%.1f GB weights, %.1f GB KV cache for %u tokens, %.1f GB "
               "activations) but %s has %.1f GB. Try %s.",
               gb (e.total), format_label (is_auto ? RG_DTYPE_Q4_0 : requested),
               gb (e.matrices + e.vectors), gb (e.kv_cache), context_length, gb (e.activations),
               dev, gb (budget_bytes), help->str);
  return FALSE;
}

gboolean
rg_budget_choose_default_context (const RgModelConfig *cfg, RgDType requested, RgKvType kv, guint *context_length,
                                  gboolean image_splitting, guint64 budget_bytes, const char *device_name,
                                  RgDType *chosen, char **reason, GError **error)
{
  g_autoptr(GError) full_error = NULL;
  guint64 usable = (guint64) ((double) budget_bytes * (1.0 - RG_BUDGET_HEADROOM));
  RgDType smallest = requested == RG_DTYPE_COUNT ? RG_DTYPE_Q4_0 : requested;
  guint fit;
  g_autofree char *why = NULL;

  if (rg_budget_choose (cfg, requested, kv, *context_length, image_splitting, budget_bytes, device_name,
                        chosen, reason, &full_error))
    return TRUE;
  fit = fitting_context (cfg, smallest, kv, image_splitting, usable);
  if (!g_error_matches (full_error, REGARD_ERROR, REGARD_ERROR_OUT_OF_MEMORY)
      || fit < RG_BUDGET_MIN_DEFAULT_CONTEXT || fit >= *context_length
      || !rg_budget_choose (cfg, requested, kv, fit, image_splitting, budget_bytes, device_name,
                            chosen, &why, NULL))
    {
      g_propagate_error (error, g_steal_pointer (&full_error));
      return FALSE;
    }
  if (reason)
    *reason = g_strdup_printf ("%s The context is %u tokens instead of %u so that it fits.", why, fit,
                               *context_length);
  *context_length = fit;
  return TRUE;
}

guint64
rg_budget_host_bytes (void)
{
  const char *env = g_getenv ("REGARD_HOST_MEMORY_BYTES");
  g_autofree char *meminfo = NULL;
  long pages, page_size;

  if (env != NULL)
    return g_ascii_strtoull (env, NULL, 10);
  if (g_file_get_contents ("/proc/meminfo", &meminfo, NULL, NULL))
    {
      const char *line = strstr (meminfo, "MemAvailable:");
      if (line != NULL)
        return g_ascii_strtoull (line + strlen ("MemAvailable:"), NULL, 10) * 1024;
    }
  pages = sysconf (_SC_AVPHYS_PAGES);
  page_size = sysconf (_SC_PAGESIZE);
  return pages > 0 && page_size > 0 ? (guint64) pages * (guint64) page_size : 0;
}

gboolean
rg_budget_check_host (const RgModelConfig *cfg, RgKvType kv, guint context_length, gboolean image_splitting,
                      guint64 host_bytes, GError **error)
{
  guint64 usable = (guint64) ((double) host_bytes * (1.0 - RG_BUDGET_HEADROOM));
  RgBudgetEstimate e;

  rg_budget_estimate (cfg, RG_DTYPE_F32, kv, context_length, image_splitting, &e);
  if (e.total <= usable)
    return TRUE;
  g_set_error (error, REGARD_ERROR, REGARD_ERROR_OUT_OF_MEMORY,
               "The reference backend needs %.1f GB of memory for this model (f32 weights, a %u-token "
               "context), more than the %.1f GB available",
               gb (e.total), context_length, gb (host_bytes));
  return FALSE;
}
