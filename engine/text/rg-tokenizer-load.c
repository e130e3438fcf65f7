/* rg-tokenizer-load.c: reading and validating tokenizer.json.
 *
 * Every field is type- and range-checked before use; messages name the
 * field ("tokenizer.json: model.vocab: ..."). Features of the format that
 * the encoder does not implement are refused (REGARD_ERROR_UNSUPPORTED)
 * rather than silently ignored, so a tokenizer never encodes differently
 * from HF without saying so. */
#include "rg-file.h"
#include "rg-tokenizer-json.h"

#include <string.h>

/* ---- lifetime ---------------------------------------------------------- */

void
rg_tokenizer_free (RgTokenizer *tok)
{
  if (tok == NULL)
    return;
  /* Also called on half-built tokenizers: any array may be missing. */
  for (guint i = 0; i < tok->n_ids; i++)
    {
      if (tok->tokens)
        g_free (tok->tokens[i]);
      if (tok->pieces)
        g_free (tok->pieces[i]);
    }
  g_free (tok->tokens);
  g_free (tok->pieces);
  g_free (tok->piece_len);
  g_free (tok->byte_of);
  g_free (tok->special);
  g_clear_pointer (&tok->vocab, g_hash_table_unref);
  g_free (tok->merges);
  if (tok->norm)
    {
      for (guint i = 0; i < tok->norm->len; i++)
        {
          NormStep *s = &g_array_index (tok->norm, NormStep, i);
          g_free (s->a);
          g_free (s->b);
        }
      g_array_unref (tok->norm);
    }
  for (guint i = 0; i < G_N_ELEMENTS (tok->added_by_byte); i++)
    g_clear_pointer (&tok->added_by_byte[i], g_ptr_array_unref);
  if (tok->added)
    {
      for (guint i = 0; i < tok->added->len; i++)
        g_free (g_array_index (tok->added, AddedToken, i).content);
      g_array_unref (tok->added);
    }
  g_free (tok);
}

/* ---- merges hash ------------------------------------------------------- */

static guint64
pair_key (gint32 left, gint32 right)
{
  return ((guint64) (guint32) left << 32) | (guint32) right;
}

static gsize
pair_hash (guint64 key)
{
  key ^= key >> 33;
  key *= G_GUINT64_CONSTANT (0xff51afd7ed558ccd);
  key ^= key >> 33;
  return (gsize) key;
}

const MergeSlot *
rg_tokenizer_merge_lookup (const RgTokenizer *tok, gint32 left, gint32 right)
{
  guint64 key = pair_key (left, right);

  if (tok->merges == NULL)
    return NULL;
  for (gsize i = pair_hash (key) & tok->merges_mask;; i = (i + 1) & tok->merges_mask)
    {
      if (tok->merges[i].key == key)
        return &tok->merges[i];
      if (tok->merges[i].key == G_MAXUINT64)
        return NULL;
    }
}

/* A later duplicate of a pair overwrites the earlier one, as HF's HashMap
 * collect does. */
static void
merge_insert (RgTokenizer *tok, gint32 left, gint32 right, guint32 rank, gint32 new_id)
{
  guint64 key = pair_key (left, right);

  for (gsize i = pair_hash (key) & tok->merges_mask;; i = (i + 1) & tok->merges_mask)
    if (tok->merges[i].key == key || tok->merges[i].key == G_MAXUINT64)
      {
        tok->merges[i] = (MergeSlot) { key, rank, new_id };
        return;
      }
}

/* ---- parsing ----------------------------------------------------------- */

gint32
rg_tokenizer_vocab_get (const RgTokenizer *tok, const char *s)
{
  gpointer v = g_hash_table_lookup (tok->vocab, s);
  return v ? GPOINTER_TO_INT (v) - 1 : -1;
}

