/* Fuzzes model.safetensors.index.json in an otherwise valid snapshot (the
 * fixture model's config, tokenizer and shards, linked into a scratch
 * folder): names that escape the folder, missing shards, wrong types. */
#include "fuzz-common.h"

#include "rg-snapshot.h"

#include <glib/gstdio.h>
#include <unistd.h>

static char *dir;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  static const char *const files[] = {
    "config.json", "generation_config.json", "preprocessor_config.json", "processor_config.json",
    "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
    "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors",
  };
  GError *error = NULL;

  dir = g_dir_make_tmp ("regard-fuzz-snap-XXXXXX", &error);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *rel = g_build_filename ("idefics2-tiny", files[i], NULL);
      g_autofree char *src = fuzz_fixture_path (rel);
      g_autofree char *dst = g_build_filename (dir, files[i], NULL);

      if (g_file_test (src, G_FILE_TEST_EXISTS) && symlink (src, dst) != 0)
        g_error ("cannot link %s", dst);
    }
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *index = g_build_filename (dir, "model.safetensors.index.json", NULL);
  GError *error = NULL;
  RgSnapshot *snap;

  if (!g_file_set_contents (index, (const char *) data, (gssize) size, &error))
    g_error ("%s", error->message);
  snap = rg_snapshot_open (dir, &error);
  if (snap)
    rg_snapshot_close (snap);
  g_clear_error (&error);
  return 0;
}
