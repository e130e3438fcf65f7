/* Attention on the GPU against rg_ref_attention, shaped like the model's
 * uses: the vision tower (non-causal, key padding mask), the perceiver
 * (64 latents over image + latent keys, GQA), text prefill (causal), text
 * decode (causal with q_pos0 > 0), Mistral's sliding window, every head
 * dim the model family has, and a KV length beyond 25000; and the same
 * kernels reading an f16 KV cache (the reference on k, v rounded to f16). */
#include "test-gpu.h"
#include "rg-dtype.h"

#include <math.h>
#include <string.h>

typedef struct
{
  uint32_t n_q, n_kv, n_heads, n_kv_heads, head_dim;
  gboolean causal;
  uint32_t q_pos0, window;
  const uint8_t *mask;  /* [n_kv] or NULL */
  uint32_t extra_kv;    /* NaN rows past n_kv in k/v (a KV cache passed whole) */
  gboolean f16_kv;      /* k, v uploaded as halves (an f16 KV cache) */
  gboolean nan_masked;  /* NaN in the k/v rows of masked keys */
} Case;

/* X's halves (the reference then reads X rounded to them) */
static RgVkBuffer *
upload_f16 (const char *name, float *x, size_t n)
{
  g_autofree uint16_t *h = g_new (uint16_t, MAX (n, 2));

  for (size_t i = 0; i < n; i++)
    h[i] = rg_f32_to_f16 (x[i]);
  if (n < 2)
    h[1] = 0;
  rg_ref_round_f16 (x, n);
  return rg_test_upload_bytes (name, h, MAX (n, 2) * 2);
}

/* Runs one case and returns the GPU output (caller frees); asserts NMSE
 * against the reference <= MAX_NMSE. */
static float *
run_case (const Case *c, double max_nmse)
{
  size_t nq = (size_t) c->n_q * c->n_heads * c->head_dim;
  size_t row_kv = (size_t) c->n_kv_heads * c->head_dim;
  size_t nkv = (size_t) c->n_kv * row_kv;
  size_t nkv_buf = nkv + (size_t) c->extra_kv * row_kv;
  guint32 seed = c->n_q * 131u + c->n_kv * 7u + c->head_dim + c->n_heads * 17u;
  g_autofree float *q = rg_test_random_f32 (seed, nq, -3, 3);
  g_autofree float *k = rg_test_random_f32 (seed + 1, nkv_buf, -3, 3);
  g_autofree float *v = rg_test_random_f32 (seed + 2, nkv_buf, -2, 2);
  g_autofree float *want = g_new (float, nq);
  g_autofree uint32_t *mask32 = NULL;
  float *got;
  g_autoptr(RgVkBuffer) bq = NULL;
  g_autoptr(RgVkBuffer) bk = NULL;
  g_autoptr(RgVkBuffer) bv = NULL;
  g_autoptr(RgVkBuffer) bm = NULL;
  g_autoptr(RgVkBuffer) bo = rg_test_new_buffer ("out", nq * 4);
  g_autoptr(RgVkRecorder) rec = rg_test_recorder ();
  RgRefAttnParams rp = {
    c->n_q, c->n_kv, c->n_heads, c->n_kv_heads, c->head_dim, 1.0f / sqrtf ((float) c->head_dim),
    c->causal, c->q_pos0, c->window, c->mask,
  };
  RgAttnParams gp = {
    c->n_q, c->n_kv, c->n_heads, c->n_kv_heads, c->head_dim, rp.scale, c->causal, c->q_pos0, c->window,
    c->f16_kv,
  };

  for (size_t i = nkv; i < nkv_buf; i++)
    k[i] = v[i] = NAN;
  for (uint32_t j = 0; c->nan_masked && j < c->n_kv; j++)
    for (size_t x = 0; !c->mask[j] && x < row_kv; x++)
      k[j * row_kv + x] = v[j * row_kv + x] = NAN;
  bq = rg_test_upload_f32 ("q", q, nq);
  bk = c->f16_kv ? upload_f16 ("k", k, nkv_buf) : rg_test_upload_f32 ("k", k, nkv_buf);
  bv = c->f16_kv ? upload_f16 ("v", v, nkv_buf) : rg_test_upload_f32 ("v", v, nkv_buf);
  if (c->mask)
    {
      mask32 = g_new (uint32_t, c->n_kv);
      for (uint32_t j = 0; j < c->n_kv; j++)
        mask32[j] = c->mask[j] ? 1 + j % 3 : 0; /* any non-zero value means visible */
      bm = rg_test_upload_bytes ("key_mask", mask32, (size_t) c->n_kv * 4);
    }

  rg_ref_attention (q, k, v, want, &rp);
  rg_op_attention (rec, bo, bq, bk, bv, bm, &gp);
  rg_test_submit (rec);
  got = rg_test_download_f32 (bo, nq);
  g_test_message ("Lq=%u Lk=%u Hq=%u Hkv=%u D=%u causal=%d pos0=%u window=%u mask=%s kv=%s",
                  c->n_q, c->n_kv, c->n_heads, c->n_kv_heads, c->head_dim, c->causal, c->q_pos0, c->window,
                  c->mask ? "yes" : "no", c->f16_kv ? "f16" : "f32");
  rg_assert_nmse (got, want, nq, max_nmse);
  return got;
}

