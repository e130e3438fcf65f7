/* test-prompt.c: conversations, the chat template, image expansion and the
 * full prompt ids against the golden model cases (manifest.json), also
 * through regard-cli. */
#include "test-text-golden.h"

#include "rg-prompt.h"

static RgTokenizer *tok;

#define FAKE RG_PROMPT_FAKE
#define IMG RG_PROMPT_IMAGE

/* ---- conversation ------------------------------------------------------- */

static void
test_conversation_turns (void)
{
  g_autoptr(RegardConversation) conv = regard_conversation_new ();
  g_autoptr(GBytes) bytes = g_bytes_new_static ("\x89PNG", 4);
  g_autoptr(GPtrArray) images = NULL;
  RgConvTurn *turn;

  g_assert_cmpuint (regard_conversation_get_n_turns (conv), ==, 0);
  regard_conversation_add_image_file (conv, REGARD_ROLE_USER, "a.png");
  regard_conversation_add_text (conv, REGARD_ROLE_USER, "What?");
  regard_conversation_add_image_bytes (conv, REGARD_ROLE_USER, bytes);
  g_assert_cmpuint (regard_conversation_get_n_turns (conv), ==, 1);
  regard_conversation_add_text (conv, REGARD_ROLE_ASSISTANT, "A cat.");
  regard_conversation_add_text (conv, REGARD_ROLE_USER, "Sure?");
  g_assert_cmpuint (regard_conversation_get_n_turns (conv), ==, 3);

  turn = g_ptr_array_index (conv->turns, 0);
  g_assert_cmpint (turn->role, ==, REGARD_ROLE_USER);
  g_assert_cmpuint (turn->parts->len, ==, 3);
  g_assert_cmpint (((RgConvPart *) g_ptr_array_index (turn->parts, 0))->kind, ==, RG_PART_IMAGE_FILE);
  g_assert_cmpstr (((RgConvPart *) g_ptr_array_index (turn->parts, 1))->text, ==, "What?");
  g_assert_true (((RgConvPart *) g_ptr_array_index (turn->parts, 2))->bytes == bytes);

  images = rg_conversation_list_images (conv);
  g_assert_cmpuint (images->len, ==, 2);
  g_assert_cmpuint (rg_conversation_count_images (conv), ==, 2);

  regard_conversation_pop_turn (conv);
  g_assert_cmpuint (regard_conversation_get_n_turns (conv), ==, 2);
  regard_conversation_clear (conv);
  g_assert_cmpuint (regard_conversation_get_n_turns (conv), ==, 0);
  regard_conversation_pop_turn (conv);  /* harmless when empty */
  g_assert_cmpuint (regard_conversation_get_n_turns (conv), ==, 0);
}

/* A copy is independent of later edits and outlives the original. */
static void
test_conversation_copy (void)
{
  RegardConversation *conv = regard_conversation_new ();
  g_autoptr(RegardConversation) copy = NULL;
  g_autofree char *a = NULL, *b = NULL;

  regard_conversation_add_image_file (conv, REGARD_ROLE_USER, "a.png");
  regard_conversation_add_text (conv, REGARD_ROLE_USER, "Hi");
  copy = rg_conversation_copy (conv);
  regard_conversation_add_text (conv, REGARD_ROLE_ASSISTANT, "Hello");
  a = rg_prompt_render (copy, FALSE);
  regard_conversation_unref (regard_conversation_ref (conv));
  regard_conversation_unref (conv);
  b = rg_prompt_render (copy, FALSE);
  g_assert_cmpstr (a, ==, "User:<image>Hi<end_of_utterance>\n");
  g_assert_cmpstr (b, ==, a);
}

/* ---- template and expansion ---------------------------------------------- */

static void
test_render_separator (void)
{
  g_autoptr(RegardConversation) conv = regard_conversation_new ();
  g_autofree char *s = NULL;

  regard_conversation_add_text (conv, REGARD_ROLE_USER, "Look:");
  regard_conversation_add_image_file (conv, REGARD_ROLE_USER, "x.png");
  regard_conversation_add_text (conv, REGARD_ROLE_ASSISTANT, "A dog.");
  regard_conversation_add_image_file (conv, REGARD_ROLE_USER, "y.png");
  regard_conversation_add_text (conv, REGARD_ROLE_USER, "And this?");
  s = rg_prompt_render (conv, TRUE);
  g_assert_cmpstr (s, ==,
                   "User: Look:<image><end_of_utterance>\n"
                   "Assistant: A dog.<end_of_utterance>\n"
                   "User:<image>And this?<end_of_utterance>\n"
                   "Assistant:");
}

