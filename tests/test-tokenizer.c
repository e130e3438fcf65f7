/* test-tokenizer.c: tokenizer.json loading, BPE encoding and decoding
 * against HF tokenizers' goldens, and hostile tokenizer files. */
#include "test-text-golden.h"

#include "regard-engine.h"

static RgTokenizer *fixture_tok;

/* A small valid tokenizer.json: ids 0..7 in the vocab, <x> added as 8. */
static const char mini_json[] =
  "{\"version\": \"1.0\","
  " \"added_tokens\": ["
  "  {\"id\": 0, \"content\": \"<unk>\", \"special\": true, \"normalized\": false},"
  "  {\"id\": 1, \"content\": \"<s>\", \"special\": true},"
  "  {\"id\": 8, \"content\": \"<x>\", \"special\": true}],"
  " \"normalizer\": {\"type\": \"Sequence\", \"normalizers\": ["
  "  {\"type\": \"Prepend\", \"prepend\": \"\xe2\x96\x81\"},"
  "  {\"type\": \"Replace\", \"pattern\": {\"String\": \" \"}, \"content\": \"\xe2\x96\x81\"}]},"
  " \"pre_tokenizer\": null,"
  " \"post_processor\": {\"type\": \"TemplateProcessing\","
  "  \"single\": [{\"SpecialToken\": {\"id\": \"<s>\", \"type_id\": 0}}, {\"Sequence\": {\"id\": \"A\", \"type_id\": 0}}],"
  "  \"special_tokens\": {\"<s>\": {\"id\": \"<s>\", \"ids\": [1], \"tokens\": [\"<s>\"]}}},"
  " \"decoder\": {\"type\": \"Sequence\", \"decoders\": ["
  "  {\"type\": \"Replace\", \"pattern\": {\"String\": \"\xe2\x96\x81\"}, \"content\": \" \"},"
  "  {\"type\": \"ByteFallback\"}, {\"type\": \"Fuse\"},"
  "  {\"type\": \"Strip\", \"content\": \" \", \"start\": 1, \"stop\": 0}]},"
  " \"model\": {\"type\": \"BPE\", \"dropout\": null, \"unk_token\": \"<unk>\","
  "  \"continuing_subword_prefix\": null, \"end_of_word_suffix\": null,"
  "  \"fuse_unk\": true, \"byte_fallback\": true,"
  "  \"vocab\": {\"<unk>\": 0, \"<s>\": 1, \"\xe2\x96\x81\": 2, \"a\": 3, \"b\": 4, \"ab\": 5,"
  "            \"\xe2\x96\x81" "ab\": 6, \"<0x0A>\": 7},"
  "  \"merges\": [\"a b\", \"\xe2\x96\x81 ab\"]}}";

static RgTokenizer *
load_string (const char *json, GError **error)
{
  return rg_tokenizer_new_from_data (json, strlen (json), "tokenizer.json", error);
}

/* mini_json with the first occurrence of FROM replaced by TO. */
static char *
mini_with (const char *from, const char *to)
{
  const char *at = strstr (mini_json, from);

  g_assert_nonnull (at);
  return g_strdup_printf ("%.*s%s%s", (int) (at - mini_json), mini_json, to, at + strlen (from));
}

static GArray *
encode (const RgTokenizer *tok, const char *text, gboolean bos)
{
  g_autoptr(GError) error = NULL;
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint32));

  g_assert_true (rg_tokenizer_encode (tok, text, -1, bos, ids, &error));
  g_assert_no_error (error);
  return ids;
}

static void
assert_ids (GArray *got, const gint32 *want, gsize n)
{
  g_autofree char *g = rg_text_ids_to_string ((const gint32 *) got->data, got->len);
  g_autofree char *w = rg_text_ids_to_string (want, n);

  g_assert_cmpstr (g, ==, w);
}

