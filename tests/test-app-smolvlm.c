/* test-app-smolvlm.c: the real window on smolvlm-tiny (IDEFICS3 /
 * SmolVLM): the title says which model runs, a question about an image
 * (split into tiles by default) streams an answer, a follow-up reuses the
 * cache, and "Extract Text" works for this family too. */

#include "config.h"

#include "test-app-common.h"
#include "regard-window-private.h"
#include "test-common.h"

#include <string.h>

static gboolean
attachments_ready (RegardWindow *window)
{
  return regard_window_get_n_attachments (window) == 1 &&
         regard_window_get_n_loading (window) == 0;
}

static gboolean
ocr_done (RegardWindow *window)
{
  return regard_window_get_n_messages (window) == 2 && !regard_window_get_busy (window);
}

static void
test_ask (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(RegardApplication) app = NULL;
  g_autofree char *model = rg_test_fixture_path ("smolvlm-tiny");
  g_autofree char *image = rg_test_fixture_path ("images/landscape_1200x500.png");
  g_autoptr(GFile) file = g_file_new_for_path (image);
  g_autofree char *shot = NULL;
  RegardWindow *window;
  const char *subtitle;

  g_settings_set_uint (settings, "max-new-tokens", 8);
  app = rg_app_test_app ();
  window = rg_app_test_window (app, model);
  rg_app_test_wait_ready (window);

  /* which model runs, in the title */
  subtitle = adw_window_title_get_subtitle (window->window_title);
  g_test_message ("Subtitle: %s", subtitle);
  g_assert_nonnull (strstr (subtitle, "smolvlm-tiny"));

  regard_window_attach_image_file (window, file);
  rg_app_test_wait (window, attachments_ready, 30, "the image to decode");
  regard_window_set_question (window, "What is in this picture?");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.send", NULL));
  rg_app_test_wait (window, rg_app_test_idle, 300, "the answer");
  g_assert_cmpuint (regard_window_get_n_messages (window), ==, 2);
  g_assert_nonnull (regard_window_get_last_answer (window));
  g_assert_cmpstr (regard_window_get_last_answer (window), !=, "");

  /* a follow-up without an image, on the same chat */
  regard_window_set_question (window, "Are you sure?");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.send", NULL));
  rg_app_test_wait (window, rg_app_test_idle, 300, "the second answer");
  g_assert_cmpuint (regard_window_get_n_messages (window), ==, 4);
  g_assert_cmpstr (regard_window_get_last_answer (window), !=, "");

  rg_app_test_settle (600);
  shot = rg_app_test_snapshot (GTK_WIDGET (window), "app-smolvlm-ask");
  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_extract_text (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(RegardApplication) app = NULL;
  g_autofree char *model = rg_test_fixture_path ("smolvlm-tiny");
  g_autofree char *image = rg_test_fixture_path ("images/screenshot_text_800x450.png");
  g_autoptr(GFile) file = g_file_new_for_path (image);
  g_autofree char *shot = NULL;
  RegardWindow *window;

  g_settings_set_uint (settings, "max-new-tokens", 8);
  app = rg_app_test_app ();
  window = rg_app_test_window (app, model);
  regard_window_extract_text (window, &file, 1);
  rg_app_test_wait_ready (window);
  rg_app_test_wait (window, ocr_done, 300, "the extracted text");
  g_assert_cmpstr (regard_window_get_last_answer (window), !=, "");

  rg_app_test_settle (600);
  shot = rg_app_test_snapshot (GTK_WIDGET (window), "app-smolvlm-extract-text");
  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int argc, char **argv)
{
  rg_app_test_init (&argc, &argv);

  g_test_add_func ("/app/smolvlm/ask", test_ask);
  g_test_add_func ("/app/smolvlm/extract-text", test_extract_text);
  return g_test_run ();
}
