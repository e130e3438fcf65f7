/* test-config-idefics1: IDEFICS1's config.json (IdeficsConfig defaults,
 * the top-level use_resampler, the decoupled vocabulary) and the switches
 * its model description resolves from it. */
#include "test-common.h"

#include <string.h>

#include "regard-error.h"
#include "rg-arch.h"
#include "rg-config.h"

static gboolean
parse (const char *json, RgModelConfig *cfg, GError **error)
{
  return rg_model_config_parse (json, strlen (json), "config.json", cfg, error);
}

static void
assert_rejected (const char *json, int code, const char *needle)
{
  g_autoptr(GError) error = NULL;
  RgModelConfig cfg;

  g_assert_false (parse (json, &cfg, &error));
  g_assert_error (error, REGARD_ERROR, code);
  if (strstr (error->message, needle) == NULL)
    g_error ("message '%s' lacks '%s'", error->message, needle);
}

static void
parse_fixture (RgModelConfig *cfg)
{
  g_autofree char *path = rg_test_fixture_path ("idefics1-tiny/config.json");
  g_autoptr(GBytes) bytes = rg_test_read_file (path);
  g_autoptr(GError) error = NULL;
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);

  g_assert_true (rg_model_config_parse (data, len, "config.json", cfg, &error));
  g_assert_no_error (error);
}

static void
test_fixture (void)
{
  RgModelConfig cfg;

  parse_fixture (&cfg);
  g_assert_cmpint (cfg.family, ==, RG_MODEL_FAMILY_IDEFICS1);
  g_assert_cmpuint (cfg.vision.hidden_size, ==, 32);          /* embed_dim */
  g_assert_cmpuint (cfg.vision.intermediate_size, ==, 64);
  g_assert_cmpuint (cfg.vision.image_size, ==, 56);
  g_assert_cmpfloat (cfg.vision.layer_norm_eps, ==, 1e-5f);
  g_assert_cmpint (cfg.idefics1.vision_act, ==, RG_ACT_GELU);
  /* P5: the top-level key, not perceiver_config.use_resampler (false) */
  g_assert_true (cfg.idefics1.use_resampler);
  g_assert_true (cfg.idefics1.qk_layer_norms_perceiver);
  g_assert_false (cfg.idefics1.qk_layer_norms);
  g_assert_false (cfg.idefics1.alpha_vector);
  g_assert_cmpuint (cfg.idefics1.cross_layer_interval, ==, 2);
  g_assert_cmpuint (cfg.perceiver.resampler_n_latents, ==, 8);
  g_assert_cmpuint (cfg.perceiver.resampler_head_dim, ==, 12);
  g_assert_cmpuint (cfg.image_seq_len, ==, 8);
  /* P14: logits over vocab_size + additional_vocab_size */
  g_assert_cmpuint (cfg.idefics1.additional_vocab_size, ==, 3);
  g_assert_cmpuint (cfg.text.vocab_size, ==, 32003);
  g_assert_cmpuint (cfg.text.hidden_size, ==, 64);
  g_assert_cmpuint (cfg.text.num_key_value_heads, ==, 4);
  g_assert_cmpuint (cfg.text.head_dim, ==, 16);
  g_assert_cmpfloat (cfg.text.rope_theta, ==, 10000.0f);
  g_assert_cmpfloat (cfg.text.rms_norm_eps, ==, 1e-6f);
  g_assert_cmpint (cfg.image_token_id, ==, 32001);
}

