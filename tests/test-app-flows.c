/* test-app-flows.c: flows that must keep the user's focus and work
 * (issue 12): focus after the file chooser and after sending (item 3), a
 * folder that is not a model (item 4), bad images refused when attached
 * (item 5), Preferences showing the model from --model (item 9). */

#include "config.h"

#include "regard-preferences-window.h"
#include "regard-window-private.h"
#include "test-app-common.h"
#include "test-common.h"

static char *tmpdir;

static guint expected_attachments;

static gboolean
attachments_ready (RegardWindow *window)
{
  return regard_window_get_n_attachments (window) == expected_attachments &&
         regard_window_get_n_loading (window) == 0;
}

static const char *expected_in_notice;

static gboolean
notice_shown (RegardWindow *window)
{
  return window->last_notice != NULL && strstr (window->last_notice, expected_in_notice) != NULL;
}

static GtkWindow *
find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();   /* borrowed */

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) w = g_list_model_get_item (toplevels, i);
      if (G_TYPE_CHECK_INSTANCE_TYPE (w, type) && gtk_widget_get_visible (GTK_WIDGET (w)))
        return w;
    }
  return NULL;
}

static GtkWidget *
composer (RegardWindow *window)
{
  return GTK_WIDGET (window->composer);
}

static GtkWidget *
find_by_action (GtkWidget  *widget,
                const char *action)
{
  if (GTK_IS_ACTIONABLE (widget) &&
      g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), action) == 0)
    return widget;
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_by_action (c, action);
      if (found)
        return found;
    }
  return NULL;
}

static char *
question (RegardWindow *window)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (window->composer);
  GtkTextIter a, b;

  gtk_text_buffer_get_bounds (buffer, &a, &b);
  return gtk_text_buffer_get_text (buffer, &a, &b, FALSE);
}

/* The chooser opened from the attach button (focused, as after a click or
 * Space): when it closes, typing goes to the question again. */
static void
test_focus_after_file_chooser (void)
{
  g_autoptr(RegardApplication) app = rg_app_test_app ();
  g_autofree char *model = rg_test_fixture_path ("idefics2-tiny");
  g_autofree char *image = rg_test_fixture_path ("images/tiny_30x20.png");
  g_autoptr(GFile) file = g_file_new_for_path (image);
  RegardWindow *window = rg_app_test_window (app, model);
  GtkWidget *attach;
  GtkWindow *dialog;

  rg_app_test_wait_ready (window);
  attach = find_by_action (GTK_WIDGET (window), "win.attach");
  g_assert_nonnull (attach);

  /* Cancelled. */
  gtk_widget_grab_focus (attach);
  gtk_widget_activate (attach);
  rg_app_test_settle (500);
  dialog = find_toplevel (GTK_TYPE_FILE_CHOOSER_DIALOG);
  g_assert_nonnull (dialog);
  gtk_dialog_response (GTK_DIALOG (dialog), GTK_RESPONSE_CANCEL);
  rg_app_test_settle (500);
  g_assert_true (gtk_window_get_focus (GTK_WINDOW (window)) == composer (window));

  /* Accepted: the image is attached, the question has the focus. */
  gtk_widget_grab_focus (attach);
  gtk_widget_activate (attach);
  rg_app_test_settle (500);
  dialog = find_toplevel (GTK_TYPE_FILE_CHOOSER_DIALOG);
  g_assert_nonnull (dialog);
  g_assert_true (gtk_file_chooser_set_file (GTK_FILE_CHOOSER (dialog), file, NULL));
  rg_app_test_settle (300);
  gtk_dialog_response (GTK_DIALOG (dialog), GTK_RESPONSE_ACCEPT);
  expected_attachments = 1;
  rg_app_test_wait (window, attachments_ready, 60, "the chosen image");
  rg_app_test_settle (300);
  g_assert_true (gtk_window_get_focus (GTK_WINDOW (window)) == composer (window));
  g_assert_true (gtk_widget_has_focus (composer (window)));

  rg_app_test_snapshot_variants (window, "app-focus-after-chooser");
  gtk_window_destroy (GTK_WINDOW (window));
}

/* Sending with the button (which becomes Stop) leaves the focus in the
 * question field, during and after the answer. */
