/* test-cli-ask-idefics3.c: `regard-cli ask --dump` on smolvlm-tiny, the
 * whole product path (tokenizer, prompt, SmolVLM image processor, Vulkan
 * model with f32 weights, greedy generation) against every golden case of
 * its manifest: prompt ids exact, the dumped taps within the fixture
 * README's f32 tolerances (1e-4; logits 5e-4), 24/24 greedy ids and the
 * decoded text. JPEG inputs are replaced by the pixels PIL decoded from
 * them (*.decoded.png), as in the IDEFICS2 tests: JPEG decoders differ. */
#include <json-glib/json-glib.h>

#include "rg-vk.h"
#include "test-cli-common.h"
#include "test-common.h"

#define TOL_HIDDEN 1e-4
#define TOL_LOGITS 5e-4

static JsonArray *model_cases;

static void
test_case (gconstpointer data)
{
  JsonObject *c = (JsonObject *) data;
  gboolean split = json_object_get_boolean_member (c, "do_image_splitting");
  RgTestCliDump d = { 0 };

  rg_test_cli_ask_dump ("smolvlm-tiny", c, split ? "--split" : "--no-split", &d);
  if (json_array_get_length (json_object_get_array_member (c, "images")) > 0)
    {
      rg_test_check_tap (d.dump, d.golden, "vision_last_hidden_state", TOL_HIDDEN);
      rg_test_check_tap (d.dump, d.golden, "connector_output", TOL_HIDDEN);
    }
  rg_test_check_tap (d.dump, d.golden, "inputs_embeds", TOL_HIDDEN);
  rg_test_check_tap (d.dump, d.golden, "text_last_hidden_state", TOL_HIDDEN);
  rg_test_check_tap (d.dump, d.golden, "prefill_last_logits", TOL_LOGITS);
  rg_test_cli_dump_clear (&d);
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
  manifest = rg_test_fixture_path ("smolvlm-tiny/golden/manifest.json");
  g_assert_true (json_parser_load_from_file (parser, manifest, &error));
  g_assert_no_error (error);
  model_cases = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "model_cases");
  g_assert_cmpuint (json_array_get_length (model_cases), ==, 6);
  for (guint i = 0; i < json_array_get_length (model_cases); i++)
    {
      JsonObject *c = json_array_get_object_element (model_cases, i);
      g_autofree char *path = g_strdup_printf ("/cli/ask/idefics3/%s", json_object_get_string_member (c, "name"));

      g_test_add_data_func (path, c, test_case);
    }
  return g_test_run ();
}
