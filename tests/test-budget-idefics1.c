/* Device memory budget of idefics-9b-instruct and idefics-80b-instruct
 * (their config.json values, reference idefics1.md §1.1) from the model
 * description's weight table: the figures docs/performance.md quotes. */
#include "test-common.h"

#include <string.h>

#include "regard-error.h"
#include "rg-budget.h"
#include "rg-config.h"

#define GB 1e9

/* idefics-9b-instruct's config.json (the keys the model reads) */
static const char idefics_9b[] =
  "{\"model_type\": \"idefics\", \"vocab_size\": 32000, \"additional_vocab_size\": 3,"
  " \"hidden_size\": 4096, \"intermediate_size\": 11008, \"num_hidden_layers\": 32,"
  " \"num_attention_heads\": 32, \"rms_norm_eps\": 1e-6, \"cross_layer_interval\": 4,"
  " \"qk_layer_norms\": true, \"alpha_type\": \"float\", \"use_resampler\": true,"
  " \"max_position_embeddings\": 2048, \"tie_word_embeddings\": false,"
  " \"vision_config\": {\"embed_dim\": 1280, \"image_size\": 224, \"intermediate_size\": 5120,"
  "   \"patch_size\": 14, \"num_attention_heads\": 16, \"num_hidden_layers\": 32, \"hidden_act\": \"gelu\"},"
  " \"perceiver_config\": {\"qk_layer_norms_perceiver\": true, \"resampler_depth\": 6,"
  "   \"resampler_head_dim\": 96, \"resampler_n_heads\": 16, \"resampler_n_latents\": 64}}";

/* idefics-80b-instruct: LLaMA-65B, eps 1e-5 */
static const char idefics_80b[] =
  "{\"model_type\": \"idefics\", \"vocab_size\": 32000, \"additional_vocab_size\": 3,"
  " \"hidden_size\": 8192, \"intermediate_size\": 22016, \"num_hidden_layers\": 80,"
  " \"num_attention_heads\": 64, \"rms_norm_eps\": 1e-5, \"cross_layer_interval\": 4,"
  " \"qk_layer_norms\": true, \"alpha_type\": \"float\", \"use_resampler\": true,"
  " \"max_position_embeddings\": 2048,"
  " \"vision_config\": {\"embed_dim\": 1280, \"image_size\": 224, \"intermediate_size\": 5120,"
  "   \"patch_size\": 14, \"num_attention_heads\": 16, \"num_hidden_layers\": 32, \"hidden_act\": \"gelu\"},"
  " \"perceiver_config\": {\"qk_layer_norms_perceiver\": true, \"resampler_depth\": 6,"
  "   \"resampler_head_dim\": 96, \"resampler_n_heads\": 16, \"resampler_n_latents\": 64}}";

static RgModelConfig
parse (const char *json)
{
  g_autoptr(GError) error = NULL;
  RgModelConfig cfg;

  g_assert_true (rg_model_config_parse (json, strlen (json), "config.json", &cfg, &error));
  g_assert_no_error (error);
  return cfg;
}

static void
report (const char *name, const RgModelConfig *cfg, guint ctx)
{
  static const RgDType formats[] = { RG_DTYPE_F16, RG_DTYPE_Q8_0, RG_DTYPE_Q4_0 };

  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      RgBudgetEstimate e;

      rg_budget_estimate (cfg, formats[i], RG_KV_F32, ctx, FALSE, &e);
      g_test_message ("%s %s ctx %u: total %.2f GB (matrices %.2f, vectors %.3f, kv %.2f, act %.3f); "
                      "decode reads %.2f GB/token", name, rg_dtype_name (formats[i]), ctx, e.total / GB,
                      e.matrices / GB, e.vectors / GB, e.kv_cache / GB, e.activations / GB,
                      rg_budget_decode_bytes (cfg, formats[i], RG_KV_F32, ctx) / GB);
    }
}

