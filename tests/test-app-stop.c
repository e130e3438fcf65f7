/* test-app-stop.c: stop an answer midway (Esc), then ask again. */

#include "config.h"

#include <glib/gi18n.h>

#include "test-app-common.h"
#include "test-common.h"

static gboolean
attachments_ready (RegardWindow *window)
{
  return regard_window_get_n_attachments (window) == 1 &&
         regard_window_get_n_loading (window) == 0;
}

static gboolean
first_tokens (RegardWindow *window)
{
  const char *answer = regard_window_get_last_answer (window);

  return !regard_window_get_busy (window) || (answer != NULL && answer[0] != '\0');
}

static void
test_stop_and_resend (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(RegardApplication) app = NULL;
  g_autofree char *model = rg_test_fixture_path ("idefics2-tiny");
  g_autofree char *image = rg_test_fixture_path ("images/landscape_1200x500.png");
  g_autoptr(GFile) file = g_file_new_for_path (image);
  g_autofree char *shot = NULL;
  g_autofree char *stopped_text = NULL;
  RegardWindow *window;

  g_settings_set_uint (settings, "max-new-tokens", 2000);

  app = rg_app_test_app ();
  window = rg_app_test_window (app, model);
  rg_app_test_wait_ready (window);

  regard_window_attach_image_file (window, file);
  rg_app_test_wait (window, attachments_ready, 30, "the image to decode");

  regard_window_set_question (window, "Describe this image in great detail.");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.send", NULL));
  rg_app_test_wait (window, first_tokens, 300, "the first tokens");
  g_assert_true (regard_window_get_busy (window));

  /* Escape, as a user would, with the focus in the composer. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.stop", NULL));
  rg_app_test_wait (window, rg_app_test_idle, 60, "the answer to stop");

  g_assert_cmpstr (regard_window_get_last_status (window), ==, _("Stopped"));
  stopped_text = g_strdup (regard_window_get_last_answer (window));
  g_assert_cmpuint (regard_window_get_n_messages (window), ==, 2);

  /* Ask again: a new, complete answer follows the stopped one. */
  g_settings_set_uint (settings, "max-new-tokens", 8);
  regard_window_set_question (window, "And the colors?");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.send", NULL));
  g_assert_true (regard_window_get_busy (window));
  rg_app_test_wait (window, rg_app_test_idle, 300, "the second answer");

  g_assert_cmpuint (regard_window_get_n_messages (window), ==, 4);
  g_assert_cmpstr (regard_window_get_last_status (window), !=, _("Stopped"));
  g_assert_nonnull (regard_window_get_last_answer (window));
  g_test_message ("Stopped answer: %s", stopped_text);
  g_test_message ("Second answer: %s", regard_window_get_last_answer (window));

  rg_app_test_settle (600);
  shot = rg_app_test_snapshot (GTK_WIDGET (window), "app-window-stop-and-resend");

  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  rg_app_test_init (&argc, &argv);

  g_test_add_func ("/app/window/stop-and-resend", test_stop_and_resend);

  return g_test_run ();
}
