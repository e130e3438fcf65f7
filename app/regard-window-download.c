/* regard-window-download.c: fetch a model from the Hugging Face hub.
 *
 * "Download…" opens a small catalog of the models Regard runs (SmolVLM,
 * IDEFICS3, IDEFICS2, IDEFICS), the small ones first.
 * The chosen one downloads with its progress, rate and time left on the
 * loading page; Pause stops it keeping the .part files, Cancel stops it and
 * deletes them. A paused, failed or interrupted download (even one a
 * previous run of the app left behind) is offered for resume, and continues
 * where it stopped. The model loads once every file is verified.
 *
 * The hub is $REGARD_HF_ENDPOINT when set (the engine reads it), so tests
 * point the app at a loopback server.
 *
 * Copyright 2025 The Regard authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "regard-download.h"
#include "regard-window-private.h"

/* How often the rate and the time left may change on screen. */
#define DETAIL_INTERVAL_US (G_USEC_PER_SEC / 2)

typedef enum
{
  CATALOG_SMALL,            /* any computer, no graphics card needed */
  CATALOG_LARGE,            /* a graphics card with 8 GB or more */
} RegardCatalogGroup;

typedef struct
{
  const char *repo;
  const char *title;        /* translatable */
  const char *description;  /* translatable: what it is good at (and needs, in the small group) */
  guint64 size;             /* bytes on disk: the weights, the rest is small */
  RegardCatalogGroup group;
} RegardCatalogEntry;

/* Smallest first, so a newcomer without a big graphics card sees first
 * what runs on any computer; the first one is the default choice. Sizes are
 * the weights as the Hugging Face file lists show them (decimal, rounded
 * there to three digits; the rest of a snapshot is a few MB):
 * SmolVLM-256M 513 MB (bf16, model.safetensors); SmolVLM-500M about
 * 1.02 GB (507 M bf16 parameters, the size of its bf16 copies); SmolVLM
 * 2.2B 4.49 GB (bf16); Idefics3-8B 4.97 + 5 + 4.92 + 2.04 GB (bf16);
 * idefics-9b-instruct 9.97 + 7.89 GB (safetensors; its .bin copies are
 * not downloaded); IDEFICS2 8B exactly 33,611,072,448 bytes (float32,
 * model.safetensors.index.json: total_size). The hardware hints follow
 * from rg-budget: an 8B model needs its 4-bit form (about 5 GB) plus the
 * KV cache on the graphics card. */
static const RegardCatalogEntry catalog[] = {
  {
    "HuggingFaceTB/SmolVLM-256M-Instruct",
    N_("SmolVLM 256M"),
    N_("The smallest and fastest: about 1 GB of memory, no graphics card needed."),
    G_GUINT64_CONSTANT (513000000),
    CATALOG_SMALL,
  },
  {
    "HuggingFaceTB/SmolVLM-500M-Instruct",
    N_("SmolVLM 500M"),
    N_("Better answers, still fast without a graphics card: about 2 GB of memory."),
    G_GUINT64_CONSTANT (1020000000),
    CATALOG_SMALL,
  },
  {
    "HuggingFaceTB/SmolVLM-Instruct",
    N_("SmolVLM 2.2B"),
    N_("Reads text in images well. Best with a graphics card with 4 GB or more, slow without."),
    G_GUINT64_CONSTANT (4490000000),
    CATALOG_SMALL,
  },
  {
    "HuggingFaceM4/Idefics3-8B-Llama3",
    N_("Idefics3 8B"),
    N_("Best at documents, charts and text in images."),
    G_GUINT64_CONSTANT (16930000000),
    CATALOG_LARGE,
  },
  {
    "HuggingFaceM4/idefics2-8b-chatty",
    N_("IDEFICS2 8B Chatty"),
    N_("Fine-tuned for chat, with longer answers. Best for conversations about images."),
    G_GUINT64_CONSTANT (33611072448),
    CATALOG_LARGE,
  },
  {
    "HuggingFaceM4/idefics2-8b",
    N_("IDEFICS2 8B"),
    N_("Instruction-tuned, with short, direct answers. Good for quick questions and reading text."),
    G_GUINT64_CONSTANT (33611072448),
    CATALOG_LARGE,
  },
  {
    "HuggingFaceM4/idefics-9b-instruct",
    N_("IDEFICS 9B Instruct"),
    N_("The first IDEFICS, for conversations about several images."),
    G_GUINT64_CONSTANT (17860000000),
    CATALOG_LARGE,
  },
};

static void regard_window_start_download (RegardWindow *self,
                                          const char   *repo);

