/* test-prompt-idefics3.c: the IDEFICS3 / SmolVLM prompt against the
 * smolvlm-tiny model cases (manifest.json): chat template with its
 * <|im_start|> prefix, the per-image tile expansion (<row_r_col_c>,
 * <global-img>, "\n" after rows, no collapsing), no BOS, and the same ids
 * through regard_prompt_ids () and regard-cli prompt, which find each
 * image's tiles from its size. */
#include "test-text-golden.h"

#include "regard-tools.h"
#include "rg-family.h"
#include "rg-prompt.h"

static RgTokenizer *tok;
static JsonParser *parser;
static JsonArray *cases;
static const RgFamily *family;

static char *
image_path (const char *rel)
{
  g_autofree char *dir = rg_test_fixture_path ("smolvlm-tiny");
  g_autofree char *path = g_build_filename (dir, rel, NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);

  return g_file_get_path (file);
}

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
  g_assert_cmpuint (next_image, ==, json_array_get_length (images));
  return conv;
}

/* The grids the manifest lists: [rows, cols] per image. */
static GArray *
case_grids (JsonObject *c)
{
  GArray *grids = g_array_new (FALSE, TRUE, sizeof (RgImageGrid));
  JsonArray *rc = json_object_has_member (c, "image_rows_cols")
                  ? json_object_get_array_member (c, "image_rows_cols") : NULL;

  for (guint i = 0; rc && i < json_array_get_length (rc); i++)
    {
      JsonArray *pair = json_array_get_array_element (rc, i);
      RgImageGrid g = { (guint) json_array_get_int_element (pair, 0), (guint) json_array_get_int_element (pair, 1) };

      g_array_append_val (grids, g);
    }
  return grids;
}

static void
assert_case_ids (JsonObject *c, const GArray *ids, const char *how)
{
  g_autoptr(GArray) want = rg_text_golden_ids (c, "input_ids");
  g_autofree char *g = rg_text_ids_to_string ((gint32 *) ids->data, ids->len);
  g_autofree char *w = rg_text_ids_to_string ((gint32 *) want->data, want->len);

  if (strcmp (g, w) != 0)
    g_error ("case %s (%s): ids %s, want %s", json_object_get_string_member (c, "name"), how, g, w);
}

/* ---- units ---------------------------------------------------------------- */

static void
test_family_strings (void)
{
  g_assert_nonnull (family);
  g_assert_cmpint (family->expansion, ==, RG_EXPANSION_IDEFICS3);
  g_assert_cmpint (family->processor, ==, RG_PROCESSOR_IDEFICS3);
  g_assert_cmpstr (family->prompt_prefix, ==, "<|im_start|>");
  g_assert_cmpstr (family->global_image_token, ==, "<global-img>");
}

/* A 1 x 2 grid then a single frame: rows end in "\n", the global block
 * starts with "\n", adjacent images keep both fake tokens. */
static void
test_expand_grid (void)
{
  const RgImageGrid grids[] = { { 1, 2 }, { 0, 0 } };
  g_autofree char *s = rg_prompt_expand_idefics3 (family, "a<image><image>b", 2, grids, 2);

  g_assert_cmpstr (s, ==,
                   "a<fake_token_around_image><row_1_col_1><image><image>"
                   "<fake_token_around_image><row_1_col_2><image><image>\n"
                   "\n<fake_token_around_image><global-img><image><image><fake_token_around_image>"
                   "<fake_token_around_image><global-img><image><image><fake_token_around_image>b");
}

static void
test_no_bos (void)
{
  g_autoptr(RegardConversation) conv = regard_conversation_new ();
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autoptr(GError) error = NULL;
  RgPromptParams params = { .image_seq_len = 4, .add_generation_prompt = TRUE, .family = family };

  regard_conversation_add_text (conv, REGARD_ROLE_USER, "Hi");
  g_assert_true (rg_prompt_build (tok, conv, &params, ids, NULL, NULL, &error));
  g_assert_no_error (error);
  /* <|im_start|> from the template, nothing before it */
  g_assert_cmpint (g_array_index (ids, gint32, 0), ==, 1);
  g_assert_cmpint (g_array_index (ids, gint32, 1), !=, 1);
}

static void
test_grid_count_mismatch (void)
{
  g_autoptr(RegardConversation) conv = regard_conversation_new ();
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autoptr(GError) error = NULL;
  const RgImageGrid grids[] = { { 1, 1 }, { 1, 1 } };
  RgPromptParams params = { .image_seq_len = 4, .add_generation_prompt = TRUE, .family = family,
                            .grids = grids, .n_grids = 2 };

  regard_conversation_add_image_file (conv, REGARD_ROLE_USER, "a.png");
  regard_conversation_add_text (conv, REGARD_ROLE_USER, "Hi");
  g_assert_false (rg_prompt_build (tok, conv, &params, ids, NULL, NULL, &error));
  g_assert_error (error, REGARD_ERROR, REGARD_ERROR_FAILED);
}

/* ---- golden cases -------------------------------------------------------- */

