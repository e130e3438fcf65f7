/* test-sampler.c: greedy, bad words, temperature, top-k, top-p, seeding. */
#include <math.h>
#include <string.h>

#include "rg-sampler.h"

#define N_VOCAB 1000

static const gint32 bad_ids[] = { 7, 11 };
static const gint32 eos_ids[] = { 2, 32002 };

static RgSampler *
make_sampler (float temperature, guint top_k, float top_p, guint64 seed)
{
  RgSamplerParams p = {
    .temperature = temperature,
    .top_k = top_k,
    .top_p = top_p,
    .seed = seed,
    .bad_ids = bad_ids,
    .n_bad_ids = G_N_ELEMENTS (bad_ids),
    .eos_ids = eos_ids,
    .n_eos_ids = G_N_ELEMENTS (eos_ids),
  };
  return rg_sampler_new (&p);
}

/* Deterministic pseudo-random logits in about [-4, 4]. */
static void
fill_logits (float *logits, guint n, guint seed)
{
  RgRng rng;

  rg_rng_seed (&rng, seed);
  for (guint i = 0; i < n; i++)
    logits[i] = (float) (rg_rng_uniform (&rng) * 8.0 - 4.0);
}

static gint32
reference_argmax (const float *logits, guint n)
{
  gint32 best = 0;
  for (guint i = 1; i < n; i++)
    if (logits[i] > logits[best])
      best = (gint32) i;
  return best;
}

static void
test_rng_reference (void)
{
  RgRng rng;

  /* splitmix64's first output for seed 0 is the published 0xe220a8397b1dcdaf;
   * the xoshiro256** values come from an independent Python transcription. */
  rg_rng_seed (&rng, 0);
  g_assert_cmphex (rng.s[0], ==, G_GUINT64_CONSTANT (0xe220a8397b1dcdaf));
  g_assert_cmphex (rg_rng_next (&rng), ==, G_GUINT64_CONSTANT (0x99ec5f36cb75f2b4));
  g_assert_cmphex (rg_rng_next (&rng), ==, G_GUINT64_CONSTANT (0xbf6e1f784956452a));
  g_assert_cmphex (rg_rng_next (&rng), ==, G_GUINT64_CONSTANT (0x1a5f849d4933e6e0));

  rg_rng_seed (&rng, 42);
  g_assert_cmphex (rg_rng_next (&rng), ==, G_GUINT64_CONSTANT (0x15780b2e0c2ec716));
  g_assert_cmphex (rg_rng_next (&rng), ==, G_GUINT64_CONSTANT (0x6104d9866d113a7e));
  g_assert_cmphex (rg_rng_next (&rng), ==, G_GUINT64_CONSTANT (0xae17533239e499a1));
}

static void
test_greedy_max (void)
{
  g_autoptr(RgSampler) s = make_sampler (0.0f, 0, 1.0f, 1);
  float logits[N_VOCAB];

  for (guint trial = 0; trial < 20; trial++)
    {
      fill_logits (logits, N_VOCAB, trial);
      logits[7] = logits[11] = -10.0f; /* keep bad words out of the way */
      gint32 expect = reference_argmax (logits, N_VOCAB);
      g_assert_cmpint (rg_sampler_sample (s, logits, N_VOCAB), ==, expect);
    }
}

static void
test_greedy_ties (void)
{
  g_autoptr(RgSampler) s = make_sampler (0.0f, 0, 1.0f, 1);
  float logits[N_VOCAB];

  for (guint i = 0; i < N_VOCAB; i++)
    logits[i] = 0.0f;
  logits[500] = 3.0f;
  logits[300] = 3.0f;
  logits[900] = 3.0f;
  g_assert_cmpint (rg_sampler_sample (s, logits, N_VOCAB), ==, 300);
}

static void
test_bad_words_greedy (void)
{
  g_autoptr(RgSampler) s = make_sampler (0.0f, 0, 1.0f, 1);
  float logits[N_VOCAB];

  fill_logits (logits, N_VOCAB, 3);
  logits[11] = 100.0f;
  logits[7] = 99.0f;
  logits[42] = 50.0f;
  g_assert_cmpint (rg_sampler_sample (s, logits, N_VOCAB), ==, 42);
  g_assert_true (isinf (logits[7]) && logits[7] < 0);
  g_assert_true (isinf (logits[11]) && logits[11] < 0);
}

