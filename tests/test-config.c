/* test-config: config.json parsing, transformers' defaults, old spellings
 * and rejection of malformed or unsupported configs. */
#include "test-common.h"

#include "regard-engine.h"
#include "rg-config.h"

#include <string.h>

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

  memset (&cfg, 0x5a, sizeof cfg);
  g_assert_false (parse (json, &cfg, &error));
  g_assert_error (error, REGARD_ERROR, code);
  if (strstr (error->message, needle) == NULL)
    g_error ("message '%s' lacks '%s'", error->message, needle);
  g_assert_nonnull (strstr (error->message, "config.json"));
}

static void
test_fixture (void)
{
  g_autofree char *path = rg_test_fixture_path ("idefics2-tiny/config.json");
  g_autoptr(GBytes) bytes = rg_test_read_file (path);
  g_autoptr(GError) error = NULL;
  RgModelConfig cfg;
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);

  g_assert_true (rg_model_config_parse (data, len, "config.json", &cfg, &error));
  g_assert_no_error (error);

  g_assert_cmpuint (cfg.vision.hidden_size, ==, 32);
  g_assert_cmpuint (cfg.vision.intermediate_size, ==, 37);
  g_assert_cmpuint (cfg.vision.num_hidden_layers, ==, 2);
  g_assert_cmpuint (cfg.vision.num_attention_heads, ==, 4);
  g_assert_cmpuint (cfg.vision.num_channels, ==, 3);
  g_assert_cmpuint (cfg.vision.image_size, ==, 980);
  g_assert_cmpuint (cfg.vision.patch_size, ==, 14);
  g_assert_cmpfloat (cfg.vision.layer_norm_eps, ==, 1e-6f);

  g_assert_cmpuint (cfg.perceiver.hidden_size, ==, 64);
  g_assert_cmpuint (cfg.perceiver.resampler_n_latents, ==, 64);
  g_assert_cmpuint (cfg.perceiver.resampler_depth, ==, 2);
  g_assert_cmpuint (cfg.perceiver.resampler_n_heads, ==, 4);
  g_assert_cmpuint (cfg.perceiver.resampler_head_dim, ==, 8);
  g_assert_cmpuint (cfg.perceiver.num_key_value_heads, ==, 2);
  /* modeling_idefics2.py @ 00dcc6dda: the perceiver's own eps, not the text one */
  g_assert_cmpfloat (cfg.perceiver.rms_norm_eps, ==, 1e-6f);

  g_assert_cmpuint (cfg.text.vocab_size, ==, 32003);
  g_assert_cmpuint (cfg.text.hidden_size, ==, 64);
  g_assert_cmpuint (cfg.text.intermediate_size, ==, 112);
  g_assert_cmpuint (cfg.text.num_hidden_layers, ==, 2);
  g_assert_cmpuint (cfg.text.num_attention_heads, ==, 4);
  g_assert_cmpuint (cfg.text.num_key_value_heads, ==, 2);
  g_assert_cmpuint (cfg.text.head_dim, ==, 16);
  g_assert_cmpuint (cfg.text.max_position_embeddings, ==, 32768);
  g_assert_cmpuint (cfg.text.sliding_window, ==, 4096);
  g_assert_cmpfloat (cfg.text.rms_norm_eps, ==, 1e-5f);
  g_assert_cmpfloat (cfg.text.rope_theta, ==, 10000.0f);
  g_assert_false (cfg.text.tie_word_embeddings);

  g_assert_cmpint (cfg.image_token_id, ==, 32001);
  g_assert_false (cfg.tie_word_embeddings);
}

/* No sub-configs at all: Idefics2Config's defaults (idefics2-8b's text and
 * perceiver shapes, SigLIP-base vision shapes). */