static void
check (const Case *c)
{
  g_free (run_case (c, 1e-7));
}

static void
test_vision_key_mask (void)
{
  /* Vision tower: non-causal, padded patches masked out as keys (a tail of
   * padding plus scattered holes); D = 72 as SigLIP-so400m (1152 / 16). */
  uint32_t n = 331;
  g_autofree uint8_t *mask = g_new (uint8_t, n);
  Case c = { n, n, 3, 3, 72, FALSE, 0, 0, mask, 0 };

  for (uint32_t j = 0; j < n; j++)
    mask[j] = j < 250 && j % 17 != 5;
  check (&c);
}

static void
test_all_masked_rows_are_zero (void)
{
  /* An image that is all padding: no query sees a key. */
  uint32_t n = 45;
  g_autofree uint8_t *mask = g_new0 (uint8_t, n);
  Case c = { n, n, 2, 2, 16, FALSE, 0, 0, mask, 0 };
  g_autofree float *got = run_case (&c, 1e-7);

  for (size_t i = 0; i < (size_t) n * 2 * 16; i++)
    g_assert_cmpfloat (got[i], ==, 0.0f);
}

static void
test_causal_masked_prefix_rows_are_zero (void)
{
  /* Causal with the first keys masked (left padding): the first query rows
   * see no key and must be zeros, the later ones must not. */
  uint32_t n = 40;
  g_autofree uint8_t *mask = g_new (uint8_t, n);
  Case c = { n, n, 4, 2, 12, TRUE, 0, 0, mask, 0 };
  g_autofree float *got = NULL;

  for (uint32_t j = 0; j < n; j++)
    mask[j] = j >= 7;
  got = run_case (&c, 1e-7);
  for (size_t i = 0; i < (size_t) 7 * 4 * 12; i++)
    g_assert_cmpfloat (got[i], ==, 0.0f);
  g_assert_cmpfloat (fabsf (got[7 * 4 * 12]), >, 0.0f);
}

static void
test_perceiver_gqa_4_2 (void)
{
  /* 64 latent queries over 600 image tokens + 64 latents, 4 q heads on 2 kv heads */
  Case c = { 64, 600 + 64, 4, 2, 24, FALSE, 0, 0, NULL, 0 };
  check (&c);
}

static void
test_perceiver_gqa_16_4 (void)
{
  /* Idefics2's perceiver: 16 heads, 4 kv heads, head dim 96, with a key
   * mask over padded image tokens */
  uint32_t nk = 600 + 64;
  g_autofree uint8_t *mask = g_new (uint8_t, nk);
  Case c = { 64, nk, 16, 4, 96, FALSE, 0, 0, mask, 0 };

  for (uint32_t j = 0; j < nk; j++)
    mask[j] = !(j >= 520 && j < 600);
  check (&c);
}

