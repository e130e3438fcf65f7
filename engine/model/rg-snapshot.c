/* rg-snapshot.c: opens a Hugging Face IDEFICS2 snapshot folder and checks
 * that every tensor the config implies is there, with the right shape and
 * a float dtype, before anything is uploaded. */
#include "rg-snapshot.h"

#include "regard-error.h"
#include "rg-file.h"

#include <json-glib/json-glib.h>
#include <stdarg.h>
#include <string.h>

/* The JSON side files are small; anything bigger is not what we expect. */
#define RG_SNAPSHOT_MAX_JSON ((gsize) 64 << 20)

struct _RgSnapshot
{
  char *dir;
  char *tokenizer_path;
  RgModelConfig config;
  RgProcessorConfig processor;
  GPtrArray *shards;      /* RgSafetensors*, owned */
  GHashTable *tensors;    /* name -> const RgTensorInfo* (owned by shards) */
  uint64_t total_bytes;
};

void
rg_snapshot_close (RgSnapshot *snap)
{
  if (snap == NULL)
    return;
  g_clear_pointer (&snap->tensors, g_hash_table_unref);
  g_clear_pointer (&snap->shards, g_ptr_array_unref);
  g_free (snap->tokenizer_path);
  g_free (snap->dir);
  g_free (snap);
}

G_GNUC_PRINTF (3, 4) static void
snap_fail (GError **error, int code, const char *format, ...)
{
  va_list args;
  g_autofree char *msg = NULL;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, REGARD_ERROR, code, msg);
}

/* Reads DIR/NAME as a JSON object. Absent optional files give TRUE with
 * *ROOT NULL. */

/* Reads a JSON file whole once its size is known to be sane: a file too
 * large (or not a regular file) is an invalid model, not a read. */
static gboolean
read_bounded (const char *path, const char *name, char **contents, gsize *length, GError **error)
{
  g_autoptr(GError) local = NULL;

  if (rg_file_get_contents_max (path, RG_SNAPSHOT_MAX_JSON, contents, length, &local))
    return TRUE;
  if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_INVALID_DATA))
    g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL, "%s: %s", name, local->message);
  else
    g_propagate_error (error, g_steal_pointer (&local));
  return FALSE;
}
static gboolean
load_json (const char *dir, const char *name, gboolean required,
           JsonParser **parser_out, JsonObject **root, GError **error)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *contents = NULL;
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) local_error = NULL;
  JsonNode *node;
  gsize length;

  *root = NULL;
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      if (!required)
        return TRUE;
      snap_fail (error, REGARD_ERROR_INVALID_MODEL, "%s: no %s in the model folder", dir, name);
      return FALSE;
    }
  if (!read_bounded (path, name, &contents, &length, error))
    return FALSE;
  if (memchr (contents, '\0', length) != NULL ||
      !rg_json_depth_ok (contents, length, RG_JSON_MAX_DEPTH))
    {
      snap_fail (error, REGARD_ERROR_INVALID_MODEL, "%s: not a JSON file of sane size and nesting", name);
      return FALSE;
    }
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, contents, (gssize) length, &local_error))
    {
      snap_fail (error, REGARD_ERROR_INVALID_MODEL, "%s: invalid JSON: %s", name, local_error->message);
      return FALSE;
    }
  node = json_parser_get_root (parser);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      snap_fail (error, REGARD_ERROR_INVALID_MODEL, "%s: not a JSON object", name);
      return FALSE;
    }
  *root = json_node_get_object (node);
  *parser_out = g_steal_pointer (&parser);
  return TRUE;
}

/* ---- Weights ----------------------------------------------------------- */