#define ASSERT_ENCODE(tok, text, bos, ...)                           \
  G_STMT_START {                                                     \
    static const gint32 want_[] = { __VA_ARGS__ };                   \
    g_autoptr(GArray) got_ = encode (tok, text, bos);                \
    assert_ids (got_, want_, G_N_ELEMENTS (want_));                  \
  } G_STMT_END

static char *
decode (const RgTokenizer *tok, const gint32 *ids, gsize n, gboolean skip)
{
  gsize len = 0;
  char *s = rg_tokenizer_decode (tok, ids, n, skip, &len);

  g_assert_cmpuint (strlen (s), ==, len);
  return s;
}

/* ---- the real fixture -------------------------------------------------- */

static void
test_load_fixture (void)
{
  g_assert_cmpuint (rg_tokenizer_get_vocab_size (fixture_tok), ==, 32003);
  g_assert_cmpint (rg_tokenizer_get_bos_id (fixture_tok), ==, 1);
  g_assert_cmpint (rg_tokenizer_get_unk_id (fixture_tok), ==, 0);
  g_assert_cmpint (rg_tokenizer_token_to_id (fixture_tok, "<image>"), ==, 32001);
  g_assert_cmpint (rg_tokenizer_token_to_id (fixture_tok, "<fake_token_around_image>"), ==, 32000);
  g_assert_cmpint (rg_tokenizer_token_to_id (fixture_tok, "<end_of_utterance>"), ==, 32002);
  g_assert_cmpint (rg_tokenizer_token_to_id (fixture_tok, "<0x0A>"), ==, 13);
  g_assert_cmpint (rg_tokenizer_token_to_id (fixture_tok, "no such token"), ==, -1);
  g_assert_cmpstr (rg_tokenizer_id_to_token (fixture_tok, 32002), ==, "<end_of_utterance>");
  g_assert_cmpstr (rg_tokenizer_id_to_token (fixture_tok, 22557), ==, "\xe2\x96\x81Hello");
  g_assert_null (rg_tokenizer_id_to_token (fixture_tok, 32003));
  g_assert_null (rg_tokenizer_id_to_token (fixture_tok, -1));
  g_assert_true (rg_tokenizer_is_special (fixture_tok, 32001));
  g_assert_true (rg_tokenizer_is_special (fixture_tok, 0));
  g_assert_false (rg_tokenizer_is_special (fixture_tok, 22557));
  g_assert_cmpint (rg_tokenizer_id_to_byte (fixture_tok, 13), ==, 0x0A);
  g_assert_cmpint (rg_tokenizer_id_to_byte (fixture_tok, 22557), ==, -1);
}

static void
test_encode_basic (void)
{
  ASSERT_ENCODE (fixture_tok, "Hello world!", FALSE, 22557, 1526, 28808);
  ASSERT_ENCODE (fixture_tok, "Hello world!", TRUE, 1, 22557, 1526, 28808);
}

static void
test_encode_empty (void)
{
  g_autoptr(GArray) none = encode (fixture_tok, "", FALSE);

  g_assert_cmpuint (none->len, ==, 0);
  ASSERT_ENCODE (fixture_tok, "", TRUE, 1);
}

/* Every segment between added tokens gets its own ▁ (legacy normalizer). */
static void
test_encode_segment_prefix (void)
{
  ASSERT_ENCODE (fixture_tok, "User:<image>Describe this image.<end_of_utterance>\nAssistant:", FALSE,
                 1247, 28747, 32001, 27984, 456, 3469, 28723, 32002, 28705, 13, 7226, 11143, 28747);
  ASSERT_ENCODE (fixture_tok, "<s>literal special</s> tokens <unk>", FALSE,
                 1, 20819, 2841, 2, 28705, 16246, 28705, 0);
}

/* Near-misses of added tokens are plain text. */
static void
test_encode_added_near_miss (void)
{
  ASSERT_ENCODE (fixture_tok, "<image >not special <imag <image", FALSE,
                 523, 4075, 876, 1478, 2841, 523, 25069, 523, 4075);
}