static void
test_text_prefill_causal (void)
{
  /* Mistral-like prefill: 8 q heads on 2 kv heads, D = 128 */
  Case c = { 203, 203, 8, 2, 128, TRUE, 0, 0, NULL, 0 };
  check (&c);
}

static void
test_decode_one_query (void)
{
  /* one new token at position 500 over a KV cache of 501 rows, passed as a
   * bigger buffer whose unused rows hold NaN */
  Case c = { 1, 501, 8, 2, 128, TRUE, 500, 0, NULL, 37 };
  check (&c);
}

static void
test_decode_shapes (void)
{
  /* one query (the decode kernel on CPU devices, lanes over the head dim):
   * head dims narrower than a subgroup's vec4s (8, 16) and not a multiple
   * of them (72), groups of 1, 4 and 8 query heads per kv head, a single
   * key, a window, and a cache passed whole */
  static const uint32_t dims[] = { 8, 16, 72, 128 };

  for (guint i = 0; i < G_N_ELEMENTS (dims); i++)
    {
      Case a = { 1, 37, 4, 1, dims[i], TRUE, 36, 0, NULL, 3 };
      Case b = { 1, 1, 8, 8, dims[i], TRUE, 0, 0, NULL, 0 };
      Case c = { 1, 300, 16, 2, dims[i], TRUE, 299, 100, NULL, 11 };

      check (&a);
      check (&b);
      check (&c);
    }
}

static void
test_decode_three_queries (void)
{
  /* three tokens after a prefix of 500 (speculative / chunked prefill) */
  Case c = { 3, 503, 4, 4, 64, TRUE, 500, 0, NULL, 5 };
  check (&c);
}

static void
test_causal_chunk_offset (void)
{
  /* a prefill chunk of 77 rows after a prefix of 100: 17 q heads on 1 */
  Case c = { 77, 177, 3, 1, 16, TRUE, 100, 0, NULL, 0 };
  check (&c);
}

static void
test_sliding_window (void)
{
  /* window smaller than the sequence, prefill and decode */
  Case prefill = { 150, 150, 4, 2, 16, TRUE, 0, 37, NULL, 0 };
  Case decode = { 1, 300, 4, 2, 16, TRUE, 299, 64, NULL, 0 };
  Case chunk = { 5, 300, 4, 1, 16, TRUE, 295, 17, NULL, 0 };

  check (&prefill);
  check (&decode);
  check (&chunk);
}

static void
test_one_kv_head (void)
{
  /* multi-query: every q head (an odd count) on one kv head */
  Case c = { 33, 70, 5, 1, 10, FALSE, 0, 0, NULL, 0 };
  Case causal = { 33, 33, 7, 1, 8, TRUE, 0, 0, NULL, 0 };

  check (&c);
  check (&causal);
}

static void
test_head_dims (void)
{
  static const uint32_t dims[] = { 8, 10, 12, 16, 24, 72, 96, 128 };

  for (guint i = 0; i < G_N_ELEMENTS (dims); i++)
    {
      Case c = { 19, 41, 2, 1, dims[i], FALSE, 0, 0, NULL, 0 };
      Case causal = { 23, 23, 3, 3, dims[i], TRUE, 0, 0, NULL, 0 };

      check (&c);
      check (&causal);
    }
}

static void
test_non_causal_lq_ne_lk (void)
{
  Case c = { 1, 1, 1, 1, 8, FALSE, 0, 0, NULL, 0 };
  Case wide = { 5, 1001, 2, 2, 8, FALSE, 0, 0, NULL, 0 };
  Case tall = { 1001, 3, 2, 1, 8, FALSE, 0, 0, NULL, 0 };

  check (&c);
  check (&wide);
  check (&tall);
}

