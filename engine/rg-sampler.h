/* rg-sampler.h: picks the next token from a row of logits.
 *
 * Order as in Hugging Face generate: bad words are set to -inf first, then
 * the warpers run in the order temperature, top-k, top-p, and a token is
 * drawn from the softmax of what is left. Temperature 0 (or top-k 1) is
 * greedy argmax, ties going to the lowest id, with no random draw at all.
 *
 * Randomness comes from xoshiro256** (Blackman & Vigna, 2018) whose state is
 * filled from the seed by splitmix64, so the same seed and logits give the
 * same tokens on every machine. */
#pragma once

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

typedef struct
{
  float temperature;      /* <= 0: greedy */
  guint top_k;            /* 0: off */
  float top_p;            /* >= 1: off */
  guint64 seed;
  const gint32 *bad_ids;  /* ids never produced (copied) */
  guint n_bad_ids;
  const gint32 *eos_ids;  /* ids that end the answer (copied) */
  guint n_eos_ids;
} RgSamplerParams;

typedef struct _RgSampler RgSampler;

RgSampler *rg_sampler_new (const RgSamplerParams *params);
void rg_sampler_free (RgSampler *sampler);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RgSampler, rg_sampler_free)

/* Picks a token from LOGITS (N_VOCAB floats, overwritten: bad words become
 * -inf). Returns -1 only when every logit is -inf or NaN. */
gint32 rg_sampler_sample (RgSampler *sampler, float *logits, guint n_vocab);

gboolean rg_sampler_is_eos (const RgSampler *sampler, gint32 id);

/* The raw PRNG, exposed for tests. */
typedef struct
{
  guint64 s[4];
} RgRng;

void rg_rng_seed (RgRng *rng, guint64 seed);
guint64 rg_rng_next (RgRng *rng);
/* Uniform in [0, 1) with 53 bits of precision. */
double rg_rng_uniform (RgRng *rng);

G_END_DECLS
