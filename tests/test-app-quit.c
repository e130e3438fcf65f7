/* test-app-quit.c: quitting the app (Ctrl+Q: app.quit) while an answer
 * streams ends it promptly (issue 14): the real application runs
 * (g_application_run with --model), the engine's test hooks count the
 * command buffers the model runs, and after the engine's cancel at most
 * the one in flight completes; g_application_run returns only once the engine thread
 * has released the device. Counted, never timed. */

#include "config.h"

#include "regard-window-private.h"
#include "rg-engine-test.h"
#include "test-app-common.h"
#include "test-common.h"

#define MAX_TOKENS 2000

typedef struct
{
  RegardApplication *app;
  guint steps;            /* atomic: command buffers run, all asks */
  guint thread_exits;     /* atomic: engine threads ended */
  guint steps_at_quit;
  guint steps_at_cancel;  /* read after the engine's cancel */
  guint cancels;          /* atomic */
  guint exits_at_quit;
  gboolean sent;
  gboolean quit;
} Run;

static void
count_step (gpointer data)
{
  Run *run = data;

  g_atomic_int_inc (&run->steps);
}

/* Read after the cancel: between the quit and the cancel the engine may
 * well finish a step or two (the window closes first), which says nothing. */
static void
count_cancel (gpointer data)
{
  Run *run = data;

  run->steps_at_cancel = g_atomic_int_get (&run->steps);
  g_atomic_int_inc (&run->cancels);
}

static void
count_exit (gpointer data)
{
  Run *run = data;

  g_atomic_int_inc (&run->thread_exits);
}

static gboolean
drive (gpointer data)
{
  Run *run = data;
  GtkWindow *active = gtk_application_get_active_window (GTK_APPLICATION (run->app));
  RegardWindow *window = REGARD_IS_WINDOW (active) ? REGARD_WINDOW (active) : NULL;
  const char *answer;

  if (window == NULL)
    return G_SOURCE_CONTINUE;
  if (regard_session_get_state (regard_window_get_session (window)) == REGARD_SESSION_FAILED)
    g_error ("the model did not load: %s", regard_session_get_error (regard_window_get_session (window))->message);
  if (!run->sent)
    {
      if (regard_session_get_state (regard_window_get_session (window)) != REGARD_SESSION_READY)
        return G_SOURCE_CONTINUE;
      regard_window_set_question (window, "Tell me a long story.");
      g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.send", NULL));
      run->sent = TRUE;
      return G_SOURCE_CONTINUE;
    }

  /* Streaming, well past the prefill: quit as Ctrl+Q does. */
  answer = regard_window_get_last_answer (window);
  g_assert_true (regard_window_get_busy (window));
  if (answer == NULL || g_atomic_int_get (&run->steps) < 20)
    return G_SOURCE_CONTINUE;
  run->steps_at_quit = g_atomic_int_get (&run->steps);
  run->exits_at_quit = g_atomic_int_get (&run->thread_exits);
  run->quit = TRUE;
  g_action_group_activate_action (G_ACTION_GROUP (run->app), "quit", NULL);
  return G_SOURCE_REMOVE;
}

static void
test_quit_mid_answer (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autofree char *model = rg_test_fixture_path ("idefics2-tiny");
  char *argv[] = { (char *) "regard", (char *) "--model", model, NULL };
  Run run = { 0 };
  RgEngineTestHooks hooks = { .on_step = count_step, .on_thread_exit = count_exit, .on_cancel = count_cancel,
                              .data = &run };
  guint steps_after;
  int status;

  g_settings_set_uint (settings, "max-new-tokens", MAX_TOKENS);
  rg_engine_set_test_hooks (&hooks);
  run.app = regard_application_new (G_APPLICATION_NON_UNIQUE);
  g_timeout_add (10, drive, &run);

  status = g_application_run (G_APPLICATION (run.app), 3, argv);

  steps_after = g_atomic_int_get (&run.steps);
  g_test_message ("%u command buffers before the quit, %u between the quit and the engine's cancel, %u after it",
                  run.steps_at_quit, run.steps_at_cancel - run.steps_at_quit, steps_after - run.steps_at_cancel);
  g_assert_cmpint (status, ==, 0);
  g_assert_true (run.quit);
  g_assert_cmpuint (run.exits_at_quit, ==, 0);
  /* the app ran until its engine thread had let go of the device */
  g_assert_cmpuint (g_atomic_int_get (&run.thread_exits), ==, 1);
  /* the quit freed the engine once, and its cancel reached the engine
   * within the command buffer in flight */
  g_assert_cmpuint (g_atomic_int_get (&run.cancels), ==, 1);
  g_assert_cmpuint (run.steps_at_cancel, >=, run.steps_at_quit);
  g_assert_cmpuint (steps_after - run.steps_at_cancel, <=, 1);
  /* the answer was far from its end */
  g_assert_cmpuint (steps_after, <, MAX_TOKENS);

  rg_engine_set_test_hooks (NULL);
  g_object_unref (run.app);
}

int
main (int   argc,
      char *argv[])
{
  rg_app_test_init (&argc, &argv);

  g_test_add_func ("/app/quit/mid-answer", test_quit_mid_answer);

  return g_test_run ();
}
