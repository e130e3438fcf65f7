/* test-app-dialogs.c: the preferences and shortcuts windows build from
 * their templates, and answers render fenced code as code blocks. */

#include "config.h"

#include <glib/gi18n.h>

#include "regard-message.h"
#include "regard-preferences-window.h"
#include "test-app-common.h"
#include "test-common.h"

static guint
count_css_class (GtkWidget  *widget,
                 const char *css_class)
{
  guint n = gtk_widget_has_css_class (widget, css_class) && gtk_widget_get_visible (widget);

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    n += count_css_class (child, css_class);

  return n;
}

static void
collect_label_text (GtkWidget *widget,
                    GString   *out)
{
  if (GTK_IS_LABEL (widget) && gtk_widget_get_visible (widget))
    {
      g_string_append (out, gtk_label_get_text (GTK_LABEL (widget)));
      g_string_append_c (out, '|');
    }

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_label_text (child, out);
}

static void
test_code_blocks (void)
{
  GtkWidget *window = gtk_window_new ();
  GtkWidget *message = regard_message_new (REGARD_ROLE_ASSISTANT);
  g_autoptr(GString) labels = g_string_new (NULL);
  g_autofree char *shot = NULL;

  gtk_window_set_default_size (GTK_WINDOW (window), 480, 320);
  gtk_window_set_child (GTK_WINDOW (window), message);
  gtk_window_present (GTK_WINDOW (window));

  regard_message_set_streaming (REGARD_MESSAGE (message), TRUE);
  regard_message_append_text (REGARD_MESSAGE (message), "Run this:\n```sh\necho hel");
  regard_message_append_text (REGARD_MESSAGE (message), "lo\n```\nThen check the output.");
  /* Streamed text reaches the labels on the next frame. */
  rg_app_test_settle (300);
  regard_message_set_streaming (REGARD_MESSAGE (message), FALSE);
  rg_app_test_settle (200);

  g_assert_cmpuint (count_css_class (message, "code-block"), ==, 1);
  collect_label_text (message, labels);
  g_assert_nonnull (strstr (labels->str, "Run this:|"));
  g_assert_nonnull (strstr (labels->str, "sh|echo hello|"));
  g_assert_nonnull (strstr (labels->str, "Then check the output.|"));

  shot = rg_app_test_snapshot (window, "app-message-code-blocks");
  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_preferences (void)
{
  g_autoptr(RegardApplication) app = rg_app_test_app ();
  RegardWindow *window = rg_app_test_window (app, NULL);
  GtkWidget *prefs = regard_preferences_window_new (GTK_WINDOW (window));
  g_autofree char *shot = NULL;

  gtk_window_present (GTK_WINDOW (prefs));
  rg_app_test_settle (1000);
  shot = rg_app_test_snapshot (prefs, "app-preferences");

  gtk_window_destroy (GTK_WINDOW (prefs));
  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_shortcuts (void)
{
  g_autoptr(RegardApplication) app = rg_app_test_app ();
  RegardWindow *window = rg_app_test_window (app, NULL);
  GtkWindow *overlay;
  g_autofree char *shot = NULL;

  rg_app_test_settle (200);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-help-overlay", NULL));
  overlay = GTK_WINDOW (gtk_application_window_get_help_overlay (GTK_APPLICATION_WINDOW (window)));
  g_assert_nonnull (overlay);
  rg_app_test_settle (500);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (overlay)));
  shot = rg_app_test_snapshot (GTK_WIDGET (overlay), "app-shortcuts");

  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  rg_app_test_init (&argc, &argv);

  g_test_add_func ("/app/message/code-blocks", test_code_blocks);
  g_test_add_func ("/app/preferences/opens", test_preferences);
  g_test_add_func ("/app/window/shortcuts", test_shortcuts);

  return g_test_run ();
}
