/* regard-window-ask.c: the ask flow: sending a question, streaming its
 * answer into the transcript, stop, regenerate, new chat, text extraction.
 *
 * Copyright 2025 The Regard authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "regard-window-private.h"

static void
regard_window_append_message (RegardWindow *self,
                              GtkWidget    *message)
{
  gtk_box_append (self->transcript_box, message);
  self->n_messages++;
}

static void
regard_window_on_token (gint32      token_id,
                        const char *text,
                        gpointer    user_data)
{
  RegardWindow *self = user_data;

  if (self->answering != NULL)
    regard_message_append_text (self->answering, text);
  _regard_window_history_token (self);
}

static void
regard_window_ask_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(RegardWindow) self = user_data;
  g_autoptr(RegardMessage) row = g_steal_pointer (&self->answering);
  g_autoptr(GError) error = NULL;
  RegardAskStats stats = { 0 };
  gboolean was_ocr = self->asking_ocr;
  const char *text;

  g_clear_object (&self->ask_cancellable);
  self->asking_ocr = FALSE;

  regard_message_set_streaming (row, FALSE);
  text = regard_message_get_text (row);

  if (regard_session_ask_finish (REGARD_SESSION (object), result, &stats, &error))
    {
      _regard_window_history_answer_done (self, text, regard_stop_reason_to_string (stats.stop_reason), &stats);
      regard_conversation_add_text (self->conv, REGARD_ROLE_ASSISTANT, text);
      self->conv_ends_with_answer = TRUE;

      switch (stats.stop_reason)
        {
        case REGARD_STOP_CANCELLED:
          regard_message_set_status (row, _("Stopped"));
          break;

        case REGARD_STOP_MAX_TOKENS:
          regard_message_set_status (row, _("Stopped at the answer length limit"));
          break;

        case REGARD_STOP_CONTEXT_FULL:
          regard_message_set_status (row, _("The conversation is too long for the model. Start a new chat to continue."));
          break;

        case REGARD_STOP_EOS:
        default:
          if (text[0] == '\0')
            regard_message_set_status (row, _("The model gave an empty answer"));
          break;
        }

      if (was_ocr && stats.stop_reason != REGARD_STOP_CANCELLED && text[0] != '\0')
        {
          AdwToast *toast = adw_toast_new (_("Text extracted"));

          adw_toast_set_button_label (toast, _("_Copy"));
          adw_toast_set_action_name (toast, "win.copy-answer");
          adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
          _regard_window_add_toast (self, toast);
        }
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      _regard_window_history_answer_done (self, text, "cancelled", NULL);
      regard_conversation_add_text (self->conv, REGARD_ROLE_ASSISTANT, text);
      self->conv_ends_with_answer = TRUE;
      regard_message_set_status (row, _("Stopped"));
    }
  else
    {
      g_autofree char *status = g_strdup_printf (_("No answer: %s"), error->message);

      _regard_window_history_answer_done (self, "", "error", NULL);

      self->conv_ends_with_answer = FALSE;
      regard_message_set_status (row, status);
      regard_message_set_is_error (row, TRUE);
    }

  if (row == self->last_answer)
    regard_message_set_can_regenerate (row, TRUE);

  _regard_window_update_actions (self);
  _regard_window_run_queued_ocr (self);
}

static void
regard_window_start_answer (RegardWindow *self)
{
  RegardAskParams params = regard_ask_params_default ();
  GtkWidget *row;
  int splitting;

  if (self->last_answer != NULL)
    regard_message_set_can_regenerate (self->last_answer, FALSE);

  row = regard_message_new (REGARD_ROLE_ASSISTANT);
  regard_message_set_streaming (REGARD_MESSAGE (row), TRUE);
  regard_window_append_message (self, row);
  self->last_answer = REGARD_MESSAGE (row);
  g_set_object (&self->answering, REGARD_MESSAGE (row));

  params.max_new_tokens = g_settings_get_uint (self->settings, "max-new-tokens");
  params.temperature = (float)g_settings_get_double (self->settings, "temperature");
  params.seed = g_random_int ();
  splitting = g_settings_get_enum (self->settings, "image-splitting");
  params.image_splitting = splitting == 1 ? 0 : splitting == 2 ? 1 : -1;

  self->ask_cancellable = g_cancellable_new ();
  self->stick_to_bottom = TRUE;
  _regard_window_history_answer_started (self);

  regard_session_ask_async (self->session, self->conv, &params,
                            self->ask_cancellable,
                            regard_window_on_token, self,
                            regard_window_ask_cb, g_object_ref (self));

  _regard_window_update_actions (self);
  _regard_window_scroll_to_bottom (self);
}

void
_regard_window_send (RegardWindow *self,
                     gboolean      ocr)
{
  g_autofree char *question = _regard_window_get_question (self);
  GtkWidget *row;

  if (regard_session_get_state (self->session) != REGARD_SESSION_READY ||
      self->ask_cancellable != NULL || self->n_loading > 0)
    return;

  if (ocr && self->attachments->len == 0)
    return;

  if (!ocr && question[0] == '\0' && self->attachments->len == 0)
    return;

  /* A question that got no answer leaves the model's view of the chat. */
  if (!self->conv_ends_with_answer && regard_conversation_get_n_turns (self->conv) > 0)
    regard_conversation_pop_turn (self->conv);

  row = regard_message_new (REGARD_ROLE_USER);

  for (guint i = 0; i < self->attachments->len; i++)
    {
      RegardAttachment *attachment = g_ptr_array_index (self->attachments, i);

      regard_conversation_add_image_bytes (self->conv, REGARD_ROLE_USER, attachment->bytes);
      if (attachment->texture != NULL)
        regard_message_add_image (REGARD_MESSAGE (row), attachment->texture, attachment->full, attachment->name);
    }

  if (ocr)
    {
      regard_conversation_add_text (self->conv, REGARD_ROLE_USER, regard_ocr_prompt ());
      regard_message_set_text (REGARD_MESSAGE (row), _("Extract the text from this image."));
    }
  else
    {
      if (question[0] != '\0')
        regard_conversation_add_text (self->conv, REGARD_ROLE_USER, question);
      regard_message_set_text (REGARD_MESSAGE (row), question);
      gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->composer), "", 0);
    }

  self->conv_ends_with_answer = FALSE;
  self->asking_ocr = !!ocr;
  _regard_window_history_question (self, ocr ? regard_ocr_prompt () : question, self->attachments);

  _regard_window_clear_attachments (self);
  regard_window_append_message (self, row);
  regard_window_start_answer (self);

  /* The send button (clicked) turns into Stop: keep typing where it was. */
  _regard_window_focus_composer (self);
}