static void
test_long_kv (void)
{
  /* beyond 25000 keys, small in heads and dim to stay fast on a CPU device */
  uint32_t nk = 25037;
  g_autofree uint8_t *mask = g_new (uint8_t, nk);
  Case c = { 3, nk, 2, 1, 8, FALSE, 0, 0, mask, 0 };
  Case decode = { 1, nk, 2, 1, 8, TRUE, nk - 1, 0, NULL, 0 };

  for (uint32_t j = 0; j < nk; j++)
    mask[j] = j % 1000 != 999;
  check (&c);
  check (&decode);
}

static void
test_sparse_mask_long_kv (void)
{
  /* only keys [2000, 2100) visible out of 3000: most key ranges of a
   * split-K pass see nothing and must not disturb the merge */
  uint32_t nk = 3000;
  g_autofree uint8_t *mask = g_new (uint8_t, nk);
  Case c = { 2, nk, 4, 2, 24, FALSE, 0, 0, mask, 0 };

  for (uint32_t j = 0; j < nk; j++)
    mask[j] = j >= 2000 && j < 2100;
  check (&c);
}

static void
test_many_workgroups (void)
{
  /* more query blocks than one dispatch dimension allows (65535) */
  Case c = { 70000, 3, 16, 16, 8, FALSE, 0, 0, NULL, 0 };

  check (&c);
}

static void
test_chunked_query_rows (void)
{
  /* a split-K scratch larger than the (lowered) binding limit: the query
   * rows go in chunks at bound offsets, causal positions following */
  Case c = { 50, 3000, 4, 2, 16, TRUE, 2950, 0, NULL, 0 };
  Case plain = { 37, 2000, 2, 2, 8, FALSE, 0, 0, NULL, 0 };

  g_setenv ("REGARD_MAX_BINDING_BYTES", "8192", TRUE);
  check (&c);
  check (&plain);
  g_unsetenv ("REGARD_MAX_BINDING_BYTES");
}

static void
test_no_keys_gives_zeros (void)
{
  Case c = { 3, 0, 2, 1, 8, FALSE, 0, 0, NULL, 0 };
  g_autofree float *got = run_case (&c, 1e-7);

  for (size_t i = 0; i < 3 * 2 * 8; i++)
    g_assert_cmpfloat (got[i], ==, 0.0f);
}

/* An f16 KV cache: the reference reads the same rounded values, so the
 * tolerance stays the f32 one. */
static void
test_f16_kv_decode (void)
{
  /* the decode kernel (texel and storage reads, split key ranges) and the
   * tiled one: head dims 4 to 128 (72: not a multiple of a subgroup's
   * vec4s), groups of 1, 3, 4 and 8, a window, a cache passed whole */
  static const uint32_t dims[] = { 4, 8, 72, 128 };

  for (guint i = 0; i < G_N_ELEMENTS (dims); i++)
    {
      Case a = { 1, 37, 4, 1, dims[i], TRUE, 36, 0, NULL, 3, TRUE };
      Case b = { 1, 1, 8, 8, dims[i], TRUE, 0, 0, NULL, 0, TRUE };
      Case c = { 1, 300, 16, 2, dims[i], TRUE, 299, 100, NULL, 11, TRUE };
      Case d = { 1, 501, 9, 3, dims[i], TRUE, 500, 0, NULL, 37, TRUE };

      check (&a);
      check (&b);
      check (&c);
      check (&d);
    }
}

static void
test_f16_kv_prefill (void)
{
  /* the tiled kernel: a Mistral-like prefill, a chunk after a prefix with
   * odd head counts, three queries, and a head dim of 6 (pairs of halves
   * that straddle a vec4) */
  Case a = { 203, 203, 8, 2, 128, TRUE, 0, 0, NULL, 0, TRUE };
  Case b = { 77, 177, 3, 1, 16, TRUE, 100, 0, NULL, 5, TRUE };
  Case c = { 3, 503, 4, 4, 64, TRUE, 500, 0, NULL, 5, TRUE };
  Case d = { 5, 13, 3, 1, 6, TRUE, 8, 0, NULL, 1, TRUE };
  Case e = { 1, 13, 3, 3, 6, TRUE, 12, 0, NULL, 0, TRUE };

  check (&a);
  check (&b);
  check (&c);
  check (&d);
  check (&e);
}

