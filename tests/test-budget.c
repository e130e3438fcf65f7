/* Device memory budget: idefics2-8b's shapes (written out here, as its
 * config.json gives them) against fake device budgets. */
#include "test-common.h"

#include <math.h>
#include <string.h>

#include "regard-engine.h"
#include "rg-budget.h"
#include "rg-config.h"

#define GiB (1024.0 * 1024 * 1024)

static RgModelConfig
idefics2_8b (void)
{
  RgModelConfig c = { 0 };

  c.vision = (RgVisionConfig) { 1152, 4304, 27, 16, 3, 980, 14, 1e-6f };
  c.perceiver = (RgPerceiverConfig) { 4096, 64, 3, 16, 96, 4, 1e-5f };
  c.text = (RgTextConfig) { 32003, 4096, 14336, 32, 32, 8, 128, 32768, 4096, 1e-5f, 10000.0f, FALSE };
  c.image_token_id = 32001;
  return c;
}

/* An f16 KV cache counts 2 bytes per element; AUTO is f32 for f32 weights
 * and f16 for the others, and a default context shortened for an f32
 * cache is longer with an f16 one. */
static void
test_kv_cache_f16 (void)
{
  RgModelConfig cfg = idefics2_8b ();
  RgBudgetEstimate f32, f16, auto_q8, auto_f32;
  RgDType chosen;
  guint ctx32 = 4096, ctx16 = 4096;

  rg_budget_estimate (&cfg, RG_DTYPE_Q8_0, RG_KV_F32, 4096, TRUE, &f32);
  rg_budget_estimate (&cfg, RG_DTYPE_Q8_0, RG_KV_F16, 4096, TRUE, &f16);
  rg_budget_estimate (&cfg, RG_DTYPE_Q8_0, RG_KV_AUTO, 4096, TRUE, &auto_q8);
  rg_budget_estimate (&cfg, RG_DTYPE_F32, RG_KV_AUTO, 4096, TRUE, &auto_f32);
  /* 32 layers x 4096 tokens x 8 heads x 128 x f16 x (K, V) */
  g_assert_cmpuint (f16.kv_cache, ==, 32ull * 4096 * 8 * 128 * 2 * 2);
  g_assert_cmpuint (f32.kv_cache, ==, 2 * f16.kv_cache);
  g_assert_cmpuint (f32.total - f16.total, ==, f16.kv_cache);
  g_assert_cmpuint (auto_q8.kv_cache, ==, f16.kv_cache);
  g_assert_cmpuint (auto_f32.kv_cache, ==, f32.kv_cache);
  g_assert_cmpuint (rg_budget_decode_bytes (&cfg, RG_DTYPE_Q8_0, RG_KV_F32, 1000) -
                    rg_budget_decode_bytes (&cfg, RG_DTYPE_Q8_0, RG_KV_F16, 1000), ==, 32ull * 1000 * 8 * 128 * 2 * 2);

  /* Q4_0 on a budget where 4096 tokens of f32 cache (1 GiB) do not fit
   * (7.87 GiB in all) but 4096 of f16 do */
  g_assert_true (rg_budget_choose_default_context (&cfg, RG_DTYPE_Q4_0, RG_KV_F32, &ctx32, FALSE,
                                                   (guint64) (7.85 * GiB), "Test GPU", &chosen, NULL, NULL));
  g_assert_true (rg_budget_choose_default_context (&cfg, RG_DTYPE_Q4_0, RG_KV_F16, &ctx16, FALSE,
                                                   (guint64) (7.85 * GiB), "Test GPU", &chosen, NULL, NULL));
  g_test_message ("default context at 7.85 GiB: %u (f32 cache), %u (f16 cache)", ctx32, ctx16);
  g_assert_cmpuint (ctx32, <, 4096);
  g_assert_cmpuint (ctx32, >=, RG_BUDGET_MIN_DEFAULT_CONTEXT);
  g_assert_cmpuint (ctx16, ==, 4096);
}