static void
test_encode_byte_fallback (void)
{
  ASSERT_ENCODE (fixture_tok, "\xf0\x9f\xa6\x99\xf0\x9f\xa6\x99", FALSE,
                 28705, 243, 162, 169, 156, 243, 162, 169, 156);
  ASSERT_ENCODE (fixture_tok, "\n\n\n", FALSE, 28705, 13, 13, 13);
}

/* Whitespace merges are last in the merge list: the rank order matters. */
static void
test_encode_whitespace_runs (void)
{
  ASSERT_ENCODE (fixture_tok, "   ", FALSE, 260);
  ASSERT_ENCODE (fixture_tok, "                                                            64 spaces before", FALSE,
                 359, 359, 359, 569, 28784, 28781, 10599, 1159);
}

/* U+0000 inside the text is a character like any other. */
static void
test_encode_embedded_nul (void)
{
  static const char text[] = "\0\x01";
  static const gint32 want[] = { 28705, 3, 29534 };
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autoptr(GError) error = NULL;

  g_assert_true (rg_tokenizer_encode (fixture_tok, text, 2, FALSE, ids, &error));
  assert_ids (ids, want, G_N_ELEMENTS (want));
}

static void
test_encode_invalid_utf8 (void)
{
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autoptr(GError) error = NULL;

  g_assert_false (rg_tokenizer_encode (fixture_tok, "ab\xff", -1, FALSE, ids, &error));
  g_assert_error (error, REGARD_ERROR, REGARD_ERROR_FAILED);
  g_assert_cmpuint (ids->len, ==, 0);
}

/* 200k characters in one BPE word must stay fast (no cubic merge loop). */
static void
test_encode_long_word (void)
{
  g_autofree char *text = g_strnfill (200000, 'a');
  g_autofree char *spaces = g_strnfill (100000, ' ');
  gint64 t0 = g_get_monotonic_time ();
  g_autoptr(GArray) ids = encode (fixture_tok, text, FALSE);
  g_autoptr(GArray) ids2 = encode (fixture_tok, spaces, FALSE);
  g_autofree char *back = decode (fixture_tok, (gint32 *) ids->data, ids->len, TRUE);
  g_autofree char *back2 = decode (fixture_tok, (gint32 *) ids2->data, ids2->len, TRUE);

  g_assert_cmpstr (back, ==, text);
  g_assert_cmpstr (back2, ==, spaces);
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 10 * G_USEC_PER_SEC);
}

static void
test_decode_strip_one_space (void)
{
  static const gint32 one[] = { 28705 }, three[] = { 28705, 28705, 28705 };
  static const gint32 bos_first[] = { 1, 22557 };
  g_autofree char *a = decode (fixture_tok, one, 1, FALSE);
  g_autofree char *b = decode (fixture_tok, three, 3, FALSE);
  g_autofree char *c = decode (fixture_tok, bos_first, 2, FALSE);
  g_autofree char *d = decode (fixture_tok, bos_first, 2, TRUE);

  g_assert_cmpstr (a, ==, "");
  g_assert_cmpstr (b, ==, "  ");
  g_assert_cmpstr (c, ==, "<s> Hello");
  g_assert_cmpstr (d, ==, "Hello");
}

/* HF ByteFallback: a run that is not valid UTF-8 as a whole becomes one
 * U+FFFD per byte, even when a prefix of it is valid. */
