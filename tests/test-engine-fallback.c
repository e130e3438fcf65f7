/* test-engine-fallback: without any Vulkan device (no ICD here), the
 * reference backend is used only when the model fits in RAM by the same
 * budget estimate as a device, with progress and cancellation; otherwise
 * the load fails saying why (#14). */
#include "test-common.h"

#include "regard-engine.h"
#include "rg-engine-test.h"

#include <string.h>

typedef struct
{
  guint n_progress;
  guint64 done, total;
  GCancellable *cancel_on_progress;
} Progress;

static void
on_progress (guint64 done, guint64 total, gpointer data)
{
  Progress *p = data;

  g_assert_cmpuint (done, <=, total);
  p->n_progress++;
  p->done = done;
  p->total = total;
  if (p->cancel_on_progress)
    g_cancellable_cancel (p->cancel_on_progress);
}

static void
store_result (GObject *source, GAsyncResult *result, gpointer data)
{
  *(GAsyncResult **) data = g_object_ref (result);
}

static gboolean
load (RegardEngine *engine, GCancellable *cancellable, Progress *p, GError **error)
{
  g_autofree char *model_dir = rg_test_fixture_path ("idefics2-tiny");
  g_autoptr(GMainContext) ctx = g_main_context_new ();
  g_autoptr(GAsyncResult) result = NULL;

  g_main_context_push_thread_default (ctx);
  regard_engine_load_async (engine, model_dir, cancellable, on_progress, p, NULL, store_result, &result);
  while (result == NULL)
    g_main_context_iteration (ctx, TRUE);
  while (g_main_context_iteration (ctx, FALSE))
    ;
  g_main_context_pop_thread_default (ctx);
  return regard_engine_load_finish (engine, result, error);
}

static void
test_no_device_fits (void)
{
  g_autoptr(RegardEngine) engine = regard_engine_new (NULL, NULL);
  g_autoptr(GError) error = NULL;
  Progress p = { 0 };
  const RegardModelInfo *info;

  g_assert_true (load (engine, NULL, &p, &error));
  g_assert_no_error (error);
  info = regard_engine_get_model_info (engine);
  g_assert_cmpstr (info->backend, ==, "reference");
  g_assert_nonnull (strstr (info->device_name, "Reference backend"));
  /* Progress per tensor, ending at the total. */
  g_assert_cmpuint (p.n_progress, >, 10);
  g_assert_cmpuint (p.done, ==, p.total);
  g_assert_cmpuint (p.total, >, 0);
}

static void
test_no_device_too_little_ram (void)
{
  g_autoptr(RegardEngine) engine = regard_engine_new (NULL, NULL);
  g_autoptr(GError) error = NULL;
  Progress p = { 0 };

  /* The tiny model needs some MB (mostly the 4096-token KV cache). */
  g_setenv ("REGARD_HOST_MEMORY_BYTES", "1000000", TRUE);
  g_assert_false (load (engine, NULL, &p, &error));
  g_unsetenv ("REGARD_HOST_MEMORY_BYTES");
  g_assert_error (error, REGARD_ERROR, REGARD_ERROR_NO_DEVICE);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "No Vulkan device"));
  g_assert_nonnull (strstr (error->message, "reference backend needs"));
  g_assert_null (regard_engine_get_model_info (engine));
}

static void
test_no_device_cancel (void)
{
  g_autoptr(RegardEngine) engine = regard_engine_new (NULL, NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  Progress p = { .cancel_on_progress = cancellable };

  g_assert_false (load (engine, cancellable, &p, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  /* Stopped between tensors, long before the end. */
  g_assert_cmpuint (p.done, <, p.total);
  g_assert_null (regard_engine_get_model_info (engine));
}

int
main (int argc, char **argv)
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  /* No Vulkan driver at all, whatever this machine has. */
  g_setenv ("VK_ICD_FILENAMES", "/nonexistent/regard-no-icd.json", TRUE);
  g_setenv ("VK_DRIVER_FILES", "/nonexistent/regard-no-icd.json", TRUE);
  g_unsetenv ("REGARD_BACKEND");
  g_unsetenv ("REGARD_DEVICE");
  g_test_add_func ("/engine/fallback/no-device-fits", test_no_device_fits);
  g_test_add_func ("/engine/fallback/no-device-too-little-ram", test_no_device_too_little_ram);
  g_test_add_func ("/engine/fallback/no-device-cancel", test_no_device_cancel);
  rc = g_test_run ();
  /* freed engines finish on their own threads: not during exit */
  rg_engine_test_wait_threads ();
  return rc;
}
