/* test-snapshot: the fixture snapshot opens with every tensor checked, and
 * broken copies of it (temp folders) fail with errors naming what broke. */
#include "test-common.h"

#include "regard-engine.h"
#include "rg-snapshot.h"
#include "rg-tokenizer.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/stat.h>

#define SHARD1 "model-00001-of-00002.safetensors"
#define SHARD2 "model-00002-of-00002.safetensors"

static const char * const fixture_files[] = {
  "config.json", "generation_config.json", "preprocessor_config.json", "processor_config.json",
  "tokenizer.json", "model.safetensors.index.json", SHARD1, SHARD2,
};

typedef struct
{
  char *dir;  /* a copy of the fixture snapshot, made on demand */
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("rg-snap-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_autoptr(GDir) d = g_dir_open (f->dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (f->dir, name, NULL);
      g_unlink (path);
    }
  g_rmdir (f->dir);
  g_free (f->dir);
}

static char *
tmp_path (Fixture *f, const char *name)
{
  return g_build_filename (f->dir, name, NULL);
}

/* Copies the fixture snapshot (the files the loader reads) into f->dir. */
static void
copy_fixture (Fixture *f)
{
  for (guint i = 0; i < G_N_ELEMENTS (fixture_files); i++)
    {
      g_autofree char *rel = g_build_filename ("idefics2-tiny", fixture_files[i], NULL);
      g_autofree char *src = rg_test_fixture_path (rel);
      g_autofree char *dst = tmp_path (f, fixture_files[i]);
      g_autoptr(GBytes) bytes = rg_test_read_file (src);
      g_autoptr(GError) error = NULL;
      gsize len;
      const char *data = g_bytes_get_data (bytes, &len);

      g_file_set_contents (dst, data, len, &error);
      g_assert_no_error (error);
    }
}

static void
write_text (Fixture *f, const char *name, const char *text)
{
  g_autofree char *path = tmp_path (f, name);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
}

/* Rewrites shard FILE of the copy through rg_safetensors_write, leaving out
 * tensor DROP and reshaping tensor RESHAPE to [1, n_elements] (either may
 * be NULL). */
static void
rewrite_shard (Fixture *f, const char *file, const char *drop, const char *reshape)
{
  g_autofree char *path = tmp_path (f, file);
  g_autofree char *out = tmp_path (f, "rewritten.tmp");
  g_autoptr(GError) error = NULL;
  g_autoptr(RgSafetensors) st = rg_safetensors_open (path, &error);
  g_autoptr(GArray) ts = g_array_new (FALSE, TRUE, sizeof (RgTensorWrite));
  gboolean dropped = FALSE, reshaped = FALSE;

  g_assert_no_error (error);
  for (guint i = 0; i < rg_safetensors_get_n_tensors (st); i++)
    {
      const RgTensorInfo *t = rg_safetensors_get_nth (st, i);
      RgTensorWrite w = { t->name, t->dtype, t->n_dims, { 0 }, t->data };

      if (g_strcmp0 (t->name, drop) == 0)
        {
          dropped = TRUE;
          continue;
        }
      memcpy (w.shape, t->shape, sizeof w.shape);
      if (g_strcmp0 (t->name, reshape) == 0)
        {
          w.n_dims = 2;
          w.shape[0] = 1;
          w.shape[1] = (int64_t) t->n_elements;
          reshaped = TRUE;
        }
      g_array_append_val (ts, w);
    }
  g_assert_true (dropped == (drop != NULL));
  g_assert_true (reshaped == (reshape != NULL));
  g_assert_true (rg_safetensors_write (out, (RgTensorWrite *) ts->data, ts->len, &error));
  g_assert_no_error (error);
  g_clear_pointer (&st, rg_safetensors_close);
  g_assert_cmpint (g_rename (out, path), ==, 0);
}

static void
assert_open_fails (Fixture *f, GQuark domain, int code, ...)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RgSnapshot) snap = rg_snapshot_open (f->dir, &error);
  va_list args;

  g_assert_null (snap);
  va_start (args, code);
  rg_test_assert_error_mentions_valist (error, domain, code, args);
  va_end (args);
}

#define INVALID REGARD_ERROR, REGARD_ERROR_INVALID_MODEL

