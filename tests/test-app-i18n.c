/* test-app-i18n.c: the window in French (LANGUAGE=fr, set by meson). */

#include "config.h"

#include <glib/gi18n.h>

#include "regard-window-private.h"
#include "regard-preferences-window.h"
#include "test-app-common.h"
#include "test-common.h"

static gboolean
attachments_ready (RegardWindow *window)
{
  return regard_window_get_n_attachments (window) == 1 &&
         regard_window_get_n_loading (window) == 0;
}

static void
test_french (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(RegardApplication) app = NULL;
  g_autofree char *model = rg_test_fixture_path ("idefics2-tiny");
  g_autofree char *image = rg_test_fixture_path ("images/tiny_30x20.png");
  g_autoptr(GFile) file = g_file_new_for_path (image);
  g_autofree char *shot = NULL;
  g_autofree char *shot2 = NULL;
  RegardWindow *window;

  /* The catalog itself, then what the window shows. */
  g_assert_cmpstr (_("Choose a Model"), ==, "Choisir un modèle");

  g_settings_set_uint (settings, "max-new-tokens", 8);
  app = rg_app_test_app ();
  window = rg_app_test_window (app, NULL);
  rg_app_test_settle (600);

  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (window)), ==, "Regard");
  g_assert_cmpstr (gtk_stack_get_visible_child_name (window->main_stack), ==, "empty");
  g_assert_cmpstr (adw_status_page_get_title (window->empty_page), ==, "Choisir un modèle");

  shot = rg_app_test_snapshot (GTK_WIDGET (window), "app-window-french-empty");

  /* The chat, in French too. */
  regard_window_load_model (window, model);
  rg_app_test_wait_ready (window);
  regard_window_attach_image_file (window, file);
  rg_app_test_wait (window, attachments_ready, 30, "the image to decode");
  regard_window_set_question (window, "Qu’y a-t-il sur cette image ?");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.send", NULL));
  rg_app_test_wait (window, rg_app_test_idle, 300, "the answer");

  rg_app_test_settle (600);
  shot2 = rg_app_test_snapshot (GTK_WIDGET (window), "app-window-french-chat");

  gtk_window_destroy (GTK_WINDOW (window));
}

static void
collect_ellipsized (GtkWidget *widget,
                    GString   *out)
{
  if (GTK_IS_LABEL (widget) && gtk_widget_get_mapped (widget) &&
      pango_layout_is_ellipsized (gtk_label_get_layout (GTK_LABEL (widget))))
    g_string_append_printf (out, "“%s” ", gtk_label_get_text (GTK_LABEL (widget)));
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    collect_ellipsized (c, out);
}

/* In French, at the narrowest width, no value in Preferences is cut
 * ("Découpage des images" used to squeeze "Automatique"), and the CPU
 * banner fits the window. */
static void
test_french_preferences_fit (void)
{
  g_autoptr(RegardApplication) app = rg_app_test_app ();
  g_autoptr(GString) cut = g_string_new (NULL);
  RegardWindow *window = rg_app_test_window (app, NULL);
  GtkWidget *prefs = regard_preferences_window_new (GTK_WINDOW (window));

  gtk_window_set_default_size (GTK_WINDOW (prefs), 360, 700);
  gtk_window_present (GTK_WINDOW (prefs));
  rg_app_test_settle (800);
  g_free (rg_app_test_snapshot (prefs, "app-preferences-french-360"));
  collect_ellipsized (prefs, cut);
  g_test_message ("ellipsized: %s", cut->str);
  g_assert_cmpstr (cut->str, ==, "");

  gtk_window_destroy (GTK_WINDOW (prefs));
  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  rg_app_test_init (&argc, &argv);

  g_test_add_func ("/app/window/french", test_french);
  g_test_add_func ("/app/preferences/french-values-fit", test_french_preferences_fit);

  return g_test_run ();
}