static gboolean
add_shard (RgSnapshot *snap, const char *file, RgSafetensors **out, GError **error)
{
  g_autofree char *path = g_build_filename (snap->dir, file, NULL);
  RgSafetensors *st = rg_safetensors_open (path, error);

  if (st == NULL)
    return FALSE;
  g_ptr_array_add (snap->shards, st);
  for (guint i = 0; i < rg_safetensors_get_n_tensors (st); i++)
    {
      const RgTensorInfo *t = rg_safetensors_get_nth (st, i);
      const RgTensorInfo *other = g_hash_table_lookup (snap->tensors, t->name);

      if (other != NULL)
        {
          g_autofree char *a = g_path_get_basename (other->filename);

          snap_fail (error, REGARD_ERROR_INVALID_MODEL, "%s: tensor '%s' is also in %s", file, t->name, a);
          return FALSE;
        }
      g_hash_table_insert (snap->tensors, (gpointer) t->name, (gpointer) t);
      snap->total_bytes += t->nbytes;
    }
  *out = st;
  return TRUE;
}

/* A shard name from the index must stay inside the folder. */
static gboolean
shard_name_ok (const char *file)
{
  return file[0] != '\0' && file[0] != '.' && strchr (file, '/') == NULL && strchr (file, '\\') == NULL;
}

static gboolean
load_index (RgSnapshot *snap, GError **error)
{
  const char *index_name = "model.safetensors.index.json";
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GHashTable) opened = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GList) names = NULL;
  JsonObject *root, *map;
  JsonNode *map_node;

  if (!load_json (snap->dir, index_name, TRUE, &parser, &root, error))
    return FALSE;
  map_node = json_object_get_member (root, "weight_map");
  if (map_node == NULL || !JSON_NODE_HOLDS_OBJECT (map_node))
    {
      snap_fail (error, REGARD_ERROR_INVALID_MODEL, "%s: no weight_map object", index_name);
      return FALSE;
    }
  map = json_node_get_object (map_node);
  names = json_object_get_members (map);
  for (GList *l = names; l != NULL; l = l->next)
    {
      const char *name = l->data;
      JsonNode *node = json_object_get_member (map, name);
      const char *file;
      RgSafetensors *st;

      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING ||
          !shard_name_ok (file = json_node_get_string (node)))
        {
          snap_fail (error, REGARD_ERROR_INVALID_MODEL, "%s: tensor '%s': invalid file name", index_name, name);
          return FALSE;
        }
      /* each shard is opened once, however many tensors it holds */
      st = g_hash_table_lookup (opened, file);
      if (st == NULL)
        {
          if (!add_shard (snap, file, &st, error))
            return FALSE;
          g_hash_table_insert (opened, g_strdup (file), st);
        }
      if (rg_safetensors_find (st, name) == NULL)
        {
          snap_fail (error, REGARD_ERROR_INVALID_MODEL, "%s: tensor '%s' is listed in %s but not in the file",
                     file, name, index_name);
          return FALSE;
        }
    }
  if (snap->shards->len == 0)
    {
      snap_fail (error, REGARD_ERROR_INVALID_MODEL, "%s: weight_map is empty", index_name);
      return FALSE;
    }
  return TRUE;
}

static gboolean
load_weights (RgSnapshot *snap, GError **error)
{
  g_autofree char *index = g_build_filename (snap->dir, "model.safetensors.index.json", NULL);
  g_autofree char *single = g_build_filename (snap->dir, "model.safetensors", NULL);
  RgSafetensors *st;

  if (g_file_test (index, G_FILE_TEST_EXISTS))
    return load_index (snap, error);
  if (g_file_test (single, G_FILE_TEST_EXISTS))
    return add_shard (snap, "model.safetensors", &st, error);
  snap_fail (error, REGARD_ERROR_INVALID_MODEL,
             "%s: no weights (neither model.safetensors.index.json nor model.safetensors)", snap->dir);
  return FALSE;
}

/* ---- Tensor checks ----------------------------------------------------- */

