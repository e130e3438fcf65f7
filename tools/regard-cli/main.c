/* regard-cli: a thin command-line client of the Regard engine. */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* Commands whose implementation has not landed yet point here (unused
 * once every command has). */
G_GNUC_UNUSED static int
cmd_missing (int argc, char **argv)
{
  g_printerr ("regard-cli: '%s' is not available in this build\n", argv[0]);
  return 1;
}

#ifndef REGARD_CLI_HAVE_TOKENIZE
#define cmd_tokenize cmd_missing
#define cmd_detokenize cmd_missing
#define cmd_prompt cmd_missing
#endif
#ifndef REGARD_CLI_HAVE_PREPROCESS
#define cmd_preprocess cmd_missing
#endif
#ifndef REGARD_CLI_HAVE_DEVICES
#define cmd_devices cmd_missing
#endif
#ifndef REGARD_CLI_HAVE_BENCH
#define cmd_bench cmd_missing
#endif
#ifndef REGARD_CLI_HAVE_HISTORY
#define cmd_history cmd_missing
#endif
#ifndef REGARD_CLI_HAVE_ASK
#define cmd_ask cmd_missing
#endif
#ifndef REGARD_CLI_HAVE_DOWNLOAD
#define cmd_download cmd_missing
#define cmd_models cmd_missing
#endif

static const CliCommand commands[] = {
  { "ask", "Ask a question about images (streams the answer)", cmd_ask },
  { "devices", "List Vulkan devices and their capabilities", cmd_devices },
  { "bench", "Measure ops or the whole model on a device", cmd_bench },
  { "download", "Download a model from the Hugging Face hub", cmd_download },
  { "models", "List installed models", cmd_models },
  { "history", "List, show, export or delete stored chats", cmd_history },
  { "tokenize", "Print the token ids of a text", cmd_tokenize },
  { "detokenize", "Print the text of token ids", cmd_detokenize },
  { "prompt", "Print the token ids of a full chat prompt", cmd_prompt },
  { "preprocess", "Write the model's pixel_values for images", cmd_preprocess },
};

int
cli_fail (GError *error)
{
  g_printerr ("regard-cli: %s\n", error ? error->message : "unknown error");
  return 1;
}

gboolean
cli_parse (const char *command, const char *parameter_string,
           const GOptionEntry *options, int *argc, char ***argv)
{
  g_autoptr(GOptionContext) ctx = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *params = g_strdup_printf ("%s %s", command, parameter_string ? parameter_string : "");

  ctx = g_option_context_new (params);
  g_option_context_add_main_entries (ctx, options, GETTEXT_PACKAGE);
  g_option_context_set_strict_posix (ctx, FALSE);
  if (!g_option_context_parse (ctx, argc, argv, &error))
    {
      g_printerr ("regard-cli %s: %s\n", command, error->message);
      return FALSE;
    }
  return TRUE;
}

void
cli_print_json_string (const char *s)
{
  putchar ('"');
  for (const unsigned char *p = (const unsigned char *) s; *p; p++)
    {
      switch (*p)
        {
        case '"': fputs ("\\\"", stdout); break;
        case '\\': fputs ("\\\\", stdout); break;
        case '\n': fputs ("\\n", stdout); break;
        case '\r': fputs ("\\r", stdout); break;
        case '\t': fputs ("\\t", stdout); break;
        default:
          if (*p < 0x20)
            printf ("\\u%04x", *p);
          else
            putchar (*p);
        }
    }
  putchar ('"');
}

static void
usage (FILE *out)
{
  fprintf (out, "Usage: regard-cli COMMAND [OPTIONS] [-- TEXT]\n\nCommands:\n");
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-12s %s\n", commands[i].name, commands[i].summary);
  fprintf (out, "\nRun 'regard-cli COMMAND --help' for a command's options.\n");
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  if (argc < 2 || strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)
    {
      usage (argc < 2 ? stderr : stdout);
      return argc < 2 ? 2 : 0;
    }
  if (strcmp (argv[1], "--version") == 0)
    {
      printf ("regard-cli %s\n", PACKAGE_VERSION);
      return 0;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (argv[1], commands[i].name) == 0)
      return commands[i].run (argc - 1, argv + 1);

  g_printerr ("regard-cli: unknown command '%s'\n\n", argv[1]);
  usage (stderr);
  return 2;
}