static void
test_render_empty (void)
{
  g_autoptr(RegardConversation) conv = regard_conversation_new ();
  g_autofree char *with = rg_prompt_render (conv, TRUE);
  g_autofree char *without = rg_prompt_render (conv, FALSE);

  g_assert_cmpstr (with, ==, "Assistant:");
  g_assert_cmpstr (without, ==, "");
}

static void
test_expand_single (void)
{
  g_autofree char *s = rg_prompt_expand ("A" IMG "B", 2, FALSE);
  g_autofree char *split = rg_prompt_expand (IMG, 1, TRUE);

  g_assert_cmpstr (s, ==, "A" FAKE IMG IMG FAKE "B");
  g_assert_cmpstr (split, ==, FAKE IMG FAKE IMG FAKE IMG FAKE IMG FAKE IMG FAKE);
}

/* Adjacent images share one delimiter; the collapse is a single
 * left-to-right pass, so three delimiters in a row become two. */
static void
test_expand_collapse (void)
{
  g_autofree char *adj = rg_prompt_expand (IMG IMG, 1, FALSE);
  g_autofree char *triple = rg_prompt_expand (FAKE FAKE FAKE, 1, FALSE);
  g_autofree char *user = rg_prompt_expand (FAKE IMG, 1, FALSE);

  g_assert_cmpstr (adj, ==, FAKE IMG FAKE IMG FAKE);
  g_assert_cmpstr (triple, ==, FAKE FAKE);
  g_assert_cmpstr (user, ==, FAKE IMG FAKE);
}

static void
test_count_mismatch (void)
{
  g_autoptr(RegardConversation) conv = regard_conversation_new ();
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autoptr(GError) error = NULL;
  RgPromptParams params = { 64, FALSE, FALSE, TRUE };

  regard_conversation_add_text (conv, REGARD_ROLE_USER, "What is <image>?");
  g_assert_false (rg_prompt_build (tok, conv, &params, ids, NULL, NULL, &error));
  g_assert_error (error, REGARD_ERROR, REGARD_ERROR_FAILED);
}

static void
test_raw_needs_one_text (void)
{
  g_autoptr(RegardConversation) conv = regard_conversation_new ();
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autoptr(GError) error = NULL;
  RgPromptParams params = { 64, FALSE, TRUE, TRUE };

  regard_conversation_add_text (conv, REGARD_ROLE_USER, "a");
  regard_conversation_add_text (conv, REGARD_ROLE_USER, "b");
  g_assert_false (rg_prompt_build (tok, conv, &params, ids, NULL, NULL, &error));
  g_assert_error (error, REGARD_ERROR, REGARD_ERROR_FAILED);
}

static void
test_bad_image_seq_len (void)
{
  g_autoptr(RegardConversation) conv = regard_conversation_new ();
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autoptr(GError) error = NULL;
  RgPromptParams params = { 0, FALSE, FALSE, TRUE };

  regard_conversation_add_text (conv, REGARD_ROLE_USER, "a");
  g_assert_false (rg_prompt_build (tok, conv, &params, ids, NULL, NULL, &error));
  g_assert_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL);
}

/* ---- golden model cases ---------------------------------------------------- */

typedef struct
{
  JsonParser *parser;
  JsonArray *cases;
} Manifest;

static void
manifest_load (Manifest *m)
{
  g_autofree char *path = rg_test_fixture_path ("idefics2-tiny/golden/manifest.json");
  g_autoptr(GError) error = NULL;

  m->parser = json_parser_new ();
  json_parser_load_from_file (m->parser, path, &error);
  g_assert_no_error (error);
  m->cases = json_object_get_array_member (json_node_get_object (json_parser_get_root (m->parser)),
                                           "model_cases");
  g_assert_nonnull (m->cases);
  g_assert_cmpuint (json_array_get_length (m->cases), ==, 5);
}

/* The case's messages as a conversation, images named as in "images". */
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
      const char *role_name = json_object_get_string_member (msg, "role");
      RegardRole role = g_str_equal (role_name, "assistant") ? REGARD_ROLE_ASSISTANT : REGARD_ROLE_USER;
      JsonArray *content = json_object_get_array_member (msg, "content");

      for (guint k = 0; k < json_array_get_length (content); k++)
        {
          JsonObject *item = json_array_get_object_element (content, k);
          const char *type = json_object_get_string_member (item, "type");

          if (g_str_equal (type, "image"))
            regard_conversation_add_image_file (conv, role,
                                                json_array_get_string_element (images, next_image++));
          else
            regard_conversation_add_text (conv, role, json_object_get_string_member (item, "text"));
        }
    }
  g_assert_cmpuint (next_image, ==, json_array_get_length (images));
  return conv;
}

