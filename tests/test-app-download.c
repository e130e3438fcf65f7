/* test-app-download.c: the "Download…" flow of the real window against a
 * loopback hub (test-hub-server) that serves tests/fixtures/idefics2-tiny as
 * each catalog model: pick one in the catalog, watch the progress, pause,
 * "restart" the app, resume, cancel; the downloaded model loads and answers.
 * REGARD_HF_ENDPOINT and XDG_DATA_HOME point at the server and a temporary
 * folder before anything starts. */

#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>

#include "regard-download.h"
#include "regard-window-private.h"
#include "test-app-common.h"
#include "test-common.h"
#include "test-hub-server.h"

#define CHATTY "HuggingFaceM4/idefics2-8b-chatty"
#define INSTRUCT "HuggingFaceM4/idefics2-8b"
#define SHARD1 "model-00001-of-00002.safetensors"

static RgHubServer *hub;
static gboolean streamed_while_busy;

/* ---- finding widgets ----------------------------------------------------- */

static GtkWidget *
template_child (RegardWindow *window,
                const char   *name)
{
  GObject *child = gtk_widget_get_template_child (GTK_WIDGET (window), REGARD_TYPE_WINDOW, name);

  g_assert_nonnull (child);
  return GTK_WIDGET (child);
}

static AdwMessageDialog *
find_dialog (RegardWindow *window)
{
  GListModel *toplevels = gtk_window_get_toplevels ();  /* not ours */
  guint n = g_list_model_get_n_items (toplevels);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GtkWindow) toplevel = g_list_model_get_item (toplevels, i);

      if (ADW_IS_MESSAGE_DIALOG (toplevel) &&
          gtk_window_get_transient_for (toplevel) == GTK_WINDOW (window) &&
          gtk_widget_get_visible (GTK_WIDGET (toplevel)))
        return ADW_MESSAGE_DIALOG (toplevel);
    }

  return NULL;
}

static GtkWidget *
find_row (GtkWidget  *widget,
          const char *repo)
{
  if (ADW_IS_ACTION_ROW (widget) &&
      g_strcmp0 (g_object_get_data (G_OBJECT (widget), "regard-repo"), repo) == 0)
    return widget;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_row (child, repo);

      if (found != NULL)
        return found;
    }

  return NULL;
}

static char *
model_dir_of (const char *repo)
{
  g_autofree char *models = regard_models_dir ();

  return g_build_filename (models, repo, NULL);
}

static gint64
file_size (const char *dir,
           const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  GStatBuf st;

  return g_stat (path, &st) == 0 ? st.st_size : -1;
}

/* ---- conditions ---------------------------------------------------------- */

static gboolean
downloading (RegardWindow *window)
{
  GtkProgressBar *bar = GTK_PROGRESS_BAR (template_child (window, "load_progress"));
  g_autofree char *dir = model_dir_of (CHATTY);

  return gtk_widget_get_visible (template_child (window, "pause_download_button")) &&
         gtk_progress_bar_get_fraction (bar) > 0.05 &&
         file_size (dir, SHARD1 ".part") > 0;
}

/* No download running: Pause is gone, or turned into Resume (paused). */
static gboolean
stopped (RegardWindow *window)
{
  GtkWidget *pause = template_child (window, "pause_download_button");

  return !gtk_widget_get_visible (pause) ||
         g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (pause)), "win.resume-download") == 0;
}

/* Told of each streamed piece as it arrives (polling can miss an answer
 * whose tokens and end land in one main-loop iteration). */
static void
answer_text_changed (GObject      *row,
                     GParamSpec   *pspec,
                     RegardWindow *window)
{
  const char *answer = regard_window_get_last_answer (window);

  if (regard_window_get_busy (window) && answer != NULL && answer[0] != '\0')
    streamed_while_busy = TRUE;
}

/* ---- steps --------------------------------------------------------------- */

static RegardWindow *
new_window_without_model (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(RegardApplication) app = rg_app_test_app ();
  RegardWindow *window;

  g_settings_set_string (settings, "model-folder", "");
  window = rg_app_test_window (app, NULL);
  rg_app_test_settle (300);
  g_assert_cmpint (regard_session_get_state (regard_window_get_session (window)), ==, REGARD_SESSION_EMPTY);

  return window;
}

