/* rg-config-idefics2.c: the IDEFICS2 family's config.json (Idefics2Config,
 * Idefics2VisionConfig, Idefics2PerceiverConfig, MistralConfig defaults for
 * absent keys; older spellings accepted). */
#include "rg-config-private.h"

#include "regard-error.h"

static gboolean
parse_perceiver (const RgConfigSection *s, RgPerceiverConfig *p, GError **error)
{
  static const char * const types[] = { "idefics2_perceiver", "idefics2", NULL };
  static const char * const acts[] = { "silu", NULL };
  const guint M = RG_CONFIG_MAX_DIM;

  /* Idefics2PerceiverConfig defaults. */
  if (!rg_config_check_name (s, "model_type", types, error) ||
      !rg_config_check_name (s, "hidden_act", acts, error) ||
      !rg_config_get_uint (s, "hidden_size", 4096, M, FALSE, &p->hidden_size, NULL, error) ||
      !rg_config_get_uint (s, "resampler_n_latents", 64, 100000, FALSE, &p->resampler_n_latents, NULL, error) ||
      !rg_config_get_uint (s, "resampler_depth", 3, 1000, FALSE, &p->resampler_depth, NULL, error) ||
      !rg_config_get_uint (s, "resampler_n_heads", 16, M, FALSE, &p->resampler_n_heads, NULL, error) ||
      !rg_config_get_uint (s, "resampler_head_dim", 96, M, FALSE, &p->resampler_head_dim, NULL, error) ||
      !rg_config_get_uint (s, "num_key_value_heads", 4, M, FALSE, &p->num_key_value_heads, NULL, error) ||
      !rg_config_get_positive_float (s, "rms_norm_eps", 1e-6, 1.0, &p->rms_norm_eps, error))
    return FALSE;

  if (p->num_key_value_heads > p->resampler_n_heads ||
      p->resampler_n_heads % p->num_key_value_heads != 0)
    {
      rg_config_fail (error, REGARD_ERROR_INVALID_MODEL, s, "perceiver_config.resampler_n_heads %u is not a "
                "multiple of num_key_value_heads %u", p->resampler_n_heads, p->num_key_value_heads);
      return FALSE;
    }
  if ((uint64_t) p->resampler_n_heads * p->resampler_head_dim > RG_CONFIG_MAX_DIM)
    {
      rg_config_fail (error, REGARD_ERROR_INVALID_MODEL, s, "perceiver_config: heads x head_dim is too large");
      return FALSE;
    }
  return TRUE;
}

/* Every size the backends derive from the config (weights, per-image
 * activations, a KV-cache layer), computed in 64 bits: a config whose
 * dimensions multiply past RG_CONFIG_MAX_ELEMENTS is refused here, before
 * any of these products is formed in narrower types elsewhere. */
static gboolean
check_derived_sizes (const RgConfigSection *top, const RgModelConfig *c, GError **error)
{
  const RgVisionConfig *v = &c->vision;
  const RgPerceiverConfig *p = &c->perceiver;
  const RgTextConfig *t = &c->text;
  guint64 per_side = v->image_size / v->patch_size;
  guint64 NP = per_side * per_side;                      /* patches per sub-image, at most */
  guint64 NL = p->resampler_n_latents, H = p->hidden_size;
  guint64 Q = (guint64) t->num_attention_heads * t->head_dim;
  guint64 KV = (guint64) t->num_key_value_heads * t->head_dim;
  guint64 PQ = (guint64) p->resampler_n_heads * p->resampler_head_dim;
  guint64 PKV = (guint64) p->num_key_value_heads * p->resampler_head_dim;
  const RgConfigSize sizes[] = {
    RG_CONFIG_SIZE ("vision patch embedding", v->hidden_size, v->num_channels, v->patch_size, v->patch_size),
    RG_CONFIG_SIZE ("vision position embedding", NP, v->hidden_size),
    RG_CONFIG_SIZE ("vision attention projection", v->hidden_size, v->hidden_size),
    RG_CONFIG_SIZE ("vision MLP", v->hidden_size, v->intermediate_size),
    RG_CONFIG_SIZE ("vision hidden states of one sub-image", NP, MAX (v->hidden_size, v->intermediate_size)),
    RG_CONFIG_SIZE ("modality projection", t->intermediate_size, MAX (v->hidden_size, t->hidden_size)),
    RG_CONFIG_SIZE ("modality projection states of one sub-image", NP, t->intermediate_size),
    RG_CONFIG_SIZE ("perceiver latents", NL, H),
    RG_CONFIG_SIZE ("perceiver context of one sub-image", NP + NL, MAX (H, PKV)),
    RG_CONFIG_SIZE ("perceiver attention projection", MAX (PQ, PKV), H),
    RG_CONFIG_SIZE ("perceiver queries", NL, PQ),
    RG_CONFIG_SIZE ("perceiver MLP", 4, H, H),
    RG_CONFIG_SIZE ("perceiver MLP states", NL, 4, H),
    RG_CONFIG_SIZE ("text embeddings", t->vocab_size, t->hidden_size),
    RG_CONFIG_SIZE ("text attention projection", MAX (Q, KV), t->hidden_size),
    RG_CONFIG_SIZE ("text MLP", t->intermediate_size, t->hidden_size),
    RG_CONFIG_SIZE ("one layer of the KV cache at max_position_embeddings", t->max_position_embeddings, KV),
  };

  return rg_config_check_sizes (top, sizes, G_N_ELEMENTS (sizes), error);
}