static void
test_decode_byte_fallback (void)
{
  static const gint32 valid[] = { 198, 172 }, swapped[] = { 172, 198 };
  static const gint32 partial[] = { 198, 172, 198 }, cut[] = { 22557, 243, 162, 1526 };
  g_autofree char *a = decode (fixture_tok, valid, 2, FALSE);
  g_autofree char *b = decode (fixture_tok, swapped, 2, FALSE);
  g_autofree char *c = decode (fixture_tok, partial, 3, FALSE);
  g_autofree char *d = decode (fixture_tok, cut, 4, FALSE);

  g_assert_cmpstr (a, ==, "\xc3\xa9");
  g_assert_cmpstr (b, ==, "\xef\xbf\xbd\xef\xbf\xbd");
  g_assert_cmpstr (c, ==, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
  g_assert_cmpstr (d, ==, "Hello\xef\xbf\xbd\xef\xbf\xbd world");
}

static void
test_decode_skip_special (void)
{
  static const gint32 ids[] = { 32000, 32001, 32001, 32000, 27984 };
  static const gint32 unknown[] = { 22557, 40000, -5, 1526 };
  g_autofree char *keep = decode (fixture_tok, ids, G_N_ELEMENTS (ids), FALSE);
  g_autofree char *skip = decode (fixture_tok, ids, G_N_ELEMENTS (ids), TRUE);
  g_autofree char *unk = decode (fixture_tok, unknown, G_N_ELEMENTS (unknown), FALSE);

  g_assert_cmpstr (keep, ==, "<fake_token_around_image><image><image><fake_token_around_image> Describe");
  g_assert_cmpstr (skip, ==, "Describe");
  g_assert_cmpstr (unk, ==, "Hello world");
}

/* ---- every golden case -------------------------------------------------- */

static void
check_decode (const RgTokenizer *tok, GArray *ids, gboolean skip, GBytes *want,
              const char *what, guint index)
{
  gsize len = 0;
  g_autofree char *got = rg_tokenizer_decode (tok, (gint32 *) ids->data, ids->len, skip, &len);
  gsize want_len;
  const char *w = g_bytes_get_data (want, &want_len);

  if (len != want_len || (len > 0 && memcmp (got, w, len) != 0))
    g_error ("%s case %u: decode (skip_special=%d) gave \"%s\", want \"%.*s\"",
             what, index, skip, got, (int) want_len, w);
}

static void
test_golden_encode (void)
{
  RgTextGolden g = { 0 };
  g_autoptr(GPtrArray) texts = NULL, keep = NULL, skip = NULL;
  guint n;

  rg_text_golden_load (&g);
  texts = rg_text_golden_raw_strings (&g, "text");
  keep = rg_text_golden_raw_strings (&g, "decode_keep_special");
  skip = rg_text_golden_raw_strings (&g, "decode_skip_special");
  n = json_array_get_length (g.encode_cases);
  g_assert_cmpuint (n, ==, 72);
  g_assert_cmpuint (texts->len, ==, n);
  g_assert_cmpuint (keep->len, ==, n);
  g_assert_cmpuint (skip->len, ==, n);

  for (guint i = 0; i < n; i++)
    {
      JsonObject *c = json_array_get_object_element (g.encode_cases, i);
      GBytes *text = g_ptr_array_index (texts, i);
      gsize text_len;
      const char *t = g_bytes_get_data (text, &text_len);
      g_autoptr(GArray) want = rg_text_golden_ids (c, "ids");
      g_autoptr(GArray) want_bos = rg_text_golden_ids (c, "ids_with_bos");
      g_autoptr(GArray) got = g_array_new (FALSE, FALSE, sizeof (gint32));
      g_autoptr(GArray) got_bos = g_array_new (FALSE, FALSE, sizeof (gint32));
      g_autoptr(GError) error = NULL;
      JsonArray *tokens = json_object_get_array_member (c, "tokens");
      g_autofree char *g1 = NULL, *w1 = NULL, *g2 = NULL, *w2 = NULL;

      /* The raw reader and json-glib agree up to json-glib's NUL cut. */
      g_assert_true (strncmp (t, json_object_get_string_member (c, "text"), text_len) == 0 ||
                     memchr (t, 0, text_len) != NULL);

      g_assert_true (rg_tokenizer_encode (fixture_tok, t, (gssize) text_len, FALSE, got, &error));
      g_assert_no_error (error);
      g_assert_true (rg_tokenizer_encode (fixture_tok, t, (gssize) text_len, TRUE, got_bos, &error));
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
          const char *tk = rg_tokenizer_id_to_token (fixture_tok, g_array_index (got, gint32, k));
          const char *wtk = json_array_get_string_element (tokens, k);
          /* json-glib cuts "\u0000"; only compare tokens it keeps whole. */
          if (*wtk != '\0' && g_strcmp0 (tk, wtk) != 0)
            g_error ("encode case %u: token %u is \"%s\", want \"%s\"", i, k, tk, wtk);
        }

      check_decode (fixture_tok, want_bos, FALSE, g_ptr_array_index (keep, i), "encode", i);
      check_decode (fixture_tok, want_bos, TRUE, g_ptr_array_index (skip, i), "encode", i);
    }
  rg_text_golden_clear (&g);
}

