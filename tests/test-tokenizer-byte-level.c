/* test-tokenizer-byte-level.c: the byte-level BPE mode (GPT-2 byte mapping,
 * Digits + ByteLevel pre-tokenizers, ByteLevel decoder) against HF
 * tokenizers' goldens of the smolvlm-tiny fixture, and its edge cases. */
#include "test-text-golden.h"

#include "rg-byte-level.h"
#include "rg-detokenizer.h"
#include "regard-engine.h"

static RgTokenizer *smol_tok;

static RgTokenizer *
load_smol (void)
{
  g_autofree char *path = rg_test_fixture_path ("smolvlm-tiny/tokenizer.json");
  g_autoptr(GError) error = NULL;
  RgTokenizer *tok = rg_tokenizer_new_from_file (path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (tok);
  return tok;
}

static void
check_decode (GArray *ids, gboolean skip, GBytes *want, const char *what, guint index)
{
  gsize len = 0;
  g_autofree char *got = rg_tokenizer_decode (smol_tok, (gint32 *) ids->data, ids->len, skip, &len);
  gsize want_len;
  const char *w = g_bytes_get_data (want, &want_len);

  if (len != want_len || (len > 0 && memcmp (got, w, len) != 0))
    g_error ("%s case %u: decode (skip_special=%d) gave \"%s\", want \"%.*s\"",
             what, index, skip, got, (int) want_len, w);
}

static void
test_load (void)
{
  g_assert_cmpuint (rg_tokenizer_get_vocab_size (smol_tok), ==, 49280);
  g_assert_cmpint (rg_tokenizer_get_bos_id (smol_tok), ==, -1);
  g_assert_cmpint (rg_tokenizer_token_to_id (smol_tok, "<image>"), ==, 49190);
  g_assert_cmpint (rg_tokenizer_token_to_id (smol_tok, "<end_of_utterance>"), ==, 49279);
  g_assert_true (rg_tokenizer_is_special (smol_tok, 49153));
  g_assert_false (rg_tokenizer_is_special (smol_tok, 198));
}

/* Every encode case: ids (with and without add_bos: nothing is added),
 * token strings, and both decodes of the ids. */
static void
test_golden_encode (void)
{
  RgTextGolden g = { 0 };
  g_autoptr(GPtrArray) texts = NULL, keep = NULL, skip = NULL;
  guint n;

  rg_text_golden_load_from (&g, "smolvlm-tiny/golden/tokenizer_cases.json");
  texts = rg_text_golden_raw_strings (&g, "text");
  keep = rg_text_golden_raw_strings (&g, "decode_keep_special");
  skip = rg_text_golden_raw_strings (&g, "decode_skip_special");
  n = json_array_get_length (g.encode_cases);
  g_assert_cmpuint (n, ==, 74);
  g_assert_cmpuint (texts->len, ==, n);
  g_assert_cmpuint (keep->len, ==, n);
  g_assert_cmpuint (skip->len, ==, n);

  for (guint i = 0; i < n; i++)
    {
      JsonObject *c = json_array_get_object_element (g.encode_cases, i);
      gsize text_len;
      const char *t = g_bytes_get_data (g_ptr_array_index (texts, i), &text_len);
      g_autoptr(GArray) want = rg_text_golden_ids (c, "ids");
      g_autoptr(GArray) want_special = rg_text_golden_ids (c, "ids_with_special");
      g_autoptr(GArray) got = g_array_new (FALSE, FALSE, sizeof (gint32));
      g_autoptr(GArray) got_bos = g_array_new (FALSE, FALSE, sizeof (gint32));
      g_autoptr(GError) error = NULL;
      JsonArray *tokens = json_object_get_array_member (c, "tokens");
      g_autofree char *g1 = NULL, *w1 = NULL, *g2 = NULL, *w2 = NULL;

      g_assert_cmpstr (t, ==, json_object_get_string_member (c, "text"));
      g_assert_true (rg_tokenizer_encode (smol_tok, t, (gssize) text_len, FALSE, got, &error));
      g_assert_no_error (error);
      g_assert_true (rg_tokenizer_encode (smol_tok, t, (gssize) text_len, TRUE, got_bos, &error));
      g1 = rg_text_ids_to_string ((gint32 *) got->data, got->len);
      w1 = rg_text_ids_to_string ((gint32 *) want->data, want->len);
      g2 = rg_text_ids_to_string ((gint32 *) got_bos->data, got_bos->len);
      w2 = rg_text_ids_to_string ((gint32 *) want_special->data, want_special->len);
      if (strcmp (g1, w1) != 0)
        g_error ("encode case %u (\"%s\"): got %s, want %s", i, t, g1, w1);
      if (strcmp (g2, w2) != 0)
        g_error ("encode case %u (\"%s\") with add_bos: got %s, want %s", i, t, g2, w2);

      g_assert_cmpuint (json_array_get_length (tokens), ==, want->len);
      for (guint k = 0; k < want->len; k++)
        {
          const char *tk = rg_tokenizer_id_to_token (smol_tok, g_array_index (got, gint32, k));
          const char *wtk = json_array_get_string_element (tokens, k);
          if (g_strcmp0 (tk, wtk) != 0)
            g_error ("encode case %u: token %u is \"%s\", want \"%s\"", i, k, tk, wtk);
        }

      check_decode (want, FALSE, g_ptr_array_index (keep, i), "encode", i);
      check_decode (want, TRUE, g_ptr_array_index (skip, i), "encode", i);
    }
  rg_text_golden_clear (&g);
}

static void
test_golden_decode (void)
{
  RgTextGolden g = { 0 };
  g_autoptr(GPtrArray) keep = NULL, skip = NULL;
  guint n;

  rg_text_golden_load_from (&g, "smolvlm-tiny/golden/tokenizer_cases.json");
  keep = rg_text_golden_raw_strings (&g, "keep_special");
  skip = rg_text_golden_raw_strings (&g, "skip_special");
  n = json_array_get_length (g.decode_cases);
  g_assert_cmpuint (n, ==, 11);
  g_assert_cmpuint (keep->len, ==, n);
  g_assert_cmpuint (skip->len, ==, n);
  for (guint i = 0; i < n; i++)
    {
      JsonObject *c = json_array_get_object_element (g.decode_cases, i);
      g_autoptr(GArray) ids = rg_text_golden_ids (c, "ids");

      check_decode (ids, FALSE, g_ptr_array_index (keep, i), "decode", i);
      check_decode (ids, TRUE, g_ptr_array_index (skip, i), "decode", i);
    }
  rg_text_golden_clear (&g);
}

/* ---- the pre-tokenizer on its own ---------------------------------------- */

static void
collect (const char *start, gsize len, gpointer user_data)
{
  g_ptr_array_add (user_data, g_strndup (start, len));
}

static char *
split (const char *text, RgDigitsMode mode, gboolean use_regex)
{
  g_autoptr(GPtrArray) words = g_ptr_array_new_with_free_func (g_free);

  rg_byte_level_split (text, strlen (text), mode, use_regex, collect, words);
  g_ptr_array_add (words, NULL);
  return g_strjoinv ("|", (char **) words->pdata);
}

#define ASSERT_SPLIT(text, mode, regex, want)                   \
  G_STMT_START {                                                \
    g_autofree char *got_ = split (text, mode, regex);          \
    g_assert_cmpstr (got_, ==, want);                           \
  } G_STMT_END

static void
test_split_regex (void)
{
  ASSERT_SPLIT ("Hello, world!", RG_DIGITS_NONE, TRUE, "Hello|,| world|!");
  ASSERT_SPLIT ("it's we'll 'S", RG_DIGITS_NONE, TRUE, "it|'s| we|'ll| '|S");
  /* \s+(?!\S) leaves the last space for the next word... */
  ASSERT_SPLIT ("a   b", RG_DIGITS_NONE, TRUE, "a|  | b");
  /* ...except at the end, and a lone tab stays whole before a letter. */
  ASSERT_SPLIT ("a  ", RG_DIGITS_NONE, TRUE, "a|  ");
  ASSERT_SPLIT ("\tb", RG_DIGITS_NONE, TRUE, "\t|b");
  ASSERT_SPLIT ("x +=1", RG_DIGITS_NONE, TRUE, "x| +=|1");
  ASSERT_SPLIT ("ab 12", RG_DIGITS_NONE, FALSE, "ab 12");
}

static void
test_split_digits (void)
{
  ASSERT_SPLIT ("Room 101", RG_DIGITS_INDIVIDUAL, TRUE, "Room| |1|0|1");
  ASSERT_SPLIT ("Room 101", RG_DIGITS_CONTIGUOUS, TRUE, "Room| |101");
  ASSERT_SPLIT ("Room 101", RG_DIGITS_NONE, TRUE, "Room| 101");
  /* Digits is char::is_numeric: every N* category, not just ASCII. */
  ASSERT_SPLIT ("x\xc2\xb2y", RG_DIGITS_INDIVIDUAL, TRUE, "x|\xc2\xb2|y");
}

static void
test_lossy_utf8 (void)
{
  static const struct { const char *in; gsize len; const char *want; } cases[] = {
    { "ab", 2, "ab" },
    { "\xe2\x82", 2, "\xef\xbf\xbd" },                       /* truncated: one U+FFFD */
    { "\xe2\x82x", 3, "\xef\xbf\xbdx" },
    { "\x80\x80", 2, "\xef\xbf\xbd\xef\xbf\xbd" },           /* stray continuations */
    { "\xed\xa0\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" }, /* surrogate */
    { "\xf0\x9f\x91\x8d", 4, "\xf0\x9f\x91\x8d" },
    { "a\0b", 3, "a\0b" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GString) out = g_string_new (NULL);
      gsize want_len = i == G_N_ELEMENTS (cases) - 1 ? 3 : strlen (cases[i].want);

      rg_utf8_append_lossy (out, (const guint8 *) cases[i].in, cases[i].len);
      g_assert_cmpmem (out->str, out->len, cases[i].want, want_len);
    }
}

/* A byte token decoding to NUL keeps its byte. */
static void
test_decode_nul_byte (void)
{
  gint32 id = rg_tokenizer_token_to_id (smol_tok, "\xc4\x80");  /* Ā = byte 0 */
  gsize len = 0;
  g_autofree char *s = NULL;

  g_assert_cmpint (id, >=, 0);
  s = rg_tokenizer_decode (smol_tok, &id, 1, FALSE, &len);
  g_assert_cmpuint (len, ==, 1);
  g_assert_cmpint (s[0], ==, 0);
}

/* ---- streaming ----------------------------------------------------------- */

/* Feeds IDS one at a time; every delta is valid UTF-8 and the deltas join
 * to the skip-special decode. */
static void
check_stream (GArray *ids, const char *what, guint index)
{
  g_autoptr(RgDetokenizer) detok = rg_detokenizer_new (smol_tok);
  g_autoptr(GString) joined = g_string_new (NULL);
  g_autofree char *want = NULL;
  g_autofree char *tail = NULL;
  gsize want_len = 0, len = 0;

  for (guint i = 0; i < ids->len; i++)
    {
      g_autofree char *d = rg_detokenizer_feed (detok, g_array_index (ids, gint32, i), &len);
      if (!g_utf8_validate_len (d, len, NULL) && memchr (d, 0, len) == NULL)
        g_error ("%s case %u: delta %u is not valid UTF-8", what, index, i);
      g_string_append_len (joined, d, (gssize) len);
    }
  tail = rg_detokenizer_flush (detok, &len);
  g_string_append_len (joined, tail, (gssize) len);
  want = rg_tokenizer_decode (smol_tok, (gint32 *) ids->data, ids->len, TRUE, &want_len);
  if (joined->len != want_len || memcmp (joined->str, want, want_len) != 0)
    g_error ("%s case %u: streamed \"%s\", want \"%s\"", what, index, joined->str, want);
}

static void
test_stream_golden (void)
{
  RgTextGolden g = { 0 };

  rg_text_golden_load_from (&g, "smolvlm-tiny/golden/tokenizer_cases.json");
  for (guint i = 0; i < json_array_get_length (g.encode_cases); i++)
    {
      g_autoptr(GArray) ids = rg_text_golden_ids (json_array_get_object_element (g.encode_cases, i), "ids");
      check_stream (ids, "encode", i);
    }
  for (guint i = 0; i < json_array_get_length (g.decode_cases); i++)
    {
      g_autoptr(GArray) ids = rg_text_golden_ids (json_array_get_object_element (g.decode_cases, i), "ids");
      check_stream (ids, "decode", i);
    }
  rg_text_golden_clear (&g);
}

/* 👍 is split over byte tokens: nothing comes out until it is complete. */
static void
test_stream_holds_partial (void)
{
  g_autoptr(RgDetokenizer) detok = rg_detokenizer_new (smol_tok);
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autoptr(GString) joined = g_string_new (NULL);

  g_assert_true (rg_tokenizer_encode (smol_tok, "\xf0\x9f\x91\x8d!", -1, FALSE, ids, NULL));
  g_assert_cmpuint (ids->len, >, 2);
  for (guint i = 0; i < ids->len; i++)
    {
      g_autofree char *d = rg_detokenizer_feed (detok, g_array_index (ids, gint32, i), NULL);
      if (i + 1 < ids->len - 1)
        g_assert_cmpstr (d, ==, "");
      g_string_append (joined, d);
    }
  g_assert_cmpstr (joined->str, ==, "\xf0\x9f\x91\x8d!");
}

/* ---- refused layouts ------------------------------------------------------ */

static const char mini_bl[] =
  "{\"added_tokens\": [],"
  " \"normalizer\": null,"
  " \"pre_tokenizer\": {\"type\": \"Sequence\", \"pretokenizers\": ["
  "  {\"type\": \"Digits\", \"individual_digits\": true},"
  "  {\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": true, \"use_regex\": true}]},"
  " \"post_processor\": null,"
  " \"decoder\": {\"type\": \"ByteLevel\", \"add_prefix_space\": true, \"trim_offsets\": true, \"use_regex\": true},"
  " \"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1, \"ab\": 2, \"\xc4\xa0\": 3, \"1\": 4},"
  "  \"merges\": [\"a b\"]}}";

static RgTokenizer *
load_mini (const char *from, const char *to, GError **error)
{
  const char *at = from ? strstr (mini_bl, from) : NULL;
  g_autofree char *json = NULL;

  if (from)
    g_assert_nonnull (at);
  json = from ? g_strdup_printf ("%.*s%s%s", (int) (at - mini_bl), mini_bl, to, at + strlen (from))
              : g_strdup (mini_bl);
  return rg_tokenizer_new_from_data (json, strlen (json), "tokenizer.json", error);
}

static void
test_mini (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RgTokenizer) tok = load_mini (NULL, NULL, &error);
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  static const gint32 want[] = { 2, 3, 4, 4 };

  g_assert_no_error (error);
  g_assert_true (rg_tokenizer_encode (tok, "ab 11", -1, TRUE, ids, &error));
  g_assert_cmpmem (ids->data, ids->len * sizeof (gint32), want, sizeof want);
}