gboolean
rg_config_parse_idefics2 (const RgConfigSection *top, RgModelConfig *cfg, GError **error)
{
  static const char * const vision_types[] = { "idefics2_vision", "idefics2", NULL };
  static const char * const text_types[] = { "mistral", NULL };
  /* Idefics2VisionConfig: SigLIP-base shaped */
  const RgVisionDefaults vision_def = { vision_types, 768, 12 };
  RgConfigSection vision, perceiver, text;

  if (!rg_config_get_section (top, "vision_config", "vision_config.", &vision, error) ||
      !rg_config_get_section (top, "perceiver_config", "perceiver_config.", &perceiver, error) ||
      !rg_config_get_section (top, "text_config", "text_config.", &text, error))
    return FALSE;

  {
    gboolean absent = text.obj == NULL;
    /* MistralConfig defaults, except that an absent text_config is built by
     * Idefics2Config with max_position_embeddings 32768 and rms_norm_eps 1e-5. */
    const RgTextDefaults text_def = {
      .types = text_types, .vocab_size = 32000, .hidden_size = 4096, .intermediate_size = 14336,
      .num_hidden_layers = 32, .num_attention_heads = 32, .num_key_value_heads = 8,
      .max_position_embeddings = absent ? 32768 : 4096 * 32, .rms_norm_eps = absent ? 1e-5 : 1e-6,
      .sliding_window = 4096,
    };

    if (!rg_config_parse_vision (&vision, &vision_def, &cfg->vision, error) ||
        !parse_perceiver (&perceiver, &cfg->perceiver, error) ||
        !rg_config_parse_text (&text, &text_def, &cfg->text, error) ||
        !rg_config_get_bool (top, "tie_word_embeddings", FALSE, &cfg->tie_word_embeddings, error))
      return FALSE;
  }

  /* Idefics2Config.__init__ treats a perceiver hidden_size that differs from
   * the text one as "defaults were used" and overwrites both hidden_size and
   * rms_norm_eps with the text config's. Otherwise the perceiver's RMSNorms
   * (input_latents_norm, input_context_norm, post_attention_layernorm, norm)
   * use perceiver_config.rms_norm_eps: modeling_idefics2.py @ 00dcc6dda
   * builds Idefics2PerceiverResampler from config.perceiver_config and reads
   * config.rms_norm_eps there (older code used text_config.rms_norm_eps,
   * reference pitfall P6; the goldens follow 00dcc6dda). */
  if (cfg->perceiver.hidden_size != cfg->text.hidden_size)
    {
      cfg->perceiver.hidden_size = cfg->text.hidden_size;
      cfg->perceiver.rms_norm_eps = cfg->text.rms_norm_eps;
    }
  cfg->image_seq_len = cfg->perceiver.resampler_n_latents;

  return rg_config_get_image_token (top, 32001, &cfg->image_token_id, error) &&
         check_derived_sizes (top, cfg, error);
}
