/* test-engine-lifetime: the public API's lifetimes (#14). Freeing the
 * engine with a load and an ask in flight cancels them; their completions
 * still arrive afterwards, *_finish () touches nothing freed (this runs in
 * the ASan build of .ci/run), and every GDestroyNotify runs exactly once,
 * after the last call with its data. The CPU reference backend keeps this
 * test free of GPU drivers under the sanitizers. */
#include "test-common.h"

#include "regard-engine.h"

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

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_setenv ("REGARD_BACKEND", "cpu", TRUE);
  g_test_add_func ("/engine/lifetime/free-with-load-and-ask-queued", test_free_with_load_and_ask_queued);
  g_test_add_func ("/engine/lifetime/free-while-answering", test_free_while_answering);
  return g_test_run ();
}
