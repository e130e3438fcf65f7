/* rg-config.c: config.json -> RgModelConfig, with transformers' defaults
 * (Idefics2Config, Idefics2VisionConfig, Idefics2PerceiverConfig,
 * MistralConfig) for absent keys and strict validation of every value. */
#include "rg-config.h"
#include "rg-safetensors.h"

#include "regard-error.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

/* Sizes beyond these are corrupt or hostile, never a real model. */
#define RG_CONFIG_MAX_DIM 1000000
#define RG_CONFIG_MAX_POSITIONS (1 << 24)
/* No tensor (weight, activation, KV cache layer) may hold more elements:
 * the backends index elements with 32-bit integers and add offsets to
 * them. idefics2-8b's largest is 131 M. */
#define RG_CONFIG_MAX_ELEMENTS (G_GUINT64_CONSTANT (1) << 31)

typedef struct
{
  const char *filename;
  const char *section;  /* "", "vision_config.", ... (for messages) */
  JsonObject *obj;      /* NULL: the sub-config is absent, all defaults */
} Section;

G_GNUC_PRINTF (4, 5) static void
cfg_fail (GError **error, int code, const Section *s, const char *format, ...)
{
  va_list args;
  g_autofree char *msg = NULL;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, REGARD_ERROR, code, "%s: %s", s->filename, msg);
}

static JsonNode *
member (const Section *s, const char *key)
{
  if (s->obj == NULL || !json_object_has_member (s->obj, key))
    return NULL;
  return json_object_get_member (s->obj, key);
}

/* An integer in [1, max]. Absent keys (and null, when NULL_OK) take DEF;
 * *WAS_SET tells which happened. */
static gboolean
get_uint (const Section *s, const char *key, guint def, guint max, gboolean null_ok,
          guint *out, gboolean *was_set, GError **error)
{
  JsonNode *node = member (s, key);
  gint64 v;

  if (was_set)
    *was_set = FALSE;
  if (node == NULL || (null_ok && JSON_NODE_HOLDS_NULL (node)))
    {
      *out = def;
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    {
      cfg_fail (error, REGARD_ERROR_INVALID_MODEL, s, "%s%s must be an integer", s->section, key);
      return FALSE;
    }
  v = json_node_get_int (node);
  if (v < 1 || v > (gint64) max)
    {
      cfg_fail (error, REGARD_ERROR_INVALID_MODEL, s, "%s%s = %" G_GINT64_FORMAT " is out of range (1..%u)",
                s->section, key, v, max);
      return FALSE;
    }
  *out = (guint) v;
  if (was_set)
    *was_set = TRUE;
  return TRUE;
}

/* A finite number > 0 and < MAX (integers are accepted: "rope_theta": 10000). */
static gboolean
get_positive_float (const Section *s, const char *key, double def, double max,
                    float *out, GError **error)
{
  JsonNode *node = member (s, key);
  double v;
  GType type;

  if (node == NULL)
    {
      *out = (float) def;
      return TRUE;
    }
  type = JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node) : G_TYPE_INVALID;
  if (type == G_TYPE_DOUBLE)
    v = json_node_get_double (node);
  else if (type == G_TYPE_INT64)
    v = (double) json_node_get_int (node);
  else
    {
      cfg_fail (error, REGARD_ERROR_INVALID_MODEL, s, "%s%s must be a number", s->section, key);
      return FALSE;
    }
  if (!isfinite (v) || v <= 0 || v >= max || !isfinite ((float) v) || (float) v <= 0)
    {
      cfg_fail (error, REGARD_ERROR_INVALID_MODEL, s, "%s%s = %g must be positive and below %g",
                s->section, key, v, max);
      return FALSE;
    }
  *out = (float) v;
  return TRUE;
}

