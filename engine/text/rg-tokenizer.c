/* rg-tokenizer.c: encoding and decoding (see rg-tokenizer.h).
 *
 * The BPE merge loop is HF tokenizers' Word::merge_all: a min-heap of
 * candidate merges ordered by (rank, position) over a linked list of
 * symbols; stale heap entries are skipped when popped. O(n log n) per word,
 * which matters for long segments (64 spaces, long words). */
#include "rg-tokenizer-private.h"

#include <string.h>

#include "regard-error.h"

/* g_utf8_validate rejects NUL bytes, but U+0000 is a valid character for
 * HF (Rust strings), both in text to encode and in byte-fallback runs. */
static gboolean
utf8_valid (const char *s, gsize len)
{
  const char *end = s + len;

  while (s < end)
    {
      const char *nul = memchr (s, 0, (gsize) (end - s));
      const char *stop = nul ? nul : end;

      if (!g_utf8_validate_len (s, (gsize) (stop - s), NULL))
        return FALSE;
      s = nul ? nul + 1 : end;
    }
  return TRUE;
}

/* ---- accessors --------------------------------------------------------- */

guint
rg_tokenizer_get_vocab_size (const RgTokenizer *tok)
{
  return tok->n_ids;
}

gint32
rg_tokenizer_get_bos_id (const RgTokenizer *tok)
{
  return tok->bos_id;
}

gint32
rg_tokenizer_get_unk_id (const RgTokenizer *tok)
{
  return tok->unk_id;
}

gint32
rg_tokenizer_token_to_id (const RgTokenizer *tok, const char *token)
{
  for (guint i = 0; i < tok->added->len; i++)
    {
      const AddedToken *at = &g_array_index (tok->added, AddedToken, i);
      if (strcmp (at->content, token) == 0)
        return at->id;
    }
  return rg_tokenizer_vocab_get (tok, token);
}

const char *
rg_tokenizer_id_to_token (const RgTokenizer *tok, gint32 id)
{
  return id >= 0 && (guint) id < tok->n_ids ? tok->tokens[id] : NULL;
}

gboolean
rg_tokenizer_is_special (const RgTokenizer *tok, gint32 id)
{
  return id >= 0 && (guint) id < tok->n_ids && tok->special[id];
}

int
rg_tokenizer_id_to_byte (const RgTokenizer *tok, gint32 id)
{
  return id >= 0 && (guint) id < tok->n_ids ? tok->byte_of[id] : -1;
}

const char *
rg_tokenizer_id_to_piece (const RgTokenizer *tok, gint32 id)
{
  return id >= 0 && (guint) id < tok->n_ids ? tok->pieces[id] : NULL;
}

gboolean
rg_tokenizer_decodes_bytes (const RgTokenizer *tok)
{
  return tok->dec_byte_level;
}

const guint8 *
rg_tokenizer_id_to_bytes (const RgTokenizer *tok, gint32 id, gsize *len)
{
  if (id < 0 || (guint) id >= tok->n_ids || tok->pieces[id] == NULL)
    {
      *len = 0;
      return NULL;
    }
  *len = tok->piece_len[id];
  return (const guint8 *) tok->pieces[id];
}

guint
rg_tokenizer_get_strip_leading (const RgTokenizer *tok)
{
  return tok->dec_strip;
}

/* ---- encoding ---------------------------------------------------------- */

typedef struct
{
  gint32 id;
  gint32 prev, next;   /* indices, -1 at the ends */
  gboolean alive;
} Symbol;

typedef struct
{
  guint32 rank;
  guint32 pos;
  gint32 new_id;
} Candidate;

static gboolean
cand_less (const Candidate *a, const Candidate *b)
{
  return a->rank != b->rank ? a->rank < b->rank : a->pos < b->pos;
}

static void
heap_push (GArray *heap, Candidate c)
{
  Candidate *h;
  guint i;

  g_array_append_val (heap, c);
  h = (Candidate *) heap->data;
  for (i = heap->len - 1; i > 0 && cand_less (&h[i], &h[(i - 1) / 2]); i = (i - 1) / 2)
    {
      Candidate t = h[i];
      h[i] = h[(i - 1) / 2];
      h[(i - 1) / 2] = t;
    }
}

static Candidate
heap_pop (GArray *heap)
{
  Candidate *h = (Candidate *) heap->data;
  Candidate top = h[0];
  guint n = heap->len - 1, i = 0;

  h[0] = h[n];
  g_array_set_size (heap, n);
  for (;;)
    {
      guint l = 2 * i + 1, r = l + 1, m = i;
      if (l < n && cand_less (&h[l], &h[m]))
        m = l;
      if (r < n && cand_less (&h[r], &h[m]))
        m = r;
      if (m == i)
        break;
      Candidate t = h[i];
      h[i] = h[m];
      h[m] = t;
      i = m;
    }
  return top;
}

