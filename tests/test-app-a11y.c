/* test-app-a11y.c: every control a keyboard reaches has a meaningful
 * accessible name, and no name carries a mnemonic's underscore ("_Preferences
 * Preferences", issue 12 item 8). GTK 4.8 cannot compute the name a screen
 * reader hears, so this walks the widget tree and reads back what names
 * come from: the accessible label property (through GTK's test API), a
 * labelled-by relation, or the widget's own text. */

#include "config.h"

#include "regard-preferences-window.h"
#include "regard-window-private.h"
#include "test-app-common.h"
#include "test-common.h"

#define NO_SUCH_VALUE "\x01"

/* The accessible label property, or NULL when unset. */
static char *
accessible_label (GtkWidget *widget)
{
  if (!gtk_test_accessible_has_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL))
    return NULL;
  /* On a mismatch the checker returns the value it found. */
  return gtk_test_accessible_check_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                             NO_SUCH_VALUE);
}

/* An underscore before a letter: a mnemonic marker read out loud. */
static gboolean
has_mnemonic (const char *text)
{
  for (const char *p = text; p && *p; p++)
    if (*p == '_' && g_ascii_isalnum (p[1]) && (p == text || p[-1] == ' '))
      return TRUE;
  return FALSE;
}

static char *own_text_inside (GtkWidget *widget);

/* Text that the widget shows, which a screen reader reads as its name. */
static char *
own_text (GtkWidget *widget)
{
  if (GTK_IS_LABEL (widget))
    return g_strdup (gtk_label_get_text (GTK_LABEL (widget)));
  if (GTK_IS_EDITABLE (widget))
    return NULL;   /* an entry's text is its value, not its name */
  if (ADW_IS_PREFERENCES_ROW (widget))
    return g_strdup (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)));
  /* Only buttons and rows are named by the text inside them: a scroll
   * area or a box is not named by its first label. */
  if (!GTK_IS_BUTTON (widget) && !GTK_IS_MENU_BUTTON (widget) && !GTK_IS_LIST_BOX_ROW (widget) &&
      !GTK_IS_CHECK_BUTTON (widget))
    return NULL;
  return own_text_inside (widget);
}

static char *
own_text_inside (GtkWidget *widget)
{
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    {
      char *text = GTK_IS_LABEL (c) ? (gtk_widget_get_visible (c) ? g_strdup (gtk_label_get_text (GTK_LABEL (c))) : NULL)
                   : own_text_inside (c);
      if (text != NULL && text[0] != '\0')
        return text;
      g_free (text);
    }
  return NULL;
}

static gboolean
reachable (GtkWidget *widget)
{
  return gtk_widget_get_focusable (widget) && gtk_widget_get_can_focus (widget) &&
         gtk_widget_is_drawable (widget);
}

static void
check_tree (GtkWidget *widget,
            GString   *problems,
            guint     *n_checked)
{
  g_autofree char *label = accessible_label (widget);

  if (!gtk_widget_get_visible (widget))
    return;

  if (label != NULL && has_mnemonic (label))
    g_string_append_printf (problems, "%s: accessible label with a mnemonic underscore: “%s”\n",
                            G_OBJECT_TYPE_NAME (widget), label);

  if (reachable (widget))
    {
      g_autofree char *text = own_text (widget);
      const char *name = label && label[0] ? label : text;
      const char *what = G_OBJECT_TYPE_NAME (widget);
      GtkWidget *parent = gtk_widget_get_parent (widget);

      (*n_checked)++;
      /* A relation names widgets other than buttons (GTK 4.8 relates an
       * icon button to its unnamed image). */
      if ((name == NULL || name[0] == '\0') && !GTK_IS_BUTTON (widget) &&
          gtk_test_accessible_has_relation (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_RELATION_LABELLED_BY))
        name = "(labelled by another widget)";
      /* The text field of a spin button or entry is read with the name of
       * the control that holds it; a list item with its label. */
      if ((name == NULL || name[0] == '\0') && parent != NULL && (GTK_IS_SPIN_BUTTON (parent) || GTK_IS_ENTRY (parent)))
        {
          g_autofree char *plabel = accessible_label (parent);
          if ((plabel != NULL && plabel[0] != '\0') ||
              gtk_test_accessible_has_relation (GTK_ACCESSIBLE (parent), GTK_ACCESSIBLE_RELATION_LABELLED_BY))
            name = "(named by its spin button or entry)";
        }
      if ((name == NULL || name[0] == '\0') && g_str_equal (what, "GtkListItemWidget"))
        {
          g_autofree char *inner = own_text_inside (widget);
          if (inner != NULL && inner[0] != '\0')
            name = "(a list item with text)";
        }

      if (name == NULL || name[0] == '\0')
        g_string_append_printf (problems, "%s in %s (tooltip “%s”): focusable without an accessible name\n",
                                what, parent ? G_OBJECT_TYPE_NAME (parent) : "-",
                                gtk_widget_get_tooltip_text (widget) ?: "");
      else
        g_test_message ("%s: “%s”", what, name);
    }

  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    check_tree (c, problems, n_checked);
}

static void
assert_all_named (GtkWidget  *root,
                  const char *where)
{
  g_autoptr(GString) problems = g_string_new (NULL);
  guint n = 0;

  check_tree (root, problems, &n);
  g_test_message ("%s: %u focusable controls", where, n);
  g_assert_cmpuint (n, >, 0);
  if (problems->len > 0)
    g_error ("%s:\n%s", where, problems->str);
}

static gboolean
one_attachment (RegardWindow *window)
{
  return regard_window_get_n_attachments (window) == 1 && regard_window_get_n_loading (window) == 0;
}

static void
test_empty_window (void)
{
  g_autoptr(RegardApplication) app = rg_app_test_app ();
  RegardWindow *window = rg_app_test_window (app, NULL);

  rg_app_test_settle (500);
  assert_all_named (GTK_WIDGET (window), "empty window");
  gtk_window_destroy (GTK_WINDOW (window));
}

/* The chat after an answer: thumbnails (named after their files), the
 * answer's buttons, a pending attachment, the CPU banner. */
static void
test_chat_window (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(RegardApplication) app = rg_app_test_app ();
  g_autofree char *model = rg_test_fixture_path ("idefics2-tiny");
  g_autofree char *image = rg_test_fixture_path ("images/tiny_30x20.png");
  g_autoptr(GFile) file = g_file_new_for_path (image);
  RegardWindow *window;
  GtkWidget *prefs;

  g_settings_set_uint (settings, "max-new-tokens", 2);
  window = rg_app_test_window (app, model);
  rg_app_test_wait_ready (window);
  regard_window_attach_image_file (window, file);
  rg_app_test_wait (window, one_attachment, 60, "the image");
  regard_window_set_question (window, "What is this?");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.send", NULL));
  rg_app_test_wait (window, rg_app_test_idle, 300, "the answer");
  regard_window_attach_image_file (window, file);
  rg_app_test_wait (window, one_attachment, 60, "the image");
  rg_app_test_settle (500);

  assert_all_named (GTK_WIDGET (window), "chat window");

  prefs = regard_preferences_window_new (GTK_WINDOW (window));
  gtk_window_present (GTK_WINDOW (prefs));
  rg_app_test_settle (500);
  assert_all_named (prefs, "preferences");
  gtk_window_destroy (GTK_WINDOW (prefs));

  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  rg_app_test_init (&argc, &argv);

  g_test_add_func ("/app/a11y/empty-window-named", test_empty_window);
  g_test_add_func ("/app/a11y/chat-window-named", test_chat_window);

  return g_test_run ();
}