static void
test_bad_words_sampling (void)
{
  g_autoptr(RgSampler) s = make_sampler (5.0f, 0, 1.0f, 99);
  float logits[N_VOCAB];

  /* At temperature 5 the flat distribution would pick ids 7 and 11 often
   * if they were not masked. */
  for (guint draw = 0; draw < 2000; draw++)
    {
      for (guint i = 0; i < 16; i++)
        logits[i] = 0.0f;
      logits[7] = logits[11] = 3.0f;
      gint32 id = rg_sampler_sample (s, logits, 16);
      g_assert_cmpint (id, >=, 0);
      g_assert_cmpint (id, <, 16);
      g_assert_cmpint (id, !=, 7);
      g_assert_cmpint (id, !=, 11);
    }
}

static void
test_top_k_one (void)
{
  g_autoptr(RgSampler) s = make_sampler (1.5f, 1, 1.0f, 5);
  float logits[N_VOCAB];

  for (guint trial = 0; trial < 50; trial++)
    {
      fill_logits (logits, N_VOCAB, 100 + trial);
      logits[7] = logits[11] = -10.0f;
      gint32 expect = reference_argmax (logits, N_VOCAB);
      g_assert_cmpint (rg_sampler_sample (s, logits, N_VOCAB), ==, expect);
    }
}

static void
test_top_p_tiny (void)
{
  g_autoptr(RgSampler) s = make_sampler (1.0f, 0, 1e-6f, 5);
  float logits[N_VOCAB];

  for (guint trial = 0; trial < 50; trial++)
    {
      fill_logits (logits, N_VOCAB, 200 + trial);
      logits[7] = logits[11] = -10.0f;
      gint32 expect = reference_argmax (logits, N_VOCAB);
      g_assert_cmpint (rg_sampler_sample (s, logits, N_VOCAB), ==, expect);
    }
}

static void
test_top_k_restricts (void)
{
  g_autoptr(RgSampler) s = make_sampler (1.0f, 2, 1.0f, 17);
  gboolean seen[16] = { FALSE };

  for (guint draw = 0; draw < 3000; draw++)
    {
      float logits[16] = { 0 };
      logits[3] = 1.0f;
      logits[5] = 0.9f;
      logits[9] = 0.8f;
      gint32 id = rg_sampler_sample (s, logits, 16);
      g_assert_true (id == 3 || id == 5);
      seen[id] = TRUE;
    }
  g_assert_true (seen[3] && seen[5]);
}

static void
test_top_p_restricts (void)
{
  /* Probabilities 0.5, 0.3, 0.2: HF's ascending cumsum is 0.2, 0.5, 1.0, so
   * top_p 0.7 removes only the 0.2 token (0.2 <= 0.3). */
  g_autoptr(RgSampler) s = make_sampler (1.0f, 0, 0.7f, 23);
  gboolean seen[3] = { FALSE };

  for (guint draw = 0; draw < 3000; draw++)
    {
      float logits[3] = { logf (0.5f), logf (0.3f), logf (0.2f) };
      gint32 id = rg_sampler_sample (s, logits, 3);
      g_assert_true (id == 0 || id == 1);
      seen[id] = TRUE;
    }
  g_assert_true (seen[0] && seen[1]);
}

static void
draw_sequence (guint64 seed, gint32 *out, guint n)
{
  g_autoptr(RgSampler) s = make_sampler (1.0f, 40, 0.9f, seed);
  float logits[N_VOCAB];

  for (guint i = 0; i < n; i++)
    {
      fill_logits (logits, N_VOCAB, 7);
      for (guint j = 0; j < N_VOCAB; j++)
        logits[j] *= 0.5f; /* flat enough that draws vary */
      out[i] = rg_sampler_sample (s, logits, N_VOCAB);
    }
}