static void
regard_window_forget_paused_toast (RegardWindow *self)
{
  if (self->paused_toast != NULL)
    {
      AdwToast *toast = self->paused_toast;

      g_object_remove_weak_pointer (G_OBJECT (toast), (gpointer *) &self->paused_toast);
      self->paused_toast = NULL;
      adw_toast_dismiss (toast);
    }
}

void
_regard_window_finalize_download (RegardWindow *self)
{
  if (self->paused_toast != NULL)
    g_object_remove_weak_pointer (G_OBJECT (self->paused_toast), (gpointer *) &self->paused_toast);
  self->paused_toast = NULL;
}

static void
regard_window_update_download_widgets (RegardWindow *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  gboolean running = self->download != NULL;
  gboolean can_resume = !running && self->resume_repo != NULL;

  gboolean paused = !running && self->download_paused;

  /* Paused: the page stays, with its progress; Pause becomes Resume and
   * Cancel leaves the page (Resume Download stays offered). */
  gtk_widget_set_visible (self->pause_download_button, running || paused);
  gtk_button_set_label (GTK_BUTTON (self->pause_download_button), paused ? _("_Resume") : _("_Pause"));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->pause_download_button),
                                  paused ? "win.resume-download" : "win.pause-download");
  gtk_widget_set_visible (GTK_WIDGET (self->download_detail_label), running || paused);
  if (paused)
    gtk_label_set_text (self->download_detail_label, _("Paused"));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->cancel_load_button),
                                  running ? "win.cancel-download" :
                                  paused ? "win.leave-paused-download" : "win.cancel-load");
  gtk_widget_set_visible (self->resume_download_button, can_resume);
  gtk_widget_set_tooltip_text (self->resume_download_button, can_resume ? self->resume_repo : NULL);

  gtk_widget_action_set_enabled (widget, "win.pause-download", running);
  gtk_widget_action_set_enabled (widget, "win.cancel-download", running);
  gtk_widget_action_set_enabled (widget, "win.resume-download", can_resume);
}

static void
regard_window_set_resume_repo (RegardWindow *self,
                               const char   *repo)
{
  g_free (self->resume_repo);
  self->resume_repo = g_strdup (repo);
  regard_window_update_download_widgets (self);
}

/* ---- Progress ------------------------------------------------------------ */

static char *
format_time_left (double seconds)
{
  guint64 s, minutes, hours;

  if (seconds < 0 || !isfinite (seconds))
    return NULL;

  s = (guint64)ceil (seconds);
  if (s < 60)
    return g_strdup_printf (ngettext ("%u second left", "%u seconds left", (gulong)s),
                            (guint)s);

  minutes = (s + 30) / 60;
  if (minutes < 120)
    return g_strdup_printf (ngettext ("About %u minute left", "About %u minutes left",
                                         (gulong)minutes),
                            (guint)minutes);

  hours = (minutes + 30) / 60;
  return g_strdup_printf (ngettext ("About %u hour left", "About %u hours left", (gulong)hours),
                          (guint)hours);
}

static void
download_progress_cb (const RegardDownloadProgress *progress,
                      gpointer                      user_data)
{
  RegardWindow *self = user_data;
  g_autofree char *done = NULL;
  g_autofree char *total = NULL;
  g_autofree char *text = NULL;
  gint64 now;

  if (self->load_progress == NULL)
    return;

  if (progress->phase == REGARD_DOWNLOAD_PHASE_RESOLVING || progress->total_bytes == 0)
    {
      gtk_progress_bar_pulse (self->load_progress);
      gtk_progress_bar_set_text (self->load_progress, _("Looking up the model…"));
      return;
    }

  done = g_format_size (progress->done_bytes);
  total = g_format_size (progress->total_bytes);
  /* Translators: download progress, e.g. "1.2 GB of 33.6 GB" */
  text = g_strdup_printf (_("%s of %s"), done, total);
  gtk_progress_bar_set_fraction (self->load_progress,
                                 (double)progress->done_bytes / (double)progress->total_bytes);
  gtk_progress_bar_set_text (self->load_progress, text);

  now = g_get_monotonic_time ();
  if (progress->phase == REGARD_DOWNLOAD_PHASE_DONE)
    gtk_label_set_text (self->download_detail_label, _("Checking the files…"));
  else if (now - self->download_shown_us >= DETAIL_INTERVAL_US)
    {
      g_autofree char *left = format_time_left (progress->eta_seconds);
      g_autofree char *size = NULL;
      g_autofree char *rate = NULL;
      g_autofree char *detail = NULL;

      self->download_shown_us = now;
      if (progress->bytes_per_second <= 0)
        {
          gtk_label_set_text (self->download_detail_label, _("Starting…"));
          return;
        }

      size = g_format_size ((guint64)progress->bytes_per_second);
      /* Translators: a transfer rate, e.g. "5.2 MB/s" */
      rate = g_strdup_printf (_("%s/s"), size);
      if (left != NULL)
        /* Translators: the transfer rate, then the time left, e.g. "5.2 MB/s — About 3 minutes left" */
        detail = g_strdup_printf (_("%s — %s"), rate, left);
      gtk_label_set_text (self->download_detail_label, detail ? detail : rate);
    }
}