static void
test_refused (void)
{
  static const struct { const char *from, *to; int code; } cases[] = {
    { "\"add_prefix_space\": false", "\"add_prefix_space\": true", REGARD_ERROR_UNSUPPORTED },
    { "\"add_prefix_space\": false,", "", REGARD_ERROR_UNSUPPORTED },
    { "\"normalizer\": null", "\"normalizer\": {\"type\": \"NFC\"}", REGARD_ERROR_UNSUPPORTED },
    { "{\"type\": \"Digits\", \"individual_digits\": true}", "{\"type\": \"Punctuation\"}", REGARD_ERROR_UNSUPPORTED },
    { "\"individual_digits\": true", "\"individual_digits\": 1", REGARD_ERROR_INVALID_MODEL },
    { "\"use_regex\": true}]", "\"use_regex\": \"yes\"}]", REGARD_ERROR_INVALID_MODEL },
    { "\"pretokenizers\": [", "\"pretokenizers\": 1, \"x\": [", REGARD_ERROR_INVALID_MODEL },
    { "\"pre_tokenizer\": {", "\"pre_tokenizer\": 3, \"y\": {", REGARD_ERROR_INVALID_MODEL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(RgTokenizer) tok = load_mini (cases[i].from, cases[i].to, &error);

      if (tok != NULL)
        g_error ("case %u was accepted", i);
      if (!g_error_matches (error, REGARD_ERROR, cases[i].code))
        g_error ("case %u: wrong error: %s", i, error->message);
      g_assert_nonnull (strstr (error->message, "tokenizer.json"));
    }
}

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  smol_tok = load_smol ();

  g_test_add_func ("/engine/tokenizer/byte-level/load", test_load);
  g_test_add_func ("/engine/tokenizer/byte-level/golden/encode", test_golden_encode);
  g_test_add_func ("/engine/tokenizer/byte-level/golden/decode", test_golden_decode);
  g_test_add_func ("/engine/tokenizer/byte-level/split/regex", test_split_regex);
  g_test_add_func ("/engine/tokenizer/byte-level/split/digits", test_split_digits);
  g_test_add_func ("/engine/tokenizer/byte-level/decode/lossy-utf8", test_lossy_utf8);
  g_test_add_func ("/engine/tokenizer/byte-level/decode/nul-byte", test_decode_nul_byte);
  g_test_add_func ("/engine/detokenizer/byte-level/golden-cases", test_stream_golden);
  g_test_add_func ("/engine/detokenizer/byte-level/holds-partial", test_stream_holds_partial);
  g_test_add_func ("/engine/tokenizer/byte-level/mini", test_mini);
  g_test_add_func ("/engine/tokenizer/byte-level/refused", test_refused);

  ret = g_test_run ();
  rg_tokenizer_free (smol_tok);
  return ret;
}
