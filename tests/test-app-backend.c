/* test-app-backend.c: the window says when the plain-C reference backend
 * runs the model (issue 14): a banner above the chat, in words that say
 * why, whether no Vulkan device exists or REGARD_BACKEND asks for it. This
 * process has no Vulkan driver at all (VK_ICD_FILENAMES points nowhere). */

#include "config.h"

#include <glib/gi18n.h>

#include "regard-window-private.h"
#include "test-app-common.h"
#include "test-common.h"

static void
assert_reference_banner (const char *expected_why, const char *shot)
{
  g_autoptr(RegardApplication) app = rg_app_test_app ();
  g_autofree char *model = rg_test_fixture_path ("idefics2-tiny");
  RegardWindow *window = rg_app_test_window (app, model);
  RegardSession *session = regard_window_get_session (window);
  const char *label;
  const char *subtitle;

  rg_app_test_wait_ready (window);
  g_assert_true (regard_session_get_reference_backend (session));
  /* the model's name and the backend, in the window's subtitle too */
  subtitle = adw_window_title_get_subtitle (window->window_title);
  g_test_message ("subtitle: %s", subtitle);
  g_assert_nonnull (strstr (subtitle, "idefics2-tiny"));
  g_assert_nonnull (strstr (subtitle, "reference backend"));
  rg_app_test_resize (window, 360);

  g_assert_true (gtk_revealer_get_reveal_child (window->cpu_banner));
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (window->cpu_banner_label)));
  label = gtk_label_get_text (window->cpu_banner_label);
  g_test_message ("banner: %s", label);
  g_assert_nonnull (strstr (label, expected_why));
  g_free (rg_app_test_snapshot (GTK_WIDGET (window), shot));
  gtk_window_destroy (GTK_WINDOW (window));
}

/* No Vulkan device: the model fits in RAM, so the reference backend runs
 * it, and the banner says so. */
static void
test_banner_without_device (void)
{
  g_unsetenv ("REGARD_BACKEND");
  assert_reference_banner (_("No Vulkan device was found: the model runs on the processor with the reference backend. Answers will be very slow."),
                           "app-reference-banner-360");
}

static void
test_banner_forced (void)
{
  g_setenv ("REGARD_BACKEND", "reference", TRUE);
  assert_reference_banner (_("REGARD_BACKEND asks for the reference backend: the model runs on the processor without Vulkan. Answers will be very slow."),
                           "app-reference-banner-forced-360");
  g_unsetenv ("REGARD_BACKEND");
}

int
main (int   argc,
      char *argv[])
{
  rg_app_test_init (&argc, &argv);
  g_setenv ("VK_ICD_FILENAMES", "/nonexistent/regard-no-icd.json", TRUE);
  g_setenv ("VK_DRIVER_FILES", "/nonexistent/regard-no-icd.json", TRUE);
  g_unsetenv ("REGARD_DEVICE");

  g_test_add_func ("/app/backend/reference-banner-without-device", test_banner_without_device);
  g_test_add_func ("/app/backend/reference-banner-forced", test_banner_forced);

  return g_test_run ();
}
