/* test-generate.c: KV-cache reuse planning and the token loop, on a fake
 * model whose logits are a hash of everything in its KV cache (token ids
 * and image feature rows), so any wrong reuse changes the output. */
#include <string.h>

#include "rg-generate.h"

#define VOCAB 64
#define IMG 60      /* image token id */
#define FAKE 61     /* <fake_token_around_image> */
#define EOU 62      /* <end_of_utterance>, an EOS id */
#define ROWS 4      /* rows per image */
#define HIDDEN 2

typedef struct
{
  RgModel parent;
  GArray *kv;             /* guint64 hash chain, one per position */
  guint tokens_forwarded;
  guint rows_forwarded;
} FakeModel;

static guint64
mix (guint64 h, guint64 v)
{
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  h *= 0xff51afd7ed558ccdULL;
  return h ^ (h >> 33);
}

static void
fake_free (RgModel *model)
{
  FakeModel *fm = (FakeModel *) model;
  g_array_unref (fm->kv);
  g_free (fm);
}

static gboolean
fake_forward (RgModel *model, const int32_t *ids, guint n,
              const float *features, guint n_rows, float *logits, GError **error)
{
  FakeModel *fm = (FakeModel *) model;
  guint row = 0;
  guint64 h = 0;

  for (guint i = 0; i < n; i++)
    {
      guint64 v = (guint64) ids[i];
      h = fm->kv->len ? g_array_index (fm->kv, guint64, fm->kv->len - 1) : 1;
      if (ids[i] == IMG)
        {
          g_assert_nonnull (features);
          g_assert_cmpuint (row, <, n_rows);
          guint32 bits;
          memcpy (&bits, &features[row * HIDDEN], 4);
          v = v * 1000003u + bits;
          row++;
        }
      h = mix (h, v);
      g_array_append_val (fm->kv, h);
    }
  g_assert_cmpuint (row, ==, n_rows);
  g_assert_cmpuint (fm->kv->len, <=, model->context_length);
  model->n_past = fm->kv->len;
  fm->tokens_forwarded += n;
  fm->rows_forwarded += n_rows;

  if (logits)
    for (guint j = 0; j < VOCAB; j++)
      logits[j] = (float) (mix (h, j) >> 40) / (float) (1 << 24);
  return TRUE;
}

static void
fake_truncate (RgModel *model, guint n_keep)
{
  FakeModel *fm = (FakeModel *) model;
  if (n_keep < fm->kv->len)
    g_array_set_size (fm->kv, n_keep);
  model->n_past = fm->kv->len;
}

static void
fake_model_free (FakeModel *fm)
{
  fake_free (&fm->parent);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FakeModel, fake_model_free)

static const RgModelVTable fake_vtable = {
  .free = fake_free,
  .forward = fake_forward,
  .truncate = fake_truncate,
};

static FakeModel *
fake_model_new (guint context_length)
{
  FakeModel *fm = g_new0 (FakeModel, 1);
  fm->parent.vtable = &fake_vtable;
  fm->parent.config.text.vocab_size = VOCAB;
  fm->parent.config.image_token_id = IMG;
  fm->parent.context_length = context_length;
  fm->kv = g_array_new (FALSE, FALSE, sizeof (guint64));
  return fm;
}

static RgSampler *
greedy_sampler (void)
{
  static const gint32 bad[] = { IMG, FAKE };
  static const gint32 eos[] = { EOU };
  RgSamplerParams p = { .bad_ids = bad, .n_bad_ids = 2, .eos_ids = eos, .n_eos_ids = 1 };
  return rg_sampler_new (&p);
}

/* Appends an image block (fake + ROWS x image + fake) to IDS. */
static void
add_image (GArray *ids)
{
  gint32 f = FAKE, im = IMG;
  g_array_append_val (ids, f);
  for (guint i = 0; i < ROWS; i++)
    g_array_append_val (ids, im);
  g_array_append_val (ids, f);
}

static void
add_text (GArray *ids, const gint32 *t, guint n)
{
  g_array_append_vals (ids, t, n);
}

/* Feature rows of an image: derived from its key. */
static void
image_features (const char *key, float *rows)
{
  for (guint r = 0; r < ROWS; r++)
    for (guint c = 0; c < HIDDEN; c++)
      rows[r * HIDDEN + c] = (float) (g_str_hash (key) % 1000) + r * 0.25f + c;
}