static void
test_defaults (void)
{
  g_autoptr(GError) error = NULL;
  RgModelConfig cfg;

  g_assert_true (parse ("{\"model_type\": \"idefics2\"}", &cfg, &error));
  g_assert_no_error (error);

  g_assert_cmpuint (cfg.vision.hidden_size, ==, 768);
  g_assert_cmpuint (cfg.vision.intermediate_size, ==, 3072);
  g_assert_cmpuint (cfg.vision.num_hidden_layers, ==, 12);
  g_assert_cmpuint (cfg.vision.num_attention_heads, ==, 12);
  g_assert_cmpuint (cfg.vision.image_size, ==, 224);
  g_assert_cmpuint (cfg.vision.patch_size, ==, 32);
  g_assert_cmpfloat (cfg.vision.layer_norm_eps, ==, 1e-6f);

  g_assert_cmpuint (cfg.perceiver.hidden_size, ==, 4096);
  g_assert_cmpuint (cfg.perceiver.resampler_n_latents, ==, 64);
  g_assert_cmpuint (cfg.perceiver.resampler_depth, ==, 3);
  g_assert_cmpuint (cfg.perceiver.resampler_n_heads, ==, 16);
  g_assert_cmpuint (cfg.perceiver.resampler_head_dim, ==, 96);
  g_assert_cmpuint (cfg.perceiver.num_key_value_heads, ==, 4);
  g_assert_cmpfloat (cfg.perceiver.rms_norm_eps, ==, 1e-6f);

  g_assert_cmpuint (cfg.text.vocab_size, ==, 32000);
  g_assert_cmpuint (cfg.text.hidden_size, ==, 4096);
  g_assert_cmpuint (cfg.text.intermediate_size, ==, 14336);
  g_assert_cmpuint (cfg.text.num_hidden_layers, ==, 32);
  g_assert_cmpuint (cfg.text.num_attention_heads, ==, 32);
  g_assert_cmpuint (cfg.text.num_key_value_heads, ==, 8);
  g_assert_cmpuint (cfg.text.head_dim, ==, 128);
  g_assert_cmpuint (cfg.text.max_position_embeddings, ==, 32768);
  g_assert_cmpuint (cfg.text.sliding_window, ==, 4096);
  g_assert_cmpfloat (cfg.text.rms_norm_eps, ==, 1e-5f);
  g_assert_cmpfloat (cfg.text.rope_theta, ==, 10000.0f);

  g_assert_cmpint (cfg.image_token_id, ==, 32001);
  g_assert_false (cfg.tie_word_embeddings);
}

