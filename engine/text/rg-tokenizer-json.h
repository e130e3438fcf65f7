/* rg-tokenizer-json.h: the checked JSON accessors shared by the
 * tokenizer.json parsers (rg-tokenizer-load.c, rg-tokenizer-chain.c). Each
 * names the field it rejects ("tokenizer.json: model.vocab: ..."). */
#pragma once

#include <json-glib/json-glib.h>

#include "regard-error.h"
#include "rg-tokenizer-private.h"

G_BEGIN_DECLS

static inline gboolean
rg_tok_fail (GError **error, int code, const char *filename, const char *field, const char *fmt, ...) G_GNUC_PRINTF (5, 6);

static inline gboolean
rg_tok_fail (GError **error, int code, const char *filename, const char *field, const char *fmt, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;

  va_start (ap, fmt);
  msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (error, REGARD_ERROR, code, "%s: %s: %s", filename, field, msg);
  return FALSE;
}

#define INVALID(field, ...) rg_tok_fail (error, REGARD_ERROR_INVALID_MODEL, filename, field, __VA_ARGS__)
#define UNSUPPORTED(field, ...) rg_tok_fail (error, REGARD_ERROR_UNSUPPORTED, filename, field, __VA_ARGS__)

/* ---- JSON access helpers: each names the field it rejects ------------ */

static inline gboolean
node_is (JsonNode *node, GType type)
{
  return node && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type;
}

static inline gboolean
node_is_null_or_absent (JsonNode *node)
{
  return node == NULL || JSON_NODE_HOLDS_NULL (node);
}

static inline JsonObject *
get_object (JsonObject *obj, const char *member)
{
  JsonNode *node = json_object_get_member (obj, member);
  return node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static inline const char *
get_string (JsonObject *obj, const char *member)
{
  JsonNode *node = json_object_get_member (obj, member);
  return node_is (node, G_TYPE_STRING) ? json_node_get_string (node) : NULL;
}

/* Optional boolean: absent or null -> DEF; another type -> error. */
static inline gboolean
get_opt_bool (JsonObject *obj, const char *member, gboolean def, gboolean *out,
              const char *filename, const char *field, GError **error)
{
  JsonNode *node = json_object_get_member (obj, member);

  if (node_is_null_or_absent (node))
    {
      *out = def;
      return TRUE;
    }
  if (!node_is (node, G_TYPE_BOOLEAN))
    return INVALID (field, "expected a boolean");
  *out = json_node_get_boolean (node);
  return TRUE;
}

static inline gboolean
get_id (JsonNode *node, gint64 limit, gint32 *out,
        const char *filename, const char *field, GError **error)
{
  gint64 v;

  if (!node_is (node, G_TYPE_INT64))
    return INVALID (field, "expected an integer id");
  v = json_node_get_int (node);
  if (v < 0 || v >= limit)
    return INVALID (field, "id %" G_GINT64_FORMAT " out of range [0, %" G_GINT64_FORMAT ")", v, limit);
  *out = (gint32) v;
  return TRUE;
}

/* rg-tokenizer-chain.c: the pipeline around the BPE model. */
gboolean rg_tokenizer_parse_pre_tokenizer (RgTokenizer *tok, JsonObject *root, const char *filename,
                                           GError **error);
gboolean rg_tokenizer_parse_decoder (RgTokenizer *tok, JsonObject *root, const char *filename,
                                     GError **error);
gboolean rg_tokenizer_parse_post_processor (RgTokenizer *tok, JsonObject *root, const char *filename,
                                            GError **error);

G_END_DECLS