static gboolean
get_bool (const Section *s, const char *key, gboolean def, gboolean *out, GError **error)
{
  JsonNode *node = member (s, key);

  if (node == NULL)
    {
      *out = def;
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    {
      cfg_fail (error, REGARD_ERROR_INVALID_MODEL, s, "%s%s must be true or false", s->section, key);
      return FALSE;
    }
  *out = json_node_get_boolean (node);
  return TRUE;
}

/* Absent string keys give NULL; present ones must be strings. */
static gboolean
get_string (const Section *s, const char *key, const char **out, GError **error)
{
  JsonNode *node = member (s, key);

  *out = NULL;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      cfg_fail (error, REGARD_ERROR_INVALID_MODEL, s, "%s%s must be a string", s->section, key);
      return FALSE;
    }
  *out = json_node_get_string (node);
  return TRUE;
}

/* model_type and hidden_act: absent, or one of the NULL-terminated ACCEPTED. */
static gboolean
check_name (const Section *s, const char *key, const char * const *accepted, GError **error)
{
  const char *v;

  if (!get_string (s, key, &v, error))
    return FALSE;
  if (v == NULL || g_strv_contains (accepted, v))
    return TRUE;
  cfg_fail (error, REGARD_ERROR_UNSUPPORTED, s, "%s%s '%s' is not supported (expected '%s')",
            s->section, key, v, accepted[0]);
  return FALSE;
}

static gboolean
get_section (const Section *top, const char *key, const char *label, Section *out, GError **error)
{
  JsonNode *node = member (top, key);

  out->filename = top->filename;
  out->section = label;
  out->obj = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      cfg_fail (error, REGARD_ERROR_INVALID_MODEL, top, "%s must be an object", key);
      return FALSE;
    }
  out->obj = json_node_get_object (node);
  return TRUE;
}