static uint64_t
manifest_total_bytes (void)
{
  g_autofree char *path = rg_test_fixture_path ("idefics2-tiny/golden/manifest.json");
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *weights;

  json_parser_load_from_mapped_file (parser, path, &error);
  g_assert_no_error (error);
  weights = json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)), "weights");
  return (uint64_t) json_object_get_int_member (weights, "total_size_bytes");
}

/* SmolVLM: the family's connector tensor is checked, not the perceiver's */
static void
test_idefics3_opens (Fixture *f, gconstpointer data)
{
  g_autofree char *dir = rg_test_fixture_path ("smolvlm-tiny");
  g_autoptr(GError) error = NULL;
  g_autoptr(RgSnapshot) snap = rg_snapshot_open (dir, &error);
  const RgModelConfig *cfg;

  g_assert_no_error (error);
  g_assert_nonnull (snap);
  cfg = rg_snapshot_get_config (snap);
  g_assert_cmpint (cfg->family, ==, RG_MODEL_FAMILY_IDEFICS3);
  g_assert_cmpuint (cfg->image_seq_len, ==, 4);
  g_assert_cmpuint (rg_snapshot_get_processor_config (snap)->image_seq_len, ==, 4);
  g_assert_nonnull (rg_snapshot_get_tensor (snap, "model.connector.modality_projection.proj.weight"));
}

static void
test_fixture_opens (Fixture *f, gconstpointer data)
{
  g_autofree char *dir = rg_test_fixture_path ("idefics2-tiny");
  g_autoptr(GError) error = NULL;
  g_autoptr(RgSnapshot) snap = rg_snapshot_open (dir, &error);
  const RgModelConfig *cfg;
  g_autofree char *tok = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (snap);
  g_assert_cmpstr (rg_snapshot_get_dir (snap), ==, dir);
  cfg = rg_snapshot_get_config (snap);
  g_assert_cmpuint (cfg->text.vocab_size, ==, 32003);
  g_assert_cmpuint (cfg->vision.hidden_size, ==, 32);
  tok = g_build_filename (dir, "tokenizer.json", NULL);
  g_assert_cmpstr (rg_snapshot_get_tokenizer_path (snap), ==, tok);
}

/* The manifest's total_size_bytes (= the index's metadata.total_size) counts
 * tensor data bytes only, without the safetensors headers. */
