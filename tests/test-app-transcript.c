/* test-app-transcript.c: images in the transcript (issue 12, item 2).
 *
 * Each sent image is a thumbnail at its own proportions, at most 200 px
 * high, never wider than the chat column, never overlapping another
 * message, at 360 and 1280 px window widths, light and dark; activating
 * one opens the full image; an answer's status line sits under it. */

#include "config.h"

#include "regard-image-thumbnail.h"
#include "regard-window-private.h"
#include "test-app-common.h"
#include "test-common.h"

static char *tmpdir;

static char *
write_png (const char *name,
           int         width,
           int         height)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, width, height);
  char *path = g_build_filename (tmpdir, name, NULL);
  g_autoptr(GError) error = NULL;

  /* A diagonal gradient: proportions show at a glance. */
  for (int y = 0; y < height; y++)
    {
      guint8 *row = gdk_pixbuf_get_pixels (pixbuf) + (gsize) y * gdk_pixbuf_get_rowstride (pixbuf);
      for (int x = 0; x < width; x++)
        {
          row[x * 3 + 0] = (guint8) (255 * x / MAX (1, width - 1));
          row[x * 3 + 1] = (guint8) (255 * y / MAX (1, height - 1));
          row[x * 3 + 2] = 160;
        }
    }
  gdk_pixbuf_save (pixbuf, path, "png", &error, NULL);
  g_assert_no_error (error);
  return path;
}

static guint expected_attachments;

static gboolean
attachments_ready (RegardWindow *window)
{
  return regard_window_get_n_attachments (window) == expected_attachments &&
         regard_window_get_n_loading (window) == 0;
}

static void
collect_thumbnails (GtkWidget *widget,
                    GPtrArray *out)
{
  if (REGARD_IS_IMAGE_THUMBNAIL (widget) && gtk_widget_get_mapped (widget))
    g_ptr_array_add (out, widget);
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    collect_thumbnails (c, out);
}

static graphene_rect_t
bounds_in (GtkWidget *widget,
           GtkWidget *ancestor)
{
  graphene_rect_t r;

  g_assert_true (gtk_widget_compute_bounds (widget, ancestor, &r));
  return r;
}

/* Sends the attached images with a question and waits for the answer. */
static void
send_images (RegardWindow *window,
             const char  **paths,
             const char   *question)
{
  for (guint i = 0; paths[i] != NULL; i++)
    {
      g_autoptr(GFile) file = g_file_new_for_path (paths[i]);
      regard_window_attach_image_file (window, file);
    }
  expected_attachments = g_strv_length ((char **) paths);
  rg_app_test_wait (window, attachments_ready, 120, "the images to decode");
  g_assert_cmpuint (regard_window_get_n_attachments (window), ==, g_strv_length ((char **) paths));
  regard_window_set_question (window, question);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.send", NULL));
  rg_app_test_wait (window, rg_app_test_idle, 300, "the answer");
}

/* Every thumbnail: proportions kept, bounded, inside the column and its
 * own message; messages do not overlap. */
