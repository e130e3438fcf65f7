/* rg-config-idefics1.c: the IDEFICS1 family's config.json (IdeficsConfig,
 * IdeficsVisionConfig, IdeficsPerceiverConfig defaults for absent keys;
 * reference ../shared/reference/idefics1.md §1). The text model's keys are
 * at the top level; use_resampler is read there too (P5). */
#include "rg-config-private.h"

#include <string.h>

#include "regard-error.h"

static gboolean
parse_vision (const RgConfigSection *s, RgVisionConfig *v, RgActivation *act, GError **error)
{
  static const char * const types[] = { "idefics", NULL };
  const guint M = RG_CONFIG_MAX_DIM;
  const char *hidden_act;

  /* IdeficsVisionConfig defaults (embed_dim, not hidden_size) */
  if (!rg_config_check_name (s, "model_type", types, error) ||
      !rg_config_get_string (s, "hidden_act", &hidden_act, error) ||
      !rg_config_get_uint (s, "embed_dim", 768, M, FALSE, &v->hidden_size, NULL, error) ||
      !rg_config_get_uint (s, "intermediate_size", 5120, M, FALSE, &v->intermediate_size, NULL, error) ||
      !rg_config_get_uint (s, "num_hidden_layers", 32, 1000, FALSE, &v->num_hidden_layers, NULL, error) ||
      !rg_config_get_uint (s, "num_attention_heads", 16, M, FALSE, &v->num_attention_heads, NULL, error) ||
      !rg_config_get_uint (s, "num_channels", 3, 64, FALSE, &v->num_channels, NULL, error) ||
      !rg_config_get_uint (s, "image_size", 224, 100000, FALSE, &v->image_size, NULL, error) ||
      !rg_config_get_uint (s, "patch_size", 14, 100000, FALSE, &v->patch_size, NULL, error) ||
      !rg_config_get_positive_float (s, "layer_norm_eps", 1e-5, 1.0, &v->layer_norm_eps, error))
    return FALSE;
  if (hidden_act == NULL || strcmp (hidden_act, "gelu") == 0)
    *act = RG_ACT_GELU;
  else if (strcmp (hidden_act, "quick_gelu") == 0)
    *act = RG_ACT_QUICK_GELU;
  else
    {
      rg_config_fail (error, REGARD_ERROR_UNSUPPORTED, s, "vision_config.hidden_act '%s' is not supported "
                      "(gelu or quick_gelu)", hidden_act);
      return FALSE;
    }
  if (v->hidden_size % v->num_attention_heads != 0)
    {
      rg_config_fail (error, REGARD_ERROR_INVALID_MODEL, s, "vision_config.embed_dim %u is not a multiple of "
                      "num_attention_heads %u", v->hidden_size, v->num_attention_heads);
      return FALSE;
    }
  if (v->patch_size > v->image_size || v->image_size / v->patch_size > 4096)
    {
      rg_config_fail (error, REGARD_ERROR_INVALID_MODEL, s, "vision_config: image_size %u with patch_size %u",
                      v->image_size, v->patch_size);
      return FALSE;
    }
  if (v->num_channels != 3)
    {
      rg_config_fail (error, REGARD_ERROR_UNSUPPORTED, s, "vision_config.num_channels %u is not supported (RGB only)",
                      v->num_channels);
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_perceiver (const RgConfigSection *s, RgPerceiverConfig *p, gboolean *qk_norms, GError **error)
{
  static const char * const types[] = { "idefics", NULL };
  const guint M = RG_CONFIG_MAX_DIM;

  /* IdeficsPerceiverConfig defaults; its own use_resampler is ignored (P5) */
  if (!rg_config_check_name (s, "model_type", types, error) ||
      !rg_config_get_uint (s, "resampler_n_latents", 64, 100000, FALSE, &p->resampler_n_latents, NULL, error) ||
      !rg_config_get_uint (s, "resampler_depth", 6, 1000, FALSE, &p->resampler_depth, NULL, error) ||
      !rg_config_get_uint (s, "resampler_n_heads", 16, M, FALSE, &p->resampler_n_heads, NULL, error) ||
      !rg_config_get_uint (s, "resampler_head_dim", 96, M, FALSE, &p->resampler_head_dim, NULL, error) ||
      !rg_config_get_bool (s, "qk_layer_norms_perceiver", FALSE, qk_norms, error))
    return FALSE;
  if ((uint64_t) p->resampler_n_heads * p->resampler_head_dim > RG_CONFIG_MAX_DIM)
    {
      rg_config_fail (error, REGARD_ERROR_INVALID_MODEL, s, "perceiver_config: heads x head_dim is too large");
      return FALSE;
    }
  p->num_key_value_heads = p->resampler_n_heads;
  p->rms_norm_eps = 1e-5f;   /* its LayerNorms use PyTorch's default (P4) */
  return TRUE;
}

static gboolean
check_derived_sizes (const RgConfigSection *top, const RgModelConfig *c, GError **error)
{
  const RgVisionConfig *v = &c->vision;
  const RgPerceiverConfig *p = &c->perceiver;
  const RgTextConfig *t = &c->text;
  guint64 per_side = v->image_size / v->patch_size, NP1 = per_side * per_side + 1, V = v->hidden_size;
  guint64 NL = p->resampler_n_latents, PQ = (guint64) p->resampler_n_heads * p->resampler_head_dim;
  guint64 Q = (guint64) t->num_attention_heads * t->head_dim;
  const RgConfigSize sizes[] = {
    RG_CONFIG_SIZE ("vision patch embedding", V, v->num_channels, v->patch_size, v->patch_size),
    RG_CONFIG_SIZE ("vision position embedding", NP1, V),
    RG_CONFIG_SIZE ("vision MLP", V, v->intermediate_size),
    RG_CONFIG_SIZE ("vision hidden states of one image", NP1, MAX (V, v->intermediate_size)),
    RG_CONFIG_SIZE ("perceiver context of one image", NP1 + NL, MAX (V, PQ)),
    RG_CONFIG_SIZE ("perceiver attention projection", PQ, V),
    RG_CONFIG_SIZE ("perceiver MLP", 4, V, V),
    RG_CONFIG_SIZE ("text embeddings", t->vocab_size, t->hidden_size),
    RG_CONFIG_SIZE ("text attention projection", Q, t->hidden_size),
    RG_CONFIG_SIZE ("cross-attention key projection", Q, V),
    RG_CONFIG_SIZE ("text MLP", t->intermediate_size, t->hidden_size),
    RG_CONFIG_SIZE ("one layer of the KV cache at max_position_embeddings", t->max_position_embeddings, Q),
  };

  return rg_config_check_sizes (top, sizes, G_N_ELEMENTS (sizes), error);
}

gboolean
rg_config_parse_idefics1 (const RgConfigSection *top, RgModelConfig *cfg, GError **error)
{
  static const char * const text_types[] = { "idefics", NULL };
  /* IdeficsConfig defaults (the LLaMA keys live at the top level) */
  const RgTextDefaults text_def = {
    .types = text_types, .vocab_size = 32000, .hidden_size = 4096, .intermediate_size = 11008,
    .num_hidden_layers = 32, .num_attention_heads = 32, .num_key_value_heads = 0,
    .max_position_embeddings = 2048, .rms_norm_eps = 1e-6, .sliding_window = 0,
  };
  RgIdefics1Config *ic = &cfg->idefics1;
  RgConfigSection vision, perceiver;
  const char *alpha_type;
  guint extra = 0;

  /* the early idefics-80b config's flat keys are not what the code reads */
  if (rg_config_member (top, "vision_config") == NULL && rg_config_member (top, "vision_embed_dim") != NULL)
    {
      rg_config_fail (error, REGARD_ERROR_UNSUPPORTED, top, "flat vision_* / resampler_* keys (an early IDEFICS "
                      "config) are not supported: use the current config.json with vision_config");
      return FALSE;
    }
  if (!rg_config_get_section (top, "vision_config", "vision_config.", &vision, error) ||
      !rg_config_get_section (top, "perceiver_config", "perceiver_config.", &perceiver, error) ||
      !parse_vision (&vision, &cfg->vision, &ic->vision_act, error) ||
      !parse_perceiver (&perceiver, &cfg->perceiver, &ic->qk_layer_norms_perceiver, error) ||
      !rg_config_parse_text (top, &text_def, &cfg->text, error) ||
      !rg_config_get_uint (top, "additional_vocab_size", 0, 1000000, FALSE, &extra, NULL, error) ||
      !rg_config_get_uint (top, "cross_layer_interval", 1, 1000, FALSE, &ic->cross_layer_interval, NULL, error) ||
      !rg_config_get_bool (top, "use_resampler", FALSE, &ic->use_resampler, error) ||
      !rg_config_get_bool (top, "qk_layer_norms", FALSE, &ic->qk_layer_norms, error) ||
      !rg_config_get_bool (top, "tie_word_embeddings", FALSE, &cfg->tie_word_embeddings, error) ||
      !rg_config_get_string (top, "alpha_type", &alpha_type, error))
    return FALSE;

  if (extra == 0)
    {
      /* IdeficsConfig's default 0: the added tokens (<image>...) would have no rows */
      rg_config_fail (error, REGARD_ERROR_UNSUPPORTED, top, "additional_vocab_size is absent: an IDEFICS model "
                      "without its added tokens is not supported");
      return FALSE;
    }
  if (alpha_type == NULL || strcmp (alpha_type, "float") == 0)
    ic->alpha_vector = FALSE;
  else if (strcmp (alpha_type, "vector") == 0)
    ic->alpha_vector = TRUE;
  else
    {
      rg_config_fail (error, REGARD_ERROR_UNSUPPORTED, top, "alpha_type '%s' is not supported (float or vector)",
                      alpha_type);
      return FALSE;
    }
  if (cfg->tie_word_embeddings || cfg->text.tie_word_embeddings)
    {
      rg_config_fail (error, REGARD_ERROR_UNSUPPORTED, top, "tie_word_embeddings true is not supported for IDEFICS");
      return FALSE;
    }
  if (cfg->text.num_key_value_heads != cfg->text.num_attention_heads)
    {
      rg_config_fail (error, REGARD_ERROR_UNSUPPORTED, top, "num_key_value_heads is not an IDEFICS key");
      return FALSE;
    }
  if (cfg->text.vocab_size > RG_CONFIG_MAX_DIM - extra)
    {
      rg_config_fail (error, REGARD_ERROR_INVALID_MODEL, top, "vocab_size + additional_vocab_size is too large");
      return FALSE;
    }
  /* P13: RoPE base 10000 is hard-coded by IdeficsModel */
  cfg->text.rope_theta = 10000.0f;
  ic->additional_vocab_size = extra;
  cfg->text.vocab_size += extra;
  cfg->perceiver.hidden_size = cfg->vision.hidden_size;
  cfg->image_seq_len = ic->use_resampler ? cfg->perceiver.resampler_n_latents
                                         : (cfg->vision.image_size / cfg->vision.patch_size) *
                                           (cfg->vision.image_size / cfg->vision.patch_size) + 1;
  return rg_config_get_image_token (top, 32001, &cfg->image_token_id, error) &&
         check_derived_sizes (top, cfg, error);
}
