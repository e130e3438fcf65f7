/* regard-window-download.c: fetch IDEFICS2 from the Hugging Face hub.
 *
 * The download resumes where an earlier one stopped; its progress shows on
 * the loading page and the model loads when every file is verified.
 *
 * Copyright 2025 The Regard authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "regard-download.h"
#include "regard-window-private.h"

#define DEFAULT_REPO "HuggingFaceM4/idefics2-8b"

static void
download_progress_cb (const RegardDownloadProgress *progress,
                      gpointer                      user_data)
{
  RegardWindow *self = user_data;
  g_autofree char *done = g_format_size (progress->done_bytes);
  g_autofree char *total = g_format_size (progress->total_bytes);
  g_autofree char *text = NULL;

  if (progress->phase == REGARD_DOWNLOAD_PHASE_RESOLVING || progress->total_bytes == 0)
    {
      gtk_progress_bar_pulse (self->load_progress);
      gtk_progress_bar_set_text (self->load_progress, _("Looking up the model…"));
      return;
    }

  /* Translators: download progress, e.g. "1.2 GB of 16.0 GB" */
  text = g_strdup_printf (_("%s of %s"), done, total);
  gtk_progress_bar_set_fraction (self->load_progress,
                                 (double)progress->done_bytes / (double)progress->total_bytes);
  gtk_progress_bar_set_text (self->load_progress, text);
}

static void
download_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(RegardWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = regard_download_run_finish (self->download, result, &error);

  g_clear_pointer (&self->download, regard_download_free);
  g_clear_object (&self->download_cancellable);

  if (dir == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_autofree char *title = g_strdup_printf (_("Download failed: %s"), error->message);
          AdwToast *toast = adw_toast_new (title);

          adw_toast_set_timeout (toast, 0);
          adw_toast_overlay_add_toast (self->toast_overlay, toast);
        }
      else
        _regard_window_toast (self, _("Download paused. It resumes where it stopped next time."));

      _regard_window_update_state (self);
      return;
    }

  /* The settings' changed handler loads it. */
  g_settings_set_string (self->settings, "model-folder", dir);
  if (g_strcmp0 (dir, regard_session_get_model_dir (self->session)) == 0)
    regard_window_load_model (self, dir);
  _regard_window_update_state (self);
}

static void
regard_window_start_download (RegardWindow *self)
{
  RegardDownloadParams params = regard_download_params_default ();
  g_autoptr(GError) error = NULL;

  if (self->download != NULL)
    return;

  params.repo = DEFAULT_REPO;
  self->download = regard_download_new (&params, &error);
  if (self->download == NULL)
    {
      _regard_window_toast (self, error->message);
      return;
    }

  self->download_cancellable = g_cancellable_new ();
  _regard_window_update_state (self);
  gtk_progress_bar_set_fraction (self->load_progress, 0.0);

  regard_download_run_async (self->download, self->download_cancellable,
                             download_progress_cb, self,
                             download_cb, g_object_ref (self));
}

static void
download_response_cb (AdwMessageDialog *dialog,
                      const char       *response,
                      RegardWindow     *self)
{
  if (g_str_equal (response, "download"))
    regard_window_start_download (self);
}

void
_regard_window_download (RegardWindow *self)
{
  g_autofree char *installed = regard_model_find_installed (DEFAULT_REPO);
  g_autofree char *models_dir = NULL;
  g_autofree char *body = NULL;
  GtkWidget *dialog;

  if (installed != NULL)
    {
      g_settings_set_string (self->settings, "model-folder", installed);
      return;
    }

  models_dir = regard_models_dir ();
  body = g_strdup_printf (_("Regard will download %s, about 16 GB, from Hugging Face into %s. "
                            "An interrupted download resumes where it stopped. "
                            "Once the model is there, Regard needs no network."),
                          DEFAULT_REPO, models_dir);

  dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Download the Model?"), body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "download", _("_Download"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "download",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "download");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (download_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}
