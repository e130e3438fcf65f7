/* rg-detokenizer.c: the decoder chain of rg-tokenizer.c, one token at a
 * time. */
#include "rg-detokenizer.h"

#include "rg-byte-level.h"

struct _RgDetokenizer
{
  const RgTokenizer *tok;
  GByteArray *run;        /* held byte-fallback run */
  guint strip_left;       /* leading spaces still to strip */
  gboolean started;       /* a non-stripped character was emitted */
};

RgDetokenizer *
rg_detokenizer_new (const RgTokenizer *tok)
{
  RgDetokenizer *detok = g_new0 (RgDetokenizer, 1);

  detok->tok = tok;
  detok->run = g_byte_array_new ();
  rg_detokenizer_reset (detok);
  return detok;
}

void
rg_detokenizer_free (RgDetokenizer *detok)
{
  if (detok == NULL)
    return;
  g_byte_array_unref (detok->run);
  g_free (detok);
}

void
rg_detokenizer_reset (RgDetokenizer *detok)
{
  g_byte_array_set_size (detok->run, 0);
  detok->strip_left = rg_tokenizer_get_strip_leading (detok->tok);
  detok->started = FALSE;
}

/* Appends TEXT to OUT, applying the decoder's Strip to the very start of
 * the whole text only. */
static void
emit (RgDetokenizer *detok, GString *out, const char *text, gsize len)
{
  while (!detok->started && len > 0)
    {
      if (detok->strip_left > 0 && *text == ' ')
        {
          detok->strip_left--;
          text++;
          len--;
        }
      else
        detok->started = TRUE;
    }
  g_string_append_len (out, text, (gssize) len);
}

static void
flush_run (RgDetokenizer *detok, GString *out)
{
  g_autoptr(GString) s = g_string_new (NULL);

  if (rg_tokenizer_decodes_bytes (detok->tok))
    rg_utf8_append_lossy (s, detok->run->data, detok->run->len);
  else
    rg_tokenizer_append_byte_run (s, detok->run->data, detok->run->len);
  g_byte_array_set_size (detok->run, 0);
  emit (detok, out, s->str, s->len);
}

static char *
finish (GString *out, gsize *length)
{
  if (length)
    *length = out->len;
  return g_string_free (out, FALSE);
}

char *
rg_detokenizer_feed (RgDetokenizer *detok, gint32 id, gsize *length)
{
  GString *out = g_string_new (NULL);
  const char *piece = rg_tokenizer_id_to_piece (detok->tok, id);
  int byte;

  /* Unknown and special ids are dropped before the decoder, so they do not
   * end a byte run either. */
  if (piece == NULL || rg_tokenizer_is_special (detok->tok, id))
    return finish (out, length);

  if (rg_tokenizer_decodes_bytes (detok->tok))
    {
      /* ByteLevel: everything is one byte run; emit all but a trailing
       * incomplete character, whose decoding depends on what follows. */
      gsize n, settled;
      const guint8 *bytes = rg_tokenizer_id_to_bytes (detok->tok, id, &n);
      g_autoptr(GString) s = g_string_new (NULL);

      g_byte_array_append (detok->run, bytes, (guint) n);
      settled = rg_utf8_lossy_settled (detok->run->data, detok->run->len);
      rg_utf8_append_lossy (s, detok->run->data, settled);
      g_byte_array_remove_range (detok->run, 0, (guint) settled);
      emit (detok, out, s->str, s->len);
      return finish (out, length);
    }

  byte = rg_tokenizer_id_to_byte (detok->tok, id);
  if (byte >= 0)
    {
      guint8 b = (guint8) byte;
      g_byte_array_append (detok->run, &b, 1);
      return finish (out, length);
    }
  flush_run (detok, out);
  emit (detok, out, piece, strlen (piece));
  return finish (out, length);
}

char *
rg_detokenizer_flush (RgDetokenizer *detok, gsize *length)
{
  GString *out = g_string_new (NULL);

  flush_run (detok, out);
  return finish (out, length);
}