static void
test_golden_decode (void)
{
  RgTextGolden g = { 0 };
  g_autoptr(GPtrArray) keep = NULL, skip = NULL;
  guint n;

  rg_text_golden_load (&g);
  keep = rg_text_golden_raw_strings (&g, "keep_special");
  skip = rg_text_golden_raw_strings (&g, "skip_special");
  n = json_array_get_length (g.decode_cases);
  g_assert_cmpuint (n, ==, 23);
  g_assert_cmpuint (keep->len, ==, n);
  g_assert_cmpuint (skip->len, ==, n);
  for (guint i = 0; i < n; i++)
    {
      JsonObject *c = json_array_get_object_element (g.decode_cases, i);
      g_autoptr(GArray) ids = rg_text_golden_ids (c, "ids");

      check_decode (fixture_tok, ids, FALSE, g_ptr_array_index (keep, i), "decode", i);
      check_decode (fixture_tok, ids, TRUE, g_ptr_array_index (skip, i), "decode", i);
    }
  rg_text_golden_clear (&g);
}

/* ---- the small hand-written tokenizer ------------------------------------ */

static void
test_mini_encode (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RgTokenizer) tok = load_string (mini_json, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (rg_tokenizer_get_vocab_size (tok), ==, 9);
  ASSERT_ENCODE (tok, "ab ab", TRUE, 1, 6, 6);
  ASSERT_ENCODE (tok, "ab<x>ab", FALSE, 6, 8, 6);
  /* No <0x63>: 'c' is unknown, and consecutive unknowns fuse into one. */
  ASSERT_ENCODE (tok, "cc\n", FALSE, 2, 0, 7);
}

static void
test_mini_merges_array_form (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *json = mini_with ("[\"a b\", \"\xe2\x96\x81 ab\"]",
                                     "[[\"a\", \"b\"], [\"\xe2\x96\x81\", \"ab\"]]");
  g_autoptr(RgTokenizer) tok = load_string (json, &error);

  g_assert_no_error (error);
  ASSERT_ENCODE (tok, "ab ab", FALSE, 6, 6);
}

/* Lowest rank first: with "▁ a" ranked before "a b", "▁ab" cannot form. */
static void
test_mini_merge_rank (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *json = mini_with ("\"<0x0A>\": 7}", "\"<0x0A>\": 7, \"\xe2\x96\x81" "a\": 8}");
  g_autofree char *json2 = NULL;
  g_autoptr(RgTokenizer) tok = NULL;

  json2 = g_strdup (json);
  {
    g_autofree char *tmp = json2;
    const char *from = "[\"a b\", ";
    const char *at = strstr (tmp, from);
    g_assert_nonnull (at);
    json2 = g_strdup_printf ("%.*s[\"\xe2\x96\x81 a\", \"a b\", %s", (int) (at - tmp), tmp, at + strlen (from));
  }
  /* <x> moves to id 9 so it does not collide with the new vocab entry. */
  {
    g_autofree char *tmp = json2;
    const char *from = "\"id\": 8";
    const char *at = strstr (tmp, from);
    json2 = g_strdup_printf ("%.*s\"id\": 9%s", (int) (at - tmp), tmp, at + strlen (from));
  }
  tok = load_string (json2, &error);
  g_assert_no_error (error);
  ASSERT_ENCODE (tok, "ab", FALSE, 8, 4);
}