static void
test_total_bytes (Fixture *f, gconstpointer data)
{
  g_autofree char *dir = rg_test_fixture_path ("idefics2-tiny");
  g_autoptr(GError) error = NULL;
  g_autoptr(RgSnapshot) snap = rg_snapshot_open (dir, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (manifest_total_bytes (), ==, 8966100);
  g_assert_cmpuint (rg_snapshot_get_total_bytes (snap), ==, manifest_total_bytes ());
}

static void
test_tensor_lookup (Fixture *f, gconstpointer data)
{
  g_autofree char *dir = rg_test_fixture_path ("idefics2-tiny");
  g_autoptr(GError) error = NULL;
  g_autoptr(RgSnapshot) snap = rg_snapshot_open (dir, &error);
  const RgTensorInfo *t;
  g_autofree char *base = NULL;

  g_assert_no_error (error);
  t = rg_snapshot_get_tensor (snap, "model.vision_model.embeddings.patch_embedding.weight");
  g_assert_nonnull (t);
  g_assert_cmpint (t->dtype, ==, RG_DTYPE_BF16);
  g_assert_cmpuint (t->n_dims, ==, 4);
  g_assert_cmpint (t->shape[0], ==, 32);
  g_assert_cmpint (t->shape[1], ==, 3);
  g_assert_cmpint (t->shape[2], ==, 14);
  g_assert_cmpint (t->shape[3], ==, 14);
  g_assert_cmpuint (t->nbytes, ==, 32 * 3 * 14 * 14 * 2);
  base = g_path_get_basename (t->filename);
  g_assert_cmpstr (base, ==, SHARD1);

  t = rg_snapshot_get_tensor (snap, "lm_head.weight");
  g_assert_nonnull (t);
  g_clear_pointer (&base, g_free);
  base = g_path_get_basename (t->filename);
  g_assert_cmpstr (base, ==, SHARD2);

  t = rg_snapshot_get_tensor (snap, "model.connector.perceiver_resampler.layers.1.self_attn.k_proj.weight");
  g_assert_nonnull (t);
  g_assert_cmpint (t->shape[0], ==, 16);
  g_assert_cmpint (t->shape[1], ==, 64);

  g_assert_null (rg_snapshot_get_tensor (snap, "model.text_model.layers.2.input_layernorm.weight"));
}

static void
test_processor_config (Fixture *f, gconstpointer data)
{
  g_autofree char *dir = rg_test_fixture_path ("idefics2-tiny");
  g_autoptr(GError) error = NULL;
  g_autoptr(RgSnapshot) snap = rg_snapshot_open (dir, &error);
  const RgProcessorConfig *pc;

  g_assert_no_error (error);
  pc = rg_snapshot_get_processor_config (snap);
  g_assert_false (pc->do_image_splitting);
  g_assert_cmpuint (pc->longest_edge, ==, 980);
  g_assert_cmpuint (pc->shortest_edge, ==, 378);
  g_assert_cmpuint (pc->image_seq_len, ==, 64);
  g_assert_cmpint (pc->bos_token_id, ==, 1);
  g_assert_cmpuint (pc->n_eos_token_ids, ==, 2);
  g_assert_cmpint (pc->eos_token_ids[0], ==, 2);
  g_assert_cmpint (pc->eos_token_ids[1], ==, 32002);
  /* the file lists [[32001], [32000]] */
  g_assert_cmpuint (pc->n_bad_words_ids, ==, 2);
  g_assert_cmpint (pc->bad_words_ids[0], ==, 32001);
  g_assert_cmpint (pc->bad_words_ids[1], ==, 32000);
}

static void
test_optional_files_absent (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RgSnapshot) snap = NULL;
  const RgProcessorConfig *pc;
  g_autofree char *gen = tmp_path (f, "generation_config.json");
  g_autofree char *pre = tmp_path (f, "preprocessor_config.json");
  g_autofree char *proc = tmp_path (f, "processor_config.json");

  copy_fixture (f);
  g_assert_cmpint (g_unlink (gen), ==, 0);
  g_assert_cmpint (g_unlink (pre), ==, 0);
  g_assert_cmpint (g_unlink (proc), ==, 0);
  snap = rg_snapshot_open (f->dir, &error);
  g_assert_no_error (error);
  pc = rg_snapshot_get_processor_config (snap);
  g_assert_false (pc->do_image_splitting);
  g_assert_cmpuint (pc->longest_edge, ==, 980);
  g_assert_cmpuint (pc->shortest_edge, ==, 378);
  g_assert_cmpuint (pc->image_seq_len, ==, 64);
  g_assert_cmpint (pc->bos_token_id, ==, 1);
  g_assert_cmpuint (pc->n_eos_token_ids, ==, 2);
  g_assert_cmpint (pc->eos_token_ids[0], ==, 2);
  g_assert_cmpint (pc->eos_token_ids[1], ==, 32002);
  g_assert_cmpuint (pc->n_bad_words_ids, ==, 2);
  g_assert_cmpint (pc->bad_words_ids[0], ==, 32000);
  g_assert_cmpint (pc->bad_words_ids[1], ==, 32001);
}

static void
test_generation_variants (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RgSnapshot) snap = NULL;
  const RgProcessorConfig *pc;

  copy_fixture (f);
  write_text (f, "generation_config.json",
              "{\"bos_token_id\": 1, \"eos_token_id\": 2, \"bad_words_ids\": [[5, 6], [7]]}");
  write_text (f, "preprocessor_config.json",
              "{\"do_image_splitting\": true, \"size\": {\"longest_edge\": 700, \"shortest_edge\": 300}}");
  snap = rg_snapshot_open (f->dir, &error);
  g_assert_no_error (error);
  pc = rg_snapshot_get_processor_config (snap);
  g_assert_cmpuint (pc->n_eos_token_ids, ==, 1);
  g_assert_cmpint (pc->eos_token_ids[0], ==, 2);
  g_assert_cmpuint (pc->n_bad_words_ids, ==, 1);
  g_assert_cmpint (pc->bad_words_ids[0], ==, 7);
  g_assert_true (pc->do_image_splitting);
  g_assert_cmpuint (pc->longest_edge, ==, 700);
  g_assert_cmpuint (pc->shortest_edge, ==, 300);
}

