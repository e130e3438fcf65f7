/* cmd-tokenize.c: regard-cli tokenize, detokenize and prompt.
 *
 * These read only the model folder's tokenizer.json, processor_config.json
 * and preprocessor_config.json, never the weights. */
#include "config.h"

#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "rg-prompt.h"
#include "rg-tokenizer.h"

static RgTokenizer *
load_tokenizer (const char *model_dir, GError **error)
{
  g_autofree char *path = g_build_filename (model_dir, "tokenizer.json", NULL);
  return rg_tokenizer_new_from_file (path, error);
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

/* The arguments left after the options, without a leading "--". */
static char **
positional (int argc, char **argv, int *n)
{
  int first = 1;

  if (first < argc && strcmp (argv[first], "--") == 0)
    first++;
  *n = argc - first;
  return argv + first;
}

static void
print_ids (GArray *ids, gboolean json)
{
  if (json)
    fputs ("{\"ids\": [", stdout);
  for (guint i = 0; i < ids->len; i++)
    printf ("%s%d", i ? (json ? ", " : " ") : "", g_array_index (ids, gint32, i));
  puts (json ? "]}" : "");
}

int
cmd_tokenize (int argc, char **argv)
{
  g_autofree char *model = NULL;
  gboolean json = FALSE;
  const GOptionEntry options[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model, "Model folder", "DIR" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print {\"ids\": [...]}", NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(RgTokenizer) tok = NULL;
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autofree char *text = NULL;
  char **rest;
  int n;

  if (!cli_parse ("tokenize", "[--] TEXT", options, &argc, &argv))
    return 2;
  rest = positional (argc, argv, &n);
  if (model == NULL || n < 1)
    {
      g_printerr ("regard-cli tokenize: usage: tokenize --model DIR [--json] -- TEXT\n");
      return 2;
    }
  text = g_strjoinv (" ", rest);
  if (!(tok = load_tokenizer (model, &error)) ||
      !rg_tokenizer_encode (tok, text, -1, FALSE, ids, &error))
    return cli_fail (error);
  print_ids (ids, json);
  return 0;
}

int
cmd_detokenize (int argc, char **argv)
{
  g_autofree char *model = NULL;
  gboolean skip = FALSE;
  const GOptionEntry options[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model, "Model folder", "DIR" },
    { "skip-special", 0, 0, G_OPTION_ARG_NONE, &skip, "Drop special tokens", NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(RgTokenizer) tok = NULL;
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autofree char *text = NULL;
  gsize len = 0;
  char **rest;
  int n;

  if (!cli_parse ("detokenize", "ID...", options, &argc, &argv))
    return 2;
  rest = positional (argc, argv, &n);
  if (model == NULL)
    {
      g_printerr ("regard-cli detokenize: usage: detokenize --model DIR [--skip-special] ID...\n");
      return 2;
    }
  for (int i = 0; i < n; i++)
    {
      guint64 v;
      gint32 id;

      if (!g_ascii_string_to_unsigned (rest[i], 10, 0, G_MAXINT32, &v, NULL))
        {
          g_printerr ("regard-cli detokenize: '%s' is not a token id\n", rest[i]);
          return 2;
        }
      id = (gint32) v;
      g_array_append_val (ids, id);
    }
  if (!(tok = load_tokenizer (model, &error)))
    return cli_fail (error);
  text = rg_tokenizer_decode (tok, (gint32 *) ids->data, ids->len, skip, &len);
  fwrite (text, 1, len, stdout);
  putchar ('\n');
  return 0;
}

int
cmd_prompt (int argc, char **argv)
{
  g_autofree char *model = NULL;
  g_auto(GStrv) images = NULL;
  gboolean split = FALSE, no_split = FALSE, raw = FALSE;
  const GOptionEntry options[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model, "Model folder", "DIR" },
    { "image", 'i', 0, G_OPTION_ARG_FILENAME_ARRAY, &images, "An image (repeat in prompt order)", "FILE" },
    { "split", 0, 0, G_OPTION_ARG_NONE, &split, "Split images in 4 crops + the full image", NULL },
    { "no-split", 0, 0, G_OPTION_ARG_NONE, &no_split, "Do not split images", NULL },
    { "raw-prompt", 0, 0, G_OPTION_ARG_NONE, &raw, "TEXT is the whole chat prompt with <image> placeholders", NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(RgTokenizer) tok = NULL;
  g_autoptr(RegardConversation) conv = regard_conversation_new ();
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autofree char *text = NULL;
  RgPromptParams params = { 0 };
  char **rest;
  int n;

  if (!cli_parse ("prompt", "[--] TEXT", options, &argc, &argv))
    return 2;
  rest = positional (argc, argv, &n);
  if (model == NULL || n < 1 || (split && no_split))
    {
      g_printerr ("regard-cli prompt: usage: prompt --model DIR [--split|--no-split] "
                  "[--raw-prompt] [--image FILE]... -- TEXT\n");
      return 2;
    }
  text = g_strjoinv (" ", rest);
  if (!g_utf8_validate (text, -1, NULL))
    {
      g_printerr ("regard-cli prompt: TEXT is not valid UTF-8\n");
      return 2;
    }
  if (!load_processor_settings (model, &params.image_seq_len, &params.do_image_splitting, &error) ||
      !(tok = load_tokenizer (model, &error)))
    return cli_fail (error);
  if (split || no_split)
    params.do_image_splitting = split;
  params.raw_prompt = raw;
  params.add_generation_prompt = TRUE;

  /* The images are only named here: ids do not depend on their pixels. */
  for (guint i = 0; images && images[i]; i++)
    regard_conversation_add_image_file (conv, REGARD_ROLE_USER, images[i]);
  regard_conversation_add_text (conv, REGARD_ROLE_USER, text);
  if (!rg_prompt_build (tok, conv, &params, ids, NULL, NULL, &error))
    return cli_fail (error);
  print_ids (ids, TRUE);
  return 0;
}
