/* regard-tools-text.c: the tokenizer and prompt ids of regard-tools.h.
 *
 * These read only the model folder's tokenizer.json, processor_config.json
 * and preprocessor_config.json, never the weights. */
#include "config.h"

#include <json-glib/json-glib.h>

#include "regard-tools.h"
#include "rg-prompt.h"
#include "rg-tokenizer.h"

struct _RegardTokenizer
{
  RgTokenizer *tok;
};

RegardTokenizer *
regard_tokenizer_new (const char *model_dir, GError **error)
{
  g_autofree char *path = g_build_filename (model_dir, "tokenizer.json", NULL);
  RgTokenizer *tok = rg_tokenizer_new_from_file (path, error);
  RegardTokenizer *self;

  if (tok == NULL)
    return NULL;
  self = g_new0 (RegardTokenizer, 1);
  self->tok = tok;
  return self;
}

void
regard_tokenizer_free (RegardTokenizer *tok)
{
  if (tok == NULL)
    return;
  rg_tokenizer_free (tok->tok);
  g_free (tok);
}

gboolean
regard_tokenizer_encode (RegardTokenizer *tok, const char *text, GArray *ids, GError **error)
{
  g_return_val_if_fail (tok != NULL && text != NULL && ids != NULL, FALSE);
  return rg_tokenizer_encode (tok->tok, text, -1, FALSE, ids, error);
}

char *
regard_tokenizer_decode (RegardTokenizer *tok, const gint32 *ids, gsize n_ids,
                         gboolean skip_special, gsize *length)
{
  gsize len = 0;
  char *text;

  g_return_val_if_fail (tok != NULL && (ids != NULL || n_ids == 0), NULL);
  text = rg_tokenizer_decode (tok->tok, ids, n_ids, skip_special, &len);
  if (length)
    *length = len;
  return text;
}

/* Reads one member of a small JSON config; absent file or member keeps
 * the default, a wrongly typed one is an error. */
static gboolean
read_config_member (const char *model_dir, const char *file, const char *member,
                    GType type, GValue *value, GError **error)
{
  g_autofree char *path = g_build_filename (model_dir, file, NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root, *node;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return TRUE;
  if (!json_parser_load_from_file (parser, path, error))
    return FALSE;
  root = json_parser_get_root (parser);
  if (!root || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL, "%s: expected an object", file);
      return FALSE;
    }
  node = json_object_get_member (json_node_get_object (root), member);
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != type)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL, "%s: %s has the wrong type", file, member);
      return FALSE;
    }
  g_value_unset (value);
  json_node_get_value (node, value);
  return TRUE;
}

static gboolean
load_processor_settings (const char *model_dir, guint *image_seq_len, gboolean *split, GError **error)
{
  g_auto(GValue) seq = G_VALUE_INIT;
  g_auto(GValue) spl = G_VALUE_INIT;
  gint64 n;

  g_value_init (&seq, G_TYPE_INT64);
  g_value_set_int64 (&seq, 64);
  g_value_init (&spl, G_TYPE_BOOLEAN);
  g_value_set_boolean (&spl, FALSE);
  if (!read_config_member (model_dir, "processor_config.json", "image_seq_len", G_TYPE_INT64, &seq, error) ||
      !read_config_member (model_dir, "preprocessor_config.json", "do_image_splitting", G_TYPE_BOOLEAN, &spl, error))
    return FALSE;
  n = g_value_get_int64 (&seq);
  if (n <= 0 || n > 65536)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL,
                   "processor_config.json: image_seq_len %" G_GINT64_FORMAT " is out of range", n);
      return FALSE;
    }
  *image_seq_len = (guint) n;
  *split = g_value_get_boolean (&spl);
  return TRUE;
}

RegardPromptParams
regard_prompt_params_default (void)
{
  return (RegardPromptParams) { .image_splitting = -1 };
}

gboolean
regard_prompt_ids (const char *model_dir, RegardConversation *conv,
                   const RegardPromptParams *params, GArray *ids, GError **error)
{
  RegardPromptParams defaults = regard_prompt_params_default ();
  g_autoptr(RegardTokenizer) tok = NULL;
  RgPromptParams pp = { 0 };

  g_return_val_if_fail (model_dir != NULL && conv != NULL && ids != NULL, FALSE);
  if (params == NULL)
    params = &defaults;
  if (!load_processor_settings (model_dir, &pp.image_seq_len, &pp.do_image_splitting, error) ||
      !(tok = regard_tokenizer_new (model_dir, error)))
    return FALSE;
  if (params->image_splitting >= 0)
    pp.do_image_splitting = params->image_splitting != 0;
  pp.raw_prompt = params->raw_prompt;
  pp.add_generation_prompt = TRUE;
  return rg_prompt_build (tok->tok, conv, &pp, ids, NULL, NULL, error);
}