static void
test_f16_kv_long (void)
{
  /* beyond lavapipe's loop cap per invocation: split key ranges */
  uint32_t nk = 25037;
  Case decode = { 1, nk, 2, 1, 8, TRUE, nk - 1, 0, NULL, 0, TRUE };
  Case three = { 3, nk, 2, 1, 8, TRUE, nk - 3, 0, NULL, 0, TRUE };

  check (&decode);
  check (&three);
}

/* ---- The many-query kernel of CPU devices, forced ---------------------- */

/* attention_cpu.comp (lanes over keys) wherever it can run; the tiled
 * kernel where it cannot (no subgroup arithmetic or no texels, a head dim
 * that is not a multiple of 4), which the same cases then cover. */
static float *
run_cpu_case (const Case *c)
{
  /* the caller's choice (test-gpu-attention-tiled sets one) comes back after */
  g_autofree char *saved = g_strdup (g_getenv ("REGARD_ATTENTION"));
  float *got;

  g_setenv ("REGARD_ATTENTION", "cpu", TRUE);
  got = run_case (c, 1e-7);
  if (saved != NULL)
    g_setenv ("REGARD_ATTENTION", saved, TRUE);
  else
    g_unsetenv ("REGARD_ATTENTION");
  return got;
}

static void
check_cpu (const Case *c)
{
  g_free (run_cpu_case (c));
}

static void
test_cpu_odd_sizes (void)
{
  /* Lq, Lk and the rows not multiples of the rows per workgroup, the
   * subgroup or the 4 keys a lane takes per step */
  Case c = { 37, 53, 3, 3, 72, FALSE, 0, 0, NULL, 0 };
  Case one_key = { 5, 1, 2, 2, 16, FALSE, 0, 0, NULL, 0 };
  Case one_row = { 1, 9, 1, 1, 64, FALSE, 0, 0, NULL, 0 };

  check_cpu (&c);
  check_cpu (&one_key);
  check_cpu (&one_row);
}

static void
test_cpu_split_k (void)
{
  /* few rows over many keys: too few workgroups for the device's threads,
   * so the keys go in ranges merged by attention_combine.comp; a query
   * past the rest of a kv cache passed whole */
  Case c = { 3, 2999, 2, 1, 64, FALSE, 0, 0, NULL, 0 };
  Case causal = { 2, 4001, 4, 1, 16, TRUE, 3999, 0, NULL, 13 };

  check_cpu (&c);
  check_cpu (&causal);
}

static void
test_cpu_head_dims (void)
{
  /* the models' head dims, one (12) of an odd number of vec4s, and 10
   * (not a multiple of 4: the tiled kernel) */
  static const uint32_t dims[] = { 8, 10, 12, 16, 64, 72, 96, 128 };

  for (guint i = 0; i < G_N_ELEMENTS (dims); i++)
    {
      Case c = { 21, 43, 2, 1, dims[i], FALSE, 0, 0, NULL, 0 };

      check_cpu (&c);
    }
}

static void
test_cpu_key_mask (void)
{
  /* a padded image: a tail and scattered holes masked, holding NaN, which
   * must not reach the output */
  uint32_t n = 205;
  g_autofree uint8_t *mask = g_new (uint8_t, n);
  Case c = { n, n, 2, 2, 72, FALSE, 0, 0, mask, 0, FALSE, TRUE };

  for (uint32_t j = 0; j < n; j++)
    mask[j] = j < 170 && j % 13 != 4;
  check_cpu (&c);
}

