/* test-detokenizer.c: streaming decode equals the one-shot HF decode, token
 * by token, and never emits broken UTF-8. */
#include "test-text-golden.h"

#include "rg-detokenizer.h"

static RgTokenizer *tok;

/* U+0000 is a valid character here (byte tokens can produce it). */
static gboolean
valid_utf8_with_nul (const char *s, gsize len)
{
  for (gsize i = 0; i < len;)
    {
      const char *nul = memchr (s + i, 0, len - i);
      gsize stop = nul ? (gsize) (nul - s) : len;

      if (!g_utf8_validate_len (s + i, stop - i, NULL))
        return FALSE;
      i = stop + 1;
    }
  return TRUE;
}

/* Streams IDS and returns the concatenated deltas; every delta must be
 * valid UTF-8 on its own. */
static GString *
stream (RgDetokenizer *d, const gint32 *ids, gsize n)
{
  GString *all = g_string_new (NULL);
  gsize len;
  g_autofree char *tail = NULL;

  for (gsize i = 0; i < n; i++)
    {
      g_autofree char *delta = rg_detokenizer_feed (d, ids[i], &len);
      g_assert_true (valid_utf8_with_nul (delta, len));
      g_string_append_len (all, delta, (gssize) len);
    }
  tail = rg_detokenizer_flush (d, &len);
  g_assert_true (valid_utf8_with_nul (tail, len));
  g_string_append_len (all, tail, (gssize) len);
  return all;
}

static void
assert_stream_matches (const gint32 *ids, gsize n, GBytes *want, const char *what, guint index)
{
  g_autoptr(RgDetokenizer) d = rg_detokenizer_new (tok);
  g_autoptr(GString) got = stream (d, ids, n);
  gsize want_len, dec_len;
  const char *w = g_bytes_get_data (want, &want_len);
  g_autofree char *dec = rg_tokenizer_decode (tok, ids, n, TRUE, &dec_len);

  if (got->len != want_len || (want_len > 0 && memcmp (got->str, w, want_len) != 0))
    g_error ("%s case %u: streamed \"%s\", want \"%.*s\"", what, index, got->str, (int) want_len, w);
  g_assert_cmpuint (dec_len, ==, got->len);
  g_assert_true (memcmp (dec, got->str, dec_len) == 0);
}

static char *
feed (RgDetokenizer *d, gint32 id)
{
  return rg_detokenizer_feed (d, id, NULL);
}

static void
test_word_by_word (void)
{
  g_autoptr(RgDetokenizer) d = rg_detokenizer_new (tok);
  g_autofree char *a = feed (d, 22557);   /* ▁Hello */
  g_autofree char *b = feed (d, 1526);    /* ▁world */
  g_autofree char *c = feed (d, 28808);   /* ! */
  g_autofree char *e = rg_detokenizer_flush (d, NULL);

  g_assert_cmpstr (a, ==, "Hello");
  g_assert_cmpstr (b, ==, " world");
  g_assert_cmpstr (c, ==, "!");
  g_assert_cmpstr (e, ==, "");
}

/* Only the first space of the whole answer is stripped, even when the
 * first tokens are all spaces. */
static void
test_leading_space_once (void)
{
  g_autoptr(RgDetokenizer) d = rg_detokenizer_new (tok);
  g_autofree char *a = feed (d, 28705);   /* ▁ */
  g_autofree char *b = feed (d, 28705);
  g_autofree char *c = feed (d, 22557);

  g_assert_cmpstr (a, ==, "");
  g_assert_cmpstr (b, ==, " ");
  g_assert_cmpstr (c, ==, " Hello");
}

/* A byte run is held until it ends, then emitted whole. */
static void
test_holds_byte_run (void)
{
  g_autoptr(RgDetokenizer) d = rg_detokenizer_new (tok);
  static const gint32 llama[] = { 243, 162, 169, 156 };

  for (guint i = 0; i < G_N_ELEMENTS (llama); i++)
    {
      g_autofree char *s = feed (d, llama[i]);
      g_assert_cmpstr (s, ==, "");
    }
  {
    g_autofree char *s = feed (d, 1526);
    g_assert_cmpstr (s, ==, "\xf0\x9f\xa6\x99 world");
  }
}

/* The flush turns an incomplete run into one U+FFFD per byte. */
static void
test_flush_invalid (void)
{
  g_autoptr(RgDetokenizer) d = rg_detokenizer_new (tok);
  g_autofree char *a = feed (d, 22557);
  g_autofree char *b = feed (d, 243);
  g_autofree char *c = feed (d, 162);
  g_autofree char *e = rg_detokenizer_flush (d, NULL);
  g_autofree char *again = rg_detokenizer_flush (d, NULL);

  g_assert_cmpstr (a, ==, "Hello");
  g_assert_cmpstr (b, ==, "");
  g_assert_cmpstr (c, ==, "");
  g_assert_cmpstr (e, ==, "\xef\xbf\xbd\xef\xbf\xbd");
  g_assert_cmpstr (again, ==, "");
}