static void
test_focus_after_send (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(RegardApplication) app = rg_app_test_app ();
  g_autofree char *model = rg_test_fixture_path ("idefics2-tiny");
  RegardWindow *window;
  GtkWidget *send;

  g_settings_set_uint (settings, "max-new-tokens", 4);
  window = rg_app_test_window (app, model);
  rg_app_test_wait_ready (window);

  regard_window_set_question (window, "What is in the picture?");
  send = find_by_action (GTK_WIDGET (window), "win.send");
  gtk_widget_grab_focus (send);
  g_signal_emit_by_name (send, "clicked");
  g_assert_true (regard_window_get_busy (window));
  g_assert_true (gtk_window_get_focus (GTK_WINDOW (window)) == composer (window));
  rg_app_test_wait (window, rg_app_test_idle, 300, "the answer");
  rg_app_test_settle (300);
  g_assert_true (gtk_window_get_focus (GTK_WINDOW (window)) == composer (window));

  rg_app_test_snapshot_variants (window, "app-focus-after-send");
  gtk_window_destroy (GTK_WINDOW (window));
}

/* A folder without a model, chosen in the folder chooser: explained with
 * its path; the loaded model and the chat stay. */
static void
test_invalid_model_folder (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(RegardApplication) app = rg_app_test_app ();
  g_autofree char *model = rg_test_fixture_path ("idefics2-tiny");
  g_autofree char *bad = g_build_filename (tmpdir, "holiday-photos", NULL);
  g_autofree char *photo = g_build_filename (bad, "beach.txt", NULL);
  g_autoptr(GFile) bad_file = g_file_new_for_path (bad);
  RegardWindow *window;
  GtkWindow *dialog;
  AdwMessageDialog *message;

  g_assert_cmpint (g_mkdir_with_parents (bad, 0700), ==, 0);
  g_assert_true (g_file_set_contents (photo, "not a model", -1, NULL));
  g_settings_set_uint (settings, "max-new-tokens", 2);
  g_settings_set_string (settings, "model-folder", model);
  window = rg_app_test_window (app, NULL);
  rg_app_test_wait_ready (window);

  regard_window_set_question (window, "Hello?");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.send", NULL));
  rg_app_test_wait (window, rg_app_test_idle, 300, "the answer");
  g_assert_cmpuint (regard_window_get_n_messages (window), ==, 2);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.choose-model", NULL));
  rg_app_test_settle (500);
  dialog = find_toplevel (GTK_TYPE_FILE_CHOOSER_DIALOG);
  g_assert_nonnull (dialog);
  g_assert_true (gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (dialog), bad_file, NULL));
  rg_app_test_settle (300);
  gtk_dialog_response (GTK_DIALOG (dialog), GTK_RESPONSE_ACCEPT);

  expected_in_notice = bad;
  rg_app_test_wait (window, notice_shown, 60, "the refusal naming the folder");
  g_test_message ("%s", window->last_notice);
  rg_app_test_settle (500);

  g_assert_cmpint (regard_session_get_state (regard_window_get_session (window)), ==, REGARD_SESSION_READY);
  g_assert_cmpstr (regard_session_get_model_dir (regard_window_get_session (window)), ==, model);
  g_assert_cmpuint (regard_window_get_n_messages (window), ==, 2);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (window->main_stack), ==, "chat");
  {
    g_autofree char *saved = g_settings_get_string (settings, "model-folder");
    g_assert_cmpstr (saved, ==, model);
  }

  message = ADW_MESSAGE_DIALOG (find_toplevel (ADW_TYPE_MESSAGE_DIALOG));
  g_assert_nonnull (message);
  g_assert_nonnull (strstr (adw_message_dialog_get_body (message), bad));
  g_free (rg_app_test_snapshot (GTK_WIDGET (message), "app-invalid-model-dialog-light"));
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
  rg_app_test_settle (300);
  g_free (rg_app_test_snapshot (GTK_WIDGET (message), "app-invalid-model-dialog-dark"));
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);
  rg_app_test_snapshot_variants (window, "app-invalid-model-kept");
  adw_message_dialog_response (message, "close");
  rg_app_test_settle (200);

  /* A broken config.json: the refusal names the folder too. */
  {
    g_autofree char *broken = g_build_filename (tmpdir, "broken-model", NULL);
    g_autofree char *config = g_build_filename (broken, "config.json", NULL);

    g_assert_cmpint (g_mkdir_with_parents (broken, 0700), ==, 0);
    g_assert_true (g_file_set_contents (config, "{\"model_type\": \"idefics2\", ", -1, NULL));
    g_clear_pointer (&window->last_notice, g_free);
    regard_window_choose_model_folder (window, broken);
    expected_in_notice = "config.json";
    rg_app_test_wait (window, notice_shown, 60, "the broken config.json refusal");
    g_test_message ("%s", window->last_notice);
    g_assert_nonnull (strstr (window->last_notice, broken));
    g_assert_cmpint (regard_session_get_state (regard_window_get_session (window)), ==, REGARD_SESSION_READY);
    rg_app_test_settle (200);
    message = ADW_MESSAGE_DIALOG (find_toplevel (ADW_TYPE_MESSAGE_DIALOG));
    if (message != NULL)
      adw_message_dialog_response (message, "close");
  }

  g_settings_reset (settings, "model-folder");
  gtk_window_destroy (GTK_WINDOW (window));
}

