/* rg-config.c: config.json -> RgModelConfig. The top-level model_type
 * picks the family (rg-config-idefics2.c, rg-config-idefics3.c); this
 * file holds what they share: typed, range-checked reads with
 * transformers' defaults for absent keys, the SigLIP vision and
 * decoder-only text sub-configs, and the 64-bit size check. */
#include "rg-config-private.h"
#include "rg-safetensors.h"

#include "regard-error.h"

#include <math.h>
#include <string.h>

void
rg_config_fail (GError **error, int code, const RgConfigSection *s, const char *format, ...)
{
  va_list args;
  g_autofree char *msg = NULL;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, REGARD_ERROR, code, "%s: %s", s->filename, msg);
}

JsonNode *
rg_config_member (const RgConfigSection *s, const char *key)
{
  if (s->obj == NULL || !json_object_has_member (s->obj, key))
    return NULL;
  return json_object_get_member (s->obj, key);
}

gboolean
rg_config_get_uint (const RgConfigSection *s, const char *key, guint def, guint max, gboolean null_ok,
                    guint *out, gboolean *was_set, GError **error)
{
  JsonNode *node = rg_config_member (s, key);
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
      rg_config_fail (error, REGARD_ERROR_INVALID_MODEL, s, "%s%s must be an integer", s->section, key);
      return FALSE;
    }
  v = json_node_get_int (node);
  if (v < 1 || v > (gint64) max)
    {
      rg_config_fail (error, REGARD_ERROR_INVALID_MODEL, s, "%s%s = %" G_GINT64_FORMAT " is out of range (1..%u)",
                      s->section, key, v, max);
      return FALSE;
    }
  *out = (guint) v;
  if (was_set)
    *was_set = TRUE;
  return TRUE;
}

gboolean
rg_config_get_positive_float (const RgConfigSection *s, const char *key, double def, double max,
                              float *out, GError **error)
{
  JsonNode *node = rg_config_member (s, key);
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
      rg_config_fail (error, REGARD_ERROR_INVALID_MODEL, s, "%s%s must be a number", s->section, key);
      return FALSE;
    }
  if (!isfinite (v) || v <= 0 || v >= max || !isfinite ((float) v) || (float) v <= 0)
    {
      rg_config_fail (error, REGARD_ERROR_INVALID_MODEL, s, "%s%s = %g must be positive and below %g",
                      s->section, key, v, max);
      return FALSE;
    }
  *out = (float) v;
  return TRUE;
}

gboolean
rg_config_get_bool (const RgConfigSection *s, const char *key, gboolean def, gboolean *out, GError **error)
{
  JsonNode *node = rg_config_member (s, key);

  if (node == NULL)
    {
      *out = def;
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    {
      rg_config_fail (error, REGARD_ERROR_INVALID_MODEL, s, "%s%s must be true or false", s->section, key);
      return FALSE;
    }
  *out = json_node_get_boolean (node);
  return TRUE;
}

gboolean
rg_config_get_string (const RgConfigSection *s, const char *key, const char **out, GError **error)
{
  JsonNode *node = rg_config_member (s, key);

  *out = NULL;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      rg_config_fail (error, REGARD_ERROR_INVALID_MODEL, s, "%s%s must be a string", s->section, key);
      return FALSE;
    }
  *out = json_node_get_string (node);
  return TRUE;
}

gboolean
rg_config_check_name (const RgConfigSection *s, const char *key, const char * const *accepted, GError **error)
{
  const char *v;

  if (!rg_config_get_string (s, key, &v, error))
    return FALSE;
  if (v == NULL || g_strv_contains (accepted, v))
    return TRUE;
  rg_config_fail (error, REGARD_ERROR_UNSUPPORTED, s, "%s%s '%s' is not supported (expected '%s')",
                  s->section, key, v, accepted[0]);
  return FALSE;
}

gboolean
rg_config_get_section (const RgConfigSection *top, const char *key, const char *label,
                       RgConfigSection *out, GError **error)
{
  JsonNode *node = rg_config_member (top, key);

  out->filename = top->filename;
  out->section = label;
  out->obj = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      rg_config_fail (error, REGARD_ERROR_INVALID_MODEL, top, "%s must be an object", key);
      return FALSE;
    }
  out->obj = json_node_get_object (node);
  return TRUE;
}