static void
test_9b (void)
{
  RgModelConfig cfg = parse (idefics_9b);
  RgBudgetEstimate f16, q4;

  report ("idefics-9b", &cfg, 2048);
  report ("idefics-9b", &cfg, 1024);
  rg_budget_estimate (&cfg, RG_DTYPE_F16, RG_KV_F32, 2048, FALSE, &f16);
  /* 8.93e9 parameters: LLaMA-7B 6.74e9, 8 gated blocks 1.43e9, ViT-H 0.63e9, perceiver 0.13e9 */
  g_assert_cmpfloat (f16.matrices / GB, >, 17.7);
  g_assert_cmpfloat (f16.matrices / GB, <, 17.9);
  /* 32 layers x 2048 tokens x 4096 x f32 x (K, V) */
  g_assert_cmpuint (f16.kv_cache, ==, 32ull * 2048 * 4096 * 4 * 2);
  rg_budget_estimate (&cfg, RG_DTYPE_Q4_0, RG_KV_F32, 1024, FALSE, &q4);
  g_assert_cmpfloat (q4.total / GB, <, 8.0);
}

/* An 8 GB GPU (Vulkan reports a budget a little under 8 GiB) takes the
 * 9b model in Q4_0 at the default context ("auto" picks it). */
static void
test_9b_fits_8gb (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *reason = NULL;
  RgModelConfig cfg = parse (idefics_9b);
  RgDType chosen;

  g_assert_true (rg_budget_choose (&cfg, RG_DTYPE_COUNT, RG_KV_F32, 1024, FALSE, (guint64) (7.6 * 1024 * 1024 * 1024),
                                   "8 GB GPU", &chosen, &reason, &error));
  g_assert_no_error (error);
  g_test_message ("%s", reason);
  g_assert_cmpint (chosen, ==, RG_DTYPE_Q4_0);
}

/* The engine's default context for 9b is its trained 2048, which needs
 * 8.53 GB in Q4_0: on an 8 GB GPU the default is shortened to what fits
 * rather than the load refused, and the reason says so. */
static void
test_9b_default_context_shortened (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *reason = NULL;
  RgModelConfig cfg = parse (idefics_9b);
  guint64 budget = (guint64) (7.6 * 1024 * 1024 * 1024);
  guint context = 2048;
  RgDType chosen;

  g_assert_false (rg_budget_choose (&cfg, RG_DTYPE_COUNT, RG_KV_F32, 2048, FALSE, budget, "8 GB GPU", &chosen, NULL, NULL));
  g_assert_true (rg_budget_choose_default_context (&cfg, RG_DTYPE_COUNT, RG_KV_F32, &context, FALSE, budget, "8 GB GPU",
                                                   &chosen, &reason, &error));
  g_assert_no_error (error);
  g_assert_cmpint (chosen, ==, RG_DTYPE_Q4_0);
  g_assert_cmpuint (context, >=, RG_BUDGET_MIN_DEFAULT_CONTEXT);
  g_assert_cmpuint (context, <, 2048);
  g_assert_cmpuint (context % 256, ==, 0);
  g_assert_nonnull (strstr (reason, "instead of 2048"));
}

/* Too small even at the shortest default context: the usual error. */
static void
test_9b_default_context_too_small (void)
{
  g_autoptr(GError) error = NULL;
  RgModelConfig cfg = parse (idefics_9b);
  guint context = 2048;
  RgDType chosen;

  g_assert_false (rg_budget_choose_default_context (&cfg, RG_DTYPE_COUNT, RG_KV_F32, &context, FALSE,
                                                    (guint64) 4 * 1024 * 1024 * 1024, "4 GB GPU",
                                                    &chosen, NULL, &error));
  g_assert_error (error, REGARD_ERROR, REGARD_ERROR_OUT_OF_MEMORY);
  g_assert_cmpuint (context, ==, 2048);
}

static void
test_80b (void)
{
  RgModelConfig cfg = parse (idefics_80b);
  RgBudgetEstimate q4;

  report ("idefics-80b", &cfg, 2048);
  rg_budget_estimate (&cfg, RG_DTYPE_Q4_0, RG_KV_F32, 2048, FALSE, &q4);
  /* LLaMA-65B + 20 gated blocks: about 80e9 parameters, over 40 GB in Q4_0 */
  g_assert_cmpfloat (q4.matrices / GB, >, 40);
  g_assert_cmpuint (q4.kv_cache, ==, 80ull * 2048 * 8192 * 4 * 2);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/budget/idefics1/9b", test_9b);
  g_test_add_func ("/engine/budget/idefics1/9b-fits-8gb", test_9b_fits_8gb);
  g_test_add_func ("/engine/budget/idefics1/9b-default-context-shortened", test_9b_default_context_shortened);
  g_test_add_func ("/engine/budget/idefics1/9b-default-context-too-small", test_9b_default_context_too_small);
  g_test_add_func ("/engine/budget/idefics1/80b", test_80b);
  return g_test_run ();
}
