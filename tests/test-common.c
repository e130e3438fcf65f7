#include "test-common.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

char *
rg_test_fixture_path (const char *relative)
{
  const char *root = g_getenv ("REGARD_FIXTURES");

  if (root == NULL)
    root = "tests/fixtures";
  return g_build_filename (root, relative, NULL);
}

void
rg_test_assert_error_mentions_valist (const GError *error, GQuark domain, int code, va_list args)
{
  const char *needle;

  g_assert_error (error, domain, code);
  g_test_message ("%s", error->message);
  while ((needle = va_arg (args, const char *)) != NULL)
    if (strstr (error->message, needle) == NULL)
      g_error ("message '%s' lacks '%s'", error->message, needle);
}

void
rg_test_remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        rg_test_remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

GBytes *
rg_test_read_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *contents = NULL;
  gsize length = 0;

  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);
  return g_bytes_new_take (contents, length);
}

RgCompare
rg_test_compare_f32 (const float *a, const float *b, size_t n)
{
  RgCompare c = { 0 };
  double err2 = 0, ref2 = 0;

  for (size_t i = 0; i < n; i++)
    {
      double d;

      if (!isfinite (a[i]))
        {
          c.n_nonfinite++;
          c.max_abs = INFINITY;
          c.worst_index = i;
          continue;
        }
      d = fabs ((double) a[i] - (double) b[i]);
      if (d > c.max_abs)
        {
          c.max_abs = d;
          c.worst_index = i;
        }
      err2 += d * d;
      ref2 += (double) b[i] * (double) b[i];
    }
  c.nmse = ref2 > 0 ? err2 / ref2 : err2;
  return c;
}

void
rg_test_assert_close_f32 (const char *file, int line, const char *what,
                          const float *a, const float *b, size_t n, double tol)
{
  RgCompare c = rg_test_compare_f32 (a, b, n);

  if (c.n_nonfinite > 0 || !(c.max_abs <= tol))
    {
      g_autofree char *msg = g_strdup_printf ("%s: max |diff| %.3g > %.3g at [%zu] (got %.9g, want %.9g), "
                                              "nmse %.3g, %zu non-finite",
                                              what, c.max_abs, tol, c.worst_index,
                                              (double) a[c.worst_index], (double) b[c.worst_index],
                                              c.nmse, c.n_nonfinite);
      g_assertion_message (G_LOG_DOMAIN, file, line, G_STRFUNC, msg);
    }
}

char *
rg_test_case_image_path (const char *model_dir, const char *relative)
{
  g_autofree char *dir = rg_test_fixture_path (model_dir);
  g_autofree char *joined = g_build_filename (dir, relative, NULL);
  g_autoptr(GFile) file = g_file_new_for_path (joined);
  char *path = g_file_get_path (file);

  if (g_str_has_suffix (path, ".jpg"))
    {
      char *png;

      path[strlen (path) - 4] = '\0';
      png = g_strconcat (path, ".decoded.png", NULL);
      g_free (path);
      return png;
    }
  return path;
}
