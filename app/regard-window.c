/* regard-window.c: state, model loading, scrolling and set-up (the ask
 * flow is in regard-window-ask.c).
 *
 * Copyright 2025 The Regard authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "regard-a11y.h"
#include "regard-window-private.h"

G_DEFINE_FINAL_TYPE (RegardWindow, regard_window, ADW_TYPE_APPLICATION_WINDOW)

/* In the chat, toasts rise from the bottom of the transcript, above the
 * composer, so they never cover the question being typed. */
void
_regard_window_add_toast (RegardWindow *self,
                          AdwToast     *toast)
{
  g_free (self->last_notice);
  self->last_notice = g_strdup (adw_toast_get_title (toast));

  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "chat") == 0)
    adw_toast_overlay_add_toast (self->chat_toast_overlay, toast);
  else
    adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

void
_regard_window_focus_composer (RegardWindow *self)
{
  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "chat") == 0)
    gtk_widget_grab_focus (GTK_WIDGET (self->composer));
}

void
_regard_window_toast (RegardWindow *self,
                      const char   *title)
{
  _regard_window_add_toast (self, adw_toast_new (title));
}

void
_regard_window_refuse_image (RegardWindow *self,
                             const char   *message)
{
  AdwToast *toast = adw_toast_new (message);

  adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
  adw_toast_set_timeout (toast, 8);
  _regard_window_add_toast (self, toast);
}

char *
_regard_window_get_question (RegardWindow *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->composer);
  GtkTextIter begin, end;
  char *text;

  gtk_text_buffer_get_bounds (buffer, &begin, &end);
  text = gtk_text_buffer_get_text (buffer, &begin, &end, FALSE);

  return g_strstrip (text);
}

void
_regard_window_update_actions (RegardWindow *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  gboolean ready = regard_session_get_state (self->session) == REGARD_SESSION_READY;
  gboolean busy = self->ask_cancellable != NULL;
  g_autofree char *question = _regard_window_get_question (self);
  gboolean has_input = question[0] != '\0' || self->attachments->len > 0;

  gtk_widget_action_set_enabled (widget, "win.send",
                                 ready && !busy && has_input && self->n_loading == 0);
  gtk_widget_action_set_enabled (widget, "win.stop", busy);
  gtk_widget_action_set_enabled (widget, "win.regenerate",
                                 ready && !busy && self->last_answer != NULL);
  gtk_widget_action_set_enabled (widget, "win.new-chat", !busy && self->n_messages > 0);
  gtk_widget_action_set_enabled (widget, "win.copy-answer",
                                 self->last_answer != NULL &&
                                 regard_message_get_text (self->last_answer)[0] != '\0');
  gtk_widget_action_set_enabled (widget, "win.extract-text", ready && !busy);
  gtk_widget_action_set_enabled (widget, "win.cancel-load",
                                 self->download != NULL ||
                                 regard_session_get_state (self->session) == REGARD_SESSION_LOADING);
  gtk_widget_action_set_enabled (widget, "win.download", self->download == NULL);

  gtk_stack_set_visible_child_name (self->send_stop_stack, busy ? "stop" : "send");
  gtk_widget_set_visible (GTK_WIDGET (self->composer_placeholder), question[0] == '\0');
  gtk_revealer_set_reveal_child (self->pending_revealer, self->attachments->len > 0);
  gtk_stack_set_visible_child_name (self->transcript_stack,
                                    self->n_messages > 0 ? "transcript" : "hint");
}

