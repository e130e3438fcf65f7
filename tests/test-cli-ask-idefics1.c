/* test-cli-ask-idefics1.c: `regard-cli ask --dump` on idefics1-tiny (the
 * original IDEFICS), the whole product path (tokenizer, IDEFICS1 prompt and
 * image attention index, IdeficsImageProcessor, Vulkan model with f32
 * weights, gated cross-attention, greedy generation with the instruct
 * card's stop and banned ids) against every golden case of its manifest:
 * prompt ids exact, the dumped taps within the manifest's forward_checks
 * tolerances (minus the case's forward_checks_skip), 24/24 greedy ids and
 * the decoded text. JPEG inputs are replaced by the pixels PIL decoded
 * from them (*.decoded.png), as in the other families' tests. */
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/wait.h>

#include "regard-engine.h"
#include "rg-safetensors.h"
#include "rg-vk.h"
#include "test-common.h"

static JsonArray *model_cases;
static JsonArray *forward_checks;

static char *
cli_path (void)
{
  const char *builddir = g_getenv ("G_TEST_BUILDDIR");
  g_assert_nonnull (builddir);
  return g_build_filename (builddir, "..", "tools", "regard-cli", NULL);
}

static int
run_cli (GPtrArray *args, char **out, char **err)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_ptr_array_add (argv, cli_path ());
  for (guint i = 0; i < args->len; i++)
    g_ptr_array_add (argv, g_strdup (args->pdata[i]));
  g_ptr_array_add (argv, NULL);
  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, out, err, &status, &error);
  g_assert_no_error (error);
  g_assert_true (WIFEXITED (status));
  return WEXITSTATUS (status);
}

static char *
case_image_path (const char *relative)
{
  g_autofree char *rel = g_build_filename ("idefics1-tiny", relative, NULL);
  g_autofree char *path = rg_test_fixture_path (rel);

  if (g_str_has_suffix (path, ".jpg"))
    {
      path[strlen (path) - 4] = '\0';
      return g_strconcat (path, ".decoded.png", NULL);
    }
  return g_steal_pointer (&path);
}

static const RgTensorInfo *
find (RgSafetensors *st, const char *name)
{
  const RgTensorInfo *t = rg_safetensors_find (st, name);

  if (t == NULL)
    g_error ("no tensor %s", name);
  return t;
}

/* f32 copies (safetensors data need not be aligned) */
static float *
f32_of (const RgTensorInfo *t)
{
  float *out = g_new (float, MAX (t->n_elements, 1));

  g_assert_cmpint (t->dtype, ==, RG_DTYPE_F32);
  memcpy (out, t->data, t->n_elements * sizeof (float));
  return out;
}

static void
check_tap (RgSafetensors *dump, RgSafetensors *golden, const char *name, double tol)
{
  const RgTensorInfo *got = find (dump, name), *want = find (golden, name);
  g_autofree float *a = f32_of (got);
  g_autofree float *b = f32_of (want);
  RgCompare cmp;

  g_assert_cmpuint (got->n_dims, ==, want->n_dims);
  for (guint d = 0; d < got->n_dims; d++)
    g_assert_cmpint (got->shape[d], ==, want->shape[d]);
  cmp = rg_test_compare_f32 (a, b, got->n_elements);
  g_test_message ("%s: max |diff| %.3g over %" G_GUINT64_FORMAT " values", name, cmp.max_abs,
                  (guint64) got->n_elements);
  rg_test_assert_close_f32 (__FILE__, __LINE__, name, a, b, got->n_elements, tol);
}

