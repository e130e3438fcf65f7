/* IDEFICS1 (idefics1-tiny) against HF's own tensors, on the reference
 * backend (test-golden-idefics1) and on Vulkan with f32 weights
 * (test-golden-idefics1-gpu): each model case of golden/manifest.json fed
 * its own input_ids, image_index and pixel_values, every tensor it carries
 * compared within the manifest's tolerances (forward_checks; the README's
 * "hidden 2e-4" for the per-layer states and vision 1e-4 for the
 * embeddings), then 24 greedy tokens (bad words 32000/32001, the last
 * mask row for generated tokens) exactly. */
#include "test-common.h"
#include "test-golden-common.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "rg-model-gpu.h"
#include "rg-model-ref.h"
#include "rg-ref-ops.h"
#include "rg-safetensors.h"
#include "rg-snapshot.h"
#include "regard-error.h"

#ifdef GOLDEN_GPU
#define BACKEND "gpu"
#else
#define BACKEND "cpu"
#endif
#define TOL_HIDDEN 2e-4   /* README: hidden states */
#define TOL_VISION 1e-4   /* README: vision / perceiver */
#define N_GEN 24

typedef struct
{
  char *name;
  char *file;
  JsonObject *tols;     /* tensor -> max_abs (forward_checks) */
  GHashTable *skip;     /* forward_checks_skip */
} Case;

static RgSnapshot *snapshot;
static RgModel *model;
static RgTaps *taps;
static JsonParser *manifest;
#ifdef GOLDEN_GPU
static RgVkContext *vk;
#endif

static RgModel *
get_model (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;

  if (model)
    return model;
  dir = rg_test_fixture_path ("idefics1-tiny");
  snapshot = rg_snapshot_open (dir, &error);
  g_assert_no_error (error);
#ifdef GOLDEN_GPU
  vk = rg_vk_context_new (NULL, &error);
  g_assert_no_error (error);
  model = rg_model_gpu_new (snapshot, vk, RG_WEIGHTS_F32, 256, NULL, NULL, NULL, &error);
#else
  model = rg_model_ref_new (snapshot, 256, NULL, NULL, NULL, &error);
#endif
  g_assert_no_error (error);
  g_assert_nonnull (model->vtable->forward_cross);
  taps = rg_taps_new ();
  model->taps = taps;
  return model;
}

static RgSafetensors *
open_case (const Case *c)
{
  return rg_test_golden_open ("idefics1-tiny", c->file);
}

/* The tap NAME against the golden tensor of the same name (GOLDEN, if
 * another), within TOL. */
static void
check_tap (RgSafetensors *st, const char *name, const char *golden, double tol)
{
  const RgTap *t = rg_taps_lookup (taps, name);
  g_autofree float *want = NULL;
  size_t n, got_n = 1;
  RgCompare cmp;

  want = rg_test_golden_f32 (st, golden ? golden : name, &n);
  g_assert_nonnull (t);
  for (guint i = 0; i < t->n_dims; i++)
    got_n *= (size_t) t->shape[i];
  g_assert_cmpuint (got_n, ==, n);
  cmp = rg_test_compare_f32 (t->data, want, n);
  g_test_message ("%s: max |diff| %.3g (nmse %.3g) over %zu values", name, cmp.max_abs, cmp.nmse, n);
  rg_test_assert_close_f32 (__FILE__, __LINE__, name, t->data, want, n, tol);
}

static double
tolerance (const Case *c, const char *name, double def)
{
  return json_object_has_member (c->tols, name) ? json_object_get_double_member (c->tols, name) : def;
}

