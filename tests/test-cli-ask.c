/* test-cli-ask.c: regard-cli ask as a user runs it, on the tiny fixture
 * model: --json token lines, the summary line and the exit codes; and
 * regard-cli bench's figures on the same model. */
#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/wait.h>

#include "regard-engine.h"
#include "test-common.h"

static char *
cli_path (void)
{
  const char *builddir = g_getenv ("G_TEST_BUILDDIR");
  g_assert_nonnull (builddir);
  return g_build_filename (builddir, "..", "tools", "regard-cli", NULL);
}

static int
run_cli (const char *const *args, char **out, char **err)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_ptr_array_add (argv, cli_path ());
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, g_strdup (args[i]));
  g_ptr_array_add (argv, NULL);
  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                out, err, &status, &error);
  g_assert_no_error (error);
  g_assert_true (WIFEXITED (status));
  return WEXITSTATUS (status);
}

static JsonObject *
golden_case (JsonParser *parser, const char *name)
{
  g_autofree char *manifest = rg_test_fixture_path ("idefics2-tiny/golden/manifest.json");
  g_autoptr(GError) error = NULL;
  JsonArray *cases;

  g_assert_true (json_parser_load_from_file (parser, manifest, &error));
  g_assert_no_error (error);
  cases = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                        "model_cases");
  for (guint i = 0; i < json_array_get_length (cases); i++)
    {
      JsonObject *c = json_array_get_object_element (cases, i);
      if (g_str_equal (json_object_get_string_member (c, "name"), name))
        return c;
    }
  g_error ("no case %s", name);
  return NULL;
}

static void
test_json_stream (void)
{
  g_autoptr(JsonParser) manifest = json_parser_new ();
  JsonObject *c = golden_case (manifest, "single_image_nosplit");
  JsonArray *expect = json_object_get_array_member (c, "generated_ids");
  g_autofree char *model = rg_test_fixture_path ("idefics2-tiny");
  g_autofree char *image = rg_test_fixture_path ("images/screenshot_text_800x450.png");
  const char *args[] = {
    "ask", "--model", model, "--image", image, "--no-split", "--raw-prompt",
    "--max-new-tokens", "24", "--json", "--", json_object_get_string_member (c, "chat_prompt"), NULL
  };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GString) text = g_string_new (NULL);
  guint n_lines, n_tokens = 0;

  g_assert_cmpint (run_cli (args, &out, &err), ==, 0);
  lines = g_strsplit (out, "\n", -1);
  n_lines = g_strv_length (lines);
  /* 24 token lines, the summary, and the empty string after the last \n. */
  g_assert_cmpuint (n_lines, ==, json_array_get_length (expect) + 2);
  g_assert_cmpstr (lines[n_lines - 1], ==, "");

  for (guint i = 0; i + 2 < n_lines; i++)
    {
      g_autoptr(JsonParser) p = json_parser_new ();
      g_autoptr(GError) error = NULL;
      JsonObject *o;

      g_assert_true (json_parser_load_from_data (p, lines[i], -1, &error));
      g_assert_no_error (error);
      o = json_node_get_object (json_parser_get_root (p));
      g_assert_cmpint (json_object_get_int_member (o, "id"), ==, json_array_get_int_element (expect, i));
      g_string_append (text, json_object_get_string_member (o, "text"));
      n_tokens++;
    }
  g_assert_cmpstr (text->str, ==, json_object_get_string_member (c, "generated_text_skip_special"));

  {
    g_autoptr(JsonParser) p = json_parser_new ();
    g_autoptr(GError) error = NULL;
    JsonObject *o;

    g_assert_true (json_parser_load_from_data (p, lines[n_lines - 2], -1, &error));
    g_assert_no_error (error);
    o = json_node_get_object (json_parser_get_root (p));
    g_assert_true (json_object_get_boolean_member (o, "done"));
    g_assert_cmpstr (json_object_get_string_member (o, "stop_reason"), ==, "max_tokens");
    g_assert_cmpint (json_object_get_int_member (o, "prompt_tokens"), ==, 79);
    g_assert_cmpint (json_object_get_int_member (o, "generated_tokens"), ==, n_tokens);
    g_assert_cmpfloat (json_object_get_double_member (o, "image_encode_ms"), >, 0.0);
    g_assert_cmpfloat (json_object_get_double_member (o, "prefill_ms"), >, 0.0);
    g_assert_cmpfloat (json_object_get_double_member (o, "decode_tokens_per_s"), >, 0.0);
  }
}

static void
test_usage_error (void)
{
  const char *no_model[] = { "ask", "--", "Hello", NULL };
  const char *no_text[] = { "ask", "--model", "/nonexistent", NULL };
  const char *bad_precision[] = { "ask", "--model", "/x", "--precision", "f8", "--", "Hi", NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_assert_cmpint (run_cli (no_model, &out, &err), ==, 2);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_cli (no_text, &out, &err), ==, 2);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_cli (bad_precision, &out, &err), ==, 2);
}

