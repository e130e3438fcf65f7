/* test-engine-idefics1.c: the public engine API end to end on
 * idefics1-tiny (the original IDEFICS): every golden case asked as a chat
 * on one engine (the instruct template, images sharing fake tokens, the
 * per-token image index, IdeficsImageProcessor, gated cross-attention),
 * 24 greedy tokens identical to the goldens; a second turn with another
 * image reuses the first turn's cache and answers as a fresh engine does;
 * asking the same again encodes nothing; a text-only chat after one with
 * images attends no image; the model info names the family. JPEG inputs
 * use their *.decoded.png (see test-engine.c). */
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
  return rg_test_case_image_path ("idefics1-tiny", relative);
}

/* The case's chat prompt as a chat: turns split at
 * "<end_of_utterance>\n", the role's ": " or ":" dropped, each <image>
 * the case's next image. */
static RegardConversation *
case_conversation (JsonObject *c)
{
  RegardConversation *conv = regard_conversation_new ();
  JsonArray *images = json_object_get_array_member (c, "images");
  g_auto(GStrv) turns = g_strsplit (json_object_get_string_member (c, "chat_prompt"), "<end_of_utterance>\n", -1);
  guint n = g_strv_length (turns), next_image = 0;

  g_assert_cmpstr (turns[n - 1], ==, "Assistant:");
  for (guint t = 0; t + 1 < n; t++)
    {
      RegardRole role = g_str_has_prefix (turns[t], "User:") ? REGARD_ROLE_USER : REGARD_ROLE_ASSISTANT;
      const char *body = turns[t] + strlen (role == REGARD_ROLE_USER ? "User:" : "Assistant:");
      g_auto(GStrv) pieces = NULL;

      if (*body == ' ')
        body++;
      pieces = g_strsplit (body, "<image>", -1);
      for (guint k = 0; pieces[k]; k++)
        {
          if (k > 0)
            {
              g_autofree char *path = image_path (json_array_get_string_element (images, next_image++));
              regard_conversation_add_image_file (conv, role, path);
            }
          if (*pieces[k])
            regard_conversation_add_text (conv, role, pieces[k]);
        }
    }
  g_assert_cmpuint (next_image, ==, json_array_get_length (images));
  return conv;
}

static void
test_golden_case (gconstpointer data)
{
  JsonObject *c = (JsonObject *) data;
  g_autoptr(RegardConversation) conv = case_conversation (c);
  RegardAskParams params = regard_ask_params_default ();

  rg_test_engine_check_golden (shared_engine, c, conv, params);
}