/* Encodes the case's images, sets the image states, prefills the prompt. */
static void
prefill (const Case *c, RgSafetensors *st, float *logits, int32_t *last_index)
{
  g_autoptr(GError) error = NULL;
  RgModel *m = get_model ();
  size_t n_ids, n_index, n_px;
  g_autofree int32_t *ids = rg_test_golden_i64 (st, "input_ids", &n_ids);
  g_autofree int32_t *index = rg_test_golden_i64 (st, "image_index", &n_index);
  g_autofree float *pixels = rg_test_golden_f32 (st, "pixel_values", &n_px);
  g_autofree float *features = NULL;
  size_t S = m->config.vision.image_size, n_images = 0;

  g_assert_cmpuint (n_ids, ==, n_index);
  for (size_t i = 0; i < n_index; i++)
    n_images = MAX (n_images, (size_t) (index[i] + 1));
  rg_taps_free (taps);
  taps = rg_taps_new ();
  m->taps = taps;
  m->vtable->truncate (m, 0);
  /* text-only: HF's all-zero image attends nothing (P9); skip the tower */
  if (!g_hash_table_contains (c->skip, "image_hidden_states"))
    {
      RgPixelBatch batch = { .n = (guint) (n_px / (3 * S * S)), .height = (guint) S, .width = (guint) S,
                             .pixel_values = pixels };

      g_assert_cmpuint (batch.n, >=, n_images);
      batch.pixel_mask = g_malloc (batch.n * S * S);
      memset (batch.pixel_mask, 1, batch.n * S * S);
      batch.valid_hw = g_new (guint, 2 * batch.n);
      for (guint i = 0; i < 2 * batch.n; i++)
        batch.valid_hw[i] = (guint) S;
      features = g_new (float, batch.n * m->image_seq_len * m->feature_width);
      g_assert_true (m->vtable->encode_images (m, &batch, features, &error));
      g_assert_no_error (error);
      g_assert_true (m->vtable->set_image_states (m, features, batch.n, &error));
      g_free (batch.pixel_mask);
      g_free (batch.valid_hw);
    }
  else
    g_assert_true (m->vtable->set_image_states (m, NULL, 0, &error));
  g_assert_true (m->vtable->forward_cross (m, ids, index, (guint) n_ids, logits, &error));
  g_assert_no_error (error);
  *last_index = index[n_ids - 1];
}

static void
test_forward (gconstpointer data)
{
  const Case *c = data;
  g_autoptr(RgSafetensors) st = open_case (c);
  RgModel *m = get_model ();
  g_autofree float *logits = g_new (float, m->config.text.vocab_size);
  g_autofree float *want = NULL;
  int32_t last;
  size_t n;
  char name[64];

  prefill (c, st, logits, &last);
  if (!g_hash_table_contains (c->skip, "image_hidden_states"))
    {
      check_tap (st, "vision_embeddings", NULL, TOL_VISION);
      check_tap (st, "vision_last_hidden_state", NULL, tolerance (c, "vision_last_hidden_state", TOL_VISION));
      check_tap (st, "perceiver_output", NULL, tolerance (c, "image_hidden_states", TOL_VISION));
      check_tap (st, "image_hidden_states", NULL, tolerance (c, "image_hidden_states", TOL_VISION));
    }
  check_tap (st, "inputs_embeds", NULL, tolerance (c, "inputs_embeds", 1e-6));
  for (guint i = 0; i < m->config.text.num_hidden_layers; i++)
    {
      g_snprintf (name, sizeof name, "layer_input.%u", i);
      check_tap (st, name, NULL, TOL_HIDDEN);
    }
  for (guint j = 0; j < m->config.text.num_hidden_layers / m->config.idefics1.cross_layer_interval; j++)
    {
      g_snprintf (name, sizeof name, "cross_block_output.%u", j);
      check_tap (st, name, NULL, TOL_HIDDEN);
    }
  check_tap (st, "text_last_hidden_state", NULL, tolerance (c, "text_last_hidden_state", TOL_HIDDEN));
  want = rg_test_golden_f32 (st, "prefill_last_logits", &n);
  g_assert_cmpuint (n, ==, m->config.text.vocab_size);
  rg_test_assert_close_f32 (__FILE__, __LINE__, "prefill_last_logits", logits, want, n,
                            tolerance (c, "prefill_last_logits", 5e-4));
}

