/* test-family.c: picking the model family from config.json's model_type
 * and reading its processor files (rg-family.h): the fixtures' values, and
 * clear errors for unsupported model types and missing files. */
#include "test-common.h"

#include <glib/gstdio.h>

#include "regard-engine.h"
#include "rg-family.h"

static void
assert_error_mentions (const GError *error, GQuark domain, int code, ...)
{
  va_list args;

  va_start (args, code);
  rg_test_assert_error_mentions_valist (error, domain, code, args);
  va_end (args);
}

/* A model folder holding FILES (name, contents, ..., NULL). */
static char *
make_dir (const char *first, ...)
{
  char *dir = g_dir_make_tmp ("regard-family-XXXXXX", NULL);
  va_list args;

  g_assert_nonnull (dir);
  va_start (args, first);
  for (const char *name = first; name; name = va_arg (args, const char *))
    {
      const char *contents = va_arg (args, const char *);
      g_autofree char *path = g_build_filename (dir, name, NULL);

      g_assert_true (g_file_set_contents (path, contents, -1, NULL));
    }
  va_end (args);
  return dir;
}

#define SMOL_CONFIG "{\"model_type\": \"idefics3\", \"scale_factor\": 4, " \
                    "\"vision_config\": {\"image_size\": 128, \"patch_size\": 16}}"

static void
test_lookup (void)
{
  g_assert_cmpstr (rg_family_lookup ("idefics2")->model_type, ==, "idefics2");
  g_assert_cmpint (rg_family_lookup ("idefics3")->processor, ==, RG_PROCESSOR_IDEFICS3);
  g_assert_null (rg_family_lookup ("smolvlm"));
  g_assert_null (rg_family_lookup (NULL));
  g_assert_true (rg_family_default () == rg_family_lookup ("idefics2"));
}

static void
test_fixture_smolvlm (void)
{
  g_autofree char *dir = rg_test_fixture_path ("smolvlm-tiny");
  g_autoptr(GError) error = NULL;
  const RgFamily *family = rg_family_for_model_dir (dir, &error);
  RgFamilyProcessor fp;

  g_assert_no_error (error);
  g_assert_cmpstr (family->model_type, ==, "idefics3");
  g_assert_true (rg_family_load_processor (family, dir, &fp, &error));
  g_assert_no_error (error);
  g_assert_cmpint (fp.pre.kind, ==, RG_PROCESSOR_IDEFICS3);
  g_assert_true (fp.pre.do_split);
  g_assert_cmpuint (fp.pre.longest_edge, ==, 512);
  g_assert_cmpuint (fp.pre.max_image_edge, ==, 128);
  g_assert_cmpint (fp.pre.filter, ==, RG_RESAMPLE_LANCZOS);
  g_assert_cmpuint (fp.image_seq_len, ==, 4);
  g_assert_cmpstr (fp.prompt_prefix, ==, "<|im_start|>");
}

static void
test_fixture_idefics2 (void)
{
  g_autofree char *dir = rg_test_fixture_path ("idefics2-tiny");
  g_autoptr(GError) error = NULL;
  const RgFamily *family = rg_family_for_model_dir (dir, &error);
  RgFamilyProcessor fp;

  g_assert_no_error (error);
  g_assert_true (family == rg_family_lookup ("idefics2"));
  g_assert_true (rg_family_load_processor (family, dir, &fp, &error));
  g_assert_cmpint (fp.pre.kind, ==, RG_PROCESSOR_IDEFICS2);
  g_assert_cmpint (fp.pre.filter, ==, RG_RESAMPLE_BILINEAR);
  g_assert_cmpuint (fp.image_seq_len, ==, 64);
}

