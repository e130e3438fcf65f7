/* regard-history-sidebar.c: the stored chats, by date.
 *
 * Copyright 2025 The Regard authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "regard-history-sidebar.h"

#define PAGE_SIZE 100

struct _RegardHistorySidebar
{
  GtkBox parent_instance;

  RegardHistory *history;   /* borrowed */
  GArray *pending_deletes;  /* gint64: chats hidden, deleted when their toast goes */
  gint64 current;
  guint n_listed;           /* rows loaded so far (paging) */
  gboolean searching;

  /* Template */
  GtkSearchEntry *search_entry;
  GtkStack *stack;
  GtkScrolledWindow *scroller;
  GtkListBox *list_box;
  AdwStatusPage *empty_page;
};

G_DEFINE_FINAL_TYPE (RegardHistorySidebar, regard_history_sidebar, GTK_TYPE_BOX)

enum { CHAT_ACTIVATED, CHAT_DELETED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
toast (RegardHistorySidebar *self, const char *text)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);

  if (overlay)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (text));
}

static void
toast_error (RegardHistorySidebar *self, const char *what, const GError *error)
{
  g_autofree char *text = g_strdup_printf ("%s: %s", what, error->message);

  toast (self, text);
}

static const RegardHistoryChat *
row_chat (GtkListBoxRow *row)
{
  return g_object_get_data (G_OBJECT (row), "regard-chat");
}

static GtkListBoxRow *
find_row (RegardHistorySidebar *self, gint64 chat_id)
{
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->list_box));
       child; child = gtk_widget_get_next_sibling (child))
    if (GTK_IS_LIST_BOX_ROW (child) && row_chat (GTK_LIST_BOX_ROW (child))->id == chat_id)
      return GTK_LIST_BOX_ROW (child);
  return NULL;
}

static gboolean
is_pending_delete (RegardHistorySidebar *self, gint64 chat_id)
{
  for (guint i = 0; i < self->pending_deletes->len; i++)
    if (g_array_index (self->pending_deletes, gint64, i) == chat_id)
      return TRUE;
  return FALSE;
}

/* "Today", "Yesterday", "Previous 7 Days", "Older": the section of a
 * chat last updated at US. */
static int
date_section (gint64 us)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GDateTime) then = g_date_time_new_from_unix_local (us / G_USEC_PER_SEC);
  g_autoptr(GDateTime) today = g_date_time_new_local (g_date_time_get_year (now),
                                                      g_date_time_get_month (now),
                                                      g_date_time_get_day_of_month (now), 0, 0, 0);
  GTimeSpan ago = g_date_time_difference (today, then);

  if (ago <= 0)
    return 0;
  if (ago <= G_TIME_SPAN_DAY)
    return 1;
  if (ago <= 7 * G_TIME_SPAN_DAY)
    return 2;
  return 3;
}

static void
update_header (GtkListBoxRow *row, GtkListBoxRow *before, gpointer user_data)
{
  const char *titles[] = { _("Today"), _("Yesterday"), _("Previous 7 Days"), _("Older") };
  int section = date_section (row_chat (row)->updated_us);
  GtkWidget *label;

  if (before && date_section (row_chat (before)->updated_us) == section)
    {
      gtk_list_box_row_set_header (row, NULL);
      return;
    }
  label = gtk_label_new (titles[section]);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "heading");
  gtk_widget_add_css_class (label, "dim-label");
  gtk_widget_set_margin_start (label, 12);
  gtk_widget_set_margin_top (label, 12);
  gtk_widget_set_margin_bottom (label, 6);
  gtk_list_box_row_set_header (row, label);
}