static gboolean
parse_vision (const Section *s, RgVisionConfig *v, GError **error)
{
  static const char * const types[] = { "idefics2_vision", "idefics2", NULL };
  static const char * const acts[] = { "gelu_pytorch_tanh", NULL };
  const guint M = RG_CONFIG_MAX_DIM;

  /* Idefics2VisionConfig defaults (SigLIP-base shaped, not idefics2-8b's). */
  if (!check_name (s, "model_type", types, error) ||
      !check_name (s, "hidden_act", acts, error) ||
      !get_uint (s, "hidden_size", 768, M, FALSE, &v->hidden_size, NULL, error) ||
      !get_uint (s, "intermediate_size", 3072, M, FALSE, &v->intermediate_size, NULL, error) ||
      !get_uint (s, "num_hidden_layers", 12, 1000, FALSE, &v->num_hidden_layers, NULL, error) ||
      !get_uint (s, "num_attention_heads", 12, M, FALSE, &v->num_attention_heads, NULL, error) ||
      !get_uint (s, "num_channels", 3, 64, FALSE, &v->num_channels, NULL, error) ||
      !get_uint (s, "image_size", 224, 100000, FALSE, &v->image_size, NULL, error) ||
      !get_uint (s, "patch_size", 32, 100000, FALSE, &v->patch_size, NULL, error) ||
      !get_positive_float (s, "layer_norm_eps", 1e-6, 1.0, &v->layer_norm_eps, error))
    return FALSE;

  if (v->hidden_size % v->num_attention_heads != 0)
    {
      cfg_fail (error, REGARD_ERROR_INVALID_MODEL, s, "vision_config.hidden_size %u is not a multiple of "
                "num_attention_heads %u", v->hidden_size, v->num_attention_heads);
      return FALSE;
    }
  if (v->patch_size > v->image_size)
    {
      cfg_fail (error, REGARD_ERROR_INVALID_MODEL, s, "vision_config.patch_size %u exceeds image_size %u",
                v->patch_size, v->image_size);
      return FALSE;
    }
  /* The position table has (image_size / patch)^2 rows; keep it sane. */
  if ((v->image_size / v->patch_size) > 4096)
    {
      cfg_fail (error, REGARD_ERROR_INVALID_MODEL, s, "vision_config: %u patches per side is too many",
                v->image_size / v->patch_size);
      return FALSE;
    }
  if (v->num_channels != 3)
    {
      cfg_fail (error, REGARD_ERROR_UNSUPPORTED, s, "vision_config.num_channels %u is not supported (RGB only)",
                v->num_channels);
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_perceiver (const Section *s, RgPerceiverConfig *p, GError **error)
{
  static const char * const types[] = { "idefics2_perceiver", "idefics2", NULL };
  static const char * const acts[] = { "silu", NULL };
  const guint M = RG_CONFIG_MAX_DIM;

  /* Idefics2PerceiverConfig defaults. */
  if (!check_name (s, "model_type", types, error) ||
      !check_name (s, "hidden_act", acts, error) ||
      !get_uint (s, "hidden_size", 4096, M, FALSE, &p->hidden_size, NULL, error) ||
      !get_uint (s, "resampler_n_latents", 64, 100000, FALSE, &p->resampler_n_latents, NULL, error) ||
      !get_uint (s, "resampler_depth", 3, 1000, FALSE, &p->resampler_depth, NULL, error) ||
      !get_uint (s, "resampler_n_heads", 16, M, FALSE, &p->resampler_n_heads, NULL, error) ||
      !get_uint (s, "resampler_head_dim", 96, M, FALSE, &p->resampler_head_dim, NULL, error) ||
      !get_uint (s, "num_key_value_heads", 4, M, FALSE, &p->num_key_value_heads, NULL, error) ||
      !get_positive_float (s, "rms_norm_eps", 1e-6, 1.0, &p->rms_norm_eps, error))
    return FALSE;

  if (p->num_key_value_heads > p->resampler_n_heads ||
      p->resampler_n_heads % p->num_key_value_heads != 0)
    {
      cfg_fail (error, REGARD_ERROR_INVALID_MODEL, s, "perceiver_config.resampler_n_heads %u is not a "
                "multiple of num_key_value_heads %u", p->resampler_n_heads, p->num_key_value_heads);
      return FALSE;
    }
  if ((uint64_t) p->resampler_n_heads * p->resampler_head_dim > RG_CONFIG_MAX_DIM)
    {
      cfg_fail (error, REGARD_ERROR_INVALID_MODEL, s, "perceiver_config: heads x head_dim is too large");
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_rope (const Section *s, float *theta, GError **error)
{
  JsonNode *scaling = member (s, "rope_scaling");
  JsonNode *params = member (s, "rope_parameters");

  if (scaling != NULL && !JSON_NODE_HOLDS_NULL (scaling))
    {
      cfg_fail (error, REGARD_ERROR_UNSUPPORTED, s, "text_config.rope_scaling is not supported");
      return FALSE;
    }
  if (!get_positive_float (s, "rope_theta", 10000.0, 1e12, theta, error))
    return FALSE;

  /* Newer transformers write {"rope_type": "default", "rope_theta": ...}. */
  if (params != NULL && !JSON_NODE_HOLDS_NULL (params))
    {
      Section p = { s->filename, "text_config.rope_parameters.", NULL };
      const char *type;

      if (!JSON_NODE_HOLDS_OBJECT (params))
        {
          cfg_fail (error, REGARD_ERROR_INVALID_MODEL, s, "text_config.rope_parameters must be an object");
          return FALSE;
        }
      p.obj = json_node_get_object (params);
      if (!get_string (&p, "rope_type", &type, error))
        return FALSE;
      if (type != NULL && strcmp (type, "default") != 0)
        {
          cfg_fail (error, REGARD_ERROR_UNSUPPORTED, s, "RoPE type '%s' is not supported", type);
          return FALSE;
        }
      if (!get_positive_float (&p, "rope_theta", *theta, 1e12, theta, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
parse_text (const Section *s, RgTextConfig *t, GError **error)
{
  static const char * const types[] = { "mistral", NULL };
  static const char * const acts[] = { "silu", NULL };
  const guint M = RG_CONFIG_MAX_DIM;
  gboolean absent = s->obj == NULL;
  gboolean has_head_dim, has_window;
  guint window;

  /* MistralConfig defaults, except that an absent text_config is built by
   * Idefics2Config with max_position_embeddings 32768 and rms_norm_eps 1e-5. */
  if (!check_name (s, "model_type", types, error) ||
      !check_name (s, "hidden_act", acts, error) ||
      !get_uint (s, "vocab_size", 32000, M, FALSE, &t->vocab_size, NULL, error) ||
      !get_uint (s, "hidden_size", 4096, M, FALSE, &t->hidden_size, NULL, error) ||
      !get_uint (s, "intermediate_size", 14336, M, FALSE, &t->intermediate_size, NULL, error) ||
      !get_uint (s, "num_hidden_layers", 32, 1000, FALSE, &t->num_hidden_layers, NULL, error) ||
      !get_uint (s, "num_attention_heads", 32, M, FALSE, &t->num_attention_heads, NULL, error) ||
      /* null means "as many as the query heads" in MistralConfig */
      !get_uint (s, "num_key_value_heads", 8, M, TRUE, &t->num_key_value_heads, NULL, error) ||
      !get_uint (s, "head_dim", 0, M, TRUE, &t->head_dim, &has_head_dim, error) ||
      !get_uint (s, "max_position_embeddings", absent ? 32768 : 4096 * 32, RG_CONFIG_MAX_POSITIONS, FALSE,
                 &t->max_position_embeddings, NULL, error) ||
      !get_uint (s, "sliding_window", 4096, RG_CONFIG_MAX_POSITIONS, TRUE, &window, &has_window, error) ||
      !get_positive_float (s, "rms_norm_eps", absent ? 1e-5 : 1e-6, 1.0, &t->rms_norm_eps, error) ||
      !get_bool (s, "tie_word_embeddings", FALSE, &t->tie_word_embeddings, error) ||
      !parse_rope (s, &t->rope_theta, error))
    return FALSE;

  {
    JsonNode *kv = member (s, "num_key_value_heads");
    if (kv != NULL && JSON_NODE_HOLDS_NULL (kv))
      t->num_key_value_heads = t->num_attention_heads;
  }
  {
    JsonNode *w = member (s, "sliding_window");
    t->sliding_window = (w != NULL && JSON_NODE_HOLDS_NULL (w)) ? 0 : window;
  }

  if (!has_head_dim)
    {
      if (t->hidden_size % t->num_attention_heads != 0)
        {
          cfg_fail (error, REGARD_ERROR_INVALID_MODEL, s, "text_config.hidden_size %u is not a multiple of "
                    "num_attention_heads %u (and head_dim is absent)", t->hidden_size, t->num_attention_heads);
          return FALSE;
        }
      t->head_dim = t->hidden_size / t->num_attention_heads;
    }
  if (t->num_key_value_heads > t->num_attention_heads ||
      t->num_attention_heads % t->num_key_value_heads != 0)
    {
      cfg_fail (error, REGARD_ERROR_INVALID_MODEL, s, "text_config.num_attention_heads %u is not a multiple "
                "of num_key_value_heads %u", t->num_attention_heads, t->num_key_value_heads);
      return FALSE;
    }
  if ((uint64_t) t->num_attention_heads * t->head_dim > RG_CONFIG_MAX_DIM)
    {
      cfg_fail (error, REGARD_ERROR_INVALID_MODEL, s, "text_config: heads x head_dim is too large");
      return FALSE;
    }
  /* RoPE rotates pairs (d, d + head_dim/2). */
  if (t->head_dim % 2 != 0)
    {
      cfg_fail (error, REGARD_ERROR_INVALID_MODEL, s, "text_config.head_dim %u must be even", t->head_dim);
      return FALSE;
    }
  return TRUE;
}

/* The product of N dimensions, in 64 bits, or G_MAXUINT64 on overflow. */
static guint64
product (guint n, const guint64 *dims)
{
  guint64 p = 1;

  for (guint i = 0; i < n; i++)
    if (!g_uint64_checked_mul (&p, p, dims[i]))
      return G_MAXUINT64;
  return p;
}

#define SIZE(what, ...) { what, G_N_ELEMENTS (((guint64[]) { __VA_ARGS__ })), (guint64[]) { __VA_ARGS__ } }

/* Every size the backends derive from the config (weights, per-image
 * activations, a KV-cache layer), computed in 64 bits: a config whose
 * dimensions multiply past RG_CONFIG_MAX_ELEMENTS is refused here, before
 * any of these products is formed in narrower types elsewhere. */
static gboolean
check_derived_sizes (const Section *top, const RgModelConfig *c, GError **error)
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
  const struct { const char *what; guint n; const guint64 *dims; } sizes[] = {
    SIZE ("vision patch embedding", v->hidden_size, v->num_channels, v->patch_size, v->patch_size),
    SIZE ("vision position embedding", NP, v->hidden_size),
    SIZE ("vision attention projection", v->hidden_size, v->hidden_size),
    SIZE ("vision MLP", v->hidden_size, v->intermediate_size),
    SIZE ("vision hidden states of one sub-image", NP, MAX (v->hidden_size, v->intermediate_size)),
    SIZE ("modality projection", t->intermediate_size, MAX (v->hidden_size, t->hidden_size)),
    SIZE ("modality projection states of one sub-image", NP, t->intermediate_size),
    SIZE ("perceiver latents", NL, H),
    SIZE ("perceiver context of one sub-image", NP + NL, MAX (H, PKV)),
    SIZE ("perceiver attention projection", MAX (PQ, PKV), H),
    SIZE ("perceiver queries", NL, PQ),
    SIZE ("perceiver MLP", 4, H, H),
    SIZE ("perceiver MLP states", NL, 4, H),
    SIZE ("text embeddings", t->vocab_size, t->hidden_size),
    SIZE ("text attention projection", MAX (Q, KV), t->hidden_size),
    SIZE ("text MLP", t->intermediate_size, t->hidden_size),
    SIZE ("one layer of the KV cache at max_position_embeddings", t->max_position_embeddings, KV),
  };

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      guint64 n = product (sizes[i].n, sizes[i].dims);

      if (n > RG_CONFIG_MAX_ELEMENTS)
        {
          g_autoptr(GString) dims = g_string_new (NULL);
          char count[32] = "more than 2^64";

          for (guint d = 0; d < sizes[i].n; d++)
            g_string_append_printf (dims, "%s%" G_GUINT64_FORMAT, d ? " x " : "", sizes[i].dims[d]);
          if (n != G_MAXUINT64)
            g_snprintf (count, sizeof count, "%" G_GUINT64_FORMAT, n);
          cfg_fail (error, REGARD_ERROR_INVALID_MODEL, top,
                    "the %s would have %s = %s elements, more than %" G_GUINT64_FORMAT ": the dimensions are not those of a real model",
                    sizes[i].what, dims->str,
                    count,
                    RG_CONFIG_MAX_ELEMENTS);
          return FALSE;
        }
    }
  return TRUE;
}

gboolean
rg_model_config_parse (const char *json, gsize length, const char *filename,
                       RgModelConfig *out, GError **error)
{
  static const char * const top_types[] = { "idefics2", NULL };
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local_error = NULL;
  Section top = { filename ? filename : "config.json", "", NULL };
  Section vision, perceiver, text;
  RgModelConfig cfg = { 0 };
  const char *model_type;
  JsonNode *root, *image_token;

  g_return_val_if_fail (json != NULL || length == 0, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  if (length == 0 || length > G_MAXSSIZE || memchr (json, '\0', length) != NULL)
    {
      cfg_fail (error, REGARD_ERROR_INVALID_MODEL, &top, "not a JSON text");
      return FALSE;
    }
  if (!rg_json_depth_ok (json, length, RG_JSON_MAX_DEPTH))
    {
      cfg_fail (error, REGARD_ERROR_INVALID_MODEL, &top, "JSON nested too deeply");
      return FALSE;
    }
  if (!json_parser_load_from_data (parser, json, (gssize) length, &local_error))
    {
      cfg_fail (error, REGARD_ERROR_INVALID_MODEL, &top, "invalid JSON: %s", local_error->message);
      return FALSE;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      cfg_fail (error, REGARD_ERROR_INVALID_MODEL, &top, "not a JSON object");
      return FALSE;
    }
  top.obj = json_node_get_object (root);

  if (!get_string (&top, "model_type", &model_type, error))
    return FALSE;
  if (model_type == NULL)
    {
      cfg_fail (error, REGARD_ERROR_INVALID_MODEL, &top, "no model_type: not a transformers model config");
      return FALSE;
    }
  if (!g_strv_contains (top_types, model_type))
    {
      cfg_fail (error, REGARD_ERROR_UNSUPPORTED, &top,
                "model_type '%s' is not supported: Regard runs IDEFICS2 models (model_type 'idefics2')",
                model_type);
      return FALSE;
    }

  if (!get_section (&top, "vision_config", "vision_config.", &vision, error) ||
      !get_section (&top, "perceiver_config", "perceiver_config.", &perceiver, error) ||
      !get_section (&top, "text_config", "text_config.", &text, error) ||
      !parse_vision (&vision, &cfg.vision, error) ||
      !parse_perceiver (&perceiver, &cfg.perceiver, error) ||
      !parse_text (&text, &cfg.text, error) ||
      !get_bool (&top, "tie_word_embeddings", FALSE, &cfg.tie_word_embeddings, error))
    return FALSE;

  /* Idefics2Config.__init__ treats a perceiver hidden_size that differs from
   * the text one as "defaults were used" and overwrites both hidden_size and
   * rms_norm_eps with the text config's. Otherwise the perceiver's RMSNorms
   * (input_latents_norm, input_context_norm, post_attention_layernorm, norm)
   * use perceiver_config.rms_norm_eps: modeling_idefics2.py @ 00dcc6dda
   * builds Idefics2PerceiverResampler from config.perceiver_config and reads
   * config.rms_norm_eps there (older code used text_config.rms_norm_eps,
   * reference pitfall P6; the goldens follow 00dcc6dda). */
  if (cfg.perceiver.hidden_size != cfg.text.hidden_size)
    {
      cfg.perceiver.hidden_size = cfg.text.hidden_size;
      cfg.perceiver.rms_norm_eps = cfg.text.rms_norm_eps;
    }

  image_token = member (&top, "image_token_id");
  cfg.image_token_id = 32001;
  if (image_token != NULL)
    {
      if (!JSON_NODE_HOLDS_VALUE (image_token) || json_node_get_value_type (image_token) != G_TYPE_INT64)
        {
          cfg_fail (error, REGARD_ERROR_INVALID_MODEL, &top, "image_token_id must be an integer");
          return FALSE;
        }
      if (json_node_get_int (image_token) < 0 || json_node_get_int (image_token) > G_MAXINT32)
        {
          cfg_fail (error, REGARD_ERROR_INVALID_MODEL, &top, "image_token_id is out of range");
          return FALSE;
        }
      cfg.image_token_id = (gint32) json_node_get_int (image_token);
    }
  /* image_token_id < vocab_size is checked by rg-snapshot.c: transformers'
   * own defaults (vocab 32000, image token 32001) do not satisfy it. */

  if (!check_derived_sizes (&top, &cfg, error))
    return FALSE;

  *out = cfg;
  return TRUE;
}