static gboolean
parse_vocab (RgTokenizer *tok, JsonObject *model, guint n_added,
             const char *filename, GError **error)
{
  JsonObject *vocab = get_object (model, "vocab");
  g_autoptr(GList) members = NULL;
  guint n;

  if (vocab == NULL)
    return INVALID ("model.vocab", "missing or not an object");
  n = json_object_get_size (vocab);
  if (n == 0 || n >= MAX_TOKENS)
    return INVALID ("model.vocab", "%u entries", n);

  /* Ids of the vocab are dense in real files; added tokens may extend it. */
  tok->n_ids = n + n_added;
  tok->tokens = g_new0 (char *, tok->n_ids);
  tok->vocab = g_hash_table_new (g_str_hash, g_str_equal);

  members = json_object_get_members (vocab);
  for (GList *l = members; l; l = l->next)
    {
      const char *name = l->data;
      gint32 id = -1;

      if (!get_id (json_object_get_member (vocab, name), n, &id, filename, "model.vocab", error))
        return FALSE;
      if (tok->tokens[id] != NULL)
        return INVALID ("model.vocab", "id %d used twice", id);
      if (g_hash_table_contains (tok->vocab, name))
        return INVALID ("model.vocab", "token \"%s\" listed twice", name);
      tok->tokens[id] = g_strdup (name);
      g_hash_table_insert (tok->vocab, tok->tokens[id], GINT_TO_POINTER (id + 1));
    }
  return TRUE;
}

static gboolean
add_merge (RgTokenizer *tok, const char *a, const char *b, guint32 rank,
           const char *filename, GError **error)
{
  g_autofree char *ab = g_strconcat (a, b, NULL);
  gint32 ia = rg_tokenizer_vocab_get (tok, a), ib = rg_tokenizer_vocab_get (tok, b), iab = rg_tokenizer_vocab_get (tok, ab);

  if (ia < 0 || ib < 0)
    return INVALID ("model.merges", "merge %u: \"%s\" or \"%s\" is not in the vocab", rank, a, b);
  if (iab < 0)
    return INVALID ("model.merges", "merge %u: result \"%s\" is not in the vocab", rank, ab);
  merge_insert (tok, ia, ib, rank, iab);
  return TRUE;
}

static gboolean
parse_merges (RgTokenizer *tok, JsonObject *model, const char *filename, GError **error)
{
  JsonNode *node = json_object_get_member (model, "merges");
  JsonArray *merges;
  guint n;
  gsize cap = 16;

  if (node_is_null_or_absent (node))
    return TRUE;  /* a vocab-only BPE is valid */
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return INVALID ("model.merges", "expected an array");
  merges = json_node_get_array (node);
  n = json_array_get_length (merges);
  if (n >= MAX_TOKENS)
    return INVALID ("model.merges", "%u merges", n);
  while (cap < (gsize) n * 2)
    cap *= 2;
  tok->merges = g_new (MergeSlot, cap);
  tok->merges_mask = cap - 1;
  for (gsize i = 0; i < cap; i++)
    tok->merges[i].key = G_MAXUINT64;

  for (guint i = 0; i < n; i++)
    {
      JsonNode *m = json_array_get_element (merges, i);

      if (node_is (m, G_TYPE_STRING))
        {
          /* "a b": exactly one separating space, as HF requires. */
          g_auto(GStrv) parts = g_strsplit (json_node_get_string (m), " ", -1);
          if (g_strv_length (parts) != 2)
            return INVALID ("model.merges", "merge %u: expected \"a b\"", i);
          if (!add_merge (tok, parts[0], parts[1], i, filename, error))
            return FALSE;
        }
      else if (m && JSON_NODE_HOLDS_ARRAY (m))
        {
          JsonArray *pair = json_node_get_array (m);
          JsonNode *a, *b;

          if (json_array_get_length (pair) != 2)
            return INVALID ("model.merges", "merge %u: expected [\"a\", \"b\"]", i);
          a = json_array_get_element (pair, 0);
          b = json_array_get_element (pair, 1);
          if (!node_is (a, G_TYPE_STRING) || !node_is (b, G_TYPE_STRING))
            return INVALID ("model.merges", "merge %u: expected [\"a\", \"b\"]", i);
          if (!add_merge (tok, json_node_get_string (a), json_node_get_string (b), i, filename, error))
            return FALSE;
        }
      else
        return INVALID ("model.merges", "merge %u: expected a string or a pair", i);
    }
  return TRUE;
}