static void
test_single_file (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RgSnapshot) snap = NULL;
  g_autoptr(RgSafetensors) a = NULL, b = NULL;
  g_autoptr(GArray) ts = g_array_new (FALSE, TRUE, sizeof (RgTensorWrite));
  g_autofree char *p1 = NULL, *p2 = NULL, *index = NULL, *single = NULL;

  copy_fixture (f);
  p1 = tmp_path (f, SHARD1);
  p2 = tmp_path (f, SHARD2);
  a = rg_safetensors_open (p1, &error);
  g_assert_no_error (error);
  b = rg_safetensors_open (p2, &error);
  g_assert_no_error (error);
  for (guint s = 0; s < 2; s++)
    {
      RgSafetensors *st = s ? b : a;

      for (guint i = 0; i < rg_safetensors_get_n_tensors (st); i++)
        {
          const RgTensorInfo *t = rg_safetensors_get_nth (st, i);
          RgTensorWrite w = { t->name, t->dtype, t->n_dims, { 0 }, t->data };

          memcpy (w.shape, t->shape, sizeof w.shape);
          g_array_append_val (ts, w);
        }
    }
  single = tmp_path (f, "model.safetensors");
  g_assert_true (rg_safetensors_write (single, (RgTensorWrite *) ts->data, ts->len, &error));
  g_assert_no_error (error);
  index = tmp_path (f, "model.safetensors.index.json");
  g_assert_cmpint (g_unlink (index), ==, 0);

  snap = rg_snapshot_open (f->dir, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rg_snapshot_get_total_bytes (snap), ==, 8966100);
  g_assert_nonnull (rg_snapshot_get_tensor (snap, "lm_head.weight"));
}

static void
test_truncated_shard (Fixture *f, gconstpointer data)
{
  g_autofree char *path = NULL;
  g_autoptr(GBytes) bytes = NULL;

  copy_fixture (f);
  path = tmp_path (f, SHARD2);
  bytes = rg_test_read_file (path);
  g_assert_true (g_file_set_contents (path, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes) - 1000,
                                      NULL));
  assert_open_fails (f, INVALID, SHARD2, "beyond end of file", NULL);
}

static void
test_missing_tensor (Fixture *f, gconstpointer data)
{
  const char *name = "model.text_model.layers.1.mlp.up_proj.weight";

  copy_fixture (f);
  rewrite_shard (f, SHARD2, name, NULL);
  /* the index still lists it */
  assert_open_fails (f, INVALID, SHARD2, name, NULL);
}

static void
test_missing_tensor_unindexed (Fixture *f, gconstpointer data)
{
  const char *name = "model.connector.perceiver_resampler.layers.0.input_context_norm.weight";
  g_autofree char *index = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *map;

  copy_fixture (f);
  rewrite_shard (f, SHARD1, name, NULL);
  /* drop it from the index too: now only the config implies it */
  index = tmp_path (f, "model.safetensors.index.json");
  json_parser_load_from_file (parser, index, &error);
  g_assert_no_error (error);
  map = json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)), "weight_map");
  g_assert_true (json_object_has_member (map, name));
  json_object_remove_member (map, name);
  json_generator_set_root (gen, json_parser_get_root (parser));
  json_generator_to_file (gen, index, &error);
  g_assert_no_error (error);

  assert_open_fails (f, INVALID, "lack", name, "[64]", NULL);
}

static void
test_wrong_shape (Fixture *f, gconstpointer data)
{
  const char *name = "model.text_model.layers.0.self_attn.k_proj.weight";

  copy_fixture (f);
  rewrite_shard (f, SHARD2, NULL, name);
  assert_open_fails (f, INVALID, SHARD2, name, "[1, 2048]", "[32, 64]", NULL);
}