void
_regard_window_update_state (RegardWindow *self)
{
  RegardSessionState state = regard_session_get_state (self->session);
  const char *model_name = regard_session_get_model_name (self->session);
  const char *device_name = regard_session_get_device_name (self->session);
  gboolean on_cpu = state == REGARD_SESSION_READY &&
                    regard_session_get_device_is_cpu (self->session);
  /* A chat reopened from the history while no model is loaded is shown
   * read-only: the transcript, and a way to a model above it. */
  gboolean chat_without_model = (state == REGARD_SESSION_EMPTY || state == REGARD_SESSION_FAILED) &&
                                self->n_messages > 0;

  switch (state)
    {
    case REGARD_SESSION_EMPTY:
      adw_status_page_set_title (self->empty_page, _("Choose a Model"));
      adw_status_page_set_description (self->empty_page,
                                       _("Regard answers questions about images with a vision-language model (SmolVLM, IDEFICS), on your own computer. "
                                         "Choose the folder of a model you already have, with its config.json and safetensors weights, "
                                         "or download one from Hugging Face: the small SmolVLM runs on any computer."));
      gtk_stack_set_visible_child_name (self->main_stack, "empty");
      adw_window_title_set_subtitle (self->window_title, NULL);
      break;

    case REGARD_SESSION_FAILED:
      {
        const GError *error = regard_session_get_error (self->session);
        g_autofree char *escaped = g_markup_escape_text (error ? error->message : "", -1);

        adw_status_page_set_title (self->empty_page, _("The Model Could Not Be Loaded"));
        adw_status_page_set_description (self->empty_page, escaped);
        gtk_stack_set_visible_child_name (self->main_stack, "empty");
        adw_window_title_set_subtitle (self->window_title, NULL);
      }
      break;

    case REGARD_SESSION_LOADING:
      {
        const char *dir = regard_session_get_model_dir (self->session);
        g_autofree char *base = dir ? g_path_get_basename (dir) : NULL;
        g_autofree char *escaped = base ? g_markup_escape_text (base, -1) : NULL;

        adw_status_page_set_description (self->loading_page, escaped);
        gtk_stack_set_visible_child_name (self->main_stack, "loading");
      }
      break;

    case REGARD_SESSION_READY:
      {
        g_autofree char *subtitle = NULL;

        /* Which model (its folder's name: the repo's for a download) and
         * which backend runs it, where. */
        if (regard_session_get_reference_backend (self->session))
          /* Translators: the window subtitle; %s is the model name */
          subtitle = g_strdup_printf (_("%s on the processor, reference backend"),
                                      model_name ? model_name : "");
        else if (model_name != NULL && device_name != NULL)
          /* Translators: the window subtitle: model name, then the device running it */
          subtitle = g_strdup_printf (_("%s on %s with Vulkan"), model_name, device_name);
        else
          subtitle = g_strdup (model_name ? model_name : device_name);

        adw_window_title_set_subtitle (self->window_title, subtitle);
        {
          const char *format = regard_session_get_weight_format (self->session);
          const char *reason = regard_session_get_format_reason (self->session);
          g_autofree char *tooltip = NULL;

          /* the weight format the engine chose, and why (memory budget) */
          if (format != NULL)
            /* Translators: a tooltip: the window subtitle, the weight format (e.g. "q8_0"), then why it was chosen */
            tooltip = g_strdup_printf (_("%s\nWeights: %s. %s"), subtitle, format, reason ? reason : "");
          gtk_widget_set_tooltip_text (GTK_WIDGET (self->window_title), tooltip ? tooltip : subtitle);
        }
        gtk_stack_set_visible_child_name (self->main_stack, "chat");
      }
      break;

    default:
      g_assert_not_reached ();
    }

  if (on_cpu)
    {
      g_autofree char *uuid = g_settings_get_string (self->settings, "device-uuid");

      const char *forced = g_getenv ("REGARD_BACKEND");
      gboolean reference = regard_session_get_reference_backend (self->session);
      const char *why = reference && forced != NULL && forced[0] != '\0'
                        /* Translators: REGARD_BACKEND is an environment variable, keep it as is */
                        ? _("REGARD_BACKEND asks for the reference backend: the model runs on the processor without Vulkan. Answers will be very slow.")
                        : reference
                        ? _("No Vulkan device was found: the model runs on the processor with the reference backend. Answers will be very slow.")
                        : uuid[0] != '\0'
                        ? _("The model runs on the processor, as chosen in Preferences. Answers will be slow.")
                        : _("The model runs on the processor because no Vulkan graphics card was found. Answers will be slow.");
      /* The way to Preferences is a link in the text, not a button beside
       * it: at 360 px a button left the text a narrow, tall column. */
      g_autofree char *markup = g_markup_printf_escaped ("%s <a href=\"app.preferences\">%s</a>", why, _("Preferences"));

      gtk_label_set_markup (self->cpu_banner_label, markup);
    }

  if (chat_without_model)
    {
      const GError *error = regard_session_get_error (self->session);
      g_autofree char *why = state == REGARD_SESSION_FAILED && error != NULL
                             /* Translators: a banner above a chat; %s is the load error */
                             ? g_strdup_printf (_("The model could not be loaded: %s"), error->message)
                             : g_strdup (_("No model is loaded, so this chat cannot go on yet."));
      g_autofree char *markup = g_markup_printf_escaped ("%s <a href=\"win.choose-model\">%s</a>",
                                                         why, _("Choose Model Folder…"));

      gtk_label_set_markup (self->cpu_banner_label, markup);
      gtk_stack_set_visible_child_name (self->main_stack, "chat");
    }

  if (self->download != NULL)
    {
      adw_status_page_set_title (self->loading_page, _("Downloading Model"));
      adw_status_page_set_description (self->loading_page, regard_download_get_repo (self->download));
      gtk_stack_set_visible_child_name (self->main_stack, "loading");
    }
  else if (self->download_paused && state != REGARD_SESSION_READY && state != REGARD_SESSION_LOADING)
    {
      /* The progress so far stays in view while paused. */
      adw_status_page_set_title (self->loading_page, _("Download Paused"));
      adw_status_page_set_description (self->loading_page, self->resume_repo);
      gtk_stack_set_visible_child_name (self->main_stack, "loading");
    }
  else
    adw_status_page_set_title (self->loading_page, _("Loading Model"));

  gtk_revealer_set_reveal_child (self->cpu_banner,
                                 on_cpu || (chat_without_model && self->download == NULL &&
                                            !self->download_paused));
  _regard_window_update_actions (self);
}