static void
test_seed_reproducible (void)
{
  gint32 a[64], b[64], c[64];

  draw_sequence (1234, a, 64);
  draw_sequence (1234, b, 64);
  draw_sequence (1235, c, 64);
  g_assert_cmpmem (a, sizeof a, b, sizeof b);
  g_assert_true (memcmp (a, c, sizeof a) != 0);
}

/* Draw counts must match the softmax probabilities within 5 standard
 * deviations of a binomial count. */
static void
check_distribution (float temperature, const float *logits0, guint n, guint draws)
{
  g_autoptr(RgSampler) s = make_sampler (temperature, 0, 1.0f, 4242);
  guint counts[16] = { 0 };
  double probs[16], sum = 0.0;

  g_assert_cmpuint (n, <=, 16);
  for (guint i = 0; i < n; i++)
    sum += probs[i] = exp (logits0[i] / temperature);
  for (guint i = 0; i < n; i++)
    probs[i] /= sum;

  for (guint d = 0; d < draws; d++)
    {
      float logits[16];
      memcpy (logits, logits0, n * sizeof (float));
      gint32 id = rg_sampler_sample (s, logits, n);
      g_assert_cmpint (id, >=, 0);
      g_assert_cmpint (id, <, n);
      counts[id]++;
    }
  for (guint i = 0; i < n; i++)
    {
      if (i == 7 || i == 11)
        {
          g_assert_cmpuint (counts[i], ==, 0);
          continue;
        }
      double expect = probs[i] * draws;
      double sigma = sqrt (draws * probs[i] * (1.0 - probs[i]));
      if (fabs (counts[i] - expect) > 5.0 * sigma + 1.0)
        g_error ("id %u drawn %u times, expected %.1f (sigma %.1f)", i, counts[i], expect, sigma);
    }
}

static void
test_distribution (void)
{
  const float logits[5] = { logf (0.5f), logf (0.25f), logf (0.15f), logf (0.07f), logf (0.03f) };

  check_distribution (1.0f, logits, 5, 40000);
}

static void
test_temperature (void)
{
  const float logits[5] = { 2.0f, 1.0f, 0.5f, 0.0f, -1.0f };

  /* Higher temperature flattens: the expectations in check_distribution
   * use exp (logit / T), so a sampler ignoring T fails here. */
  check_distribution (3.0f, logits, 5, 40000);
  check_distribution (0.5f, logits, 5, 40000);
}

static void
test_eos (void)
{
  g_autoptr(RgSampler) s = make_sampler (0.0f, 0, 1.0f, 1);

  g_assert_true (rg_sampler_is_eos (s, 2));
  g_assert_true (rg_sampler_is_eos (s, 32002));
  g_assert_false (rg_sampler_is_eos (s, 1));
  g_assert_false (rg_sampler_is_eos (s, 32001));
}

static void
test_all_masked (void)
{
  g_autoptr(RgSampler) s = make_sampler (1.0f, 0, 1.0f, 1);
  float logits[12];

  for (guint i = 0; i < 12; i++)
    logits[i] = -INFINITY;
  g_assert_cmpint (rg_sampler_sample (s, logits, 12), ==, -1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/sampler/rng-reference", test_rng_reference);
  g_test_add_func ("/engine/sampler/greedy-max", test_greedy_max);
  g_test_add_func ("/engine/sampler/greedy-ties", test_greedy_ties);
  g_test_add_func ("/engine/sampler/bad-words-greedy", test_bad_words_greedy);
  g_test_add_func ("/engine/sampler/bad-words-sampling", test_bad_words_sampling);
  g_test_add_func ("/engine/sampler/top-k-one", test_top_k_one);
  g_test_add_func ("/engine/sampler/top-p-tiny", test_top_p_tiny);
  g_test_add_func ("/engine/sampler/top-k", test_top_k_restricts);
  g_test_add_func ("/engine/sampler/top-p", test_top_p_restricts);
  g_test_add_func ("/engine/sampler/seed", test_seed_reproducible);
  g_test_add_func ("/engine/sampler/distribution", test_distribution);
  g_test_add_func ("/engine/sampler/temperature", test_temperature);
  g_test_add_func ("/engine/sampler/eos", test_eos);
  g_test_add_func ("/engine/sampler/all-masked", test_all_masked);
  return g_test_run ();
}