/* ---- Running ------------------------------------------------------------- */

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

/* Deletes what a cancelled download left in DEST, a folder of the models
 * folder; never anything outside it. */
static void
discard_download (const char *dest)
{
  g_autofree char *models_dir = regard_models_dir ();
  g_autofree char *prefix = g_strconcat (models_dir, G_DIR_SEPARATOR_S, NULL);
  g_autofree char *parent = NULL;

  if (dest == NULL || !g_str_has_prefix (dest, prefix) || strstr (dest, "..") != NULL)
    return;

  remove_tree (dest);

  /* The owner's folder, when nothing else is in it. */
  parent = g_path_get_dirname (dest);
  if (g_str_has_prefix (parent, prefix))
    g_rmdir (parent);
}

static void
download_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(RegardWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *repo = g_strdup (regard_download_get_repo (self->download));
  g_autofree char *dest = g_strdup (regard_download_get_dest_dir (self->download));
  g_autofree char *dir = regard_download_run_finish (self->download, result, &error);
  gboolean discarding = self->download_discarding;

  g_clear_pointer (&self->download, regard_download_free);
  g_clear_object (&self->download_cancellable);
  self->download_pausing = FALSE;
  self->download_discarding = FALSE;

  /* The window is gone (closing cancels): the .part files stay. */
  if (self->main_stack == NULL)
    return;

  if (dir == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && discarding)
        {
          discard_download (dest);
          if (g_strcmp0 (self->resume_repo, repo) == 0)
            regard_window_set_resume_repo (self, NULL);
          _regard_window_toast (self, _("Download cancelled"));
        }
      else
        {
          g_autofree char *title = NULL;
          AdwToast *toast;

          gboolean paused = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

          if (paused)
            title = g_strdup (_("Download paused"));
          else
            title = g_strdup_printf (_("Download failed: %s"), error->message);

          toast = adw_toast_new (title);
          adw_toast_set_button_label (toast, _("_Resume"));
          adw_toast_set_action_name (toast, "win.resume-download");
          if (!paused)
            adw_toast_set_timeout (toast, 0);
          /* Dismissed when the download resumes (it would be stale). */
          regard_window_forget_paused_toast (self);
          self->paused_toast = toast;
          g_object_add_weak_pointer (G_OBJECT (toast), (gpointer *) &self->paused_toast);
          self->download_paused = paused;
          adw_toast_overlay_add_toast (self->toast_overlay, toast);
          regard_window_set_resume_repo (self, repo);
        }

      regard_window_update_download_widgets (self);
      _regard_window_update_state (self);
      return;
    }

  if (g_strcmp0 (self->resume_repo, repo) == 0)
    g_clear_pointer (&self->resume_repo, g_free);
  regard_window_update_download_widgets (self);

  /* The settings' changed handler loads it. */
  g_settings_set_string (self->settings, "model-folder", dir);
  if (g_strcmp0 (dir, regard_session_get_model_dir (self->session)) == 0)
    regard_window_load_model (self, dir);
  _regard_window_update_state (self);
}

static void
regard_window_start_download (RegardWindow *self,
                              const char   *repo)
{
  RegardDownloadParams params = regard_download_params_default ();
  g_autoptr(GError) error = NULL;

  if (self->download != NULL)
    return;

  params.repo = repo;
  self->download = regard_download_new (&params, &error);
  if (self->download == NULL)
    {
      _regard_window_toast (self, error->message);
      return;
    }

  self->download_cancellable = g_cancellable_new ();
  self->download_pausing = FALSE;
  self->download_discarding = FALSE;
  self->download_paused = FALSE;
  regard_window_forget_paused_toast (self);
  self->download_shown_us = 0;

  gtk_progress_bar_set_fraction (self->load_progress, 0.0);
  gtk_progress_bar_set_text (self->load_progress, _("Looking up the model…"));
  gtk_label_set_text (self->download_detail_label, "");
  regard_window_update_download_widgets (self);
  _regard_window_update_state (self);

  regard_download_run_async (self->download, self->download_cancellable,
                             download_progress_cb, g_object_ref (self), g_object_unref,
                             download_cb, g_object_ref (self));
}