static gboolean
regard_window_banner_link_cb (RegardWindow *self,
                              const char   *uri,
                              GtkLabel     *label)
{
  gtk_widget_activate_action (GTK_WIDGET (self), uri, NULL);
  return TRUE;
}

static void
regard_window_progress_changed (RegardWindow *self)
{
  double progress = regard_session_get_progress (self->session);
  g_autofree char *text = g_strdup_printf (_("%.0f %%"), progress * 100.0);

  gtk_progress_bar_set_fraction (self->load_progress, progress);
  gtk_progress_bar_set_text (self->load_progress, text);
}

static void
regard_window_load_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(RegardWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!regard_session_load_finish (REGARD_SESSION (object), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_message ("Could not load the model: %s", error->message);
      return;
    }

  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    gtk_widget_grab_focus (GTK_WIDGET (self->composer));

  _regard_window_run_queued_ocr (self);
}

void
regard_window_load_model (RegardWindow *self,
                          const char   *model_dir)
{
  g_autofree char *device = NULL;

  g_return_if_fail (REGARD_IS_WINDOW (self));
  g_return_if_fail (model_dir != NULL);

  if (self->load_cancellable != NULL)
    g_cancellable_cancel (self->load_cancellable);
  g_clear_object (&self->load_cancellable);
  self->load_cancellable = g_cancellable_new ();

  device = g_settings_get_string (self->settings, "device-uuid");
  regard_session_load_async (self->session, model_dir, device,
                             self->load_cancellable,
                             regard_window_load_cb,
                             g_object_ref (self));
}

static void
regard_window_settings_changed (RegardWindow *self,
                                const char   *key,
                                GSettings    *settings)
{
  if (g_str_equal (key, "model-folder"))
    {
      g_autofree char *dir = g_settings_get_string (settings, key);

      if (dir[0] != '\0' && g_strcmp0 (dir, regard_session_get_model_dir (self->session)) != 0)
        regard_window_load_model (self, dir);
    }
  else if (g_str_equal (key, "device-uuid"))
    {
      const char *dir = regard_session_get_model_dir (self->session);

      if (dir != NULL && self->ask_cancellable == NULL)
        {
          g_autofree char *copy = g_strdup (dir);
          regard_window_load_model (self, copy);
        }
    }
}