/* Opens the catalog, picks REPO and answers "download". */
static void
download_from_catalog (RegardWindow *window,
                       const char   *repo,
                       const char   *snapshot)
{
  AdwMessageDialog *dialog;
  GtkWidget *row;
  GtkWidget *check;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.download", NULL));
  dialog = find_dialog (window);
  g_assert_nonnull (dialog);

  /* Both models are listed. */
  g_assert_nonnull (find_row (GTK_WIDGET (dialog), CHATTY));
  g_assert_nonnull (find_row (GTK_WIDGET (dialog), INSTRUCT));

  row = find_row (GTK_WIDGET (dialog), repo);
  g_assert_true (gtk_widget_activate (row));
  check = adw_action_row_get_activatable_widget (ADW_ACTION_ROW (row));
  g_assert_true (gtk_check_button_get_active (GTK_CHECK_BUTTON (check)));

  if (snapshot != NULL)
    {
      g_autofree char *shot = NULL;

      rg_app_test_settle (600);
      shot = rg_app_test_snapshot (GTK_WIDGET (dialog), snapshot);
    }

  adw_message_dialog_response (dialog, "download");
  gtk_window_destroy (GTK_WINDOW (dialog));
}

/* ---- tests --------------------------------------------------------------- */

/* Cancel asks first, then deletes what was downloaded. */
static void
test_cancel (void)
{
  g_autofree char *dest = model_dir_of (CHATTY);
  RegardWindow *window = new_window_without_model ();
  AdwMessageDialog *confirm;

  rg_hub_server_set_delay (hub, 40);
  download_from_catalog (window, CHATTY, NULL);
  rg_app_test_wait (window, downloading, 60, "the download to start");

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.cancel-download", NULL));
  confirm = find_dialog (window);
  g_assert_nonnull (confirm);
  adw_message_dialog_response (confirm, "discard");
  gtk_window_destroy (GTK_WINDOW (confirm));

  rg_app_test_wait (window, stopped, 30, "the download to stop");
  g_assert_false (g_file_test (dest, G_FILE_TEST_EXISTS));
  g_assert_false (gtk_widget_get_visible (template_child (window, "resume_download_button")));
  g_assert_cmpint (regard_session_get_state (regard_window_get_session (window)), ==, REGARD_SESSION_EMPTY);

  gtk_window_destroy (GTK_WINDOW (window));
}

/* Pause keeps the .part; a new window (the app restarted) offers to resume,
 * and the download continues from the .part with a Range request. */
static void
test_pause_resume (void)
{
  g_autofree char *dest = model_dir_of (CHATTY);
  g_autofree char *shot = NULL;
  RegardWindow *window = new_window_without_model ();
  RegardSession *session;
  GPtrArray *ranges;
  gboolean resumed_with_range = FALSE;
  gint64 part;

  rg_hub_server_set_delay (hub, 40);
  download_from_catalog (window, CHATTY, NULL);
  rg_app_test_wait (window, downloading, 60, "the download to start");

  /* The rate and time left show up. */
  rg_app_test_settle (1200);
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (template_child (window, "download_detail_label"))), !=, "");
  shot = rg_app_test_snapshot (GTK_WIDGET (window), "app-download-progress");
  g_clear_pointer (&shot, g_free);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.pause-download", NULL));
  rg_app_test_wait (window, stopped, 30, "the download to pause");
  part = file_size (dest, SHARD1 ".part");
  g_assert_cmpint (part, >, 0);
  g_assert_true (gtk_widget_get_visible (template_child (window, "resume_download_button")));

  rg_app_test_settle (600);
  shot = rg_app_test_snapshot (GTK_WIDGET (window), "app-download-paused");
  g_clear_pointer (&shot, g_free);
  gtk_window_destroy (GTK_WINDOW (window));

  /* The app starts again: the unfinished download is offered. */
  window = new_window_without_model ();
  g_assert_true (gtk_widget_get_visible (template_child (window, "resume_download_button")));

  rg_hub_server_set_delay (hub, 0);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.resume-download", NULL));
  rg_app_test_wait_ready (window);

  session = regard_window_get_session (window);
  g_assert_cmpstr (regard_session_get_model_dir (session), ==, dest);
  g_assert_false (gtk_widget_get_visible (template_child (window, "resume_download_button")));
  g_assert_cmpint (file_size (dest, SHARD1 ".part"), ==, -1);
  g_assert_cmpint (file_size (dest, SHARD1), >, part);

  ranges = rg_hub_server_get_ranges (hub);
  for (guint i = 0; i < ranges->len; i++)
    {
      g_autofree char *want = g_strdup_printf ("bytes=%" G_GINT64_FORMAT "-", part);

      if (g_str_equal (g_ptr_array_index (ranges, i), want))
        resumed_with_range = TRUE;
    }
  g_assert_true (resumed_with_range);

  gtk_window_destroy (GTK_WINDOW (window));
}

/* Paused, the page keeps the progress so far, Pause turns into Resume
 * beside Cancel, and the "paused" toast goes away on resume. */