/* ---- The catalog --------------------------------------------------------- */

static void
catalog_check_toggled (GtkCheckButton *check,
                       GtkWidget      *dialog)
{
  if (gtk_check_button_get_active (check))
    g_object_set_data (G_OBJECT (dialog), "regard-repo",
                       g_object_get_data (G_OBJECT (check), "regard-repo"));
}

static void
catalog_response_cb (AdwMessageDialog *dialog,
                     const char       *response,
                     RegardWindow     *self)
{
  const char *repo = g_object_get_data (G_OBJECT (dialog), "regard-repo");
  g_autofree char *installed = NULL;

  if (!g_str_equal (response, "download") || repo == NULL)
    return;

  installed = regard_model_find_installed (repo);
  if (installed != NULL)
    {
      /* The settings' changed handler loads it. */
      g_settings_set_string (self->settings, "model-folder", installed);
      return;
    }

  regard_window_start_download (self, repo);
}

static GtkWidget *
catalog_list_new (GtkWidget          *dialog,
                  RegardCatalogGroup  group,
                  GtkCheckButton    **radio_group)
{
  GtkWidget *list = gtk_list_box_new ();

  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");

  for (gsize i = 0; i < G_N_ELEMENTS (catalog); i++)
    {
      const RegardCatalogEntry *entry = &catalog[i];
      g_autofree char *installed = NULL;
      g_autofree char *size = NULL;
      GtkWidget *row, *check, *suffix;

      if (entry->group != group)
        continue;

      installed = regard_model_find_installed (entry->repo);
      size = g_format_size (entry->size);
      row = adw_action_row_new ();
      check = gtk_check_button_new ();
      suffix = gtk_label_new (installed ? _("Installed") : size);

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _(entry->title));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), _(entry->description));
      gtk_widget_set_tooltip_text (row, entry->repo);
      g_object_set_data (G_OBJECT (row), "regard-repo", (gpointer)entry->repo);

      gtk_widget_set_valign (check, GTK_ALIGN_CENTER);
      g_object_set_data (G_OBJECT (check), "regard-repo", (gpointer)entry->repo);
      gtk_accessible_update_property (GTK_ACCESSIBLE (check),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, _(entry->title),
                                      GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, _(entry->description),
                                      -1);
      if (*radio_group != NULL)
        gtk_check_button_set_group (GTK_CHECK_BUTTON (check), *radio_group);
      else
        *radio_group = GTK_CHECK_BUTTON (check);
      g_signal_connect_object (check, "toggled", G_CALLBACK (catalog_check_toggled), dialog, 0);

      gtk_widget_add_css_class (suffix, "dim-label");
      gtk_widget_add_css_class (suffix, "numeric");

      adw_action_row_add_prefix (ADW_ACTION_ROW (row), check);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), suffix);
      adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), check);
      gtk_list_box_append (GTK_LIST_BOX (list), row);

      if (i == 0)
        gtk_check_button_set_active (GTK_CHECK_BUTTON (check), TRUE);
    }

  return list;
}

/* Two labelled lists: what runs on any computer first, then what needs a
 * graphics card; one choice across both. */
static GtkWidget *
catalog_new (GtkWidget *dialog)
{
  static const struct {
    RegardCatalogGroup group;
    const char *heading;
  } groups[] = {
    { CATALOG_SMALL, N_("For Any Computer") },
    { CATALOG_LARGE, N_("For a Graphics Card with 8 GB or More") },
  };
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *scrolled;
  GtkCheckButton *radio_group = NULL;

  for (gsize g = 0; g < G_N_ELEMENTS (groups); g++)
    {
      GtkWidget *heading = gtk_label_new (_(groups[g].heading));
      GtkWidget *list = catalog_list_new (dialog, groups[g].group, &radio_group);

      gtk_label_set_xalign (GTK_LABEL (heading), 0.0);
      gtk_label_set_wrap (GTK_LABEL (heading), TRUE);
      gtk_widget_add_css_class (heading, "heading");
      if (g > 0)
        gtk_widget_set_margin_top (heading, 12);
      gtk_accessible_update_property (GTK_ACCESSIBLE (list),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, _(groups[g].heading),
                                      -1);
      gtk_box_append (GTK_BOX (box), heading);
      gtk_box_append (GTK_BOX (box), list);
    }

  /* Seven rows are taller than a small screen at 360 px: they scroll. */
  scrolled = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scrolled), TRUE);
  gtk_scrolled_window_set_propagate_natural_width (GTK_SCROLLED_WINDOW (scrolled), TRUE);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (scrolled), 480);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), box);
  return scrolled;
}

