/* regard-image-viewer.h: an attached image at full size, in its own
 * window over PARENT (Escape closes it). */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

GtkWindow *regard_image_viewer_show (GtkWindow  *parent,
                                     GdkTexture *texture,
                                     const char *name);

G_END_DECLS
