/* IDEFICS1's switches beyond idefics1-tiny's: checkpoints derived from it
 * in a temporary folder (its tensors, a changed config.json).
 *   alpha-vector: alpha_type "vector" with every gate's value repeated over
 *     the hidden width is the same model: the goldens must still hold.
 *   no-resampler: use_resampler false (the gated blocks attend the 17 CLIP
 *     rows), qk_layer_norms true, cross_layer_interval 1 (four blocks),
 *     quick_gelu: no goldens exist, so the Vulkan backend is held to the
 *     reference backend (hidden 2e-4, logits 5e-4, 24 greedy ids equal). */
#include "test-common.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "regard-error.h"
#include "rg-model-gpu.h"
#include "rg-model-ref.h"
#include "rg-ref-ops.h"
#include "rg-safetensors.h"
#include "rg-snapshot.h"
#include "rg-vk.h"

typedef enum { VARIANT_ALPHA_VECTOR, VARIANT_NO_RESAMPLER } Variant;

typedef struct
{
  GPtrArray *names;    /* char* */
  GPtrArray *data;     /* float* */
  GArray *shapes;      /* RgTensorWrite (name/data filled at the end) */
} Tensors;

static void
add_tensor (Tensors *t, const char *name, guint n_dims, const int64_t *shape, float *data)
{
  RgTensorWrite w = { NULL, RG_DTYPE_F32, n_dims, { 0 }, NULL };

  memcpy (w.shape, shape, n_dims * sizeof (int64_t));
  g_ptr_array_add (t->names, g_strdup (name));
  g_ptr_array_add (t->data, data);
  g_array_append_val (t->shapes, w);
}

static float *
to_f32 (const RgTensorInfo *info)
{
  float *out = g_new (float, MAX (info->n_elements, 1));

  rg_dtype_to_f32 (info->dtype, info->data, out, info->n_elements);
  return out;
}

static void
copy_file (const char *from_dir, const char *to_dir, const char *name)
{
  g_autofree char *a = g_build_filename (from_dir, name, NULL);
  g_autofree char *b = g_build_filename (to_dir, name, NULL);
  g_autofree char *text = NULL;
  gsize len;

  g_assert_true (g_file_get_contents (a, &text, &len, NULL));
  g_assert_true (g_file_set_contents (b, text, (gssize) len, NULL));
}

