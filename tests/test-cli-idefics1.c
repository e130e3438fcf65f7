/* test-cli-idefics1.c: regard-cli's text and image commands on the
 * original IDEFICS (idefics1-tiny), against its goldens: prompt ids of
 * every model case (raw chat prompt, and a question in the default mode),
 * tokenize / detokenize, and preprocess (pixel_values within one uint8
 * level: JPEG decoders may round differently; exact for PNGs). */
#include "test-text-golden.h"

#include <glib/gstdio.h>

#include "rg-safetensors.h"

static char *model;
static JsonParser *manifest;
static JsonArray *model_cases, *preprocess_cases;

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
  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL, status,
                &error);
  g_assert_no_error (error);
  return out;
}

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
assert_ids (GArray *got, GArray *want, const char *what)
{
  g_autofree char *g = rg_text_ids_to_string ((gint32 *) got->data, got->len);
  g_autofree char *w = rg_text_ids_to_string ((gint32 *) want->data, want->len);

  if (strcmp (g, w) != 0)
    g_error ("%s: ids %s, want %s", what, g, w);
}

/* The whole chat prompt given raw, one --image per image. */
static void
test_prompt_case (gconstpointer data)
{
  JsonObject *c = json_array_get_object_element (model_cases, GPOINTER_TO_UINT (data));
  JsonArray *images = json_object_get_array_member (c, "images");
  g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) want = rg_text_golden_ids (c, "input_ids");
  g_autoptr(GArray) ids = NULL;
  g_autofree char *out = NULL;
  int status = -1;

  g_ptr_array_add (args, g_strdup ("prompt"));
  g_ptr_array_add (args, g_strdup ("--model"));
  g_ptr_array_add (args, g_strdup (model));
  g_ptr_array_add (args, g_strdup ("--raw-prompt"));
  for (guint k = 0; k < json_array_get_length (images); k++)
    {
      g_ptr_array_add (args, g_strdup ("--image"));
      g_ptr_array_add (args, g_build_filename (model, json_array_get_string_element (images, k), NULL));
    }
  g_ptr_array_add (args, g_strdup ("--"));
  g_ptr_array_add (args, g_strdup (json_object_get_string_member (c, "chat_prompt")));
  g_ptr_array_add (args, NULL);
  out = run_cli ((const char * const *) args->pdata, &status);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  ids = parse_cli_ids (out);
  assert_ids (ids, want, json_object_get_string_member (c, "name"));
}

static JsonObject *
find_case (const char *name)
{
  for (guint i = 0; i < json_array_get_length (model_cases); i++)
    {
      JsonObject *c = json_array_get_object_element (model_cases, i);

      if (g_strcmp0 (json_object_get_string_member (c, "name"), name) == 0)
        return c;
    }
  g_assert_not_reached ();
}

/* Default mode: one user turn, the image then the question. */
static void
test_prompt_question (void)
{
  JsonObject *c = find_case ("single_image");
  g_autofree char *image = g_build_filename (model, "..", "images", "screenshot_text_800x450.png", NULL);
  const char *args[] = { "prompt", "--model", model, "--image", image, "--", "Describe this image.", NULL };
  g_autoptr(GArray) want = rg_text_golden_ids (c, "input_ids");
  g_autoptr(GArray) ids = NULL;
  g_autofree char *out = NULL;
  int status = -1;

  out = run_cli (args, &status);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  ids = parse_cli_ids (out);
  assert_ids (ids, want, "regard-cli prompt");
}

/* Two adjacent images in one turn share a fake token. */
static void
test_prompt_adjacent_images (void)
{
  const char *args[] = { "prompt", "--model", model, "--image", "a.png", "--image", "b.png", "--", "Which?", NULL };
  g_autofree char *out = NULL;
  g_autoptr(GArray) ids = NULL;
  static const gint32 want[] = { 1, 4911, 29901, 32000, 32001, 32000, 32001, 32000 };
  int status = -1;

  out = run_cli (args, &status);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  ids = parse_cli_ids (out);
  g_assert_cmpuint (ids->len, >, G_N_ELEMENTS (want));
  g_assert_cmpmem (ids->data, sizeof want, want, sizeof want);
}

/* tokenize (no BOS) of each case's processor text; detokenize of its
 * generated ids, with and without the special tokens. */
