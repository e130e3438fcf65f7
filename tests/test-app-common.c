/* test-app-common.c */

#include "config.h"

#include "test-app-common.h"
#include "test-common.h"

void
rg_app_test_init (int    *argc,
                  char ***argv)
{
  regard_application_init_i18n ();
  g_test_init (argc, argv, NULL);

  if (!gtk_init_check ())
    {
      g_printerr ("No display: skipping (run under xvfb-run)\n");
      exit (RG_TEST_EXIT_SKIP);
    }

  adw_init ();
}

RegardApplication *
rg_app_test_app (void)
{
  static RegardApplication *app;

  /* One per process: a registered application keeps its D-Bus path. */
  if (app == NULL)
    {
      g_autoptr(GError) error = NULL;

      app = regard_application_new (G_APPLICATION_NON_UNIQUE);
      g_application_register (G_APPLICATION (app), NULL, &error);
      g_assert_no_error (error);
    }

  return g_object_ref (app);
}

RegardWindow *
rg_app_test_window (RegardApplication *app,
                    const char        *model_dir)
{
  RegardWindow *window = regard_window_new (ADW_APPLICATION (app));

  gtk_window_set_default_size (GTK_WINDOW (window), 720, 760);
  gtk_window_present (GTK_WINDOW (window));

  if (model_dir != NULL)
    regard_window_load_model (window, model_dir);

  return window;
}

static gboolean
tick_cb (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

void
rg_app_test_wait (RegardWindow  *window,
                  RgAppTestCond  cond,
                  guint          timeout_s,
                  const char    *what)
{
  gint64 deadline = g_get_monotonic_time () + (gint64)timeout_s * G_USEC_PER_SEC;
  guint id = g_timeout_add (10, tick_cb, NULL);

  while (!cond (window))
    {
      if (g_get_monotonic_time () > deadline)
        {
          g_source_remove (id);
          g_error ("Timed out after %u s waiting for %s", timeout_s, what);
        }
      g_main_context_iteration (NULL, TRUE);
    }

  g_source_remove (id);
}

void
rg_app_test_settle (guint ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64)ms * 1000;
  guint id = g_timeout_add (10, tick_cb, NULL);

  while (g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);

  g_source_remove (id);
}

static gboolean
settled_load (RegardWindow *window)
{
  RegardSessionState state = regard_session_get_state (regard_window_get_session (window));

  return state == REGARD_SESSION_READY || state == REGARD_SESSION_FAILED;
}

gboolean
rg_app_test_idle (RegardWindow *window)
{
  return !regard_window_get_busy (window);
}

void
rg_app_test_wait_ready (RegardWindow *window)
{
  RegardSession *session = regard_window_get_session (window);
  const GError *error;

  rg_app_test_wait (window, settled_load, 120, "the model to load");

  error = regard_session_get_error (session);
  if (regard_session_get_state (session) == REGARD_SESSION_FAILED &&
      g_error_matches (error, REGARD_ERROR, REGARD_ERROR_NO_DEVICE))
    {
      g_printerr ("No Vulkan device: skipping (%s)\n", error->message);
      exit (RG_TEST_EXIT_SKIP);
    }

  g_assert_no_error ((GError *)error);
  g_assert_cmpint (regard_session_get_state (session), ==, REGARD_SESSION_READY);
}

static char *
capture (GtkWidget  *widget,
         const char *name)
{
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *file = g_strconcat (name, ".png", NULL);
  const char *dir = g_getenv ("G_TEST_BUILDDIR");
  char *path = g_build_filename (dir ? dir : ".", file, NULL);
  GskRenderer *renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);

  g_test_message ("snapshot %s: mapped %d, %dx%d, frame %" G_GINT64_FORMAT, name, gtk_widget_get_mapped (widget), width, height,
                  gdk_frame_clock_get_frame_counter (gtk_widget_get_frame_clock (widget)));
  g_assert_cmpint (width, >, 0);
  g_assert_cmpint (height, >, 0);

  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));

  /* Nothing drawn yet through the paintable (no frame since mapping):
   * ask the widget to draw itself. */
  if (node == NULL)
    {
      snapshot = gtk_snapshot_new ();
      GTK_WIDGET_GET_CLASS (widget)->snapshot (widget, snapshot);
      node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
    }
  g_assert_nonnull (node);

  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("Screenshot: %s", path);

  return path;
}

typedef struct
{
  GtkWidget *widget;
  const char *name;
  char *path;
} SnapshotJob;

static void
capture_after_paint (GdkFrameClock *clock,
                     SnapshotJob   *job)
{
  if (job->path == NULL)
    job->path = capture (job->widget, job->name);
}

/* Captured at the end of a frame, when every widget has been laid out: a
 * widget that changed since the last frame (a progress label, say) has no
 * allocation yet, and snapshotting it then is a GTK warning. */
char *
rg_app_test_snapshot (GtkWidget  *widget,
                      const char *name)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (widget);
  SnapshotJob job = { widget, name, NULL };
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  gulong id;

  if (clock == NULL)
    return capture (widget, name);
  id = g_signal_connect (clock, "after-paint", G_CALLBACK (capture_after_paint), &job);
  gtk_widget_queue_draw (widget);
  while (job.path == NULL && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_signal_handler_disconnect (clock, id);
  g_assert_nonnull (job.path);
  return job.path;
}

void
rg_app_test_resize (RegardWindow *window,
                    int           width)
{
  gtk_window_set_default_size (GTK_WINDOW (window), width, 900);
  /* Client-side decorations make the widget a few pixels off the request. */
  for (int i = 0; i < 200 && ABS (gtk_widget_get_width (GTK_WIDGET (window)) - width) > 16; i++)
    rg_app_test_settle (20);
  rg_app_test_settle (400);
  g_test_message ("window %d px wide (asked %d)", gtk_widget_get_width (GTK_WIDGET (window)), width);
  g_assert_cmpint (ABS (gtk_widget_get_width (GTK_WIDGET (window)) - width), <=, 16);
}

void
rg_app_test_snapshot_variants (RegardWindow *window,
                               const char   *name)
{
  AdwStyleManager *style = adw_style_manager_get_default ();
  static const int widths[] = { 360, 1280 };

  for (guint s = 0; s < 2; s++)
    {
      adw_style_manager_set_color_scheme (style, s ? ADW_COLOR_SCHEME_FORCE_DARK : ADW_COLOR_SCHEME_FORCE_LIGHT);
      for (guint w = 0; w < G_N_ELEMENTS (widths); w++)
        {
          g_autofree char *file = g_strdup_printf ("%s-%d-%s", name, widths[w], s ? "dark" : "light");

          rg_app_test_resize (window, widths[w]);
          g_free (rg_app_test_snapshot (GTK_WIDGET (window), file));
        }
    }
  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_DEFAULT);
}
