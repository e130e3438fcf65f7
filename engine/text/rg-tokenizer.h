/* rg-tokenizer.h: the Hugging Face tokenizer.json of Llama/Mistral-style
 * checkpoints (BPE with byte fallback, legacy "prepend ▁" normalizer).
 *
 * Encoding reproduces HF `tokenizers`: added tokens are split out first
 * (leftmost-longest), every remaining segment is normalized separately and
 * merged as one BPE word by merge rank; characters missing from the vocab
 * fall back to <0xXX> byte tokens. Decoding reproduces the Replace ▁ ->
 * ByteFallback -> Fuse -> Strip decoder chain. Every field of the file is
 * validated; a malformed file gives REGARD_ERROR_INVALID_MODEL, a valid file
 * using features this tokenizer does not implement REGARD_ERROR_UNSUPPORTED. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _RgTokenizer RgTokenizer;

RgTokenizer *rg_tokenizer_new_from_file (const char *path, GError **error);
/* Parses tokenizer.json's contents. FILENAME is only used in messages. */
RgTokenizer *rg_tokenizer_new_from_data (const char *json, gsize length,
                                         const char *filename, GError **error);
void rg_tokenizer_free (RgTokenizer *tok);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RgTokenizer, rg_tokenizer_free)

/* Appends the ids (gint32) of TEXT (UTF-8; LENGTH bytes, or -1 when
 * NUL-terminated) to IDS, with the BOS id first when ADD_BOS and the
 * tokenizer has one. Fails only on invalid UTF-8. */
gboolean rg_tokenizer_encode (const RgTokenizer *tok, const char *text, gssize length,
                              gboolean add_bos, GArray *ids, GError **error);

/* The text of N ids. Unknown ids are ignored (as HF does); SKIP_SPECIAL
 * drops the special added tokens. Never NULL. LENGTH (optional) receives
 * the byte length: byte tokens can decode to U+0000. */
char *rg_tokenizer_decode (const RgTokenizer *tok, const gint32 *ids, gsize n,
                           gboolean skip_special, gsize *length);

/* Number of ids (largest id + 1, added tokens included). */
guint rg_tokenizer_get_vocab_size (const RgTokenizer *tok);
/* -1 when the tokenizer has none. */
gint32 rg_tokenizer_get_bos_id (const RgTokenizer *tok);
gint32 rg_tokenizer_get_unk_id (const RgTokenizer *tok);
/* Id of a vocab or added token's exact string; -1 when absent. */
gint32 rg_tokenizer_token_to_id (const RgTokenizer *tok, const char *token);
/* The token string of ID (raw, with ▁), or NULL when ID is unknown. */
const char *rg_tokenizer_id_to_token (const RgTokenizer *tok, gint32 id);
gboolean rg_tokenizer_is_special (const RgTokenizer *tok, gint32 id);

/* Pieces of the decoder chain, for the streaming detokenizer. */

/* The byte of a <0xXX> byte-fallback token, or -1 for any other token. */
int rg_tokenizer_id_to_byte (const RgTokenizer *tok, gint32 id);
/* The text of a non-byte token after the decoder's Replace step (▁ -> ' '),
 * or NULL when ID is unknown. */
const char *rg_tokenizer_id_to_piece (const RgTokenizer *tok, gint32 id);
/* TRUE when the decoder is ByteLevel (GPT-2): the text is the lossy UTF-8
 * decoding of all tokens' bytes joined (rg_tokenizer_id_to_bytes). */
gboolean rg_tokenizer_decodes_bytes (const RgTokenizer *tok);
/* The bytes of ID's piece (LEN receives their count; they may hold NULs),
 * or NULL when ID is unknown. */
const guint8 *rg_tokenizer_id_to_bytes (const RgTokenizer *tok, gint32 id, gsize *len);
/* How many leading spaces the decoder strips from the whole text. */
guint rg_tokenizer_get_strip_leading (const RgTokenizer *tok);
/* Appends the ByteFallback decoding of a run of bytes to OUT: the bytes
 * themselves when valid UTF-8, else one U+FFFD per byte. */
void rg_tokenizer_append_byte_run (GString *out, const guint8 *bytes, gsize n);

G_END_DECLS
