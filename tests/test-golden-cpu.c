/* The model (reference backend or Vulkan) against HF's own tensors, for every model case of
 * golden/manifest.json, with the README's fp32 tolerances:
 *   vision / connector / inputs_embeds / text hidden   max abs 1e-4
 *   logits                                             max abs 5e-4
 *   greedy ids (bad words masked, stop on eos)         exact
 * plus KV-cache incremental decode == one full forward. */
#include "test-common.h"
#include "test-golden-common.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "rg-model-ref.h"
#include "rg-model-gpu.h"
#include "rg-preprocess.h"
#include "rg-ref-ops.h"
#include "rg-safetensors.h"
#include "rg-snapshot.h"
#include "rg-weights.h"
#include "regard-engine.h"

#ifdef GOLDEN_F16
/* f16 weights, f32 activations: the README's fp16 tolerances (max abs
 * 2e-2 / 5e-2, relative RMS 1e-2), generation compared teacher-forced. */
#define TOL_HIDDEN 2e-2
#define TOL_LOGITS 5e-2
#define REF_NMSE 1e-4
#define TEACHER_FORCED 1
#define MIN_MARGIN 0.05f
#else
#define TOL_HIDDEN 1e-4
#define TOL_LOGITS 5e-4
#define TEACHER_FORCED 0
#endif
#define N_TOP 5
/* The reference differs from HF's fp32 only in summation order (observed
 * nmse <= 6e-13), so it must also be this close in relative terms: max-abs
 * tolerances alone miss small systematic errors such as the perceiver's
 * RMSNorm eps 1e-5 instead of 1e-6 (max abs 5.6e-5, nmse 1.1e-10). */
#ifndef REF_NMSE
#define REF_NMSE 1e-11
#endif

typedef struct
{
  char *name;
  char *file;                /* relative to the snapshot */
  char **images;             /* relative to the snapshot */
  gboolean do_split;
  float *features;           /* [n_sub * NL, T], computed once */
  guint n_feature_rows;
} Case;

/* Built several times: test-golden-cpu (the plain-C reference) and, with
 * GOLDEN_GPU, test-golden-gpu (the Vulkan model with f32 weights); with
 * GOLDEN_F16 too, test-golden-gpu-f16 (f16 weights) and, with
 * GOLDEN_KV_F16, test-golden-gpu-kv16 (f32 weights, an f16 KV cache). All
 * but the last pin an f32 KV cache: the fp32 tolerances, and a KV-cache
 * decode equal to a full forward within 1e-5, need it exact (an f16 cache
 * rounds k/v, and the two paths' last-bit differences can round to
 * neighbouring halves); the kv16 build takes the README's fp16 tolerances
 * for both. */
#if defined(GOLDEN_KV_F16)
#define BACKEND "gpu-kv16"
#define KV_TYPE RG_KV_F16
#define KV_FULL_TOL TOL_LOGITS
#elif defined(GOLDEN_F16)
#define BACKEND "gpu-f16"
#define KV_TYPE RG_KV_F32
#elif defined(GOLDEN_GPU)
#define BACKEND "gpu"
#define KV_TYPE RG_KV_F32
#else
#define BACKEND "cpu"
#define KV_TYPE RG_KV_F32
#endif
#ifndef KV_FULL_TOL
#define KV_FULL_TOL 1e-5
#endif

static RgSnapshot *snapshot;
static RgModel *model;
static RgTaps *taps;
#ifdef GOLDEN_GPU
static RgVkContext *vk;
#endif

static RgModel *
get_model (void)
{
  g_autoptr(GError) error = NULL;

  if (model)
    return model;
  {
    g_autofree char *dir = rg_test_fixture_path ("idefics2-tiny");
    snapshot = rg_snapshot_open (dir, &error);
    g_assert_no_error (error);
  }
#ifdef GOLDEN_GPU
  vk = rg_vk_context_new (NULL, &error);
  g_assert_no_error (error);
#if defined(GOLDEN_F16) && !defined(GOLDEN_KV_F16)
  model = rg_model_gpu_new_full (snapshot, vk, RG_WEIGHTS_F16, KV_TYPE, 1024, NULL, NULL, NULL, &error);
#else
  model = rg_model_gpu_new_full (snapshot, vk, RG_WEIGHTS_F32, KV_TYPE, 1024, NULL, NULL, NULL, &error);
#endif
#else
  model = rg_model_ref_new_full (snapshot, KV_TYPE, 1024, NULL, NULL, NULL, &error);
#endif
  g_assert_no_error (error);
  g_assert_cmpint (model->kv_type, ==, KV_TYPE);
  taps = rg_taps_new ();
  model->taps = taps;
  return model;
}