static void
check_layout (RegardWindow *window,
              guint         expected)
{
  GtkWidget *box = GTK_WIDGET (window->transcript_box);
  g_autoptr(GPtrArray) thumbs = g_ptr_array_new ();
  double column = gtk_widget_get_width (box);
  double previous_bottom = -1;

  for (GtkWidget *m = gtk_widget_get_first_child (box); m; m = gtk_widget_get_next_sibling (m))
    {
      graphene_rect_t mr = bounds_in (m, box);
      g_assert_cmpfloat (mr.origin.y, >=, previous_bottom);
      previous_bottom = mr.origin.y + mr.size.height;
    }

  collect_thumbnails (box, thumbs);
  g_assert_cmpuint (thumbs->len, ==, expected);

  for (guint i = 0; i < thumbs->len; i++)
    {
      RegardImageThumbnail *thumb = g_ptr_array_index (thumbs, i);
      GtkWidget *message = gtk_widget_get_ancestor (GTK_WIDGET (thumb), REGARD_TYPE_MESSAGE);
      GdkTexture *texture = regard_image_thumbnail_get_texture (thumb);
      graphene_rect_t r = bounds_in (GTK_WIDGET (thumb), box);
      graphene_rect_t mr = bounds_in (message, box);
      int nat_w, nat_h;
      double image_aspect, shown_aspect;

      regard_image_thumbnail_get_natural (thumb, &nat_w, &nat_h);
      image_aspect = (double) nat_w / nat_h;
      /* What is drawn: the allocation's largest rect at the image's ratio. */
      shown_aspect = r.size.width / r.size.height;
      g_test_message ("thumbnail %u: %dx%d texture, %.0fx%.0f at %.0f,%.0f, column %.0f",
                      i, gdk_texture_get_width (texture), gdk_texture_get_height (texture),
                      r.size.width, r.size.height, r.origin.x, r.origin.y, column);

      g_assert_cmpfloat (r.size.height, <=, REGARD_THUMBNAIL_MAX_HEIGHT);
      g_assert_cmpfloat (r.origin.x, >=, 0);
      g_assert_cmpfloat (r.origin.x + r.size.width, <=, column + 0.5);
      /* Inside its own message: nothing overlaps the text or the next one. */
      g_assert_cmpfloat (r.origin.y, >=, mr.origin.y);
      g_assert_cmpfloat (r.origin.y + r.size.height, <=, mr.origin.y + mr.size.height + 0.5);
      /* Not a sliver: the allocation keeps the image's ratio (rounding
       * aside) unless a taller neighbour in its row sets the height. */
      if (r.size.height >= nat_h - 1 || r.size.width < nat_w - 1)
        g_assert_cmpfloat (fabs (shown_aspect - image_aspect) / image_aspect, <, 0.05 + 2.0 / MIN (r.size.width, r.size.height));
      g_assert_cmpfloat (MIN (r.size.width, r.size.height), >=, 1);
      g_assert_cmpfloat (MAX (r.size.width, r.size.height), >=, MIN (REGARD_THUMBNAIL_MIN_SIZE, column) - 1);
    }
}

static void
test_thumbnails (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(RegardApplication) app = NULL;
  g_autofree char *model = rg_test_fixture_path ("idefics2-tiny");
  g_autofree char *tiny = rg_test_fixture_path ("images/tiny_30x20.png");
  g_autofree char *wide = rg_test_fixture_path ("images/landscape_1200x500.png");
  g_autofree char *tall = rg_test_fixture_path ("images/portrait_600x1000.jpg");
  g_autofree char *dot = write_png ("dot-1x1.png", 1, 1);
  g_autofree char *huge = write_png ("huge-12000x12000.png", 12000, 12000);
  const char *singles[] = { dot, tiny, wide, tall, huge };
  const char *several[] = { wide, tall, tiny, dot, NULL };
  const int widths[] = { 1280, 360 };
  AdwStyleManager *style = adw_style_manager_get_default ();
  RegardWindow *window;

  g_settings_set_uint (settings, "max-new-tokens", 1);
  app = rg_app_test_app ();
  window = rg_app_test_window (app, model);
  rg_app_test_wait_ready (window);
  rg_app_test_resize (window, 1280);

  for (guint i = 0; i < G_N_ELEMENTS (singles); i++)
    {
      const char *one[] = { singles[i], NULL };
      send_images (window, one, "What is this?");
    }
  send_images (window, several, "And these?");

  for (guint s = 0; s < 2; s++)
    {
      adw_style_manager_set_color_scheme (style, s ? ADW_COLOR_SCHEME_FORCE_DARK : ADW_COLOR_SCHEME_FORCE_LIGHT);
      for (guint w = 0; w < G_N_ELEMENTS (widths); w++)
        {
          g_autofree char *name = g_strdup_printf ("app-transcript-%d-%s", widths[w], s ? "dark" : "light");
          g_autofree char *shot = NULL;
          GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (window->transcript_scroller);

          rg_app_test_resize (window, widths[w]);
          check_layout (window, G_N_ELEMENTS (singles) + 4);

          /* The multi-image message, at the bottom. */
          _regard_window_scroll_to_bottom (window);
          rg_app_test_settle (300);
          shot = rg_app_test_snapshot (GTK_WIDGET (window), name);
          /* And the single ones, further up. */
          gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj) * 0.25);
          rg_app_test_settle (300);
          g_free (shot);
          g_free (name);
          name = g_strdup_printf ("app-transcript-top-%d-%s", widths[w], s ? "dark" : "light");
          shot = rg_app_test_snapshot (GTK_WIDGET (window), name);
        }
    }
  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_DEFAULT);

  gtk_window_destroy (GTK_WINDOW (window));
}

