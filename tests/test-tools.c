/* test-tools.c: regard-tools.h as a client sees it. This program links
 * regard_engine_dep, the public include folders only, so it also checks
 * that a client builds without any internal header. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "regard-tools.h"

static char *
fixture (const char *relative)
{
  const char *root = g_getenv ("REGARD_FIXTURES");

  return g_build_filename (root ? root : "tests/fixtures", relative, NULL);
}

static void
test_tokenizer_round_trip (void)
{
  g_autofree char *model = fixture ("idefics2-tiny");
  g_autoptr(GError) error = NULL;
  g_autoptr(RegardTokenizer) tok = regard_tokenizer_new (model, &error);
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  const gint32 with_bos[] = { 1, 22557, 1526, 28808 };
  g_autofree char *text = NULL;
  g_autofree char *skipped = NULL;
  gsize len = 0;

  g_assert_no_error (error);
  g_assert_true (regard_tokenizer_encode (tok, "Hello world!", ids, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (ids->len, ==, 3);
  g_assert_cmpint (g_array_index (ids, gint32, 0), ==, 22557);
  g_assert_cmpint (g_array_index (ids, gint32, 1), ==, 1526);
  g_assert_cmpint (g_array_index (ids, gint32, 2), ==, 28808);
  text = regard_tokenizer_decode (tok, with_bos, G_N_ELEMENTS (with_bos), FALSE, &len);
  g_assert_cmpstr (text, ==, "<s> Hello world!");
  g_assert_cmpuint (len, ==, strlen (text));
  skipped = regard_tokenizer_decode (tok, with_bos, G_N_ELEMENTS (with_bos), TRUE, NULL);
  g_assert_cmpstr (skipped, ==, "Hello world!");
}

static void
test_tokenizer_missing_model (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RegardTokenizer) tok = regard_tokenizer_new ("/nonexistent/regard-model", &error);

  g_assert_null (tok);
  g_assert_nonnull (error);
}

static void
test_prompt_ids_start_with_bos (void)
{
  g_autofree char *model = fixture ("idefics2-tiny");
  g_autoptr(RegardConversation) conv = regard_conversation_new ();
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autoptr(GError) error = NULL;

  regard_conversation_add_text (conv, REGARD_ROLE_USER, "Hello world!");
  g_assert_true (regard_prompt_ids (model, conv, NULL, ids, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (ids->len, >, 3);
  g_assert_cmpint (g_array_index (ids, gint32, 0), ==, 1);
}

/* A raw prompt naming one image, with none attached: refused, as the HF
 * processor refuses it. */
static void
test_prompt_ids_image_mismatch (void)
{
  g_autofree char *model = fixture ("idefics2-tiny");
  g_autoptr(RegardConversation) conv = regard_conversation_new ();
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autoptr(GError) error = NULL;
  RegardPromptParams params = regard_prompt_params_default ();

  params.raw_prompt = TRUE;
  regard_conversation_add_text (conv, REGARD_ROLE_USER, "User:<image>What is this?<end_of_utterance>\nAssistant:");
  g_assert_false (regard_prompt_ids (model, conv, &params, ids, &error));
  g_assert_error (error, REGARD_ERROR, REGARD_ERROR_FAILED);
}

static void
test_preprocess_layout (void)
{
  g_autofree char *model = fixture ("idefics2-tiny");
  g_autofree char *image = fixture ("images/tiny_30x20.png");
  g_autofree char *dir = g_dir_make_tmp ("regard-test-tools-XXXXXX", NULL);
  g_autofree char *out = g_build_filename (dir, "pixels.safetensors", NULL);
  const char *paths[] = { image, image };
  RegardPreprocessParams params = regard_preprocess_params_default ();
  g_autoptr(RegardPreprocessInfo) info = NULL;
  g_autoptr(GError) error = NULL;

  params.image_splitting = 1;
  info = regard_preprocess_to_safetensors (model, paths, G_N_ELEMENTS (paths), &params, out, &error);
  g_assert_no_error (error);
  g_assert_nonnull (info);
  g_assert_true (info->split);
  g_assert_cmpuint (info->n_images, ==, 10);
  for (guint i = 0; i < info->n_images; i++)
    {
      g_assert_cmpuint (info->valid_hw[2 * i], >, 0);
      g_assert_cmpuint (info->valid_hw[2 * i], <=, info->height);
      g_assert_cmpuint (info->valid_hw[2 * i + 1], >, 0);
      g_assert_cmpuint (info->valid_hw[2 * i + 1], <=, info->width);
    }
  g_assert_true (g_file_test (out, G_FILE_TEST_IS_REGULAR));
  g_unlink (out);
  g_rmdir (dir);
}

static void
test_preprocess_bad_image (void)
{
  g_autofree char *model = fixture ("idefics2-tiny");
  g_autofree char *config = fixture ("idefics2-tiny/config.json");
  g_autofree char *dir = g_dir_make_tmp ("regard-test-tools-XXXXXX", NULL);
  g_autofree char *out = g_build_filename (dir, "pixels.safetensors", NULL);
  const char *paths[] = { config };
  g_autoptr(RegardPreprocessInfo) info = NULL;
  g_autoptr(GError) error = NULL;

  info = regard_preprocess_to_safetensors (model, paths, 1, NULL, out, &error);
  g_assert_null (info);
  g_assert_nonnull (error);
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
  g_rmdir (dir);
}

/* Parameters out of range are G_IO_ERROR_INVALID_ARGUMENT (the CLI's usage
 * errors), before any device is opened. */
static void
test_bench_invalid_arguments (void)
{
  g_autofree char *model = fixture ("idefics2-tiny");
  RegardBenchParams params = regard_bench_params_default ();
  g_autoptr(GError) error = NULL;

  params.repeat = 0;
  g_assert_false (regard_bench_model (model, &params, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tools/tokenizer/round-trip", test_tokenizer_round_trip);
  g_test_add_func ("/tools/tokenizer/missing-model", test_tokenizer_missing_model);
  g_test_add_func ("/tools/prompt/starts-with-bos", test_prompt_ids_start_with_bos);
  g_test_add_func ("/tools/prompt/image-mismatch", test_prompt_ids_image_mismatch);
  g_test_add_func ("/tools/preprocess/layout", test_preprocess_layout);
  g_test_add_func ("/tools/preprocess/bad-image", test_preprocess_bad_image);
  g_test_add_func ("/tools/bench/invalid-arguments", test_bench_invalid_arguments);
  return g_test_run ();
}
