/* test-engine-lifetime: the public API's lifetimes (#14). Freeing the
 * engine with a load and an ask in flight cancels them; their completions
 * still arrive afterwards, *_finish () touches nothing freed (this runs in
 * the ASan build of .ci/run), and every GDestroyNotify runs exactly once,
 * after the last call with its data. The CPU reference backend keeps this
 * test free of GPU drivers under the sanitizers. */
#include "test-common.h"

#include "regard-engine.h"
#include "rg-engine-test.h"

typedef struct
{
  guint calls;          /* progress or token callbacks */
  guint destroyed;      /* destroy notifies */
  gboolean done;        /* the completion ran */
  gboolean ok;
  RegardAskStats stats;
  GError *error;
  RegardEngine *engine; /* freed by the time the completion runs */
} Tracker;

static void
tracker_clear (Tracker *t)
{
  g_clear_error (&t->error);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Tracker, tracker_clear)

static void
on_progress (guint64 done, guint64 total, gpointer data)
{
  Tracker *t = data;

  g_assert_cmpuint (t->destroyed, ==, 0);
  t->calls++;
}

static void
on_token (gint32 id, const char *text, gpointer data)
{
  Tracker *t = data;

  g_assert_cmpuint (t->destroyed, ==, 0);
  t->calls++;
}

static void
on_destroy (gpointer data)
{
  Tracker *t = data;

  t->destroyed++;
}

static void
on_loaded (GObject *source, GAsyncResult *result, gpointer data)
{
  Tracker *t = data;

  t->ok = regard_engine_load_finish (t->engine, result, &t->error);
  t->done = TRUE;
}

static void
on_answered (GObject *source, GAsyncResult *result, gpointer data)
{
  Tracker *t = data;

  t->ok = regard_engine_ask_finish (t->engine, result, &t->stats, &t->error);
  t->done = TRUE;
}

static void
wait_for (GMainContext *ctx, Tracker *a, Tracker *b)
{
  while (!a->done || !a->destroyed || !b->done || !b->destroyed)
    g_main_context_iteration (ctx, TRUE);
  /* Nothing else is pending for them. */
  while (g_main_context_iteration (ctx, FALSE))
    ;
  g_assert_cmpuint (a->destroyed, ==, 1);
  g_assert_cmpuint (b->destroyed, ==, 1);
}

