/* test-app-common.h: helpers for the ui suite (the real app window). */
#pragma once

#include <adwaita.h>

#include "regard-application.h"
#include "regard-window.h"

G_BEGIN_DECLS

/* i18n, g_test_init, a display (exits 77 without one). */
void               rg_app_test_init      (int *argc, char ***argv);
/* The process's registered, non-unique application (a new reference). */
RegardApplication *rg_app_test_app       (void);
/* A presented window, its model loading (NULL: no model). */
RegardWindow      *rg_app_test_window    (RegardApplication *app, const char *model_dir);

typedef gboolean (*RgAppTestCond) (RegardWindow *window);
/* Runs the main loop until COND holds; fails the test after TIMEOUT_S. */
void               rg_app_test_wait      (RegardWindow *window, RgAppTestCond cond,
                                          guint timeout_s, const char *what);
/* An RgAppTestCond: no answer is running (the last one has ended). */
gboolean           rg_app_test_idle      (RegardWindow *window);
/* Runs the main loop for MS milliseconds (animations, frame ticks). */
void               rg_app_test_settle    (guint ms);
/* Waits for the model; exits 77 when there is no Vulkan device. */
void               rg_app_test_wait_ready (RegardWindow *window);
/* Renders WIDGET to $G_TEST_BUILDDIR/NAME.png and returns the path. */
char              *rg_app_test_snapshot  (GtkWidget *widget, const char *name);

/* Resizes WINDOW to WIDTH px (a 900 px high window) and lets it settle. */
void               rg_app_test_resize    (RegardWindow *window, int width);
/* Snapshots WINDOW at 360 and 1280 px wide, light and dark, as
 * NAME-WIDTH-light|dark.png; WINDOW is left at 1280 px, default scheme. */
void               rg_app_test_snapshot_variants (RegardWindow *window, const char *name);

G_END_DECLS