void
_regard_window_download (RegardWindow *self)
{
  g_autofree char *models_dir = regard_models_dir ();
  g_autofree char *body = NULL;
  GtkWidget *dialog;

  if (self->download != NULL)
    return;

  body = g_strdup_printf (_("Regard downloads the model from Hugging Face into %s. "
                            "A paused or interrupted download continues where it stopped. "
                            "Once the model is there, Regard needs no network."),
                          models_dir);

  dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Download a Model"), body);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), catalog_new (dialog));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "download", _("_Download"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "download",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "download");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (catalog_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ---- Actions ------------------------------------------------------------- */

static void
pause_download_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *param)
{
  RegardWindow *self = REGARD_WINDOW (widget);

  if (self->download_cancellable == NULL)
    return;

  self->download_pausing = TRUE;
  g_cancellable_cancel (self->download_cancellable);
}

static void
resume_download_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *param)
{
  RegardWindow *self = REGARD_WINDOW (widget);
  g_autofree char *repo = g_strdup (self->resume_repo);

  if (repo != NULL && self->download == NULL)
    regard_window_start_download (self, repo);
}

static void
leave_paused_download_action (GtkWidget  *widget,
                              const char *action_name,
                              GVariant   *param)
{
  RegardWindow *self = REGARD_WINDOW (widget);

  self->download_paused = FALSE;
  regard_window_update_download_widgets (self);
  _regard_window_update_state (self);
}

static void
cancel_download_response_cb (AdwMessageDialog *dialog,
                             const char       *response,
                             RegardWindow     *self)
{
  if (!g_str_equal (response, "discard") || self->download_cancellable == NULL)
    return;

  self->download_discarding = TRUE;
  g_cancellable_cancel (self->download_cancellable);
}

static void
cancel_download_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *param)
{
  RegardWindow *self = REGARD_WINDOW (widget);
  GtkWidget *dialog;

  if (self->download == NULL)
    return;

  dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Cancel the Download?"),
                                   _("The part downloaded so far is deleted. "
                                     "To stop now and continue later, pause instead."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "continue", _("C_ontinue Download"),
                                    "discard", _("Cancel _Download"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "discard",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "continue");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "continue");
  g_signal_connect_object (dialog, "response", G_CALLBACK (cancel_download_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

void
_regard_window_class_init_download (GtkWidgetClass *widget_class)
{
  gtk_widget_class_bind_template_child (widget_class, RegardWindow, resume_download_button);
  gtk_widget_class_bind_template_child (widget_class, RegardWindow, pause_download_button);
  gtk_widget_class_bind_template_child (widget_class, RegardWindow, cancel_load_button);
  gtk_widget_class_bind_template_child (widget_class, RegardWindow, download_detail_label);

  gtk_widget_class_install_action (widget_class, "win.pause-download", NULL, pause_download_action);
  gtk_widget_class_install_action (widget_class, "win.resume-download", NULL, resume_download_action);
  gtk_widget_class_install_action (widget_class, "win.cancel-download", NULL, cancel_download_action);
  gtk_widget_class_install_action (widget_class, "win.leave-paused-download", NULL, leave_paused_download_action);
}

/* An unfinished download, maybe from an earlier run, is offered for resume:
 * the "Resume Download" button on the status page, and a toast when no
 * model is chosen yet. */
void
_regard_window_init_download (RegardWindow *self)
{
  g_autoptr(GPtrArray) models = regard_models_list_installed (NULL);
  g_autofree char *model_dir = g_settings_get_string (self->settings, "model-folder");

  for (guint i = 0; models != NULL && i < models->len; i++)
    {
      RegardInstalledModel *model = g_ptr_array_index (models, i);

      if (!model->complete)
        {
          self->resume_repo = g_strdup (model->repo);
          break;
        }
    }

  regard_window_update_download_widgets (self);

  if (self->resume_repo != NULL && model_dir[0] == '\0')
    {
      /* Translators: %s is a model, e.g. "HuggingFaceM4/idefics2-8b" */
      g_autofree char *title = g_strdup_printf (_("The download of %s is unfinished"), self->resume_repo);
      AdwToast *toast = adw_toast_new (title);

      adw_toast_set_button_label (toast, _("_Resume"));
      adw_toast_set_action_name (toast, "win.resume-download");
      adw_toast_overlay_add_toast (self->toast_overlay, toast);
    }
}
