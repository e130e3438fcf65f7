/* regard-window-actions.c: the win. actions.
 *
 * Copyright 2025 The Regard authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "regard-window-private.h"

static void
send_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  _regard_window_send (REGARD_WINDOW (widget), FALSE);
}

static void
stop_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  _regard_window_stop (REGARD_WINDOW (widget));
}

static void
regenerate_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *param)
{
  _regard_window_regenerate (REGARD_WINDOW (widget));
}

static void
new_chat_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *param)
{
  _regard_window_new_chat (REGARD_WINDOW (widget));
}

static void
copy_text (RegardWindow *self,
           const char   *text)
{
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), text);
  _regard_window_toast (self, _("Copied"));
}

static void
copy_answer_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *param)
{
  RegardWindow *self = REGARD_WINDOW (widget);

  if (self->last_answer != NULL)
    copy_text (self, regard_message_get_text (self->last_answer));
}

static void
copy_text_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  copy_text (REGARD_WINDOW (widget), g_variant_get_string (param, NULL));
}

static void
extract_text_response (RegardWindow *self,
                       const char   *response)
{
  if (g_strcmp0 (response, "screenshot") == 0)
    regard_window_extract_text (self, NULL, 0);
  else
    _regard_window_focus_composer (self);
}

static void
extract_text_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *param)
{
  RegardWindow *self = REGARD_WINDOW (widget);
  AdwMessageDialog *dialog;

  if (self->attachments->len > 0)
    {
      regard_window_extract_text (self, NULL, 0);
      return;
    }

  /* Nothing attached: say what happens (a screenshot) before doing it. */
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self),
                                                       _("Extract Text From a Screenshot?"),
                                                       _("No image is attached, so Regard will take a screenshot "
                                                         "and write out all the text in it. To read an image "
                                                         "instead, attach or paste it first.")));
  adw_message_dialog_add_response (dialog, "cancel", _("_Cancel"));
  adw_message_dialog_add_response (dialog, "screenshot", _("_Take Screenshot"));
  adw_message_dialog_set_response_appearance (dialog, "screenshot", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "screenshot");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (extract_text_response), self,
                           G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
attach_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  _regard_window_choose_images (REGARD_WINDOW (widget));
}

static void
screenshot_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *param)
{
  _regard_window_take_screenshot (REGARD_WINDOW (widget));
}

static void
paste_image_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *param)
{
  RegardWindow *self = REGARD_WINDOW (widget);

  if (!regard_window_paste_image (self))
    _regard_window_toast (self, _("The clipboard holds no image"));
}

static void
choose_model_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *param)
{
  _regard_window_choose_model (REGARD_WINDOW (widget));
}

static void
cancel_load_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *param)
{
  RegardWindow *self = REGARD_WINDOW (widget);

  if (self->download_cancellable != NULL)
    g_cancellable_cancel (self->download_cancellable);
  else if (self->load_cancellable != NULL)
    g_cancellable_cancel (self->load_cancellable);
}

static void
download_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *param)
{
  _regard_window_download (REGARD_WINDOW (widget));
}

static void
scroll_down_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *param)
{
  _regard_window_scroll_to_bottom (REGARD_WINDOW (widget));
}

void
_regard_window_class_init_actions (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "win.send", NULL, send_action);
  gtk_widget_class_install_action (widget_class, "win.stop", NULL, stop_action);
  gtk_widget_class_install_action (widget_class, "win.regenerate", NULL, regenerate_action);
  gtk_widget_class_install_action (widget_class, "win.new-chat", NULL, new_chat_action);
  gtk_widget_class_install_action (widget_class, "win.copy-answer", NULL, copy_answer_action);
  gtk_widget_class_install_action (widget_class, "win.copy-text", "s", copy_text_action);
  gtk_widget_class_install_action (widget_class, "win.extract-text", NULL, extract_text_action);
  gtk_widget_class_install_action (widget_class, "win.attach", NULL, attach_action);
  gtk_widget_class_install_action (widget_class, "win.screenshot", NULL, screenshot_action);
  gtk_widget_class_install_action (widget_class, "win.paste-image", NULL, paste_image_action);
  gtk_widget_class_install_action (widget_class, "win.choose-model", NULL, choose_model_action);
  gtk_widget_class_install_action (widget_class, "win.cancel-load", NULL, cancel_load_action);
  gtk_widget_class_install_action (widget_class, "win.scroll-down", NULL, scroll_down_action);
  gtk_widget_class_install_action (widget_class, "win.download", NULL, download_action);

  /* Escape stops an answer; as a class binding it runs after popovers
   * and dialogs had their chance at the key. */
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "win.stop", NULL);
}