static char *
format_dims (const int64_t *dims, guint n)
{
  GString *s = g_string_new ("[");

  for (guint i = 0; i < n; i++)
    g_string_append_printf (s, "%s%" G_GINT64_FORMAT, i ? ", " : "", dims[i]);
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

#define NO_LAYER G_MAXUINT

/* Checks tensor PREFIX [LAYER "."] SUFFIX: present, float, shape D0..D(N-1). */
static gboolean
expect (RgSnapshot *snap, GError **error, const char *prefix, guint layer, const char *suffix,
        guint n, guint d0, guint d1, guint d2, guint d3)
{
  const guint want[4] = { d0, d1, d2, d3 };
  g_autofree char *name = NULL;
  int64_t dims[4];
  const RgTensorInfo *t;
  gboolean same;

  if (layer == NO_LAYER)
    name = g_strconcat (prefix, suffix, NULL);
  else
    name = g_strdup_printf ("%s%u.%s", prefix, layer, suffix);
  for (guint i = 0; i < n; i++)
    dims[i] = want[i];

  t = g_hash_table_lookup (snap->tensors, name);
  if (t == NULL)
    {
      g_autofree char *s = format_dims (dims, n);

      snap_fail (error, REGARD_ERROR_INVALID_MODEL, "%s: the weights lack tensor '%s' (shape %s)",
                 snap->dir, name, s);
      return FALSE;
    }
  if (t->dtype != RG_DTYPE_F32 && t->dtype != RG_DTYPE_F16 && t->dtype != RG_DTYPE_BF16)
    {
      g_autofree char *file = g_path_get_basename (t->filename);

      snap_fail (error, REGARD_ERROR_UNSUPPORTED, "%s: tensor '%s' has dtype %s, expected F32, F16 or BF16",
                 file, name, rg_dtype_name (t->dtype));
      return FALSE;
    }
  same = t->n_dims == n;
  for (guint i = 0; same && i < n; i++)
    same = t->shape[i] == dims[i];
  if (!same)
    {
      g_autofree char *file = g_path_get_basename (t->filename);
      g_autofree char *got = format_dims (t->shape, t->n_dims);
      g_autofree char *want_s = format_dims (dims, n);

      snap_fail (error, REGARD_ERROR_INVALID_MODEL, "%s: tensor '%s' has shape %s, the config implies %s",
                 file, name, got, want_s);
      return FALSE;
    }
  return TRUE;
}

#define E1(pre, l, suf, a) expect (snap, error, pre, l, suf, 1, a, 0, 0, 0)
#define E2(pre, l, suf, a, b) expect (snap, error, pre, l, suf, 2, a, b, 0, 0)

static gboolean
check_vision (RgSnapshot *snap, GError **error)
{
  const RgVisionConfig *v = &snap->config.vision;
  const char *p = "model.vision_model.";
  const char *L = "model.vision_model.encoder.layers.";
  guint V = v->hidden_size, I = v->intermediate_size, per_side = v->image_size / v->patch_size;

  if (!expect (snap, error, p, NO_LAYER, "embeddings.patch_embedding.weight", 4, V, v->num_channels,
               v->patch_size, v->patch_size) ||
      !E1 (p, NO_LAYER, "embeddings.patch_embedding.bias", V) ||
      !E2 (p, NO_LAYER, "embeddings.position_embedding.weight", per_side * per_side, V) ||
      !E1 (p, NO_LAYER, "post_layernorm.weight", V) ||
      !E1 (p, NO_LAYER, "post_layernorm.bias", V))
    return FALSE;
  for (guint l = 0; l < v->num_hidden_layers; l++)
    {
      if (!E1 (L, l, "layer_norm1.weight", V) || !E1 (L, l, "layer_norm1.bias", V) ||
          !E1 (L, l, "layer_norm2.weight", V) || !E1 (L, l, "layer_norm2.bias", V) ||
          !E2 (L, l, "self_attn.q_proj.weight", V, V) || !E1 (L, l, "self_attn.q_proj.bias", V) ||
          !E2 (L, l, "self_attn.k_proj.weight", V, V) || !E1 (L, l, "self_attn.k_proj.bias", V) ||
          !E2 (L, l, "self_attn.v_proj.weight", V, V) || !E1 (L, l, "self_attn.v_proj.bias", V) ||
          !E2 (L, l, "self_attn.out_proj.weight", V, V) || !E1 (L, l, "self_attn.out_proj.bias", V) ||
          !E2 (L, l, "mlp.fc1.weight", I, V) || !E1 (L, l, "mlp.fc1.bias", I) ||
          !E2 (L, l, "mlp.fc2.weight", V, I) || !E1 (L, l, "mlp.fc2.bias", V))
        return FALSE;
    }
  return TRUE;
}

/* IDEFICS3: pixel shuffle by s, then one bias-free linear V s^2 -> T. */
static gboolean
check_connector_idefics3 (RgSnapshot *snap, GError **error)
{
  guint64 s = snap->config.connector.scale_factor;

  /* V s^2 fits 32 bits: rg-config-idefics3.c bounds T x V x s x s */
  return E2 ("model.connector.modality_projection.", NO_LAYER, "proj.weight", snap->config.text.hidden_size,
             (guint) (snap->config.vision.hidden_size * s * s));
}

static gboolean
check_connector (RgSnapshot *snap, GError **error)
{
  const RgPerceiverConfig *pc = &snap->config.perceiver;
  const char *m = "model.connector.modality_projection.";
  const char *p = "model.connector.perceiver_resampler.";
  const char *L = "model.connector.perceiver_resampler.layers.";
  guint V = snap->config.vision.hidden_size, T = snap->config.text.hidden_size;
  guint I = snap->config.text.intermediate_size, H = pc->hidden_size;
  guint Q = pc->resampler_n_heads * pc->resampler_head_dim;
  guint KV = pc->num_key_value_heads * pc->resampler_head_dim;

  /* modality projection: vision hidden -> text intermediate -> text hidden */
  if (!E2 (m, NO_LAYER, "gate_proj.weight", I, V) ||
      !E2 (m, NO_LAYER, "up_proj.weight", I, V) ||
      !E2 (m, NO_LAYER, "down_proj.weight", T, I) ||
      !E2 (p, NO_LAYER, "latents", pc->resampler_n_latents, H) ||
      !E1 (p, NO_LAYER, "norm.weight", H))
    return FALSE;
  for (guint l = 0; l < pc->resampler_depth; l++)
    {
      /* the perceiver MLP is 4 x hidden wide (Idefics2PerceiverLayer) */
      if (!E1 (L, l, "input_latents_norm.weight", H) ||
          !E1 (L, l, "input_context_norm.weight", H) ||
          !E1 (L, l, "post_attention_layernorm.weight", H) ||
          !E2 (L, l, "self_attn.q_proj.weight", Q, H) ||
          !E2 (L, l, "self_attn.k_proj.weight", KV, H) ||
          !E2 (L, l, "self_attn.v_proj.weight", KV, H) ||
          !E2 (L, l, "self_attn.o_proj.weight", H, Q) ||
          !E2 (L, l, "mlp.gate_proj.weight", 4 * H, H) ||
          !E2 (L, l, "mlp.up_proj.weight", 4 * H, H) ||
          !E2 (L, l, "mlp.down_proj.weight", H, 4 * H))
        return FALSE;
    }
  return TRUE;
}

static gboolean
check_text (RgSnapshot *snap, GError **error)
{
  const RgTextConfig *t = &snap->config.text;
  const char *p = "model.text_model.";
  const char *L = "model.text_model.layers.";
  guint T = t->hidden_size, I = t->intermediate_size;
  guint Q = t->num_attention_heads * t->head_dim, KV = t->num_key_value_heads * t->head_dim;

  if (!E2 (p, NO_LAYER, "embed_tokens.weight", t->vocab_size, T) ||
      !E1 (p, NO_LAYER, "norm.weight", T))
    return FALSE;
  for (guint l = 0; l < t->num_hidden_layers; l++)
    {
      if (!E1 (L, l, "input_layernorm.weight", T) ||
          !E1 (L, l, "post_attention_layernorm.weight", T) ||
          !E2 (L, l, "self_attn.q_proj.weight", Q, T) ||
          !E2 (L, l, "self_attn.k_proj.weight", KV, T) ||
          !E2 (L, l, "self_attn.v_proj.weight", KV, T) ||
          !E2 (L, l, "self_attn.o_proj.weight", T, Q) ||
          !E2 (L, l, "mlp.gate_proj.weight", I, T) ||
          !E2 (L, l, "mlp.up_proj.weight", I, T) ||
          !E2 (L, l, "mlp.down_proj.weight", T, I))
        return FALSE;
    }
  /* A tied checkpoint may omit lm_head.weight (the embeddings serve). */
  if (g_hash_table_contains (snap->tensors, "lm_head.weight") ||
      !(snap->config.tie_word_embeddings || t->tie_word_embeddings))
    return E2 ("", NO_LAYER, "lm_head.weight", t->vocab_size, T);
  return TRUE;
}

/* ---- Processor and generation settings --------------------------------- */

static gboolean
json_get_int (JsonNode *node, gint64 *out)
{
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  *out = json_node_get_int (node);
  return TRUE;
}

static gboolean
get_dim (const char *file, JsonObject *obj, const char *key, guint *inout, GError **error)
{
  JsonNode *node = obj ? json_object_get_member (obj, key) : NULL;
  gint64 v;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!json_get_int (node, &v) || v < 1 || v > 100000)
    {
      snap_fail (error, REGARD_ERROR_INVALID_MODEL, "%s: %s must be an integer in 1..100000", file, key);
      return FALSE;
    }
  *inout = (guint) v;
  return TRUE;
}

