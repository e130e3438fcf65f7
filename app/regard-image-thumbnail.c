/* regard-image-thumbnail.c
 *
 * Copyright 2025 The Regard authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "regard-image-thumbnail.h"

struct _RegardImageThumbnail
{
  GtkWidget parent_instance;

  GdkTexture *texture;   /* owned */
  guint width, height;   /* the image's own size */
};

G_DEFINE_FINAL_TYPE (RegardImageThumbnail, regard_image_thumbnail, GTK_TYPE_WIDGET)

void
regard_image_thumbnail_get_natural (RegardImageThumbnail *self,
                                    int                  *width,
                                    int                  *height)
{
  double w = MAX (self->width, 1);
  double h = MAX (self->height, 1);
  double scale = 1.0;

  /* Enlarge tiny images, shrink tall ones; the aspect ratio stays. */
  if (MAX (w, h) < REGARD_THUMBNAIL_MIN_SIZE)
    scale = REGARD_THUMBNAIL_MIN_SIZE / MAX (w, h);
  if (h * scale > REGARD_THUMBNAIL_MAX_HEIGHT)
    scale = REGARD_THUMBNAIL_MAX_HEIGHT / h;

  *width = MAX (1, (int) (w * scale + 0.5));
  *height = MAX (1, (int) (h * scale + 0.5));
}

static GtkSizeRequestMode
regard_image_thumbnail_get_request_mode (GtkWidget *widget)
{
  return GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH;
}

static void
regard_image_thumbnail_measure (GtkWidget      *widget,
                                GtkOrientation  orientation,
                                int             for_size,
                                int            *minimum,
                                int            *natural,
                                int            *minimum_baseline,
                                int            *natural_baseline)
{
  RegardImageThumbnail *self = REGARD_IMAGE_THUMBNAIL (widget);
  int nat_w, nat_h;

  regard_image_thumbnail_get_natural (self, &nat_w, &nat_h);

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      /* It may be squeezed down to a narrow column... */
      *minimum = MIN (nat_w, REGARD_THUMBNAIL_MIN_SIZE);
      *natural = nat_w;
    }
  else
    {
      /* ...and then gets shorter with it, never taller. */
      int h = nat_h;

      if (for_size >= 0 && for_size < nat_w)
        h = MAX (1, (int) ((double) nat_h * for_size / nat_w + 0.5));
      *minimum = *natural = h;
    }
}

static void
regard_image_thumbnail_snapshot (GtkWidget   *widget,
                                 GtkSnapshot *snapshot)
{
  RegardImageThumbnail *self = REGARD_IMAGE_THUMBNAIL (widget);
  double width = gtk_widget_get_width (widget);
  double height = gtk_widget_get_height (widget);
  int nat_w, nat_h;
  double scale, w, h;
  graphene_rect_t rect;
  GskRoundedRect clip;

  if (self->texture == NULL || width <= 0 || height <= 0)
    return;

  /* Whatever the allocation, the image keeps its proportions. */
  regard_image_thumbnail_get_natural (self, &nat_w, &nat_h);
  scale = MIN (MIN (width / nat_w, height / nat_h), 1.0);
  w = nat_w * scale;
  h = nat_h * scale;
  rect = GRAPHENE_RECT_INIT ((width - w) / 2, (height - h) / 2, w, h);

  gsk_rounded_rect_init_from_rect (&clip, &rect, MIN (8.0, MIN (w, h) / 4));
  gtk_snapshot_push_rounded_clip (snapshot, &clip);
  gtk_snapshot_append_texture (snapshot, self->texture, &rect);
  gtk_snapshot_pop (snapshot);
}

static void
regard_image_thumbnail_finalize (GObject *object)
{
  RegardImageThumbnail *self = (RegardImageThumbnail *)object;

  g_clear_object (&self->texture);

  G_OBJECT_CLASS (regard_image_thumbnail_parent_class)->finalize (object);
}

static void
regard_image_thumbnail_class_init (RegardImageThumbnailClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = regard_image_thumbnail_finalize;
  widget_class->get_request_mode = regard_image_thumbnail_get_request_mode;
  widget_class->measure = regard_image_thumbnail_measure;
  widget_class->snapshot = regard_image_thumbnail_snapshot;

  gtk_widget_class_set_css_name (widget_class, "thumbnail");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
regard_image_thumbnail_init (RegardImageThumbnail *self)
{
  gtk_widget_set_overflow (GTK_WIDGET (self), GTK_OVERFLOW_HIDDEN);
}

GtkWidget *
regard_image_thumbnail_new (GdkTexture *texture,
                            guint       width,
                            guint       height)
{
  RegardImageThumbnail *self;

  g_return_val_if_fail (GDK_IS_TEXTURE (texture), NULL);

  self = g_object_new (REGARD_TYPE_IMAGE_THUMBNAIL, NULL);
  self->texture = g_object_ref (texture);
  self->width = width ? width : (guint) gdk_texture_get_width (texture);
  self->height = height ? height : (guint) gdk_texture_get_height (texture);

  return GTK_WIDGET (self);
}

GdkTexture *
regard_image_thumbnail_get_texture (RegardImageThumbnail *self)
{
  g_return_val_if_fail (REGARD_IS_IMAGE_THUMBNAIL (self), NULL);
  return self->texture;
}