static void
test_cpu_masked_rows_are_zero (void)
{
  /* causal over left padding: the first rows see only masked keys and are
   * zeros; and an all-padding image */
  uint32_t n = 41;
  g_autofree uint8_t *mask = g_new (uint8_t, n);
  g_autofree uint8_t *none = g_new0 (uint8_t, n);
  Case c = { n, n, 4, 2, 16, TRUE, 0, 0, mask, 0, FALSE, TRUE };
  Case all = { n, n, 2, 2, 8, FALSE, 0, 0, none, 0 };
  g_autofree float *got = NULL;
  g_autofree float *got_all = NULL;

  for (uint32_t j = 0; j < n; j++)
    mask[j] = j >= 9;
  got = run_cpu_case (&c);
  for (size_t i = 0; i < (size_t) 9 * 4 * 16; i++)
    g_assert_cmpfloat (got[i], ==, 0.0f);
  g_assert_cmpfloat (fabsf (got[9 * 4 * 16]), >, 0.0f);
  got_all = run_cpu_case (&all);
  for (size_t i = 0; i < (size_t) n * 2 * 8; i++)
    g_assert_cmpfloat (got_all[i], ==, 0.0f);
}

static void
test_cpu_causal_offset_gqa (void)
{
  /* a prefill chunk after a prefix: causal with q_pos0 > 0, groups of 3
   * and 4 query heads per kv head */
  Case g3 = { 29, 79, 6, 2, 16, TRUE, 50, 0, NULL, 0 };
  Case g4 = { 45, 45, 8, 2, 128, TRUE, 0, 0, NULL, 0 };

  check_cpu (&g3);
  check_cpu (&g4);
}

static void
test_cpu_sliding_window (void)
{
  Case prefill = { 70, 80, 8, 2, 64, TRUE, 10, 23, NULL, 0 };
  Case decode = { 1, 300, 4, 1, 16, TRUE, 299, 64, NULL, 0 };

  check_cpu (&prefill);
  check_cpu (&decode);
}

static void
test_cpu_perceiver (void)
{
  /* Idefics2's perceiver: 64 latents, 16 heads on 4, D = 96, a key mask;
   * and one query with a mask (not the decode kernel's case) */
  uint32_t nk = 300 + 64;
  g_autofree uint8_t *mask = g_new (uint8_t, nk);
  Case c = { 64, nk, 16, 4, 96, FALSE, 0, 0, mask, 0 };
  Case one = { 1, nk, 4, 4, 72, FALSE, 0, 0, mask, 0 };

  for (uint32_t j = 0; j < nk; j++)
    mask[j] = !(j >= 250 && j < 300);
  check_cpu (&c);
  check_cpu (&one);
}

static void
test_cpu_f16_kv (void)
{
  /* an f16 KV cache (halves, 8 a texel): prefill chunks after a prefix,
   * GQA, a window, a masked case; D = 12 is not a multiple of 8 (the
   * tiled kernel) */
  uint32_t nk = 150;
  g_autofree uint8_t *mask = g_new (uint8_t, nk);
  Case g4 = { 45, 98, 8, 2, 128, TRUE, 53, 0, NULL, 5, TRUE };
  Case g3 = { 29, 29, 6, 2, 64, TRUE, 0, 17, NULL, 0, TRUE };
  Case masked = { 37, nk, 4, 4, 72, FALSE, 0, 0, mask, 0, TRUE, TRUE };
  Case odd = { 9, 20, 2, 1, 12, TRUE, 11, 0, NULL, 0, TRUE };

  for (uint32_t j = 0; j < nk; j++)
    mask[j] = j % 7 != 3 && j < 140;
  check_cpu (&g4);
  check_cpu (&g3);
  check_cpu (&masked);
  check_cpu (&odd);
}

static void
test_bad_heads_is_an_error (void)
{
  g_autoptr(RgVkBuffer) b = rg_test_new_buffer ("t", 4096);
  g_autoptr(RgVkRecorder) rec = rg_test_recorder ();
  g_autoptr(GError) error = NULL;
  RgAttnParams p = { 2, 2, 3, 2, 8, 1.0f, FALSE, 0, 0 };

  rg_op_attention (rec, b, b, b, b, NULL, &p); /* 3 q heads on 2 kv heads */
  g_assert_false (rg_vk_recorder_submit (rec, &error));
  g_assert_nonnull (error);
}