static void
push_pair (const RgTokenizer *tok, GArray *heap, const Symbol *sym, gint32 pos)
{
  const MergeSlot *m;

  if (pos < 0 || sym[pos].next < 0)
    return;
  m = rg_tokenizer_merge_lookup (tok, sym[pos].id, sym[sym[pos].next].id);
  if (m)
    heap_push (heap, (Candidate) { m->rank, (guint32) pos, m->new_id });
}

static void
symbols_add (GArray *syms, gint32 id)
{
  Symbol s = { id, (gint32) syms->len - 1, -1, TRUE };
  if (syms->len > 0)
    g_array_index (syms, Symbol, syms->len - 1).next = (gint32) syms->len;
  g_array_append_val (syms, s);
}

/* One normalized segment -> ids, as HF's BPE::tokenize on a single word. */
static void
bpe_word (const RgTokenizer *tok, const char *word, gsize len, GArray *ids)
{
  g_autoptr(GArray) syms = g_array_new (FALSE, FALSE, sizeof (Symbol));
  g_autoptr(GArray) heap = g_array_new (FALSE, FALSE, sizeof (Candidate));
  gboolean pending_unk = FALSE;
  Symbol *sym;

  if (tok->ignore_merges)
    {
      g_autofree char *whole = g_strndup (word, len);
      gint32 id = rg_tokenizer_vocab_get (tok, whole);
      if (id >= 0)
        {
          g_array_append_val (ids, id);
          return;
        }
    }

  for (const char *p = word; p < word + len;)
    {
      const char *next = g_utf8_next_char (p);
      char ch[8] = { 0 };
      gint32 id;
      gboolean fell_back = FALSE;

      memcpy (ch, p, (gsize) (next - p));
      id = rg_tokenizer_vocab_get (tok, ch);
      if (id < 0 && tok->byte_fallback)
        {
          fell_back = TRUE;
          for (const char *b = p; b < next; b++)
            if (tok->byte_ids[(guint8) *b] < 0)
              fell_back = FALSE;
        }
      if (id >= 0 || fell_back)
        {
          if (pending_unk)
            symbols_add (syms, tok->unk_id);
          pending_unk = FALSE;
          if (id >= 0)
            symbols_add (syms, id);
          else
            for (const char *b = p; b < next; b++)
              symbols_add (syms, tok->byte_ids[(guint8) *b]);
        }
      else if (tok->unk_id >= 0)
        {
          /* fuse_unk: consecutive unknown characters become one <unk>. */
          if (pending_unk && !tok->fuse_unk)
            symbols_add (syms, tok->unk_id);
          pending_unk = TRUE;
        }
      /* else: dropped, as HF does without an unk token. */
      p = next;
    }
  if (pending_unk)
    symbols_add (syms, tok->unk_id);

  sym = (Symbol *) syms->data;
  for (guint i = 0; i + 1 < syms->len; i++)
    push_pair (tok, heap, sym, (gint32) i);

  while (heap->len > 0)
    {
      Candidate top = heap_pop (heap);
      Symbol *cur = &sym[top.pos];
      const MergeSlot *m;
      gint32 right;

      if (!cur->alive || cur->next < 0)
        continue;
      right = cur->next;
      m = rg_tokenizer_merge_lookup (tok, cur->id, sym[right].id);
      if (m == NULL || m->new_id != top.new_id)
        continue;  /* stale: a neighbour changed since it was queued */
      cur->id = top.new_id;
      cur->next = sym[right].next;
      sym[right].alive = FALSE;
      if (cur->next >= 0)
        sym[cur->next].prev = (gint32) top.pos;
      push_pair (tok, heap, sym, cur->prev);
      push_pair (tok, heap, sym, (gint32) top.pos);
    }

  for (guint i = 0; i < syms->len; i++)
    if (sym[i].alive)
      g_array_append_val (ids, sym[i].id);
}

/* Replaces every non-overlapping FROM, left to right, by TO. Unlike
 * g_string_replace it works past NUL bytes. */
static GString *
replace_all (GString *s, const char *from, const char *to)
{
  gsize from_len = strlen (from);
  GString *out;
  const char *p = s->str, *end = s->str + s->len, *hit;

  if (from_len == 0 || memmem (p, s->len, from, from_len) == NULL)
    return s;
  out = g_string_sized_new (s->len);
  while ((hit = memmem (p, (gsize) (end - p), from, from_len)) != NULL)
    {
      g_string_append_len (out, p, hit - p);
      g_string_append (out, to);
      p = hit + from_len;
    }
  g_string_append_len (out, p, end - p);
  g_string_free (s, TRUE);
  return out;
}

typedef struct
{
  const RgTokenizer *tok;
  GArray *ids;
  GString *word;
} ByteLevelWords;

/* One pre-tokenized word: bytes -> GPT-2 chars -> BPE. */
static void
byte_level_word (const char *start, gsize len, gpointer user_data)
{
  ByteLevelWords *w = user_data;

  g_string_truncate (w->word, 0);
  rg_byte_level_encode (w->word, start, len);
  if (w->word->len > 0)
    bpe_word (w->tok, w->word->str, w->word->len, w->ids);
}