static RgSafetensors *
open_case (const Case *c)
{
  return rg_test_golden_open ("idefics2-tiny", c->file);
}

/* An f32 copy of a golden tensor of N elements. */
static float *
golden_f32 (RgSafetensors *st, const char *name, size_t n)
{
  size_t got;
  float *out = rg_test_golden_f32 (st, name, &got);

  g_assert_cmpuint (got, ==, n);
  return out;
}

static const RgTap *
tap (const char *name)
{
  const RgTap *t = rg_taps_lookup (taps, name);

  g_assert_nonnull (t);
  return t;
}

static void
check_close (const char *what, const float *got, const float *want, size_t n, double tol)
{
  RgCompare cmp = rg_test_compare_f32 (got, want, n);

  g_test_message ("%s: max |diff| %.3g (nmse %.3g) over %zu values", what, cmp.max_abs, cmp.nmse, n);
  rg_test_assert_close_f32 (__FILE__, __LINE__, what, got, want, n, tol);
  g_assert_cmpfloat (cmp.nmse, <=, REF_NMSE);
}

/* Compares rows [n, P, dim] on valid patches only (invalid rows are
 * garbage by construction). */
static void
check_valid_rows (const char *what, const float *got, const float *want,
                  const uint8_t *patch_mask, size_t rows, size_t dim, double tol)
{
  g_autofree float *a = g_new (float, rows * dim);
  g_autofree float *b = g_new (float, rows * dim);
  size_t k = 0;

  for (size_t r = 0; r < rows; r++)
    if (patch_mask[r])
      {
        memcpy (a + k * dim, got + r * dim, dim * sizeof (float));
        memcpy (b + k * dim, want + r * dim, dim * sizeof (float));
        k++;
      }
  g_assert_cmpuint (k, >, 0);
  check_close (what, a, b, k * dim, tol);
}

static char *
image_path (const char *rel)
{
  g_autofree char *sub = g_build_filename ("idefics2-tiny", rel, NULL);
  char *path = rg_test_fixture_path (sub);

  /* Compare the model, not JPEG decoders: use the pixels PIL decoded. */
  if (g_str_has_suffix (path, ".jpg"))
    {
      g_autofree char *stem = g_strndup (path, strlen (path) - 4);
      g_free (path);
      path = g_strconcat (stem, ".decoded.png", NULL);
    }
  return path;
}

static RgPixelBatch *
case_pixels (const Case *c)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) images = g_ptr_array_new_with_free_func ((GDestroyNotify) rg_image_free);
  RgPreprocessOptions opts = rg_preprocess_options_default ();
  g_autofree char *rel = g_build_filename ("idefics2-tiny", "preprocessor_config.json", NULL);
  g_autofree char *cfg = rg_test_fixture_path (rel);
  RgPixelBatch *batch;

  rg_preprocess_options_load (&opts, cfg, &error);
  g_assert_no_error (error);
  opts.do_split = c->do_split;
  for (guint i = 0; c->images[i]; i++)
    {
      g_autofree char *path = image_path (c->images[i]);
      RgImage *img = rg_image_decode_file (path, &error);

      g_assert_no_error (error);
      g_ptr_array_add (images, img);
    }
  batch = rg_preprocess_images ((RgImage * const *) images->pdata, images->len, &opts, &error);
  g_assert_no_error (error);
  return batch;
}

