/* argmax and top-k on the GPU: exact against rg-ref-ops.h. */
#include "test-gpu.h"

#include <math.h>

static void
check_select (const float *x, uint32_t n, uint32_t k)
{
  g_autofree int32_t *want_idx = g_new (int32_t, k);
  g_autofree float *want_val = g_new (float, k);
  uint32_t got_idx[64];
  float got_val[64];
  uint32_t got_arg;
  g_autoptr(RgVkBuffer) bx = rg_test_upload_f32 ("x", x, n);
  g_autoptr(RgVkBuffer) bidx = rg_test_new_buffer ("idx", k * 4);
  g_autoptr(RgVkBuffer) bval = rg_test_new_buffer ("val", k * 4);
  g_autoptr(RgVkBuffer) barg = rg_test_new_buffer ("arg", 4);
  g_autoptr(RgVkRecorder) rec = rg_test_recorder ();

  rg_ref_topk (x, n, k, want_idx, want_val);
  rg_op_topk (rec, bidx, bval, bx, n, k);
  rg_op_argmax (rec, barg, bx, n);
  rg_test_submit (rec);
  rg_test_download (bidx, got_idx, k * 4);
  rg_test_download (bval, got_val, k * 4);
  rg_test_download (barg, &got_arg, 4);
  g_assert_cmpuint (got_arg, ==, rg_ref_argmax (x, n));
  for (uint32_t i = 0; i < k; i++)
    {
      g_assert_cmpint ((int32_t) got_idx[i], ==, want_idx[i]);
      g_assert_cmpfloat (got_val[i], ==, want_val[i]);
    }
}

static void
test_vocab_sized (void)
{
  g_autofree float *x = rg_test_random_f32 (3, 32003, -20, 20);

  check_select (x, 32003, 1);
  check_select (x, 32003, 5);
  check_select (x, 32003, 64);
}

static void
test_ties_go_to_lower_index (void)
{
  float x[300];

  for (guint i = 0; i < G_N_ELEMENTS (x); i++)
    x[i] = (float) (i % 7);
  check_select (x, G_N_ELEMENTS (x), 10);
}

static void
test_nan_never_wins (void)
{
  float x[9] = { 1, NAN, 3, NAN, -1, 2, NAN, 0, 3 };

  check_select (x, G_N_ELEMENTS (x), 5);
}

static void
test_single_element (void)
{
  float x[1] = { -5 };

  check_select (x, 1, 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  rg_test_gpu_init ();
  g_test_add_func ("/gpu/select/vocab-sized", test_vocab_sized);
  g_test_add_func ("/gpu/select/ties-go-to-lower-index", test_ties_go_to_lower_index);
  g_test_add_func ("/gpu/select/nan-never-wins", test_nan_never_wins);
  g_test_add_func ("/gpu/select/single-element", test_single_element);
  return g_test_run ();
}
