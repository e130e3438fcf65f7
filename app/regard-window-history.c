/* regard-window-history.c: the window's link to the conversation history:
 * the sidebar (an AdwFlap around the window's content), recording each
 * question and streamed answer as it happens, and reopening a stored chat
 * so that asking again continues it.
 *
 * Copyright 2025 The Regard authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "regard-window-history.h"
#include "regard-window-private.h"

/* How often a streaming answer is committed: a crash loses at most this
 * much of it. */
#define SAVE_INTERVAL_US (250 * 1000)

struct _RegardWindowHistory
{
  RegardHistory *history;         /* owned; NULL when unavailable */
  RegardHistorySidebar *sidebar;  /* borrowed: inside the flap */
  AdwFlap *flap;                  /* borrowed: the toast overlay's child */
  gint64 chat_id;                 /* the open chat in the store, 0 before its first question */
  gint64 turn_id;                 /* the turn whose answer streams or was last given */
  gint64 saved_us;                /* when the streaming answer was last committed */
  gboolean reported;              /* a write error was shown: do not repeat it */
};

static gboolean
keep_history (RegardWindow *self)
{
  return self->history->history != NULL
         && g_settings_get_boolean (self->settings, "keep-history");
}

static void
report (RegardWindow *self, const char *what, const GError *error)
{
  g_autofree char *text = NULL;

  if (self->history->reported)
    return;
  self->history->reported = TRUE;
  text = g_strdup_printf ("%s: %s", what, error->message);
  _regard_window_toast (self, text);
}

/* ---- Recording -------------------------------------------------------- */

void
_regard_window_history_question (RegardWindow *self,
                                 const char   *question,
                                 GPtrArray    *attachments)
{
  RegardWindowHistory *h = self->history;
  g_autoptr(GPtrArray) images = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(GError) error = NULL;

  h->turn_id = 0;
  if (!keep_history (self))
    return;
  for (guint i = 0; i < attachments->len; i++)
    g_ptr_array_add (images, g_bytes_ref (((RegardAttachment *) g_ptr_array_index (attachments, i))->bytes));

  for (int attempt = 0; attempt < 2 && h->turn_id == 0; attempt++)
    {
      if (h->chat_id == 0)
        h->chat_id = regard_history_create_chat (h->history, NULL,
                                                 regard_session_get_model_name (self->session),
                                                 regard_session_get_weight_format (self->session),
                                                 &error);
      if (h->chat_id != 0)
        h->turn_id = regard_history_add_turn (h->history, h->chat_id, question, images, &error);
      /* The chat was deleted meanwhile (another window, Preferences):
       * this question starts a new one. */
      if (h->turn_id == 0 && g_error_matches (error, REGARD_HISTORY_ERROR, REGARD_HISTORY_ERROR_NOT_FOUND))
        {
          h->chat_id = 0;
          g_clear_error (&error);
          continue;
        }
      break;
    }
  if (h->turn_id == 0)
    {
      report (self, _("This chat is not being saved"), error);
      return;
    }
  regard_history_sidebar_reload (h->sidebar);
  regard_history_sidebar_set_current (h->sidebar, h->chat_id);
}

void
_regard_window_history_answer_started (RegardWindow *self)
{
  RegardWindowHistory *h = self->history;
  g_autoptr(GError) error = NULL;

  h->saved_us = g_get_monotonic_time ();
  /* A regenerated answer starts over in the same turn. */
  if (h->turn_id != 0 && keep_history (self)
      && !regard_history_set_answer (h->history, h->turn_id, "", &error))
    report (self, _("This chat is not being saved"), error);
}

void
_regard_window_history_token (RegardWindow *self)
{
  RegardWindowHistory *h = self->history;
  g_autoptr(GError) error = NULL;
  gint64 now = g_get_monotonic_time ();

  if (h->turn_id == 0 || self->answering == NULL || now - h->saved_us < SAVE_INTERVAL_US
      || !keep_history (self))
    return;
  h->saved_us = now;
  if (!regard_history_set_answer (h->history, h->turn_id, regard_message_get_text (self->answering), &error))
    report (self, _("This chat is not being saved"), error);
}

void
_regard_window_history_answer_done (RegardWindow         *self,
                                    const char           *answer,
                                    const char           *stop_reason,
                                    const RegardAskStats *stats)
{
  RegardWindowHistory *h = self->history;
  RegardHistoryTimings timings = { 0 };
  g_autoptr(GError) error = NULL;

  if (h->turn_id == 0 || !keep_history (self))
    return;
  if (stats)
    {
      timings.prompt_tokens = stats->prompt_tokens;
      timings.cached_tokens = stats->cached_tokens;
      timings.generated_tokens = stats->generated_tokens;
      timings.image_encode_ms = stats->image_encode_ms;
      timings.prefill_ms = stats->prefill_ms;
      timings.decode_tokens_per_s = stats->decode_tokens_per_s;
    }
  if (!regard_history_finish_turn (h->history, h->turn_id, answer, stop_reason, &timings, &error))
    report (self, _("This chat is not being saved"), error);
  regard_history_sidebar_reload (h->sidebar);
}