static void
test_case (gconstpointer data)
{
  JsonObject *c = (JsonObject *) data;
  JsonArray *images = json_object_get_array_member (c, "images");
  JsonArray *expect = json_object_get_array_member (c, "generated_ids");
  g_autoptr(GError) error = NULL;
  g_autofree char *model = rg_test_fixture_path ("idefics1-tiny");
  g_autofree char *tmp = g_dir_make_tmp ("regard-idefics1-dump-XXXXXX", &error);
  g_autofree char *dump_path = g_build_filename (tmp, "dump.safetensors", NULL);
  g_autofree char *golden_rel = g_build_filename ("idefics1-tiny", json_object_get_string_member (c, "file"), NULL);
  g_autofree char *golden_path = rg_test_fixture_path (golden_rel);
  g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(RgSafetensors) dump = NULL;
  g_autoptr(RgSafetensors) golden = NULL;
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *out = NULL, *err = NULL;
  g_auto(GStrv) lines = NULL;
  const RgTensorInfo *ids;
  guint n_lines;

  g_assert_no_error (error);
  g_ptr_array_add (args, g_strdup ("ask"));
  g_ptr_array_add (args, g_strdup ("--model"));
  g_ptr_array_add (args, g_strdup (model));
  for (guint i = 0; i < json_array_get_length (images); i++)
    {
      g_ptr_array_add (args, g_strdup ("--image"));
      g_ptr_array_add (args, case_image_path (json_array_get_string_element (images, i)));
    }
  g_ptr_array_add (args, g_strdup ("--precision=f32"));
  g_ptr_array_add (args, g_strdup ("--raw-prompt"));
  g_ptr_array_add (args, g_strdup ("--max-new-tokens=24"));
  g_ptr_array_add (args, g_strdup ("--json"));
  g_ptr_array_add (args, g_strdup_printf ("--dump=%s", dump_path));
  g_ptr_array_add (args, g_strdup ("--"));
  g_ptr_array_add (args, g_strdup (json_object_get_string_member (c, "chat_prompt")));

  if (run_cli (args, &out, &err) != 0)
    g_error ("regard-cli failed: %s", err);

  /* 24 token lines, the summary, and the empty string after the last \n */
  lines = g_strsplit (out, "\n", -1);
  n_lines = g_strv_length (lines);
  g_assert_cmpuint (n_lines, ==, json_array_get_length (expect) + 2);
  for (guint i = 0; i + 2 < n_lines; i++)
    {
      g_autoptr(JsonParser) p = json_parser_new ();
      JsonObject *o;

      g_assert_true (json_parser_load_from_data (p, lines[i], -1, &error));
      o = json_node_get_object (json_parser_get_root (p));
      g_assert_cmpint (json_object_get_int_member (o, "id"), ==, json_array_get_int_element (expect, i));
      g_string_append (text, json_object_get_string_member (o, "text"));
    }
  g_assert_cmpstr (text->str, ==, json_object_get_string_member (c, "generated_text_skip_special"));
  {
    g_autoptr(JsonParser) p = json_parser_new ();
    JsonObject *o;

    g_assert_true (json_parser_load_from_data (p, lines[n_lines - 2], -1, &error));
    o = json_node_get_object (json_parser_get_root (p));
    g_assert_cmpstr (json_object_get_string_member (o, "stop_reason"), ==, "max_tokens");
    g_assert_cmpint (json_object_get_int_member (o, "prompt_tokens"), ==,
                     json_object_get_int_member (c, "input_ids_len"));
  }

  dump = rg_safetensors_open (dump_path, &error);
  g_assert_no_error (error);
  golden = rg_safetensors_open (golden_path, &error);
  g_assert_no_error (error);
  /* the prompt the processor and tokenizer made: exact */
  ids = find (dump, "input_ids");
  g_assert_cmpuint (ids->n_elements, ==, find (golden, "input_ids")->n_elements);
  g_assert_cmpmem (ids->data, ids->nbytes, find (golden, "input_ids")->data, find (golden, "input_ids")->nbytes);
  /* The manifest's checks; image_hidden_states is the perceiver output. */
  for (guint i = 0; i < json_array_get_length (forward_checks); i++)
    {
      JsonObject *check = json_array_get_object_element (forward_checks, i);
      const char *name = json_object_get_string_member (check, "tensor");
      JsonArray *skip = json_object_get_array_member (c, "forward_checks_skip");
      gboolean skipped = FALSE;

      for (guint k = 0; skip && k < json_array_get_length (skip); k++)
        skipped |= g_strcmp0 (json_array_get_string_element (skip, k), name) == 0;
      if (!skipped)
        check_tap (dump, golden, name, json_object_get_double_member (check, "max_abs"));
    }
  g_clear_pointer (&dump, rg_safetensors_close);
  rg_test_remove_tree (tmp);
}

/* regard-cli bench with an image on IDEFICS1: the family's processor (a
 * square squash, not IDEFICS2's grid), the image states set and attended. */
static void
test_bench_image (void)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *out = NULL, *err = NULL;
  g_autofree char *model = rg_test_fixture_path ("idefics1-tiny");

  g_ptr_array_add (args, g_strdup ("bench"));
  g_ptr_array_add (args, g_strdup ("--model"));
  g_ptr_array_add (args, g_strdup (model));
  g_ptr_array_add (args, g_strdup ("--image"));
  g_ptr_array_add (args, case_image_path ("../images/landscape_1200x500.png"));
  g_ptr_array_add (args, g_strdup ("--prompt-tokens=5"));
  g_ptr_array_add (args, g_strdup ("--gen-tokens=2"));
  if (run_cli (args, &out, &err) != 0)
    g_error ("regard-cli bench failed: %s", err);
  g_assert_nonnull (strstr (out, "image encode"));
  g_assert_nonnull (strstr (out, "(1 sub-images)"));
}

int
main (int argc, char **argv)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *manifest = NULL;
  g_autoptr(GError) error = NULL;

  g_test_init (&argc, &argv, NULL);
  {
    g_autoptr(GArray) devices = rg_vk_enumerate_devices (NULL);

    if (devices->len == 0)
      {
        g_printerr ("no Vulkan device: skipping\n");
        return RG_TEST_EXIT_SKIP;
      }
  }
  manifest = rg_test_fixture_path ("idefics1-tiny/golden/manifest.json");
  g_assert_true (json_parser_load_from_file (parser, manifest, &error));
  g_assert_no_error (error);
  model_cases = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "model_cases");
  forward_checks = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                                 "forward_checks");
  g_assert_cmpuint (json_array_get_length (forward_checks), ==, 5);
  g_assert_cmpuint (json_array_get_length (model_cases), ==, 6);
  for (guint i = 0; i < json_array_get_length (model_cases); i++)
    {
      JsonObject *c = json_array_get_object_element (model_cases, i);
      g_autofree char *path = g_strdup_printf ("/cli/ask/idefics1/%s", json_object_get_string_member (c, "name"));

      g_test_add_data_func (path, c, test_case);
    }
  g_test_add_func ("/cli/bench/idefics1/image", test_bench_image);
  return g_test_run ();
}
