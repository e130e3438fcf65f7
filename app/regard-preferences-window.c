/* regard-preferences-window.c: settings, bound to GSettings.
 *
 * Copyright 2025 The Regard authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "regard-engine.h"
#include "regard-history.h"
#include "regard-a11y.h"
#include "regard-preferences-window.h"
#include "regard-window.h"
#include "regard-window-history.h"

struct _RegardPreferencesWindow
{
  AdwPreferencesWindow parent_instance;

  /* Owned */
  GSettings *settings;
  GPtrArray *devices;        /* RegardDeviceInfo, NULL until listed */
  GCancellable *cancellable;

  /* Borrowed, from the template */
  AdwActionRow *model_row;
  AdwComboRow *device_row;
  AdwComboRow *splitting_row;
  GtkSpinButton *max_tokens_spin;
  GtkSpinButton *temperature_spin;
  GtkSwitch *keep_history_switch;

  gboolean updating_devices;
};

G_DEFINE_FINAL_TYPE (RegardPreferencesWindow, regard_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

static RegardWindow *
get_main_window (RegardPreferencesWindow *self)
{
  GtkWindow *parent = gtk_window_get_transient_for (GTK_WINDOW (self));

  return REGARD_IS_WINDOW (parent) ? REGARD_WINDOW (parent) : NULL;
}

/* The folder in use (it may come from --model), else the saved one. */
static void
update_model_row (RegardPreferencesWindow *self)
{
  g_autofree char *dir = g_settings_get_string (self->settings, "model-folder");
  RegardWindow *window = get_main_window (self);
  const char *in_use = window ? regard_session_get_model_dir (regard_window_get_session (window)) : NULL;

  if (in_use != NULL && in_use[0] != '\0')
    adw_action_row_set_subtitle (self->model_row, in_use);
  else
    adw_action_row_set_subtitle (self->model_row, dir[0] ? dir : _("None chosen"));
}

static void
model_chooser_response (GtkNativeDialog         *dialog,
                        int                      response,
                        RegardPreferencesWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) folder = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = folder ? g_file_get_path (folder) : NULL;

      /* Checked first: a folder that is not a model keeps the current one. */
      if (path != NULL && get_main_window (self) != NULL)
        regard_window_choose_model_folder (get_main_window (self), path);
      else if (path != NULL)
        g_settings_set_string (self->settings, "model-folder", path);
    }

  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
  g_object_unref (self);
}

static void
model_button_clicked_cb (RegardPreferencesWindow *self,
                         GtkButton               *button)
{
  GtkFileChooserNative *native;

  native = gtk_file_chooser_native_new (_("Choose Model Folder"),
                                        GTK_WINDOW (self),
                                        GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                        _("_Open"),
                                        _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  g_signal_connect (native, "response", G_CALLBACK (model_chooser_response), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

/* ---- Devices: listed off the main thread, stored by UUID -------------- */

static void
device_selected_cb (RegardPreferencesWindow *self)
{
  guint selected = adw_combo_row_get_selected (self->device_row);
  const char *uuid = "";

  if (self->updating_devices || self->devices == NULL)
    return;

  if (selected > 0 && selected - 1 < self->devices->len)
    uuid = ((RegardDeviceInfo *)g_ptr_array_index (self->devices, selected - 1))->uuid;

  g_settings_set_string (self->settings, "device-uuid", uuid);
}

static void
list_devices_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  GError *error = NULL;
  GPtrArray *devices = regard_list_devices (&error);

  if (devices == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, devices, (GDestroyNotify)g_ptr_array_unref);
}

static void
list_devices_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  RegardPreferencesWindow *self = REGARD_PREFERENCES_WINDOW (object);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) devices = g_task_propagate_pointer (G_TASK (result), &error);
  g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);
  g_autofree char *uuid = NULL;
  guint selected = 0;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  gtk_string_list_append (names, _("Automatic"));

  if (devices == NULL)
    {
      g_autofree char *subtitle = g_strdup_printf (_("No Vulkan device: %s"), error->message);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (self->device_row), subtitle);
      devices = g_ptr_array_new ();
    }

  uuid = g_settings_get_string (self->settings, "device-uuid");

  for (guint i = 0; i < devices->len; i++)
    {
      RegardDeviceInfo *info = g_ptr_array_index (devices, i);
      g_autofree char *label = NULL;

      if (info->is_cpu)
        /* Translators: a Vulkan device that is really the processor */
        label = g_strdup_printf (_("%s (processor, slow)"), info->name);
      else
        label = g_strdup (info->name);

      gtk_string_list_append (names, label);
      if (uuid[0] != '\0' && g_strcmp0 (uuid, info->uuid) == 0)
        selected = i + 1;
    }

  g_clear_pointer (&self->devices, g_ptr_array_unref);
  self->devices = g_steal_pointer (&devices);

  self->updating_devices = TRUE;
  adw_combo_row_set_model (self->device_row, G_LIST_MODEL (names));
  adw_combo_row_set_selected (self->device_row, selected);
  self->updating_devices = FALSE;
  gtk_widget_set_sensitive (GTK_WIDGET (self->device_row), TRUE);
}

/* ---- Image splitting: enum <-> combo position --------------------------- */