/* A model folder of VARIANT (g_free; removed by remove_dir). */
static char *
make_variant (Variant v)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *src = rg_test_fixture_path ("idefics1-tiny");
  g_autofree char *cfg_path = g_build_filename (src, "config.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  char *dir = g_dir_make_tmp ("regard-idefics1-XXXXXX", &error);
  const char *const files[] = { "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                                "added_tokens.json", "preprocessor_config.json", "generation_config.json" };
  const char *const shards[] = { "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors" };
  Tensors t = { g_ptr_array_new_with_free_func (g_free), g_ptr_array_new_with_free_func (g_free),
                g_array_new (FALSE, TRUE, sizeof (RgTensorWrite)) };
  g_autofree RgTensorWrite *w = NULL;
  g_autofree char *out_cfg = NULL, *out_st = NULL;
  JsonObject *root, *vision;

  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    copy_file (src, dir, files[i]);

  g_assert_true (json_parser_load_from_file (parser, cfg_path, &error));
  root = json_node_get_object (json_parser_get_root (parser));
  vision = json_object_get_object_member (root, "vision_config");
  if (v == VARIANT_ALPHA_VECTOR)
    json_object_set_string_member (root, "alpha_type", "vector");
  else
    {
      json_object_set_boolean_member (root, "use_resampler", FALSE);
      json_object_set_boolean_member (root, "qk_layer_norms", TRUE);
      json_object_set_int_member (root, "cross_layer_interval", 1);
      json_object_set_string_member (vision, "hidden_act", "quick_gelu");
    }
  json_generator_set_root (gen, json_parser_get_root (parser));
  out_cfg = g_build_filename (dir, "config.json", NULL);
  g_assert_true (json_generator_to_file (gen, out_cfg, &error));

  for (guint s = 0; s < G_N_ELEMENTS (shards); s++)
    {
      g_autofree char *path = g_build_filename (src, shards[s], NULL);
      g_autoptr(RgSafetensors) st = rg_safetensors_open (path, &error);

      g_assert_no_error (error);
      for (guint i = 0; i < rg_safetensors_get_n_tensors (st); i++)
        {
          const RgTensorInfo *info = rg_safetensors_get_nth (st, i);
          float *data = to_f32 (info);

          if (v == VARIANT_ALPHA_VECTOR && g_str_has_prefix (info->name, "model.gated_cross_attn_layers.") &&
              (g_str_has_suffix (info->name, "alpha_cross_attn") || g_str_has_suffix (info->name, "alpha_dense")))
            {
              /* [1] -> [1, 1, 64], the same gate on every channel */
              float *vec = g_new (float, 64);

              for (guint c = 0; c < 64; c++)
                vec[c] = data[0];
              g_free (data);
              add_tensor (&t, info->name, 3, (int64_t[]) { 1, 1, 64 }, vec);
              continue;
            }
          if (v == VARIANT_NO_RESAMPLER && g_str_has_prefix (info->name, "model.perceiver_resampler."))
            {
              g_free (data);
              continue;
            }
          add_tensor (&t, info->name, info->n_dims, info->shape, data);
          if (v == VARIANT_NO_RESAMPLER && g_str_has_prefix (info->name, "model.gated_cross_attn_layers."))
            {
              /* interval 1 over 4 layers: blocks 2 and 3 are copies of 0 and 1 */
              g_autofree char *copy = g_strdup (info->name);

              copy[strlen ("model.gated_cross_attn_layers.")] += 2;
              add_tensor (&t, copy, info->n_dims, info->shape, g_memdup2 (data, info->n_elements * 4));
            }
        }
    }
  if (v == VARIANT_NO_RESAMPLER)
    for (guint b = 0; b < 4; b++)
      for (guint k = 0; k < 2; k++)
        {
          g_autofree char *name = g_strdup_printf ("model.gated_cross_attn_layers.%u.cross_attn.%s_layer_norm.weight",
                                                   b, k ? "k" : "q");
          float *gain = g_new (float, 16);

          for (guint c = 0; c < 16; c++)
            gain[c] = 1.0f + 0.3f * sinf ((float) (c + 5 * b + 11 * k));
          add_tensor (&t, name, 1, (int64_t[]) { 16 }, gain);
        }

  w = g_new (RgTensorWrite, t.shapes->len);
  for (guint i = 0; i < t.shapes->len; i++)
    {
      w[i] = g_array_index (t.shapes, RgTensorWrite, i);
      w[i].name = t.names->pdata[i];
      w[i].data = t.data->pdata[i];
    }
  out_st = g_build_filename (dir, "model.safetensors", NULL);
  g_assert_true (rg_safetensors_write (out_st, w, t.shapes->len, &error));
  g_assert_no_error (error);
  g_ptr_array_unref (t.names);
  g_ptr_array_unref (t.data);
  g_array_unref (t.shapes);
  return dir;
}

static void
remove_dir (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d && (name = g_dir_read_name (d)))
    {
      g_autofree char *p = g_build_filename (dir, name, NULL);
      g_unlink (p);
    }
  g_rmdir (dir);
}

typedef struct
{
  int32_t *ids, *index;
  size_t n;
  float *pixels;
  guint n_images;
} Case;

static int32_t *
i64 (RgSafetensors *st, const char *name, size_t *n)
{
  const RgTensorInfo *t = rg_safetensors_find (st, name);
  int32_t *out;

  g_assert_nonnull (t);
  *n = t->n_elements;
  out = g_new (int32_t, *n);
  for (size_t i = 0; i < *n; i++)
    {
      int64_t x;
      memcpy (&x, (const uint8_t *) t->data + i * 8, 8);
      out[i] = (int32_t) x;
    }
  return out;
}

static RgSafetensors *
open_case (const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *rel = g_strdup_printf ("idefics1-tiny/golden/cases/%s.safetensors", name);
  g_autofree char *path = rg_test_fixture_path (rel);
  RgSafetensors *st = rg_safetensors_open (path, &error);

  g_assert_no_error (error);
  return st;
}

/* Prefill of CASE on M (its own encode); LOGITS [vocab]. */
static void
prefill (RgModel *m, RgSafetensors *st, float *logits)
{
  g_autoptr(GError) error = NULL;
  size_t n, n_index;
  g_autofree int32_t *ids = i64 (st, "input_ids", &n);
  g_autofree int32_t *index = i64 (st, "image_index", &n_index);
  const RgTensorInfo *px = rg_safetensors_find (st, "pixel_values");
  guint n_images = 0, S = m->config.vision.image_size;

  for (size_t i = 0; i < n_index; i++)
    n_images = MAX (n_images, (guint) (index[i] + 1));
  m->vtable->truncate (m, 0);
  if (n_images > 0)
    {
      g_autofree float *pixels = g_memdup2 (px->data, px->n_elements * 4);
      g_autofree uint8_t *mask = g_malloc (n_images * S * S);
      g_autofree guint *hw = g_new (guint, 2 * n_images);
      g_autofree float *features = g_new (float, (gsize) n_images * m->image_seq_len * m->feature_width);
      RgPixelBatch batch = { n_images, S, S, pixels, mask, hw };

      memset (mask, 1, n_images * S * S);
      for (guint i = 0; i < 2 * n_images; i++)
        hw[i] = S;
      g_assert_true (m->vtable->encode_images (m, &batch, features, &error));
      g_assert_true (m->vtable->set_image_states (m, features, n_images, &error));
    }
  else
    g_assert_true (m->vtable->set_image_states (m, NULL, 0, &error));
  g_assert_true (m->vtable->forward_cross (m, ids, index, (guint) n, logits, &error));
  g_assert_no_error (error);
}

