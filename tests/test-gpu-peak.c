/* The probes of `regard-cli bench ops` do the work they are credited
 * with: the FMA probe (shaders/peak_fma.comp) every invocation's 8 chains
 * and every round, the texel probe (shaders/peak_texel.comp) every word of
 * its buffer, against rg-peak.c's references, also over more workgroups
 * than one dispatch dimension allows. */
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

static void
check_texel (uint32_t invocations, uint32_t n_texels)
{
  g_autofree uint32_t *words = g_new (uint32_t, (size_t) n_texels * 4);
  g_autofree uint32_t *got = g_new (uint32_t, invocations);
  g_autoptr(RgVkBuffer) src = NULL;
  g_autoptr(RgVkBuffer) out = rg_test_new_buffer ("texel out", (size_t) invocations * 4);
  g_autoptr(RgVkRecorder) rec = rg_test_recorder ();
  guint32 h = 2166136261u;

  for (size_t w = 0; w < (size_t) n_texels * 4; w++)
    words[w] = h = (h ^ (guint32) w) * 16777619u;   /* every word distinct: a skipped one shows */
  src = rg_test_upload_bytes ("texel src", words, (size_t) n_texels * 16);
  rg_peak_texel_record (rec, out, src, n_texels, invocations);
  rg_test_submit (rec);
  rg_test_download (out, got, (size_t) invocations * 4);
  for (uint32_t i = 0; i < invocations; i++)
    g_assert_cmphex (got[i], ==, rg_peak_texel_ref (words, n_texels, invocations, i));
}

static void
test_texel_every_word (void)
{
  check_texel (64, 64 * 8);
  check_texel (192, 192 * 8 * 5);
}

static void
test_texel_beyond_one_dispatch (void)
{
  check_texel ((65535u + 3u) * 64u, (65535u + 3u) * 64u * 8u);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  rg_test_gpu_init ();
  g_test_add_func ("/gpu/peak/fma-every-chain", test_every_chain);
  g_test_add_func ("/gpu/peak/fma-every-round", test_every_round);
  g_test_add_func ("/gpu/peak/fma-beyond-one-dispatch", test_beyond_one_dispatch);
  g_test_add_func ("/gpu/peak/texel-every-word", test_texel_every_word);
  g_test_add_func ("/gpu/peak/texel-beyond-one-dispatch", test_texel_beyond_one_dispatch);
  return g_test_run ();
}
