/* test-cli-common.c: see test-cli-common.h. */
#include "test-cli-common.h"

#include <string.h>
#include <sys/wait.h>

#include "test-common.h"

static char *
cli_path (void)
{
  const char *builddir = g_getenv ("G_TEST_BUILDDIR");
  g_assert_nonnull (builddir);
  return g_build_filename (builddir, "..", "tools", "regard-cli", NULL);
}

int
rg_test_cli_run (GPtrArray *args, char **out, char **err)
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

const RgTensorInfo *
rg_test_tensor (RgSafetensors *st, const char *name)
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

void
rg_test_check_tap (RgSafetensors *dump, RgSafetensors *golden, const char *name, double tol)
{
  const RgTensorInfo *got = rg_test_tensor (dump, name), *want = rg_test_tensor (golden, name);
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

void
rg_test_cli_ask_dump (const char *model_dir, JsonObject *c, const char *extra_arg, RgTestCliDump *out)
{
  JsonArray *images = json_object_get_array_member (c, "images");
  JsonArray *expect = json_object_get_array_member (c, "generated_ids");
  g_autoptr(GError) error = NULL;
  g_autofree char *model = rg_test_fixture_path (model_dir);
  g_autofree char *tmp_template = g_strdup_printf ("regard-%s-dump-XXXXXX", model_dir);
  g_autofree char *tmp = g_dir_make_tmp (tmp_template, &error);
  g_autofree char *dump_path = g_build_filename (tmp, "dump.safetensors", NULL);
  g_autofree char *golden_rel = g_build_filename (model_dir, json_object_get_string_member (c, "file"), NULL);
  g_autofree char *golden_path = rg_test_fixture_path (golden_rel);
  g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *stdout_text = NULL, *err = NULL;
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
      g_ptr_array_add (args, rg_test_case_image_path (model_dir, json_array_get_string_element (images, i)));
    }
  if (extra_arg != NULL)
    g_ptr_array_add (args, g_strdup (extra_arg));
  g_ptr_array_add (args, g_strdup ("--precision=f32"));
  g_ptr_array_add (args, g_strdup ("--raw-prompt"));
  g_ptr_array_add (args, g_strdup ("--max-new-tokens=24"));
  g_ptr_array_add (args, g_strdup ("--json"));
  g_ptr_array_add (args, g_strdup_printf ("--dump=%s", dump_path));
  g_ptr_array_add (args, g_strdup ("--"));
  g_ptr_array_add (args, g_strdup (json_object_get_string_member (c, "chat_prompt")));

  if (rg_test_cli_run (args, &stdout_text, &err) != 0)
    g_error ("regard-cli failed: %s", err);

  /* 24 token lines, the summary, and the empty string after the last \n */
  lines = g_strsplit (stdout_text, "\n", -1);
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

  out->dump = rg_safetensors_open (dump_path, &error);
  g_assert_no_error (error);
  out->golden = rg_safetensors_open (golden_path, &error);
  g_assert_no_error (error);
  out->tmp = g_steal_pointer (&tmp);
  /* the prompt the processor and tokenizer made: exact */
  ids = rg_test_tensor (out->dump, "input_ids");
  g_assert_cmpuint (ids->n_elements, ==, rg_test_tensor (out->golden, "input_ids")->n_elements);
  g_assert_cmpmem (ids->data, ids->nbytes, rg_test_tensor (out->golden, "input_ids")->data,
                   rg_test_tensor (out->golden, "input_ids")->nbytes);
}

void
rg_test_cli_dump_clear (RgTestCliDump *d)
{
  g_clear_pointer (&d->dump, rg_safetensors_close);
  g_clear_pointer (&d->golden, rg_safetensors_close);
  if (d->tmp != NULL)
    rg_test_remove_tree (d->tmp);
  g_clear_pointer (&d->tmp, g_free);
}