static gboolean
load_preprocessor (RgSnapshot *snap, GError **error)
{
  const char *file = "preprocessor_config.json";
  RgProcessorConfig *pc = &snap->processor;
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *root, *size = NULL;
  JsonNode *node;

  pc->do_image_splitting = FALSE;
  pc->longest_edge = 980;
  pc->shortest_edge = 378;
  if (!load_json (snap->dir, file, FALSE, &parser, &root, error))
    return FALSE;
  if (root == NULL)
    return TRUE;

  node = json_object_get_member (root, "do_image_splitting");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
        {
          snap_fail (error, REGARD_ERROR_INVALID_MODEL, "%s: do_image_splitting must be true or false", file);
          return FALSE;
        }
      pc->do_image_splitting = json_node_get_boolean (node);
    }
  node = json_object_get_member (root, "size");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          snap_fail (error, REGARD_ERROR_INVALID_MODEL, "%s: size must be an object", file);
          return FALSE;
        }
      size = json_node_get_object (node);
    }
  if (!get_dim (file, size, "longest_edge", &pc->longest_edge, error) ||
      !get_dim (file, size, "shortest_edge", &pc->shortest_edge, error))
    return FALSE;
  if (pc->shortest_edge > pc->longest_edge)
    {
      snap_fail (error, REGARD_ERROR_INVALID_MODEL, "%s: shortest_edge %u exceeds longest_edge %u",
                 file, pc->shortest_edge, pc->longest_edge);
      return FALSE;
    }
  return TRUE;
}