/* Runs the vision tower + connector (once per case). */
static void
case_encode (Case *c)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RgPixelBatch) batch = NULL;
  RgModel *m = get_model ();
  size_t NL = m->config.image_seq_len, T = m->config.text.hidden_size;
  gint64 t0;

  if (c->features || c->images[0] == NULL)
    return;
  batch = case_pixels (c);
  c->n_feature_rows = batch->n * NL;
  c->features = g_new (float, c->n_feature_rows * T);
  t0 = g_get_monotonic_time ();
  g_assert_true (m->vtable->encode_images (m, batch, c->features, &error));
  g_assert_no_error (error);
  g_test_message ("%s: encoded %u sub-images of %ux%u in %.1f s", c->name, batch->n,
                  batch->height, batch->width, (g_get_monotonic_time () - t0) / 1e6);
}

static void
test_vision (gconstpointer data)
{
  Case *c = (Case *) data;
  g_autoptr(RgSafetensors) st = open_case (c);
  const RgTensorInfo *pm = rg_safetensors_find (st, "patch_attention_mask");
  const RgTap *vis, *conn;
  g_autofree float *want = NULL;
  const uint8_t *mask;
  size_t rows;

  g_clear_pointer (&c->features, g_free); /* fresh taps from this encode */
  case_encode (c);
  vis = tap ("vision_last_hidden_state");
  conn = tap ("connector_output");
  g_assert_nonnull (pm);
  mask = pm->data;
  rows = vis->shape[0] * vis->shape[1];
  g_assert_cmpuint (pm->n_elements, ==, rows);

  if (rg_safetensors_find (st, "vision_embeddings"))
    {
      const RgTap *emb = tap ("vision_embeddings");
      g_autofree float *w = golden_f32 (st, "vision_embeddings", rows * emb->shape[2]);
      check_valid_rows ("vision_embeddings", emb->data, w, mask, rows, emb->shape[2], TOL_HIDDEN);
    }

  want = golden_f32 (st, "vision_last_hidden_state", rows * vis->shape[2]);
  check_valid_rows ("vision_last_hidden_state", vis->data, want, mask, rows, vis->shape[2], TOL_HIDDEN);

  if (rg_safetensors_find (st, "modality_projection_output"))
    {
      const RgTap *mp = tap ("modality_projection_output");
      g_autofree float *w = golden_f32 (st, "modality_projection_output", rows * mp->shape[2]);
      check_valid_rows ("modality_projection_output", mp->data, w, mask, rows, mp->shape[2], TOL_HIDDEN);
    }

  {
    size_t n = conn->shape[0] * conn->shape[1] * conn->shape[2];
    g_autofree float *w = golden_f32 (st, "connector_output", n);
    check_close ("connector_output", conn->data, w, n, TOL_HIDDEN);
    /* What encode_images returns is what the taps saw. */
    check_close ("features", c->features, w, n, TOL_HIDDEN);
  }
}