/* Both requests queued, then the engine is freed at once. */
static void
test_free_with_load_and_ask_queued (void)
{
  g_autofree char *model_dir = rg_test_fixture_path ("idefics2-tiny");
  g_autoptr(GMainContext) ctx = g_main_context_new ();
  g_autoptr(RegardConversation) conv = regard_conversation_new ();
  g_autoptr(GError) error = NULL;
  g_auto(Tracker) load = { 0 };
  g_auto(Tracker) ask = { 0 };
  RegardAskParams params = regard_ask_params_default ();
  RegardEngine *engine;

  g_main_context_push_thread_default (ctx);
  engine = regard_engine_new (NULL, &error);
  g_assert_no_error (error);
  load.engine = ask.engine = engine;
  regard_conversation_add_text (conv, REGARD_ROLE_USER, "Tell me a long story.");
  params.max_new_tokens = 3000;

  regard_engine_load_async (engine, model_dir, NULL, on_progress, &load, on_destroy, on_loaded, &load);
  regard_engine_ask_async (engine, conv, &params, NULL, on_token, &ask, on_destroy, on_answered, &ask);
  regard_engine_free (engine);

  wait_for (ctx, &load, &ask);
  g_main_context_pop_thread_default (ctx);

  /* The load was cancelled (or had finished); the ask never ran. */
  if (!load.ok)
    g_assert_error (load.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_true (ask.ok);
  g_assert_cmpint (ask.stats.stop_reason, ==, REGARD_STOP_CANCELLED);
  g_assert_cmpuint (ask.stats.generated_tokens, ==, 0);
}

/* The ask is streaming when the engine is freed. */
static void
test_free_while_answering (void)
{
  g_autofree char *model_dir = rg_test_fixture_path ("idefics2-tiny");
  g_autoptr(GMainContext) ctx = g_main_context_new ();
  g_autoptr(RegardConversation) conv = regard_conversation_new ();
  g_autoptr(GError) error = NULL;
  g_auto(Tracker) load = { 0 };
  g_auto(Tracker) ask = { 0 };
  RegardAskParams params = regard_ask_params_default ();
  RegardEngine *engine;

  g_main_context_push_thread_default (ctx);
  engine = regard_engine_new (NULL, &error);
  g_assert_no_error (error);
  load.engine = ask.engine = engine;
  regard_conversation_add_text (conv, REGARD_ROLE_USER, "Tell me a long story.");
  params.max_new_tokens = 3000;

  regard_engine_load_async (engine, model_dir, NULL, on_progress, &load, on_destroy, on_loaded, &load);
  regard_engine_ask_async (engine, conv, &params, NULL, on_token, &ask, on_destroy, on_answered, &ask);
  while (ask.calls == 0)
    g_main_context_iteration (ctx, TRUE);
  g_assert_true (load.done);
  g_assert_true (load.ok);
  g_assert_nonnull (regard_engine_get_model_info (engine));
  regard_engine_free (engine);

  wait_for (ctx, &load, &ask);
  g_main_context_pop_thread_default (ctx);

  g_assert_true (ask.ok);
  g_assert_cmpint (ask.stats.stop_reason, ==, REGARD_STOP_CANCELLED);
  g_assert_cmpuint (ask.stats.generated_tokens, <, params.max_new_tokens);
  g_assert_cmpuint (ask.calls, ==, ask.stats.generated_tokens);
}

/* The step hook holds the engine thread inside a forward until the test
 * opens the gate. */
typedef struct
{
  GMutex lock;
  GCond cond;
  guint steps;
  guint block_at;
  gboolean blocked;
  gboolean open;
  gboolean timed_out;
} Gate;

static void
gate_step (gpointer data)
{
  Gate *g = data;

  g_mutex_lock (&g->lock);
  if (++g->steps == g->block_at)
    {
      /* A free that waited for this forward would wait here for ever: the
       * deadline only turns that hang into a failure, it measures nothing. */
      gint64 end = g_get_monotonic_time () + 60 * G_TIME_SPAN_SECOND;

      g->blocked = TRUE;
      g_cond_broadcast (&g->cond);
      while (!g->open && !g->timed_out)
        if (!g_cond_wait_until (&g->cond, &g->lock, end))
          g->timed_out = TRUE;
    }
  g_mutex_unlock (&g->lock);
}

static void
set_flag (gpointer data)
{
  *(gboolean *) data = TRUE;
}

/* The engine thread is held in the middle of a prefill when the engine is
 * freed: the free returns all the same, and no step of the model runs
 * after it (the cancel is seen at the next check). */
static void
test_free_does_not_wait_for_forward (void)
{
  g_autofree char *model_dir = rg_test_fixture_path ("idefics2-tiny");
  g_autoptr(GMainContext) ctx = g_main_context_new ();
  g_autoptr(RegardConversation) conv = regard_conversation_new ();
  g_autoptr(GError) error = NULL;
  g_auto(Tracker) load = { 0 };
  g_auto(Tracker) ask = { 0 };
  RegardAskParams params = regard_ask_params_default ();
  Gate gate = { .block_at = 1 };
  RgEngineTestHooks hooks = { .on_step = gate_step, .data = &gate };
  gboolean finished = FALSE;
  guint steps_at_free;
  RegardEngine *engine;

  g_mutex_init (&gate.lock);
  g_cond_init (&gate.cond);
  rg_engine_set_test_hooks (&hooks);
  g_main_context_push_thread_default (ctx);
  engine = regard_engine_new (NULL, &error);
  g_assert_no_error (error);
  load.engine = ask.engine = engine;
  regard_conversation_add_text (conv, REGARD_ROLE_USER, "Tell me a long story.");
  params.max_new_tokens = 3000;

  regard_engine_load_async (engine, model_dir, NULL, on_progress, &load, on_destroy, on_loaded, &load);
  regard_engine_ask_async (engine, conv, &params, NULL, on_token, &ask, on_destroy, on_answered, &ask);
  g_mutex_lock (&gate.lock);
  while (!gate.blocked)
    g_cond_wait (&gate.cond, &gate.lock);
  g_mutex_unlock (&gate.lock);

  regard_engine_free_full (engine, set_flag, &finished);

  g_mutex_lock (&gate.lock);
  steps_at_free = gate.steps;
  gate.open = TRUE;
  g_cond_broadcast (&gate.cond);
  g_mutex_unlock (&gate.lock);
  /* returned while the engine thread was still held in its first step */
  g_assert_false (gate.timed_out);
  g_assert_cmpuint (steps_at_free, ==, 1);
  g_assert_false (finished);

  wait_for (ctx, &load, &ask);
  while (!finished)
    g_main_context_iteration (ctx, TRUE);
  g_main_context_pop_thread_default (ctx);
  rg_engine_test_wait_threads ();
  rg_engine_set_test_hooks (NULL);

  g_assert_cmpuint (gate.steps, ==, steps_at_free);
  g_assert_true (load.ok);
  g_assert_true (ask.ok);
  g_assert_cmpint (ask.stats.stop_reason, ==, REGARD_STOP_CANCELLED);
  g_assert_cmpuint (ask.stats.generated_tokens, ==, 0);
  g_mutex_clear (&gate.lock);
  g_cond_clear (&gate.cond);
}

int
main (int argc, char **argv)
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  g_setenv ("REGARD_BACKEND", "cpu", TRUE);
  g_test_add_func ("/engine/lifetime/free-with-load-and-ask-queued", test_free_with_load_and_ask_queued);
  g_test_add_func ("/engine/lifetime/free-while-answering", test_free_while_answering);
  g_test_add_func ("/engine/lifetime/free-does-not-wait-for-forward", test_free_does_not_wait_for_forward);
  rc = g_test_run ();
  /* freed engines finish on their own threads: not during exit */
  rg_engine_test_wait_threads ();
  return rc;
}