static void
test_defaults (void)
{
  g_autoptr(GError) error = NULL;
  RgModelConfig cfg;

  /* IdeficsConfig (): no resampler, interval 1; CLIP ViT-H-like vision */
  g_assert_true (parse ("{\"model_type\": \"idefics\", \"additional_vocab_size\": 2,"
                        " \"rope_theta\": 500000}", &cfg, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (cfg.vision.patch_size, ==, 14);
  g_assert_cmpuint (cfg.vision.image_size, ==, 224);
  g_assert_false (cfg.idefics1.use_resampler);
  g_assert_cmpuint (cfg.idefics1.cross_layer_interval, ==, 1);
  /* without the resampler the features are CLS + 16 x 16 patches */
  g_assert_cmpuint (cfg.image_seq_len, ==, 257);
  g_assert_cmpuint (cfg.text.vocab_size, ==, 32002);
  g_assert_cmpuint (cfg.text.intermediate_size, ==, 11008);
  /* P13: RoPE base hard-coded */
  g_assert_cmpfloat (cfg.text.rope_theta, ==, 10000.0f);
  g_assert_true (parse ("{\"model_type\": \"idefics\", \"additional_vocab_size\": 3, \"alpha_type\": \"vector\","
                        " \"vision_config\": {\"hidden_act\": \"quick_gelu\"}}", &cfg, &error));
  g_assert_true (cfg.idefics1.alpha_vector);
  g_assert_cmpint (cfg.idefics1.vision_act, ==, RG_ACT_QUICK_GELU);
}

static void
test_reject (void)
{
  assert_rejected ("{\"model_type\": \"idefics\"}", REGARD_ERROR_UNSUPPORTED, "additional_vocab_size");
  assert_rejected ("{\"model_type\": \"idefics\", \"additional_vocab_size\": 3, \"alpha_type\": \"matrix\"}",
                   REGARD_ERROR_UNSUPPORTED, "alpha_type 'matrix'");
  assert_rejected ("{\"model_type\": \"idefics\", \"additional_vocab_size\": 3, \"vision_embed_dim\": 1280}",
                   REGARD_ERROR_UNSUPPORTED, "vision_config");
  assert_rejected ("{\"model_type\": \"idefics\", \"additional_vocab_size\": 3,"
                   " \"vision_config\": {\"hidden_act\": \"relu\"}}", REGARD_ERROR_UNSUPPORTED, "relu");
  assert_rejected ("{\"model_type\": \"idefics\", \"additional_vocab_size\": 3, \"tie_word_embeddings\": true}",
                   REGARD_ERROR_UNSUPPORTED, "tie_word_embeddings");
  assert_rejected ("{\"model_type\": \"idefics\", \"additional_vocab_size\": 3,"
                   " \"perceiver_config\": {\"model_type\": \"idefics2\"}}", REGARD_ERROR_UNSUPPORTED, "idefics2");
}

/* P7: a gated block before every layer index divisible by the interval,
 * of which HF has only layers / interval */
static void
test_block_placement (void)
{
  g_autoptr(GError) error = NULL;
  RgModelConfig cfg;
  RgArchDims dims;

  g_assert_true (parse ("{\"model_type\": \"idefics\", \"additional_vocab_size\": 3, \"num_hidden_layers\": 5,"
                        " \"cross_layer_interval\": 2}", &cfg, &error));
  g_assert_null (rg_arch_for_config (&cfg, &dims, &error));
  g_assert_error (error, REGARD_ERROR, REGARD_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "cross_layer_interval"));
  g_clear_error (&error);
  g_assert_true (parse ("{\"model_type\": \"idefics\", \"additional_vocab_size\": 3, \"num_hidden_layers\": 6,"
                        " \"cross_layer_interval\": 2}", &cfg, &error));
  g_assert_nonnull (rg_arch_for_config (&cfg, &dims, &error));
  g_assert_cmpuint (dims.d[RG_DIM_X_LAYERS], ==, 3);
}

static guint
n_tensors (const RgArch *arch, const RgArchDims *dims, const char *suffix)
{
  guint n = 0;

  for (guint s = 1; s < arch->n_weights; s++)
    if (g_str_has_suffix (arch->weights[s].name, suffix))
      n += rg_arch_weight_layers (arch, dims, s);
  return n;
}

/* The config's switches select the tensors the description loads. */
static void
test_switches (void)
{
  g_autoptr(GError) error = NULL;
  RgModelConfig cfg;
  RgArchDims dims;
  const RgArch *arch;
  uint64_t rows, cols;

  parse_fixture (&cfg);
  arch = rg_arch_for_config (&cfg, &dims, &error);
  g_assert_no_error (error);
  g_assert_true (arch == &rg_arch_idefics1);
  g_assert_cmpuint (n_tensors (arch, &dims, "cross_attn.q_layer_norm.weight"), ==, 0);
  g_assert_cmpuint (n_tensors (arch, &dims, "0.q_layer_norm.weight"), ==, 2);
  g_assert_cmpuint (n_tensors (arch, &dims, "alpha_dense"), ==, 2);
  g_assert_cmpuint (n_tensors (arch, &dims, "latents"), ==, 1);
  rg_arch_feature_shape (arch, &dims, &rows, &cols);
  g_assert_cmpuint (rows, ==, 8);
  g_assert_cmpuint (cols, ==, 32);   /* P6: the vision width */

  cfg.idefics1.use_resampler = FALSE;
  cfg.idefics1.qk_layer_norms = TRUE;
  arch = rg_arch_for_config (&cfg, &dims, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n_tensors (arch, &dims, "cross_attn.q_layer_norm.weight"), ==, 2);
  g_assert_cmpuint (n_tensors (arch, &dims, "0.q_layer_norm.weight"), ==, 0);
  g_assert_cmpuint (n_tensors (arch, &dims, "latents"), ==, 0);
  rg_arch_feature_shape (arch, &dims, &rows, &cols);
  g_assert_cmpuint (rows, ==, 17);   /* CLS + 4 x 4 patches */
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/config/idefics1/fixture", test_fixture);
  g_test_add_func ("/engine/config/idefics1/defaults", test_defaults);
  g_test_add_func ("/engine/config/idefics1/reject", test_reject);
  g_test_add_func ("/model/idefics1/arch/block-placement", test_block_placement);
  g_test_add_func ("/model/idefics1/arch/switches", test_switches);
  return g_test_run ();
}