/* ---- Asking ---------------------------------------------------------- */

/* ---- Scrolling ------------------------------------------------------- */

/* "Scroll to Bottom" only while something is below the view. */
static void
regard_window_update_scroll_button (RegardWindow  *self,
                                    GtkAdjustment *adj)
{
  double below = gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj) -
                 gtk_adjustment_get_value (adj);

  gtk_revealer_set_reveal_child (self->scroll_down_revealer, !self->stick_to_bottom && below > 24.0);
}

void
_regard_window_scroll_to_bottom (RegardWindow *self)
{
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (self->transcript_scroller);

  self->stick_to_bottom = TRUE;
  gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj));
}

static gboolean
regard_window_follow_cb (gpointer user_data)
{
  RegardWindow *self = user_data;
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (self->transcript_scroller);

  self->follow_id = 0;
  if (self->stick_to_bottom)
    gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj));

  return G_SOURCE_REMOVE;
}

static void
regard_window_vadjustment_changed (RegardWindow  *self,
                                   GtkAdjustment *adj)
{
  /* The content grew: follow it only if the reader was at the bottom.
   * Not from inside this signal: it comes during the viewport's
   * allocation, which drops the new position, so the last growth (an
   * answer's Copy/Regenerate row) would stay out of view. */
  if (self->stick_to_bottom && self->follow_id == 0)
    self->follow_id = g_idle_add (regard_window_follow_cb, self);
  regard_window_update_scroll_button (self, adj);
}

static void
regard_window_vadjustment_value_changed (RegardWindow  *self,
                                         GtkAdjustment *adj)
{
  double bottom = gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj);

  self->stick_to_bottom = gtk_adjustment_get_value (adj) >= bottom - 24.0;
  regard_window_update_scroll_button (self, adj);
}

/* ---- Composer -------------------------------------------------------- */

static gboolean
regard_window_composer_key_pressed (RegardWindow          *self,
                                    guint                  keyval,
                                    guint                  keycode,
                                    GdkModifierType        state,
                                    GtkEventControllerKey *controller)
{
  if ((keyval == GDK_KEY_Return || keyval == GDK_KEY_KP_Enter || keyval == GDK_KEY_ISO_Enter) &&
      (state & (GDK_SHIFT_MASK | GDK_CONTROL_MASK | GDK_ALT_MASK)) == 0)
    {
      gtk_widget_activate_action (GTK_WIDGET (self), "win.send", NULL);
      return GDK_EVENT_STOP;
    }

  return GDK_EVENT_PROPAGATE;
}

static void
regard_window_composer_paste (RegardWindow *self,
                              GtkTextView  *composer)
{
  if (regard_window_paste_image (self))
    g_signal_stop_emission_by_name (composer, "paste-clipboard");
}

/* ---- GObject --------------------------------------------------------- */

static gboolean
regard_window_close_request (GtkWindow *window)
{
  RegardWindow *self = REGARD_WINDOW (window);
  int width, height;

  gtk_window_get_default_size (window, &width, &height);
  g_settings_delay (self->settings);
  g_settings_set_int (self->settings, "window-width", width);
  g_settings_set_int (self->settings, "window-height", height);
  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (window));
  g_settings_apply (self->settings);

  _regard_window_stop (self);
  if (self->load_cancellable != NULL)
    g_cancellable_cancel (self->load_cancellable);
  /* The engine goes with the window, now: an answer in flight would
   * otherwise keep the session (and the engine) alive until it ended. */
  regard_session_close (self->session);

  return GTK_WINDOW_CLASS (regard_window_parent_class)->close_request (window);
}