static void
assert_case_ids (JsonObject *c, GArray *ids, const char *how)
{
  g_autoptr(GArray) want = rg_text_golden_ids (c, "input_ids");
  g_autofree char *g = rg_text_ids_to_string ((gint32 *) ids->data, ids->len);
  g_autofree char *w = rg_text_ids_to_string ((gint32 *) want->data, want->len);

  if (strcmp (g, w) != 0)
    g_error ("case %s (%s): ids %s, want %s", json_object_get_string_member (c, "name"), how, g, w);
  g_assert_cmpuint (ids->len, ==, json_object_get_int_member (c, "input_ids_len"));
}

static void
test_golden_chat_cases (void)
{
  Manifest m = { 0 };

  manifest_load (&m);
  for (guint i = 0; i < json_array_get_length (m.cases); i++)
    {
      JsonObject *c = json_array_get_object_element (m.cases, i);
      const char *name = json_object_get_string_member (c, "name");
      g_autoptr(RegardConversation) conv = case_conversation (c);
      gboolean split = json_object_get_boolean_member (c, "do_image_splitting");
      RgPromptParams params = { 64, split, FALSE, TRUE };
      g_autofree char *rendered = rg_prompt_render (conv, TRUE);
      g_autofree char *expanded = NULL;
      g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
      g_autoptr(GPtrArray) images = NULL;
      g_autoptr(GError) error = NULL;

      if (g_strcmp0 (rendered, json_object_get_string_member (c, "chat_prompt")) != 0)
        g_error ("case %s: rendered \"%s\"", name, rendered);
      g_assert_true (rg_prompt_build (tok, conv, &params, ids, &images, &expanded, &error));
      g_assert_no_error (error);
      if (g_strcmp0 (expanded, json_object_get_string_member (c, "expanded_prompt")) != 0)
        g_error ("case %s: expanded \"%s\"", name, expanded);
      assert_case_ids (c, ids, "chat");
      g_assert_cmpuint (images->len, ==, json_array_get_length (json_object_get_array_member (c, "images")));
    }
  g_clear_object (&m.parser);
}

/* The same ids from the chat prompt given raw, with the same images. */
static void
test_golden_raw_cases (void)
{
  Manifest m = { 0 };

  manifest_load (&m);
  for (guint i = 0; i < json_array_get_length (m.cases); i++)
    {
      JsonObject *c = json_array_get_object_element (m.cases, i);
      g_autoptr(RegardConversation) conv = regard_conversation_new ();
      JsonArray *images = json_object_get_array_member (c, "images");
      RgPromptParams params = { 64, json_object_get_boolean_member (c, "do_image_splitting"), TRUE, TRUE };
      g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
      g_autoptr(GError) error = NULL;

      for (guint k = 0; k < json_array_get_length (images); k++)
        regard_conversation_add_image_file (conv, REGARD_ROLE_USER, json_array_get_string_element (images, k));
      regard_conversation_add_text (conv, REGARD_ROLE_USER, json_object_get_string_member (c, "chat_prompt"));
      g_assert_true (rg_prompt_build (tok, conv, &params, ids, NULL, NULL, &error));
      g_assert_no_error (error);
      assert_case_ids (c, ids, "raw");
    }
  g_clear_object (&m.parser);
}

/* ---- regard-cli ------------------------------------------------------------- */

static char *
run_cli (const char * const *args, int *status)
{
  g_autofree char *cli = g_test_build_filename (G_TEST_BUILT, "..", "tools", "regard-cli", NULL);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  char *out = NULL;

  g_ptr_array_add (argv, cli);
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                &out, NULL, status, &error);
  g_assert_no_error (error);
  return out;
}

/* Ids from `regard-cli prompt --json` output: {"ids": [..]}. */
static GArray *
parse_cli_ids (const char *out)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, out, -1, &error);
  g_assert_no_error (error);
  return rg_text_golden_ids (json_node_get_object (json_parser_get_root (parser)), "ids");
}

