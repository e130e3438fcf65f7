/* test-engine-idefics3.c: the public engine API end to end on smolvlm-tiny
 * (IDEFICS3 / SmolVLM): every golden case asked as a chat (the family's
 * template and tile expansion, each image's tiles found from its size, the
 * processor, the model), 24 greedy tokens identical to the goldens; a
 * second turn with another split image reuses the first turn's cache
 * (images of different row counts) and answers as a fresh engine does;
 * the model info names the family. JPEG inputs use their *.decoded.png
 * (see test-engine.c). */
#include <json-glib/json-glib.h>
#include <string.h>

#include "regard-engine.h"
#include "test-common.h"
#include "test-engine-common.h"

static RegardEngine *shared_engine;
static JsonArray *model_cases;

static char *
image_path (const char *relative)
{
  return rg_test_case_image_path ("smolvlm-tiny", relative);
}

/* The case's messages as a chat (not its raw prompt). */
static RegardConversation *
case_conversation (JsonObject *c)
{
  RegardConversation *conv = regard_conversation_new ();
  JsonArray *messages = json_object_get_array_member (c, "messages");
  JsonArray *images = json_object_get_array_member (c, "images");
  guint next_image = 0;

  for (guint i = 0; i < json_array_get_length (messages); i++)
    {
      JsonObject *msg = json_array_get_object_element (messages, i);
      RegardRole role = g_str_equal (json_object_get_string_member (msg, "role"), "assistant")
                        ? REGARD_ROLE_ASSISTANT : REGARD_ROLE_USER;
      JsonArray *content = json_object_get_array_member (msg, "content");

      for (guint k = 0; k < json_array_get_length (content); k++)
        {
          JsonObject *item = json_array_get_object_element (content, k);

          if (g_str_equal (json_object_get_string_member (item, "type"), "image"))
            {
              g_autofree char *path = image_path (json_array_get_string_element (images, next_image++));
              regard_conversation_add_image_file (conv, role, path);
            }
          else
            regard_conversation_add_text (conv, role, json_object_get_string_member (item, "text"));
        }
    }
  return conv;
}

static void
test_golden_case (gconstpointer data)
{
  JsonObject *c = (JsonObject *) data;
  g_autoptr(RegardConversation) conv = case_conversation (c);
  RegardAskParams params = regard_ask_params_default ();

  params.image_splitting = json_object_get_boolean_member (c, "do_image_splitting");
  rg_test_engine_check_golden (shared_engine, c, conv, params);
}

/* Turn 1: a landscape image (2 x 4 tiles + global: 36 rows); turn 2 a
 * gray portrait (4 x 3 + global: 52 rows). */
static void
test_multi_turn_cache (void)
{
  g_autofree char *landscape = image_path ("../images/landscape_1200x500.png");
  g_autofree char *gray = image_path ("../images/gray_500x700.png");
  g_autofree char *model_dir = rg_test_fixture_path ("smolvlm-tiny");
  g_autoptr(RegardConversation) conv = regard_conversation_new ();
  g_autoptr(RegardEngine) fresh = NULL;
  g_autoptr(GArray) ids1 = NULL, ids2 = NULL, ids_fresh = NULL;
  g_autofree char *text1 = NULL, *text2 = NULL, *text_fresh = NULL;
  g_autoptr(GString) a = NULL, b = NULL;
  g_autoptr(GError) error = NULL;
  RegardAskParams params = regard_ask_params_default ();
  RegardAskStats stats, stats_fresh;
  guint first_prompt;

  params.max_new_tokens = 6;
  params.image_splitting = 1;
  regard_conversation_add_image_file (conv, REGARD_ROLE_USER, landscape);
  regard_conversation_add_text (conv, REGARD_ROLE_USER, "What is this?");
  g_assert_true (rg_test_ask_sync (shared_engine, conv, &params, &ids1, &text1, &stats, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.encoded_images, ==, 1);
  first_prompt = stats.prompt_tokens + stats.cached_tokens;

  regard_conversation_add_text (conv, REGARD_ROLE_ASSISTANT, text1);
  regard_conversation_add_image_file (conv, REGARD_ROLE_USER, gray);
  regard_conversation_add_text (conv, REGARD_ROLE_USER, "And this one?");
  g_assert_true (rg_test_ask_sync (shared_engine, conv, &params, &ids2, &text2, &stats, &error));
  g_assert_no_error (error);
  /* the first prompt, its image included, came from the cache; only the
   * new image was encoded */
  g_assert_cmpuint (stats.cached_tokens, >=, first_prompt - 1);
  g_assert_cmpuint (stats.encoded_images, ==, 1);

  fresh = regard_engine_new (NULL, &error);
  g_assert_no_error (error);
  g_assert_true (regard_engine_load (fresh, model_dir, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (rg_test_ask_sync (fresh, conv, &params, &ids_fresh, &text_fresh, &stats_fresh, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats_fresh.cached_tokens, ==, 0);
  g_assert_cmpuint (stats_fresh.encoded_images, ==, 2);
  g_assert_cmpuint (stats_fresh.prompt_tokens, ==, stats.prompt_tokens + stats.cached_tokens);
  a = rg_test_ids_string (ids2);
  b = rg_test_ids_string (ids_fresh);
  g_assert_cmpstr (a->str, ==, b->str);
  g_assert_cmpstr (text2, ==, text_fresh);
}

static void
test_model_info (void)
{
  const RegardModelInfo *info = regard_engine_get_model_info (shared_engine);

  g_assert_nonnull (info);
  g_assert_cmpstr (info->family, ==, "IDEFICS3 / SmolVLM");
  g_assert_cmpstr (info->name, ==, "smolvlm-tiny");
  g_assert_true (info->image_splitting);
}

int
main (int argc, char **argv)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *manifest = NULL, *model_dir = NULL;
  g_autoptr(GError) error = NULL;
  int rc;

  g_test_init (&argc, &argv, NULL);
  manifest = rg_test_fixture_path ("smolvlm-tiny/golden/manifest.json");
  if (!json_parser_load_from_file (parser, manifest, &error))
    g_error ("%s", error->message);
  model_cases = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                              "model_cases");
  model_dir = rg_test_fixture_path ("smolvlm-tiny");
  shared_engine = regard_engine_new (NULL, &error);
  g_assert_no_error (error);
  if (!regard_engine_load (shared_engine, model_dir, NULL, &error))
    g_error ("loading %s: %s", model_dir, error->message);

  g_test_add_func ("/engine/idefics3/model-info", test_model_info);
  for (guint i = 0; i < json_array_get_length (model_cases); i++)
    {
      JsonObject *c = json_array_get_object_element (model_cases, i);
      g_autofree char *path = g_strdup_printf ("/engine/idefics3/golden/%s", json_object_get_string_member (c, "name"));

      g_test_add_data_func (path, c, test_golden_case);
    }
  g_test_add_func ("/engine/idefics3/multi-turn-cache", test_multi_turn_cache);

  rc = g_test_run ();
  regard_engine_free (shared_engine);
  return rc;
}
