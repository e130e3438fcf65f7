/* regard-application.c
 *
 * Copyright 2025 The Regard authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "regard-application.h"
#include "regard-preferences-window.h"
#include "regard-window.h"

struct _RegardApplication
{
  AdwApplication parent_instance;
};

G_DEFINE_FINAL_TYPE (RegardApplication, regard_application, ADW_TYPE_APPLICATION)

void
regard_application_init_i18n (void)
{
  const char *localedir = g_getenv ("REGARD_LOCALEDIR");

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, localedir && localedir[0] ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
}

static RegardWindow *
regard_application_get_window (RegardApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (REGARD_IS_WINDOW (window))
    return REGARD_WINDOW (window);

  return regard_window_new (ADW_APPLICATION (self));
}

static void
regard_application_activate (GApplication *app)
{
  gtk_window_present (GTK_WINDOW (regard_application_get_window (REGARD_APPLICATION (app))));
}

static void
regard_application_open (GApplication  *app,
                         GFile        **files,
                         int            n_files,
                         const char    *hint)
{
  RegardWindow *window = regard_application_get_window (REGARD_APPLICATION (app));

  for (int i = 0; i < n_files; i++)
    regard_window_attach_image_file (window, files[i]);

  gtk_window_present (GTK_WINDOW (window));
}

static int
regard_application_command_line (GApplication            *app,
                                 GApplicationCommandLine *cmdline)
{
  GVariantDict *options = g_application_command_line_get_options_dict (cmdline);
  g_autofree char *model = NULL;
  g_auto(GStrv) args = NULL;
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_object_unref);
  gboolean ocr = FALSE;
  RegardWindow *window;

  g_variant_dict_lookup (options, "model", "^ay", &model);
  g_variant_dict_lookup (options, "ocr", "b", &ocr);
  if (g_variant_dict_lookup (options, G_OPTION_REMAINING, "^aay", &args))
    {
      for (guint i = 0; args[i] != NULL; i++)
        g_ptr_array_add (files, g_application_command_line_create_file_for_arg (cmdline, args[i]));
    }

  window = regard_application_get_window (REGARD_APPLICATION (app));

  if (model != NULL)
    {
      g_autoptr(GFile) dir = g_application_command_line_create_file_for_arg (cmdline, model);
      g_autofree char *path = g_file_get_path (dir);

      if (path != NULL)
        regard_window_load_model (window, path);
    }

  if (ocr)
    regard_window_extract_text (window, (GFile **)files->pdata, files->len);
  else
    for (guint i = 0; i < files->len; i++)
      regard_window_attach_image_file (window, g_ptr_array_index (files, i));

  gtk_window_present (GTK_WINDOW (window));

  return EXIT_SUCCESS;
}

static void
quit_action (GSimpleAction *action,
             GVariant      *param,
             gpointer       user_data)
{
  GtkApplication *gtk_app = GTK_APPLICATION (user_data);
  g_autolist(GtkWindow) windows = g_list_copy_deep (gtk_application_get_windows (gtk_app),
                                                    (GCopyFunc) g_object_ref, NULL);

  /* Closing each window saves its size and frees its engine without
   * waiting; the application then ends by itself once the last window is
   * gone and every engine thread has released the device (each session
   * holds the application until then). g_application_quit () would end the
   * main loop at once, with an engine thread perhaps still on the device. */
  for (GList *l = windows; l != NULL; l = l->next)
    if (g_list_find (gtk_application_get_windows (gtk_app), l->data))  /* not gone with another */
      gtk_window_close (l->data);
}

static void
about_action (GSimpleAction *action,
              GVariant      *param,
              gpointer       user_data)
{
  GtkApplication *app = user_data;
  static const char *developers[] = { "The Regard Developers", NULL };
  GtkWidget *about;

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", gtk_application_get_active_window (app),
                        "application-icon", APP_ID,
                        "application-name", _("Regard"),
                        "developer-name", _("The Regard Developers"),
                        "version", PACKAGE_VERSION,
                        "website", "https://github.com/regardapp/regard",
                        "issue-url", "https://github.com/regardapp/regard/issues",
                        "license-type", GTK_LICENSE_GPL_3_0,
                        "copyright", "© 2025 The Regard Developers",
                        "developers", developers,
                        /* Translators: Replace "translator-credits" with your name/username, and optionally an email or URL. */
                        "translator-credits", _("translator-credits"),
                        "comments", _("Ask questions about images on your own GPU, with the IDEFICS2 vision-language model."),
                        NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static void
preferences_action (GSimpleAction *action,
                    GVariant      *param,
                    gpointer       user_data)
{
  GtkApplication *app = user_data;
  GtkWindow *window = gtk_application_get_active_window (app);
  GtkWidget *prefs = regard_preferences_window_new (window);

  gtk_window_present (GTK_WINDOW (prefs));
}

static void
shortcuts_action (GSimpleAction *action,
                  GVariant      *param,
                  gpointer       user_data)
{
  GtkWindow *window = gtk_application_get_active_window (user_data);

  if (window != NULL)
    gtk_widget_activate_action (GTK_WIDGET (window), "win.show-help-overlay", NULL);
}

static const GActionEntry app_actions[] = {
  { "quit", quit_action },
  { "about", about_action },
  { "preferences", preferences_action },
  { "shortcuts", shortcuts_action },
};

static void
regard_application_startup (GApplication *app)
{
  static const struct {
    const char *action;
    const char *accels[3];
  } accels[] = {
    { "app.quit", { "<Control>q", NULL } },
    { "window.close", { "<Control>w", NULL } },
    { "app.preferences", { "<Control>comma", NULL } },
    { "win.new-chat", { "<Control>n", NULL } },
    { "win.attach", { "<Control>o", NULL } },
    { "win.screenshot", { "<Control><Shift>s", NULL } },
    { "win.extract-text", { "<Control>e", NULL } },
    { "win.regenerate", { "<Control>r", NULL } },
    { "win.copy-answer", { "<Control><Shift>c", NULL } },
    { "win.choose-model", { "<Control><Shift>o", NULL } },
  };

  G_APPLICATION_CLASS (regard_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (app), app_actions,
                                   G_N_ELEMENTS (app_actions), app);

  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (app), accels[i].action, accels[i].accels);

  gtk_window_set_default_icon_name (APP_ID);
}

static void
regard_application_class_init (RegardApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  app_class->activate = regard_application_activate;
  app_class->open = regard_application_open;
  app_class->command_line = regard_application_command_line;
  app_class->startup = regard_application_startup;
}

static void
regard_application_init (RegardApplication *self)
{
  static const GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, NULL,
      N_("Load the IDEFICS2 model in DIR"), N_("DIR") },
    { "ocr", 0, 0, G_OPTION_ARG_NONE, NULL,
      N_("Extract the text of the images, or of a new screenshot"), NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, NULL,
      NULL, N_("[FILE…]") },
    { NULL }
  };

  g_application_add_main_option_entries (G_APPLICATION (self), entries);
  g_application_set_option_context_summary (G_APPLICATION (self),
                                            _("Ask questions about images on your own GPU."));
}

RegardApplication *
regard_application_new (GApplicationFlags flags)
{
  return g_object_new (REGARD_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", flags | G_APPLICATION_HANDLES_COMMAND_LINE | G_APPLICATION_HANDLES_OPEN,
                       "resource-base-path", "/io/github/regardapp/Regard",
                       NULL);
}