/* Prefill of the case's prompt from an empty cache; LOGITS [vocab]. */
static void
case_prefill (Case *c, const int32_t *ids, size_t n_ids, float *logits)
{
  g_autoptr(GError) error = NULL;
  RgModel *m = get_model ();

  case_encode (c);
  m->vtable->truncate (m, 0);
  g_assert_cmpuint (m->n_past, ==, 0);
  g_assert_true (m->vtable->forward (m, ids, n_ids, c->features, c->n_feature_rows, logits, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (m->n_past, ==, n_ids);
}

static void
test_prefill (gconstpointer data)
{
  Case *c = (Case *) data;
  g_autoptr(RgSafetensors) st = open_case (c);
  RgModel *m = get_model ();
  size_t T = m->config.text.hidden_size, vocab = m->config.text.vocab_size, n_ids;
  g_autofree int32_t *ids = rg_test_golden_i64 (st, "input_ids", &n_ids);
  g_autofree float *logits = g_new (float, vocab);
  g_autofree float *want_emb = golden_f32 (st, "inputs_embeds", n_ids * T);
  g_autofree float *want_hid = golden_f32 (st, "text_last_hidden_state", n_ids * T);
  g_autofree float *want_logits = golden_f32 (st, "prefill_last_logits", vocab);

  case_prefill (c, ids, n_ids, logits);
  check_close ("inputs_embeds", tap ("inputs_embeds")->data, want_emb, n_ids * T, TOL_HIDDEN);
  check_close ("text_last_hidden_state", tap ("text_last_hidden_state")->data, want_hid, n_ids * T, TOL_HIDDEN);
  check_close ("prefill_last_logits", logits, want_logits, vocab, TOL_LOGITS);
}

static gboolean
is_in (int32_t id, const int32_t *set, guint n)
{
  for (guint i = 0; i < n; i++)
    if (set[i] == id)
      return TRUE;
  return FALSE;
}

static void
test_generate (gconstpointer data)
{
  Case *c = (Case *) data;
  g_autoptr(GError) error = NULL;
  g_autoptr(RgSafetensors) st = open_case (c);
  RgModel *m = get_model ();
  const RgProcessorConfig *proc = rg_snapshot_get_processor_config (snapshot);
  size_t vocab = m->config.text.vocab_size, n_ids, n_gen, n_top;
  g_autofree int32_t *ids = rg_test_golden_i64 (st, "input_ids", &n_ids);
  g_autofree int32_t *want_gen = rg_test_golden_i64 (st, "generated_ids", &n_gen);
  g_autofree int32_t *want_top_ids = rg_test_golden_i64 (st, "step_top5_ids", &n_top);
  g_autofree float *want_top = golden_f32 (st, "step_top5_logits", n_gen * N_TOP);
  g_autofree float *logits = g_new (float, vocab);
  g_autofree float *masked = g_new (float, vocab);
  g_autofree float *got_top = g_new (float, n_gen * N_TOP);
  g_autofree int32_t *all = g_new (int32_t, n_ids + n_gen);
  g_autofree float *full = g_new (float, vocab);
  guint n_new = 0;
  gboolean top_ids_equal = TRUE;

  g_assert_cmpuint (n_top, ==, n_gen * N_TOP);
#if TEACHER_FORCED
  g_autofree float *margins = golden_f32 (st, "step_greedy_margin", n_gen);
#endif
  g_assert_cmpuint (proc->n_bad_words_ids, >, 0);
  memcpy (all, ids, n_ids * sizeof (int32_t));
  case_prefill (c, ids, n_ids, logits);
  /* decode as generation runs it: without taps, which keep every
   * intermediate tensor (and so take the unfused path at the end) */
  m->taps = NULL;

  /* Greedy: step k reads the logits of the prefill (k = 0) or of feeding
   * token k-1 through the KV cache. */
  for (guint k = 0; k < n_gen; k++)
    {
      int32_t tok_ids[N_TOP], next;

      rg_ref_topk (logits, vocab, N_TOP, tok_ids, got_top + k * N_TOP);
      for (guint j = 0; j < N_TOP; j++)
        top_ids_equal = top_ids_equal && tok_ids[j] == want_top_ids[k * N_TOP + j];

      memcpy (masked, logits, vocab * sizeof (float));
      for (guint j = 0; j < proc->n_bad_words_ids; j++)
        masked[proc->bad_words_ids[j]] = -INFINITY;
      next = (int32_t) rg_ref_argmax (masked, vocab);
#if TEACHER_FORCED
      /* The golden top-5 logits, looked up by the golden ids; the top-1
       * must agree wherever HF's margin leaves room for f16 rounding;
       * then the golden token is fed, whatever was picked. */
      for (guint j = 0; j < N_TOP; j++)
        got_top[k * N_TOP + j] = logits[want_top_ids[k * N_TOP + j]];
      if (margins[k] >= MIN_MARGIN)
        g_assert_cmpint (next, ==, want_gen[k]);
      next = want_gen[k];
#endif
      all[n_ids + n_new++] = next;
      if (is_in (next, proc->eos_token_ids, proc->n_eos_token_ids) || k + 1 == n_gen)
        break;
      g_assert_true (m->vtable->forward (m, &next, 1, NULL, 0, logits, &error));
      g_assert_no_error (error);
    }

  g_assert_cmpuint (n_new, ==, n_gen);
  for (guint k = 0; k < n_gen; k++)
    g_assert_cmpint (all[n_ids + k], ==, want_gen[k]);
  check_close ("step_top5_logits", got_top, want_top, n_gen * N_TOP, TOL_LOGITS);
#if !TEACHER_FORCED
  g_assert_true (top_ids_equal);
#endif

  /* KV-cache decode == one full forward over prompt + generated[:-1]: the
   * logits of the last decode step. */
  if (n_gen > 1)
    {
      m->vtable->truncate (m, 0);
      g_assert_true (m->vtable->forward (m, all, n_ids + n_gen - 1, c->features,
                                         c->n_feature_rows, full, &error));
      g_assert_no_error (error);
      check_close ("kv-cache vs full forward logits", logits, full, vocab, KV_FULL_TOL);
    }
  m->taps = taps;
}

/* ---- Behaviour around the goldens: truncate and errors ---- */

static void
text_only_ids (int32_t **ids, size_t *n)
{
  g_autofree char *path = rg_test_fixture_path ("idefics2-tiny/golden/cases/text_only.safetensors");
  g_autoptr(GError) error = NULL;
  g_autoptr(RgSafetensors) st = rg_safetensors_open (path, &error);

  g_assert_no_error (error);
  *ids = rg_test_golden_i64 (st, "input_ids", n);
}

static void
test_truncate_reprefill (void)
{
  g_autoptr(GError) error = NULL;
  RgModel *m = get_model ();
  size_t vocab = m->config.text.vocab_size, n;
  g_autofree int32_t *ids = NULL;
  g_autofree float *full = g_new (float, vocab);
  g_autofree float *again = g_new (float, vocab);
  guint keep;

  text_only_ids (&ids, &n);
  keep = n / 2;
  m->vtable->truncate (m, 0);
  g_assert_true (m->vtable->forward (m, ids, n, NULL, 0, full, &error));
  g_assert_no_error (error);
  /* Forget the second half and feed it again: the cache prefix is reused. */
  m->vtable->truncate (m, keep);
  g_assert_cmpuint (m->n_past, ==, keep);
  g_assert_true (m->vtable->forward (m, ids + keep, n - keep, NULL, 0, again, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (m->n_past, ==, n);
  check_close ("truncate + re-prefill logits", again, full, vocab, 1e-5);
  /* truncate never grows the cache. */
  m->vtable->truncate (m, n + 10);
  g_assert_cmpuint (m->n_past, ==, n);
}

static void
test_error_context_full (void)
{
  g_autoptr(GError) error = NULL;
  RgModel *m = get_model ();
  g_autofree int32_t *ids = g_new0 (int32_t, m->context_length + 1);

  m->vtable->truncate (m, 0);
  g_assert_false (m->vtable->forward (m, ids, m->context_length + 1, NULL, 0, NULL, &error));
  g_assert_error (error, REGARD_ERROR, REGARD_ERROR_CONTEXT_FULL);
  g_assert_cmpuint (m->n_past, ==, 0);
}

static void
test_error_bad_token (void)
{
  g_autoptr(GError) error = NULL;
  RgModel *m = get_model ();
  const int32_t ids[] = { 1, (int32_t) m->config.text.vocab_size };
  const int32_t neg[] = { -1 };

  m->vtable->truncate (m, 0);
  g_assert_false (m->vtable->forward (m, ids, 2, NULL, 0, NULL, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_false (m->vtable->forward (m, neg, 1, NULL, 0, NULL, &error));
  g_assert_nonnull (error);
  g_assert_cmpuint (m->n_past, ==, 0);
}

static void
test_error_image_rows (void)
{
  g_autoptr(GError) error = NULL;
  RgModel *m = get_model ();
  int32_t img = m->config.image_token_id;
  const int32_t ids[] = { 1, img, img, 2 };
  g_autofree float *rows = g_new0 (float, 3 * m->config.text.hidden_size);

  m->vtable->truncate (m, 0);
  /* Two image tokens but one or three feature rows. */
  g_assert_false (m->vtable->forward (m, ids, 4, rows, 1, NULL, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_false (m->vtable->forward (m, ids, 4, rows, 3, NULL, &error));
  g_assert_nonnull (error);
  g_assert_cmpuint (m->n_past, ==, 0);
}

#ifndef GOLDEN_GPU
static void
test_weights_shape_mismatch (void)
{
  g_autoptr(GError) error = NULL;
  const uint16_t data[6] = { 0x3f80, 0x4000, 0, 0, 0, 0 };  /* bf16 1, 2, 0... */
  RgTensorInfo info = { .name = "w", .dtype = RG_DTYPE_BF16, .n_dims = 2,
                        .shape = { 2, 3 }, .n_elements = 6, .data = data, .nbytes = 12 };
  g_autofree float *ok = NULL;
  float *bad;

  ok = rg_weights_tensor_to_f32 (&info, "w", 2, (const int64_t[]) { 2, 3 }, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (ok[0], ==, 1);
  g_assert_cmpfloat (ok[1], ==, 2);
  bad = rg_weights_tensor_to_f32 (&info, "w", 2, (const int64_t[]) { 3, 2 }, &error);
  g_assert_null (bad);
  g_assert_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL);
  g_clear_error (&error);
  bad = rg_weights_tensor_to_f32 (NULL, "missing", 1, (const int64_t[]) { 6 }, &error);
  g_assert_null (bad);
  g_assert_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL);
}
#endif

static void
case_free (gpointer p)
{
  Case *c = p;

  g_free (c->name);
  g_free (c->file);
  g_strfreev (c->images);
  g_free (c->features);
  g_free (c);
}

static GPtrArray *
load_cases (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *path = rg_test_fixture_path ("idefics2-tiny/golden/manifest.json");
  GPtrArray *cases = g_ptr_array_new_with_free_func (case_free);
  JsonArray *arr;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  arr = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "model_cases");
  for (guint i = 0; i < json_array_get_length (arr); i++)
    {
      JsonObject *o = json_array_get_object_element (arr, i);
      JsonArray *imgs = json_object_get_array_member (o, "images");
      Case *c = g_new0 (Case, 1);

      c->name = g_strdup (json_object_get_string_member (o, "name"));
      c->file = g_strdup (json_object_get_string_member (o, "file"));
      c->do_split = json_object_get_boolean_member (o, "do_image_splitting");
      c->images = g_new0 (char *, json_array_get_length (imgs) + 1);
      for (guint j = 0; j < json_array_get_length (imgs); j++)
        c->images[j] = g_strdup (json_array_get_string_element (imgs, j));
      g_ptr_array_add (cases, c);
    }
  return cases;
}

int
main (int argc, char **argv)
{
  g_autoptr(GPtrArray) cases = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);
#ifdef GOLDEN_GPU
  {
    g_autoptr(GArray) devices = rg_vk_enumerate_devices (NULL);

    if (devices->len == 0)
      {
        g_printerr ("no Vulkan device: skipping the GPU golden tests\n");
        return RG_TEST_EXIT_SKIP;
      }
  }
#endif
  cases = load_cases ();

  /* text_only first: it needs no image path at all. */
  for (guint pass = 0; pass < 2; pass++)
    for (guint i = 0; i < cases->len; i++)
      {
        Case *c = cases->pdata[i];
        gboolean text_only = c->images[0] == NULL;
        g_autofree char *p_vision = g_strdup_printf ("/engine/golden/" BACKEND "/%s/vision", c->name);
        g_autofree char *p_prefill = g_strdup_printf ("/engine/golden/" BACKEND "/%s/prefill", c->name);
        g_autofree char *p_generate = g_strdup_printf ("/engine/golden/" BACKEND "/%s/generate", c->name);

        if (text_only != (pass == 0))
          continue;
        if (!text_only)
          g_test_add_data_func (p_vision, c, test_vision);
        g_test_add_data_func (p_prefill, c, test_prefill);
        g_test_add_data_func (p_generate, c, test_generate);
      }

  g_test_add_func ("/engine/golden/" BACKEND "/truncate/reprefill", test_truncate_reprefill);
  g_test_add_func ("/engine/golden/" BACKEND "/errors/context-full", test_error_context_full);
  g_test_add_func ("/engine/golden/" BACKEND "/errors/bad-token", test_error_bad_token);
  g_test_add_func ("/engine/golden/" BACKEND "/errors/image-rows", test_error_image_rows);
#ifndef GOLDEN_GPU
  g_test_add_func ("/engine/golden/" BACKEND "/weights/shape-mismatch", test_weights_shape_mismatch);
#endif

  ret = g_test_run ();
  g_clear_pointer (&model, rg_model_free);
  g_clear_pointer (&taps, rg_taps_free);
  g_clear_pointer (&snapshot, rg_snapshot_close);
#ifdef GOLDEN_GPU
  g_clear_pointer (&vk, rg_vk_context_free);
#endif
  return ret;
}