static void
test_short_kv_is_an_error (void)
{
  g_autoptr(RgVkBuffer) q = rg_test_new_buffer ("q", 2 * 8 * 4);
  g_autoptr(RgVkBuffer) kv = rg_test_new_buffer ("short-kv", 3 * 8 * 4);
  g_autoptr(RgVkBuffer) o = rg_test_new_buffer ("out", 2 * 8 * 4);
  g_autoptr(RgVkRecorder) rec = rg_test_recorder ();
  g_autoptr(GError) error = NULL;
  RgAttnParams p = { 2, 4, 1, 1, 8, 1.0f, FALSE, 0, 0 };

  rg_op_attention (rec, o, q, kv, kv, NULL, &p);
  g_assert_false (rg_vk_recorder_submit (rec, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "short-kv"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  rg_test_gpu_init ();
  g_test_add_func ("/gpu/attention/vision-key-mask", test_vision_key_mask);
  g_test_add_func ("/gpu/attention/all-masked-rows-are-zero", test_all_masked_rows_are_zero);
  g_test_add_func ("/gpu/attention/causal-masked-prefix-rows-are-zero", test_causal_masked_prefix_rows_are_zero);
  g_test_add_func ("/gpu/attention/perceiver-gqa-4-2", test_perceiver_gqa_4_2);
  g_test_add_func ("/gpu/attention/perceiver-gqa-16-4", test_perceiver_gqa_16_4);
  g_test_add_func ("/gpu/attention/text-prefill-causal", test_text_prefill_causal);
  g_test_add_func ("/gpu/attention/decode-one-query", test_decode_one_query);
  g_test_add_func ("/gpu/attention/decode-shapes", test_decode_shapes);
  g_test_add_func ("/gpu/attention/decode-three-queries", test_decode_three_queries);
  g_test_add_func ("/gpu/attention/causal-chunk-offset", test_causal_chunk_offset);
  g_test_add_func ("/gpu/attention/sliding-window", test_sliding_window);
  g_test_add_func ("/gpu/attention/one-kv-head", test_one_kv_head);
  g_test_add_func ("/gpu/attention/head-dims", test_head_dims);
  g_test_add_func ("/gpu/attention/non-causal-lq-ne-lk", test_non_causal_lq_ne_lk);
  g_test_add_func ("/gpu/attention/long-kv", test_long_kv);
  g_test_add_func ("/gpu/attention/sparse-mask-long-kv", test_sparse_mask_long_kv);
  g_test_add_func ("/gpu/attention/many-workgroups", test_many_workgroups);
  g_test_add_func ("/gpu/attention/chunked-query-rows", test_chunked_query_rows);
  g_test_add_func ("/gpu/attention/no-keys-gives-zeros", test_no_keys_gives_zeros);
  g_test_add_func ("/gpu/attention/f16-kv-decode", test_f16_kv_decode);
  g_test_add_func ("/gpu/attention/f16-kv-prefill", test_f16_kv_prefill);
  g_test_add_func ("/gpu/attention/f16-kv-long", test_f16_kv_long);
  g_test_add_func ("/gpu/attention/cpu/odd-sizes", test_cpu_odd_sizes);
  g_test_add_func ("/gpu/attention/cpu/split-k", test_cpu_split_k);
  g_test_add_func ("/gpu/attention/cpu/head-dims", test_cpu_head_dims);
  g_test_add_func ("/gpu/attention/cpu/key-mask", test_cpu_key_mask);
  g_test_add_func ("/gpu/attention/cpu/masked-rows-are-zero", test_cpu_masked_rows_are_zero);
  g_test_add_func ("/gpu/attention/cpu/causal-offset-gqa", test_cpu_causal_offset_gqa);
  g_test_add_func ("/gpu/attention/cpu/sliding-window", test_cpu_sliding_window);
  g_test_add_func ("/gpu/attention/cpu/perceiver", test_cpu_perceiver);
  g_test_add_func ("/gpu/attention/cpu/f16-kv", test_cpu_f16_kv);
  g_test_add_func ("/gpu/attention/bad-heads-is-an-error", test_bad_heads_is_an_error);
  g_test_add_func ("/gpu/attention/short-kv-is-an-error", test_short_kv_is_an_error);
  return g_test_run ();
}