static guint32
crc32 (const guint8 *p,
       gsize         n)
{
  guint32 c = 0xffffffffu;

  for (gsize i = 0; i < n; i++)
    {
      c ^= p[i];
      for (int k = 0; k < 8; k++)
        c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
    }
  return c ^ 0xffffffffu;
}

/* A PNG that claims 14000 x 14000 pixels (196 million: over the limit). */
static char *
write_huge_png_header (void)
{
  guint8 png[8 + 25 + 12] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n',
                              0, 0, 0, 13, 'I', 'H', 'D', 'R',
                              0, 0, 0x36, 0xb0, 0, 0, 0x36, 0xb0, 8, 2, 0, 0, 0 };
  guint32 crc = crc32 (png + 12, 17);
  char *path = g_build_filename (tmpdir, "huge-14000x14000.png", NULL);

  png[29] = crc >> 24; png[30] = crc >> 16; png[31] = crc >> 8; png[32] = crc;
  /* An empty IDAT, then nothing: the size is all a decoder gets to see. */
  memcpy (png + 33, "\0\0\0\0IDAT\x35\xaf\x06\x1e", 12);
  g_assert_true (g_file_set_contents (path, (const char *) png, sizeof png, NULL));
  return path;
}

static void
attach_and_expect_refusal (RegardWindow *window,
                           const char   *path,
                           const char   *why)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autofree char *name = g_path_get_basename (path);

  g_clear_pointer (&window->last_notice, g_free);
  regard_window_attach_image_file (window, file);
  expected_in_notice = name;
  rg_app_test_wait (window, notice_shown, 60, name);
  g_test_message ("%s", window->last_notice);
  if (why != NULL)
    g_assert_nonnull (strstr (window->last_notice, why));
  rg_app_test_settle (100);
  g_assert_cmpuint (regard_window_get_n_attachments (window), ==, 1);
  g_assert_cmpuint (regard_window_get_n_loading (window), ==, 0);
}

/* Truncated, oversized and non-images are refused as they are attached,
 * naming the file; the question and the good image stay. */
static void
test_bad_images_refused (void)
{
  g_autoptr(RegardApplication) app = rg_app_test_app ();
  g_autofree char *model = rg_test_fixture_path ("idefics2-tiny");
  g_autofree char *good = rg_test_fixture_path ("images/tiny_30x20.png");
  g_autofree char *source = rg_test_fixture_path ("images/screenshot_text_800x450.png");
  g_autofree char *truncated = g_build_filename (tmpdir, "cut-short.png", NULL);
  g_autofree char *text = g_build_filename (tmpdir, "notes.png", NULL);
  g_autofree char *huge = write_huge_png_header ();
  g_autofree char *contents = NULL;
  g_autofree char *typed = NULL;
  g_autoptr(GFile) good_file = g_file_new_for_path (good);
  gsize len;
  RegardWindow *window;

  g_assert_true (g_file_get_contents (source, &contents, &len, NULL));
  g_assert_true (g_file_set_contents (truncated, contents, len / 2, NULL));
  g_assert_true (g_file_set_contents (text, "Shopping list: eggs, milk.\n", -1, NULL));

  window = rg_app_test_window (app, model);
  rg_app_test_wait_ready (window);
  regard_window_set_question (window, "Keep this question");
  regard_window_attach_image_file (window, good_file);
  expected_attachments = 1;
  rg_app_test_wait (window, attachments_ready, 60, "the good image");

  attach_and_expect_refusal (window, truncated, "damaged");
  attach_and_expect_refusal (window, huge, "too large");
  attach_and_expect_refusal (window, text, NULL);

  typed = question (window);
  g_assert_cmpstr (typed, ==, "Keep this question");
  g_free (rg_app_test_snapshot (GTK_WIDGET (window), "app-bad-image-refused"));
  gtk_window_destroy (GTK_WINDOW (window));
}

static gboolean
has_row_subtitle (GtkWidget  *widget,
                  const char *subtitle)
{
  if (ADW_IS_ACTION_ROW (widget) &&
      g_strcmp0 (adw_action_row_get_subtitle (ADW_ACTION_ROW (widget)), subtitle) == 0)
    return TRUE;
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    if (has_row_subtitle (c, subtitle))
      return TRUE;
  return FALSE;
}