/* A present text_config takes MistralConfig's own defaults. */
static void
test_text_defaults (void)
{
  g_autoptr(GError) error = NULL;
  RgModelConfig cfg;

  g_assert_true (parse ("{\"model_type\": \"idefics2\", \"text_config\": {\"vocab_size\": 32003}}",
                        &cfg, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (cfg.text.vocab_size, ==, 32003);
  g_assert_cmpuint (cfg.text.max_position_embeddings, ==, 131072);
  g_assert_cmpfloat (cfg.text.rms_norm_eps, ==, 1e-6f);
}

/* idefics2-8b's original config.json: sub-configs say "idefics2", no
 * head_dim, a perceiver without hidden_size or rms_norm_eps. */
static void
test_old_spelling (void)
{
  const char *json =
    "{\"model_type\": \"idefics2\","
    " \"vision_config\": {\"model_type\": \"idefics2\", \"hidden_size\": 1152, \"image_size\": 980,"
    "   \"intermediate_size\": 4304, \"num_attention_heads\": 16, \"num_hidden_layers\": 27, \"patch_size\": 14},"
    " \"perceiver_config\": {\"model_type\": \"idefics2\", \"resampler_depth\": 3, \"resampler_head_dim\": 96,"
    "   \"resampler_n_heads\": 16, \"resampler_n_latents\": 64, \"num_key_value_heads\": 4},"
    " \"text_config\": {\"model_type\": \"mistral\", \"vocab_size\": 32003, \"hidden_size\": 4096,"
    "   \"num_attention_heads\": 32, \"num_key_value_heads\": 8, \"rms_norm_eps\": 1e-05,"
    "   \"max_position_embeddings\": 32768, \"rope_theta\": 10000.0, \"sliding_window\": 4096}}";
  g_autoptr(GError) error = NULL;
  RgModelConfig cfg;

  g_assert_true (parse (json, &cfg, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (cfg.vision.hidden_size, ==, 1152);
  g_assert_cmpuint (cfg.vision.num_hidden_layers, ==, 27);
  g_assert_cmpuint (cfg.text.head_dim, ==, 128);
  g_assert_cmpuint (cfg.perceiver.hidden_size, ==, 4096);
  g_assert_cmpfloat (cfg.perceiver.rms_norm_eps, ==, 1e-6f);
}

/* Idefics2Config overwrites a perceiver hidden_size that differs from the
 * text one, and then takes the text rms_norm_eps too. */
static void
test_perceiver_override (void)
{
  const char *json =
    "{\"model_type\": \"idefics2\","
    " \"perceiver_config\": {\"rms_norm_eps\": 1e-6, \"resampler_n_heads\": 4, \"resampler_head_dim\": 8,"
    "   \"num_key_value_heads\": 2},"
    " \"text_config\": {\"hidden_size\": 64, \"num_attention_heads\": 4, \"num_key_value_heads\": 2,"
    "   \"rms_norm_eps\": 1e-5}}";
  g_autoptr(GError) error = NULL;
  RgModelConfig cfg;

  g_assert_true (parse (json, &cfg, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (cfg.perceiver.hidden_size, ==, 64);
  g_assert_cmpfloat (cfg.perceiver.rms_norm_eps, ==, 1e-5f);
}

static void
test_null_values (void)
{
  const char *json =
    "{\"model_type\": \"idefics2\", \"text_config\": {\"hidden_size\": 64, \"num_attention_heads\": 4,"
    " \"num_key_value_heads\": null, \"head_dim\": null, \"sliding_window\": null, \"rope_scaling\": null}}";
  g_autoptr(GError) error = NULL;
  RgModelConfig cfg;

  g_assert_true (parse (json, &cfg, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (cfg.text.num_key_value_heads, ==, 4);
  g_assert_cmpuint (cfg.text.head_dim, ==, 16);
  g_assert_cmpuint (cfg.text.sliding_window, ==, 0);
}

static void
test_rope_parameters (void)
{
  g_autoptr(GError) error = NULL;
  RgModelConfig cfg;

  g_assert_true (parse ("{\"model_type\": \"idefics2\", \"text_config\": {\"rope_parameters\":"
                        " {\"rope_type\": \"default\", \"rope_theta\": 500000}}}", &cfg, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (cfg.text.rope_theta, ==, 500000.0f);
  assert_rejected ("{\"model_type\": \"idefics2\", \"text_config\": {\"rope_parameters\":"
                   " {\"rope_type\": \"yarn\", \"factor\": 4}}}", REGARD_ERROR_UNSUPPORTED, "yarn");
}

static void
test_reject_nan (void)
{
  /* Python's json writes NaN unquoted, which is not JSON */
  assert_rejected ("{\"model_type\": \"idefics2\", \"vision_config\": {\"layer_norm_eps\": NaN}}",
                   REGARD_ERROR_INVALID_MODEL, "JSON");
}

static void
test_reject_negative (void)
{
  assert_rejected ("{\"model_type\": \"idefics2\", \"vision_config\": {\"hidden_size\": -32}}",
                   REGARD_ERROR_INVALID_MODEL, "vision_config.hidden_size");
  assert_rejected ("{\"model_type\": \"idefics2\", \"text_config\": {\"rms_norm_eps\": -1e-5}}",
                   REGARD_ERROR_INVALID_MODEL, "text_config.rms_norm_eps");
  assert_rejected ("{\"model_type\": \"idefics2\", \"text_config\": {\"num_hidden_layers\": 0}}",
                   REGARD_ERROR_INVALID_MODEL, "text_config.num_hidden_layers");
}

static void
test_reject_string (void)
{
  assert_rejected ("{\"model_type\": \"idefics2\", \"perceiver_config\": {\"resampler_depth\": \"3\"}}",
                   REGARD_ERROR_INVALID_MODEL, "perceiver_config.resampler_depth");
  assert_rejected ("{\"model_type\": \"idefics2\", \"text_config\": {\"hidden_size\": 64.5}}",
                   REGARD_ERROR_INVALID_MODEL, "text_config.hidden_size");
  assert_rejected ("{\"model_type\": \"idefics2\", \"text_config\": {\"rope_theta\": \"big\"}}",
                   REGARD_ERROR_INVALID_MODEL, "text_config.rope_theta");
}

static void
test_reject_huge (void)
{
  assert_rejected ("{\"model_type\": \"idefics2\", \"text_config\": {\"intermediate_size\": 99999999999}}",
                   REGARD_ERROR_INVALID_MODEL, "text_config.intermediate_size");
}

/* Each dimension is in range, but their products pass 2^32 elements (#14):
 * refused here, before a backend multiplies them in 32 bits. */
static void
test_reject_products_past_2_32 (void)
{
  assert_rejected ("{\"model_type\": \"idefics2\", \"text_config\": {\"vocab_size\": 262145,"
                   " \"hidden_size\": 16384, \"num_attention_heads\": 128, \"num_key_value_heads\": 8,"
                   " \"intermediate_size\": 64}, \"perceiver_config\": {\"resampler_n_latents\": 8}}",
                   REGARD_ERROR_INVALID_MODEL, "text embeddings would have 262145 x 16384 = 4294983680 elements");
  /* resampler_n_latents * text hidden (the connector's latents) */
  assert_rejected ("{\"model_type\": \"idefics2\", \"text_config\": {\"vocab_size\": 100,"
                   " \"hidden_size\": 32768, \"num_attention_heads\": 256, \"num_key_value_heads\": 8,"
                   " \"intermediate_size\": 64}, \"perceiver_config\": {\"resampler_n_latents\": 100000}}",
                   REGARD_ERROR_INVALID_MODEL, "perceiver latents would have 100000 x 32768");
  assert_rejected ("{\"model_type\": \"idefics2\", \"vision_config\": {\"image_size\": 57344,"
                   " \"patch_size\": 14, \"hidden_size\": 768}}",
                   REGARD_ERROR_INVALID_MODEL, "vision position embedding");
  /* A KV-cache layer: 2^24 positions x 8 heads x 128. */
  assert_rejected ("{\"model_type\": \"idefics2\", \"text_config\": {\"max_position_embeddings\": 16777216}}",
                   REGARD_ERROR_INVALID_MODEL, "KV cache");
}

static void
test_reject_indivisible (void)
{
  assert_rejected ("{\"model_type\": \"idefics2\", \"text_config\": {\"hidden_size\": 100,"
                   " \"num_attention_heads\": 32}}", REGARD_ERROR_INVALID_MODEL, "head_dim");
  assert_rejected ("{\"model_type\": \"idefics2\", \"text_config\": {\"num_attention_heads\": 32,"
                   " \"num_key_value_heads\": 6}}", REGARD_ERROR_INVALID_MODEL, "num_key_value_heads");
  assert_rejected ("{\"model_type\": \"idefics2\", \"vision_config\": {\"hidden_size\": 100,"
                   " \"num_attention_heads\": 16}}", REGARD_ERROR_INVALID_MODEL, "vision_config");
  assert_rejected ("{\"model_type\": \"idefics2\", \"perceiver_config\": {\"resampler_n_heads\": 4,"
                   " \"num_key_value_heads\": 3}}", REGARD_ERROR_INVALID_MODEL, "perceiver_config");
}

static void
test_explicit_head_dim (void)
{
  g_autoptr(GError) error = NULL;
  RgModelConfig cfg;

  /* head_dim given: hidden need not divide by the heads */
  g_assert_true (parse ("{\"model_type\": \"idefics2\", \"text_config\": {\"hidden_size\": 100,"
                        " \"num_attention_heads\": 32, \"head_dim\": 64}}", &cfg, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (cfg.text.head_dim, ==, 64);
}

static void
test_reject_model_type (void)
{
  assert_rejected ("{\"model_type\": \"llava\"}", REGARD_ERROR_UNSUPPORTED, "llava");
  /* SmolVLM2 (a different prompt format): named, with what is supported */
  assert_rejected ("{\"model_type\": \"smolvlm\"}", REGARD_ERROR_UNSUPPORTED, "'smolvlm' is not supported");
  assert_rejected ("{\"model_type\": \"smolvlm\"}", REGARD_ERROR_UNSUPPORTED, "'idefics3'");
  assert_rejected ("{\"architectures\": [\"X\"]}", REGARD_ERROR_INVALID_MODEL, "model_type");
  assert_rejected ("{\"model_type\": \"idefics2\", \"text_config\": {\"model_type\": \"llama\"}}",
                   REGARD_ERROR_UNSUPPORTED, "llama");
  assert_rejected ("{\"model_type\": \"idefics2\", \"vision_config\": {\"model_type\": \"siglip\"}}",
                   REGARD_ERROR_UNSUPPORTED, "siglip");
}

static void
test_reject_rope_scaling (void)
{
  assert_rejected ("{\"model_type\": \"idefics2\", \"text_config\": {\"rope_scaling\":"
                   " {\"type\": \"linear\", \"factor\": 2.0}}}", REGARD_ERROR_UNSUPPORTED, "rope_scaling");
}

static void
test_reject_activation (void)
{
  assert_rejected ("{\"model_type\": \"idefics2\", \"vision_config\": {\"hidden_act\": \"quick_gelu\"}}",
                   REGARD_ERROR_UNSUPPORTED, "quick_gelu");
}

static void
test_reject_image_token (void)
{
  assert_rejected ("{\"model_type\": \"idefics2\", \"image_token_id\": -1}",
                   REGARD_ERROR_INVALID_MODEL, "image_token_id");
  assert_rejected ("{\"model_type\": \"idefics2\", \"image_token_id\": \"32001\"}",
                   REGARD_ERROR_INVALID_MODEL, "image_token_id");
}

static void
test_reject_not_object (void)
{
  assert_rejected ("[1, 2]", REGARD_ERROR_INVALID_MODEL, "object");
  assert_rejected ("{\"model_type\": \"idefics2\", \"text_config\": 5}", REGARD_ERROR_INVALID_MODEL,
                   "text_config");
  assert_rejected ("", REGARD_ERROR_INVALID_MODEL, "JSON");
}

static void
test_reject_deep (void)
{
  g_autofree char *deep = g_strnfill (1000000, '[');

  assert_rejected (deep, REGARD_ERROR_INVALID_MODEL, "nested");
}

/* ---- IDEFICS3 (SmolVLM) ------------------------------------------------- */

static void
test_idefics3_fixture (void)
{
  g_autofree char *path = rg_test_fixture_path ("smolvlm-tiny/config.json");
  g_autoptr(GBytes) bytes = rg_test_read_file (path);
  g_autoptr(GError) error = NULL;
  RgModelConfig cfg;
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);

  g_assert_true (rg_model_config_parse (data, len, "config.json", &cfg, &error));
  g_assert_no_error (error);
  g_assert_cmpint (cfg.family, ==, RG_MODEL_FAMILY_IDEFICS3);
  g_assert_cmpuint (cfg.vision.hidden_size, ==, 32);
  g_assert_cmpuint (cfg.vision.intermediate_size, ==, 48);
  g_assert_cmpuint (cfg.vision.num_attention_heads, ==, 4);
  g_assert_cmpuint (cfg.vision.image_size, ==, 128);
  g_assert_cmpuint (cfg.vision.patch_size, ==, 16);
  g_assert_cmpuint (cfg.connector.scale_factor, ==, 4);
  /* (128 / 16 / 4)^2 */
  g_assert_cmpuint (cfg.image_seq_len, ==, 4);
  g_assert_cmpuint (cfg.text.vocab_size, ==, 49280);
  g_assert_cmpuint (cfg.text.hidden_size, ==, 64);
  g_assert_cmpuint (cfg.text.num_key_value_heads, ==, 2);
  g_assert_cmpuint (cfg.text.head_dim, ==, 16);
  g_assert_cmpuint (cfg.text.sliding_window, ==, 0);
  g_assert_cmpuint (cfg.text.max_position_embeddings, ==, 8192);
  g_assert_cmpfloat (cfg.text.rope_theta, ==, 100000.0f);
  g_assert_cmpfloat (cfg.text.rms_norm_eps, ==, 1e-5f);
  g_assert_false (cfg.tie_word_embeddings);
  g_assert_cmpint (cfg.image_token_id, ==, 49190);
}

static void
test_idefics3_defaults (void)
{
  g_autoptr(GError) error = NULL;
  RgModelConfig cfg;

  /* Idefics3Config(), Idefics3VisionConfig(), LlamaConfig(rms_norm_eps=1e-5);
   * the default 224 / 32 = 7 patches per side do not divide by scale 2
   * (reject below), so only image_size is given */
  g_assert_true (parse ("{\"model_type\": \"idefics3\", \"vision_config\": {\"image_size\": 256}}", &cfg, &error));
  g_assert_no_error (error);
  g_assert_cmpint (cfg.family, ==, RG_MODEL_FAMILY_IDEFICS3);
  g_assert_cmpuint (cfg.vision.hidden_size, ==, 1152);
  g_assert_cmpuint (cfg.vision.num_attention_heads, ==, 16);
  g_assert_cmpuint (cfg.vision.intermediate_size, ==, 3072);
  g_assert_cmpuint (cfg.vision.patch_size, ==, 32);
  g_assert_cmpuint (cfg.connector.scale_factor, ==, 2);
  g_assert_cmpuint (cfg.image_seq_len, ==, 16);   /* (256 / 32 / 2)^2 */
  g_assert_cmpuint (cfg.text.intermediate_size, ==, 11008);
  g_assert_cmpuint (cfg.text.num_key_value_heads, ==, 32);   /* absent: as many as the heads */
  g_assert_cmpuint (cfg.text.max_position_embeddings, ==, 2048);
  g_assert_cmpfloat (cfg.text.rms_norm_eps, ==, 1e-5f);
  g_assert_cmpint (cfg.image_token_id, ==, 128257);
  /* a present text_config takes LlamaConfig's own eps */
  g_assert_true (parse ("{\"model_type\": \"idefics3\", \"scale_factor\": 1, \"text_config\": {}}", &cfg, &error));
  g_assert_cmpfloat (cfg.text.rms_norm_eps, ==, 1e-6f);
}

static void
test_idefics3_tie_top_level (void)
{
  g_autoptr(GError) error = NULL;
  RgModelConfig cfg;

  /* Idefics3ForConditionalGeneration reads the top-level flag only */
  g_assert_true (parse ("{\"model_type\": \"idefics3\", \"scale_factor\": 1, \"tie_word_embeddings\": true,"
                        " \"text_config\": {\"tie_word_embeddings\": false}}", &cfg, &error));
  g_assert_no_error (error);
  g_assert_true (cfg.tie_word_embeddings);
  g_assert_true (cfg.text.tie_word_embeddings);
  g_assert_true (parse ("{\"model_type\": \"idefics3\", \"scale_factor\": 1, \"tie_word_embeddings\": false,"
                        " \"text_config\": {\"tie_word_embeddings\": true}}", &cfg, &error));
  g_assert_false (cfg.tie_word_embeddings);
  g_assert_false (cfg.text.tie_word_embeddings);
}

static void
test_idefics3_reject (void)
{
  /* 224 / 32 = 7 patches per side: scale 2 cannot group them */
  assert_rejected ("{\"model_type\": \"idefics3\"}", REGARD_ERROR_INVALID_MODEL, "scale_factor 2");
  assert_rejected ("{\"model_type\": \"idefics3\", \"scale_factor\": 0}", REGARD_ERROR_INVALID_MODEL, "scale_factor");
  assert_rejected ("{\"model_type\": \"idefics3\", \"scale_factor\": 1, \"text_config\": {\"model_type\": \"mistral\"}}",
                   REGARD_ERROR_UNSUPPORTED, "mistral");
  assert_rejected ("{\"model_type\": \"idefics3\", \"scale_factor\": 1, \"text_config\": {\"sliding_window\": 4096}}",
                   REGARD_ERROR_UNSUPPORTED, "sliding_window");
  assert_rejected ("{\"model_type\": \"idefics3\", \"scale_factor\": 1, \"text_config\": {\"attention_bias\": true}}",
                   REGARD_ERROR_UNSUPPORTED, "attention_bias");
  assert_rejected ("{\"model_type\": \"idefics3\", \"scale_factor\": 1, \"text_config\": {\"mlp_bias\": true}}",
                   REGARD_ERROR_UNSUPPORTED, "mlp_bias");
  assert_rejected ("{\"model_type\": \"idefics3\", \"scale_factor\": 1, \"perceiver_config\": {}}",
                   REGARD_ERROR_INVALID_MODEL, "perceiver_config");
  assert_rejected ("{\"model_type\": \"idefics3\", \"scale_factor\": 1, \"vision_config\": {\"model_type\": \"idefics2_vision\"}}",
                   REGARD_ERROR_UNSUPPORTED, "idefics2_vision");
  /* the connector's T x V s^2 past 2^31 */
  assert_rejected ("{\"model_type\": \"idefics3\", \"scale_factor\": 64, \"vision_config\": {\"image_size\": 4096,"
                   " \"patch_size\": 1, \"hidden_size\": 65536, \"num_attention_heads\": 1}}",
                   REGARD_ERROR_INVALID_MODEL, "elements");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engine/config/fixture", test_fixture);
  g_test_add_func ("/engine/config/defaults", test_defaults);
  g_test_add_func ("/engine/config/text-defaults", test_text_defaults);
  g_test_add_func ("/engine/config/old-spelling", test_old_spelling);
  g_test_add_func ("/engine/config/perceiver-override", test_perceiver_override);
  g_test_add_func ("/engine/config/null-values", test_null_values);
  g_test_add_func ("/engine/config/rope-parameters", test_rope_parameters);
  g_test_add_func ("/engine/config/explicit-head-dim", test_explicit_head_dim);
  g_test_add_func ("/engine/config/reject-nan", test_reject_nan);
  g_test_add_func ("/engine/config/reject-negative", test_reject_negative);
  g_test_add_func ("/engine/config/reject-string", test_reject_string);
  g_test_add_func ("/engine/config/reject-huge", test_reject_huge);
  g_test_add_func ("/engine/config/reject-indivisible", test_reject_indivisible);
  g_test_add_func ("/engine/config/reject-products-past-2-32", test_reject_products_past_2_32);
  g_test_add_func ("/engine/config/reject-model-type", test_reject_model_type);
  g_test_add_func ("/engine/config/reject-rope-scaling", test_reject_rope_scaling);
  g_test_add_func ("/engine/config/reject-activation", test_reject_activation);
  g_test_add_func ("/engine/config/reject-image-token", test_reject_image_token);
  g_test_add_func ("/engine/config/reject-not-object", test_reject_not_object);
  g_test_add_func ("/engine/config/reject-deep", test_reject_deep);
  g_test_add_func ("/engine/config/idefics3/fixture", test_idefics3_fixture);
  g_test_add_func ("/engine/config/idefics3/defaults", test_idefics3_defaults);
  g_test_add_func ("/engine/config/idefics3/tie-top-level", test_idefics3_tie_top_level);
  g_test_add_func ("/engine/config/idefics3/reject", test_idefics3_reject);

  return g_test_run ();
}