static char *
ask_fresh (RegardConversation *conv, const RegardAskParams *params, GArray **ids, RegardAskStats *stats)
{
  g_autofree char *model_dir = rg_test_fixture_path ("idefics1-tiny");
  g_autoptr(RegardEngine) fresh = NULL;
  g_autoptr(GError) error = NULL;
  char *text = NULL;

  fresh = regard_engine_new (NULL, &error);
  g_assert_no_error (error);
  g_assert_true (regard_engine_load (fresh, model_dir, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (rg_test_ask_sync (fresh, conv, params, ids, &text, stats, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats->cached_tokens, ==, 0);
  return text;
}

/* Turn 1: the landscape image; turn 2: the gray one. Tokens of turn 1
 * attend image 0 in both prompts, so their cache is reused. */
static void
test_multi_turn_cache (void)
{
  g_autofree char *landscape = image_path ("../images/landscape_1200x500.png");
  g_autofree char *gray = image_path ("../images/gray_500x700.png");
  g_autoptr(RegardConversation) conv = regard_conversation_new ();
  g_autoptr(GArray) ids1 = NULL, ids2 = NULL, ids3 = NULL, ids_fresh = NULL;
  g_autofree char *text1 = NULL, *text2 = NULL, *text3 = NULL, *text_fresh = NULL;
  g_autoptr(GString) a = NULL, b = NULL, c = NULL;
  g_autoptr(GError) error = NULL;
  RegardAskParams params = regard_ask_params_default ();
  RegardAskStats stats, stats_fresh;
  guint first_prompt;

  params.max_new_tokens = 6;
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
  g_assert_cmpuint (stats.cached_tokens, >=, first_prompt - 1);

  text_fresh = ask_fresh (conv, &params, &ids_fresh, &stats_fresh);
  g_assert_cmpuint (stats_fresh.encoded_images, ==, 2);
  g_assert_cmpuint (stats_fresh.prompt_tokens, ==, stats.prompt_tokens + stats.cached_tokens);
  a = rg_test_ids_string (ids2);
  b = rg_test_ids_string (ids_fresh);
  g_assert_cmpstr (a->str, ==, b->str);
  g_assert_cmpstr (text2, ==, text_fresh);

  /* The same question again (regenerate): the images are the ones the
   * model holds, nothing is encoded, the answer is the same. */
  g_assert_true (rg_test_ask_sync (shared_engine, conv, &params, &ids3, &text3, &stats, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.encoded_images, ==, 0);
  c = rg_test_ids_string (ids3);
  g_assert_cmpstr (c->str, ==, a->str);
}

/* A text-only chat after one with an image: no image states remain, every
 * token attends nothing, as on a fresh engine. */
static void
test_text_only_after_image (void)
{
  g_autofree char *square = image_path ("../images/square_980x980.jpg");
  g_autoptr(RegardConversation) with_image = regard_conversation_new ();
  g_autoptr(RegardConversation) text_only = regard_conversation_new ();
  g_autoptr(GArray) ids1 = NULL, ids2 = NULL, ids_fresh = NULL;
  g_autofree char *text1 = NULL, *text2 = NULL, *text_fresh = NULL;
  g_autoptr(GString) a = NULL, b = NULL;
  g_autoptr(GError) error = NULL;
  RegardAskParams params = regard_ask_params_default ();
  RegardAskStats stats, stats_fresh;

  params.max_new_tokens = 6;
  regard_conversation_add_image_file (with_image, REGARD_ROLE_USER, square);
  regard_conversation_add_text (with_image, REGARD_ROLE_USER, "Tell me a joke.");
  g_assert_true (rg_test_ask_sync (shared_engine, with_image, &params, &ids1, &text1, &stats, &error));
  g_assert_no_error (error);
  regard_conversation_add_text (text_only, REGARD_ROLE_USER, "Tell me a joke.");
  g_assert_true (rg_test_ask_sync (shared_engine, text_only, &params, &ids2, &text2, &stats, &error));
  g_assert_no_error (error);
  text_fresh = ask_fresh (text_only, &params, &ids_fresh, &stats_fresh);
  g_assert_cmpuint (stats_fresh.encoded_images, ==, 0);
  a = rg_test_ids_string (ids2);
  b = rg_test_ids_string (ids_fresh);
  g_assert_cmpstr (a->str, ==, b->str);
  g_assert_cmpstr (text2, ==, text_fresh);
}

/* A copy of idefics1-tiny without SKIP, with tokenizer.json's added token
 * DROP_TOKEN (when not NULL) removed. */
static char *
copy_fixture (const char *skip, const char *drop_token)
{
  g_autofree char *src = rg_test_fixture_path ("idefics1-tiny");
  char *dir = g_dir_make_tmp ("regard-idefics1-XXXXXX", NULL);
  g_autoptr(GDir) d = g_dir_open (src, 0, NULL);
  const char *name;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *from = g_build_filename (src, name, NULL);
      g_autofree char *to = g_build_filename (dir, name, NULL);
      g_autofree char *contents = NULL;
      gsize len = 0;

      if (g_strcmp0 (name, skip) == 0 || g_file_test (from, G_FILE_TEST_IS_DIR))
        continue;
      g_assert_true (g_file_get_contents (from, &contents, &len, NULL));
      if (drop_token != NULL && g_str_equal (name, "tokenizer.json"))
        {
          g_autoptr(JsonParser) parser = json_parser_new ();
          g_autoptr(JsonGenerator) gen = json_generator_new ();
          JsonArray *added;

          g_assert_true (json_parser_load_from_data (parser, contents, (gssize) len, NULL));
          added = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "added_tokens");
          for (guint i = 0; i < json_array_get_length (added); i++)
            if (g_strcmp0 (json_object_get_string_member (json_array_get_object_element (added, i), "content"),
                           drop_token) == 0)
              {
                json_array_remove_element (added, i);
                break;
              }
          json_generator_set_root (gen, json_parser_get_root (parser));
          g_free (contents);
          contents = json_generator_to_data (gen, &len);
        }
      g_assert_true (g_file_set_contents (to, contents, (gssize) len, NULL));
    }
  return dir;
}

static void
assert_load_fails (const char *dir, int code, const char *mentions)
{
  g_autoptr(RegardEngine) engine = regard_engine_new (NULL, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_false (regard_engine_load (engine, dir, NULL, &error));
  g_assert_error (error, REGARD_ERROR, code);
  if (strstr (error->message, mentions) == NULL)
    g_error ("\"%s\" does not mention %s", error->message, mentions);
}

/* Clear refusals: the image size and mean/std differ by checkpoint, and a
 * tokenizer without IDEFICS's tokens cannot make its prompt. */
static void
test_refused_missing_preprocessor_config (void)
{
  g_autofree char *dir = copy_fixture ("preprocessor_config.json", NULL);

  assert_load_fails (dir, REGARD_ERROR_UNSUPPORTED, "preprocessor_config.json");
  rg_test_remove_tree (dir);
}

static void
test_refused_tokenizer_without_image (void)
{
  g_autofree char *dir = copy_fixture (NULL, "<image>");

  assert_load_fails (dir, REGARD_ERROR_INVALID_MODEL, "<image>");
  rg_test_remove_tree (dir);
}

static void
test_model_info (void)
{
  const RegardModelInfo *info = regard_engine_get_model_info (shared_engine);

  g_assert_nonnull (info);
  g_assert_cmpstr (info->family, ==, "IDEFICS");
  g_assert_cmpstr (info->name, ==, "idefics1-tiny");
  g_assert_false (info->image_splitting);
}

/* The default context stops at what the model was trained for (2048 here),
 * not at the engine's 4096: positions past it would be garbage. */
static void
test_default_context (void)
{
  const RegardModelInfo *info = regard_engine_get_model_info (shared_engine);

  g_assert_cmpuint (info->context_length, ==, 2048);
}

int
main (int argc, char **argv)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *manifest = NULL, *model_dir = NULL;
  g_autoptr(GError) error = NULL;
  int rc;

  g_test_init (&argc, &argv, NULL);
  manifest = rg_test_fixture_path ("idefics1-tiny/golden/manifest.json");
  if (!json_parser_load_from_file (parser, manifest, &error))
    g_error ("%s", error->message);
  model_cases = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                              "model_cases");
  model_dir = rg_test_fixture_path ("idefics1-tiny");
  shared_engine = regard_engine_new (NULL, &error);
  g_assert_no_error (error);
  if (!regard_engine_load (shared_engine, model_dir, NULL, &error))
    g_error ("loading %s: %s", model_dir, error->message);

  g_test_add_func ("/engine/idefics1/model-info", test_model_info);
  g_test_add_func ("/engine/idefics1/default-context", test_default_context);
  for (guint i = 0; i < json_array_get_length (model_cases); i++)
    {
      JsonObject *c = json_array_get_object_element (model_cases, i);
      g_autofree char *path = g_strdup_printf ("/engine/idefics1/golden/%s", json_object_get_string_member (c, "name"));

      g_test_add_data_func (path, c, test_golden_case);
    }
  g_test_add_func ("/engine/idefics1/multi-turn-cache", test_multi_turn_cache);
  g_test_add_func ("/engine/idefics1/text-only-after-image", test_text_only_after_image);
  g_test_add_func ("/engine/idefics1/refused/missing-preprocessor-config", test_refused_missing_preprocessor_config);
  g_test_add_func ("/engine/idefics1/refused/tokenizer-without-image-token", test_refused_tokenizer_without_image);

  rc = g_test_run ();
  regard_engine_free (shared_engine);
  return rc;
}