static gboolean
splitting_get_mapping (GValue   *value,
                       GVariant *variant,
                       gpointer  user_data)
{
  const char *nick = g_variant_get_string (variant, NULL);

  g_value_set_uint (value, g_str_equal (nick, "off") ? 1 : g_str_equal (nick, "on") ? 2 : 0);
  return TRUE;
}

static GVariant *
splitting_set_mapping (const GValue       *value,
                       const GVariantType *expected_type,
                       gpointer            user_data)
{
  static const char *nicks[] = { "auto", "off", "on" };
  guint selected = g_value_get_uint (value);

  return g_variant_new_string (nicks[MIN (selected, 2)]);
}

static void
delete_history_response (AdwMessageDialog        *dialog,
                         const char              *response,
                         RegardPreferencesWindow *self)
{
  g_autoptr(RegardHistory) history = NULL;
  g_autoptr(GError) error = NULL;
  GtkApplication *app = GTK_APPLICATION (g_application_get_default ());

  if (g_strcmp0 (response, "delete") != 0)
    return;
  history = regard_history_open (NULL, &error);
  if (history == NULL || !regard_history_delete_all (history, &error))
    {
      g_autofree char *text = g_strdup_printf ("%s: %s", _("Cannot delete the chats"), error->message);
      adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), adw_toast_new (text));
      return;
    }
  adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), adw_toast_new (_("All chats deleted")));
  for (GList *l = app ? gtk_application_get_windows (app) : NULL; l; l = l->next)
    if (REGARD_IS_WINDOW (l->data))
      regard_window_history_changed (REGARD_WINDOW (l->data));
}

static void
delete_history_clicked_cb (RegardPreferencesWindow *self)
{
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Delete All Chats?"),
                                              _("Every stored chat and its images will be permanently deleted."));

  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"), "delete", _("_Delete"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "delete",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (delete_history_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
regard_preferences_window_dispose (GObject *object)
{
  RegardPreferencesWindow *self = (RegardPreferencesWindow *)object;

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), REGARD_TYPE_PREFERENCES_WINDOW);

  G_OBJECT_CLASS (regard_preferences_window_parent_class)->dispose (object);
}

static void
regard_preferences_window_finalize (GObject *object)
{
  RegardPreferencesWindow *self = (RegardPreferencesWindow *)object;

  g_clear_object (&self->settings);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->devices, g_ptr_array_unref);

  G_OBJECT_CLASS (regard_preferences_window_parent_class)->finalize (object);
}

static void
regard_preferences_window_class_init (RegardPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = regard_preferences_window_dispose;
  object_class->finalize = regard_preferences_window_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/regardapp/Regard/regard-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, RegardPreferencesWindow, model_row);
  gtk_widget_class_bind_template_child (widget_class, RegardPreferencesWindow, device_row);
  gtk_widget_class_bind_template_child (widget_class, RegardPreferencesWindow, splitting_row);
  gtk_widget_class_bind_template_child (widget_class, RegardPreferencesWindow, max_tokens_spin);
  gtk_widget_class_bind_template_child (widget_class, RegardPreferencesWindow, temperature_spin);
  gtk_widget_class_bind_template_child (widget_class, RegardPreferencesWindow, keep_history_switch);
  gtk_widget_class_bind_template_callback (widget_class, model_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, delete_history_clicked_cb);
}

static void
regard_preferences_window_init (RegardPreferencesWindow *self)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GtkStringList) names = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));
  regard_a11y_fix_names (GTK_WIDGET (self));

  self->settings = g_settings_new (APP_ID);
  self->cancellable = g_cancellable_new ();

  g_settings_bind (self->settings, "max-new-tokens",
                   gtk_spin_button_get_adjustment (self->max_tokens_spin), "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "temperature",
                   gtk_spin_button_get_adjustment (self->temperature_spin), "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "keep-history",
                   self->keep_history_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind_with_mapping (self->settings, "image-splitting",
                                self->splitting_row, "selected",
                                G_SETTINGS_BIND_DEFAULT,
                                splitting_get_mapping, splitting_set_mapping,
                                NULL, NULL);

  g_signal_connect_object (self->settings, "changed::model-folder",
                           G_CALLBACK (update_model_row), self,
                           G_CONNECT_SWAPPED);
  update_model_row (self);

  names = gtk_string_list_new (NULL);
  gtk_string_list_append (names, _("Looking for devices…"));
  adw_combo_row_set_model (self->device_row, G_LIST_MODEL (names));
  gtk_widget_set_sensitive (GTK_WIDGET (self->device_row), FALSE);
  g_signal_connect_object (self->device_row, "notify::selected",
                           G_CALLBACK (device_selected_cb), self,
                           G_CONNECT_SWAPPED);

  task = g_task_new (self, self->cancellable, list_devices_cb, NULL);
  g_task_set_source_tag (task, regard_preferences_window_init);
  g_task_run_in_thread (task, list_devices_thread);
}

GtkWidget *
regard_preferences_window_new (GtkWindow *transient_for)
{
  RegardPreferencesWindow *self = g_object_new (REGARD_TYPE_PREFERENCES_WINDOW,
                                                "transient-for", transient_for,
                                                NULL);
  RegardWindow *window = get_main_window (self);

  if (window != NULL)
    g_signal_connect_object (regard_window_get_session (window), "notify::state",
                             G_CALLBACK (update_model_row), self,
                             G_CONNECT_SWAPPED);
  update_model_row (self);

  return GTK_WIDGET (self);
}