static void
test_generate (gconstpointer data)
{
  const Case *c = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(RgSafetensors) st = open_case (c);
  RgModel *m = get_model ();
  size_t vocab = m->config.text.vocab_size, n_want;
  g_autofree float *logits = g_new (float, vocab);
  g_autofree int32_t *want = rg_test_golden_i64 (st, "generated_ids", &n_want);
  int32_t last;
  guint same = 0;

  prefill (c, st, logits, &last);
  g_assert_cmpuint (n_want, ==, N_GEN);
  for (guint k = 0; k < N_GEN; k++)
    {
      int32_t next;

      if (k > 0)
        {
          /* a plain forward: the token attends the last prompt row's image */
          g_assert_true (m->vtable->forward (m, &want[k - 1], 1, NULL, 0, logits, &error));
          g_assert_no_error (error);
          g_assert_cmpint (m->last_image_index, ==, last);
        }
      logits[32000] = logits[32001] = -INFINITY;   /* bad_words_ids */
      next = (int32_t) rg_ref_argmax (logits, vocab);
      same += next == want[k];
      if (next != want[k])
        g_test_message ("step %u: %d, want %d", k, next, want[k]);
    }
  g_test_message ("%s: %u/%u greedy tokens", c->name, same, N_GEN);
  g_assert_cmpuint (same, ==, N_GEN);
}

/* A cross-attention index outside the image states is an error, not a read
 * past them. */
static void
test_bad_image_index (void)
{
  g_autoptr(GError) error = NULL;
  RgModel *m = get_model ();
  const int32_t ids[2] = { 1, 32001 }, index[2] = { -1, 0 };

  m->vtable->truncate (m, 0);
  g_assert_true (m->vtable->set_image_states (m, NULL, 0, &error));
  g_assert_false (m->vtable->forward_cross (m, ids, index, 2, NULL, &error));
  g_assert_error (error, REGARD_ERROR, REGARD_ERROR_FAILED);
  g_assert_cmpuint (m->n_past, ==, 0);
}

static void
case_free (gpointer p)
{
  Case *c = p;

  g_free (c->name);
  g_free (c->file);
  g_hash_table_unref (c->skip);
  g_free (c);
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) cases = g_ptr_array_new_with_free_func (case_free);
  g_autofree char *rel = g_build_filename ("idefics1-tiny", "golden", "manifest.json", NULL);
  g_autofree char *path = NULL;
  JsonObject *root, *tols;
  JsonArray *arr;
  int ret;

  g_test_init (&argc, &argv, NULL);
  path = rg_test_fixture_path (rel);
  manifest = json_parser_new ();
  g_assert_true (json_parser_load_from_file (manifest, path, &error));
  root = json_node_get_object (json_parser_get_root (manifest));
  tols = json_object_new ();
  arr = json_object_get_array_member (root, "forward_checks");
  for (guint i = 0; i < json_array_get_length (arr); i++)
    {
      JsonObject *fc = json_array_get_object_element (arr, i);
      json_object_set_double_member (tols, json_object_get_string_member (fc, "tensor"),
                                     json_object_get_double_member (fc, "max_abs"));
    }
  arr = json_object_get_array_member (root, "model_cases");
  for (guint i = 0; i < json_array_get_length (arr); i++)
    {
      JsonObject *mc = json_array_get_object_element (arr, i);
      Case *c = g_new0 (Case, 1);
      JsonArray *skip = json_object_get_array_member (mc, "forward_checks_skip");
      g_autofree char *p1 = NULL, *p2 = NULL;

      c->name = g_strdup (json_object_get_string_member (mc, "name"));
      c->file = g_strdup (json_object_get_string_member (mc, "file"));
      c->tols = tols;
      c->skip = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      for (guint k = 0; skip && k < json_array_get_length (skip); k++)
        g_hash_table_add (c->skip, g_strdup (json_array_get_string_element (skip, k)));
      g_ptr_array_add (cases, c);
      p1 = g_strdup_printf ("/model/idefics1/%s/%s/forward", BACKEND, c->name);
      p2 = g_strdup_printf ("/model/idefics1/%s/%s/generate", BACKEND, c->name);
      g_test_add_data_func (p1, c, test_forward);
      g_test_add_data_func (p2, c, test_generate);
    }
  g_test_add_func ("/model/idefics1/" BACKEND "/bad-image-index", test_bad_image_index);
  ret = g_test_run ();
  g_clear_pointer (&model, rg_model_free);
  g_clear_pointer (&taps, rg_taps_free);
  g_clear_pointer (&snapshot, rg_snapshot_close);
#ifdef GOLDEN_GPU
  g_clear_pointer (&vk, rg_vk_context_free);
#endif
  json_object_unref (tols);
  g_object_unref (manifest);
  return ret;
}