static gboolean
load_processor (RgSnapshot *snap, GError **error)
{
  const char *file = "processor_config.json";
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *root;

  snap->processor.image_seq_len = 64;
  if (!load_json (snap->dir, file, FALSE, &parser, &root, error) ||
      !get_dim (file, root, "image_seq_len", &snap->processor.image_seq_len, error))
    return FALSE;
  /* The prompt holds image_seq_len <image> rows per sub-image and the
   * connector fills exactly the config's number of them. */
  if (snap->processor.image_seq_len != snap->config.image_seq_len)
    {
      snap_fail (error, REGARD_ERROR_INVALID_MODEL, "%s: image_seq_len %u differs from the %u feature rows "
                 "per sub-image of config.json", file, snap->processor.image_seq_len, snap->config.image_seq_len);
      return FALSE;
    }
  return TRUE;
}

static gboolean
token_id (RgSnapshot *snap, const char *file, const char *key, JsonNode *node, gint32 *out, GError **error)
{
  gint64 v;

  if (!json_get_int (node, &v) || v < 0 || v >= (gint64) snap->config.text.vocab_size)
    {
      snap_fail (error, REGARD_ERROR_INVALID_MODEL, "%s: %s must hold token ids below the vocabulary size %u",
                 file, key, snap->config.text.vocab_size);
      return FALSE;
    }
  *out = (gint32) v;
  return TRUE;
}

