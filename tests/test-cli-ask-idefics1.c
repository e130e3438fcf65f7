/* test-cli-ask-idefics1.c: `regard-cli ask --dump` on idefics1-tiny (the
 * original IDEFICS), the whole product path (tokenizer, IDEFICS1 prompt and
 * image attention index, IdeficsImageProcessor, Vulkan model with f32
 * weights, gated cross-attention, greedy generation with the instruct
 * card's stop and banned ids) against every golden case of its manifest:
 * prompt ids exact, the dumped taps within the manifest's forward_checks
 * tolerances (minus the case's forward_checks_skip), 24/24 greedy ids and
 * the decoded text. JPEG inputs are replaced by the pixels PIL decoded
 * from them (*.decoded.png), as in the other families' tests. */
#include <json-glib/json-glib.h>
#include <string.h>

#include "rg-vk.h"
#include "test-cli-common.h"
#include "test-common.h"

static JsonArray *model_cases;
static JsonArray *forward_checks;

static void
test_case (gconstpointer data)
{
  JsonObject *c = (JsonObject *) data;
  JsonArray *skip = json_object_get_array_member (c, "forward_checks_skip");
  RgTestCliDump d = { 0 };

  rg_test_cli_ask_dump ("idefics1-tiny", c, NULL, &d);
  /* The manifest's checks; image_hidden_states is the perceiver output. */
  for (guint i = 0; i < json_array_get_length (forward_checks); i++)
    {
      JsonObject *check = json_array_get_object_element (forward_checks, i);
      const char *name = json_object_get_string_member (check, "tensor");
      gboolean skipped = FALSE;

      for (guint k = 0; skip && k < json_array_get_length (skip); k++)
        skipped |= g_strcmp0 (json_array_get_string_element (skip, k), name) == 0;
      if (!skipped)
        rg_test_check_tap (d.dump, d.golden, name, json_object_get_double_member (check, "max_abs"));
    }
  rg_test_cli_dump_clear (&d);
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
  g_ptr_array_add (args, rg_test_case_image_path ("idefics1-tiny", "../images/landscape_1200x500.png"));
  g_ptr_array_add (args, g_strdup ("--prompt-tokens=5"));
  g_ptr_array_add (args, g_strdup ("--gen-tokens=2"));
  if (rg_test_cli_run (args, &out, &err) != 0)
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
