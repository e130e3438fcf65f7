/* Fuzzes encoding and decoding arbitrary text with the fixture model's
 * real tokenizer.json (BPE merges, byte fallback, special tokens). */
#include "fuzz-common.h"

#include "rg-tokenizer.h"

static RgTokenizer *tok;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_autofree char *path = fuzz_fixture_path ("idefics2-tiny/tokenizer.json");
  GError *error = NULL;

  tok = rg_tokenizer_new_from_file (path, &error);
  if (tok == NULL)
    g_error ("%s", error->message);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  GError *error = NULL;

  if (rg_tokenizer_encode (tok, (const char *) data, (gssize) size, TRUE, ids, &error))
    {
      char *back = rg_tokenizer_decode (tok, (const gint32 *) ids->data, ids->len, FALSE, NULL);
      g_free (back);
    }
  g_clear_error (&error);
  g_array_unref (ids);
  return 0;
}