static GtkWidget *
make_row (RegardHistoryChat *chat)
{
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *labels = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *title = gtk_label_new (*chat->title ? chat->title : _("Untitled Chat"));
  g_autoptr(GDateTime) when = g_date_time_new_from_unix_local (chat->updated_us / G_USEC_PER_SEC);
  /* Translators: a chat's last change in the history sidebar (strftime) */
  g_autofree char *when_text = when ? g_date_time_format (when, _("%b %-d, %H:%M")) : g_strdup ("");
  GtkWidget *subtitle = gtk_label_new (when_text);
  GtkWidget *menu_button = gtk_menu_button_new ();
  g_autoptr(GMenu) menu = g_menu_new ();
  g_autoptr(GMenuItem) rename = g_menu_item_new (_("_Rename…"), NULL);
  g_autoptr(GMenuItem) export = g_menu_item_new (_("_Export as Markdown…"), NULL);
  g_autoptr(GMenuItem) delete = g_menu_item_new (_("_Delete"), NULL);

  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_label_set_ellipsize (GTK_LABEL (title), PANGO_ELLIPSIZE_END);
  gtk_label_set_xalign (GTK_LABEL (subtitle), 0);
  gtk_widget_add_css_class (subtitle, "caption");
  gtk_widget_add_css_class (subtitle, "dim-label");
  gtk_widget_set_hexpand (labels, TRUE);
  gtk_widget_set_valign (labels, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (labels), title);
  gtk_box_append (GTK_BOX (labels), subtitle);

  g_menu_item_set_action_and_target_value (rename, "history.rename", g_variant_new_int64 (chat->id));
  g_menu_item_set_action_and_target_value (export, "history.export", g_variant_new_int64 (chat->id));
  g_menu_item_set_action_and_target_value (delete, "history.delete", g_variant_new_int64 (chat->id));
  g_menu_append_item (menu, rename);
  g_menu_append_item (menu, export);
  g_menu_append_item (menu, delete);
  gtk_menu_button_set_menu_model (GTK_MENU_BUTTON (menu_button), G_MENU_MODEL (menu));
  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (menu_button), "view-more-symbolic");
  gtk_widget_add_css_class (menu_button, "flat");
  gtk_widget_set_valign (menu_button, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (menu_button, _("Chat Menu"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (menu_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Chat Menu"), -1);

  gtk_box_append (GTK_BOX (box), labels);
  gtk_box_append (GTK_BOX (box), menu_button);
  gtk_widget_set_margin_start (box, 6);
  gtk_widget_set_margin_top (box, 3);
  gtk_widget_set_margin_bottom (box, 3);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  gtk_label_get_label (GTK_LABEL (title)), -1);
  g_object_set_data_full (G_OBJECT (row), "regard-chat", chat,
                          (GDestroyNotify) regard_history_chat_free);
  return row;
}

static void
update_empty (RegardHistorySidebar *self)
{
  guint n = regard_history_sidebar_get_n_visible (self);

  adw_status_page_set_title (self->empty_page,
                             self->searching ? _("No Results") : _("No Chats Yet"));
  adw_status_page_set_description (self->empty_page,
                                   self->searching ? NULL
                                                   : _("Questions and answers are kept here"));
  gtk_stack_set_visible_child_name (self->stack, n > 0 ? "list" : "empty");
}

static void
append_chats (RegardHistorySidebar *self, GPtrArray *chats)
{
  for (guint i = 0; i < chats->len; i++)
    {
      RegardHistoryChat *chat = g_steal_pointer (&chats->pdata[i]);
      GtkWidget *row = make_row (chat);

      gtk_widget_set_visible (row, !is_pending_delete (self, chat->id));
      gtk_list_box_append (self->list_box, row);
      if (chat->id == self->current)
        gtk_list_box_select_row (self->list_box, GTK_LIST_BOX_ROW (row));
    }
  self->n_listed += chats->len;
}

void
regard_history_sidebar_reload (RegardHistorySidebar *self)
{
  const char *query = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  g_autoptr(GPtrArray) chats = NULL;
  g_autoptr(GError) error = NULL;
  GtkListBoxRow *row;

  while ((row = gtk_list_box_get_row_at_index (self->list_box, 0)))
    gtk_list_box_remove (self->list_box, GTK_WIDGET (row));
  self->n_listed = 0;
  self->searching = query[0] != '\0';
  if (self->history)
    {
      chats = self->searching ? regard_history_search (self->history, query, 200, &error)
                              : regard_history_list_chats (self->history, 0, PAGE_SIZE, &error);
      if (chats)
        append_chats (self, chats);
      else
        toast_error (self, _("Cannot read the chat history"), error);
    }
  update_empty (self);
}

/* The next page when the list is scrolled to its end. */
static void
edge_reached (RegardHistorySidebar *self, GtkPositionType pos)
{
  g_autoptr(GPtrArray) chats = NULL;

  if (pos != GTK_POS_BOTTOM || self->searching || self->history == NULL
      || self->n_listed % PAGE_SIZE != 0)
    return;
  chats = regard_history_list_chats (self->history, self->n_listed, PAGE_SIZE, NULL);
  if (chats)
    append_chats (self, chats);
}

static void
row_activated (RegardHistorySidebar *self, GtkListBoxRow *row)
{
  g_signal_emit (self, signals[CHAT_ACTIVATED], 0, row_chat (row)->id);
}

/* ---- Delete, with undo ------------------------------------------------ */

static void
forget_pending (RegardHistorySidebar *self, gint64 chat_id)
{
  for (guint i = 0; i < self->pending_deletes->len; i++)
    if (g_array_index (self->pending_deletes, gint64, i) == chat_id)
      {
        g_array_remove_index (self->pending_deletes, i);
        return;
      }
}

static void
delete_now (RegardHistorySidebar *self, gint64 chat_id)
{
  g_autoptr(GError) error = NULL;
  GtkListBoxRow *row;

  if (!is_pending_delete (self, chat_id))
    return;
  forget_pending (self, chat_id);
  if (self->history
      && !regard_history_delete_chat (self->history, chat_id, &error)
      && !g_error_matches (error, REGARD_HISTORY_ERROR, REGARD_HISTORY_ERROR_NOT_FOUND))
    {
      toast_error (self, _("Cannot delete the chat"), error);
      return;
    }
  if ((row = find_row (self, chat_id)))
    gtk_list_box_remove (self->list_box, GTK_WIDGET (row));
}

static void
toast_dismissed (AdwToast *t, RegardHistorySidebar *self)
{
  delete_now (self, *(gint64 *) g_object_get_data (G_OBJECT (t), "regard-chat-id"));
}

static void
undo_delete_action (GtkWidget *widget, const char *name, GVariant *param)
{
  RegardHistorySidebar *self = REGARD_HISTORY_SIDEBAR (widget);
  gint64 chat_id = g_variant_get_int64 (param);
  GtkListBoxRow *row = find_row (self, chat_id);

  forget_pending (self, chat_id);
  if (row)
    gtk_widget_set_visible (GTK_WIDGET (row), TRUE);
  update_empty (self);
}

static void
toast_undo (AdwToast *t, RegardHistorySidebar *self)
{
  gint64 chat_id = *(gint64 *) g_object_get_data (G_OBJECT (t), "regard-chat-id");

  gtk_widget_activate_action (GTK_WIDGET (self), "history.undo-delete", "x", chat_id);
}

static void
delete_action (GtkWidget *widget, const char *name, GVariant *param)
{
  RegardHistorySidebar *self = REGARD_HISTORY_SIDEBAR (widget);
  gint64 chat_id = g_variant_get_int64 (param);
  GtkListBoxRow *row = find_row (self, chat_id);
  GtkWidget *overlay = gtk_widget_get_ancestor (widget, ADW_TYPE_TOAST_OVERLAY);
  g_autofree char *title = NULL;
  AdwToast *t;

  if (row == NULL || is_pending_delete (self, chat_id))
    return;
  g_array_append_val (self->pending_deletes, chat_id);
  gtk_widget_set_visible (GTK_WIDGET (row), FALSE);
  update_empty (self);
  g_signal_emit (self, signals[CHAT_DELETED], 0, chat_id);

  if (overlay == NULL)
    {
      delete_now (self, chat_id);
      return;
    }
  /* Translators: %s is a chat's title */
  title = g_strdup_printf (_("“%s” deleted"), *row_chat (row)->title ? row_chat (row)->title : _("Untitled Chat"));
  t = adw_toast_new (title);
  adw_toast_set_button_label (t, _("_Undo"));
  g_object_set_data_full (G_OBJECT (t), "regard-chat-id", g_memdup2 (&chat_id, sizeof chat_id), g_free);
  /* The toast is not inside the sidebar, so its button cannot reach the
   * sidebar's actions by name. */
  g_signal_connect_object (t, "button-clicked", G_CALLBACK (toast_undo), self, 0);
  g_signal_connect_object (t, "dismissed", G_CALLBACK (toast_dismissed), self, 0);
  adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), t);
}

