/* The fixtures under tests/fixtures are a copy of ../shared/fixtures so that
 * a plain clone can test itself. When the shared folder is present, every
 * file there must be here with identical bytes (refresh with
 * tools/refresh-fixtures). */
#include "test-common.h"

#include <gio/gio.h>

static void
compare_tree (const char *shared_dir, const char *local_dir, guint *n_files)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = g_dir_open (shared_dir, 0, &error);
  const char *name;

  g_assert_no_error (error);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *shared_path = g_build_filename (shared_dir, name, NULL);
      g_autofree char *local_path = g_build_filename (local_dir, name, NULL);

      if (g_file_test (shared_path, G_FILE_TEST_IS_DIR))
        {
          g_assert_true (g_file_test (local_path, G_FILE_TEST_IS_DIR));
          compare_tree (shared_path, local_path, n_files);
        }
      else
        {
          g_autoptr(GBytes) a = rg_test_read_file (shared_path);
          g_autoptr(GBytes) b = NULL;

          if (!g_file_test (local_path, G_FILE_TEST_EXISTS))
            g_error ("%s is missing from tests/fixtures: run tools/refresh-fixtures", local_path);
          b = rg_test_read_file (local_path);
          if (!g_bytes_equal (a, b))
            g_error ("%s differs from %s: run tools/refresh-fixtures", local_path, shared_path);
          (*n_files)++;
        }
    }
}

static void
test_fixtures_match_shared (void)
{
  const char *shared = g_getenv ("REGARD_SHARED_FIXTURES");
  g_autofree char *local = rg_test_fixture_path (".");
  guint n_files = 0;

  if (shared == NULL || !g_file_test (shared, G_FILE_TEST_IS_DIR))
    {
      g_test_skip ("../shared/fixtures is not present");
      return;
    }
  compare_tree (shared, local, &n_files);
  g_assert_cmpuint (n_files, >, 20);
}

static void
test_fixtures_present (void)
{
  g_autofree char *config = rg_test_fixture_path ("idefics2-tiny/config.json");
  g_autofree char *readme = rg_test_fixture_path ("README.md");

  g_assert_true (g_file_test (config, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_file_test (readme, G_FILE_TEST_IS_REGULAR));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/fixtures/present", test_fixtures_present);
  g_test_add_func ("/fixtures/match-shared", test_fixtures_match_shared);
  return g_test_run ();
}
