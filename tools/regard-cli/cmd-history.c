/* regard-cli history: list, show, export and delete stored chats, and the
 * history benchmark. A client of regard-history.h only. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <glib/gstdio.h>

#include "cli.h"
#include "regard-history.h"

static RegardHistory *
open_history (const char *db_path, GError **error)
{
  RegardHistoryParams params = regard_history_params_default ();
  RegardHistory *history;
  const GError *reason = NULL;
  const char *broken;

  params.path = db_path;
  history = regard_history_open (&params, error);
  if (history && (broken = regard_history_get_recovery (history, &reason)))
    g_printerr ("regard-cli: the history database was unusable (%s); moved to %s, a new one was started\n",
                reason->message, broken);
  return history;
}

static char *
format_time (gint64 us)
{
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_local (us / G_USEC_PER_SEC);

  return t ? g_date_time_format_iso8601 (t) : g_strdup ("");
}

static void
print_chat_json (const RegardHistoryChat *c)
{
  g_autofree char *created = format_time (c->created_us);
  g_autofree char *updated = format_time (c->updated_us);

  printf ("{\"id\": %" G_GINT64_FORMAT ", \"title\": ", c->id);
  cli_print_json_string (c->title);
  printf (", \"created\": ");
  cli_print_json_string (created);
  printf (", \"updated\": ");
  cli_print_json_string (updated);
  printf (", \"model\": ");
  cli_print_json_string (c->model_id);
  printf (", \"weight_format\": ");
  cli_print_json_string (c->weight_format);
  printf (", \"turns\": %u}", c->n_turns);
}

static int
history_list (const char *db, const char *search, int limit, gboolean json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RegardHistory) history = open_history (db, &error);
  g_autoptr(GPtrArray) chats = NULL;

  if (history == NULL)
    return cli_fail (error);
  chats = search ? regard_history_search (history, search, (guint) limit, &error)
                 : regard_history_list_chats (history, 0, (guint) limit, &error);
  if (chats == NULL)
    return cli_fail (error);
  if (json)
    {
      printf ("[");
      for (guint i = 0; i < chats->len; i++)
        {
          printf (i ? ",\n " : "");
          print_chat_json (chats->pdata[i]);
        }
      printf ("]\n");
      return 0;
    }
  for (guint i = 0; i < chats->len; i++)
    {
      RegardHistoryChat *c = chats->pdata[i];
      g_autoptr(GDateTime) t = g_date_time_new_from_unix_local (c->updated_us / G_USEC_PER_SEC);
      g_autofree char *when = t ? g_date_time_format (t, "%Y-%m-%d %H:%M") : g_strdup ("?");

      printf ("%6" G_GINT64_FORMAT "  %s  %3u  %s\n", c->id, when, c->n_turns,
              *c->title ? c->title : "(untitled)");
    }
  return 0;
}

static int
history_show (const char *db, gint64 id, gboolean json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RegardHistory) history = open_history (db, &error);
  g_autoptr(RegardHistoryChat) chat = NULL;
  g_autoptr(GPtrArray) turns = NULL;

  if (history == NULL
      || (chat = regard_history_get_chat (history, id, &error)) == NULL
      || (turns = regard_history_get_turns (history, id, &error)) == NULL)
    return cli_fail (error);
  if (json)
    {
      printf ("{\"chat\": ");
      print_chat_json (chat);
      printf (",\n \"turns\": [");
      for (guint i = 0; i < turns->len; i++)
        {
          RegardHistoryTurn *t = turns->pdata[i];

          printf (i ? ",\n  {" : "{");
          printf ("\"question\": ");
          cli_print_json_string (t->question);
          printf (", \"images\": [");
          for (guint k = 0; t->images[k]; k++)
            {
              printf (k ? ", " : "");
              cli_print_json_string (t->images[k]);
            }
          printf ("], \"answer\": ");
          cli_print_json_string (t->answer);
          printf (", \"finished\": %s, \"stop_reason\": ", t->finished ? "true" : "false");
          cli_print_json_string (t->stop_reason);
          printf (", \"prompt_tokens\": %u, \"cached_tokens\": %u, \"generated_tokens\": %u,"
                  " \"image_encode_ms\": %.3f, \"prefill_ms\": %.3f, \"decode_tokens_per_s\": %.3f}",
                  t->timings.prompt_tokens, t->timings.cached_tokens, t->timings.generated_tokens,
                  t->timings.image_encode_ms, t->timings.prefill_ms, t->timings.decode_tokens_per_s);
        }
      printf ("]}\n");
      return 0;
    }
  printf ("# %s\n", *chat->title ? chat->title : "(untitled)");
  if (*chat->model_id)
    printf ("model: %s%s%s%s\n", chat->model_id, *chat->weight_format ? " (" : "",
            chat->weight_format, *chat->weight_format ? ")" : "");
  for (guint i = 0; i < turns->len; i++)
    {
      RegardHistoryTurn *t = turns->pdata[i];

      printf ("\n> %s\n", t->question);
      for (guint k = 0; t->images[k]; k++)
        printf ("> [image] %s\n", t->images[k]);
      printf ("\n%s\n", t->answer);
      if (g_strcmp0 (t->stop_reason, "eos") != 0)
        printf ("[stopped: %s]\n", t->stop_reason);
    }
  return 0;
}

static int
history_export (const char *db, gint64 id, const char *out, gboolean json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RegardHistory) history = open_history (db, &error);
  g_autofree char *path = NULL;

  if (history == NULL || (path = regard_history_export_markdown (history, id, out, &error)) == NULL)
    return cli_fail (error);
  if (json)
    {
      printf ("{\"path\": ");
      cli_print_json_string (path);
      printf ("}\n");
    }
  else
    printf ("%s\n", path);
  return 0;
}

static int
history_delete (const char *db, gint64 id, gboolean json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RegardHistory) history = open_history (db, &error);

  if (history == NULL || !regard_history_delete_chat (history, id, &error))
    return cli_fail (error);
  if (json)
    printf ("{\"deleted\": %" G_GINT64_FORMAT "}\n", id);
  else
    printf ("Deleted chat %" G_GINT64_FORMAT "\n", id);
  return 0;
}

static gboolean
parse_id (const char *s, gint64 *id)
{
  guint64 v = 0;

  if (!g_ascii_string_to_unsigned (s, 10, 1, G_MAXINT64, &v, NULL))
    {
      g_printerr ("regard-cli history: '%s' is not a chat id\n", s);
      return FALSE;
    }
  *id = (gint64) v;
  return TRUE;
}

int
cmd_history (int argc, char **argv)
{
  g_autofree char *db = NULL, *out = NULL, *search = NULL;
  gboolean json = FALSE;
  int limit = 50;
  gint64 id = 0;
  const GOptionEntry options[] = {
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db, "History database (default: $XDG_DATA_HOME/regard/history.sqlite3)", "FILE" },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, "export: folder for the Markdown file and its images", "DIR" },
    { "search", 's', 0, G_OPTION_ARG_STRING, &search, "list: only chats matching these words", "TEXT" },
    { "limit", 'n', 0, G_OPTION_ARG_INT, &limit, "list: at most N chats (50)", "N" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL },
    { NULL }
  };
  const char *sub;

  if (!cli_parse ("history", "list | show ID | export ID --out DIR | delete ID", options, &argc, &argv))
    return 2;
  sub = argc >= 2 ? argv[1] : "";
  if (g_str_equal (sub, "list") && argc == 2 && limit > 0)
    return history_list (db, search, limit, json);
  if (argc == 3 && (g_str_equal (sub, "show") || g_str_equal (sub, "delete")
                    || (g_str_equal (sub, "export") && out != NULL)))
    {
      if (!parse_id (argv[2], &id))
        return 2;
      if (g_str_equal (sub, "show"))
        return history_show (db, id, json);
      if (g_str_equal (sub, "export"))
        return history_export (db, id, out, json);
      return history_delete (db, id, json);
    }
  g_printerr ("Usage: regard-cli history list [--search TEXT] [--limit N] [--json]\n"
              "       regard-cli history show ID [--json]\n"
              "       regard-cli history export ID --out DIR [--json]\n"
              "       regard-cli history delete ID [--json]\n"
              "       (each takes --db FILE)\n");
  return 2;
}

/* ---- regard-cli bench history ----------------------------------------- */

