/* test-app-scroll.c: scrolling the transcript (issue 12, item 6). An
 * answer followed while it streams ends with its Copy/Regenerate row in
 * view; Regenerate keeps the view at the bottom, never the top; "Scroll to
 * Bottom" shows only when something is below. */

#include "config.h"

#include "regard-window-private.h"
#include "test-app-common.h"
#include "test-common.h"

static gboolean
one_attachment (RegardWindow *window)
{
  return regard_window_get_n_attachments (window) == 1 && regard_window_get_n_loading (window) == 0;
}

static GtkWidget *
find_by_action (GtkWidget  *widget,
                const char *action)
{
  if (GTK_IS_ACTIONABLE (widget) &&
      g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), action) == 0 &&
      gtk_widget_is_drawable (widget))
    return widget;
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_by_action (c, action);
      if (found)
        return found;
    }
  return NULL;
}

static double min_value_seen;

static void
value_changed_cb (GtkAdjustment *adj)
{
  min_value_seen = MIN (min_value_seen, gtk_adjustment_get_value (adj));
}

/* WIDGET lies inside the scroller's visible area. */
static void
assert_in_view (RegardWindow *window,
                GtkWidget    *widget)
{
  graphene_rect_t r;

  g_assert_true (gtk_widget_compute_bounds (widget, GTK_WIDGET (window->transcript_scroller), &r));
  g_test_message ("%s at y %.0f..%.0f of %d", G_OBJECT_TYPE_NAME (widget), r.origin.y,
                  r.origin.y + r.size.height, gtk_widget_get_height (GTK_WIDGET (window->transcript_scroller)));
  {
    graphene_rect_t m, b;
    GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (window->transcript_scroller);
    g_assert_true (gtk_widget_compute_bounds (GTK_WIDGET (window->last_answer), GTK_WIDGET (window->transcript_scroller), &m));
    g_assert_true (gtk_widget_compute_bounds (GTK_WIDGET (window->transcript_box), GTK_WIDGET (window->transcript_scroller), &b));
    g_test_message ("answer %.0f..%.0f box %.0f..%.0f value %.0f upper %.0f page %.0f", m.origin.y, m.origin.y + m.size.height,
                    b.origin.y, b.origin.y + b.size.height, gtk_adjustment_get_value (adj), gtk_adjustment_get_upper (adj), gtk_adjustment_get_page_size (adj));
  }
  g_assert_cmpfloat (r.origin.y, >=, 0);
  g_assert_cmpfloat (r.origin.y + r.size.height, <=, gtk_widget_get_height (GTK_WIDGET (window->transcript_scroller)) + 0.5);
}

static void
ask (RegardWindow *window,
     GFile        *image,
     const char   *question)
{
  if (image != NULL)
    {
      regard_window_attach_image_file (window, image);
      rg_app_test_wait (window, one_attachment, 60, "the image");
    }
  regard_window_set_question (window, question);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.send", NULL));
  rg_app_test_wait (window, rg_app_test_idle, 300, "the answer");
  rg_app_test_settle (400);
}

static void
test_follow_regenerate_and_scroll_button (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(RegardApplication) app = rg_app_test_app ();
  g_autofree char *model = rg_test_fixture_path ("idefics2-tiny");
  g_autofree char *tall = rg_test_fixture_path ("images/portrait_600x1000.jpg");
  g_autoptr(GFile) file = g_file_new_for_path (tall);
  GtkAdjustment *adj;
  RegardWindow *window;
  GtkWidget *regenerate;
  double answer_height, value_before;

  g_settings_set_uint (settings, "max-new-tokens", 48);
  window = rg_app_test_window (app, model);
  rg_app_test_wait_ready (window);
  rg_app_test_resize (window, 360);
  adj = gtk_scrolled_window_get_vadjustment (window->transcript_scroller);

  /* Nothing below yet: no "Scroll to Bottom". */
  ask (window, NULL, "Hi");
  if (gtk_adjustment_get_upper (adj) <= gtk_adjustment_get_page_size (adj))
    g_assert_false (gtk_revealer_get_reveal_child (window->scroll_down_revealer));

  /* A transcript taller than the window, the last answer followed. */
  ask (window, file, "What is this?");
  ask (window, file, "And now?");
  g_assert_cmpfloat (gtk_adjustment_get_upper (adj), >, gtk_adjustment_get_page_size (adj) * 1.5);

  regenerate = find_by_action (GTK_WIDGET (window->last_answer), "win.regenerate");
  g_assert_nonnull (regenerate);
  assert_in_view (window, regenerate);
  g_assert_false (gtk_revealer_get_reveal_child (window->scroll_down_revealer));
  g_free (rg_app_test_snapshot (GTK_WIDGET (window), "app-scroll-answer-end-360"));

  /* Regenerate: the view only drops by the removed answer, never to the top. */
  {
    graphene_rect_t a;
    g_assert_true (gtk_widget_compute_bounds (GTK_WIDGET (window->last_answer), GTK_WIDGET (window->transcript_box), &a));
    answer_height = a.size.height;
  }
  min_value_seen = gtk_adjustment_get_value (adj);
  value_before = min_value_seen;
  g_signal_connect (adj, "value-changed", G_CALLBACK (value_changed_cb), NULL);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.regenerate", NULL));
  rg_app_test_wait (window, rg_app_test_idle, 300, "the new answer");
  rg_app_test_settle (400);
  g_signal_handlers_disconnect_by_func (adj, value_changed_cb, NULL);
  g_test_message ("lowest scroll position during regenerate: %.0f of %.0f", min_value_seen,
                  gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj));
  g_assert_cmpfloat (min_value_seen, >, 0);
  g_assert_cmpfloat (min_value_seen, >=, value_before - answer_height - 24);
  regenerate = find_by_action (GTK_WIDGET (window->last_answer), "win.regenerate");
  g_assert_nonnull (regenerate);
  assert_in_view (window, regenerate);

  /* Scrolled up: something is below, the button shows; back at the
   * bottom it goes. */
  gtk_adjustment_set_value (adj, 0);
  rg_app_test_settle (400);
  g_assert_true (gtk_revealer_get_reveal_child (window->scroll_down_revealer));
  g_free (rg_app_test_snapshot (GTK_WIDGET (window), "app-scroll-up-360"));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.scroll-down", NULL));
  rg_app_test_settle (400);
  g_assert_false (gtk_revealer_get_reveal_child (window->scroll_down_revealer));

  /* A new chat: nothing below, no button (even after scrolling up before). */
  gtk_adjustment_set_value (adj, 0);
  rg_app_test_settle (300);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.new-chat", NULL));
  g_settings_set_uint (settings, "max-new-tokens", 2);
  ask (window, NULL, "Short");
  g_assert_false (gtk_revealer_get_reveal_child (window->scroll_down_revealer));

  /* The proof pictures: an ended answer in view, at both widths and schemes. */
  g_settings_set_uint (settings, "max-new-tokens", 48);
  ask (window, file, "What is this?");
  rg_app_test_snapshot_variants (window, "app-scroll-answer-end");

  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  rg_app_test_init (&argc, &argv);

  g_test_add_func ("/app/scroll/follow-regenerate-and-button", test_follow_regenerate_and_scroll_button);

  return g_test_run ();
}