static void
test_unsupported_model_type (void)
{
  g_autofree char *dir = make_dir ("config.json", "{\"model_type\": \"smolvlm\"}", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_null (rg_family_for_model_dir (dir, &error));
  assert_error_mentions (error, REGARD_ERROR, REGARD_ERROR_UNSUPPORTED, "'smolvlm'", "idefics2", "idefics3", NULL);
  rg_test_remove_tree (dir);
}

static void
test_no_model_type (void)
{
  g_autofree char *dir = make_dir ("config.json", "{\"architectures\": []}", NULL);
  g_autofree char *empty = make_dir (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) error2 = NULL;

  g_assert_null (rg_family_for_model_dir (dir, &error));
  assert_error_mentions (error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL, "model_type", NULL);
  g_assert_null (rg_family_for_model_dir (empty, &error2));
  assert_error_mentions (error2, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL, "config.json", NULL);
  rg_test_remove_tree (dir);
  rg_test_remove_tree (empty);
}

static void
test_missing_preprocessor (void)
{
  g_autofree char *dir = make_dir ("config.json", SMOL_CONFIG,
                                   "processor_config.json", "{\"image_seq_len\": 4}", NULL);
  g_autoptr(GError) error = NULL;
  RgFamilyProcessor fp;

  g_assert_false (rg_family_load_processor (rg_family_lookup ("idefics3"), dir, &fp, &error));
  assert_error_mentions (error, REGARD_ERROR, REGARD_ERROR_UNSUPPORTED, "preprocessor_config.json",
                         "IDEFICS3", NULL);
  rg_test_remove_tree (dir);
}

static void
test_missing_processor_config (void)
{
  g_autofree char *dir = make_dir ("config.json", SMOL_CONFIG,
                                   "preprocessor_config.json", "{\"max_image_size\": {\"longest_edge\": 128}}",
                                   NULL);
  g_autoptr(GError) error = NULL;
  RgFamilyProcessor fp;

  g_assert_false (rg_family_load_processor (rg_family_lookup ("idefics3"), dir, &fp, &error));
  assert_error_mentions (error, REGARD_ERROR, REGARD_ERROR_UNSUPPORTED, "processor_config.json", NULL);
  rg_test_remove_tree (dir);
}

/* 128 / 16 = 8 patches a side, / 4 = 2: 4 rows per frame, not 9. */
static void
test_seq_len_mismatch (void)
{
  g_autofree char *dir = make_dir ("config.json", SMOL_CONFIG,
                                   "preprocessor_config.json", "{\"max_image_size\": {\"longest_edge\": 128}}",
                                   "processor_config.json", "{\"image_seq_len\": 9}", NULL);
  g_autoptr(GError) error = NULL;
  RgFamilyProcessor fp;

  g_assert_false (rg_family_load_processor (rg_family_lookup ("idefics3"), dir, &fp, &error));
  assert_error_mentions (error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL, "image_seq_len 9", "4 rows", NULL);
  rg_test_remove_tree (dir);
}

static void
test_bad_max_image_size (void)
{
  g_autofree char *dir = make_dir ("config.json", SMOL_CONFIG,
                                   "preprocessor_config.json", "{\"max_image_size\": {\"longest_edge\": 0}}",
                                   "processor_config.json", "{\"image_seq_len\": 4}", NULL);
  g_autoptr(GError) error = NULL;
  RgFamilyProcessor fp;

  g_assert_false (rg_family_load_processor (rg_family_lookup ("idefics3"), dir, &fp, &error));
  assert_error_mentions (error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL, "max_image_size.longest_edge", NULL);
  rg_test_remove_tree (dir);
}

/* The engine names the unsupported type before reading any weight. */
static void
test_engine_load_unsupported (void)
{
  g_autofree char *dir = make_dir ("config.json", "{\"model_type\": \"llava\"}", NULL);
  RegardEngineParams params = regard_engine_params_default ();
  g_autoptr(RegardEngine) engine = regard_engine_new (&params, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (engine);
  g_assert_false (regard_engine_load (engine, dir, NULL, &error));
  assert_error_mentions (error, REGARD_ERROR, REGARD_ERROR_UNSUPPORTED, "'llava'", "idefics3", NULL);
  rg_test_remove_tree (dir);
}

/* Idefics3-8B-Llama3 is the same family with another template: its
 * leading text is the prompt's prefix. */
static void
test_template_prefix (void)
{
  g_autofree char *dir = make_dir ("config.json", SMOL_CONFIG,
                                   "preprocessor_config.json", "{\"max_image_size\": {\"longest_edge\": 128}}",
                                   "processor_config.json", "{\"image_seq_len\": 4}",
                                   "chat_template.json",
                                   "{\"chat_template\": \"<|begin_of_text|>{% for message in messages %}{% endfor %}\"}",
                                   NULL);
  g_autofree char *tc = g_build_filename (dir, "tokenizer_config.json", NULL);
  g_autofree char *ct = g_build_filename (dir, "chat_template.json", NULL);
  g_autoptr(GError) error = NULL;
  RgFamilyProcessor fp;

  g_assert_true (rg_family_load_processor (rg_family_lookup ("idefics3"), dir, &fp, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (fp.prompt_prefix, ==, "<|begin_of_text|>");
  /* tokenizer_config.json's when there is no chat_template.json */
  g_assert_cmpint (g_unlink (ct), ==, 0);
  g_assert_true (g_file_set_contents (tc, "{\"chat_template\": \"{% for m in messages %}{% endfor %}\"}", -1, NULL));
  g_assert_true (rg_family_load_processor (rg_family_lookup ("idefics3"), dir, &fp, &error));
  g_assert_cmpstr (fp.prompt_prefix, ==, "");
  /* neither: the family's */
  g_assert_cmpint (g_unlink (tc), ==, 0);
  g_assert_true (rg_family_load_processor (rg_family_lookup ("idefics3"), dir, &fp, &error));
  g_assert_cmpstr (fp.prompt_prefix, ==, "<|im_start|>");
  rg_test_remove_tree (dir);
}

/* The app's check of a chosen folder says the same as a load would. */
static void
test_model_dir_check (void)
{
  g_autofree char *dir = make_dir ("config.json", SMOL_CONFIG,
                                   "processor_config.json", "{\"image_seq_len\": 4}", NULL);
  g_autofree char *other = make_dir ("config.json", "{\"model_type\": \"smolvlm\"}", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) error2 = NULL;

  g_assert_false (regard_model_dir_check (dir, &error));
  assert_error_mentions (error, REGARD_ERROR, REGARD_ERROR_UNSUPPORTED, "preprocessor_config.json", NULL);
  g_assert_false (regard_model_dir_check (other, &error2));
  assert_error_mentions (error2, REGARD_ERROR, REGARD_ERROR_UNSUPPORTED, "'smolvlm'", NULL);
  rg_test_remove_tree (dir);
  rg_test_remove_tree (other);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engine/family/lookup", test_lookup);
  g_test_add_func ("/engine/family/fixture-smolvlm", test_fixture_smolvlm);
  g_test_add_func ("/engine/family/fixture-idefics2", test_fixture_idefics2);
  g_test_add_func ("/engine/family/unsupported-model-type", test_unsupported_model_type);
  g_test_add_func ("/engine/family/no-model-type", test_no_model_type);
  g_test_add_func ("/engine/family/missing-preprocessor-config", test_missing_preprocessor);
  g_test_add_func ("/engine/family/missing-processor-config", test_missing_processor_config);
  g_test_add_func ("/engine/family/seq-len-mismatch", test_seq_len_mismatch);
  g_test_add_func ("/engine/family/bad-max-image-size", test_bad_max_image_size);
  g_test_add_func ("/engine/family/engine-load-unsupported", test_engine_load_unsupported);
  g_test_add_func ("/engine/family/model-dir-check", test_model_dir_check);
  g_test_add_func ("/engine/family/template-prefix", test_template_prefix);
  return g_test_run ();
}
