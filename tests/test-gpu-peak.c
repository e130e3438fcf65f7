/* The FMA probe of `regard-cli bench ops` (shaders/peak_fma.comp) does
 * the work it is credited with: every invocation's 8 chains, every round,
 * against rg_peak_fma_ref, over more workgroups than one dispatch
 * dimension allows. */
#include "test-gpu.h"

#include "tools/rg-peak.h"

/* Inputs whose every step is exact (x/2 + 1/4 for a few rounds, x + 1
 * for many), fused or not: the result must be the reference's, bit for bit. */
static void
check_peak (uint32_t invocations, uint32_t iters, float mul, float add)
{
  g_autoptr(RgVkBuffer) out = rg_test_new_buffer ("peak", (size_t) invocations * 4);
  g_autoptr(RgVkRecorder) rec = rg_test_recorder ();
  g_autofree float *got = NULL;

  rg_peak_fma_record (rec, out, invocations, iters, mul, add);
  rg_test_submit (rec);
  got = rg_test_download_f32 (out, invocations);
  for (uint32_t i = 0; i < invocations; i++)
    g_assert_cmpfloat (got[i], ==, rg_peak_fma_ref (i, iters, mul, add));
}

static void
test_every_chain (void)
{
  check_peak (64, 1, 0.5f, 0.25f);
  check_peak (320, 7, 0.5f, 0.25f);
}

/* x + 1 a thousand times: one round more or less is 32 off */
static void
test_every_round (void)
{
  check_peak (128, 1024, 1.0f, 1.0f);
}

static void
test_beyond_one_dispatch (void)
{
  check_peak ((65535u + 3u) * 64u, 3, 0.5f, 0.25f);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  rg_test_gpu_init ();
  g_test_add_func ("/gpu/peak/fma-every-chain", test_every_chain);
  g_test_add_func ("/gpu/peak/fma-every-round", test_every_round);
  g_test_add_func ("/gpu/peak/fma-beyond-one-dispatch", test_beyond_one_dispatch);
  return g_test_run ();
}
