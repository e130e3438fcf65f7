/* cmd-tokenize.c: regard-cli tokenize, detokenize and prompt.
 *
 * These read only the model folder's tokenizer.json, processor_config.json
 * and preprocessor_config.json, never the weights (regard-tools.h). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "regard-tools.h"

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
  g_autoptr(RegardTokenizer) tok = NULL;
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
  if (!(tok = regard_tokenizer_new (model, &error)) ||
      !regard_tokenizer_encode (tok, text, ids, &error))
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
  g_autoptr(RegardTokenizer) tok = NULL;
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
  if (!(tok = regard_tokenizer_new (model, &error)))
    return cli_fail (error);
  text = regard_tokenizer_decode (tok, (gint32 *) ids->data, ids->len, skip, &len);
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
  g_autoptr(RegardConversation) conv = regard_conversation_new ();
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autofree char *text = NULL;
  RegardPromptParams params = regard_prompt_params_default ();
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
  if (split || no_split)
    params.image_splitting = split;
  params.raw_prompt = raw;

  /* The images are only named here: ids do not depend on their pixels. */
  for (guint i = 0; images && images[i]; i++)
    regard_conversation_add_image_file (conv, REGARD_ROLE_USER, images[i]);
  regard_conversation_add_text (conv, REGARD_ROLE_USER, text);
  if (!regard_prompt_ids (model, conv, &params, ids, &error))
    return cli_fail (error);
  print_ids (ids, TRUE);
  return 0;
}
