/* test-app-window.c: ask about an image in the real window and watch the
 * answer stream into the transcript. */

#include "config.h"

#include "test-app-common.h"
#include "regard-window-private.h"
#include "test-common.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static gboolean streamed_while_busy;

static gboolean
attachments_ready (RegardWindow *window)
{
  return regard_window_get_n_attachments (window) == 1 &&
         regard_window_get_n_loading (window) == 0;
}

/* Told of each streamed piece as it arrives, so a fast answer whose
 * tokens and end all land in one main-loop iteration still counts. */
static void
answer_text_changed (GObject    *row,
                     GParamSpec *pspec,
                     RegardWindow *window)
{
  const char *answer = regard_window_get_last_answer (window);

  if (regard_window_get_busy (window) && answer != NULL && answer[0] != '\0')
    streamed_while_busy = TRUE;
}

static void
test_ask_streams (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(RegardApplication) app = NULL;
  g_autofree char *model = rg_test_fixture_path ("idefics2-tiny");
  g_autofree char *image = rg_test_fixture_path ("images/screenshot_text_800x450.png");
  g_autoptr(GFile) file = g_file_new_for_path (image);
  g_autofree char *shot = NULL;
  RegardWindow *window;
  const char *answer;

  g_settings_set_uint (settings, "max-new-tokens", 16);

  app = rg_app_test_app ();
  window = rg_app_test_window (app, model);
  rg_app_test_wait_ready (window);

  /* The same path drops and pastes take. */
  regard_window_attach_image_file (window, file);
  rg_app_test_wait (window, attachments_ready, 30, "the image to decode");

  regard_window_set_question (window, "What does the screenshot say?");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.send", NULL));
  g_assert_true (regard_window_get_busy (window));
  g_assert_cmpuint (regard_window_get_n_attachments (window), ==, 0);
  g_assert_nonnull (regard_window_get_last_answer_row (window));
  g_signal_connect (regard_window_get_last_answer_row (window), "notify::text",
                    G_CALLBACK (answer_text_changed), window);

  rg_app_test_wait (window, rg_app_test_idle, 300, "the answer");

  answer = regard_window_get_last_answer (window);
  g_assert_nonnull (answer);
  g_assert_cmpstr (answer, !=, "");
  g_assert_true (streamed_while_busy);
  g_assert_cmpuint (regard_window_get_n_messages (window), ==, 2);
  g_test_message ("Answer: %s", answer);

  rg_app_test_settle (600);
  shot = rg_app_test_snapshot (GTK_WIDGET (window), "app-window-ask-streams");

  gtk_window_destroy (GTK_WINDOW (window));
}

static gboolean
ocr_done (RegardWindow *window)
{
  return regard_window_get_n_messages (window) == 2 && !regard_window_get_busy (window);
}

/* `regard --ocr FILE`: the image is read as soon as model and image are
 * ready, with no question typed. */
static void
test_extract_text (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(RegardApplication) app = NULL;
  g_autofree char *model = rg_test_fixture_path ("idefics2-tiny");
  g_autofree char *image = rg_test_fixture_path ("images/screenshot_text_800x450.png");
  g_autoptr(GFile) file = g_file_new_for_path (image);
  g_autofree char *shot = NULL;
  RegardWindow *window;

  g_settings_set_uint (settings, "max-new-tokens", 12);

  app = rg_app_test_app ();
  window = rg_app_test_window (app, model);
  regard_window_extract_text (window, &file, 1);

  rg_app_test_wait_ready (window);
  rg_app_test_wait (window, ocr_done, 300, "the extracted text");

  g_assert_nonnull (regard_window_get_last_answer (window));
  g_assert_cmpstr (regard_window_get_last_answer (window), !=, "");
  g_assert_cmpuint (regard_window_get_n_attachments (window), ==, 0);

  rg_app_test_settle (600);
  shot = rg_app_test_snapshot (GTK_WIDGET (window), "app-window-extract-text");

  gtk_window_destroy (GTK_WINDOW (window));
}

static gboolean
toast_shown (RegardWindow *window)
{
  return window->last_notice != NULL && regard_window_get_n_loading (window) == 0;
}

/* Attached files are checked before they are read (#14): a FIFO (which
 * would block a plain read forever) and a file over REGARD_MAX_IMAGE_BYTES
 * (sparse here) are refused with a toast, and nothing is attached. */
static void
test_attach_refuses_unreadable (void)
{
  g_autoptr(RegardApplication) app = NULL;
  g_autofree char *model = rg_test_fixture_path ("idefics2-tiny");
  g_autofree char *dir = g_dir_make_tmp ("regard-attach-XXXXXX", NULL);
  g_autofree char *fifo = g_build_filename (dir, "endless.png", NULL);
  g_autofree char *huge = g_build_filename (dir, "huge.png", NULL);
  g_autoptr(GFile) fifo_file = g_file_new_for_path (fifo);
  g_autoptr(GFile) huge_file = g_file_new_for_path (huge);
  RegardWindow *window;
  FILE *f;

  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  f = fopen (huge, "wb");
  g_assert_nonnull (f);
  g_assert_cmpint (ftruncate (fileno (f), (off_t) REGARD_MAX_IMAGE_BYTES + 1), ==, 0);
  fclose (f);

  app = rg_app_test_app ();
  window = rg_app_test_window (app, model);

  regard_window_attach_image_file (window, fifo_file);
  rg_app_test_wait (window, toast_shown, 10, "the FIFO to be refused");
  g_assert_nonnull (strstr (window->last_notice, "endless.png"));
  g_clear_pointer (&window->last_notice, g_free);
  g_assert_cmpuint (regard_window_get_n_attachments (window), ==, 0);

  regard_window_attach_image_file (window, huge_file);
  rg_app_test_wait (window, toast_shown, 10, "the huge file to be refused");
  g_assert_nonnull (strstr (window->last_notice, "huge.png"));
  g_assert_cmpuint (regard_window_get_n_attachments (window), ==, 0);

  gtk_window_destroy (GTK_WINDOW (window));
  g_unlink (fifo);
  g_unlink (huge);
  g_rmdir (dir);
}

/* The window says which model is loaded (its folder's name) and which
 * backend runs it: Vulkan here (lavapipe or a GPU). */
static void
test_subtitle_model_and_backend (void)
{
  g_autoptr(RegardApplication) app = rg_app_test_app ();
  g_autofree char *model = rg_test_fixture_path ("idefics2-tiny");
  RegardWindow *window = rg_app_test_window (app, model);
  const char *subtitle;

  rg_app_test_wait_ready (window);
  subtitle = adw_window_title_get_subtitle (window->window_title);
  g_test_message ("subtitle: %s", subtitle);
  g_assert_nonnull (strstr (subtitle, "idefics2-tiny"));
  g_assert_nonnull (strstr (subtitle, "Vulkan"));
  g_assert_nonnull (strstr (subtitle, regard_session_get_device_name (regard_window_get_session (window))));
  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  rg_app_test_init (&argc, &argv);

  g_test_add_func ("/app/window/ask-streams", test_ask_streams);
  g_test_add_func ("/app/window/extract-text", test_extract_text);
  g_test_add_func ("/app/window/attach-refuses-unreadable", test_attach_refuses_unreadable);
  g_test_add_func ("/app/window/subtitle-model-and-backend", test_subtitle_model_and_backend);

  return g_test_run ();
}
