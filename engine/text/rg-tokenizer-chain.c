/* rg-tokenizer-chain.c: the parts of tokenizer.json around the BPE model:
 * pre-tokenizer (none, or GPT-2 ByteLevel with optional Digits), decoder
 * (the Llama/Mistral chain or ByteLevel) and post-processor (BOS). */
#include "rg-tokenizer-json.h"

#include <string.h>

/* ---- pre-tokenizer ----------------------------------------------------- */

static gboolean
parse_byte_level (RgTokenizer *tok, JsonObject *obj, const char *filename, GError **error)
{
  JsonNode *node = json_object_get_member (obj, "add_prefix_space");
  gboolean use_regex = TRUE;

  /* HF's default is true when the member is absent. */
  if (!node_is (node, G_TYPE_BOOLEAN) || json_node_get_boolean (node))
    return UNSUPPORTED ("pre_tokenizer.add_prefix_space", "only false is supported");
  if (!get_opt_bool (obj, "use_regex", TRUE, &use_regex, filename, "pre_tokenizer.use_regex", error) ||
      !get_opt_bool (obj, "trim_offsets", TRUE, &(gboolean) { 0 }, filename, "pre_tokenizer.trim_offsets", error))
    return FALSE;
  tok->byte_level = TRUE;
  tok->use_regex = use_regex;
  return TRUE;
}

static gboolean
parse_digits (RgTokenizer *tok, JsonObject *obj, const char *filename, GError **error)
{
  gboolean individual = FALSE;

  if (!get_opt_bool (obj, "individual_digits", FALSE, &individual, filename,
                     "pre_tokenizer.individual_digits", error))
    return FALSE;
  tok->digits = individual ? RG_DIGITS_INDIVIDUAL : RG_DIGITS_CONTIGUOUS;
  return TRUE;
}

/* Accepts null (legacy Llama layout), ByteLevel, or Sequence[Digits,
 * ByteLevel] (SmolLM2 / SmolVLM). */
