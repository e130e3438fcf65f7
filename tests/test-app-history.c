/* test-app-history.c: the history sidebar in the real window: chats
 * listed, searched, reopened with their images, deleted, and the delete
 * undone from its toast. */

#include "config.h"

#include <glib/gstdio.h>

#include "regard-window-history.h"
#include "test-app-common.h"
#include "test-common.h"

static char *data_home;

typedef struct
{
  gint64 harbour;
  gint64 receipt;
  gint64 empty_answer;
} Chats;

static Chats
fill_history (void)
{
  g_autoptr(RegardHistory) h = regard_history_open (NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *image_path = rg_test_fixture_path ("images/tiny_30x20.png");
  g_autoptr(GPtrArray) images = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  Chats c;
  gint64 t;

  g_assert_nonnull (h);
  g_ptr_array_add (images, rg_test_read_file (image_path));
  c.receipt = regard_history_create_chat (h, NULL, "idefics2-tiny", "f32", &error);
  t = regard_history_add_turn (h, c.receipt, "What is the total on this receipt?", images, &error);
  regard_history_finish_turn (h, t, "The total is 12.50 €.", "eos", NULL, &error);
  t = regard_history_add_turn (h, c.receipt, "And the tax?", NULL, &error);
  regard_history_finish_turn (h, t, "2.08 €", "max-tokens", NULL, &error);
  c.harbour = regard_history_create_chat (h, NULL, "idefics2-tiny", "f32", &error);
  t = regard_history_add_turn (h, c.harbour, "Which harbour is this?", NULL, &error);
  regard_history_finish_turn (h, t, "A lighthouse stands at its entrance.", "eos", NULL, &error);
  c.empty_answer = regard_history_create_chat (h, NULL, "", "", &error);
  t = regard_history_add_turn (h, c.empty_answer, "Describe the picture", NULL, &error);
  regard_history_set_answer (h, t, "A wide", &error);
  g_assert_no_error (error);
  return c;
}

static guint
count_chats_in_store (void)
{
  g_autoptr(RegardHistory) h = regard_history_open (NULL, NULL);

  return regard_history_count_chats (h, NULL);
}

static GtkWidget *
find_button (GtkWidget *widget, const char *label)
{
  if (GTK_IS_BUTTON (widget) && gtk_widget_get_mapped (widget)
      && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), label) == 0)
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_button (child, label);

      if (found)
        return found;
    }
  return NULL;
}

static void
set_search (RegardHistorySidebar *sidebar, const char *text)
{
  gtk_editable_set_text (GTK_EDITABLE (regard_history_sidebar_get_search_entry (sidebar)), text);
  /* GtkSearchEntry waits 150 ms before "search-changed". */
  rg_app_test_settle (500);
}

static gboolean
window_drawn (RegardWindow *window)
{
  return gtk_widget_get_mapped (GTK_WIDGET (window)) && gtk_widget_get_width (GTK_WIDGET (window)) > 0;
}