static gboolean
load_eos (RgSnapshot *snap, const char *file, JsonNode *node, GError **error)
{
  RgProcessorConfig *pc = &snap->processor;
  JsonArray *arr;

  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      pc->n_eos_token_ids = 1;
      return token_id (snap, file, "eos_token_id", node, &pc->eos_token_ids[0], error);
    }
  arr = json_node_get_array (node);
  if (json_array_get_length (arr) > G_N_ELEMENTS (pc->eos_token_ids))
    {
      snap_fail (error, REGARD_ERROR_UNSUPPORTED, "%s: more than %u eos_token_id values", file,
                 (guint) G_N_ELEMENTS (pc->eos_token_ids));
      return FALSE;
    }
  pc->n_eos_token_ids = 0;
  for (guint i = 0; i < json_array_get_length (arr); i++)
    if (!token_id (snap, file, "eos_token_id", json_array_get_element (arr, i),
                   &pc->eos_token_ids[pc->n_eos_token_ids++], error))
      return FALSE;
  return TRUE;
}

/* Only single-token bad words matter to a greedy/sampling loop that masks
 * the next token; longer sequences are ignored. */
static gboolean
load_bad_words (RgSnapshot *snap, const char *file, JsonNode *node, GError **error)
{
  RgProcessorConfig *pc = &snap->processor;
  JsonArray *arr;

  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      snap_fail (error, REGARD_ERROR_INVALID_MODEL, "%s: bad_words_ids must be a list of lists", file);
      return FALSE;
    }
  arr = json_node_get_array (node);
  pc->n_bad_words_ids = 0;
  for (guint i = 0; i < json_array_get_length (arr); i++)
    {
      JsonNode *seq = json_array_get_element (arr, i);

      if (!JSON_NODE_HOLDS_ARRAY (seq))
        {
          snap_fail (error, REGARD_ERROR_INVALID_MODEL, "%s: bad_words_ids must be a list of lists", file);
          return FALSE;
        }
      if (json_array_get_length (json_node_get_array (seq)) != 1)
        continue;
      if (pc->n_bad_words_ids == G_N_ELEMENTS (pc->bad_words_ids))
        {
          snap_fail (error, REGARD_ERROR_UNSUPPORTED, "%s: more than %u single-token bad_words_ids", file,
                     (guint) G_N_ELEMENTS (pc->bad_words_ids));
          return FALSE;
        }
      if (!token_id (snap, file, "bad_words_ids", json_array_get_element (json_node_get_array (seq), 0),
                     &pc->bad_words_ids[pc->n_bad_words_ids++], error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
load_generation (RgSnapshot *snap, GError **error)
{
  const char *file = "generation_config.json";
  RgProcessorConfig *pc = &snap->processor;
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *root;
  JsonNode *node;

  /* idefics2-8b's values: stop on </s> and <end_of_utterance>, never emit
   * <fake_token_around_image> or <image>. */
  pc->bos_token_id = 1;
  pc->eos_token_ids[0] = 2;
  pc->eos_token_ids[1] = 32002;
  pc->n_eos_token_ids = 2;
  pc->bad_words_ids[0] = 32000;
  pc->bad_words_ids[1] = 32001;
  pc->n_bad_words_ids = 2;
  /* IDEFICS3 (SmolVLM) bans nothing unless its generation config says so
   * (reference idefics3-smolvlm.md, pitfall 18) */
  if (snap->config.family != RG_MODEL_FAMILY_IDEFICS2)
    pc->n_bad_words_ids = 0;

  if (!load_json (snap->dir, file, FALSE, &parser, &root, error))
    return FALSE;
  if (root == NULL)
    return TRUE;
  node = json_object_get_member (root, "bos_token_id");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node) &&
      !token_id (snap, file, "bos_token_id", node, &pc->bos_token_id, error))
    return FALSE;
  node = json_object_get_member (root, "eos_token_id");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node) && !load_eos (snap, file, node, error))
    return FALSE;
  node = json_object_get_member (root, "bad_words_ids");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node) && !load_bad_words (snap, file, node, error))
    return FALSE;
  return TRUE;
}

/* ---- Opening ----------------------------------------------------------- */

