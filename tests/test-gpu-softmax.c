/* Row softmax on the GPU against rg_ref_softmax: rows shorter and longer
 * than the workgroup, vocabulary-sized rows, large logits (the max shift
 * matters), in place, more rows than one dispatch dimension allows. */
#include "test-gpu.h"

#include <math.h>
#include <string.h>

static void
check_softmax (uint32_t rows, uint32_t n, float lo, float hi, gboolean in_place)
{
  size_t total = (size_t) rows * n;
  g_autofree float *x = rg_test_random_f32 (rows * 13u + n, total, lo, hi);
  g_autofree float *want = g_new (float, total);
  g_autofree float *got = NULL;
  g_autoptr(RgVkBuffer) bx = rg_test_upload_f32 ("x", x, total);
  g_autoptr(RgVkBuffer) bo = in_place ? NULL : rg_test_new_buffer ("out", total * 4);
  RgVkBuffer *out = in_place ? bx : bo;
  g_autoptr(RgVkRecorder) rec = rg_test_recorder ();

  rg_ref_softmax (x, want, rows, n);
  rg_op_softmax (rec, out, bx, rows, n);
  rg_test_submit (rec);
  got = rg_test_download_f32 (out, total);
  rg_assert_nmse (got, want, total, 1e-7);
}

static void
test_sizes (void)
{
  static const uint32_t ns[] = { 1, 7, 255, 257, 1000 };
  static const uint32_t rows[] = { 1, 3, 70 };

  for (guint i = 0; i < G_N_ELEMENTS (ns); i++)
    for (guint j = 0; j < G_N_ELEMENTS (rows); j++)
      check_softmax (rows[j], ns[i], -5, 5, FALSE);
}

static void
test_vocab_rows (void)
{
  /* Mistral's vocabulary, logits up to 40: exp without the max shift overflows */
  check_softmax (2, 32003, -40, 40, FALSE);
}

static void
test_in_place (void)
{
  check_softmax (5, 333, -10, 10, TRUE);
}

static void
test_many_rows (void)
{
  uint32_t rows = rg_vk_context_get_info (rg_test_gpu ())->max_compute_workgroup_count[0] + 7;

  check_softmax (rows, 3, -5, 5, FALSE);
}

static void
test_masked_entries (void)
{
  /* -inf entries (masked logits) get exactly 0 */
  uint32_t n = 300;
  g_autofree float *x = rg_test_random_f32 (9, n, -3, 3);
  g_autofree float *want = g_new (float, n);
  g_autofree float *got = NULL;
  g_autoptr(RgVkBuffer) bx = NULL;
  g_autoptr(RgVkBuffer) bo = rg_test_new_buffer ("out", n * 4);
  g_autoptr(RgVkRecorder) rec = rg_test_recorder ();

  for (uint32_t i = 0; i < n; i += 3)
    x[i] = -INFINITY;
  bx = rg_test_upload_f32 ("x", x, n);
  rg_ref_softmax (x, want, 1, n);
  rg_op_softmax (rec, bo, bx, 1, n);
  rg_test_submit (rec);
  got = rg_test_download_f32 (bo, n);
  rg_assert_nmse (got, want, n, 1e-7);
  for (uint32_t i = 0; i < n; i += 3)
    g_assert_cmpfloat (got[i], ==, 0.0f);
}

static void
test_undersized_is_an_error (void)
{
  g_autoptr(RgVkBuffer) x = rg_test_new_buffer ("short-logits", 10 * 4);
  g_autoptr(RgVkBuffer) o = rg_test_new_buffer ("out", 20 * 4);
  g_autoptr(RgVkRecorder) rec = rg_test_recorder ();
  g_autoptr(GError) error = NULL;

  rg_op_softmax (rec, o, x, 2, 10);
  g_assert_false (rg_vk_recorder_submit (rec, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "short-logits"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  rg_test_gpu_init ();
  g_test_add_func ("/gpu/softmax/sizes", test_sizes);
  g_test_add_func ("/gpu/softmax/vocab-rows", test_vocab_rows);
  g_test_add_func ("/gpu/softmax/in-place", test_in_place);
  g_test_add_func ("/gpu/softmax/many-rows", test_many_rows);
  g_test_add_func ("/gpu/softmax/masked-entries", test_masked_entries);
  g_test_add_func ("/gpu/softmax/undersized-is-an-error", test_undersized_is_an_error);
  return g_test_run ();
}
