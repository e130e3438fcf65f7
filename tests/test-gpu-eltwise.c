/* Element-wise ops on the GPU against rg-ref-ops.h, at awkward sizes:
 * 1, odd, not a multiple of the workgroup, and more workgroups than one
 * dispatch dimension allows (65535 x 256 elements). */
#include "test-gpu.h"

#include <math.h>
#include <string.h>

static const size_t sizes[] = { 1, 7, 255, 257, 100003 };
#define HUGE_N ((size_t) 65535 * 256 + 1001)

typedef void (*UnaryGpu) (RgVkRecorder *, RgVkBuffer *, const RgVkBuffer *, uint64_t);
typedef void (*UnaryRef) (const float *, float *, size_t);

static void
check_unary (UnaryGpu gpu, UnaryRef ref, size_t n, float lo, float hi)
{
  g_autofree float *x = rg_test_random_f32 ((guint32) n, n, lo, hi);
  g_autofree float *want = g_new (float, n);
  g_autofree float *got = NULL;
  g_autoptr(RgVkBuffer) bx = rg_test_upload_f32 ("x", x, n);
  g_autoptr(RgVkBuffer) bo = rg_test_new_buffer ("out", n * 4);
  g_autoptr(RgVkRecorder) rec = rg_test_recorder ();

  ref (x, want, n);
  gpu (rec, bo, bx, n);
  rg_test_submit (rec);
  got = rg_test_download_f32 (bo, n);
  rg_assert_nmse (got, want, n, 1e-7);
}

static void
test_gelu_tanh (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    check_unary (rg_op_gelu_tanh, rg_ref_gelu_tanh, sizes[i], -10, 10);
}

static void
test_gelu (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    check_unary (rg_op_gelu, rg_ref_gelu, sizes[i], -10, 10);
}

static void
test_quick_gelu (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    check_unary (rg_op_quick_gelu, rg_ref_quick_gelu, sizes[i], -10, 10);
}

static void
test_relu (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    check_unary (rg_op_relu, rg_ref_relu, sizes[i], -3, 3);
}

/* out += tanh(alpha) * x on the rows with an index >= 0; ALPHA one gate or
 * one per column; the left-out rows keep their value even where x is NaN. */
static void
check_gate (uint32_t rows, uint32_t cols, uint32_t n_alpha, gboolean with_index)
{
  size_t n = (size_t) rows * cols;
  g_autofree float *x = rg_test_random_f32 (rows + 3 * cols, n, -4, 4);
  g_autofree float *base = rg_test_random_f32 (rows + 5 * cols, n, -4, 4);
  g_autofree float *alpha = rg_test_random_f32 (n_alpha, n_alpha, -2, 2);
  g_autofree int32_t *index = g_new (int32_t, rows);
  g_autofree float *want = g_memdup2 (base, n * 4);
  g_autofree float *got = NULL;
  g_autoptr(RgVkBuffer) bx = NULL, ba = NULL, bi = NULL;
  g_autoptr(RgVkBuffer) bo = rg_test_upload_f32 ("out", base, n);
  g_autoptr(RgVkRecorder) rec = rg_test_recorder ();

  for (uint32_t r = 0; r < rows; r++)
    {
      index[r] = r % 3 == 1 ? -1 : (int32_t) (r % 2);
      if (with_index && index[r] < 0)
        x[(size_t) r * cols] = NAN;
    }
  bx = rg_test_upload_f32 ("x", x, n);
  ba = rg_test_upload_f32 ("alpha", alpha, n_alpha);
  bi = rg_test_upload_bytes ("index", index, rows * 4);
  rg_ref_tanh_gate_add (x, alpha, n_alpha, with_index ? index : NULL, want, rows, cols);
  rg_op_tanh_gate_add (rec, bo, bx, ba, n_alpha, with_index ? bi : NULL, rows, cols);
  rg_test_submit (rec);
  got = rg_test_download_f32 (bo, n);
  for (size_t i = 0; i < n; i++)
    g_assert_false (isnan (got[i]));
  rg_assert_nmse (got, want, n, 1e-10);
  if (with_index)
    for (uint32_t r = 0; r < rows; r++)
      if (index[r] < 0)
        g_assert_cmpmem (got + (size_t) r * cols, cols * 4, base + (size_t) r * cols, cols * 4);
}

