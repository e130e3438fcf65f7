/* test-engine-idefics3.c: SmolVLM (smolvlm-tiny) through the public engine
 * API: a golden case as a conversation, and a second turn that reuses the
 * KV cache (the first prompt, image rows included, is not run or encoded
 * again) yet answers exactly as a fresh engine does. */
#include <json-glib/json-glib.h>
#include <string.h>

#include "regard-engine.h"
#include "test-common.h"

static RegardEngine *shared_engine;

typedef struct
{
  GArray *ids;
  GString *text;
  GAsyncResult *result;
} AskState;

static void
on_token (gint32 id, const char *text, gpointer data)
{
  AskState *st = data;

  g_array_append_val (st->ids, id);
  g_string_append (st->text, text);
}

static void
on_done (GObject *source, GAsyncResult *result, gpointer data)
{
  ((AskState *) data)->result = g_object_ref (result);
}

static gboolean
ask_sync (RegardEngine *engine, RegardConversation *conv, const RegardAskParams *params,
          GArray **ids, char **text, RegardAskStats *stats, GError **error)
{
  g_autoptr(GMainContext) ctx = g_main_context_new ();
  AskState st = { g_array_new (FALSE, FALSE, sizeof (gint32)), g_string_new (NULL), NULL };
  gboolean ok;

  g_main_context_push_thread_default (ctx);
  regard_engine_ask_async (engine, conv, params, NULL, on_token, &st, NULL, on_done, &st);
  while (st.result == NULL)
    g_main_context_iteration (ctx, TRUE);
  g_main_context_pop_thread_default (ctx);
  ok = regard_engine_ask_finish (engine, st.result, stats, error);
  g_object_unref (st.result);
  *ids = st.ids;
  *text = g_string_free (st.text, FALSE);
  return ok;
}

static RegardEngine *
new_engine (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *model_dir = rg_test_fixture_path ("smolvlm-tiny");
  RegardEngineParams params = regard_engine_params_default ();
  RegardEngine *engine;

  params.precision = REGARD_PRECISION_F32;
  engine = regard_engine_new (&params, &error);
  g_assert_no_error (error);
  if (!regard_engine_load (engine, model_dir, NULL, &error))
    g_error ("loading %s: %s", model_dir, error->message);
  return engine;
}

/* single_image_nosplit as a conversation (the chat template rendered by
 * the engine, not a raw prompt): 24/24 golden ids. */
static void
test_golden_conversation (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *manifest = rg_test_fixture_path ("smolvlm-tiny/golden/manifest.json");
  g_autofree char *image = rg_test_fixture_path ("images/screenshot_text_800x450.png");
  g_autoptr(RegardConversation) conv = regard_conversation_new ();
  g_autoptr(GArray) ids = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  RegardAskParams params = regard_ask_params_default ();
  RegardAskStats stats;
  JsonArray *cases, *expect = NULL;

  g_assert_true (json_parser_load_from_file (parser, manifest, &error));
  cases = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "model_cases");
  for (guint i = 0; i < json_array_get_length (cases); i++)
    {
      JsonObject *c = json_array_get_object_element (cases, i);
      if (g_str_equal (json_object_get_string_member (c, "name"), "single_image_nosplit"))
        expect = json_object_get_array_member (c, "generated_ids");
    }
  g_assert_nonnull (expect);

  regard_conversation_add_image_file (conv, REGARD_ROLE_USER, image);
  regard_conversation_add_text (conv, REGARD_ROLE_USER, "Describe this image.");
  params.image_splitting = 0;
  params.max_new_tokens = 24;
  g_assert_true (ask_sync (shared_engine, conv, &params, &ids, &text, &stats, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.prompt_tokens + stats.cached_tokens, ==, 19);
  g_assert_cmpuint (ids->len, ==, json_array_get_length (expect));
  for (guint i = 0; i < ids->len; i++)
    g_assert_cmpint (g_array_index (ids, gint32, i), ==, json_array_get_int_element (expect, i));
}

static void
test_multi_turn_reuses_cache (void)
{
  g_autofree char *image = rg_test_fixture_path ("images/landscape_1200x500.png");
  g_autoptr(RegardConversation) conv = regard_conversation_new ();
  g_autoptr(RegardEngine) fresh = NULL;
  g_autoptr(GArray) ids1 = NULL, ids2 = NULL, ids_fresh = NULL;
  g_autofree char *text1 = NULL, *text2 = NULL, *text_fresh = NULL;
  g_autoptr(GError) error = NULL;
  RegardAskParams params = regard_ask_params_default ();
  RegardAskStats stats1, stats2, stats_fresh;

  /* with splitting: 2 x 4 tiles + the global image, 36 image rows */
  params.max_new_tokens = 8;
  params.image_splitting = 1;
  regard_conversation_add_image_file (conv, REGARD_ROLE_USER, image);
  regard_conversation_add_text (conv, REGARD_ROLE_USER, "Describe the scene.");
  g_assert_true (ask_sync (shared_engine, conv, &params, &ids1, &text1, &stats1, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats1.encoded_images, ==, 1);

  regard_conversation_add_text (conv, REGARD_ROLE_ASSISTANT, text1);
  regard_conversation_add_text (conv, REGARD_ROLE_USER, "What colour is the sky?");
  g_assert_true (ask_sync (shared_engine, conv, &params, &ids2, &text2, &stats2, &error));
  g_assert_no_error (error);
  /* the whole first prompt came from the cache, the image not encoded again */
  g_assert_cmpuint (stats2.cached_tokens, >=, stats1.prompt_tokens + stats1.cached_tokens);
  g_assert_cmpuint (stats2.encoded_images, ==, 0);

  fresh = new_engine ();
  g_assert_true (ask_sync (fresh, conv, &params, &ids_fresh, &text_fresh, &stats_fresh, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats_fresh.cached_tokens, ==, 0);
  g_assert_cmpuint (stats_fresh.prompt_tokens, ==, stats2.prompt_tokens + stats2.cached_tokens);
  g_assert_cmpuint (ids2->len, ==, ids_fresh->len);
  g_assert_cmpmem (ids2->data, ids2->len * sizeof (gint32), ids_fresh->data, ids_fresh->len * sizeof (gint32));
  g_assert_cmpstr (text2, ==, text_fresh);
}

int
main (int argc, char **argv)
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  shared_engine = new_engine ();
  g_test_add_func ("/engine/idefics3/golden-conversation", test_golden_conversation);
  g_test_add_func ("/engine/idefics3/multi-turn-cache", test_multi_turn_reuses_cache);
  rc = g_test_run ();
  g_clear_pointer (&shared_engine, regard_engine_free);
  return rc;
}