/* `regard --model DIR`: Preferences shows DIR, the folder in use. */
static void
test_preferences_show_model_in_use (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(RegardApplication) app = rg_app_test_app ();
  g_autofree char *model = rg_test_fixture_path ("idefics2-tiny");
  RegardWindow *window;
  GtkWidget *prefs;

  g_settings_reset (settings, "model-folder");
  window = rg_app_test_window (app, model);
  rg_app_test_wait_ready (window);

  prefs = regard_preferences_window_new (GTK_WINDOW (window));
  gtk_window_present (GTK_WINDOW (prefs));
  rg_app_test_settle (300);
  g_assert_true (has_row_subtitle (prefs, model));

  gtk_window_destroy (GTK_WINDOW (prefs));
  gtk_window_destroy (GTK_WINDOW (window));
}

static GtkWidget *
find_type_named (GtkWidget  *widget,
                 const char *type_name)
{
  if (g_str_equal (G_OBJECT_TYPE_NAME (widget), type_name) && gtk_widget_get_mapped (widget))
    return widget;
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_type_named (c, type_name);
      if (found)
        return found;
    }
  return NULL;
}

/* No screenshot portal here (tests run without xdg-desktop-portal): a
 * dialog says why and offers pasting or attaching instead. */
static void
test_screenshot_failure_explained (void)
{
  g_autoptr(RegardApplication) app = rg_app_test_app ();
  g_autofree char *model = rg_test_fixture_path ("idefics2-tiny");
  RegardWindow *window = rg_app_test_window (app, model);
  AdwMessageDialog *dialog;

  rg_app_test_wait_ready (window);
  g_clear_pointer (&window->last_notice, g_free);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.screenshot", NULL));
  expected_in_notice = "attach";
  rg_app_test_wait (window, notice_shown, 60, "the screenshot failure");
  rg_app_test_settle (300);
  dialog = ADW_MESSAGE_DIALOG (find_toplevel (ADW_TYPE_MESSAGE_DIALOG));
  g_assert_nonnull (dialog);
  g_test_message ("%s", adw_message_dialog_get_body (dialog));
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "portal"));
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "paste"));
  g_assert_true (adw_message_dialog_has_response (dialog, "attach"));
  g_free (rg_app_test_snapshot (GTK_WIDGET (dialog), "app-screenshot-failed"));
  adw_message_dialog_response (dialog, "close");
  gtk_window_destroy (GTK_WINDOW (window));
}

/* A toast (here: pasting with no image on the clipboard) rises above the
 * question field, never over it. */
static void
test_toast_clear_of_composer (void)
{
  g_autoptr(RegardApplication) app = rg_app_test_app ();
  g_autofree char *model = rg_test_fixture_path ("idefics2-tiny");
  RegardWindow *window = rg_app_test_window (app, model);
  GtkWidget *toast;
  graphene_rect_t t, c;

  rg_app_test_wait_ready (window);
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (window)), "just text");
  g_clear_pointer (&window->last_notice, g_free);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.paste-image", NULL));
  expected_in_notice = "no image";
  rg_app_test_wait (window, notice_shown, 30, "the toast");
  rg_app_test_settle (600);

  toast = find_type_named (GTK_WIDGET (window), "AdwToastWidget");
  g_assert_nonnull (toast);
  g_assert_true (gtk_widget_compute_bounds (toast, GTK_WIDGET (window), &t));
  g_assert_true (gtk_widget_compute_bounds (GTK_WIDGET (window->composer), GTK_WIDGET (window), &c));
  g_test_message ("toast %.0f..%.0f, question field %.0f..%.0f", t.origin.y, t.origin.y + t.size.height,
                  c.origin.y, c.origin.y + c.size.height);
  g_assert_false (graphene_rect_intersection (&t, &c, NULL));
  g_free (rg_app_test_snapshot (GTK_WIDGET (window), "app-toast-above-composer"));
  gtk_window_destroy (GTK_WINDOW (window));
}

/* Extract Text with nothing attached asks before taking a screenshot. */
static void
test_extract_text_asks_first (void)
{
  g_autoptr(RegardApplication) app = rg_app_test_app ();
  g_autofree char *model = rg_test_fixture_path ("idefics2-tiny");
  RegardWindow *window = rg_app_test_window (app, model);
  AdwMessageDialog *dialog;

  rg_app_test_wait_ready (window);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.extract-text", NULL));
  rg_app_test_settle (300);
  dialog = ADW_MESSAGE_DIALOG (find_toplevel (ADW_TYPE_MESSAGE_DIALOG));
  g_assert_nonnull (dialog);
  g_test_message ("%s: %s", adw_message_dialog_get_heading (dialog), adw_message_dialog_get_body (dialog));
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "screenshot"));
  /* Nothing taken yet. */
  g_assert_null (window->portal);
  g_free (rg_app_test_snapshot (GTK_WIDGET (dialog), "app-extract-text-asks"));
  adw_message_dialog_response (dialog, "cancel");
  rg_app_test_settle (300);
  g_assert_null (window->portal);
  g_assert_cmpuint (regard_window_get_n_messages (window), ==, 0);
  gtk_window_destroy (GTK_WINDOW (window));
}

