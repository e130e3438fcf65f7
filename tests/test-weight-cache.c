/* test-weight-cache: the on-disk cache of converted weights round-trips,
 * and a tampered index.txt (sizes that overflow or do not fit in 32 bits)
 * makes the cache unusable instead of pointing past weights.bin (#14). */
#include "test-common.h"

#include "rg-snapshot.h"
#include "rg-weight-cache.h"

#include <string.h>

static RgSnapshot *
open_fixture (void)
{
  g_autofree char *dir = rg_test_fixture_path ("idefics2-tiny");
  g_autoptr(GError) error = NULL;
  RgSnapshot *snap = rg_snapshot_open (dir, &error);

  g_assert_no_error (error);
  return snap;
}

/* Writes a one-matrix cache [2, 2] f32 for FORMAT; returns its folder. */
static char *
write_cache (RgSnapshot *snap, const char *format)
{
  const float m[4] = { 1, 2, 3, 4 };
  g_autoptr(GError) error = NULL;
  g_autoptr(RgWeightCache) c = rg_weight_cache_open (snap, format, &error);

  g_assert_no_error (error);
  g_assert_nonnull (c);
  if (rg_weight_cache_is_complete (c))
    return g_strdup (rg_weight_cache_get_dir (c));
  g_assert_true (rg_weight_cache_begin (c, "m", RG_DTYPE_F32, 2, 2, &error));
  g_assert_true (rg_weight_cache_append (c, m, sizeof m, &error));
  g_assert_true (rg_weight_cache_commit (c, &error));
  g_assert_no_error (error);
  return g_strdup (rg_weight_cache_get_dir (c));
}

static void
test_round_trip (void)
{
  g_autoptr(RgSnapshot) snap = open_fixture ();
  g_autofree char *dir = write_cache (snap, "test-round-trip");
  g_autoptr(RgWeightCache) c = rg_weight_cache_open (snap, "test-round-trip", NULL);
  const float *m;

  g_assert_true (rg_weight_cache_is_complete (c));
  m = rg_weight_cache_lookup (c, "m", RG_DTYPE_F32, 2, 2);
  g_assert_nonnull (m);
  g_assert_cmpfloat (m[3], ==, 4);
  g_assert_null (rg_weight_cache_lookup (c, "m", RG_DTYPE_F32, 1, 4));
}

/* Replaces the matrix line of index.txt with LINE. */
static void
tamper (const char *dir, const char *line)
{
  g_autofree char *path = g_build_filename (dir, "index.txt", NULL);
  g_autofree char *text = NULL;
  g_autoptr(GString) out = g_string_new (NULL);
  g_auto(GStrv) lines = NULL;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  g_string_append_printf (out, "%s\n%s\n", lines[0], line);
  g_assert_true (g_file_set_contents (path, out->str, -1, NULL));
}

static void
test_tampered_index (void)
{
  static const char *const bad[] = {
    /* 4 * 2^31 * 2^31 = 2^64: wraps to 0 bytes in 64-bit arithmetic */
    "m\tF32\t2147483648\t2147483648\t0",
    /* 2^32 + 2 rows: truncates to 2 in 32 bits */
    "m\tF32\t4294967298\t2\t0",
    "m\tF32\t2\t2\t-16",
    "m\tF32\t2x\t2\t0",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(RgSnapshot) snap = open_fixture ();
      g_autofree char *format = g_strdup_printf ("test-tampered-%u", i);
      g_autofree char *dir = write_cache (snap, format);
      g_autoptr(RgWeightCache) c = NULL;

      tamper (dir, bad[i]);
      c = rg_weight_cache_open (snap, format, NULL);
      g_assert_nonnull (c);
      if (rg_weight_cache_is_complete (c))
        g_error ("index line '%s' was accepted", bad[i]);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_unsetenv ("REGARD_NO_WEIGHT_CACHE");
  g_test_add_func ("/engine/weight-cache/round-trip", test_round_trip);
  g_test_add_func ("/engine/weight-cache/tampered-index", test_tampered_index);
  return g_test_run ();
}