gboolean
rg_tokenizer_parse_pre_tokenizer (RgTokenizer *tok, JsonObject *root, const char *filename, GError **error)
{
  JsonNode *node = json_object_get_member (root, "pre_tokenizer");
  JsonObject *obj;
  const char *type;

  if (node_is_null_or_absent (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return INVALID ("pre_tokenizer", "expected an object or null");
  obj = json_node_get_object (node);
  type = get_string (obj, "type");
  if (g_strcmp0 (type, "ByteLevel") == 0)
    return parse_byte_level (tok, obj, filename, error);
  if (g_strcmp0 (type, "Sequence") == 0)
    {
      JsonNode *list = json_object_get_member (obj, "pretokenizers");
      JsonArray *arr;
      guint n;

      if (!list || !JSON_NODE_HOLDS_ARRAY (list))
        return INVALID ("pre_tokenizer.pretokenizers", "missing or not an array");
      arr = json_node_get_array (list);
      n = json_array_get_length (arr);
      for (guint i = 0; i < n; i++)
        {
          JsonNode *e = json_array_get_element (arr, i);
          JsonObject *step;
          const char *t;

          if (!e || !JSON_NODE_HOLDS_OBJECT (e))
            return INVALID ("pre_tokenizer.pretokenizers", "entry %u is not an object", i);
          step = json_node_get_object (e);
          t = get_string (step, "type");
          if (g_strcmp0 (t, "Digits") == 0 && i == 0 && n == 2)
            {
              if (!parse_digits (tok, step, filename, error))
                return FALSE;
            }
          else if (g_strcmp0 (t, "ByteLevel") == 0 && i == n - 1)
            {
              if (!parse_byte_level (tok, step, filename, error))
                return FALSE;
            }
          else
            return UNSUPPORTED ("pre_tokenizer.pretokenizers",
                                "entry %u (\"%s\") is not supported; only [Digits?, ByteLevel]",
                                i, t ? t : "(missing)");
        }
      if (!tok->byte_level)
        return UNSUPPORTED ("pre_tokenizer.pretokenizers", "only [Digits?, ByteLevel] is supported");
      return TRUE;
    }
  return UNSUPPORTED ("pre_tokenizer.type", "\"%s\" is not supported (null, ByteLevel or "
                      "Sequence[Digits, ByteLevel])", type ? type : "(missing)");
}

/* Accepts the Llama/Mistral chain: Replace(▁ -> ' ')?, ByteFallback?,
 * Fuse?, Strip(' ', n, 0)? in that order (Strip only after Fuse, where it
 * sees the whole text). */
gboolean
rg_tokenizer_parse_decoder (RgTokenizer *tok, JsonObject *root, const char *filename, GError **error)
{
  JsonNode *node = json_object_get_member (root, "decoder");
  JsonObject *obj;
  JsonArray *arr;
  const char *type;
  guint stage = 0;
  gboolean fused = FALSE;

  if (node_is_null_or_absent (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return INVALID ("decoder", "expected an object or null");
  obj = json_node_get_object (node);
  type = get_string (obj, "type");
  if (g_strcmp0 (type, "ByteLevel") == 0)
    {
      tok->dec_byte_level = TRUE;
      return TRUE;
    }
  if (g_strcmp0 (type, "Sequence") != 0)
    return UNSUPPORTED ("decoder.type", "\"%s\" is not supported", type ? type : "(missing)");
  node = json_object_get_member (obj, "decoders");
  if (!node || !JSON_NODE_HOLDS_ARRAY (node))
    return INVALID ("decoder.decoders", "missing or not an array");
  arr = json_node_get_array (node);

  for (guint i = 0; i < json_array_get_length (arr); i++)
    {
      JsonNode *e = json_array_get_element (arr, i);
      JsonObject *d;
      const char *t;

      if (!e || !JSON_NODE_HOLDS_OBJECT (e))
        return INVALID ("decoder.decoders", "entry %u is not an object", i);
      d = json_node_get_object (e);
      t = get_string (d, "type");
      if (t == NULL)
        return INVALID ("decoder.decoders.type", "entry %u: missing or not a string", i);
      if (strcmp (t, "Replace") == 0 && stage < 1)
        {
          JsonObject *pattern = get_object (d, "pattern");
          const char *pat = pattern ? get_string (pattern, "String") : NULL;
          const char *content = get_string (d, "content");
          if (g_strcmp0 (pat, METASPACE) != 0 || g_strcmp0 (content, " ") != 0)
            return UNSUPPORTED ("decoder.decoders", "only Replace(\"▁\", \" \") is supported");
          tok->dec_replace = TRUE;
          stage = 1;
        }
      else if (strcmp (t, "ByteFallback") == 0 && stage < 2)
        stage = 2;
      else if (strcmp (t, "Fuse") == 0 && stage < 3)
        {
          fused = TRUE;
          stage = 3;
        }
      else if (strcmp (t, "Strip") == 0 && stage < 4 && fused)
        {
          JsonNode *start = json_object_get_member (d, "start");
          JsonNode *stop = json_object_get_member (d, "stop");
          if (g_strcmp0 (get_string (d, "content"), " ") != 0 ||
              !node_is (start, G_TYPE_INT64) || !node_is (stop, G_TYPE_INT64))
            return INVALID ("decoder.decoders", "Strip needs content \" \", start and stop");
          if (json_node_get_int (stop) != 0 || json_node_get_int (start) < 0 ||
              json_node_get_int (start) > 16)
            return UNSUPPORTED ("decoder.decoders", "only Strip(\" \", 0..16, 0) is supported");
          tok->dec_strip = (guint) json_node_get_int (start);
          stage = 4;
        }
      else
        return UNSUPPORTED ("decoder.decoders", "entry %u (\"%s\") is not supported here", i, t);
    }
  return TRUE;
}

/* BOS comes from a TemplateProcessing "single" of [SpecialToken?, Sequence A]. */
gboolean
rg_tokenizer_parse_post_processor (RgTokenizer *tok, JsonObject *root, const char *filename, GError **error)
{
  JsonNode *node = json_object_get_member (root, "post_processor");
  JsonObject *obj;
  JsonArray *single;
  guint n;

  tok->bos_id = -1;
  if (node_is_null_or_absent (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return INVALID ("post_processor", "expected an object or null");
  obj = json_node_get_object (node);
  /* ByteLevel only trims offsets: the ids are unchanged. */
  if (g_strcmp0 (get_string (obj, "type"), "ByteLevel") == 0)
    return TRUE;
  if (g_strcmp0 (get_string (obj, "type"), "TemplateProcessing") != 0)
    return UNSUPPORTED ("post_processor.type", "only TemplateProcessing is supported");
  node = json_object_get_member (obj, "single");
  if (!node || !JSON_NODE_HOLDS_ARRAY (node))
    return INVALID ("post_processor.single", "missing or not an array");
  single = json_node_get_array (node);
  n = json_array_get_length (single);

  for (guint i = 0; i < n; i++)
    {
      JsonNode *e = json_array_get_element (single, i);
      JsonObject *item = e && JSON_NODE_HOLDS_OBJECT (e) ? json_node_get_object (e) : NULL;
      JsonObject *special = item ? get_object (item, "SpecialToken") : NULL;
      JsonObject *seq = item ? get_object (item, "Sequence") : NULL;

      if (special && i == 0 && n == 2)
        {
          const char *name = get_string (special, "id");
          JsonObject *map = get_object (obj, "special_tokens");
          JsonObject *entry = map && name ? get_object (map, name) : NULL;
          JsonNode *ids = entry ? json_object_get_member (entry, "ids") : NULL;

          if (name == NULL)
            return INVALID ("post_processor.single", "SpecialToken without an id");
          if (ids && JSON_NODE_HOLDS_ARRAY (ids))
            {
              JsonArray *a = json_node_get_array (ids);
              if (json_array_get_length (a) != 1)
                return UNSUPPORTED ("post_processor.special_tokens", "\"%s\" must be one token", name);
              if (!get_id (json_array_get_element (a, 0), tok->n_ids, &tok->bos_id, filename,
                           "post_processor.special_tokens.ids", error))
                return FALSE;
            }
          else
            {
              tok->bos_id = rg_tokenizer_token_to_id (tok, name);
              if (tok->bos_id < 0)
                return INVALID ("post_processor.single", "unknown token \"%s\"", name);
            }
        }
      else if (seq && i == n - 1 && g_strcmp0 (get_string (seq, "id"), "A") == 0)
        ;
      else
        return UNSUPPORTED ("post_processor.single", "only [<bos>?, $A] is supported");
    }
  return TRUE;
}
