/* rg-byte-level.h: the pieces of HF tokenizers' ByteLevel (GPT-2) model
 * family that the BPE tokenizer needs: the byte <-> unicode table, the
 * Digits and ByteLevel pre-tokenizers and lossy UTF-8 decoding. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  RG_DIGITS_NONE,
  RG_DIGITS_INDIVIDUAL,   /* Digits(individual_digits = true): one piece per digit */
  RG_DIGITS_CONTIGUOUS,   /* Digits(individual_digits = false): runs of digits */
} RgDigitsMode;

/* Called once per pre-tokenized word: [START, START + LEN) of the text. */
typedef void (*RgWordFunc) (const char *start, gsize len, gpointer user_data);

/* Splits valid UTF-8 TEXT as Sequence[Digits(MODE), ByteLevel(use_regex =
 * USE_REGEX, add_prefix_space = false)] does, calling FUNC per word in
 * order. The regex is GPT-2's
 *   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 * matched by hand, each Digits piece on its own (so the lookahead sees the
 * piece's end as the text's end, as in HF). */
void rg_byte_level_split (const char *text, gsize len, RgDigitsMode mode, gboolean use_regex,
                          RgWordFunc func, gpointer user_data);

/* Appends the GPT-2 unicode form of the bytes (each byte -> one char). */
void rg_byte_level_encode (GString *out, const char *bytes, gsize len);

/* Appends the bytes of TOKEN (UTF-8) when every char is in the table and
 * returns TRUE; else appends nothing and returns FALSE (HF then uses the
 * token's own bytes). */
gboolean rg_byte_level_decode_token (GByteArray *out, const char *token);

/* Appends BYTES as UTF-8, each maximal invalid subsequence replaced by one
 * U+FFFD, as Rust's String::from_utf8_lossy does. */
void rg_utf8_append_lossy (GString *out, const guint8 *bytes, gsize len);

/* Length of the prefix of BYTES whose lossy decoding no later byte can
 * change: everything but a trailing, so far valid, incomplete sequence. */
gsize rg_utf8_lossy_settled (const guint8 *bytes, gsize len);

G_END_DECLS