static gboolean
has_shortcut_for (GtkWidget  *widget,
                  const char *action)
{
  if (GTK_IS_SHORTCUTS_SHORTCUT (widget))
    {
      g_autofree char *name = NULL;
      g_object_get (widget, "action-name", &name, NULL);
      if (g_strcmp0 (name, action) == 0)
        return TRUE;
    }
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    if (has_shortcut_for (c, action))
      return TRUE;
  return FALSE;
}

/* Ctrl+W closes the window, and the shortcuts window lists it. */
static void
test_ctrl_w_closes (void)
{
  g_autoptr(RegardApplication) app = rg_app_test_app ();
  RegardWindow *window = rg_app_test_window (app, NULL);
  g_auto(GStrv) accels = gtk_application_get_accels_for_action (GTK_APPLICATION (app), "window.close");
  GtkWidget *overlay;

  g_assert_true (g_strv_contains ((const char * const *) accels, "<Control>w"));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-help-overlay", NULL));
  rg_app_test_settle (300);
  overlay = GTK_WIDGET (gtk_application_window_get_help_overlay (GTK_APPLICATION_WINDOW (window)));
  g_assert_true (has_shortcut_for (overlay, "window.close"));
  gtk_window_close (GTK_WINDOW (overlay));

  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &window);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "window.close", NULL));
  rg_app_test_settle (300);
  g_assert_null (window);
}

/* On the processor (lavapipe here), the CPU banner fits a 360 px window
 * in a few lines, its way to Preferences included. */
static void
test_cpu_banner_fits_360 (void)
{
  g_autoptr(RegardApplication) app = rg_app_test_app ();
  g_autofree char *model = rg_test_fixture_path ("idefics2-tiny");
  RegardWindow *window = rg_app_test_window (app, model);
  GtkWidget *banner;
  graphene_rect_t b;

  rg_app_test_wait_ready (window);
  if (!regard_session_get_device_is_cpu (regard_window_get_session (window)))
    {
      g_test_skip ("the model runs on a GPU: no CPU banner");
      gtk_window_destroy (GTK_WINDOW (window));
      return;
    }
  rg_app_test_resize (window, 360);
  banner = GTK_WIDGET (window->cpu_banner);
  g_assert_true (gtk_widget_get_mapped (banner));
  g_assert_true (gtk_widget_compute_bounds (banner, GTK_WIDGET (window), &b));
  g_test_message ("CPU banner: %.0f x %.0f", b.size.width, b.size.height);
  g_assert_cmpfloat (b.origin.x + b.size.width, <=, gtk_widget_get_width (GTK_WIDGET (window)));
  g_assert_cmpfloat (b.size.height, <=, 80);
  g_assert_nonnull (strstr (gtk_label_get_label (window->cpu_banner_label), "app.preferences"));
  g_free (rg_app_test_snapshot (GTK_WIDGET (window), "app-cpu-banner-360"));
  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  rg_app_test_init (&argc, &argv);
  tmpdir = g_dir_make_tmp ("regard-flows-XXXXXX", NULL);

  g_test_add_func ("/app/focus/after-file-chooser", test_focus_after_file_chooser);
  g_test_add_func ("/app/focus/after-send", test_focus_after_send);
  g_test_add_func ("/app/model/invalid-folder-keeps-model", test_invalid_model_folder);
  g_test_add_func ("/app/attach/bad-images-refused", test_bad_images_refused);
  g_test_add_func ("/app/preferences/model-in-use", test_preferences_show_model_in_use);
  g_test_add_func ("/app/screenshot/failure-explained", test_screenshot_failure_explained);
  g_test_add_func ("/app/extract-text/asks-first", test_extract_text_asks_first);
  g_test_add_func ("/app/toast/clear-of-question-field", test_toast_clear_of_composer);
  g_test_add_func ("/app/window/ctrl-w-closes", test_ctrl_w_closes);
  g_test_add_func ("/app/window/cpu-banner-fits-360", test_cpu_banner_fits_360);

  ret = g_test_run ();
  rg_test_remove_tree (tmpdir);
  g_free (tmpdir);
  return ret;
}