static gboolean
parse_model (RgTokenizer *tok, JsonObject *root, guint n_added, const char *filename, GError **error)
{
  JsonObject *model = get_object (root, "model");
  const char *type, *unk;
  JsonNode *node;

  if (model == NULL)
    return INVALID ("model", "missing or not an object");
  type = get_string (model, "type");
  if (type == NULL)
    return INVALID ("model.type", "missing or not a string");
  if (g_strcmp0 (type, "BPE") != 0)
    return UNSUPPORTED ("model.type", "\"%s\" (only BPE is supported)", type);

  if (!parse_vocab (tok, model, n_added, filename, error) ||
      !parse_merges (tok, model, filename, error))
    return FALSE;

  if (!get_opt_bool (model, "byte_fallback", FALSE, &tok->byte_fallback, filename, "model.byte_fallback", error) ||
      !get_opt_bool (model, "fuse_unk", FALSE, &tok->fuse_unk, filename, "model.fuse_unk", error) ||
      !get_opt_bool (model, "ignore_merges", FALSE, &tok->ignore_merges, filename, "model.ignore_merges", error))
    return FALSE;

  node = json_object_get_member (model, "dropout");
  if (!node_is_null_or_absent (node))
    {
      if (!(node_is (node, G_TYPE_DOUBLE) || node_is (node, G_TYPE_INT64)))
        return INVALID ("model.dropout", "expected a number or null");
      if (json_node_get_double (node) != 0.0)
        return UNSUPPORTED ("model.dropout", "BPE dropout is not supported");
    }
  for (guint i = 0; i < 2; i++)
    {
      const char *name = i == 0 ? "continuing_subword_prefix" : "end_of_word_suffix";
      g_autofree char *field = g_strconcat ("model.", name, NULL);

      node = json_object_get_member (model, name);
      if (node_is_null_or_absent (node))
        continue;
      if (!node_is (node, G_TYPE_STRING))
        return INVALID (field, "expected a string or null");
      if (*json_node_get_string (node) != '\0')
        return UNSUPPORTED (field, "not supported");
    }

  tok->unk_id = -1;
  node = json_object_get_member (model, "unk_token");
  if (!node_is_null_or_absent (node))
    {
      if (!node_is (node, G_TYPE_STRING))
        return INVALID ("model.unk_token", "expected a string or null");
      unk = json_node_get_string (node);
      tok->unk_id = rg_tokenizer_vocab_get (tok, unk);
      if (tok->unk_id < 0)
        return INVALID ("model.unk_token", "\"%s\" is not in the vocab", unk);
    }

  for (guint b = 0; b < 256; b++)
    {
      char name[8];
      g_snprintf (name, sizeof name, "<0x%02X>", b);
      tok->byte_ids[b] = rg_tokenizer_vocab_get (tok, name);
    }
  return TRUE;
}

static gint
added_longest_first (gconstpointer a, gconstpointer b)
{
  const AddedToken *x = a, *y = b;
  return x->len < y->len ? 1 : x->len > y->len ? -1 : 0;
}

static gboolean
parse_added_tokens (RgTokenizer *tok, JsonArray *arr, const char *filename, GError **error)
{
  guint n = arr ? json_array_get_length (arr) : 0;

  for (guint i = 0; i < n; i++)
    {
      JsonNode *node = json_array_get_element (arr, i);
      JsonObject *obj;
      AddedToken at = { 0 };
      const char *content;
      gboolean flag = FALSE;

      if (!node || !JSON_NODE_HOLDS_OBJECT (node))
        return INVALID ("added_tokens", "entry %u is not an object", i);
      obj = json_node_get_object (node);
      if (!get_id (json_object_get_member (obj, "id"), tok->n_ids, &at.id, filename, "added_tokens.id", error))
        return FALSE;
      content = get_string (obj, "content");
      if (content == NULL || *content == '\0')
        return INVALID ("added_tokens.content", "entry %u: missing, empty or not a string", i);
      if (!get_opt_bool (obj, "special", FALSE, &at.special, filename, "added_tokens.special", error))
        return FALSE;
      /* Only the plain form is implemented: matched verbatim on the raw text. */
      if (!get_opt_bool (obj, "normalized", FALSE, &flag, filename, "added_tokens.normalized", error))
        return FALSE;
      if (flag)
        return UNSUPPORTED ("added_tokens.normalized", "\"%s\": normalized added tokens are not supported", content);
      for (guint k = 0; k < 3; k++)
        {
          const char *name = k == 0 ? "lstrip" : k == 1 ? "rstrip" : "single_word";
          g_autofree char *field = g_strconcat ("added_tokens.", name, NULL);
          if (!get_opt_bool (obj, name, FALSE, &flag, filename, field, error))
            return FALSE;
          if (flag)
            return UNSUPPORTED (field, "\"%s\": not supported", content);
        }

      if (tok->tokens[at.id] != NULL && strcmp (tok->tokens[at.id], content) != 0)
        return INVALID ("added_tokens", "id %d is \"%s\" in the vocab but \"%s\" here",
                        at.id, tok->tokens[at.id], content);
      for (guint j = 0; j < tok->added->len; j++)
        if (strcmp (g_array_index (tok->added, AddedToken, j).content, content) == 0)
          return INVALID ("added_tokens", "\"%s\" listed twice", content);
      if (tok->tokens[at.id] == NULL)
        tok->tokens[at.id] = g_strdup (content);
      at.content = g_strdup (content);
      at.len = strlen (content);
      g_array_append_val (tok->added, at);
    }

  g_array_sort (tok->added, added_longest_first);
  for (guint j = 0; j < tok->added->len; j++)
    {
      AddedToken *at = &g_array_index (tok->added, AddedToken, j);
      guint8 first = (guint8) at->content[0];

      if (tok->added_by_byte[first] == NULL)
        tok->added_by_byte[first] = g_ptr_array_new ();
      g_ptr_array_add (tok->added_by_byte[first], at);
      tok->special[at->id] = at->special;
    }
  return TRUE;
}

