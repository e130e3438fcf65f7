/* Fuzzes the Hugging Face API JSON the downloader parses: the revision
 * answer (file list, sizes, LFS hashes), the file choice made from it,
 * and a model.safetensors.index.json as the downloader reads shards from. */
#include "fuzz-common.h"

#include "rg-hub.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  GBytes *bytes = g_bytes_new_static (data, size);
  GError *error = NULL;
  RgHubRevision *rev = rg_hub_revision_parse (bytes, &error);
  GStrv shards;

  if (rev != NULL)
    {
      gboolean index = FALSE;
      GPtrArray *files = rg_hub_choose_files (rev, "owner/name", &index, &error);

      if (files)
        g_ptr_array_unref (files);
      g_clear_error (&error);
      rg_hub_revision_free (rev);
    }
  g_clear_error (&error);

  shards = rg_hub_index_shards (bytes, &error);
  g_strfreev (shards);
  g_clear_error (&error);
  g_bytes_unref (bytes);
  return 0;
}