void
_regard_window_history_new_chat (RegardWindow *self)
{
  self->history->chat_id = 0;
  self->history->turn_id = 0;
  regard_history_sidebar_set_current (self->history->sidebar, 0);
}

/* ---- Reopening -------------------------------------------------------- */

static const char *
stop_status (const RegardHistoryTurn *turn)
{
  if (!turn->finished)
    return _("Interrupted: Regard closed before the answer was complete");
  if (g_str_equal (turn->stop_reason, "cancelled"))
    return _("Stopped");
  if (g_str_equal (turn->stop_reason, "max-tokens"))
    return _("Stopped at the answer length limit");
  if (g_str_equal (turn->stop_reason, "context-full"))
    return _("The conversation is too long for the model. Start a new chat to continue.");
  if (g_str_equal (turn->stop_reason, "error"))
    return _("No answer");
  return NULL;
}

static void
add_turn_rows (RegardWindow *self, const RegardHistoryTurn *turn)
{
  GtkWidget *row = regard_message_new (REGARD_ROLE_USER);
  const char *status = stop_status (turn);
  gboolean answered;

  for (guint i = 0; turn->images[i]; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *data = NULL;
      gsize size = 0;
      g_autoptr(GBytes) bytes = NULL;
      g_autoptr(GdkTexture) texture = NULL;

      if (!g_file_get_contents (turn->images[i], &data, &size, &error))
        {
          g_message ("A stored image is missing: %s", error->message);
          continue;
        }
      bytes = g_bytes_new_take (g_steal_pointer (&data), size);
      regard_conversation_add_image_bytes (self->conv, REGARD_ROLE_USER, bytes);
      texture = gdk_texture_new_from_bytes (bytes, &error);
      if (texture)
        regard_message_add_image (REGARD_MESSAGE (row), texture, texture, _("Attached image"));
    }
  if (turn->question[0] != '\0')
    regard_conversation_add_text (self->conv, REGARD_ROLE_USER, turn->question);
  regard_message_set_text (REGARD_MESSAGE (row), turn->question);
  gtk_box_append (self->transcript_box, row);
  self->n_messages++;

  answered = turn->answer[0] != '\0' || (turn->finished && !g_str_equal (turn->stop_reason, "error"));
  if (!answered)
    {
      self->conv_ends_with_answer = FALSE;
      return;
    }
  row = regard_message_new (REGARD_ROLE_ASSISTANT);
  regard_message_set_text (REGARD_MESSAGE (row), turn->answer);
  if (status)
    regard_message_set_status (REGARD_MESSAGE (row), status);
  regard_conversation_add_text (self->conv, REGARD_ROLE_ASSISTANT, turn->answer);
  gtk_box_append (self->transcript_box, row);
  self->n_messages++;
  self->last_answer = REGARD_MESSAGE (row);
  self->conv_ends_with_answer = TRUE;
}

void
regard_window_open_chat (RegardWindow *self,
                         gint64        chat_id)
{
  RegardWindowHistory *h = self->history;
  g_autoptr(GPtrArray) turns = NULL;
  g_autoptr(GError) error = NULL;

  if (h->history == NULL || self->ask_cancellable != NULL)
    {
      if (self->ask_cancellable != NULL)
        _regard_window_toast (self, _("Stop the answer before opening another chat"));
      regard_history_sidebar_set_current (h->sidebar, h->chat_id);
      return;
    }
  turns = regard_history_get_turns (h->history, chat_id, &error);
  if (turns == NULL)
    {
      g_autofree char *text = g_strdup_printf ("%s: %s", _("Cannot open the chat"), error->message);
      _regard_window_toast (self, text);
      return;
    }
  _regard_window_new_chat (self);
  for (guint i = 0; i < turns->len; i++)
    {
      /* As when sending: a question that got no answer leaves the
       * model's view of the chat (it stays in the transcript). */
      if (!self->conv_ends_with_answer && regard_conversation_get_n_turns (self->conv) > 0)
        regard_conversation_pop_turn (self->conv);
      add_turn_rows (self, g_ptr_array_index (turns, i));
    }
  if (self->last_answer)
    regard_message_set_can_regenerate (self->last_answer, TRUE);
  /* Asking again continues this chat: the engine gets the whole
   * conversation (the KV cache keeps whatever prefix it shares). */
  h->chat_id = chat_id;
  h->turn_id = turns->len ? ((RegardHistoryTurn *) g_ptr_array_index (turns, turns->len - 1))->id : 0;
  regard_history_sidebar_set_current (h->sidebar, chat_id);
  /* Shows the chat even while no model is loaded (read-only then). */
  _regard_window_update_state (self);
  _regard_window_scroll_to_bottom (self);
  if (adw_flap_get_folded (h->flap))
    adw_flap_set_reveal_flap (h->flap, FALSE);
}

