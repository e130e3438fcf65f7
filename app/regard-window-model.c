/* regard-window-model.c: choosing the model folder.
 *
 * A chosen folder is opened and checked (config, weights, tokenizer) off
 * the main thread before anything changes: a folder that is not a model
 * is explained, with its path, and the loaded model and the chat stay.
 *
 * Copyright 2025 The Regard authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "regard-window-private.h"

static void
check_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  const char *dir = task_data;
  GError *error = NULL;

  if (!regard_model_dir_check (dir, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
regard_window_model_refused (RegardWindow *self,
                             const char   *dir,
                             const GError *error)
{
  AdwMessageDialog *dialog;
  g_autofree char *body = NULL;

  if (strstr (error->message, dir) != NULL)
    /* Translators: why a folder cannot be used (the message names it) */
    body = g_strdup_printf (_("%s\n\nThe current model and the chat are kept."), error->message);
  else
    /* Translators: the folder's path, then why it cannot be used */
    body = g_strdup_printf (_("“%s” cannot be used: %s\n\nThe current model and the chat are kept."),
                            dir, error->message);
  g_free (self->last_notice);
  self->last_notice = g_strdup (body);

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self),
                                                       _("Not an IDEFICS2 Model Folder"),
                                                       body));
  adw_message_dialog_add_response (dialog, "close", _("_Close"));
  adw_message_dialog_add_response (dialog, "choose", _("C_hoose Another Folder…"));
  adw_message_dialog_set_default_response (dialog, "choose");
  adw_message_dialog_set_response_appearance (dialog, "choose", ADW_RESPONSE_SUGGESTED);
  g_signal_connect_object (dialog, "response::choose",
                           G_CALLBACK (_regard_window_choose_model), self,
                           G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
check_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  RegardWindow *self = REGARD_WINDOW (object);
  const char *dir = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      regard_window_model_refused (self, dir, error);
      return;
    }

  /* The settings' changed handler loads it. */
  if (g_strcmp0 (dir, regard_session_get_model_dir (self->session)) == 0)
    regard_window_load_model (self, dir);
  else
    g_settings_set_string (self->settings, "model-folder", dir);
}

void
regard_window_choose_model_folder (RegardWindow *self,
                                   const char   *dir)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (REGARD_IS_WINDOW (self));
  g_return_if_fail (dir != NULL);

  task = g_task_new (self, NULL, check_cb, NULL);
  g_task_set_source_tag (task, regard_window_choose_model_folder);
  g_task_set_task_data (task, g_strdup (dir), g_free);
  g_task_run_in_thread (task, check_thread);
}

static void
choose_model_response (GtkNativeDialog *dialog,
                       int              response,
                       RegardWindow    *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) folder = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = folder ? g_file_get_path (folder) : NULL;

      if (path != NULL)
        regard_window_choose_model_folder (self, path);
    }

  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
  _regard_window_focus_composer (self);
  g_object_unref (self);
}

void
_regard_window_choose_model (RegardWindow *self)
{
  GtkFileChooserNative *native;

  native = gtk_file_chooser_native_new (_("Choose Model Folder"),
                                        GTK_WINDOW (self),
                                        GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                        _("_Open"),
                                        _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  g_signal_connect (native, "response", G_CALLBACK (choose_model_response), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}
