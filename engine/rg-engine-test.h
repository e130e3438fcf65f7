/* rg-engine-test.h: test hooks of the engine (tests only; the product
 * never sets them). They are process-wide because an engine is often out
 * of a test's reach (the app's window owns its own). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  /* Engine thread, after each step of a model run (a command buffer on
   * Vulkan, a layer on the reference backend) of every ask. */
  void (*on_step) (gpointer data);
  /* An engine thread is ending: its model and device are freed, the free's
   * FINISHED is not queued yet. */
  void (*on_thread_exit) (gpointer data);
  /* The client's thread, in regard_engine_free (), right after it
   * cancelled the running request (or found none): steps counted from
   * here on ran after the cancel. */
  void (*on_cancel) (gpointer data);
  gpointer data;
} RgEngineTestHooks;

/* HOOKS (NULL: none) must live until they are unset. */
void rg_engine_set_test_hooks (const RgEngineTestHooks *hooks);
const RgEngineTestHooks *rg_engine_get_test_hooks (void);

/* Blocks until every engine thread started so far has returned (engines
 * freed with regard_engine_free () finish on their own). */
void rg_engine_test_wait_threads (void);

G_END_DECLS
