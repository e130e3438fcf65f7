/* Fuzzes tokenizer.json parsing, then encodes and decodes a fixed text
 * (with bytes outside the vocabulary, special tokens and spaces) with
 * whatever tokenizer was accepted. */
#include "fuzz-common.h"

#include "rg-tokenizer.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static const char text[] = "Hello <image> wörld\xf0\x9f\x98\x80  \n\t<s>x</s>";
  GError *error = NULL;
  RgTokenizer *tok = rg_tokenizer_new_from_data ((const char *) data, size, "tokenizer.json", &error);
  GArray *ids;
  char *back;

  if (tok == NULL)
    {
      g_assert (error != NULL);
      g_error_free (error);
      return 0;
    }
  ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  if (rg_tokenizer_encode (tok, text, -1, TRUE, ids, &error))
    {
      back = rg_tokenizer_decode (tok, (const gint32 *) ids->data, ids->len, TRUE, NULL);
      g_free (back);
    }
  g_clear_error (&error);
  g_array_unref (ids);
  rg_tokenizer_free (tok);
  return 0;
}