void
regard_history_sidebar_flush (RegardHistorySidebar *self)
{
  while (self->pending_deletes->len > 0)
    delete_now (self, g_array_index (self->pending_deletes, gint64, 0));
}

/* ---- Rename ----------------------------------------------------------- */

static void
rename_response (AdwMessageDialog *dialog, const char *response, RegardHistorySidebar *self)
{
  GtkEditable *entry = g_object_get_data (G_OBJECT (dialog), "regard-entry");
  gint64 chat_id = *(gint64 *) g_object_get_data (G_OBJECT (dialog), "regard-chat-id");
  g_autoptr(GError) error = NULL;
  g_autofree char *title = g_strstrip (g_strdup (gtk_editable_get_text (entry)));

  if (g_strcmp0 (response, "rename") != 0 || title[0] == '\0' || self->history == NULL)
    return;
  if (!regard_history_rename_chat (self->history, chat_id, title, &error))
    toast_error (self, _("Cannot rename the chat"), error);
  regard_history_sidebar_reload (self);
}

static void
rename_action (GtkWidget *widget, const char *name, GVariant *param)
{
  RegardHistorySidebar *self = REGARD_HISTORY_SIDEBAR (widget);
  gint64 chat_id = g_variant_get_int64 (param);
  GtkListBoxRow *row = find_row (self, chat_id);
  GtkWidget *dialog, *entry;

  if (row == NULL)
    return;
  dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (widget)), _("Rename Chat"), NULL);
  entry = gtk_entry_new ();
  gtk_editable_set_text (GTK_EDITABLE (entry), row_chat (row)->title);
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Chat title"), -1);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), entry);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"), "rename", _("_Rename"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "rename",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "rename");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data (G_OBJECT (dialog), "regard-entry", entry);
  g_object_set_data_full (G_OBJECT (dialog), "regard-chat-id", g_memdup2 (&chat_id, sizeof chat_id), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (rename_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (entry);
}

/* ---- Export ----------------------------------------------------------- */

static void
export_response (GtkNativeDialog *chooser, int response, RegardHistorySidebar *self)
{
  gint64 chat_id = *(gint64 *) g_object_get_data (G_OBJECT (chooser), "regard-chat-id");
  g_autoptr(GFile) folder = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;

  if (response == GTK_RESPONSE_ACCEPT && self->history
      && (folder = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser)))
      && (dir = g_file_get_path (folder)))
    {
      path = regard_history_export_markdown (self->history, chat_id, dir, &error);
      if (path)
        {
          g_autofree char *base = g_path_get_basename (path);
          /* Translators: %s is the exported Markdown file's name */
          g_autofree char *text = g_strdup_printf (_("Exported “%s”"), base);
          toast (self, text);
        }
      else
        toast_error (self, _("Cannot export the chat"), error);
    }
  g_object_unref (chooser);
}

