/* The LLaMA tokenizer with IDEFICS's added tokens (idefics1-tiny): every
 * golden encode case (ids, ids with BOS, tokens) and decode case (special
 * tokens kept and skipped), and the streaming detokenizer on all of them.
 * Nothing here is IDEFICS-specific code: it checks that the BPE tokenizer
 * reads this tokenizer.json (legacy layout: Prepend + Replace normalizer
 * per segment, no pre-tokenizer, byte fallback) exactly as HF does. */
#include "test-text-golden.h"

#include "rg-detokenizer.h"

static RgTokenizer *tok;

static void
test_load (void)
{
  g_assert_cmpuint (rg_tokenizer_get_vocab_size (tok), ==, 32003);
  g_assert_cmpint (rg_tokenizer_get_bos_id (tok), ==, 1);
  g_assert_cmpint (rg_tokenizer_token_to_id (tok, "<fake_token_around_image>"), ==, 32000);
  g_assert_cmpint (rg_tokenizer_token_to_id (tok, "<image>"), ==, 32001);
  g_assert_cmpint (rg_tokenizer_token_to_id (tok, "<end_of_utterance>"), ==, 32002);
  g_assert_true (rg_tokenizer_is_special (tok, 32002));
  g_assert_true (rg_tokenizer_is_special (tok, 2));
}

static void
check_decode (GArray *ids, gboolean skip, GBytes *want, const char *what, guint index)
{
  gsize len = 0;
  g_autofree char *got = rg_tokenizer_decode (tok, (gint32 *) ids->data, ids->len, skip, &len);
  gsize want_len;
  const char *w = g_bytes_get_data (want, &want_len);

  if (len != want_len || (len > 0 && memcmp (got, w, len) != 0))
    g_error ("%s case %u: decode (skip_special=%d) gave \"%s\", want \"%.*s\"",
             what, index, skip, got, (int) want_len, w);
}

/* The streamed deltas joined equal the whole decode with specials skipped. */
static void
check_stream (GArray *ids, const char *what, guint index)
{
  g_autoptr(RgDetokenizer) detok = rg_detokenizer_new (tok);
  g_autoptr(GString) joined = g_string_new (NULL);
  g_autofree char *whole = NULL, *tail = NULL;
  gsize whole_len = 0, tail_len = 0;

  for (guint i = 0; i < ids->len; i++)
    {
      gsize len = 0;
      g_autofree char *d = rg_detokenizer_feed (detok, g_array_index (ids, gint32, i), &len);

      g_string_append_len (joined, d, (gssize) len);
    }
  tail = rg_detokenizer_flush (detok, &tail_len);
  g_string_append_len (joined, tail, (gssize) tail_len);
  whole = rg_tokenizer_decode (tok, (gint32 *) ids->data, ids->len, TRUE, &whole_len);
  if (joined->len != whole_len || memcmp (joined->str, whole, whole_len) != 0)
    g_error ("%s case %u: streamed \"%s\", decoded \"%s\"", what, index, joined->str, whole);
}