static void
test_sidebar (void)
{
  g_autoptr(RegardApplication) app = NULL;
  RegardWindow *window;
  RegardHistorySidebar *sidebar;
  Chats c = fill_history ();

  g_autofree char *shot = NULL;
  GtkWidget *undo;

  app = rg_app_test_app ();
  window = rg_app_test_window (app, NULL);
  sidebar = regard_window_get_history_sidebar (window);
  g_assert_false (gtk_widget_get_mapped (GTK_WIDGET (sidebar)));
  /* Let the window map and draw first, as it has before anyone can press
   * F9: AdwFlap's reveal started before the first frame was once seen to
   * lay the content out at a width of INT_MIN (a GTK warning, fatal here). */
  rg_app_test_wait (window, window_drawn, 30, "the window's first frame");
  rg_app_test_settle (200);

  /* Open: F9's action shows the sidebar, every chat listed. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-history", NULL);
  rg_app_test_settle (600);
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (sidebar)));
  g_assert_cmpuint (regard_history_sidebar_get_n_visible (sidebar), ==, 3);

  /* Search: answers and questions, through the full-text index. */
  set_search (sidebar, "lighthouse");
  g_assert_cmpuint (regard_history_sidebar_get_n_visible (sidebar), ==, 1);
  set_search (sidebar, "total tax");
  g_assert_cmpuint (regard_history_sidebar_get_n_visible (sidebar), ==, 0);
  set_search (sidebar, "");
  g_assert_cmpuint (regard_history_sidebar_get_n_visible (sidebar), ==, 3);

  /* Reopen: the transcript is back, image included, and shown although
   * no model is loaded (read-only, with the way to a model above it). */
  g_assert_cmpstr (regard_window_get_page (window), ==, "empty");
  regard_window_open_chat (window, c.receipt);
  rg_app_test_settle (300);
  g_assert_cmpuint (regard_window_get_n_messages (window), ==, 4);
  g_assert_cmpstr (regard_window_get_page (window), ==, "chat");
  shot = rg_app_test_snapshot (GTK_WIDGET (window), "app-history-no-model");
  g_test_message ("screenshot: %s", shot);
  g_clear_pointer (&shot, g_free);
  g_assert_cmpstr (regard_window_get_last_answer (window), ==, "2.08 €");
  g_assert_cmpstr (regard_window_get_last_status (window), ==, "Stopped at the answer length limit");
  regard_window_open_chat (window, c.empty_answer);
  rg_app_test_settle (300);
  g_assert_cmpuint (regard_window_get_n_messages (window), ==, 2);
  g_assert_cmpstr (regard_window_get_last_answer (window), ==, "A wide");

  /* Delete: the row goes at once, the chat when the toast does; undo
   * brings it back. */
  gtk_widget_activate_action (GTK_WIDGET (sidebar), "history.delete", "x", c.harbour);
  rg_app_test_settle (400);
  g_assert_cmpuint (regard_history_sidebar_get_n_visible (sidebar), ==, 2);
  g_assert_cmpuint (count_chats_in_store (), ==, 3);
  shot = rg_app_test_snapshot (GTK_WIDGET (window), "app-history-deleted");
  g_test_message ("screenshot: %s", shot);
  undo = find_button (GTK_WIDGET (window), "_Undo");
  g_assert_nonnull (undo);
  g_signal_emit_by_name (undo, "clicked");
  rg_app_test_settle (600);
  g_assert_cmpuint (regard_history_sidebar_get_n_visible (sidebar), ==, 3);
  regard_history_sidebar_flush (sidebar);
  g_assert_cmpuint (count_chats_in_store (), ==, 3);

  /* Deleting the open chat empties the transcript; once the toast is
   * gone (flush) the store forgets it. */
  gtk_widget_activate_action (GTK_WIDGET (sidebar), "history.delete", "x", c.empty_answer);
  rg_app_test_settle (200);
  g_assert_cmpuint (regard_window_get_n_messages (window), ==, 0);
  g_assert_cmpstr (regard_window_get_page (window), ==, "empty");
  regard_history_sidebar_flush (sidebar);
  g_assert_cmpuint (count_chats_in_store (), ==, 2);
  g_assert_cmpuint (regard_history_sidebar_get_n_visible (sidebar), ==, 2);

  /* Rename: a dialog with the title to edit. */
  gtk_widget_activate_action (GTK_WIDGET (sidebar), "history.rename", "x", c.receipt);
  rg_app_test_settle (300);
  {
    GListModel *toplevels = gtk_window_get_toplevels ();
    AdwMessageDialog *dialog = NULL;
    g_autoptr(RegardHistory) h = NULL;
    g_autoptr(RegardHistoryChat) chat = NULL;

    for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
      {
        g_autoptr(GObject) w = g_list_model_get_item (toplevels, i);

        if (ADW_IS_MESSAGE_DIALOG (w))
          dialog = ADW_MESSAGE_DIALOG (w);
      }
    g_assert_nonnull (dialog);
    g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog))),
                     ==, "What is the total on this receipt?");
    gtk_editable_set_text (GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog)), "  Grocery receipt ");
    adw_message_dialog_response (dialog, "rename");
    gtk_window_destroy (GTK_WINDOW (dialog));
    h = regard_history_open (NULL, NULL);
    chat = regard_history_get_chat (h, c.receipt, NULL);
    g_assert_cmpstr (chat->title, ==, "Grocery receipt");
  }

  g_clear_pointer (&shot, g_free);
  shot = rg_app_test_snapshot (GTK_WIDGET (window), "app-history");
  g_test_message ("screenshot: %s", shot);
  gtk_window_destroy (GTK_WINDOW (window));
}