gboolean
rg_config_get_image_token (const RgConfigSection *top, gint32 def, gint32 *out, GError **error)
{
  JsonNode *image_token = rg_config_member (top, "image_token_id");

  *out = def;
  if (image_token == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (image_token) || json_node_get_value_type (image_token) != G_TYPE_INT64)
    {
      rg_config_fail (error, REGARD_ERROR_INVALID_MODEL, top, "image_token_id must be an integer");
      return FALSE;
    }
  if (json_node_get_int (image_token) < 0 || json_node_get_int (image_token) > G_MAXINT32)
    {
      rg_config_fail (error, REGARD_ERROR_INVALID_MODEL, top, "image_token_id is out of range");
      return FALSE;
    }
  *out = (gint32) json_node_get_int (image_token);
  /* image_token_id < vocab_size is checked by rg-snapshot.c: transformers'
   * own defaults (vocab 32000, image token 32001) do not satisfy it. */
  return TRUE;
}

gboolean
rg_config_parse_vision (const RgConfigSection *s, const RgVisionDefaults *def, RgVisionConfig *v,
                        GError **error)
{
  static const char * const acts[] = { "gelu_pytorch_tanh", NULL };
  const guint M = RG_CONFIG_MAX_DIM;

  /* SigLIP-base shaped defaults (not those of any released checkpoint). */
  if (!rg_config_check_name (s, "model_type", def->types, error) ||
      !rg_config_check_name (s, "hidden_act", acts, error) ||
      !rg_config_get_uint (s, "hidden_size", def->hidden_size, M, FALSE, &v->hidden_size, NULL, error) ||
      !rg_config_get_uint (s, "intermediate_size", 3072, M, FALSE, &v->intermediate_size, NULL, error) ||
      !rg_config_get_uint (s, "num_hidden_layers", 12, 1000, FALSE, &v->num_hidden_layers, NULL, error) ||
      !rg_config_get_uint (s, "num_attention_heads", def->num_attention_heads, M, FALSE,
                           &v->num_attention_heads, NULL, error) ||
      !rg_config_get_uint (s, "num_channels", 3, 64, FALSE, &v->num_channels, NULL, error) ||
      !rg_config_get_uint (s, "image_size", 224, 100000, FALSE, &v->image_size, NULL, error) ||
      !rg_config_get_uint (s, "patch_size", 32, 100000, FALSE, &v->patch_size, NULL, error) ||
      !rg_config_get_positive_float (s, "layer_norm_eps", 1e-6, 1.0, &v->layer_norm_eps, error))
    return FALSE;

  if (v->hidden_size % v->num_attention_heads != 0)
    {
      rg_config_fail (error, REGARD_ERROR_INVALID_MODEL, s, "vision_config.hidden_size %u is not a multiple of "
                      "num_attention_heads %u", v->hidden_size, v->num_attention_heads);
      return FALSE;
    }
  if (v->patch_size > v->image_size)
    {
      rg_config_fail (error, REGARD_ERROR_INVALID_MODEL, s, "vision_config.patch_size %u exceeds image_size %u",
                      v->patch_size, v->image_size);
      return FALSE;
    }
  /* The position table has (image_size / patch)^2 rows; keep it sane. */
  if ((v->image_size / v->patch_size) > 4096)
    {
      rg_config_fail (error, REGARD_ERROR_INVALID_MODEL, s, "vision_config: %u patches per side is too many",
                      v->image_size / v->patch_size);
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
parse_rope (const RgConfigSection *s, float *theta, GError **error)
{
  JsonNode *scaling = rg_config_member (s, "rope_scaling");
  JsonNode *params = rg_config_member (s, "rope_parameters");

  if (scaling != NULL && !JSON_NODE_HOLDS_NULL (scaling))
    {
      rg_config_fail (error, REGARD_ERROR_UNSUPPORTED, s, "text_config.rope_scaling is not supported");
      return FALSE;
    }
  if (!rg_config_get_positive_float (s, "rope_theta", 10000.0, 1e12, theta, error))
    return FALSE;

  /* Newer transformers write {"rope_type": "default", "rope_theta": ...}. */
  if (params != NULL && !JSON_NODE_HOLDS_NULL (params))
    {
      RgConfigSection p = { s->filename, "text_config.rope_parameters.", NULL };
      const char *type;

      if (!JSON_NODE_HOLDS_OBJECT (params))
        {
          rg_config_fail (error, REGARD_ERROR_INVALID_MODEL, s, "text_config.rope_parameters must be an object");
          return FALSE;
        }
      p.obj = json_node_get_object (params);
      if (!rg_config_get_string (&p, "rope_type", &type, error))
        return FALSE;
      if (type != NULL && strcmp (type, "default") != 0)
        {
          rg_config_fail (error, REGARD_ERROR_UNSUPPORTED, s, "RoPE type '%s' is not supported", type);
          return FALSE;
        }
      if (!rg_config_get_positive_float (&p, "rope_theta", *theta, 1e12, theta, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
rg_config_parse_text (const RgConfigSection *s, const RgTextDefaults *def, RgTextConfig *t, GError **error)
{
  static const char * const acts[] = { "silu", NULL };
  const guint M = RG_CONFIG_MAX_DIM;
  gboolean has_head_dim, has_window;
  guint window;

  if (!rg_config_check_name (s, "model_type", def->types, error) ||
      !rg_config_check_name (s, "hidden_act", acts, error) ||
      !rg_config_get_uint (s, "vocab_size", def->vocab_size, M, FALSE, &t->vocab_size, NULL, error) ||
      !rg_config_get_uint (s, "hidden_size", def->hidden_size, M, FALSE, &t->hidden_size, NULL, error) ||
      !rg_config_get_uint (s, "intermediate_size", def->intermediate_size, M, FALSE, &t->intermediate_size,
                           NULL, error) ||
      !rg_config_get_uint (s, "num_hidden_layers", def->num_hidden_layers, 1000, FALSE, &t->num_hidden_layers,
                           NULL, error) ||
      !rg_config_get_uint (s, "num_attention_heads", def->num_attention_heads, M, FALSE,
                           &t->num_attention_heads, NULL, error) ||
      /* null means "as many as the query heads" in MistralConfig and LlamaConfig */
      !rg_config_get_uint (s, "num_key_value_heads", def->num_key_value_heads, M, TRUE, &t->num_key_value_heads,
                           NULL, error) ||
      !rg_config_get_uint (s, "head_dim", 0, M, TRUE, &t->head_dim, &has_head_dim, error) ||
      !rg_config_get_uint (s, "max_position_embeddings", def->max_position_embeddings, RG_CONFIG_MAX_POSITIONS,
                           FALSE, &t->max_position_embeddings, NULL, error) ||
      !rg_config_get_uint (s, "sliding_window", def->sliding_window ? def->sliding_window : 1,
                           RG_CONFIG_MAX_POSITIONS, TRUE, &window, &has_window, error) ||
      !rg_config_get_positive_float (s, "rms_norm_eps", def->rms_norm_eps, 1.0, &t->rms_norm_eps, error) ||
      !rg_config_get_bool (s, "tie_word_embeddings", FALSE, &t->tie_word_embeddings, error) ||
      !parse_rope (s, &t->rope_theta, error))
    return FALSE;

  {
    /* null (and, where the family's default is 0, absent) means "as many
     * as the query heads" */
    JsonNode *kv = rg_config_member (s, "num_key_value_heads");
    if ((kv != NULL && JSON_NODE_HOLDS_NULL (kv)) || t->num_key_value_heads == 0)
      t->num_key_value_heads = t->num_attention_heads;
  }
  {
    JsonNode *w = rg_config_member (s, "sliding_window");
    t->sliding_window = (w != NULL && JSON_NODE_HOLDS_NULL (w)) ? 0 : window;
  }
  if (def->sliding_window == 0)
    {
      /* a family without one (Llama): an attention window would be ignored */
      if (has_window)
        {
          rg_config_fail (error, REGARD_ERROR_UNSUPPORTED, s, "text_config.sliding_window is not supported "
                          "by this model type");
          return FALSE;
        }
      t->sliding_window = 0;
    }
  if (def->biases_key)
    {
      gboolean attention_bias, mlp_bias;

      if (!rg_config_get_bool (s, "attention_bias", FALSE, &attention_bias, error) ||
          !rg_config_get_bool (s, "mlp_bias", FALSE, &mlp_bias, error))
        return FALSE;
      if (attention_bias || mlp_bias)
        {
          rg_config_fail (error, REGARD_ERROR_UNSUPPORTED, s, "text_config.%s true is not supported",
                          attention_bias ? "attention_bias" : "mlp_bias");
          return FALSE;
        }
    }

  if (!has_head_dim)
    {
      if (t->hidden_size % t->num_attention_heads != 0)
        {
          rg_config_fail (error, REGARD_ERROR_INVALID_MODEL, s, "text_config.hidden_size %u is not a multiple of "
                          "num_attention_heads %u (and head_dim is absent)", t->hidden_size, t->num_attention_heads);
          return FALSE;
        }
      t->head_dim = t->hidden_size / t->num_attention_heads;
    }
  if (t->num_key_value_heads > t->num_attention_heads ||
      t->num_attention_heads % t->num_key_value_heads != 0)
    {
      rg_config_fail (error, REGARD_ERROR_INVALID_MODEL, s, "text_config.num_attention_heads %u is not a multiple "
                      "of num_key_value_heads %u", t->num_attention_heads, t->num_key_value_heads);
      return FALSE;
    }
  if ((uint64_t) t->num_attention_heads * t->head_dim > RG_CONFIG_MAX_DIM)
    {
      rg_config_fail (error, REGARD_ERROR_INVALID_MODEL, s, "text_config: heads x head_dim is too large");
      return FALSE;
    }
  /* RoPE rotates pairs (d, d + head_dim/2). */
  if (t->head_dim % 2 != 0)
    {
      rg_config_fail (error, REGARD_ERROR_INVALID_MODEL, s, "text_config.head_dim %u must be even", t->head_dim);
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

gboolean
rg_config_check_sizes (const RgConfigSection *top, const RgConfigSize *sizes, guint n, GError **error)
{
  for (guint i = 0; i < n; i++)
    {
      guint64 elems = product (sizes[i].n, sizes[i].dims);

      if (elems > RG_CONFIG_MAX_ELEMENTS)
        {
          g_autoptr(GString) dims = g_string_new (NULL);
          char count[32] = "more than 2^64";

          for (guint d = 0; d < sizes[i].n; d++)
            g_string_append_printf (dims, "%s%" G_GUINT64_FORMAT, d ? " x " : "", sizes[i].dims[d]);
          if (elems != G_MAXUINT64)
            g_snprintf (count, sizeof count, "%" G_GUINT64_FORMAT, elems);
          rg_config_fail (error, REGARD_ERROR_INVALID_MODEL, top,
                          "the %s would have %s = %s elements, more than %" G_GUINT64_FORMAT ": the dimensions are not those of a real model",
                          sizes[i].what, dims->str, count, RG_CONFIG_MAX_ELEMENTS);
          return FALSE;
        }
    }
  return TRUE;
}

const char *
rg_model_family_name (RgModelFamily family)
{
  switch (family)
    {
    case RG_MODEL_FAMILY_IDEFICS2: return "IDEFICS2";
    case RG_MODEL_FAMILY_IDEFICS3: return "IDEFICS3";
    case RG_MODEL_FAMILY_IDEFICS1: return "IDEFICS1";
    default: return "unknown";
    }
}

/* The families by top-level model_type. */
static const struct
{
  const char *model_type;
  RgModelFamily family;
  gboolean (*parse) (const RgConfigSection *top, RgModelConfig *cfg, GError **error);
} families[] = {
  { "idefics2", RG_MODEL_FAMILY_IDEFICS2, rg_config_parse_idefics2 },
  { "idefics3", RG_MODEL_FAMILY_IDEFICS3, rg_config_parse_idefics3 },
  { "idefics", RG_MODEL_FAMILY_IDEFICS1, rg_config_parse_idefics1 },
};

gboolean
rg_model_config_parse (const char *json, gsize length, const char *filename,
                       RgModelConfig *out, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local_error = NULL;
  RgConfigSection top = { filename ? filename : "config.json", "", NULL };
  g_autoptr(GString) supported = g_string_new (NULL);
  RgModelConfig cfg = { 0 };
  const char *model_type;
  JsonNode *root;

  g_return_val_if_fail (json != NULL || length == 0, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  if (length == 0 || length > G_MAXSSIZE || memchr (json, '\0', length) != NULL)
    {
      rg_config_fail (error, REGARD_ERROR_INVALID_MODEL, &top, "not a JSON text");
      return FALSE;
    }
  if (!rg_json_depth_ok (json, length, RG_JSON_MAX_DEPTH))
    {
      rg_config_fail (error, REGARD_ERROR_INVALID_MODEL, &top, "JSON nested too deeply");
      return FALSE;
    }
  if (!json_parser_load_from_data (parser, json, (gssize) length, &local_error))
    {
      rg_config_fail (error, REGARD_ERROR_INVALID_MODEL, &top, "invalid JSON: %s", local_error->message);
      return FALSE;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      rg_config_fail (error, REGARD_ERROR_INVALID_MODEL, &top, "not a JSON object");
      return FALSE;
    }
  top.obj = json_node_get_object (root);

  if (!rg_config_get_string (&top, "model_type", &model_type, error))
    return FALSE;
  if (model_type == NULL)
    {
      rg_config_fail (error, REGARD_ERROR_INVALID_MODEL, &top, "no model_type: not a transformers model config");
      return FALSE;
    }
  for (guint i = 0; i < G_N_ELEMENTS (families); i++)
    {
      if (strcmp (model_type, families[i].model_type) != 0)
        {
          g_string_append_printf (supported, "%s%s ('%s')", i ? ", " : "",
                                  rg_model_family_name (families[i].family), families[i].model_type);
          continue;
        }
      cfg.family = families[i].family;
      if (!families[i].parse (&top, &cfg, error))
        return FALSE;
      *out = cfg;
      return TRUE;
    }
  rg_config_fail (error, REGARD_ERROR_UNSUPPORTED, &top,
                  "model_type '%s' is not supported: Regard runs %s models",
                  model_type, supported->str);
  return FALSE;
}