typedef struct
{
  const char *name;
  const char *from;
  const char *to;
  int code;
} Hostile;

static const Hostile hostile_cases[] = {
  { "model-type", "\"type\": \"BPE\"", "\"type\": \"Unigram\"", REGARD_ERROR_UNSUPPORTED },
  { "model-type-missing", "\"type\": \"BPE\",", "", REGARD_ERROR_INVALID_MODEL },
  { "model-type-number", "\"type\": \"BPE\"", "\"type\": 3", REGARD_ERROR_INVALID_MODEL },
  { "vocab-not-object", "\"vocab\": {", "\"vocab\": 1, \"x\": {", REGARD_ERROR_INVALID_MODEL },
  { "vocab-id-range", "\"<0x0A>\": 7", "\"<0x0A>\": 70", REGARD_ERROR_INVALID_MODEL },
  { "vocab-id-negative", "\"<0x0A>\": 7", "\"<0x0A>\": -1", REGARD_ERROR_INVALID_MODEL },
  { "vocab-id-duplicate", "\"<0x0A>\": 7", "\"<0x0A>\": 6", REGARD_ERROR_INVALID_MODEL },
  { "vocab-id-string", "\"<0x0A>\": 7", "\"<0x0A>\": \"7\"", REGARD_ERROR_INVALID_MODEL },
  { "vocab-id-float", "\"<0x0A>\": 7", "\"<0x0A>\": 7.5", REGARD_ERROR_INVALID_MODEL },
  { "vocab-empty", "\"vocab\": {", "\"vocab\": {}, \"y\": {", REGARD_ERROR_INVALID_MODEL },
  { "merges-not-array", "\"merges\": [\"a b\", \"\xe2\x96\x81 ab\"]", "\"merges\": \"a b\"", REGARD_ERROR_INVALID_MODEL },
  { "merge-unknown-part", "\"a b\"", "\"a c\"", REGARD_ERROR_INVALID_MODEL },
  { "merge-unknown-result", "\"\xe2\x96\x81 ab\"", "\"b a\"", REGARD_ERROR_INVALID_MODEL },
  { "merge-three-parts", "\"a b\"", "\"a b b\"", REGARD_ERROR_INVALID_MODEL },
  { "merge-no-space", "\"a b\"", "\"ab\"", REGARD_ERROR_INVALID_MODEL },
  { "merge-pair-short", "\"a b\"", "[\"a\"]", REGARD_ERROR_INVALID_MODEL },
  { "merge-pair-number", "\"a b\"", "[\"a\", 4]", REGARD_ERROR_INVALID_MODEL },
  { "merge-number", "\"a b\"", "5", REGARD_ERROR_INVALID_MODEL },
  { "unk-not-in-vocab", "\"unk_token\": \"<unk>\"", "\"unk_token\": \"<nope>\"", REGARD_ERROR_INVALID_MODEL },
  { "unk-number", "\"unk_token\": \"<unk>\"", "\"unk_token\": 0", REGARD_ERROR_INVALID_MODEL },
  { "byte-fallback-string", "\"byte_fallback\": true", "\"byte_fallback\": \"yes\"", REGARD_ERROR_INVALID_MODEL },
  { "dropout", "\"dropout\": null", "\"dropout\": 0.1", REGARD_ERROR_UNSUPPORTED },
  { "suffix", "\"end_of_word_suffix\": null", "\"end_of_word_suffix\": \"</w>\"", REGARD_ERROR_UNSUPPORTED },
  { "added-not-array", "\"added_tokens\": [", "\"added_tokens\": {}, \"z\": [", REGARD_ERROR_INVALID_MODEL },
  { "added-id-missing", "{\"id\": 8, ", "{", REGARD_ERROR_INVALID_MODEL },
  { "added-id-range", "{\"id\": 8, ", "{\"id\": 4000000000, ", REGARD_ERROR_INVALID_MODEL },
  { "added-content-empty", "\"content\": \"<x>\"", "\"content\": \"\"", REGARD_ERROR_INVALID_MODEL },
  { "added-content-number", "\"content\": \"<x>\"", "\"content\": 8", REGARD_ERROR_INVALID_MODEL },
  { "added-special-string", "\"special\": true}]", "\"special\": \"true\"}]", REGARD_ERROR_INVALID_MODEL },
  { "added-conflicts-vocab", "{\"id\": 8, ", "{\"id\": 5, ", REGARD_ERROR_INVALID_MODEL },
  { "added-normalized", "\"normalized\": false", "\"normalized\": true", REGARD_ERROR_UNSUPPORTED },
  { "added-entry-number", "{\"id\": 8, \"content\": \"<x>\", \"special\": true}", "8", REGARD_ERROR_INVALID_MODEL },
  { "normalizer-type", "\"type\": \"Prepend\"", "\"type\": \"NFKC\"", REGARD_ERROR_UNSUPPORTED },
  { "normalizer-pattern", "\"pattern\": {\"String\": \" \"}", "\"pattern\": {\"Regex\": \" \"}", REGARD_ERROR_UNSUPPORTED },
  { "normalizer-list", "\"normalizers\": [", "\"normalizers\": 3, \"w\": [", REGARD_ERROR_INVALID_MODEL },
  { "pre-tokenizer", "\"pre_tokenizer\": null", "\"pre_tokenizer\": {\"type\": \"Metaspace\"}", REGARD_ERROR_UNSUPPORTED },
  { "decoder-unknown", "{\"type\": \"ByteFallback\"}", "{\"type\": \"WordPiece\"}", REGARD_ERROR_UNSUPPORTED },
  { "decoder-strip-type", "\"start\": 1", "\"start\": \"1\"", REGARD_ERROR_INVALID_MODEL },
  { "post-processor-id", "\"ids\": [1]", "\"ids\": [99]", REGARD_ERROR_INVALID_MODEL },
  { "post-processor-eos", "{\"Sequence\": {\"id\": \"A\", \"type_id\": 0}}]",
    "{\"Sequence\": {\"id\": \"A\", \"type_id\": 0}}, {\"SpecialToken\": {\"id\": \"<s>\", \"type_id\": 0}}]",
    REGARD_ERROR_UNSUPPORTED },
  { "root-array", "{\"version\"", "[{\"version\"", REGARD_ERROR_INVALID_MODEL },
};