static gboolean
parse_norm_step (RgTokenizer *tok, JsonObject *obj, const char *filename, GError **error)
{
  const char *type = get_string (obj, "type");
  NormStep step = { 0 };

  if (type == NULL)
    return INVALID ("normalizer.type", "missing or not a string");
  if (strcmp (type, "Prepend") == 0)
    {
      const char *p = get_string (obj, "prepend");
      if (p == NULL)
        return INVALID ("normalizer.prepend", "missing or not a string");
      step.kind = NORM_PREPEND;
      step.a = g_strdup (p);
    }
  else if (strcmp (type, "Replace") == 0)
    {
      JsonObject *pattern = get_object (obj, "pattern");
      const char *pat = pattern ? get_string (pattern, "String") : NULL;
      const char *content = get_string (obj, "content");

      if (pattern && !pat && json_object_has_member (pattern, "Regex"))
        return UNSUPPORTED ("normalizer.pattern", "regex patterns are not supported");
      if (pat == NULL || *pat == '\0')
        return INVALID ("normalizer.pattern", "expected {\"String\": non-empty string}");
      if (content == NULL)
        return INVALID ("normalizer.content", "missing or not a string");
      step.kind = NORM_REPLACE;
      step.a = g_strdup (pat);
      step.b = g_strdup (content);
    }
  else
    return UNSUPPORTED ("normalizer.type", "\"%s\" is not supported", type);
  g_array_append_val (tok->norm, step);
  return TRUE;
}