static void
test_cli_prompt_cases (void)
{
  g_autofree char *model = rg_test_fixture_path ("idefics2-tiny");
  Manifest m = { 0 };

  manifest_load (&m);
  for (guint i = 0; i < json_array_get_length (m.cases); i++)
    {
      JsonObject *c = json_array_get_object_element (m.cases, i);
      JsonArray *images = json_object_get_array_member (c, "images");
      g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
      g_autofree char *out = NULL;
      g_autoptr(GArray) ids = NULL;
      int status = -1;

      g_ptr_array_add (args, g_strdup ("prompt"));
      g_ptr_array_add (args, g_strdup ("--model"));
      g_ptr_array_add (args, g_strdup (model));
      g_ptr_array_add (args, g_strdup (json_object_get_boolean_member (c, "do_image_splitting")
                                       ? "--split" : "--no-split"));
      g_ptr_array_add (args, g_strdup ("--raw-prompt"));
      for (guint k = 0; k < json_array_get_length (images); k++)
        {
          g_ptr_array_add (args, g_strdup ("--image"));
          g_ptr_array_add (args, g_strdup (json_array_get_string_element (images, k)));
        }
      g_ptr_array_add (args, g_strdup ("--"));
      g_ptr_array_add (args, g_strdup (json_object_get_string_member (c, "chat_prompt")));
      g_ptr_array_add (args, NULL);

      out = run_cli ((const char * const *) args->pdata, &status);
      g_assert_true (g_spawn_check_wait_status (status, NULL));
      ids = parse_cli_ids (out);
      assert_case_ids (c, ids, "regard-cli --raw-prompt");
    }
  g_clear_object (&m.parser);
}

/* Default mode: the images first, then the question, in one user turn. */
static void
test_cli_prompt_question (void)
{
  g_autofree char *model = rg_test_fixture_path ("idefics2-tiny");
  Manifest m = { 0 };
  JsonObject *c;
  g_autofree char *out = NULL;
  g_autoptr(GArray) ids = NULL;
  int status = -1;

  manifest_load (&m);
  c = json_array_get_object_element (m.cases, 0);
  g_assert_cmpstr (json_object_get_string_member (c, "name"), ==, "single_image_nosplit");
  {
    const char *args[] = { "prompt", "--model", model, "--image", "screenshot.png",
                           "--", "Describe this image.", NULL };
    out = run_cli (args, &status);
  }
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  ids = parse_cli_ids (out);
  /* preprocessor_config.json says no splitting. */
  assert_case_ids (c, ids, "regard-cli prompt");
  g_clear_object (&m.parser);
}

static void
test_cli_tokenize_roundtrip (void)
{
  g_autofree char *model = rg_test_fixture_path ("idefics2-tiny");
  const char *tok_args[] = { "tokenize", "--model", model, "--", "Hello world!", NULL };
  const char *json_args[] = { "tokenize", "--model", model, "--json", "--", "Hello world!", NULL };
  const char *detok_args[] = { "detokenize", "--model", model, "1", "22557", "1526", "28808", NULL };
  const char *skip_args[] = { "detokenize", "--model", model, "--skip-special", "1", "22557", NULL };
  const char *bad_args[] = { "detokenize", "--model", model, "12x", NULL };
  int status = -1;
  g_autofree char *a = run_cli (tok_args, &status);
  g_autofree char *b = NULL, *c = NULL, *d = NULL, *e = NULL;

  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_assert_cmpstr (a, ==, "22557 1526 28808\n");
  b = run_cli (json_args, &status);
  g_assert_cmpstr (b, ==, "{\"ids\": [22557, 1526, 28808]}\n");
  c = run_cli (detok_args, &status);
  g_assert_cmpstr (c, ==, "<s> Hello world!\n");
  d = run_cli (skip_args, &status);
  g_assert_cmpstr (d, ==, "Hello\n");
  e = run_cli (bad_args, &status);
  g_assert_false (g_spawn_check_wait_status (status, NULL));
}

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  tok = rg_text_golden_tokenizer ();

  g_test_add_func ("/engine/conversation/turns", test_conversation_turns);
  g_test_add_func ("/engine/conversation/copy", test_conversation_copy);
  g_test_add_func ("/engine/prompt/render/separator", test_render_separator);
  g_test_add_func ("/engine/prompt/render/empty", test_render_empty);
  g_test_add_func ("/engine/prompt/expand/single", test_expand_single);
  g_test_add_func ("/engine/prompt/expand/collapse", test_expand_collapse);
  g_test_add_func ("/engine/prompt/build/count-mismatch", test_count_mismatch);
  g_test_add_func ("/engine/prompt/build/raw-needs-one-text", test_raw_needs_one_text);
  g_test_add_func ("/engine/prompt/build/bad-image-seq-len", test_bad_image_seq_len);
  g_test_add_func ("/engine/prompt/golden/chat", test_golden_chat_cases);
  g_test_add_func ("/engine/prompt/golden/raw", test_golden_raw_cases);
  g_test_add_func ("/tools/cli/prompt-golden", test_cli_prompt_cases);
  g_test_add_func ("/tools/cli/prompt-question", test_cli_prompt_question);
  g_test_add_func ("/tools/cli/tokenize-roundtrip", test_cli_tokenize_roundtrip);

  ret = g_test_run ();
  rg_tokenizer_free (tok);
  return ret;
}