/* Special tokens add nothing and do not end a byte run (HF drops them
 * before the decoder). */
static void
test_special_inside_run (void)
{
  g_autoptr(RgDetokenizer) d = rg_detokenizer_new (tok);
  static const gint32 ids[] = { 198, 32002, 172, 2 };
  g_autoptr(GString) s = stream (d, ids, G_N_ELEMENTS (ids));

  g_assert_cmpstr (s->str, ==, "\xc3\xa9");
}

static void
test_reset (void)
{
  g_autoptr(RgDetokenizer) d = rg_detokenizer_new (tok);
  g_autofree char *a = feed (d, 22557);
  g_autofree char *b = feed (d, 243);
  g_autofree char *c = NULL;

  rg_detokenizer_reset (d);
  c = feed (d, 1526);
  g_assert_cmpstr (a, ==, "Hello");
  g_assert_cmpstr (b, ==, "");
  g_assert_cmpstr (c, ==, "world");
}

static void
test_golden_decode_cases (void)
{
  RgTextGolden g = { 0 };
  g_autoptr(GPtrArray) skip = NULL;

  rg_text_golden_load (&g);
  skip = rg_text_golden_raw_strings (&g, "skip_special");
  g_assert_cmpuint (skip->len, ==, json_array_get_length (g.decode_cases));
  for (guint i = 0; i < skip->len; i++)
    {
      g_autoptr(GArray) ids = rg_text_golden_ids (json_array_get_object_element (g.decode_cases, i), "ids");
      assert_stream_matches ((gint32 *) ids->data, ids->len, g_ptr_array_index (skip, i), "decode", i);
    }
  rg_text_golden_clear (&g);
}

static void
test_golden_encode_cases (void)
{
  RgTextGolden g = { 0 };
  g_autoptr(GPtrArray) skip = NULL;

  rg_text_golden_load (&g);
  skip = rg_text_golden_raw_strings (&g, "decode_skip_special");
  g_assert_cmpuint (skip->len, ==, 72);
  for (guint i = 0; i < skip->len; i++)
    {
      JsonObject *c = json_array_get_object_element (g.encode_cases, i);
      g_autoptr(GArray) ids = rg_text_golden_ids (c, "ids_with_bos");
      assert_stream_matches ((gint32 *) ids->data, ids->len, g_ptr_array_index (skip, i), "encode", i);
    }
  rg_text_golden_clear (&g);
}

/* Random id sequences, with many byte tokens: streaming == one-shot. */
static void
test_random_sequences (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (1234);

  for (guint round = 0; round < 2000; round++)
    {
      gint32 ids[24];
      guint n = (guint) g_rand_int_range (rand, 0, G_N_ELEMENTS (ids));
      g_autofree char *dec = NULL;
      g_autoptr(GBytes) want = NULL;
      gsize len;

      for (guint i = 0; i < n; i++)
        {
          switch (g_rand_int_range (rand, 0, 4))
            {
            case 0: ids[i] = g_rand_int_range (rand, 0, 32003); break;
            case 1: ids[i] = 28705; break;                                 /* ▁ */
            case 2: ids[i] = g_rand_int_range (rand, 32000, 32003); break;  /* special */
            default: ids[i] = g_rand_int_range (rand, 3, 259); break;       /* bytes */
            }
        }
      dec = rg_tokenizer_decode (tok, ids, n, TRUE, &len);
      want = g_bytes_new (dec, len);
      assert_stream_matches (ids, n, want, "random", round);
    }
}

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  tok = rg_text_golden_tokenizer ();

  g_test_add_func ("/engine/detokenizer/word-by-word", test_word_by_word);
  g_test_add_func ("/engine/detokenizer/leading-space-once", test_leading_space_once);
  g_test_add_func ("/engine/detokenizer/holds-byte-run", test_holds_byte_run);
  g_test_add_func ("/engine/detokenizer/flush-invalid", test_flush_invalid);
  g_test_add_func ("/engine/detokenizer/special-inside-run", test_special_inside_run);
  g_test_add_func ("/engine/detokenizer/reset", test_reset);
  g_test_add_func ("/engine/detokenizer/golden-decode-cases", test_golden_decode_cases);
  g_test_add_func ("/engine/detokenizer/golden-encode-cases", test_golden_encode_cases);
  g_test_add_func ("/engine/detokenizer/random-sequences", test_random_sequences);

  ret = g_test_run ();
  rg_tokenizer_free (tok);
  return ret;
}
