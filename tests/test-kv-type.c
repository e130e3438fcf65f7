/* The KV cache's element type as a load resolves it (rg_kv_type_resolve):
 * AUTO by the weights, $REGARD_KV_CACHE, the head-dim fallback. */
#include "test-common.h"

#include <string.h>

#include "regard-error.h"
#include "rg-model.h"

static RgKvType
resolve (RgKvType requested, gboolean f32_weights, guint head_dim)
{
  g_autoptr(GError) error = NULL;
  RgKvType out = RG_KV_AUTO;

  g_assert_true (rg_kv_type_resolve (requested, f32_weights, head_dim, &out, &error));
  g_assert_no_error (error);
  return out;
}

static void
test_auto_follows_weights (void)
{
  g_unsetenv ("REGARD_KV_CACHE");
  g_assert_cmpint (resolve (RG_KV_AUTO, TRUE, 128), ==, RG_KV_F32);
  g_assert_cmpint (resolve (RG_KV_AUTO, FALSE, 128), ==, RG_KV_F16);
  g_assert_cmpint (resolve (RG_KV_F16, TRUE, 64), ==, RG_KV_F16);
  g_assert_cmpint (resolve (RG_KV_F32, FALSE, 64), ==, RG_KV_F32);
}

static void
test_environment (void)
{
  g_autoptr(GError) error = NULL;
  RgKvType out;

  g_setenv ("REGARD_KV_CACHE", "f16", TRUE);
  g_assert_cmpint (resolve (RG_KV_AUTO, TRUE, 128), ==, RG_KV_F16);
  /* an explicit request wins over the environment */
  g_assert_cmpint (resolve (RG_KV_F32, TRUE, 128), ==, RG_KV_F32);
  g_setenv ("REGARD_KV_CACHE", "f32", TRUE);
  g_assert_cmpint (resolve (RG_KV_AUTO, FALSE, 128), ==, RG_KV_F32);
  g_setenv ("REGARD_KV_CACHE", "q8", TRUE);
  g_assert_false (rg_kv_type_resolve (RG_KV_AUTO, FALSE, 128, &out, &error));
  g_assert_error (error, REGARD_ERROR, REGARD_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "REGARD_KV_CACHE"));
  g_unsetenv ("REGARD_KV_CACHE");
}

static void
test_head_dim_fallback (void)
{
  /* halves are written as whole words of two, pairs of RoPE pairs */
  g_unsetenv ("REGARD_KV_CACHE");
  g_assert_cmpint (resolve (RG_KV_F16, FALSE, 6), ==, RG_KV_F32);
  g_assert_cmpint (resolve (RG_KV_AUTO, FALSE, 2), ==, RG_KV_F32);
  g_assert_cmpint (resolve (RG_KV_F16, FALSE, 4), ==, RG_KV_F16);
  g_assert_cmpstr (rg_kv_type_name (RG_KV_F16), ==, "f16");
  g_assert_cmpstr (rg_kv_type_name (RG_KV_F32), ==, "f32");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/model/kv-type/auto-follows-weights", test_auto_follows_weights);
  g_test_add_func ("/model/kv-type/environment", test_environment);
  g_test_add_func ("/model/kv-type/head-dim-fallback", test_head_dim_fallback);
  return g_test_run ();
}