static void
test_tanh_gate_add (void)
{
  check_gate (1, 1, 1, FALSE);
  check_gate (17, 64, 1, TRUE);
  check_gate (33, 257, 257, TRUE);
  check_gate (7, 100003, 1, FALSE);
}

static void
check_binary (gboolean swiglu, size_t n)
{
  g_autofree float *a = rg_test_random_f32 (1 + (guint32) n, n, -8, 8);
  g_autofree float *b = rg_test_random_f32 (2 + (guint32) n, n, -8, 8);
  g_autofree float *want = g_new (float, n);
  g_autofree float *got = NULL;
  g_autoptr(RgVkBuffer) ba = rg_test_upload_f32 ("a", a, n);
  g_autoptr(RgVkBuffer) bb = rg_test_upload_f32 ("b", b, n);
  g_autoptr(RgVkBuffer) bo = rg_test_new_buffer ("out", n * 4);
  g_autoptr(RgVkRecorder) rec = rg_test_recorder ();

  if (swiglu)
    {
      rg_ref_swiglu (a, b, want, n);
      rg_op_swiglu (rec, bo, ba, bb, n);
    }
  else
    {
      rg_ref_add (a, b, want, n);
      rg_op_add (rec, bo, ba, bb, n);
    }
  rg_test_submit (rec);
  got = rg_test_download_f32 (bo, n);
  rg_assert_nmse (got, want, n, 1e-7);
}

static void
test_add (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    check_binary (FALSE, sizes[i]);
}

static void
test_add_beyond_one_dispatch (void)
{
  /* more workgroups than maxComputeWorkGroupCount[0] on most devices */
  check_binary (FALSE, HUGE_N);
}

static void
test_swiglu (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    check_binary (TRUE, sizes[i]);
}

static void
test_copy_offsets (void)
{
  /* concat [a; b] into one buffer through two offset copies */
  size_t na = 333, nb = 77;
  g_autofree float *a = rg_test_random_f32 (6, na, -1, 1);
  g_autofree float *b = rg_test_random_f32 (7, nb, -1, 1);
  g_autofree float *got = NULL;
  g_autoptr(RgVkBuffer) ba = rg_test_upload_f32 ("a", a, na);
  g_autoptr(RgVkBuffer) bb = rg_test_upload_f32 ("b", b, nb);
  g_autoptr(RgVkBuffer) bo = rg_test_new_buffer ("out", (na + nb) * 4);
  g_autoptr(RgVkRecorder) rec = rg_test_recorder ();

  rg_op_copy (rec, bo, 0, ba, 0, na);
  rg_op_copy (rec, bo, na, bb, 0, nb);
  rg_test_submit (rec);
  got = rg_test_download_f32 (bo, na + nb);
  g_assert_cmpmem (got, na * 4, a, na * 4);
  g_assert_cmpmem (got + na, nb * 4, b, nb * 4);
}

static void
test_undersized_buffer_is_an_error (void)
{
  g_autoptr(RgVkBuffer) small = rg_test_new_buffer ("small", 16);
  g_autoptr(RgVkRecorder) rec = rg_test_recorder ();
  g_autoptr(GError) error = NULL;

  rg_op_add (rec, small, small, small, 100);
  g_assert_false (rg_vk_recorder_submit (rec, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "small"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  rg_test_gpu_init ();
  g_test_add_func ("/gpu/eltwise/add", test_add);
  g_test_add_func ("/gpu/eltwise/add-beyond-one-dispatch", test_add_beyond_one_dispatch);
  g_test_add_func ("/gpu/eltwise/gelu-tanh", test_gelu_tanh);
  g_test_add_func ("/gpu/eltwise/gelu", test_gelu);
  g_test_add_func ("/gpu/eltwise/quick-gelu", test_quick_gelu);
  g_test_add_func ("/gpu/eltwise/relu", test_relu);
  g_test_add_func ("/gpu/eltwise/tanh-gate-add", test_tanh_gate_add);
  g_test_add_func ("/gpu/eltwise/swiglu", test_swiglu);
  g_test_add_func ("/gpu/eltwise/copy-offsets", test_copy_offsets);
  g_test_add_func ("/gpu/eltwise/undersized-buffer-is-an-error", test_undersized_buffer_is_an_error);
  return g_test_run ();
}