static void
test_hostile_fields (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (hostile_cases); i++)
    {
      const Hostile *h = &hostile_cases[i];
      g_autofree char *json = mini_with (h->from, h->to);
      g_autoptr(GError) error = NULL;
      g_autoptr(RgTokenizer) tok = load_string (json, &error);

      if (tok != NULL)
        g_error ("hostile case %s was accepted", h->name);
      if (!g_error_matches (error, REGARD_ERROR, h->code))
        g_error ("hostile case %s: wrong error: %s", h->name, error ? error->message : "(none)");
      g_assert_nonnull (strstr (error->message, "tokenizer.json"));
    }
}

/* Every proper prefix of a valid file is rejected cleanly. */
static void
test_hostile_truncated (void)
{
  gsize n = strlen (mini_json);

  for (gsize len = 0; len < n; len++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(RgTokenizer) tok = rg_tokenizer_new_from_data (mini_json, len, "tokenizer.json", &error);

      g_assert_null (tok);
      g_assert_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL);
    }
}

/* Byte mutations either load or fail with an error, never crash; what
 * loads still encodes and decodes. */
static void
test_hostile_mutations (void)
{
  static const char subst[] = { '0', '9', '-', '"', '{', ']', 'x', ' ', '\0' };
  gsize n = strlen (mini_json);
  guint loaded = 0;

  for (gsize pos = 0; pos < n; pos++)
    for (guint k = 0; k < G_N_ELEMENTS (subst); k++)
      {
        g_autofree char *json = g_strdup (mini_json);
        g_autoptr(GError) error = NULL;
        g_autoptr(RgTokenizer) tok = NULL;

        json[pos] = subst[k];
        tok = rg_tokenizer_new_from_data (json, n, "tokenizer.json", &error);
        g_assert_true ((tok == NULL) == (error != NULL));
        if (tok)
          {
            g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
            g_autofree char *s = NULL;
            loaded++;
            g_assert_true (rg_tokenizer_encode (tok, "ab <x>ab\ncc", -1, TRUE, ids, NULL));
            s = rg_tokenizer_decode (tok, (gint32 *) ids->data, ids->len, FALSE, NULL);
            g_assert_nonnull (s);
          }
      }
  g_assert_cmpuint (loaded, >, 0);
}