static void
test_estimate_8b (void)
{
  RgModelConfig cfg = idefics2_8b ();
  RgBudgetEstimate f16, q8, q4, f32;

  rg_budget_estimate (&cfg, RG_DTYPE_F16, RG_KV_F32, 4096, TRUE, &f16);
  rg_budget_estimate (&cfg, RG_DTYPE_Q8_0, RG_KV_F32, 4096, TRUE, &q8);
  rg_budget_estimate (&cfg, RG_DTYPE_Q4_0, RG_KV_F32, 4096, TRUE, &q4);
  rg_budget_estimate (&cfg, RG_DTYPE_F32, RG_KV_F32, 4096, TRUE, &f32);
  g_test_message ("f16 %.2f GB (matrices %.2f, kv %.2f, act %.2f); q8_0 %.2f; q4_0 %.2f",
                  f16.total / 1e9, f16.matrices / 1e9, f16.kv_cache / 1e9, f16.activations / 1e9,
                  q8.total / 1e9, q4.total / 1e9);

  /* 8.40e9 parameters in 16 bits (Mistral 7.24e9, SigLIP 0.42e9, connector 0.74e9) */
  g_assert_cmpfloat (f16.matrices / 1e9, >, 16.7);
  g_assert_cmpfloat (f16.matrices / 1e9, <, 16.9);
  g_assert_cmpuint (f32.matrices, ==, 2 * f16.matrices);
  /* 32 layers x 4096 tokens x 8 heads x 128 x f32 x (K, V) */
  g_assert_cmpuint (f16.kv_cache, ==, 32ull * 4096 * 8 * 128 * 4 * 2);
  /* the language model's matrices shrink by 34/64 and 18/64; the vision
   * tower and connector (2.32 GB) stay f16 */
  {
    /* 32 x (q, o 4096^2; k, v 1024 x 4096; gate, up, down 14336 x 4096),
     * embed and lm_head 32003 x 4096 each; Q4_0 keeps lm_head, the
     * embedding and k, v in Q8_0 */
    double q4_part = 32.0 * (2 * 4096.0 * 4096 + 3 * 14336.0 * 4096);
    double kv = 32.0 * 2 * 1024.0 * 4096;
    double vocab = 32003.0 * 4096;

    g_assert_cmpfloat (fabs ((double) (f16.matrices - q8.matrices) - (q4_part + kv + 2 * vocab) * (2 - 34.0 / 32)), <, 1);
    g_assert_cmpfloat (fabs ((double) (f16.matrices - q4.matrices) -
                             (q4_part * (2 - 18.0 / 32) + (kv + 2 * vocab) * (2 - 34.0 / 32))), <, 1);
  }
  g_assert_cmpuint (q8.kv_cache, ==, f16.kv_cache);
  g_assert_cmpuint (q8.activations, ==, f16.activations);
}

static RgDType
choose (guint64 budget, guint ctx, gboolean split, GError **error, char **reason)
{
  RgModelConfig cfg = idefics2_8b ();
  RgDType chosen = RG_DTYPE_COUNT;

  if (!rg_budget_choose (&cfg, RG_DTYPE_COUNT, RG_KV_F32, ctx, split, budget, "Test GPU", &chosen, reason, error))
    return RG_DTYPE_COUNT;
  return chosen;
}

static void
test_auto_24g (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *reason = NULL;

  g_assert_cmpint (choose (24 * GiB, 4096, TRUE, &error, &reason), ==, RG_DTYPE_F16);
  g_assert_no_error (error);
  g_test_message ("%s", reason);
  g_assert_nonnull (strstr (reason, "f16"));
  g_assert_nonnull (strstr (reason, "Test GPU"));
}

static void
test_auto_12g (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *reason = NULL;

  /* q8_0 at 4096 tokens: 11.8 GB of 12.2 usable (95% of 12 GiB) */
  g_assert_cmpint (choose (12 * GiB, 4096, TRUE, &error, &reason), ==, RG_DTYPE_Q8_0);
  g_assert_no_error (error);
  g_test_message ("12 GiB: %s", reason);
  /* says why not f16 */
  g_assert_nonnull (strstr (reason, "f16 would need"));
  g_assert_nonnull (strstr (reason, "q8_0 needs"));
}

static void
test_auto_10g (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *reason = NULL;

  g_assert_cmpint (choose (10 * GiB, 4096, TRUE, &error, &reason), ==, RG_DTYPE_Q4_0);
  g_assert_no_error (error);
  g_test_message ("10 GiB: %s", reason);
  g_assert_nonnull (strstr (reason, "q8_0 would need"));
}

static void
test_too_little (void)
{
  g_autoptr(GError) error = NULL;

  /* q4_0 weights alone are 6.7 GB (the vision tower and connector stay
   * f16): only another device helps */
  g_assert_cmpint (choose (3 * GiB, 4096, TRUE, &error, NULL), ==, RG_DTYPE_COUNT);
  g_assert_error (error, REGARD_ERROR, REGARD_ERROR_OUT_OF_MEMORY);
  g_test_message ("3 GiB: %s", error->message);
  g_assert_nonnull (strstr (error->message, "Test GPU"));
  g_assert_nonnull (strstr (error->message, "6.7 GB weights"));
  g_assert_nonnull (strstr (error->message, "another device"));
  g_assert_nonnull (strstr (error->message, "even q4_0"));
  g_clear_error (&error);

  /* 8 GiB: q4_0 needs 8.5 GB with 4096 tokens; a shorter context fits */
  g_assert_cmpint (choose (8 * GiB, 4096, TRUE, &error, NULL), ==, RG_DTYPE_COUNT);
  g_assert_error (error, REGARD_ERROR, REGARD_ERROR_OUT_OF_MEMORY);
  g_test_message ("8 GiB: %s", error->message);
  g_assert_nonnull (strstr (error->message, "a context of"));
  g_assert_nonnull (strstr (error->message, "another device"));
}

