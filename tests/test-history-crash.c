/* test-history-crash.c: the history survives kill -9 mid-answer.
 *
 * The test re-runs itself as a writer (--writer DB): it stores finished
 * turns, then streams an answer into a new turn, committing each delta,
 * as the app does. The parent kills it with SIGKILL while it streams,
 * reopens the database and checks nothing earlier was lost. */
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "regard-history.h"
#include "rg-history-private.h"
#include "test-common.h"

#define N_FINISHED 20

static int
run_writer (const char *db)
{
  RegardHistoryParams params = regard_history_params_default ();
  g_autoptr(RegardHistory) h = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) answer = g_string_new (NULL);
  gint64 chat, turn;

  params.path = db;
  h = regard_history_open (&params, &error);
  g_assert_no_error (error);
  chat = regard_history_create_chat (h, NULL, "fixture", "f32", &error);
  for (guint i = 0; i < N_FINISHED; i++)
    {
      g_autofree char *q = g_strdup_printf ("question %u", i);
      g_autofree char *a = g_strdup_printf ("answer %u", i);
      g_autoptr(GPtrArray) images = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
      g_autofree char *img = g_strdup_printf ("\x89PNG\r\n\x1a\nimage %u", i % 3);

      g_ptr_array_add (images, g_bytes_new (img, strlen (img)));
      turn = regard_history_add_turn (h, chat, q, images, &error);
      g_assert_no_error (error);
      regard_history_finish_turn (h, turn, a, "eos", NULL, &error);
      g_assert_no_error (error);
    }
  turn = regard_history_add_turn (h, chat, "the question being answered", NULL, &error);
  g_assert_no_error (error);
  /* Stream forever: each delta committed; the parent kills us. */
  for (guint i = 0;; i++)
    {
      g_string_append_printf (answer, "token%u ", i);
      if (!regard_history_set_answer (h, turn, answer->str, &error))
        g_error ("%s", error->message);
      if (i == 50)
        {
          printf ("streaming\n");
          fflush (stdout);
        }
    }
  return 0;
}

static void
test_kill_mid_answer (void)
{
  g_autofree char *dir = g_dir_make_tmp ("regard-history-crash-XXXXXX", NULL);
  g_autofree char *db = g_build_filename (dir, "history.sqlite3", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *line = NULL;
  g_autoptr(RegardHistory) h = NULL;
  g_autoptr(GPtrArray) chats = NULL;
  g_autoptr(GPtrArray) turns = NULL;
  RegardHistoryParams params = regard_history_params_default ();
  RegardHistoryTurn *last;
  sqlite3_stmt *st = NULL;

  proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                           "/proc/self/exe", "--writer", db, NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (proc));
  line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (line, ==, "streaming");
  /* Let it write a little more, so the kill lands inside a commit as
   * likely as not. */
  g_usleep (20000);
  g_subprocess_send_signal (proc, SIGKILL);
  g_subprocess_wait (proc, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_signaled (proc));
  g_assert_cmpint (g_subprocess_get_term_sig (proc), ==, SIGKILL);

  params.path = db;
  h = regard_history_open (&params, &error);
  g_assert_no_error (error);
  g_assert_null (regard_history_get_recovery (h, NULL));
  chats = regard_history_list_chats (h, 0, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (chats->len, ==, 1);
  turns = regard_history_get_turns (h, ((RegardHistoryChat *) chats->pdata[0])->id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (turns->len, ==, N_FINISHED + 1);
  for (guint i = 0; i < N_FINISHED; i++)
    {
      RegardHistoryTurn *t = turns->pdata[i];
      g_autofree char *a = g_strdup_printf ("answer %u", i);

      g_assert_true (t->finished);
      g_assert_cmpstr (t->answer, ==, a);
      g_assert_cmpuint (g_strv_length (t->images), ==, 1);
      g_assert_true (g_file_test (t->images[0], G_FILE_TEST_IS_REGULAR));
    }
  /* The partial answer is kept, marked as never finished. */
  last = turns->pdata[N_FINISHED];
  g_assert_false (last->finished);
  g_assert_cmpstr (last->stop_reason, ==, "interrupted");
  g_assert_true (g_str_has_prefix (last->answer, "token0 token1 "));
  g_assert_nonnull (strstr (last->answer, "token50 "));

  g_assert_cmpint (sqlite3_prepare_v2 (rg_history_get_db (h), "PRAGMA integrity_check", -1, &st, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (st), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *) sqlite3_column_text (st, 0), ==, "ok");
  sqlite3_finalize (st);
  g_clear_pointer (&h, regard_history_close);
  rg_test_remove_tree (dir);
}

int
main (int argc, char **argv)
{
  if (argc == 3 && strcmp (argv[1], "--writer") == 0)
    return run_writer (argv[2]);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/history/crash/kill-mid-answer", test_kill_mid_answer);
  return g_test_run ();
}
