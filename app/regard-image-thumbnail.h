/* regard-image-thumbnail.h: an image in the transcript.
 *
 * Draws a thumbnail at the image's own proportions: at most
 * REGARD_THUMBNAIL_MAX_HEIGHT pixels high, never wider than it is given
 * (it shrinks with the column, keeping its aspect ratio), and small images
 * enlarged to REGARD_THUMBNAIL_MIN_SIZE so a 1x1 is still visible. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define REGARD_THUMBNAIL_MAX_HEIGHT 200
#define REGARD_THUMBNAIL_MIN_SIZE 48

#define REGARD_TYPE_IMAGE_THUMBNAIL (regard_image_thumbnail_get_type ())
G_DECLARE_FINAL_TYPE (RegardImageThumbnail, regard_image_thumbnail, REGARD, IMAGE_THUMBNAIL, GtkWidget)

/* TEXTURE is drawn; WIDTH x HEIGHT are the image's own size (TEXTURE may
 * be a reduced copy), which sets the proportions. */
GtkWidget  *regard_image_thumbnail_new          (GdkTexture           *texture,
                                                 guint                 width,
                                                 guint                 height);
GdkTexture *regard_image_thumbnail_get_texture  (RegardImageThumbnail *self);
/* The size it asks for when nothing constrains it. */
void        regard_image_thumbnail_get_natural  (RegardImageThumbnail *self,
                                                 int                  *width,
                                                 int                  *height);

G_END_DECLS