static void
test_runtime_error (void)
{
  const char *args[] = { "ask", "--model", "/nonexistent/model", "--", "Hello", NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_assert_cmpint (run_cli (args, &out, &err), ==, 1);
  g_assert_true (g_str_has_prefix (err, "regard-cli: "));
  g_assert_cmpstr (out, ==, "");
}

static JsonObject *
parse_object (JsonParser *parser, const char *text)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (json_parser_load_from_data (parser, text, -1, &error));
  g_assert_no_error (error);
  return json_node_get_object (json_parser_get_root (parser));
}

static void
test_bench_model_json (void)
{
  g_autofree char *model = rg_test_fixture_path ("idefics2-tiny");
  g_autofree char *image = rg_test_fixture_path ("images/screenshot_text_800x450.png");
  const char *args[] = { "bench", "--model", model, "--format", "q8_0", "--image", image, "--prompt-tokens", "5",
                         "--gen-tokens", "4", "--repeat", "3", "--json", NULL };
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  JsonObject *o;

  g_assert_cmpint (run_cli (args, &out, &err), ==, 0);
  o = parse_object (parser, out);
  g_assert_cmpstr (json_object_get_string_member (o, "format"), ==, "q8_0");
  g_assert_cmpint (json_object_get_int_member (o, "runs"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (o, "prompt_tokens"), ==, 5);
  g_assert_cmpint (json_object_get_int_member (o, "gen_tokens"), ==, 4);
  g_assert_cmpfloat (json_object_get_double_member (o, "image_encode_ms"), >, 0.0);
  g_assert_cmpfloat (json_object_get_double_member (o, "prefill_tokens_per_s"), >, 0.0);
  g_assert_cmpfloat (json_object_get_double_member (o, "decode_tokens_per_s"), >, 0.0);
  /* the best run is at least as fast as the median */
  g_assert_cmpfloat (json_object_get_double_member (o, "decode_tokens_per_s_best"), >=,
                     json_object_get_double_member (o, "decode_tokens_per_s"));
  g_assert_cmpfloat (json_object_get_double_member (o, "copy_gbs"), >, 0.0);
  g_assert_cmpint (json_object_get_int_member (o, "bytes_per_token"), >, 0);
  g_assert_cmpfloat (json_object_get_double_member (o, "roofline_fraction"), >, 0.0);
}

static void
test_bench_usage_error (void)
{
  g_autofree char *model = rg_test_fixture_path ("idefics2-tiny");
  const char *zero_runs[] = { "bench", "--model", model, "--repeat", "0", NULL };
  const char *bad_format[] = { "bench", "--model", model, "--format", "q3", NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_assert_cmpint (run_cli (zero_runs, &out, &err), ==, 2);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_cli (bad_format, &out, &err), ==, 2);
  g_assert_nonnull (strstr (err, "unknown format"));
}

/* `ask` says which backend runs (#14): Vulkan, or the reference backend
 * when forced or when no Vulkan device exists; without a device and
 * without the RAM for the reference backend it fails saying both. */
static void
test_backend_named (void)
{
  g_autofree char *model = rg_test_fixture_path ("idefics2-tiny");
  const char *args[] = { "ask", "--model", model, "--max-new-tokens", "2", "--", "Hi", NULL };
  g_autoptr(GPtrArray) devices = regard_list_devices (NULL);

  {
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;

    g_setenv ("REGARD_BACKEND", "cpu", TRUE);
    g_assert_cmpint (run_cli (args, &out, &err), ==, 0);
    g_unsetenv ("REGARD_BACKEND");
    g_assert_nonnull (strstr (err, "reference (plain C, slow) backend"));
  }
  if (devices->len > 0)
    {
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;

      g_assert_cmpint (run_cli (args, &out, &err), ==, 0);
      g_assert_nonnull (strstr (err, ", Vulkan backend,"));
    }
  {
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;

    g_setenv ("VK_ICD_FILENAMES", "/nonexistent/regard-no-icd.json", TRUE);
    g_setenv ("VK_DRIVER_FILES", "/nonexistent/regard-no-icd.json", TRUE);
    g_setenv ("REGARD_HOST_MEMORY_BYTES", "1000000", TRUE);
    g_assert_cmpint (run_cli (args, &out, &err), ==, 1);
    g_unsetenv ("VK_ICD_FILENAMES");
    g_unsetenv ("VK_DRIVER_FILES");
    g_unsetenv ("REGARD_HOST_MEMORY_BYTES");
    g_assert_nonnull (strstr (err, "No Vulkan device"));
    g_assert_nonnull (strstr (err, "reference backend needs"));
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cli/ask/json-stream", test_json_stream);
  g_test_add_func ("/cli/ask/usage-error", test_usage_error);
  g_test_add_func ("/cli/ask/runtime-error", test_runtime_error);
  g_test_add_func ("/cli/bench/model-json", test_bench_model_json);
  g_test_add_func ("/cli/bench/usage-error", test_bench_usage_error);
  g_test_add_func ("/cli/ask/backend-named", test_backend_named);
  return g_test_run ();
}