static void
test_missing_file (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RgTokenizer) tok = rg_tokenizer_new_from_file ("/nonexistent/tokenizer.json", &error);

  g_assert_null (tok);
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
}

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  fixture_tok = rg_text_golden_tokenizer ();

  g_test_add_func ("/engine/tokenizer/load", test_load_fixture);
  g_test_add_func ("/engine/tokenizer/encode/basic", test_encode_basic);
  g_test_add_func ("/engine/tokenizer/encode/empty", test_encode_empty);
  g_test_add_func ("/engine/tokenizer/encode/segment-prefix", test_encode_segment_prefix);
  g_test_add_func ("/engine/tokenizer/encode/added-near-miss", test_encode_added_near_miss);
  g_test_add_func ("/engine/tokenizer/encode/byte-fallback", test_encode_byte_fallback);
  g_test_add_func ("/engine/tokenizer/encode/whitespace-runs", test_encode_whitespace_runs);
  g_test_add_func ("/engine/tokenizer/encode/embedded-nul", test_encode_embedded_nul);
  g_test_add_func ("/engine/tokenizer/encode/invalid-utf8", test_encode_invalid_utf8);
  g_test_add_func ("/engine/tokenizer/encode/long-word", test_encode_long_word);
  g_test_add_func ("/engine/tokenizer/decode/strip-one-space", test_decode_strip_one_space);
  g_test_add_func ("/engine/tokenizer/decode/byte-fallback", test_decode_byte_fallback);
  g_test_add_func ("/engine/tokenizer/decode/skip-special", test_decode_skip_special);
  g_test_add_func ("/engine/tokenizer/golden/encode", test_golden_encode);
  g_test_add_func ("/engine/tokenizer/golden/decode", test_golden_decode);
  g_test_add_func ("/engine/tokenizer/mini/encode", test_mini_encode);
  g_test_add_func ("/engine/tokenizer/mini/merges-array-form", test_mini_merges_array_form);
  g_test_add_func ("/engine/tokenizer/mini/merge-rank", test_mini_merge_rank);
  g_test_add_func ("/engine/tokenizer/hostile/fields", test_hostile_fields);
  g_test_add_func ("/engine/tokenizer/hostile/truncated", test_hostile_truncated);
  g_test_add_func ("/engine/tokenizer/hostile/mutations", test_hostile_mutations);
  g_test_add_func ("/engine/tokenizer/hostile/missing-file", test_missing_file);

  ret = g_test_run ();
  rg_tokenizer_free (fixture_tok);
  return ret;
}