/* The newest turn of the most recently updated chat. */
static RegardHistoryTurn *
last_turn (gint64 *chat_id, guint *n_turns)
{
  g_autoptr(RegardHistory) h = regard_history_open (NULL, NULL);
  g_autoptr(GPtrArray) chats = regard_history_list_chats (h, 0, 1, NULL);
  g_autoptr(GPtrArray) turns = NULL;
  RegardHistoryChat *chat;

  g_assert_cmpuint (chats->len, ==, 1);
  chat = chats->pdata[0];
  turns = regard_history_get_turns (h, chat->id, NULL);
  *chat_id = chat->id;
  *n_turns = turns->len;
  return g_ptr_array_steal_index (turns, turns->len - 1);
}

static void
ask (RegardWindow *window, const char *question)
{
  regard_window_set_question (window, question);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.send", NULL));
  rg_app_test_wait (window, rg_app_test_idle, 120, "the answer");
}

/* Asking records the turn as it streams and when it ends; a reopened chat
 * continues: the engine is given the whole stored conversation. */
static void
test_record_and_continue (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(RegardApplication) app = NULL;
  g_autofree char *model = rg_test_fixture_path ("idefics2-tiny");
  g_autoptr(RegardHistoryTurn) fresh = NULL;
  g_autoptr(RegardHistoryTurn) continued = NULL;
  g_autoptr(RegardHistory) h = NULL;
  g_autoptr(GPtrArray) chats = NULL;
  RegardWindow *window;
  g_autofree char *shot = NULL;
  gint64 chat_id, receipt = 0;
  guint n_turns;

  g_settings_set_uint (settings, "max-new-tokens", 6);
  app = rg_app_test_app ();
  window = rg_app_test_window (app, model);
  rg_app_test_wait_ready (window);

  ask (window, "Hi there");
  fresh = last_turn (&chat_id, &n_turns);
  g_assert_cmpuint (n_turns, ==, 1);
  g_assert_cmpstr (fresh->question, ==, "Hi there");
  g_assert_true (fresh->finished);
  g_assert_cmpstr (fresh->answer, ==, regard_window_get_last_answer (window));
  g_assert_cmpuint (fresh->timings.generated_tokens, >, 0);

  h = regard_history_open (NULL, NULL);
  chats = regard_history_search (h, "receipt", 10, NULL);
  g_assert_cmpuint (chats->len, ==, 1);
  receipt = ((RegardHistoryChat *) chats->pdata[0])->id;
  regard_window_open_chat (window, receipt);
  g_assert_cmpuint (regard_window_get_n_messages (window), ==, 4);
  rg_app_test_settle (500);
  shot = rg_app_test_snapshot (GTK_WIDGET (window), "app-history-reopened");
  g_test_message ("screenshot: %s", shot);
  ask (window, "Hi there");
  continued = last_turn (&chat_id, &n_turns);
  g_assert_cmpint (chat_id, ==, receipt);
  g_assert_cmpuint (n_turns, ==, 3);
  g_assert_true (continued->finished);
  /* Two earlier turns and an image came before the same question. */
  g_assert_cmpuint (continued->timings.prompt_tokens + continued->timings.cached_tokens, >,
                    fresh->timings.prompt_tokens + fresh->timings.cached_tokens + 20);
  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  int rc;

  /* A history of this test's own, before GLib caches the data folder. */
  data_home = g_dir_make_tmp ("regard-app-history-XXXXXX", NULL);
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);
  rg_app_test_init (&argc, &argv);
  g_test_add_func ("/history/ui/sidebar", test_sidebar);
  g_test_add_func ("/history/ui/record-and-continue", test_record_and_continue);
  rc = g_test_run ();
  rg_test_remove_tree (data_home);
  g_free (data_home);
  return rc;
}
