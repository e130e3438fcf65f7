/* LayerNorm and RMSNorm on the GPU against rg-ref-ops.h: dims below, at and
 * above the workgroup size (1, 7, 32, 37, 1152, 4099), one row to many,
 * more rows than one dispatch dimension allows. */
#include "test-gpu.h"

#include <string.h>

static const uint32_t dims[] = { 1, 7, 32, 37, 1152, 4099 };
static const uint32_t rows_for[] = { 1, 3, 65, 257 };

typedef enum { LAYERNORM, LAYERNORM_BIAS, RMSNORM } NormKind;

/* Runs one norm; IN_PLACE writes over x. Offsets the data from zero (mean
 * 3, values in [1, 5]) so a one-pass variance would lose digits. */
static void
check_norm (NormKind kind, uint32_t rows, uint32_t dim, gboolean in_place)
{
  size_t n = (size_t) rows * dim;
  guint32 seed = rows * 7919u + dim;
  g_autofree float *x = rg_test_random_f32 (seed, n, 1, 5);
  g_autofree float *w = rg_test_random_f32 (seed + 1, dim, -2, 2);
  g_autofree float *b = rg_test_random_f32 (seed + 2, dim, -1, 1);
  g_autofree float *want = g_new (float, n);
  g_autofree float *got = NULL;
  g_autoptr(RgVkBuffer) bx = rg_test_upload_f32 ("x", x, n);
  g_autoptr(RgVkBuffer) bw = rg_test_upload_f32 ("w", w, dim);
  g_autoptr(RgVkBuffer) bb = rg_test_upload_f32 ("b", b, dim);
  g_autoptr(RgVkBuffer) bo = in_place ? NULL : rg_test_new_buffer ("out", n * 4);
  RgVkBuffer *out = in_place ? bx : bo;
  g_autoptr(RgVkRecorder) rec = rg_test_recorder ();

  switch (kind)
    {
    case LAYERNORM:
      rg_ref_layernorm (x, w, NULL, want, rows, dim, 1e-6f);
      rg_op_layernorm (rec, out, bx, bw, NULL, rows, dim, 1e-6f);
      break;
    case LAYERNORM_BIAS:
      rg_ref_layernorm (x, w, b, want, rows, dim, 1e-6f);
      rg_op_layernorm (rec, out, bx, bw, bb, rows, dim, 1e-6f);
      break;
    case RMSNORM:
      rg_ref_rmsnorm (x, w, want, rows, dim, 1e-5f);
      rg_op_rmsnorm (rec, out, bx, bw, rows, dim, 1e-5f);
      break;
    default:
      g_assert_not_reached ();
    }
  rg_test_submit (rec);
  got = rg_test_download_f32 (out, n);
  rg_assert_nmse (got, want, n, 1e-7);
}

static void
check_all (NormKind kind)
{
  for (guint i = 0; i < G_N_ELEMENTS (dims); i++)
    for (guint j = 0; j < G_N_ELEMENTS (rows_for); j++)
      check_norm (kind, rows_for[j], dims[i], FALSE);
}

static void
test_layernorm (void)
{
  check_all (LAYERNORM);
}

static void
test_layernorm_bias (void)
{
  check_all (LAYERNORM_BIAS);
}

static void
test_rmsnorm (void)
{
  check_all (RMSNORM);
}

static void
test_in_place (void)
{
  check_norm (LAYERNORM_BIAS, 5, 1152, TRUE);
  check_norm (RMSNORM, 5, 1152, TRUE);
}

static void
test_many_rows (void)
{
  /* more workgroups (one per row) than maxComputeWorkGroupCount[0] */
  uint32_t rows = rg_vk_context_get_info (rg_test_gpu ())->max_compute_workgroup_count[0] + 3;

  check_norm (LAYERNORM_BIAS, rows, 3, FALSE);
  check_norm (RMSNORM, rows, 3, FALSE);
}

static void
test_constant_row (void)
{
  /* zero variance: the output is exactly the bias (eps keeps it finite) */
  uint32_t dim = 300;
  g_autofree float *x = g_new (float, dim);
  g_autofree float *w = rg_test_random_f32 (3, dim, -2, 2);
  g_autofree float *b = rg_test_random_f32 (4, dim, -1, 1);
  g_autofree float *got = NULL;
  g_autoptr(RgVkBuffer) bx = NULL;
  g_autoptr(RgVkBuffer) bw = rg_test_upload_f32 ("w", w, dim);
  g_autoptr(RgVkBuffer) bb = rg_test_upload_f32 ("b", b, dim);
  g_autoptr(RgVkBuffer) bo = rg_test_new_buffer ("out", dim * 4);
  g_autoptr(RgVkRecorder) rec = rg_test_recorder ();

  for (uint32_t i = 0; i < dim; i++)
    x[i] = 2.5f;
  bx = rg_test_upload_f32 ("x", x, dim);
  rg_op_layernorm (rec, bo, bx, bw, bb, 1, dim, 1e-6f);
  rg_test_submit (rec);
  got = rg_test_download_f32 (bo, dim);
  g_assert_cmpmem (got, dim * 4, b, dim * 4);
}

static void
test_undersized_is_an_error (void)
{
  g_autoptr(RgVkBuffer) x = rg_test_new_buffer ("x", 64 * 4);
  g_autoptr(RgVkBuffer) w = rg_test_new_buffer ("short-gain", 16 * 4);
  g_autoptr(RgVkBuffer) o = rg_test_new_buffer ("out", 64 * 4);
  g_autoptr(RgVkRecorder) rec = rg_test_recorder ();
  g_autoptr(GError) error = NULL;

  rg_op_rmsnorm (rec, o, x, w, 2, 32, 1e-5f);
  g_assert_false (rg_vk_recorder_submit (rec, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "short-gain"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  rg_test_gpu_init ();
  g_test_add_func ("/gpu/norm/layernorm", test_layernorm);
  g_test_add_func ("/gpu/norm/layernorm-bias", test_layernorm_bias);
  g_test_add_func ("/gpu/norm/rmsnorm", test_rmsnorm);
  g_test_add_func ("/gpu/norm/in-place", test_in_place);
  g_test_add_func ("/gpu/norm/many-rows", test_many_rows);
  g_test_add_func ("/gpu/norm/constant-row-gives-bias", test_constant_row);
  g_test_add_func ("/gpu/norm/undersized-is-an-error", test_undersized_is_an_error);
  return g_test_run ();
}
