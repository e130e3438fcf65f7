/* regard-a11y.h: accessible names GTK 4.8 gets wrong by itself. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Below ROOT: buttons with a mnemonic ("_Preferences") are named by their
 * text without the underscore (GTK 4.8 names them with it, and screen
 * readers then read "_Preferences Preferences"), now and when their label
 * changes; a menu button's inner toggle by its tooltip; scroll areas without a name of their own leave the Tab order
 * (what they hold is reachable). */
void regard_a11y_fix_names (GtkWidget *root);

G_END_DECLS