typedef struct
{
  GArray *got;
  guint cancel_after;
  GCancellable *cancellable;
  gboolean saw_last;
} Collect;

static void
collect_token (gint32 id, gboolean last, gpointer data)
{
  Collect *c = data;
  g_assert_false (c->saw_last);
  c->saw_last = last;
  g_array_append_val (c->got, id);
  if (c->cancel_after && c->got->len == c->cancel_after)
    g_cancellable_cancel (c->cancellable);
}

/* Runs one full ask: plan, features of the images to encode, prefill,
 * greedy decode. Returns the generated ids. */
static GArray *
ask (FakeModel *fm, RgKvHistory *history, GArray *ids, const char *const *keys, guint n_images,
     guint max_new, RgPrefillPlan *plan_out, RegardStopReason *stop)
{
  RgGenPrompt prompt = {
    .ids = (const gint32 *) ids->data, .n_ids = ids->len,
    .image_token_id = IMG, .rows_per_image = ROWS,
    .image_keys = keys, .n_images = n_images,
  };
  RgPrefillPlan plan;
  g_autoptr(GError) error = NULL;
  g_autofree float *features = g_new0 (float, MAX (n_images, 1) * ROWS * HIDDEN);
  float logits[VOCAB];
  g_autoptr(RgSampler) sampler = greedy_sampler ();
  Collect c = { g_array_new (FALSE, FALSE, sizeof (gint32)), 0, NULL };
  guint n_gen;

  g_assert_true (rg_prefill_plan (history, &prompt, fm->parent.context_length, &plan, &error));
  g_assert_no_error (error);
  for (guint k = plan.first_image; k < n_images; k++)
    image_features (keys[k], features + (k - plan.first_image) * ROWS * HIDDEN);
  g_assert_true (rg_generate_prefill (&fm->parent, history, &prompt, &plan, features, logits, &error));
  g_assert_no_error (error);
  g_assert_true (rg_generate_decode (&fm->parent, history, sampler, logits, max_new, NULL,
                                     collect_token, &c, stop, &n_gen, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_gen, ==, c.got->len);
  g_assert_true (c.saw_last);
  g_assert_cmpuint (history->ids->len, ==, fm->parent.n_past);
  if (plan_out)
    *plan_out = plan;
  return c.got;
}

static const gint32 user[] = { 1, 10, 11 };
static const gint32 q1[] = { 20, 21, 22 };
static const gint32 tail[] = { EOU, 13, 30, 31 };

static GArray *
turn1_prompt (void)
{
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  add_text (ids, user, 3);
  add_image (ids);
  add_text (ids, q1, 3);
  add_text (ids, tail, 4);
  return ids;
}

static void
test_plan_empty (void)
{
  g_autoptr(RgKvHistory) h = rg_kv_history_new ();
  g_autoptr(GArray) ids = turn1_prompt ();
  const char *keys[] = { "A" };
  RgGenPrompt p = { (const gint32 *) ids->data, ids->len, IMG, ROWS, keys, 1 };
  RgPrefillPlan plan;

  g_assert_true (rg_prefill_plan (h, &p, 100, &plan, NULL));
  g_assert_cmpuint (plan.n_keep, ==, 0);
  g_assert_cmpuint (plan.first_image, ==, 0);
}

static void
test_plan_same_prompt (void)
{
  g_autoptr(RgKvHistory) h = rg_kv_history_new ();
  g_autoptr(GArray) ids = turn1_prompt ();
  const char *keys[] = { "A" };
  RgGenPrompt p = { (const gint32 *) ids->data, ids->len, IMG, ROWS, keys, 1 };
  RgPrefillPlan plan;
  g_autoptr(FakeModel) fm = NULL;

  fm = fake_model_new (100);
  g_assert_true (rg_prefill_plan (h, &p, 100, &plan, NULL));
  g_assert_true (rg_generate_prefill (&fm->parent, h, &p, &plan,
                                      (float[ROWS * HIDDEN]) { 0 }, (float[VOCAB]) { 0 }, NULL));
  /* Asking the same prompt again reruns only its last token. */
  g_assert_true (rg_prefill_plan (h, &p, 100, &plan, NULL));
  g_assert_cmpuint (plan.n_keep, ==, ids->len - 1);
  g_assert_cmpuint (plan.first_image, ==, 1);
}

static void
test_plan_other_image (void)
{
  g_autoptr(RgKvHistory) h = rg_kv_history_new ();
  g_autoptr(GArray) ids = turn1_prompt ();
  const char *keys_a[] = { "A" };
  const char *keys_b[] = { "B" };
  RgGenPrompt p = { (const gint32 *) ids->data, ids->len, IMG, ROWS, keys_a, 1 };
  RgPrefillPlan plan;
  g_autoptr(FakeModel) fm = fake_model_new (100);

  g_assert_true (rg_prefill_plan (h, &p, 100, &plan, NULL));
  g_assert_true (rg_generate_prefill (&fm->parent, h, &p, &plan,
                                      (float[ROWS * HIDDEN]) { 0 }, (float[VOCAB]) { 0 }, NULL));
  /* Same ids, different picture: the cache is kept up to the image's
   * first row (after the fake token), and the image is encoded again. */
  p.image_keys = keys_b;
  g_assert_true (rg_prefill_plan (h, &p, 100, &plan, NULL));
  g_assert_cmpuint (plan.n_keep, ==, 4);
  g_assert_cmpuint (plan.first_image, ==, 0);
}

static void
test_plan_inside_image (void)
{
  g_autoptr(RgKvHistory) h = rg_kv_history_new ();
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  const char *keys[] = { "A" };
  gint32 img = IMG, k0 = 0;

  /* A history that ends two rows into image A. */
  add_text (ids, user, 3);
  add_image (ids);
  for (guint i = 0; i < 6; i++)
    {
      g_array_append_val (h->ids, g_array_index (ids, gint32, i));
      gint k = g_array_index (ids, gint32, i) == img ? k0 : -1;
      g_array_append_val (h->image, k);
    }
  g_ptr_array_add (h->keys, g_strdup ("A"));

  RgGenPrompt p = { (const gint32 *) ids->data, ids->len, IMG, ROWS, keys, 1 };
  RgPrefillPlan plan;
  g_assert_true (rg_prefill_plan (h, &p, 100, &plan, NULL));
  g_assert_cmpuint (plan.n_keep, ==, 4);  /* first row of the image */
  g_assert_cmpuint (plan.first_image, ==, 0);

  /* A prompt ending in the image's last row: fully cached, but the last
   * token must run, which means the whole image. */
  g_array_set_size (ids, 3 + 1 + ROWS);
  for (guint i = 6; i < ids->len; i++)
    {
      g_array_append_val (h->ids, img);
      g_array_append_val (h->image, k0);
    }
  p.n_ids = ids->len;
  g_assert_true (rg_prefill_plan (h, &p, 100, &plan, NULL));
  g_assert_cmpuint (plan.n_keep, ==, 4);
  g_assert_cmpuint (plan.first_image, ==, 0);
}

static void
test_plan_bad_image_count (void)
{
  g_autoptr(RgKvHistory) h = rg_kv_history_new ();
  g_autoptr(GArray) ids = turn1_prompt ();
  const char *keys[] = { "A", "B" };
  RgGenPrompt p = { (const gint32 *) ids->data, ids->len, IMG, ROWS, keys, 2 };
  RgPrefillPlan plan;
  g_autoptr(GError) error = NULL;

  g_assert_false (rg_prefill_plan (h, &p, 100, &plan, &error));
  g_assert_error (error, REGARD_ERROR, REGARD_ERROR_FAILED);
}

static void
test_plan_context_full (void)
{
  g_autoptr(RgKvHistory) h = rg_kv_history_new ();
  g_autoptr(GArray) ids = turn1_prompt ();
  const char *keys[] = { "A" };
  RgGenPrompt p = { (const gint32 *) ids->data, ids->len, IMG, ROWS, keys, 1 };
  RgPrefillPlan plan;
  g_autoptr(GError) error = NULL;

  g_assert_false (rg_prefill_plan (h, &p, ids->len - 1, &plan, &error));
  g_assert_error (error, REGARD_ERROR, REGARD_ERROR_CONTEXT_FULL);
}

static void
test_reuse_equals_scratch (void)
{
  g_autoptr(FakeModel) chat = fake_model_new (200);
  g_autoptr(FakeModel) fresh = fake_model_new (200);
  g_autoptr(RgKvHistory) h_chat = rg_kv_history_new ();
  g_autoptr(RgKvHistory) h_fresh = rg_kv_history_new ();
  g_autoptr(GArray) ids = turn1_prompt ();
  g_autoptr(GArray) gen1 = NULL;
  g_autoptr(GArray) gen2 = NULL;
  g_autoptr(GArray) gen_fresh = NULL;
  const char *keys[] = { "A", "B" };
  const gint32 turn2[] = { EOU, 13, 10, 11 };
  const gint32 q2[] = { 40, 41 };
  RgPrefillPlan plan;
  RegardStopReason stop;
  guint before_tokens, before_rows;

  gen1 = ask (chat, h_chat, ids, keys, 1, 6, NULL, &stop);
  g_assert_cmpint (stop, ==, REGARD_STOP_MAX_TOKENS);
  g_assert_cmpuint (gen1->len, ==, 6);

  /* Turn 2: the answer, the closing tokens and a new user turn with a
   * second image. */
  g_array_append_vals (ids, gen1->data, gen1->len);
  add_text (ids, turn2, 4);
  add_image (ids);
  add_text (ids, q2, 2);
  add_text (ids, tail, 4);

  before_tokens = chat->tokens_forwarded;
  before_rows = chat->rows_forwarded;
  gen2 = ask (chat, h_chat, ids, keys, 2, 6, &plan, &stop);
  /* Prompt + the 5 forwarded answer tokens were reused. */
  g_assert_cmpuint (plan.n_keep, ==, 3 + ROWS + 2 + 3 + 4 + 5);
  g_assert_cmpuint (plan.first_image, ==, 1);
  g_assert_cmpuint (chat->rows_forwarded - before_rows, ==, ROWS);
  g_assert_cmpuint (chat->tokens_forwarded - before_tokens, ==, ids->len - plan.n_keep + 5);

  gen_fresh = ask (fresh, h_fresh, ids, keys, 2, 6, NULL, &stop);
  g_assert_cmpuint (gen2->len, ==, gen_fresh->len);
  g_assert_cmpmem (gen2->data, gen2->len * 4, gen_fresh->data, gen_fresh->len * 4);
}

static void
test_changed_image_reencoded (void)
{
  g_autoptr(FakeModel) chat = fake_model_new (200);
  g_autoptr(FakeModel) fresh = fake_model_new (200);
  g_autoptr(RgKvHistory) h_chat = rg_kv_history_new ();
  g_autoptr(RgKvHistory) h_fresh = rg_kv_history_new ();
  g_autoptr(GArray) ids = turn1_prompt ();
  g_autoptr(GArray) a = NULL;
  g_autoptr(GArray) b = NULL;
  g_autoptr(GArray) b_fresh = NULL;
  const char *keys_a[] = { "A" };
  const char *keys_b[] = { "B" };
  RegardStopReason stop;

  a = ask (chat, h_chat, ids, keys_a, 1, 8, NULL, &stop);
  b = ask (chat, h_chat, ids, keys_b, 1, 8, NULL, &stop);
  b_fresh = ask (fresh, h_fresh, ids, keys_b, 1, 8, NULL, &stop);
  g_assert_cmpmem (b->data, b->len * 4, b_fresh->data, b_fresh->len * 4);
  /* The fake model sees the features, so the pictures must matter. */
  g_assert_true (a->len != b->len || memcmp (a->data, b->data, a->len * 4) != 0);
}

static void
test_max_tokens (void)
{
  g_autoptr(FakeModel) fm = fake_model_new (200);
  g_autoptr(RgKvHistory) h = rg_kv_history_new ();
  g_autoptr(GArray) ids = turn1_prompt ();
  g_autoptr(GArray) gen = NULL;
  const char *keys[] = { "A" };
  RegardStopReason stop;

  gen = ask (fm, h, ids, keys, 1, 5, NULL, &stop);
  g_assert_cmpint (stop, ==, REGARD_STOP_MAX_TOKENS);
  g_assert_cmpuint (gen->len, ==, 5);
  /* The last token is not forwarded: nothing would read its logits. */
  g_assert_cmpuint (fm->tokens_forwarded, ==, ids->len + 4);
  for (guint i = 0; i < gen->len; i++)
    {
      g_assert_cmpint (g_array_index (gen, gint32, i), !=, IMG);
      g_assert_cmpint (g_array_index (gen, gint32, i), !=, FAKE);
    }
}

/* A sampler whose EOS list holds the greedy answer's third token stops
 * right there. */
static void
test_eos_stops (void)
{
  g_autoptr(FakeModel) fm = fake_model_new (200);
  g_autoptr(FakeModel) fm2 = fake_model_new (200);
  g_autoptr(RgKvHistory) h = rg_kv_history_new ();
  g_autoptr(RgKvHistory) h2 = rg_kv_history_new ();
  g_autoptr(GArray) ids = turn1_prompt ();
  g_autoptr(GArray) gen = NULL;
  const char *keys[] = { "A" };
  RegardStopReason stop;
  RgGenPrompt p = { (const gint32 *) ids->data, ids->len, IMG, ROWS, keys, 1 };
  RgPrefillPlan plan;
  float logits[VOCAB];
  float features[ROWS * HIDDEN];
  gint32 eos;
  guint n_gen;
  Collect c = { g_array_new (FALSE, FALSE, sizeof (gint32)), 0, NULL };
  g_autoptr(GArray) got = c.got;

  gen = ask (fm, h, ids, keys, 1, 8, NULL, &stop);
  eos = g_array_index (gen, gint32, 2);
  /* Make sure the first two differ from it, or the test proves nothing. */
  g_assert_cmpint (g_array_index (gen, gint32, 0), !=, eos);
  g_assert_cmpint (g_array_index (gen, gint32, 1), !=, eos);

  {
    static const gint32 bad[] = { IMG, FAKE };
    RgSamplerParams sp = { .bad_ids = bad, .n_bad_ids = 2, .eos_ids = &eos, .n_eos_ids = 1 };
    g_autoptr(RgSampler) s = rg_sampler_new (&sp);

    image_features ("A", features);
    g_assert_true (rg_prefill_plan (h2, &p, 200, &plan, NULL));
    g_assert_true (rg_generate_prefill (&fm2->parent, h2, &p, &plan, features, logits, NULL));
    g_assert_true (rg_generate_decode (&fm2->parent, h2, s, logits, 8, NULL,
                                       collect_token, &c, &stop, &n_gen, NULL));
  }
  g_assert_cmpint (stop, ==, REGARD_STOP_EOS);
  g_assert_cmpuint (n_gen, ==, 3);
  g_assert_cmpmem (got->data, 12, gen->data, 12);
}

static void
test_cancel (void)
{
  g_autoptr(FakeModel) fm = fake_model_new (200);
  g_autoptr(RgKvHistory) h = rg_kv_history_new ();
  g_autoptr(GArray) ids = turn1_prompt ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  const char *keys[] = { "A" };
  RgGenPrompt p = { (const gint32 *) ids->data, ids->len, IMG, ROWS, keys, 1 };
  RgPrefillPlan plan;
  float logits[VOCAB];
  float features[ROWS * HIDDEN];
  g_autoptr(RgSampler) s = greedy_sampler ();
  Collect c = { g_array_new (FALSE, FALSE, sizeof (gint32)), 3, cancellable };
  g_autoptr(GArray) got = c.got;
  RegardStopReason stop;
  guint n_gen;

  image_features ("A", features);
  g_assert_true (rg_prefill_plan (h, &p, 200, &plan, NULL));
  g_assert_true (rg_generate_prefill (&fm->parent, h, &p, &plan, features, logits, NULL));
  g_assert_true (rg_generate_decode (&fm->parent, h, s, logits, 50, cancellable,
                                     collect_token, &c, &stop, &n_gen, NULL));
  /* Cancelled while token 4 was being computed: it comes out as the last. */
  g_assert_cmpint (stop, ==, REGARD_STOP_CANCELLED);
  g_assert_cmpuint (n_gen, ==, 4);
  g_assert_true (c.saw_last);
  g_assert_cmpuint (h->ids->len, ==, fm->parent.n_past);
}

static void
test_cancelled_before (void)
{
  g_autoptr(FakeModel) fm = fake_model_new (200);
  g_autoptr(RgKvHistory) h = rg_kv_history_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(RgSampler) s = greedy_sampler ();
  float logits[VOCAB] = { 0 };
  Collect c = { g_array_new (FALSE, FALSE, sizeof (gint32)), 0, NULL };
  g_autoptr(GArray) got = c.got;
  RegardStopReason stop;
  guint n_gen;

  g_cancellable_cancel (cancellable);
  g_assert_true (rg_generate_decode (&fm->parent, h, s, logits, 50, cancellable,
                                     collect_token, &c, &stop, &n_gen, NULL));
  g_assert_cmpint (stop, ==, REGARD_STOP_CANCELLED);
  g_assert_cmpuint (n_gen, ==, 0);
  g_assert_cmpuint (got->len, ==, 0);
}

static void
test_context_full (void)
{
  g_autoptr(GArray) ids = turn1_prompt ();
  g_autoptr(FakeModel) fm = fake_model_new (ids->len + 3);
  g_autoptr(RgKvHistory) h = rg_kv_history_new ();
  g_autoptr(GArray) gen = NULL;
  const char *keys[] = { "A" };
  RegardStopReason stop;

  gen = ask (fm, h, ids, keys, 1, 50, NULL, &stop);
  g_assert_cmpint (stop, ==, REGARD_STOP_CONTEXT_FULL);
  /* 3 tokens fill the cache, the 4th is sampled from the last logits. */
  g_assert_cmpuint (gen->len, ==, 4);
  g_assert_cmpuint (fm->parent.n_past, ==, ids->len + 3);
}

/* IDEFICS3: images with different row counts (by their tiles). A second
 * prompt with the same first image and another second one keeps the cache
 * up to the second image's first row and re-encodes only that image. */
static void
test_plan_image_rows (void)
{
  static const gint32 ids[] = { 1, 2, IMG, IMG, 3, IMG, IMG, IMG, IMG, IMG, 4, 5 };
  const guint rows[] = { 2, 5 };
  const char *keys_ab[] = { "A", "B" };
  const char *keys_ac[] = { "A", "C" };
  RgGenPrompt p = { ids, G_N_ELEMENTS (ids), IMG, 0, keys_ab, 2, rows };
  g_autoptr(RgKvHistory) h = rg_kv_history_new ();
  g_autoptr(FakeModel) fm = fake_model_new (100);
  RgPrefillPlan plan;
  g_autoptr(GError) error = NULL;

  g_assert_true (rg_prefill_plan (h, &p, 100, &plan, &error));
  g_assert_no_error (error);
  g_assert_true (rg_generate_prefill (&fm->parent, h, &p, &plan, (float[7 * HIDDEN]) { 0 },
                                      (float[VOCAB]) { 0 }, &error));
  g_assert_no_error (error);
  /* the history's image of each position: 0 for the first two rows, 1 for the next five */
  g_assert_cmpint (g_array_index (h->image, gint, 3), ==, 0);
  g_assert_cmpint (g_array_index (h->image, gint, 5), ==, 1);
  g_assert_cmpint (g_array_index (h->image, gint, 9), ==, 1);
  g_assert_cmpint (g_array_index (h->image, gint, 10), ==, -1);

  p.image_keys = keys_ac;
  g_assert_true (rg_prefill_plan (h, &p, 100, &plan, &error));
  g_assert_cmpuint (plan.n_keep, ==, 5);
  g_assert_cmpuint (plan.first_image, ==, 1);

  /* 7 rows for images of 2 and 4 rows: refused */
  {
    const guint wrong[] = { 2, 4 };
    g_autoptr(GError) e2 = NULL;

    p.image_rows = wrong;
    g_assert_false (rg_prefill_plan (h, &p, 100, &plan, &e2));
    g_assert_error (e2, REGARD_ERROR, REGARD_ERROR_FAILED);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/generate/plan-empty", test_plan_empty);
  g_test_add_func ("/engine/generate/plan-same-prompt", test_plan_same_prompt);
  g_test_add_func ("/engine/generate/plan-other-image", test_plan_other_image);
  g_test_add_func ("/engine/generate/plan-inside-image", test_plan_inside_image);
  g_test_add_func ("/engine/generate/plan-bad-image-count", test_plan_bad_image_count);
  g_test_add_func ("/engine/generate/plan-image-rows", test_plan_image_rows);
  g_test_add_func ("/engine/generate/plan-context-full", test_plan_context_full);
  g_test_add_func ("/engine/generate/reuse-equals-scratch", test_reuse_equals_scratch);
  g_test_add_func ("/engine/generate/changed-image", test_changed_image_reencoded);
  g_test_add_func ("/engine/generate/max-tokens", test_max_tokens);
  g_test_add_func ("/engine/generate/eos", test_eos_stops);
  g_test_add_func ("/engine/generate/cancel", test_cancel);
  g_test_add_func ("/engine/generate/cancelled-before", test_cancelled_before);
  g_test_add_func ("/engine/generate/context-full", test_context_full);
  return g_test_run ();
}