void
_regard_window_stop (RegardWindow *self)
{
  if (self->ask_cancellable != NULL)
    g_cancellable_cancel (self->ask_cancellable);
}

void
_regard_window_regenerate (RegardWindow *self)
{
  if (self->last_answer == NULL || self->ask_cancellable != NULL ||
      regard_session_get_state (self->session) != REGARD_SESSION_READY)
    return;

  if (self->conv_ends_with_answer)
    regard_conversation_pop_turn (self->conv);
  self->conv_ends_with_answer = FALSE;

  gtk_box_remove (self->transcript_box, GTK_WIDGET (self->last_answer));
  self->last_answer = NULL;
  self->n_messages--;

  regard_window_start_answer (self);
}

void
_regard_window_new_chat (RegardWindow *self)
{
  GtkWidget *child;

  if (self->ask_cancellable != NULL)
    return;

  regard_conversation_clear (self->conv);
  self->conv_ends_with_answer = FALSE;
  self->last_answer = NULL;
  self->n_messages = 0;
  _regard_window_history_new_chat (self);

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->transcript_box))))
    gtk_box_remove (self->transcript_box, child);

  /* Without a model, an emptied chat goes back to the model choice. */
  _regard_window_update_state (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->composer));
}

void
_regard_window_run_queued_ocr (RegardWindow *self)
{
  if (!self->ocr_queued)
    return;

  if (regard_session_get_state (self->session) != REGARD_SESSION_READY ||
      self->ask_cancellable != NULL || self->n_loading > 0 ||
      self->attachments->len == 0)
    return;

  self->ocr_queued = FALSE;
  _regard_window_send (self, TRUE);
}

void
regard_window_extract_text (RegardWindow  *self,
                            GFile        **files,
                            guint          n_files)
{
  g_return_if_fail (REGARD_IS_WINDOW (self));

  self->ocr_queued = TRUE;

  for (guint i = 0; i < n_files; i++)
    regard_window_attach_image_file (self, files[i]);

  if (n_files == 0 && self->attachments->len == 0)
    _regard_window_take_screenshot (self);
  else
    _regard_window_run_queued_ocr (self);
}