static GtkWindow *
find_viewer (const char *title)
{
  GListModel *toplevels = gtk_window_get_toplevels ();   /* borrowed */

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) w = g_list_model_get_item (toplevels, i);
      if (!REGARD_IS_WINDOW (w) && g_strcmp0 (gtk_window_get_title (w), title) == 0 &&
          gtk_widget_get_visible (GTK_WIDGET (w)))
        return w;
    }
  return NULL;
}

static void
find_picture (GtkWidget   *widget,
              GtkPicture **out)
{
  if (GTK_IS_PICTURE (widget))
    *out = GTK_PICTURE (widget);
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c && !*out; c = gtk_widget_get_next_sibling (c))
    find_picture (c, out);
}

/* `regard --ocr FILE`: the image shows in the transcript, a real
 * thumbnail; activating it opens the image at full size; the answer's
 * status line is under the answer. */
static void
test_ocr_shows_image_and_opens (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(RegardApplication) app = NULL;
  g_autofree char *model = rg_test_fixture_path ("idefics2-tiny");
  g_autofree char *image = rg_test_fixture_path ("images/landscape_1200x500.png");
  g_autoptr(GFile) file = g_file_new_for_path (image);
  g_autoptr(GPtrArray) thumbs = g_ptr_array_new ();
  GtkWidget *child, *answer, *status = NULL;
  GtkWindow *viewer;
  GtkPicture *picture = NULL;
  GdkPaintable *paintable;
  graphene_rect_t r, ar, sr;
  RegardWindow *window;

  g_settings_set_uint (settings, "max-new-tokens", 2);
  app = rg_app_test_app ();
  window = rg_app_test_window (app, model);
  regard_window_extract_text (window, &file, 1);
  rg_app_test_wait_ready (window);
  rg_app_test_wait (window, rg_app_test_idle, 300, "the extracted text");
  rg_app_test_settle (500);

  collect_thumbnails (GTK_WIDGET (window->transcript_box), thumbs);
  g_assert_cmpuint (thumbs->len, ==, 1);
  r = bounds_in (g_ptr_array_index (thumbs, 0), GTK_WIDGET (window->transcript_box));
  g_assert_cmpfloat (r.size.height, ==, 200);
  g_assert_cmpfloat (r.size.width, ==, 480);

  /* Status "Stopped at the answer length limit": inside the answer, under its text. */
  g_assert_cmpstr (regard_window_get_last_status (window), !=, NULL);
  answer = GTK_WIDGET (window->last_answer);
  for (GtkWidget *w = gtk_widget_get_first_child (gtk_widget_get_first_child (answer)); w; w = gtk_widget_get_next_sibling (w))
    if (GTK_IS_LABEL (w) && g_strcmp0 (gtk_label_get_text (GTK_LABEL (w)), regard_window_get_last_status (window)) == 0)
      status = w;
  g_assert_nonnull (status);
  ar = bounds_in (answer, GTK_WIDGET (window->transcript_box));
  sr = bounds_in (status, GTK_WIDGET (window->transcript_box));
  g_assert_cmpfloat (sr.origin.y, >=, ar.origin.y);
  g_assert_cmpfloat (sr.origin.y + sr.size.height, <=, ar.origin.y + ar.size.height + 0.5);

  /* Activating the thumbnail (click, Enter) opens the image. */
  child = gtk_widget_get_ancestor (g_ptr_array_index (thumbs, 0), GTK_TYPE_BUTTON);
  g_assert_nonnull (child);
  g_signal_emit_by_name (child, "clicked");
  rg_app_test_settle (500);
  viewer = find_viewer ("landscape_1200x500.png");
  g_assert_nonnull (viewer);
  find_picture (GTK_WIDGET (viewer), &picture);
  g_assert_nonnull (picture);
  paintable = gtk_picture_get_paintable (picture);
  g_assert_cmpint (gdk_paintable_get_intrinsic_width (paintable), ==, 1200);
  g_assert_cmpint (gdk_paintable_get_intrinsic_height (paintable), ==, 500);
  g_free (rg_app_test_snapshot (GTK_WIDGET (viewer), "app-transcript-viewer"));
  gtk_window_destroy (viewer);

  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  rg_app_test_init (&argc, &argv);
  tmpdir = g_dir_make_tmp ("regard-transcript-XXXXXX", NULL);

  g_test_add_func ("/app/transcript/thumbnails", test_thumbnails);
  g_test_add_func ("/app/transcript/ocr-shows-image-and-opens", test_ocr_shows_image_and_opens);

  ret = g_test_run ();
  rg_test_remove_tree (tmpdir);
  g_free (tmpdir);
  return ret;
}