RgSnapshot *
rg_snapshot_open (const char *dir, GError **error)
{
  g_autoptr(RgSnapshot) snap = g_new0 (RgSnapshot, 1);
  g_autofree char *config_path = NULL;
  g_autofree char *contents = NULL;
  gsize length;

  g_return_val_if_fail (dir != NULL, NULL);

  snap->dir = g_strdup (dir);
  snap->shards = g_ptr_array_new_with_free_func ((GDestroyNotify) rg_safetensors_close);
  snap->tensors = g_hash_table_new (g_str_hash, g_str_equal);

  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      gboolean exists = g_file_test (dir, G_FILE_TEST_EXISTS);

      g_set_error (error, G_IO_ERROR, exists ? G_IO_ERROR_NOT_DIRECTORY : G_IO_ERROR_NOT_FOUND,
                   exists ? "%s: not a folder" : "%s: no such folder", dir);
      return NULL;
    }
  config_path = g_build_filename (dir, "config.json", NULL);
  if (!g_file_test (config_path, G_FILE_TEST_EXISTS))
    {
      snap_fail (error, REGARD_ERROR_INVALID_MODEL, "%s: no config.json in the model folder", dir);
      return NULL;
    }
  if (!read_bounded (config_path, config_path, &contents, &length, error))
    return NULL;
  /* Errors name the file with its folder: which model is broken matters. */
  if (!rg_model_config_parse (contents, length, config_path, &snap->config, error))
    return NULL;
  /* the image token's embedding row is looked up before it is replaced */
  if ((guint) snap->config.image_token_id >= snap->config.text.vocab_size)
    {
      snap_fail (error, REGARD_ERROR_INVALID_MODEL, "%s: image_token_id %d is outside the "
                 "vocabulary (%u tokens)", config_path, snap->config.image_token_id, snap->config.text.vocab_size);
      return NULL;
    }

  snap->tokenizer_path = g_build_filename (dir, "tokenizer.json", NULL);
  if (!g_file_test (snap->tokenizer_path, G_FILE_TEST_IS_REGULAR))
    {
      snap_fail (error, REGARD_ERROR_INVALID_MODEL, "%s: no tokenizer.json in the model folder", dir);
      return NULL;
    }

  /* IDEFICS1: no processor_config.json (one <image> token per image); its
   * tensors are checked by the backends' loaders against the model
   * description (rg-arch-idefics1.c), name and shape */
  if (snap->config.family == RG_MODEL_FAMILY_IDEFICS1)
    {
      if (!load_preprocessor (snap, error) ||
          !load_generation (snap, error) ||
          !load_weights (snap, error))
        return NULL;
      return g_steal_pointer (&snap);
    }
  if (!load_preprocessor (snap, error) ||
      !load_processor (snap, error) ||
      !load_generation (snap, error) ||
      !load_weights (snap, error) ||
      !check_vision (snap, error) ||
      !(snap->config.family == RG_MODEL_FAMILY_IDEFICS3 ? check_connector_idefics3 (snap, error)
                                                         : check_connector (snap, error)) ||
      !check_text (snap, error))
    return NULL;
  return g_steal_pointer (&snap);
}

const char *
rg_snapshot_get_dir (RgSnapshot *snap)
{
  g_return_val_if_fail (snap != NULL, NULL);
  return snap->dir;
}

const RgModelConfig *
rg_snapshot_get_config (RgSnapshot *snap)
{
  g_return_val_if_fail (snap != NULL, NULL);
  return &snap->config;
}

const RgProcessorConfig *
rg_snapshot_get_processor_config (RgSnapshot *snap)
{
  g_return_val_if_fail (snap != NULL, NULL);
  return &snap->processor;
}

const RgTensorInfo *
rg_snapshot_get_tensor (RgSnapshot *snap, const char *name)
{
  g_return_val_if_fail (snap != NULL && name != NULL, NULL);
  return g_hash_table_lookup (snap->tensors, name);
}

uint64_t
rg_snapshot_get_total_bytes (RgSnapshot *snap)
{
  g_return_val_if_fail (snap != NULL, 0);
  return snap->total_bytes;
}

const char *
rg_snapshot_get_tokenizer_path (RgSnapshot *snap)
{
  g_return_val_if_fail (snap != NULL, NULL);
  return snap->tokenizer_path;
}