static void
test_paused_keeps_progress (void)
{
  g_autofree char *dest = model_dir_of (CHATTY);
  RegardWindow *window = new_window_without_model ();
  GtkWidget *pause = template_child (window, "pause_download_button");
  GtkWidget *cancel = template_child (window, "cancel_load_button");
  GtkProgressBar *bar = GTK_PROGRESS_BAR (template_child (window, "load_progress"));
  AdwMessageDialog *confirm;
  graphene_rect_t p, c;
  double fraction;

  rg_hub_server_set_delay (hub, 40);
  download_from_catalog (window, CHATTY, NULL);
  rg_app_test_wait (window, downloading, 60, "the download to start");

  /* A pair: side by side, same row. */
  rg_app_test_settle (300);
  g_assert_true (gtk_widget_compute_bounds (pause, GTK_WIDGET (window), &p));
  g_assert_true (gtk_widget_compute_bounds (cancel, GTK_WIDGET (window), &c));
  g_assert_cmpfloat (p.origin.y, ==, c.origin.y);
  g_assert_cmpfloat (p.origin.x + p.size.width, <=, c.origin.x);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.pause-download", NULL));
  rg_app_test_wait (window, stopped, 30, "the download to pause");
  rg_app_test_settle (400);
  fraction = gtk_progress_bar_get_fraction (bar);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (window->main_stack), ==, "loading");
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (bar)));
  g_assert_cmpfloat (fraction, >, 0.05);
  g_assert_true (gtk_widget_get_visible (pause));
  g_assert_true (gtk_widget_get_visible (cancel));
  g_assert_nonnull (window->paused_toast);
  g_free (rg_app_test_snapshot (GTK_WIDGET (window), "app-download-paused-progress"));

  /* Resumed: the toast is gone, the download runs on. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.resume-download", NULL));
  g_assert_null (window->paused_toast);
  rg_app_test_wait (window, downloading, 60, "the download to resume");
  g_assert_cmpfloat (gtk_progress_bar_get_fraction (bar), >=, fraction - 0.01);

  /* Clean up: cancel deletes it. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.cancel-download", NULL));
  confirm = find_dialog (window);
  g_assert_nonnull (confirm);
  adw_message_dialog_response (confirm, "discard");
  gtk_window_destroy (GTK_WINDOW (confirm));
  rg_app_test_wait (window, stopped, 30, "the download to stop");
  g_assert_false (g_file_test (dest, G_FILE_TEST_EXISTS));

  gtk_window_destroy (GTK_WINDOW (window));
}

/* The whole flow: catalog, download, load, ask. */
static void
test_catalog_download (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autofree char *dest = model_dir_of (INSTRUCT);
  g_autofree char *folder = NULL;
  g_autofree char *shot = NULL;
  RegardWindow *window = new_window_without_model ();
  RegardSession *session = regard_window_get_session (window);
  const char *subtitle;
  const char *answer;

  g_settings_set_uint (settings, "max-new-tokens", 16);
  rg_hub_server_set_delay (hub, 0);

  download_from_catalog (window, INSTRUCT, "app-download-catalog");
  rg_app_test_wait_ready (window);

  g_assert_cmpstr (regard_session_get_model_dir (session), ==, dest);
  folder = g_settings_get_string (settings, "model-folder");
  g_assert_cmpstr (folder, ==, dest);
  subtitle = adw_window_title_get_subtitle (ADW_WINDOW_TITLE (template_child (window, "window_title")));
  g_assert_nonnull (subtitle);
  g_assert_cmpstr (subtitle, !=, "");
  g_test_message ("Subtitle: %s", subtitle);
  g_assert_false (gtk_widget_get_visible (template_child (window, "pause_download_button")));

  regard_window_set_question (window, "What can you see?");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.send", NULL));
  g_assert_true (regard_window_get_busy (window));
  g_signal_connect (regard_window_get_last_answer_row (window), "notify::text",
                    G_CALLBACK (answer_text_changed), window);
  rg_app_test_wait (window, rg_app_test_idle, 300, "the answer");

  answer = regard_window_get_last_answer (window);
  g_assert_nonnull (answer);
  g_assert_cmpstr (answer, !=, "");
  g_assert_true (streamed_while_busy);
  g_test_message ("Answer: %s", answer);

  rg_app_test_settle (600);
  shot = rg_app_test_snapshot (GTK_WIDGET (window), "app-download-done");

  gtk_window_destroy (GTK_WINDOW (window));
}

static void
collect_rows (GtkWidget *widget,
              GPtrArray *rows)
{
  if (ADW_IS_ACTION_ROW (widget) && g_object_get_data (G_OBJECT (widget), "regard-repo") != NULL)
    g_ptr_array_add (rows, widget);
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    collect_rows (c, rows);
}