static void
test_wrong_dtype (Fixture *f, gconstpointer data)
{
  const char *name = "model.text_model.norm.weight";
  g_autofree char *path = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autofree char *contents = NULL;
  char *p;
  gsize len;

  copy_fixture (f);
  /* patch the header in place: the same byte range as another dtype */
  path = tmp_path (f, SHARD2);
  bytes = rg_test_read_file (path);
  len = g_bytes_get_size (bytes);
  contents = g_memdup2 (g_bytes_get_data (bytes, NULL), len);
  p = strstr (contents + 8, "\"model.text_model.norm.weight\":{\"dtype\":\"BF16\",\"shape\":[64]");
  g_assert_nonnull (p);
  /* 64 BF16 = 128 bytes = 16 I64: same byte range, different dtype */
  memcpy (strstr (p, "\"BF16\",\"shape\":[64]"), "\"I64\" ,\"shape\":[16]", 19);
  g_assert_true (g_file_set_contents (path, contents, len, NULL));
  assert_open_fails (f, REGARD_ERROR, REGARD_ERROR_UNSUPPORTED, SHARD2, name, "I64", NULL);
}

/* A checkpoint whose config dims multiply past 2^32 (#14) is refused with
 * a message naming the tensor and its dims, before any weight is read. */
static void
test_dims_past_2_32 (Fixture *f, gconstpointer data)
{
  copy_fixture (f);
  write_text (f, "config.json",
              "{\"model_type\": \"idefics2\", \"text_config\": {\"vocab_size\": 262145,"
              " \"hidden_size\": 16384, \"num_attention_heads\": 128, \"num_key_value_heads\": 8,"
              " \"intermediate_size\": 64}, \"perceiver_config\": {\"resampler_n_latents\": 8}}");
  assert_open_fails (f, INVALID, "config.json", "text embeddings", "262145 x 16384", NULL);
}

static void
test_missing_config (Fixture *f, gconstpointer data)
{
  g_autofree char *path = NULL;

  copy_fixture (f);
  path = tmp_path (f, "config.json");
  g_assert_cmpint (g_unlink (path), ==, 0);
  assert_open_fails (f, INVALID, "config.json", NULL);
}

/* Side files are size-checked before they are read whole: a FIFO (or any
 * endless file) named config.json or tokenizer.json is refused at once
 * instead of hanging the load (#14). */
static void
test_side_file_not_regular (Fixture *f, gconstpointer data)
{
  const char *names[] = { "config.json", "tokenizer.json" };

  copy_fixture (f);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = tmp_path (f, names[i]);
      g_autofree char *saved = g_strconcat (path, ".saved", NULL);
      g_autoptr(GError) error = NULL;
      g_autoptr(RgSnapshot) snap = NULL;
      g_autoptr(RgTokenizer) tok = NULL;

      g_assert_cmpint (g_rename (path, saved), ==, 0);
      g_assert_cmpint (mkfifo (path, 0600), ==, 0);
      if (i == 0)
        {
          snap = rg_snapshot_open (f->dir, &error);
          g_assert_null (snap);
          g_assert_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL);
        }
      else
        {
          tok = rg_tokenizer_new_from_file (path, &error);
          g_assert_null (tok);
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
        }
      g_assert_nonnull (strstr (error->message, "not a regular file"));
      g_unlink (path);
      g_assert_cmpint (g_rename (saved, path), ==, 0);
    }
}

static void
test_missing_tokenizer (Fixture *f, gconstpointer data)
{
  g_autofree char *path = NULL;

  copy_fixture (f);
  path = tmp_path (f, "tokenizer.json");
  g_assert_cmpint (g_unlink (path), ==, 0);
  assert_open_fails (f, INVALID, "tokenizer.json", NULL);
}

static void
test_missing_shard (Fixture *f, gconstpointer data)
{
  g_autofree char *path = NULL;

  copy_fixture (f);
  path = tmp_path (f, SHARD1);
  g_assert_cmpint (g_unlink (path), ==, 0);
  assert_open_fails (f, G_FILE_ERROR, G_FILE_ERROR_NOENT, SHARD1, NULL);
}

static void
test_no_weights (Fixture *f, gconstpointer data)
{
  g_autofree char *path = NULL;

  copy_fixture (f);
  path = tmp_path (f, "model.safetensors.index.json");
  g_assert_cmpint (g_unlink (path), ==, 0);
  assert_open_fails (f, INVALID, "no weights", NULL);
}