static void
test_requested_format (void)
{
  RgModelConfig cfg = idefics2_8b ();
  g_autoptr(GError) error = NULL;
  g_autofree char *reason = NULL;
  RgDType chosen = RG_DTYPE_COUNT;

  /* f16 asked for on 12 GiB: refused, pointing at q8_0 or q4_0 */
  g_assert_false (rg_budget_choose (&cfg, RG_DTYPE_F16, RG_KV_F32, 2048, FALSE, 12 * GiB, "Test GPU", &chosen, NULL, &error));
  g_assert_error (error, REGARD_ERROR, REGARD_ERROR_OUT_OF_MEMORY);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "smaller q8_0 format"));
  g_clear_error (&error);

  g_assert_true (rg_budget_choose (&cfg, RG_DTYPE_Q4_0, RG_KV_F32, 2048, FALSE, 12 * GiB, "Test GPU", &chosen, &reason, &error));
  g_assert_cmpint (chosen, ==, RG_DTYPE_Q4_0);
  g_assert_nonnull (strstr (reason, "as requested"));
}

/* SmolVLM-256M (IDEFICS3): the connector is one 12288 -> 576 linear, no
 * perceiver; every matrix of the checkpoint counted once (256.3 M
 * parameters, f16). */
static void
test_estimate_smolvlm_256m (void)
{
  static const char json[] =
    "{\"model_type\": \"idefics3\", \"scale_factor\": 4, \"vision_config\": {\"hidden_size\": 768,"
    " \"intermediate_size\": 3072, \"num_hidden_layers\": 12, \"num_attention_heads\": 12,"
    " \"image_size\": 512, \"patch_size\": 16}, \"text_config\": {\"vocab_size\": 49280,"
    " \"hidden_size\": 576, \"intermediate_size\": 1536, \"num_hidden_layers\": 30,"
    " \"num_attention_heads\": 9, \"num_key_value_heads\": 3}}";
  g_autoptr(GError) error = NULL;
  RgModelConfig cfg;
  RgBudgetEstimate f16;
  /* vision: patch 768 x 768, positions 1024 x 768, 12 x (4 x 768^2 + 2 x 3072 x 768);
   * connector 576 x 12288; embedding and lm_head 49280 x 576;
   * 30 x (q, o 576^2; k, v 192 x 576; gate, up, down 1536 x 576) */
  guint64 params = 768ull * 768 + 1024ull * 768 + 12ull * (4 * 768 * 768 + 2 * 3072 * 768) +
                   576ull * 12288 + 2ull * 49280 * 576 +
                   30ull * (2 * 576 * 576 + 2 * 192 * 576 + 3 * 1536 * 576);

  g_assert_true (rg_model_config_parse (json, strlen (json), "config.json", &cfg, &error));
  g_assert_no_error (error);
  rg_budget_estimate (&cfg, RG_DTYPE_F16, RG_KV_F32, 4096, TRUE, &f16);
  g_assert_cmpuint (params, ==, 256327680);
  g_assert_cmpuint (f16.matrices, ==, 2 * params);
  /* 30 layers x 4096 tokens x 3 heads x 64 x f32 x (K, V) */
  g_assert_cmpuint (f16.kv_cache, ==, 30ull * 4096 * 3 * 64 * 4 * 2);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/budget/estimate-8b", test_estimate_8b);
  g_test_add_func ("/budget/kv-cache-f16", test_kv_cache_f16);
  g_test_add_func ("/budget/idefics3/estimate-smolvlm-256m", test_estimate_smolvlm_256m);
  g_test_add_func ("/budget/auto/24g-f16", test_auto_24g);
  g_test_add_func ("/budget/auto/12g-q8_0", test_auto_12g);
  g_test_add_func ("/budget/auto/10g-q4_0", test_auto_10g);
  g_test_add_func ("/budget/too-little-names-options", test_too_little);
  g_test_add_func ("/budget/requested-format", test_requested_format);
  return g_test_run ();
}