static void
regard_window_dispose (GObject *object)
{
  RegardWindow *self = (RegardWindow *)object;

  g_clear_handle_id (&self->follow_id, g_source_remove);

  if (self->load_cancellable != NULL)
    g_cancellable_cancel (self->load_cancellable);
  if (self->ask_cancellable != NULL)
    g_cancellable_cancel (self->ask_cancellable);
  if (self->download_cancellable != NULL)
    g_cancellable_cancel (self->download_cancellable);
  if (self->attach_cancellable != NULL)
    g_cancellable_cancel (self->attach_cancellable);

  if (self->attachments != NULL)
    g_ptr_array_set_size (self->attachments, 0);

  gtk_widget_dispose_template (GTK_WIDGET (self), REGARD_TYPE_WINDOW);

  G_OBJECT_CLASS (regard_window_parent_class)->dispose (object);
}

static void
regard_window_finalize (GObject *object)
{
  RegardWindow *self = (RegardWindow *)object;

  g_clear_object (&self->settings);
  g_clear_object (&self->session);
  g_clear_pointer (&self->conv, regard_conversation_unref);
  g_clear_pointer (&self->attachments, g_ptr_array_unref);
  g_clear_object (&self->load_cancellable);
  g_clear_object (&self->attach_cancellable);
  g_clear_object (&self->ask_cancellable);
  g_clear_object (&self->answering);
  g_clear_object (&self->portal);
  g_clear_object (&self->download_cancellable);
  g_clear_pointer (&self->download, regard_download_free);
  g_clear_pointer (&self->resume_repo, g_free);
  g_clear_pointer (&self->last_notice, g_free);
  _regard_window_finalize_download (self);
  _regard_window_finalize_history (self);

  G_OBJECT_CLASS (regard_window_parent_class)->finalize (object);
}

static void
regard_window_class_init (RegardWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = regard_window_dispose;
  object_class->finalize = regard_window_finalize;
  window_class->close_request = regard_window_close_request;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/regardapp/Regard/regard-window.ui");
  gtk_widget_class_bind_template_child (widget_class, RegardWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, RegardWindow, chat_toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, RegardWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, RegardWindow, cpu_banner);
  gtk_widget_class_bind_template_child (widget_class, RegardWindow, cpu_banner_label);
  gtk_widget_class_bind_template_child (widget_class, RegardWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, RegardWindow, empty_page);
  gtk_widget_class_bind_template_child (widget_class, RegardWindow, loading_page);
  gtk_widget_class_bind_template_child (widget_class, RegardWindow, load_progress);
  gtk_widget_class_bind_template_child (widget_class, RegardWindow, transcript_stack);
  gtk_widget_class_bind_template_child (widget_class, RegardWindow, transcript_scroller);
  gtk_widget_class_bind_template_child (widget_class, RegardWindow, transcript_box);
  gtk_widget_class_bind_template_child (widget_class, RegardWindow, scroll_down_revealer);
  gtk_widget_class_bind_template_child (widget_class, RegardWindow, pending_revealer);
  gtk_widget_class_bind_template_child (widget_class, RegardWindow, pending_box);
  gtk_widget_class_bind_template_child (widget_class, RegardWindow, composer);
  gtk_widget_class_bind_template_child (widget_class, RegardWindow, composer_placeholder);
  gtk_widget_class_bind_template_child (widget_class, RegardWindow, send_stop_stack);
  gtk_widget_class_bind_template_child (widget_class, RegardWindow, drop_revealer);
  gtk_widget_class_bind_template_child (widget_class, RegardWindow, download_button);

  _regard_window_class_init_actions (widget_class);
  _regard_window_class_init_download (widget_class);
  _regard_window_class_init_history (widget_class);
}

static void
regard_window_init (RegardWindow *self)
{
  GtkEventController *key;
  GtkAdjustment *vadj;
  g_autofree char *model_dir = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new (APP_ID);
  self->session = regard_session_new ();
  self->conv = regard_conversation_new ();
  self->attachments = g_ptr_array_new_with_free_func ((GDestroyNotify)regard_attachment_free);
  self->attach_cancellable = g_cancellable_new ();
  self->stick_to_bottom = TRUE;

  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));

#if REGARD_DEBUG_BUILD
  gtk_widget_add_css_class (GTK_WIDGET (self), "devel");