static void
test_golden_encode (void)
{
  RgTextGolden g = { 0 };
  g_autoptr(GPtrArray) texts = NULL;
  guint n;

  rg_text_golden_load_from (&g, "idefics1-tiny/golden/tokenizer_cases.json");
  texts = rg_text_golden_raw_strings (&g, "text");
  n = json_array_get_length (g.encode_cases);
  g_assert_cmpuint (n, ==, 82);
  g_assert_cmpuint (texts->len, ==, n);
  for (guint i = 0; i < n; i++)
    {
      JsonObject *c = json_array_get_object_element (g.encode_cases, i);
      gsize text_len;
      const char *t = g_bytes_get_data (g_ptr_array_index (texts, i), &text_len);
      g_autoptr(GArray) want = rg_text_golden_ids (c, "ids");
      g_autoptr(GArray) want_bos = rg_text_golden_ids (c, "ids_with_bos");
      g_autoptr(GArray) got = g_array_new (FALSE, FALSE, sizeof (gint32));
      g_autoptr(GArray) got_bos = g_array_new (FALSE, FALSE, sizeof (gint32));
      JsonArray *tokens = json_object_get_array_member (c, "tokens");
      g_autoptr(GError) error = NULL;
      g_autofree char *g1 = NULL, *w1 = NULL, *g2 = NULL, *w2 = NULL;

      g_assert_true (strncmp (t, json_object_get_string_member (c, "text"), text_len) == 0 ||
                     memchr (t, 0, text_len) != NULL);
      g_assert_true (rg_tokenizer_encode (tok, t, (gssize) text_len, FALSE, got, &error));
      g_assert_no_error (error);
      g_assert_true (rg_tokenizer_encode (tok, t, (gssize) text_len, TRUE, got_bos, &error));
      g_assert_no_error (error);
      g1 = rg_text_ids_to_string ((gint32 *) got->data, got->len);
      w1 = rg_text_ids_to_string ((gint32 *) want->data, want->len);
      g2 = rg_text_ids_to_string ((gint32 *) got_bos->data, got_bos->len);
      w2 = rg_text_ids_to_string ((gint32 *) want_bos->data, want_bos->len);
      if (strcmp (g1, w1) != 0)
        g_error ("encode case %u (\"%s\"): got %s, want %s", i, t, g1, w1);
      if (strcmp (g2, w2) != 0)
        g_error ("encode case %u (\"%s\") with BOS: got %s, want %s", i, t, g2, w2);
      g_assert_cmpuint (json_array_get_length (tokens), ==, want->len);
      for (guint k = 0; k < want->len; k++)
        {
          const char *tk = rg_tokenizer_id_to_token (tok, g_array_index (got, gint32, k));
          const char *wtk = json_array_get_string_element (tokens, k);

          if (*wtk != '\0' && g_strcmp0 (tk, wtk) != 0)
            g_error ("encode case %u: token %u is \"%s\", want \"%s\"", i, k, tk, wtk);
        }
      check_stream (want_bos, "encode", i);
    }
  rg_text_golden_clear (&g);
}

static void
test_golden_decode (void)
{
  RgTextGolden g = { 0 };
  g_autoptr(GPtrArray) keep = NULL, skip = NULL;
  guint n;

  rg_text_golden_load_from (&g, "idefics1-tiny/golden/tokenizer_cases.json");
  keep = rg_text_golden_raw_strings (&g, "keep_special");
  skip = rg_text_golden_raw_strings (&g, "skip_special");
  n = json_array_get_length (g.decode_cases);
  g_assert_cmpuint (n, ==, 22);
  g_assert_cmpuint (keep->len, ==, n);
  g_assert_cmpuint (skip->len, ==, n);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GArray) ids = rg_text_golden_ids (json_array_get_object_element (g.decode_cases, i), "ids");

      check_decode (ids, FALSE, g_ptr_array_index (keep, i), "decode", i);
      check_decode (ids, TRUE, g_ptr_array_index (skip, i), "decode", i);
      check_stream (ids, "decode", i);
    }
  rg_text_golden_clear (&g);
}

/* P18: every segment after an added token starts with "▁". */
static void
test_segment_after_added_token (void)
{
  static const gint32 want[] = { 32002, 29871, 13, 7900, 22137, 29901 };
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autoptr(GError) error = NULL;

  g_assert_true (rg_tokenizer_encode (tok, "<end_of_utterance>\nAssistant:", -1, FALSE, ids, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (ids->data, ids->len * sizeof (gint32), want, sizeof want);
}

int
main (int argc, char **argv)
{
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);
  path = rg_test_fixture_path ("idefics1-tiny/tokenizer.json");
  tok = rg_tokenizer_new_from_file (path, &error);
  g_assert_no_error (error);

  g_test_add_func ("/engine/tokenizer/idefics1/load", test_load);
  g_test_add_func ("/engine/tokenizer/idefics1/golden/encode", test_golden_encode);
  g_test_add_func ("/engine/tokenizer/idefics1/golden/decode", test_golden_decode);
  g_test_add_func ("/engine/tokenizer/idefics1/segment-after-added-token", test_segment_after_added_token);
  ret = g_test_run ();
  rg_tokenizer_free (tok);
  return ret;
}
