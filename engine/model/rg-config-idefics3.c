/* rg-config-idefics3.c: the IDEFICS3 family's config.json (SmolVLM v1,
 * Idefics3-8B-Llama3): Idefics3Config, Idefics3VisionConfig and
 * LlamaConfig defaults for absent keys. The connector is a pixel shuffle
 * by scale_factor and one linear layer, so a sub-image gives
 * ((image_size / patch_size) / scale_factor)^2 feature rows. */
#include "rg-config-private.h"

#include "regard-error.h"

/* Every size the backends derive from the config, in 64 bits (see
 * rg-config-idefics2.c). */
static gboolean
check_derived_sizes (const RgConfigSection *top, const RgModelConfig *c, GError **error)
{
  const RgVisionConfig *v = &c->vision;
  const RgTextConfig *t = &c->text;
  guint64 per_side = v->image_size / v->patch_size, s = c->connector.scale_factor;
  guint64 NP = per_side * per_side;
  guint64 Q = (guint64) t->num_attention_heads * t->head_dim;
  guint64 KV = (guint64) t->num_key_value_heads * t->head_dim;
  const RgConfigSize sizes[] = {
    RG_CONFIG_SIZE ("vision patch embedding", v->hidden_size, v->num_channels, v->patch_size, v->patch_size),
    RG_CONFIG_SIZE ("vision position embedding", NP, v->hidden_size),
    RG_CONFIG_SIZE ("vision attention projection", v->hidden_size, v->hidden_size),
    RG_CONFIG_SIZE ("vision MLP", v->hidden_size, v->intermediate_size),
    RG_CONFIG_SIZE ("vision hidden states of one sub-image", NP, MAX (v->hidden_size, v->intermediate_size)),
    RG_CONFIG_SIZE ("connector projection", t->hidden_size, v->hidden_size, s, s),
    RG_CONFIG_SIZE ("connector output of one sub-image", c->image_seq_len, t->hidden_size),
    RG_CONFIG_SIZE ("text embeddings", t->vocab_size, t->hidden_size),
    RG_CONFIG_SIZE ("text attention projection", MAX (Q, KV), t->hidden_size),
    RG_CONFIG_SIZE ("text MLP", t->intermediate_size, t->hidden_size),
    RG_CONFIG_SIZE ("one layer of the KV cache at max_position_embeddings", t->max_position_embeddings, KV),
  };

  return rg_config_check_sizes (top, sizes, G_N_ELEMENTS (sizes), error);
}

gboolean
rg_config_parse_idefics3 (const RgConfigSection *top, RgModelConfig *cfg, GError **error)
{
  static const char * const vision_types[] = { "idefics3_vision", "idefics3", NULL };
  static const char * const text_types[] = { "llama", NULL };
  /* Idefics3VisionConfig */
  const RgVisionDefaults vision_def = { vision_types, 1152, 16 };
  RgConfigSection vision, text;
  guint side;

  if (!rg_config_get_section (top, "vision_config", "vision_config.", &vision, error) ||
      !rg_config_get_section (top, "text_config", "text_config.", &text, error))
    return FALSE;
  if (rg_config_member (top, "perceiver_config") != NULL)
    {
      rg_config_fail (error, REGARD_ERROR_INVALID_MODEL, top,
                      "perceiver_config in an idefics3 config: IDEFICS3 has no perceiver resampler");
      return FALSE;
    }

  {
    /* LlamaConfig defaults; Idefics3Config builds an absent text_config
     * with rms_norm_eps 1e-5. */
    const RgTextDefaults text_def = {
      .types = text_types, .vocab_size = 32000, .hidden_size = 4096, .intermediate_size = 11008,
      .num_hidden_layers = 32, .num_attention_heads = 32, .num_key_value_heads = 0,
      .max_position_embeddings = 2048, .rms_norm_eps = text.obj == NULL ? 1e-5 : 1e-6,
      .sliding_window = 0, .biases_key = TRUE,
    };

    if (!rg_config_parse_vision (&vision, &vision_def, &cfg->vision, error) ||
        !rg_config_parse_text (&text, &text_def, &cfg->text, error) ||
        /* Idefics3ForConditionalGeneration ties lm_head by the TOP-LEVEL
         * flag (reference pitfall 15): text_config's is not read */
        !rg_config_get_bool (top, "tie_word_embeddings", FALSE, &cfg->tie_word_embeddings, error) ||
        !rg_config_get_uint (top, "scale_factor", 2, 64, FALSE, &cfg->connector.scale_factor, NULL, error))
      return FALSE;
  }
  cfg->text.tie_word_embeddings = cfg->tie_word_embeddings;

  /* the pixel shuffle groups s x s patches of the square N x N grid */
  side = cfg->vision.image_size / cfg->vision.patch_size;
  if (side % cfg->connector.scale_factor != 0)
    {
      rg_config_fail (error, REGARD_ERROR_INVALID_MODEL, top,
                      "scale_factor %u does not divide the %u patches per side of vision_config "
                      "(image_size %u / patch_size %u)", cfg->connector.scale_factor, side,
                      cfg->vision.image_size, cfg->vision.patch_size);
      return FALSE;
    }
  cfg->image_seq_len = (side / cfg->connector.scale_factor) * (side / cfg->connector.scale_factor);

  return rg_config_get_image_token (top, 128257, &cfg->image_token_id, error) &&
         check_derived_sizes (top, cfg, error);
}