static void
encode_segment (const RgTokenizer *tok, const char *text, gsize len, GArray *ids)
{
  g_autoptr(GString) s = NULL;

  if (len == 0)
    return;
  if (tok->byte_level)
    {
      /* Normalizers are refused with ByteLevel (see the loader). */
      g_autoptr(GString) word = g_string_new (NULL);
      ByteLevelWords w = { tok, ids, word };
      rg_byte_level_split (text, len, tok->digits, tok->use_regex, byte_level_word, &w);
      return;
    }
  s = g_string_new_len (text, (gssize) len);
  for (guint i = 0; i < tok->norm->len; i++)
    {
      const NormStep *step = &g_array_index (tok->norm, NormStep, i);
      if (step->kind == NORM_PREPEND)
        {
          if (s->len > 0)
            g_string_prepend (s, step->a);
        }
      else
        s = replace_all (s, step->a, step->b);
    }
  if (s->len > 0)
    bpe_word (tok, s->str, s->len, ids);
}

/* Longest added token starting at P, or NULL. */
static const AddedToken *
match_added (const RgTokenizer *tok, const char *p, gsize left)
{
  GPtrArray *cands = tok->added_by_byte[(guint8) *p];

  if (cands == NULL)
    return NULL;
  for (guint i = 0; i < cands->len; i++)
    {
      const AddedToken *at = g_ptr_array_index (cands, i);
      if (at->len <= left && memcmp (p, at->content, at->len) == 0)
        return at;
    }
  return NULL;
}

gboolean
rg_tokenizer_encode (const RgTokenizer *tok, const char *text, gssize length, gboolean add_bos,
                     GArray *ids, GError **error)
{
  gsize len = length < 0 ? strlen (text) : (gsize) length;
  const char *seg = text, *end = text + len;

  g_return_val_if_fail (g_array_get_element_size (ids) == sizeof (gint32), FALSE);
  if (!utf8_valid (text, len))
    {
      g_set_error_literal (error, REGARD_ERROR, REGARD_ERROR_FAILED, "Text is not valid UTF-8");
      return FALSE;
    }
  if (add_bos && tok->bos_id >= 0)
    g_array_append_val (ids, tok->bos_id);

  /* Matches never start inside a UTF-8 character: contents are valid UTF-8
   * and start with a lead byte, and the scan moves by whole characters. */
  for (const char *p = text; p < end;)
    {
      const AddedToken *at = match_added (tok, p, (gsize) (end - p));
      if (at)
        {
          encode_segment (tok, seg, (gsize) (p - seg), ids);
          g_array_append_val (ids, at->id);
          p += at->len;
          seg = p;
        }
      else
        p = g_utf8_next_char (p);
    }
  encode_segment (tok, seg, (gsize) (end - seg), ids);
  return TRUE;
}

/* ---- decoding ---------------------------------------------------------- */

void
rg_tokenizer_append_byte_run (GString *out, const guint8 *bytes, gsize n)
{
  if (n == 0)
    return;
  if (utf8_valid ((const char *) bytes, n))
    g_string_append_len (out, (const char *) bytes, (gssize) n);
  else
    for (gsize i = 0; i < n; i++)
      g_string_append (out, "\xef\xbf\xbd");
}

char *
rg_tokenizer_decode (const RgTokenizer *tok, const gint32 *ids, gsize n, gboolean skip_special,
                     gsize *length)
{
  GString *out = g_string_new (NULL);
  g_autoptr(GByteArray) run = g_byte_array_new ();
  gsize cut = 0;

  if (tok->dec_byte_level)
    {
      /* ByteLevel: all tokens' bytes joined, then decoded as one text. */
      for (gsize i = 0; i < n; i++)
        {
          gint32 id = ids[i];
          if (id < 0 || (guint) id >= tok->n_ids || tok->pieces[id] == NULL)
            continue;
          if (skip_special && tok->special[id])
            continue;
          g_byte_array_append (run, (const guint8 *) tok->pieces[id], tok->piece_len[id]);
        }
      rg_utf8_append_lossy (out, run->data, run->len);
      if (length)
        *length = out->len;
      return g_string_free (out, FALSE);
    }

  for (gsize i = 0; i < n; i++)
    {
      gint32 id = ids[i];
      int byte;

      if (id < 0 || (guint) id >= tok->n_ids || tok->pieces[id] == NULL)
        continue;
      if (skip_special && tok->special[id])
        continue;
      byte = tok->byte_of[id];
      if (byte >= 0)
        {
          guint8 b = (guint8) byte;
          g_byte_array_append (run, &b, 1);
          continue;
        }
      rg_tokenizer_append_byte_run (out, run->data, run->len);
      g_byte_array_set_size (run, 0);
      g_string_append (out, tok->pieces[id]);
    }
  rg_tokenizer_append_byte_run (out, run->data, run->len);

  while (cut < tok->dec_strip && cut < out->len && out->str[cut] == ' ')
    cut++;
  g_string_erase (out, 0, (gssize) cut);
  if (length)
    *length = out->len;
  return g_string_free (out, FALSE);
}
