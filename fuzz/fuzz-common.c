/* fuzz-common.c: scratch files and fixture paths for the fuzz targets. */
#include "fuzz-common.h"

#include <glib/gstdio.h>

static char *scratch_dir;

const char *
fuzz_write_scratch (const char *name, const uint8_t *data, size_t size)
{
  static char *path;
  GError *error = NULL;

  if (scratch_dir == NULL)
    {
      scratch_dir = g_dir_make_tmp ("regard-fuzz-XXXXXX", &error);
      g_assert_no_error (error);
    }
  g_free (path);
  path = g_build_filename (scratch_dir, name, NULL);
  if (!g_file_set_contents (path, (const char *) data, (gssize) size, &error))
    g_error ("%s", error->message);
  return path;
}

char *
fuzz_fixture_path (const char *file)
{
  const char *dir = g_getenv ("REGARD_FIXTURES");

  return g_build_filename (dir ? dir : REGARD_SOURCE_FIXTURES, file, NULL);
}