static void
export_action (GtkWidget *widget, const char *name, GVariant *param)
{
  RegardHistorySidebar *self = REGARD_HISTORY_SIDEBAR (widget);
  gint64 chat_id = g_variant_get_int64 (param);
  GtkFileChooserNative *chooser;

  chooser = gtk_file_chooser_native_new (_("Export as Markdown"),
                                         GTK_WINDOW (gtk_widget_get_root (widget)),
                                         GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                         _("_Export"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_object_set_data_full (G_OBJECT (chooser), "regard-chat-id", g_memdup2 (&chat_id, sizeof chat_id), g_free);
  g_signal_connect_object (chooser, "response", G_CALLBACK (export_response), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

/* ---- GObject ---------------------------------------------------------- */

static void
regard_history_sidebar_dispose (GObject *object)
{
  RegardHistorySidebar *self = REGARD_HISTORY_SIDEBAR (object);

  /* Closing the window is the toast going away: delete what was not
   * undone. */
  regard_history_sidebar_flush (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), REGARD_TYPE_HISTORY_SIDEBAR);
  G_OBJECT_CLASS (regard_history_sidebar_parent_class)->dispose (object);
}

static void
regard_history_sidebar_finalize (GObject *object)
{
  RegardHistorySidebar *self = REGARD_HISTORY_SIDEBAR (object);

  g_array_unref (self->pending_deletes);
  G_OBJECT_CLASS (regard_history_sidebar_parent_class)->finalize (object);
}

static void
regard_history_sidebar_class_init (RegardHistorySidebarClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = regard_history_sidebar_dispose;
  object_class->finalize = regard_history_sidebar_finalize;

  signals[CHAT_ACTIVATED] = g_signal_new ("chat-activated", G_TYPE_FROM_CLASS (klass),
                                          G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                          G_TYPE_NONE, 1, G_TYPE_INT64);
  signals[CHAT_DELETED] = g_signal_new ("chat-deleted", G_TYPE_FROM_CLASS (klass),
                                        G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                        G_TYPE_NONE, 1, G_TYPE_INT64);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/regardapp/Regard/regard-history-sidebar.ui");
  gtk_widget_class_bind_template_child (widget_class, RegardHistorySidebar, search_entry);
  gtk_widget_class_bind_template_child (widget_class, RegardHistorySidebar, stack);
  gtk_widget_class_bind_template_child (widget_class, RegardHistorySidebar, scroller);
  gtk_widget_class_bind_template_child (widget_class, RegardHistorySidebar, list_box);
  gtk_widget_class_bind_template_child (widget_class, RegardHistorySidebar, empty_page);

  gtk_widget_class_install_action (widget_class, "history.rename", "x", rename_action);
  gtk_widget_class_install_action (widget_class, "history.export", "x", export_action);
  gtk_widget_class_install_action (widget_class, "history.delete", "x", delete_action);
  gtk_widget_class_install_action (widget_class, "history.undo-delete", "x", undo_delete_action);
}

static void
regard_history_sidebar_init (RegardHistorySidebar *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->pending_deletes = g_array_new (FALSE, FALSE, sizeof (gint64));

  gtk_list_box_set_header_func (self->list_box, update_header, NULL, NULL);
  g_signal_connect_object (self->list_box, "row-activated", G_CALLBACK (row_activated), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->search_entry, "search-changed",
                           G_CALLBACK (regard_history_sidebar_reload), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->scroller, "edge-reached", G_CALLBACK (edge_reached), self,
                           G_CONNECT_SWAPPED);
  update_empty (self);
}

GtkWidget *
regard_history_sidebar_new (void)
{
  return g_object_new (REGARD_TYPE_HISTORY_SIDEBAR, NULL);
}

void
regard_history_sidebar_set_history (RegardHistorySidebar *self, RegardHistory *history)
{
  self->history = history;
  regard_history_sidebar_reload (self);
}

void
regard_history_sidebar_set_current (RegardHistorySidebar *self, gint64 chat_id)
{
  GtkListBoxRow *row;

  self->current = chat_id;
  row = chat_id ? find_row (self, chat_id) : NULL;
  if (row)
    gtk_list_box_select_row (self->list_box, row);
  else
    gtk_list_box_unselect_all (self->list_box);
}

GtkSearchEntry *
regard_history_sidebar_get_search_entry (RegardHistorySidebar *self)
{
  return self->search_entry;
}

guint
regard_history_sidebar_get_n_visible (RegardHistorySidebar *self)
{
  guint n = 0;

  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->list_box));
       child; child = gtk_widget_get_next_sibling (child))
    if (GTK_IS_LIST_BOX_ROW (child) && gtk_widget_get_visible (child))
      n++;
  return n;
}