static gboolean
parse_normalizer (RgTokenizer *tok, JsonObject *root, const char *filename, GError **error)
{
  JsonNode *node = json_object_get_member (root, "normalizer");
  JsonObject *obj;
  const char *type;

  if (node_is_null_or_absent (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return INVALID ("normalizer", "expected an object or null");
  if (tok->byte_level)
    return UNSUPPORTED ("normalizer", "a normalizer with the ByteLevel pre-tokenizer is not supported");
  obj = json_node_get_object (node);
  type = get_string (obj, "type");
  if (g_strcmp0 (type, "Sequence") == 0)
    {
      JsonNode *list = json_object_get_member (obj, "normalizers");
      JsonArray *arr;

      if (!list || !JSON_NODE_HOLDS_ARRAY (list))
        return INVALID ("normalizer.normalizers", "missing or not an array");
      arr = json_node_get_array (list);
      for (guint i = 0; i < json_array_get_length (arr); i++)
        {
          JsonNode *e = json_array_get_element (arr, i);
          if (!e || !JSON_NODE_HOLDS_OBJECT (e))
            return INVALID ("normalizer.normalizers", "entry %u is not an object", i);
          if (!parse_norm_step (tok, json_node_get_object (e), filename, error))
            return FALSE;
        }
      return TRUE;
    }
  return parse_norm_step (tok, obj, filename, error);
}

/* Token -> decoded piece and byte-fallback byte, as HF's decoders see them. */
static void
build_pieces (RgTokenizer *tok)
{
  tok->pieces = g_new0 (char *, tok->n_ids);
  tok->piece_len = g_new0 (guint32, tok->n_ids);
  tok->byte_of = g_new (gint16, tok->n_ids);
  for (guint id = 0; id < tok->n_ids; id++)
    {
      const char *t = tok->tokens[id];
      g_autoptr(GString) s = NULL;
      gint16 byte = -1;

      tok->byte_of[id] = -1;
      if (t == NULL)
        continue;
      if (tok->dec_byte_level)
        {
          /* The token's bytes, or its own UTF-8 when a char is outside the
           * GPT-2 table (as HF's ByteLevel decoder does); may hold NULs. */
          g_autoptr(GByteArray) raw = g_byte_array_new ();
          if (!rg_byte_level_decode_token (raw, t))
            g_byte_array_append (raw, (const guint8 *) t, (guint) strlen (t));
          tok->piece_len[id] = raw->len;
          g_byte_array_append (raw, (const guint8 *) "", 1);
          tok->pieces[id] = (char *) g_byte_array_free (g_steal_pointer (&raw), FALSE);
          continue;
        }
      s = g_string_new (t);
      if (tok->dec_replace)
        g_string_replace (s, METASPACE, " ", 0);
      /* Rust's u8::from_str_radix(token[3..5], 16) also takes a '+' sign. */
      if (s->len == 6 && g_str_has_prefix (s->str, "<0x") && s->str[5] == '>')
        {
          int hi = g_ascii_xdigit_value (s->str[3]), lo = g_ascii_xdigit_value (s->str[4]);
          if (hi >= 0 && lo >= 0)
            byte = (gint16) (hi * 16 + lo);
          else if (s->str[3] == '+' && lo >= 0)
            byte = (gint16) lo;
        }
      tok->byte_of[id] = byte;
      tok->piece_len[id] = (guint32) s->len;
      tok->pieces[id] = g_string_free (g_steal_pointer (&s), FALSE);
    }
}

RgTokenizer *
rg_tokenizer_new_from_data (const char *json, gsize length, const char *filename, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(RgTokenizer) tok = g_new0 (RgTokenizer, 1);
  g_autoptr(GError) local = NULL;
  JsonNode *root_node, *added_node;
  JsonObject *root;
  JsonArray *added = NULL;

  tok->unk_id = tok->bos_id = -1;
  tok->norm = g_array_new (FALSE, FALSE, sizeof (NormStep));
  tok->added = g_array_new (FALSE, FALSE, sizeof (AddedToken));

  if (length > G_MAXSSIZE || !json_parser_load_from_data (parser, json, (gssize) length, &local))
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL, "%s: not valid JSON: %s",
                   filename, local ? local->message : "too large");
      return NULL;
    }
  root_node = json_parser_get_root (parser);
  if (!root_node || !JSON_NODE_HOLDS_OBJECT (root_node))
    {
      INVALID ("(root)", "expected an object");
      return NULL;
    }
  root = json_node_get_object (root_node);

  added_node = json_object_get_member (root, "added_tokens");
  if (!node_is_null_or_absent (added_node))
    {
      if (!JSON_NODE_HOLDS_ARRAY (added_node))
        {
          INVALID ("added_tokens", "expected an array");
          return NULL;
        }
      added = json_node_get_array (added_node);
      if (json_array_get_length (added) >= MAX_TOKENS)
        {
          INVALID ("added_tokens", "too many entries");
          return NULL;
        }
    }
  if (!rg_tokenizer_parse_pre_tokenizer (tok, root, filename, error))
    return NULL;

  if (!parse_model (tok, root, added ? json_array_get_length (added) : 0, filename, error))
    return NULL;
  tok->special = g_new0 (guint8, tok->n_ids);
  if (!parse_added_tokens (tok, added, filename, error) ||
      !parse_normalizer (tok, root, filename, error) ||
      !rg_tokenizer_parse_decoder (tok, root, filename, error) ||
      !rg_tokenizer_parse_post_processor (tok, root, filename, error))
    return NULL;

  /* Shrink to largest id + 1 so the vocab size matches the model's. */
  while (tok->n_ids > 0 && tok->tokens[tok->n_ids - 1] == NULL)
    tok->n_ids--;
  build_pieces (tok);
  return g_steal_pointer (&tok);
}

RgTokenizer *
rg_tokenizer_new_from_file (const char *path, GError **error)
{
  g_autofree char *contents = NULL;
  gsize length = 0;
  g_autofree char *base = g_path_get_basename (path);

  if (!rg_file_get_contents_max (path, RG_FILE_MAX_TOKENIZER, &contents, &length, error))
    return NULL;
  return rg_tokenizer_new_from_data (contents, length, base, error);
}

