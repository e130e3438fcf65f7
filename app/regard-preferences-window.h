/* regard-preferences-window.h */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define REGARD_TYPE_PREFERENCES_WINDOW (regard_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (RegardPreferencesWindow, regard_preferences_window, REGARD, PREFERENCES_WINDOW, AdwPreferencesWindow)

GtkWidget *regard_preferences_window_new (GtkWindow *transient_for);

G_END_DECLS