static void
test_golden_chat (void)
{
  for (guint i = 0; i < json_array_get_length (cases); i++)
    {
      JsonObject *c = json_array_get_object_element (cases, i);
      const char *name = json_object_get_string_member (c, "name");
      g_autoptr(RegardConversation) conv = case_conversation (c);
      g_autoptr(GArray) grids = case_grids (c);
      RgPromptParams params = { .image_seq_len = 4, .add_generation_prompt = TRUE, .family = family,
                                .grids = (RgImageGrid *) grids->data, .n_grids = grids->len };
      g_autofree char *rendered = rg_prompt_render_for (family, conv, TRUE);
      g_autofree char *expanded = NULL;
      g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
      g_autoptr(GError) error = NULL;

      if (g_strcmp0 (rendered, json_object_get_string_member (c, "chat_prompt")) != 0)
        g_error ("case %s: rendered \"%s\"", name, rendered);
      g_assert_true (rg_prompt_build (tok, conv, &params, ids, NULL, &expanded, &error));
      g_assert_no_error (error);
      if (g_strcmp0 (expanded, json_object_get_string_member (c, "expanded_prompt")) != 0)
        g_error ("case %s: expanded \"%s\"", name, expanded);
      assert_case_ids (c, ids, "rg_prompt_build");
    }
}

/* The public tool finds the grids itself, from the images' sizes and the
 * fixture's preprocessor_config.json. */
static void
test_golden_tool (void)
{
  g_autofree char *model = rg_test_fixture_path ("smolvlm-tiny");

  for (guint i = 0; i < json_array_get_length (cases); i++)
    {
      JsonObject *c = json_array_get_object_element (cases, i);
      g_autoptr(RegardConversation) conv = case_conversation (c);
      RegardPromptParams params = regard_prompt_params_default ();
      g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
      g_autoptr(GError) error = NULL;

      params.image_splitting = json_object_get_boolean_member (c, "do_image_splitting");
      g_assert_true (regard_prompt_ids (model, conv, &params, ids, &error));
      g_assert_no_error (error);
      assert_case_ids (c, ids, "regard_prompt_ids");
    }
}

static char *
run_cli (GPtrArray *args, int *status)
{
  g_autofree char *cli = g_test_build_filename (G_TEST_BUILT, "..", "tools", "regard-cli", NULL);
  g_autoptr(GError) error = NULL;
  char *out = NULL;

  g_ptr_array_insert (args, 0, g_strdup (cli));
  g_ptr_array_add (args, NULL);
  g_spawn_sync (NULL, (char **) args->pdata, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                &out, NULL, status, &error);
  g_assert_no_error (error);
  return out;
}

static void
test_golden_cli_raw (void)
{
  g_autofree char *model = rg_test_fixture_path ("smolvlm-tiny");

  for (guint i = 0; i < json_array_get_length (cases); i++)
    {
      JsonObject *c = json_array_get_object_element (cases, i);
      JsonArray *images = json_object_get_array_member (c, "images");
      g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
      g_autoptr(JsonParser) p = json_parser_new ();
      g_autoptr(GError) error = NULL;
      g_autoptr(GArray) ids = NULL;
      g_autofree char *out = NULL;
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
          g_ptr_array_add (args, image_path (json_array_get_string_element (images, k)));
        }
      g_ptr_array_add (args, g_strdup ("--"));
      g_ptr_array_add (args, g_strdup (json_object_get_string_member (c, "chat_prompt")));
      out = run_cli (args, &status);
      g_assert_true (g_spawn_check_wait_status (status, NULL));
      json_parser_load_from_data (p, out, -1, &error);
      g_assert_no_error (error);
      ids = rg_text_golden_ids (json_node_get_object (json_parser_get_root (p)), "ids");
      assert_case_ids (c, ids, "regard-cli prompt --raw-prompt");
    }
}

int
main (int argc, char **argv)
{
  g_autofree char *tok_path = NULL, *manifest = NULL;
  g_autoptr(GError) error = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);
  tok_path = rg_test_fixture_path ("smolvlm-tiny/tokenizer.json");
  tok = rg_tokenizer_new_from_file (tok_path, &error);
  g_assert_no_error (error);
  manifest = rg_test_fixture_path ("smolvlm-tiny/golden/manifest.json");
  parser = json_parser_new ();
  json_parser_load_from_file (parser, manifest, &error);
  g_assert_no_error (error);
  cases = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "model_cases");
  g_assert_cmpuint (json_array_get_length (cases), ==, 6);
  family = rg_family_lookup ("idefics3");

  g_test_add_func ("/engine/prompt/idefics3/family", test_family_strings);
  g_test_add_func ("/engine/prompt/idefics3/expand-grid", test_expand_grid);
  g_test_add_func ("/engine/prompt/idefics3/no-bos", test_no_bos);
  g_test_add_func ("/engine/prompt/idefics3/grid-count-mismatch", test_grid_count_mismatch);
  g_test_add_func ("/engine/prompt/idefics3/golden/chat", test_golden_chat);
  g_test_add_func ("/engine/prompt/idefics3/golden/tool", test_golden_tool);
  g_test_add_func ("/engine/prompt/idefics3/golden/cli-raw", test_golden_cli_raw);

  ret = g_test_run ();
  rg_tokenizer_free (tok);
  g_object_unref (parser);
  return ret;
}