static void
test_index_escape (Fixture *f, gconstpointer data)
{
  copy_fixture (f);
  write_text (f, "model.safetensors.index.json",
              "{\"weight_map\": {\"lm_head.weight\": \"../" SHARD2 "\"}}");
  assert_open_fails (f, INVALID, "lm_head.weight", "file name", NULL);
}

static void
test_bad_generation (Fixture *f, gconstpointer data)
{
  copy_fixture (f);
  write_text (f, "generation_config.json", "{\"eos_token_id\": [2, 99999]}");
  assert_open_fails (f, INVALID, "generation_config.json", "eos_token_id", NULL);
}

static void
test_deep_json (Fixture *f, gconstpointer data)
{
  g_autofree char *deep = g_strnfill (1000000, '{');

  copy_fixture (f);
  write_text (f, "preprocessor_config.json", deep);
  assert_open_fails (f, INVALID, "preprocessor_config.json", NULL);
}

static void
test_seq_len_mismatch (Fixture *f, gconstpointer data)
{
  copy_fixture (f);
  write_text (f, "processor_config.json", "{\"image_seq_len\": 32}");
  assert_open_fails (f, INVALID, "processor_config.json", "image_seq_len", NULL);
}

static void
test_image_token_outside_vocab (Fixture *f, gconstpointer data)
{
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *patched = NULL;
  g_auto(GStrv) parts = NULL;

  copy_fixture (f);
  path = tmp_path (f, "config.json");
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  parts = g_strsplit (contents, "\"image_token_id\": 32001", 2);
  g_assert_cmpuint (g_strv_length (parts), ==, 2);
  patched = g_strjoinv ("\"image_token_id\": 32003", parts);
  write_text (f, "config.json", patched);
  assert_open_fails (f, INVALID, "image_token_id", NULL);
}

static void
test_not_a_folder (Fixture *f, gconstpointer data)
{
  g_autofree char *path = tmp_path (f, "absent");
  g_autoptr(GError) error = NULL;
  g_autoptr(RgSnapshot) snap = rg_snapshot_open (path, &error);

  g_assert_null (snap);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
}

static void
test_file_not_folder (Fixture *f, gconstpointer data)
{
  g_autofree char *path = tmp_path (f, "config.json");
  g_autoptr(GError) error = NULL;
  g_autoptr(RgSnapshot) snap = NULL;

  copy_fixture (f);
  snap = rg_snapshot_open (path, &error);
  g_assert_null (snap);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_DIRECTORY);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn) g_test_add ("/engine/snapshot/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("fixture-opens", test_fixture_opens);
  ADD ("idefics3/fixture-opens", test_idefics3_opens);
  ADD ("total-bytes", test_total_bytes);
  ADD ("tensor-lookup", test_tensor_lookup);
  ADD ("processor-config", test_processor_config);
  ADD ("optional-files-absent", test_optional_files_absent);
  ADD ("generation-variants", test_generation_variants);
  ADD ("single-file", test_single_file);
  ADD ("truncated-shard", test_truncated_shard);
  ADD ("missing-tensor", test_missing_tensor);
  ADD ("missing-tensor-unindexed", test_missing_tensor_unindexed);
  ADD ("wrong-shape", test_wrong_shape);
  ADD ("wrong-dtype", test_wrong_dtype);
  ADD ("missing-config", test_missing_config);
  ADD ("dims-past-2-32", test_dims_past_2_32);
  ADD ("side-file-not-regular", test_side_file_not_regular);
  ADD ("missing-tokenizer", test_missing_tokenizer);
  ADD ("missing-shard", test_missing_shard);
  ADD ("no-weights", test_no_weights);
  ADD ("index-escape", test_index_escape);
  ADD ("bad-generation", test_bad_generation);
  ADD ("seq-len-mismatch", test_seq_len_mismatch);
  ADD ("deep-json", test_deep_json);
  ADD ("image-token-outside-vocab", test_image_token_outside_vocab);
  ADD ("not-a-folder", test_not_a_folder);
  ADD ("file-not-folder", test_file_not_folder);
#undef ADD

  return g_test_run ();
}