static const char *const words[] = {
  "harbour", "lighthouse", "receipt", "total", "cat", "window", "street", "sign",
  "bicycle", "mountain", "invoice", "table", "chart", "screenshot", "error", "menu",
};

static double
ms_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / 1000.0;
}

static int
compare_double (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

int
cmd_bench_history (int argc, char **argv)
{
  int n_chats = 10000, turns_per_chat = 10, page = 50;
  gboolean keep = FALSE;
  const GOptionEntry options[] = {
    { "chats", 0, 0, G_OPTION_ARG_INT, &n_chats, "Chats in the temporary history (10000)", "N" },
    { "turns", 0, 0, G_OPTION_ARG_INT, &turns_per_chat, "Turns per chat (10)", "N" },
    { "page", 0, 0, G_OPTION_ARG_INT, &page, "Chats in the sidebar's first page (50)", "N" },
    { "keep", 0, 0, G_OPTION_ARG_NONE, &keep, "Keep the temporary history folder", NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *db = NULL;
  g_autoptr(RegardHistory) history = NULL;
  RegardHistoryParams params = regard_history_params_default ();
  GRand *rand = g_rand_new_with_seed (42);
  double open_ms[11], list_ms[11], search_ms[11];
  gint64 start;
  int rc = 1;

  if (!cli_parse ("bench history", "", options, &argc, &argv))
    return 2;
  if (argc != 1 || n_chats < 1 || turns_per_chat < 1 || page < 1)
    {
      g_printerr ("Usage: regard-cli bench history [--chats N] [--turns N] [--page N] [--keep]\n");
      return 2;
    }
  dir = g_dir_make_tmp ("regard-bench-history-XXXXXX", &error);
  if (dir == NULL)
    return cli_fail (error);
  db = g_build_filename (dir, "history.sqlite3", NULL);
  params.path = db;

  /* Fill: one transaction, realistic sizes (a question of ~12 words, an
   * answer of ~80). */
  start = g_get_monotonic_time ();
  history = regard_history_open (&params, &error);
  if (history == NULL || !regard_history_batch_begin (history, &error))
    goto out;
  for (int c = 0; c < n_chats; c++)
    {
      gint64 chat = regard_history_create_chat (history, NULL, "idefics2-8b", "q8_0", &error);

      if (chat == 0)
        goto out;
      for (int t = 0; t < turns_per_chat; t++)
        {
          g_autoptr(GString) q = g_string_new ("What is the");
          g_autoptr(GString) a = g_string_new ("It shows");
          gint64 turn;

          for (int w = 0; w < 10; w++)
            g_string_append_printf (q, " %s", words[g_rand_int_range (rand, 0, G_N_ELEMENTS (words))]);
          for (int w = 0; w < 80; w++)
            g_string_append_printf (a, " %s", words[g_rand_int_range (rand, 0, G_N_ELEMENTS (words))]);
          turn = regard_history_add_turn (history, chat, q->str, NULL, &error);
          if (turn == 0 || !regard_history_finish_turn (history, turn, a->str, "eos", NULL, &error))
            goto out;
        }
    }
  if (!regard_history_batch_end (history, TRUE, &error))
    goto out;
  g_clear_pointer (&history, regard_history_close);
  printf ("history: %d chats, %d turns written in %.1f s\n", n_chats, n_chats * turns_per_chat,
          ms_since (start) / 1000.0);

  /* What the app does at start: open the store, list the sidebar's first
   * page; then a search. 11 runs: the first is cold(er), median reported. */
  for (int run = 0; run < 11; run++)
    {
      g_autoptr(GPtrArray) chats = NULL;
      g_autoptr(GPtrArray) found = NULL;

      start = g_get_monotonic_time ();
      history = regard_history_open (&params, &error);
      if (history == NULL)
        goto out;
      open_ms[run] = ms_since (start);
      start = g_get_monotonic_time ();
      chats = regard_history_list_chats (history, 0, (guint) page, &error);
      if (chats == NULL)
        goto out;
      list_ms[run] = ms_since (start);
      start = g_get_monotonic_time ();
      found = regard_history_search (history, "lighthouse rece", (guint) page, &error);
      if (found == NULL)
        goto out;
      search_ms[run] = ms_since (start);
      g_clear_pointer (&history, regard_history_close);
    }
  printf ("first run:  open %.2f ms, list %d chats %.2f ms, search %.2f ms\n",
          open_ms[0], page, list_ms[0], search_ms[0]);
  qsort (open_ms, 11, sizeof (double), compare_double);
  qsort (list_ms, 11, sizeof (double), compare_double);
  qsort (search_ms, 11, sizeof (double), compare_double);
  printf ("median:     open %.2f ms, list %d chats %.2f ms, search %.2f ms\n",
          open_ms[5], page, list_ms[5], search_ms[5]);
  printf ("sidebar (open + first page), median: %.2f ms\n", open_ms[5] + list_ms[5]);
  rc = 0;

out:
  g_rand_free (rand);
  g_clear_pointer (&history, regard_history_close);
  if (keep)
    printf ("kept: %s\n", dir);
  else
    {
      static const char *const files[] = { "history.sqlite3", "history.sqlite3-wal", "history.sqlite3-shm" };
      g_autofree char *images = g_build_filename (dir, "images", NULL);

      for (guint i = 0; i < G_N_ELEMENTS (files); i++)
        {
          g_autofree char *p = g_build_filename (dir, files[i], NULL);
          g_unlink (p);
        }
      g_rmdir (images);
      g_rmdir (dir);
    }
  return rc == 0 ? 0 : cli_fail (error);
}
