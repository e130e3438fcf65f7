/* rg-detokenizer.h: streaming decode of generated tokens.
 *
 * Feed ids one at a time and emit the returned UTF-8 delta; the
 * concatenation of all deltas (flush included) equals rg_tokenizer_decode
 * of all ids with skip_special = TRUE. Special tokens add nothing.
 *
 * A run of <0xXX> byte tokens is held until the run ends (a non-byte token
 * or the flush): HF decodes a run as a whole, and a later invalid byte turns
 * the whole run into U+FFFD, so no prefix of a run can be emitted early.
 * With a ByteLevel decoder (GPT-2) every token is bytes: only a trailing
 * incomplete UTF-8 character is held, until the bytes that complete or
 * break it arrive (or the flush).
 * Deltas are therefore never broken UTF-8. */
#pragma once

#include "rg-tokenizer.h"

G_BEGIN_DECLS

typedef struct _RgDetokenizer RgDetokenizer;

/* TOK must outlive the detokenizer. */
RgDetokenizer *rg_detokenizer_new (const RgTokenizer *tok);
void rg_detokenizer_free (RgDetokenizer *detok);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RgDetokenizer, rg_detokenizer_free)

/* Forgets all state: the next id starts a new text (its leading space is
 * stripped again). */
void rg_detokenizer_reset (RgDetokenizer *detok);

/* The text ID adds, possibly "" (never NULL). LENGTH (optional) receives
 * the byte length, which differs from strlen only for U+0000. */
char *rg_detokenizer_feed (RgDetokenizer *detok, gint32 id, gsize *length);
/* Emits a held byte run (as U+FFFD per byte when it is not valid UTF-8).
 * Call at the end of the answer; the detokenizer may be fed again after. */
char *rg_detokenizer_flush (RgDetokenizer *detok, gsize *length);

G_END_DECLS