static const float *
tap_data (RgTaps *taps, const char *name, size_t *n)
{
  const RgTap *t = rg_taps_lookup (taps, name);

  g_assert_nonnull (t);
  *n = 1;
  for (guint i = 0; i < t->n_dims; i++)
    *n *= (size_t) t->shape[i];
  return t->data;
}

static void
test_alpha_vector (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = make_variant (VARIANT_ALPHA_VECTOR);
  g_autoptr(RgSnapshot) snap = rg_snapshot_open (dir, &error);
  g_autoptr(RgModel) m = NULL;
  const char *const cases[] = { "single_image", "two_images_interleaved", "text_only" };

  g_assert_no_error (error);
  g_assert_true (rg_snapshot_get_config (snap)->idefics1.alpha_vector);
  m = rg_model_ref_new (snap, 256, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(RgSafetensors) st = open_case (cases[i]);
      const RgTensorInfo *want = rg_safetensors_find (st, "prefill_last_logits");
      g_autofree float *logits = g_new (float, m->config.text.vocab_size);
      g_autofree float *w = g_memdup2 (want->data, want->n_elements * 4);

      prefill (m, st, logits);
      rg_test_assert_close_f32 (__FILE__, __LINE__, cases[i], logits, w, want->n_elements, 5e-4);
    }
  remove_dir (dir);
}

static void
test_no_resampler (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = make_variant (VARIANT_NO_RESAMPLER);
  g_autoptr(RgSnapshot) snap = rg_snapshot_open (dir, &error);
  g_autoptr(RgVkContext) vk = NULL;
  g_autoptr(RgModel) ref = NULL, gpu = NULL;
  g_autoptr(RgTaps) ref_taps = rg_taps_new ();
  g_autoptr(RgTaps) gpu_taps = rg_taps_new ();
  const char *const cases[] = { "two_images_interleaved", "eod_resets_image" };
  const char *const taps[] = { "vision_last_hidden_state", "image_hidden_states", "cross_block_output.3",
                               "text_last_hidden_state" };

  g_assert_no_error (error);
  g_assert_false (rg_snapshot_get_config (snap)->idefics1.use_resampler);
  ref = rg_model_ref_new (snap, 256, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ref->image_seq_len, ==, 17);
  vk = rg_vk_context_new (NULL, &error);
  if (vk == NULL)
    {
      g_test_skip ("no Vulkan device");
      remove_dir (dir);
      return;
    }
  gpu = rg_model_gpu_new (snap, vk, RG_WEIGHTS_F32, 256, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  ref->taps = ref_taps;
  gpu->taps = gpu_taps;
  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_autoptr(RgSafetensors) st = open_case (cases[c]);
      guint vocab = ref->config.text.vocab_size;
      g_autofree float *lr = g_new (float, vocab), *lg = g_new (float, vocab);

      prefill (ref, st, lr);
      prefill (gpu, st, lg);
      for (guint i = 0; i < G_N_ELEMENTS (taps); i++)
        {
          size_t na, nb;
          const float *a = tap_data (ref_taps, taps[i], &na), *b = tap_data (gpu_taps, taps[i], &nb);

          g_assert_cmpuint (na, ==, nb);
          rg_test_assert_close_f32 (__FILE__, __LINE__, taps[i], b, a, na, 2e-4);
        }
      rg_test_assert_close_f32 (__FILE__, __LINE__, "logits", lg, lr, vocab, 5e-4);
      for (guint k = 0; k < 24; k++)
        {
          int32_t next;

          lr[32000] = lr[32001] = lg[32000] = lg[32001] = -INFINITY;
          next = (int32_t) rg_ref_argmax (lr, vocab);
          g_assert_cmpint (next, ==, (int32_t) rg_ref_argmax (lg, vocab));
          g_assert_true (ref->vtable->forward (ref, &next, 1, NULL, 0, lr, &error));
          g_assert_true (gpu->vtable->forward (gpu, &next, 1, NULL, 0, lg, &error));
          g_assert_no_error (error);
        }
    }
  g_clear_pointer (&gpu, rg_model_free);
  g_clear_pointer (&vk, rg_vk_context_free);
  remove_dir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/model/idefics1/variants/alpha-vector", test_alpha_vector);
  g_test_add_func ("/model/idefics1/variants/no-resampler-qk-norms-interval-1", test_no_resampler);
  return g_test_run ();
}