static const char *
row_suffix_text (GtkWidget *widget)
{
  const char *text = NULL;

  if (GTK_IS_LABEL (widget) && gtk_widget_has_css_class (widget, "numeric"))
    return gtk_label_get_text (GTK_LABEL (widget));
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c && text == NULL; c = gtk_widget_get_next_sibling (c))
    text = row_suffix_text (c);
  return text;
}

/* The catalog (issue 17): the small SmolVLM first and chosen by default,
 * with its size and the hardware it needs; every model Regard runs is
 * there, smallest first, each with its size on disk. Shot at 360 and
 * 1280 px. */
static void
test_catalog_small_first (void)
{
  static const char *const expected[] = {
    "HuggingFaceTB/SmolVLM-256M-Instruct",
    "HuggingFaceTB/SmolVLM-500M-Instruct",
    "HuggingFaceTB/SmolVLM-Instruct",
    "HuggingFaceM4/Idefics3-8B-Llama3",
    CHATTY,
    INSTRUCT,
    "HuggingFaceM4/idefics-9b-instruct",
  };
  static const int widths[] = { 360, 1280 };
  RegardWindow *window = new_window_without_model ();
  g_autofree char *small_size = g_format_size (513000000);

  for (guint w = 0; w < G_N_ELEMENTS (widths); w++)
    {
      g_autoptr(GPtrArray) rows = g_ptr_array_new ();
      g_autofree char *name = g_strdup_printf ("app-download-catalog-%d", widths[w]);
      AdwMessageDialog *dialog;
      GtkWidget *check;

      rg_app_test_resize (window, widths[w]);
      g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.download", NULL));
      dialog = find_dialog (window);
      g_assert_nonnull (dialog);
      rg_app_test_settle (600);

      collect_rows (GTK_WIDGET (dialog), rows);
      g_assert_cmpuint (rows->len, ==, G_N_ELEMENTS (expected));
      for (guint i = 0; i < rows->len; i++)
        {
          const char *size = row_suffix_text (rows->pdata[i]);

          g_assert_cmpstr (g_object_get_data (rows->pdata[i], "regard-repo"), ==, expected[i]);
          g_autofree char *installed = regard_model_find_installed (expected[i]);

          g_assert_nonnull (size);
          /* a model downloaded by an earlier test says so instead */
          if (installed != NULL)
            g_assert_cmpstr (size, ==, _("Installed"));
          else
            g_assert_true (g_str_has_suffix (size, "GB") || g_str_has_suffix (size, "MB"));
          g_assert_nonnull (adw_action_row_get_subtitle (rows->pdata[i]));
        }
      g_assert_cmpstr (row_suffix_text (rows->pdata[0]), ==, small_size);
      g_assert_nonnull (strstr (adw_action_row_get_subtitle (rows->pdata[0]), "no graphics card"));
      check = adw_action_row_get_activatable_widget (rows->pdata[0]);
      g_assert_true (gtk_check_button_get_active (GTK_CHECK_BUTTON (check)));
      g_assert_true (gtk_widget_get_mapped (rows->pdata[0]));

      g_free (rg_app_test_snapshot (GTK_WIDGET (dialog), name));
      adw_message_dialog_response (dialog, "cancel");
      gtk_window_destroy (GTK_WINDOW (dialog));
    }

  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *data_home = g_dir_make_tmp ("regard-app-download-XXXXXX", NULL);
  g_autofree char *fixture = NULL;
  int status;

  /* Before GLib reads the data folder, or any thread starts. */
  g_assert_nonnull (data_home);
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);
  g_unsetenv ("HF_TOKEN");

  fixture = rg_test_fixture_path ("idefics2-tiny");
  hub = rg_hub_server_new (fixture);
  rg_hub_server_add_repo (hub, CHATTY);
  rg_hub_server_add_repo (hub, INSTRUCT);
  g_setenv ("REGARD_HF_ENDPOINT", rg_hub_server_get_url (hub), TRUE);

  rg_app_test_init (&argc, &argv);

  g_test_add_func ("/app/download/cancel", test_cancel);
  g_test_add_func ("/app/download/paused-keeps-progress", test_paused_keeps_progress);
  g_test_add_func ("/app/download/pause-resume", test_pause_resume);
  g_test_add_func ("/app/download/catalog", test_catalog_download);
  g_test_add_func ("/app/download/catalog-small-first", test_catalog_small_first);

  status = g_test_run ();

  g_clear_pointer (&hub, rg_hub_server_free);
  rg_test_remove_tree (data_home);

  return status;
}