static void
test_tokenize_detokenize (void)
{
  for (guint i = 0; i < json_array_get_length (model_cases); i++)
    {
      JsonObject *c = json_array_get_object_element (model_cases, i);
      const char *tok_args[] = { "tokenize", "--model", model, "--json", "--",
                                 json_object_get_string_member (c, "expanded_prompt"), NULL };
      g_autoptr(GArray) want = rg_text_golden_ids (c, "input_ids");
      g_autoptr(GArray) gen = rg_text_golden_ids (c, "generated_ids");
      g_autoptr(GPtrArray) detok_args = g_ptr_array_new_with_free_func (g_free);
      g_autofree char *out = NULL, *text = NULL, *skip = NULL;
      g_autofree char *want_text = NULL, *want_skip = NULL;
      g_autoptr(GArray) ids = NULL;
      int status = -1;

      out = run_cli (tok_args, &status);
      g_assert_true (g_spawn_check_wait_status (status, NULL));
      ids = parse_cli_ids (out);
      g_array_remove_index (want, 0); /* BOS */
      assert_ids (ids, want, "regard-cli tokenize");

      g_ptr_array_add (detok_args, g_strdup ("detokenize"));
      g_ptr_array_add (detok_args, g_strdup ("--model"));
      g_ptr_array_add (detok_args, g_strdup (model));
      for (guint k = 0; k < gen->len; k++)
        g_ptr_array_add (detok_args, g_strdup_printf ("%d", g_array_index (gen, gint32, k)));
      g_ptr_array_add (detok_args, NULL);
      text = run_cli ((const char * const *) detok_args->pdata, &status);
      g_assert_true (g_spawn_check_wait_status (status, NULL));
      want_text = g_strconcat (json_object_get_string_member (c, "generated_text"), "\n", NULL);
      g_assert_cmpstr (text, ==, want_text);

      g_ptr_array_insert (detok_args, 3, g_strdup ("--skip-special"));
      skip = run_cli ((const char * const *) detok_args->pdata, &status);
      g_assert_true (g_spawn_check_wait_status (status, NULL));
      want_skip = g_strconcat (json_object_get_string_member (c, "generated_text_skip_special"), "\n", NULL);
      g_assert_cmpstr (skip, ==, want_skip);
    }
}

static void
test_preprocess_case (gconstpointer data)
{
  JsonObject *c = json_array_get_object_element (preprocess_cases, GPOINTER_TO_UINT (data));
  g_autofree char *image = g_build_filename (model, json_object_get_string_member (c, "image"), NULL);
  g_autofree char *rel = g_build_filename ("idefics1-tiny", json_object_get_string_member (c, "file"), NULL);
  g_autofree char *golden = rg_test_fixture_path (rel);
  g_autofree char *dir = g_dir_make_tmp ("regard-cli-pp1-XXXXXX", NULL);
  g_autofree char *out_path = g_build_filename (dir, "out.safetensors", NULL);
  const char *args[] = { "preprocess", "--model", model, "--out", out_path, image, NULL };
  g_autoptr(RgSafetensors) got = NULL, want = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree float *a = NULL, *b = NULL;
  const RgTensorInfo *ta, *tb;
  g_autofree char *out = NULL;
  int status = -1;
  /* One uint8 level through the narrowest std. */
  double level = 1.0 / 255.0 / 0.26130258 + 1e-6;

  out = run_cli (args, &status);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  got = rg_safetensors_open (out_path, &error);
  g_assert_no_error (error);
  want = rg_safetensors_open (golden, &error);
  g_assert_no_error (error);
  ta = rg_safetensors_find (got, "pixel_values");
  tb = rg_safetensors_find (want, "pixel_values");
  g_assert_nonnull (ta);
  g_assert_nonnull (tb);
  g_assert_cmpint (ta->dtype, ==, RG_DTYPE_F32);
  /* [n, 3, S, S] against the golden's [1, n, 3, S, S]. */
  g_assert_cmpuint (ta->n_dims, ==, 4);
  g_assert_cmpint (ta->shape[0], ==, 1);
  for (guint d = 0; d < 4; d++)
    g_assert_cmpint (ta->shape[d], ==, tb->shape[d + 1]);
  /* IDEFICS1 has no pixel mask. */
  g_assert_null (rg_safetensors_find (got, "pixel_attention_mask"));
  a = g_memdup2 (ta->data, ta->nbytes);
  b = g_memdup2 (tb->data, tb->nbytes);
  rg_assert_close_f32 (a, b, ta->n_elements, g_str_has_suffix (image, ".jpg") ? level : 0.0);
  g_unlink (out_path);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *root;
  int ret;

  g_test_init (&argc, &argv, NULL);
  model = rg_test_fixture_path ("idefics1-tiny");
  path = rg_test_fixture_path ("idefics1-tiny/golden/manifest.json");
  manifest = json_parser_new ();
  json_parser_load_from_file (manifest, path, &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (manifest));
  model_cases = json_object_get_array_member (root, "model_cases");
  preprocess_cases = json_object_get_array_member (root, "preprocess_cases");

  for (guint i = 0; i < json_array_get_length (model_cases); i++)
    {
      g_autofree char *tpath = g_strdup_printf ("/tools/cli/idefics1/prompt/%s",
                                                json_object_get_string_member (
                                                  json_array_get_object_element (model_cases, i), "name"));
      g_test_add_data_func (tpath, GUINT_TO_POINTER (i), test_prompt_case);
    }
  g_test_add_func ("/tools/cli/idefics1/prompt-question", test_prompt_question);
  g_test_add_func ("/tools/cli/idefics1/prompt-adjacent-images", test_prompt_adjacent_images);
  g_test_add_func ("/tools/cli/idefics1/tokenize-detokenize", test_tokenize_detokenize);
  for (guint i = 0; i < json_array_get_length (preprocess_cases); i++)
    {
      g_autofree char *base = g_path_get_basename (json_object_get_string_member (
                                                     json_array_get_object_element (preprocess_cases, i), "image"));
      g_autofree char *tpath = NULL;

      *strrchr (base, '.') = '\0';
      tpath = g_strdup_printf ("/tools/cli/idefics1/preprocess/%s", base);
      g_test_add_data_func (tpath, GUINT_TO_POINTER (i), test_preprocess_case);
    }
  ret = g_test_run ();
  g_clear_object (&manifest);
  g_free (model);
  return ret;
}