static void
chat_deleted (RegardWindow *self, gint64 chat_id)
{
  if (chat_id == self->history->chat_id && self->ask_cancellable == NULL)
    _regard_window_new_chat (self);
  else if (chat_id == self->history->chat_id)
    self->history->chat_id = 0;
}

void
regard_window_history_changed (RegardWindow *self)
{
  self->history->reported = FALSE;
  regard_history_sidebar_reload (self->history->sidebar);
}

/* ---- Set-up ----------------------------------------------------------- */

static void
show_history_action (GtkWidget *widget, const char *name, GVariant *param)
{
  RegardWindow *self = REGARD_WINDOW (widget);
  gboolean reveal = !adw_flap_get_reveal_flap (self->history->flap);

  adw_flap_set_reveal_flap (self->history->flap, reveal);
  if (reveal)
    gtk_widget_grab_focus (GTK_WIDGET (regard_history_sidebar_get_search_entry (self->history->sidebar)));
}

static GtkWidget *
find_header_bar (GtkWidget *widget)
{
  if (ADW_IS_HEADER_BAR (widget))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_header_bar (child);

      if (found)
        return found;
    }
  return NULL;
}

void
_regard_window_class_init_history (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "win.show-history", NULL, show_history_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F9, 0, "win.show-history", NULL);
}

void
_regard_window_init_history (RegardWindow *self)
{
  RegardWindowHistory *h = g_new0 (RegardWindowHistory, 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GtkWidget) content = NULL;
  GObject *header_bar;
  const GError *reason = NULL;


  self->history = h;
  h->history = regard_history_open (NULL, &error);
  if (h->history == NULL)
    report (self, _("The chat history is not available"), error);
  else if (regard_history_get_recovery (h->history, &reason))
    _regard_window_toast (self, _("The chat history was damaged and has been set aside. A new one was started."));

  /* The flap wraps the window's content, inside the toast overlay, so
   * the sidebar's toasts (undo) show over the whole window. */
  content = g_object_ref (adw_toast_overlay_get_child (self->toast_overlay));
  adw_toast_overlay_set_child (self->toast_overlay, NULL);
  h->flap = ADW_FLAP (adw_flap_new ());
  adw_flap_set_content (h->flap, content);
  h->sidebar = REGARD_HISTORY_SIDEBAR (regard_history_sidebar_new ());
  adw_flap_set_flap (h->flap, GTK_WIDGET (h->sidebar));
  adw_flap_set_separator (h->flap, gtk_separator_new (GTK_ORIENTATION_VERTICAL));
  adw_flap_set_swipe_to_open (h->flap, FALSE);
  adw_toast_overlay_set_child (self->toast_overlay, GTK_WIDGET (h->flap));
  g_settings_bind (self->settings, "show-history", h->flap, "reveal-flap", G_SETTINGS_BIND_DEFAULT);

  /* The toggle goes in the content's header bar, found rather than named
   * so the window's template can change around it. */
  header_bar = G_OBJECT (find_header_bar (content));
  if (header_bar != NULL)
    {
      GtkWidget *toggle = gtk_toggle_button_new ();

      gtk_button_set_icon_name (GTK_BUTTON (toggle), "sidebar-show-symbolic");
      gtk_widget_set_tooltip_text (toggle, _("Show History"));
      gtk_accessible_update_property (GTK_ACCESSIBLE (toggle), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      _("Show History"), -1);
      g_object_bind_property (h->flap, "reveal-flap", toggle, "active",
                              G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
      adw_header_bar_pack_start (ADW_HEADER_BAR (header_bar), toggle);
    }

  g_signal_connect_object (h->sidebar, "chat-activated", G_CALLBACK (regard_window_open_chat), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (h->sidebar, "chat-deleted", G_CALLBACK (chat_deleted), self,
                           G_CONNECT_SWAPPED);
  regard_history_sidebar_set_history (h->sidebar, h->history);
}

void
_regard_window_finalize_history (RegardWindow *self)
{
  if (self->history == NULL)
    return;
  g_clear_pointer (&self->history->history, regard_history_close);
  g_clear_pointer (&self->history, g_free);
}

RegardHistorySidebar *
regard_window_get_history_sidebar (RegardWindow *self)
{
  return self->history->sidebar;
}