#endif

  g_signal_connect_object (self->session, "notify::state",
                           G_CALLBACK (_regard_window_update_state), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->session, "notify::model-name",
                           G_CALLBACK (_regard_window_update_state), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->session, "notify::progress",
                           G_CALLBACK (regard_window_progress_changed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->settings, "changed",
                           G_CALLBACK (regard_window_settings_changed), self,
                           G_CONNECT_SWAPPED);

  key = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (key, GTK_PHASE_CAPTURE);
  g_signal_connect_object (key, "key-pressed",
                           G_CALLBACK (regard_window_composer_key_pressed), self,
                           G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self->composer), key);

  g_signal_connect_object (self->composer, "paste-clipboard",
                           G_CALLBACK (regard_window_composer_paste), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (gtk_text_view_get_buffer (self->composer), "changed",
                           G_CALLBACK (_regard_window_update_actions), self,
                           G_CONNECT_SWAPPED);

  vadj = gtk_scrolled_window_get_vadjustment (self->transcript_scroller);
  g_signal_connect_object (vadj, "changed",
                           G_CALLBACK (regard_window_vadjustment_changed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (vadj, "value-changed",
                           G_CALLBACK (regard_window_vadjustment_value_changed), self,
                           G_CONNECT_SWAPPED);

  g_signal_connect_object (self->cpu_banner_label, "activate-link",
                           G_CALLBACK (regard_window_banner_link_cb), self,
                           G_CONNECT_SWAPPED);

  _regard_window_init_attach (self);
  _regard_window_init_download (self);
  _regard_window_init_history (self);
  regard_a11y_fix_names (GTK_WIDGET (self));

  _regard_window_update_state (self);
  regard_window_progress_changed (self);

  model_dir = g_settings_get_string (self->settings, "model-folder");
  if (model_dir[0] != '\0')
    regard_window_load_model (self, model_dir);
}

RegardWindow *
regard_window_new (AdwApplication *application)
{
  return g_object_new (REGARD_TYPE_WINDOW,
                       "application", application,
                       NULL);
}

RegardSession *
regard_window_get_session (RegardWindow *self)
{
  g_return_val_if_fail (REGARD_IS_WINDOW (self), NULL);
  return self->session;
}

guint
regard_window_get_n_attachments (RegardWindow *self)
{
  g_return_val_if_fail (REGARD_IS_WINDOW (self), 0);
  return self->attachments->len;
}

guint
regard_window_get_n_loading (RegardWindow *self)
{
  g_return_val_if_fail (REGARD_IS_WINDOW (self), 0);
  return self->n_loading;
}

const char *
regard_window_get_page (RegardWindow *self)
{
  g_return_val_if_fail (REGARD_IS_WINDOW (self), NULL);
  return gtk_stack_get_visible_child_name (self->main_stack);
}

guint
regard_window_get_n_messages (RegardWindow *self)
{
  g_return_val_if_fail (REGARD_IS_WINDOW (self), 0);
  return self->n_messages;
}

gboolean
regard_window_get_busy (RegardWindow *self)
{
  g_return_val_if_fail (REGARD_IS_WINDOW (self), FALSE);
  return self->ask_cancellable != NULL;
}

const char *
regard_window_get_last_answer (RegardWindow *self)
{
  g_return_val_if_fail (REGARD_IS_WINDOW (self), NULL);
  return self->last_answer ? regard_message_get_text (self->last_answer) : NULL;
}

GtkWidget *
regard_window_get_last_answer_row (RegardWindow *self)
{
  g_return_val_if_fail (REGARD_IS_WINDOW (self), NULL);
  return self->last_answer ? GTK_WIDGET (self->last_answer) : NULL;
}

const char *
regard_window_get_last_status (RegardWindow *self)
{
  g_return_val_if_fail (REGARD_IS_WINDOW (self), NULL);
  return self->last_answer ? regard_message_get_status (self->last_answer) : NULL;
}

void
regard_window_set_question (RegardWindow *self,
                            const char   *text)
{
  g_return_if_fail (REGARD_IS_WINDOW (self));
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->composer), text, -1);
}
