/* rg-sampler.c: bad words, temperature, top-k, top-p, seeded draw. */
#include "rg-sampler.h"

#include <math.h>
#include <stdlib.h>

struct _RgSampler
{
  RgSamplerParams params;
  gint32 *bad_ids;
  gint32 *eos_ids;
  RgRng rng;
  /* Scratch reused across tokens: one entry per candidate. */
  struct Candidate { float logit; gint32 id; } *cand;
  guint cand_len;
};

typedef struct Candidate Candidate;

/* splitmix64 (Vigna): spreads any 64-bit seed over the xoshiro state, which
 * must not be all zero. */
static guint64
splitmix64 (guint64 *x)
{
  guint64 z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void
rg_rng_seed (RgRng *rng, guint64 seed)
{
  guint64 x = seed;
  for (guint i = 0; i < 4; i++)
    rng->s[i] = splitmix64 (&x);
}

static inline guint64
rotl (guint64 x, int k)
{
  return (x << k) | (x >> (64 - k));
}

/* xoshiro256** 1.0 */
guint64
rg_rng_next (RgRng *rng)
{
  guint64 *s = rng->s;
  guint64 result = rotl (s[1] * 5, 7) * 9;
  guint64 t = s[1] << 17;

  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl (s[3], 45);
  return result;
}

double
rg_rng_uniform (RgRng *rng)
{
  return (double) (rg_rng_next (rng) >> 11) * 0x1.0p-53;
}

RgSampler *
rg_sampler_new (const RgSamplerParams *params)
{
  RgSampler *s = g_new0 (RgSampler, 1);

  s->params = *params;
  s->bad_ids = g_memdup2 (params->bad_ids, params->n_bad_ids * sizeof (gint32));
  s->eos_ids = g_memdup2 (params->eos_ids, params->n_eos_ids * sizeof (gint32));
  s->params.bad_ids = s->bad_ids;
  s->params.eos_ids = s->eos_ids;
  rg_rng_seed (&s->rng, params->seed);
  return s;
}

void
rg_sampler_free (RgSampler *sampler)
{
  if (!sampler)
    return;
  g_free (sampler->bad_ids);
  g_free (sampler->eos_ids);
  g_free (sampler->cand);
  g_free (sampler);
}

gboolean
rg_sampler_is_eos (const RgSampler *sampler, gint32 id)
{
  for (guint i = 0; i < sampler->params.n_eos_ids; i++)
    if (sampler->params.eos_ids[i] == id)
      return TRUE;
  return FALSE;
}

static gint32
argmax (const float *logits, guint n)
{
  gint32 best = -1;
  float best_v = -INFINITY;

  /* Strict '>' keeps the lowest id on ties. */
  for (guint i = 0; i < n; i++)
    if (logits[i] > best_v)
      {
        best_v = logits[i];
        best = (gint32) i;
      }
  return best;
}

/* Descending by logit, then ascending by id, so equal logits keep the same
 * order as greedy's tie rule and runs are reproducible. */
static int
candidate_cmp (const void *a, const void *b)
{
  const Candidate *x = a, *y = b;

  if (x->logit > y->logit)
    return -1;
  if (x->logit < y->logit)
    return 1;
  return (x->id > y->id) - (x->id < y->id);
}

gint32
rg_sampler_sample (RgSampler *sampler, float *logits, guint n_vocab)
{
  const RgSamplerParams *p = &sampler->params;
  guint n = 0, keep;
  double sum, r, acc;

  for (guint i = 0; i < p->n_bad_ids; i++)
    if (p->bad_ids[i] >= 0 && (guint) p->bad_ids[i] < n_vocab)
      logits[p->bad_ids[i]] = -INFINITY;

  if (p->temperature <= 0.0f || p->top_k == 1)
    return argmax (logits, n_vocab);

  if (sampler->cand_len < n_vocab)
    {
      g_free (sampler->cand);
      sampler->cand = g_new (Candidate, n_vocab);
      sampler->cand_len = n_vocab;
    }
  for (guint i = 0; i < n_vocab; i++)
    if (isfinite (logits[i]))
      {
        sampler->cand[n].logit = logits[i] / p->temperature;
        sampler->cand[n].id = (gint32) i;
        n++;
      }
  if (n == 0)
    return -1;
  qsort (sampler->cand, n, sizeof (Candidate), candidate_cmp);

  /* Top-k as HF's TopKLogitsWarper: drop what is below the k-th score, so
   * ties with the k-th are kept. */
  keep = n;
  if (p->top_k > 0 && p->top_k < n)
    {
      float kth = sampler->cand[p->top_k - 1].logit;
      keep = p->top_k;
      while (keep < n && sampler->cand[keep].logit >= kth)
        keep++;
    }

  /* Softmax over the kept candidates (max first after sorting). */
  sum = 0.0;
  for (guint i = 0; i < keep; i++)
    sum += exp ((double) sampler->cand[i].logit - sampler->cand[0].logit);

  /* Top-p as HF's TopPLogitsWarper: sorted ascending, a token goes when the
   * cumulative probability up to and including it is <= 1 - top_p; seen
   * from the top, token i stays while the mass above it is < top_p. The
   * best token always stays. */
  if (p->top_p < 1.0f)
    {
      double above = 0.0, new_sum = 0.0;
      guint i;

      for (i = 0; i < keep; i++)
        {
          double prob = exp ((double) sampler->cand[i].logit - sampler->cand[0].logit) / sum;
          if (i > 0 && above >= p->top_p)
            break;
          above += prob;
          new_sum += prob * sum;
        }
      keep = i;
      sum = new_sum;
    }

  r = rg_rng_uniform (&sampler->rng) * sum;
  acc = 0.0;
  for (guint i = 0; i < keep; i++)
    {
      acc += exp ((double) sampler->cand[i].logit - sampler->cand[0].logit);
      if (r < acc)
        return sampler->cand[i].id;
    }
  /* Rounding left r at the very top: the last kept token. */
  return sampler->cand[keep - 1].id;
}
