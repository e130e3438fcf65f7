/* Linear layers on the GPU against rg_ref_linear_w: every weight type,
 * mat-vec (M <= 8), tiled and CPU-tiled paths, odd shapes, bias, weights split into
 * chunks, and one weight larger than lavapipe's 128 MiB binding limit. */
#include "test-gpu.h"
#include "rg-quant.h"
#include "regard-engine.h"

#include <string.h>

/* Random weights in DTYPE's raw layout (f16/bf16 as uint16). */
static void *
random_weights (RgDType dtype, size_t n, guint32 seed)
{
  g_autofree float *f = rg_test_random_f32 (seed, n, -1, 1);

  if (dtype == RG_DTYPE_F32)
    return g_steal_pointer (&f);
  else
    {
      uint16_t *h = g_new (uint16_t, MAX (n, 1));
      for (size_t i = 0; i < n; i++)
        h[i] = dtype == RG_DTYPE_F16 ? rg_f32_to_f16 (f[i]) : rg_f32_to_bf16 (f[i]);
      return h;
    }
}

/* Set while a test must run the CPU devices' tiled matmul. */
static gboolean expect_cpu_tiled;

static void
assert_kernel (const RgGpuWeight *gw, uint32_t M)
{
  if (expect_cpu_tiled)
    g_assert_cmpint (rg_op_linear_kernel (rg_test_gpu (), gw, M), ==, RG_LINEAR_CPU_TILED);
}

static void
check_matmul (RgDType dtype, uint32_t M, uint32_t N, uint32_t K, gboolean with_bias, uint64_t chunk_bytes,
              double max_nmse)
{
  g_autoptr(GError) error = NULL;
  g_autofree float *x = rg_test_random_f32 (M * 31 + K, (size_t) M * K, -1, 1);
  g_autofree void *w = random_weights (dtype, (size_t) N * K, N + K);
  g_autofree float *bias = rg_test_random_f32 (N, N, -0.5, 0.5);
  g_autofree float *want = g_new (float, (size_t) M * N);
  g_autofree float *got = NULL;
  g_autoptr(RgGpuWeight) gw = rg_gpu_weight_new (rg_test_gpu (), "w", dtype, N, K, chunk_bytes, &error);
  g_autoptr(RgVkBuffer) bx = rg_test_upload_f32 ("x", x, (size_t) M * K);
  g_autoptr(RgVkBuffer) bb = rg_test_upload_f32 ("bias", bias, N);
  g_autoptr(RgVkBuffer) by = rg_test_new_buffer ("y", (size_t) M * N * 4);
  g_autoptr(RgVkRecorder) rec = rg_test_recorder ();

  g_assert_no_error (error);
  if (chunk_bytes > 0)
    g_assert_cmpuint (gw->n_chunks, >, 1);
  rg_gpu_weight_upload_rows (gw, 0, N, w, &error);
  g_assert_no_error (error);

  rg_ref_linear_w (x, w, dtype, with_bias ? bias : NULL, want, M, N, K);
  assert_kernel (gw, M);
  rg_op_linear (rec, by, bx, gw, RG_LINEAR_BIAS (with_bias ? bb : NULL), M);
  rg_test_submit (rec);
  got = rg_test_download_f32 (by, (size_t) M * N);
  rg_assert_nmse (got, want, (size_t) M * N, max_nmse);
}

static const RgDType dtypes[] = { RG_DTYPE_F32, RG_DTYPE_F16, RG_DTYPE_BF16 };

/* ---- rg_op_linear: fused norm, residual, output offset ---------------- */

typedef struct
{
  gboolean norm, accumulate, bias, gate;
  uint32_t out_offset;   /* rows of y before the output */
} LinearCase;

/* Weights of DTYPE for the GPU (raw blocks) and as f32 for the reference
 * (the dequantized values, so only rounding separates the two). */
static void *
linear_weights (RgDType dtype, uint32_t N, uint32_t K, float *f32_out)
{
  g_autofree float *f = rg_test_random_f32 (N * 3 + K, (size_t) N * K, -1, 1);
  void *raw;

  if (dtype == RG_DTYPE_Q8_0 || dtype == RG_DTYPE_Q4_0)
    {
      uint64_t row_bytes = 0;

      g_assert_true (rg_dtype_bytes_checked (dtype, K, &row_bytes));
      raw = g_malloc ((size_t) N * row_bytes);
      for (uint32_t r = 0; r < N; r++)
        {
          guint8 *q = (guint8 *) raw + r * row_bytes;
          float *row = f32_out + (size_t) r * K;

          if (dtype == RG_DTYPE_Q8_0)
            {
              rg_quantize_row_q8_0 (f + (size_t) r * K, (RgBlockQ8_0 *) q, K);
              rg_dequantize_row_q8_0 ((RgBlockQ8_0 *) q, row, K);
            }
          else
            {
              rg_quantize_row_q4_0 (f + (size_t) r * K, (RgBlockQ4_0 *) q, K);
              rg_dequantize_row_q4_0 ((RgBlockQ4_0 *) q, row, K);
            }
        }
      return raw;
    }
  raw = random_weights (dtype, (size_t) N * K, N + K);
  rg_dtype_to_f32 (dtype, raw, f32_out, (size_t) N * K);
  return raw;
}

static void
check_linear (RgDType dtype, uint32_t M, uint32_t N, uint32_t K, const LinearCase *lc)
{
  g_autoptr(GError) error = NULL;
  size_t y_len = (size_t) (lc->out_offset + M) * N;
  g_autofree float *x = rg_test_random_f32 (M * 31 + K, (size_t) M * K, -2, 2);
  g_autofree float *gain = rg_test_random_f32 (K + 5, K, 0.5, 1.5);
  g_autofree float *bias = rg_test_random_f32 (N, N, -0.5, 0.5);
  g_autofree float *y0 = rg_test_random_f32 (N + 7, y_len, -1, 1);   /* what OUT held */
  g_autofree float *gate = rg_test_random_f32 (N + 9, y_len, -6, 6);
  g_autofree float *wf = g_new (float, (size_t) N * K);
  g_autofree void *w = linear_weights (dtype, N, K, wf);
  g_autofree float *xn = g_memdup2 (x, (size_t) M * K * 4);
  g_autofree float *want = g_memdup2 (y0, y_len * 4);
  g_autofree float *prod = g_new (float, (size_t) M * N);
  g_autofree float *got = NULL;
  g_autoptr(RgGpuWeight) gw = rg_gpu_weight_new (rg_test_gpu (), "w", dtype, N, K, 0, &error);
  g_autoptr(RgVkBuffer) bx = rg_test_upload_f32 ("x", x, (size_t) M * K);
  g_autoptr(RgVkBuffer) bg = rg_test_upload_f32 ("gain", gain, K);
  g_autoptr(RgVkBuffer) bb = rg_test_upload_f32 ("bias", bias, N);
  g_autoptr(RgVkBuffer) by = rg_test_upload_f32 ("y", y0, y_len);
  g_autoptr(RgVkBuffer) bgate = rg_test_upload_f32 ("gate", gate, y_len);
  g_autoptr(RgVkRecorder) rec = rg_test_recorder ();
  RgLinearParams lp = {
    .bias = lc->bias ? bb : NULL, .norm_gain = lc->norm ? bg : NULL, .norm_eps = 1e-5f,
    .accumulate = lc->accumulate, .out_offset = (uint64_t) lc->out_offset * N,
    .gate_silu = lc->gate ? bgate : NULL,
  };

  g_assert_no_error (error);
  rg_gpu_weight_upload_rows (gw, 0, N, w, &error);
  g_assert_no_error (error);

  if (lc->norm)
    rg_ref_rmsnorm (x, gain, xn, M, K, 1e-5f);
  rg_ref_linear (xn, wf, lc->bias ? bias : NULL, prod, M, N, K);
  if (lc->gate)
    rg_ref_swiglu (gate + (size_t) lc->out_offset * N, prod, prod, (size_t) M * N);
  for (size_t i = 0; i < (size_t) M * N; i++)
    {
      float *o = want + (size_t) lc->out_offset * N + i;
      *o = lc->accumulate ? *o + prod[i] : prod[i];
    }

  assert_kernel (gw, M);
  rg_op_linear (rec, by, bx, gw, &lp, M);
  rg_test_submit (rec);
  got = rg_test_download_f32 (by, y_len);
  /* rows before the output are untouched, exactly */
  g_assert_cmpmem (got, (size_t) lc->out_offset * N * 4, y0, (size_t) lc->out_offset * N * 4);
  rg_assert_nmse (got, want, y_len, 1e-10);
}

static const RgDType linear_dtypes[] = { RG_DTYPE_F32, RG_DTYPE_F16, RG_DTYPE_Q8_0, RG_DTYPE_Q4_0 };
/* M 9 and 40: slices of the mat-vec, or the tiled matmul where forced */
static const uint32_t linear_shapes[][3] = { { 1, 37, 64 }, { 3, 65, 96 }, { 8, 129, 1152 }, { 9, 33, 128 },
                                             { 40, 31, 32 } };

static void
run_linear_case (const LinearCase *lc)
{
  for (guint d = 0; d < G_N_ELEMENTS (linear_dtypes); d++)
    for (guint s = 0; s < G_N_ELEMENTS (linear_shapes); s++)
      check_linear (linear_dtypes[d], linear_shapes[s][0], linear_shapes[s][1], linear_shapes[s][2], lc);
}

static void
test_linear_norm (void)
{
  LinearCase lc = { .norm = TRUE };
  run_linear_case (&lc);
}

static void
test_linear_accumulate (void)
{
  LinearCase lc = { .accumulate = TRUE, .bias = TRUE };
  run_linear_case (&lc);
}

static void
test_linear_norm_into_offset (void)
{
  /* as the KV cache's keys: normalized input, written after 5 rows */
  LinearCase lc = { .norm = TRUE, .out_offset = 5 };
  run_linear_case (&lc);
}

static void
test_linear_gate_silu (void)
{
  /* a SwiGLU's up projection: silu(gate) * (RMSNorm(x) . W^T) */
  LinearCase lc = { .norm = TRUE, .gate = TRUE };
  LinearCase lc2 = { .gate = TRUE, .bias = TRUE, .out_offset = 2 };
  run_linear_case (&lc);
  run_linear_case (&lc2);
}

/* A row so wide that a mat-vec loop could pass lavapipe's silent limit of
 * 65535 iterations: never a truncated sum. Either the product is right (a
 * plan with enough threads per row: the -texel0 run) or it is refused with
 * a clear error (the subgroup plan on CPU devices: the -texel1 run). */
static void
test_row_beyond_loop_limit (void)
{
  uint32_t K = 32 * 70000 + 32;   /* 70001 steps of 8 lanes x 4 floats */
  g_autoptr(GError) error = NULL;
  g_autofree float *x = rg_test_random_f32 (3, K, -1, 1);
  g_autofree float *w = rg_test_random_f32 (4, K, -1, 1);
  g_autoptr(RgGpuWeight) gw = rg_gpu_weight_new (rg_test_gpu (), "wide", RG_DTYPE_F32, 1, K, 0, &error);
  g_autoptr(RgVkBuffer) bx = rg_test_upload_f32 ("x", x, K);
  g_autoptr(RgVkBuffer) by = rg_test_new_buffer ("y", 4);
  g_autoptr(RgVkRecorder) rec = rg_test_recorder ();

  g_assert_no_error (error);
  rg_gpu_weight_upload_rows (gw, 0, 1, w, &error);
  g_assert_no_error (error);
  rg_op_linear (rec, by, bx, gw, NULL, 1);
  if (!rg_vk_recorder_submit (rec, &error))
    {
      g_test_message ("refused: %s", error->message);
      g_assert_error (error, REGARD_ERROR, REGARD_ERROR_UNSUPPORTED);
      g_assert_nonnull (strstr (error->message, "too wide"));
    }
  else
    {
      float want;
      g_autofree float *got = rg_test_download_f32 (by, 1);

      rg_ref_linear (x, w, NULL, &want, 1, 1, K);
      /* f32 sums over 2.2M terms round more than the other shapes' (a
       * truncated sum would be off by most of its value) */
      rg_assert_nmse (got, &want, 1, 1e-8);
    }
}

static void
test_linear_in_place_refused (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RgGpuWeight) gw = rg_gpu_weight_new (rg_test_gpu (), "w", RG_DTYPE_F32, 32, 32, 0, &error);
  g_autoptr(RgVkBuffer) bx = rg_test_new_buffer ("x", 32 * 4);
  g_autoptr(RgVkRecorder) rec = rg_test_recorder ();
  RgLinearParams lp = { .accumulate = TRUE };

  g_assert_no_error (error);
  rg_op_linear (rec, bx, bx, gw, &lp, 1);
  g_assert_false (rg_vk_recorder_submit (rec, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "output cannot be the input"));
}

static void
test_matvec_shapes (void)
{
  static const uint32_t shapes[][3] = { { 1, 1, 1 }, { 1, 37, 32 }, { 3, 65, 77 }, { 8, 129, 1153 }, { 5, 300, 4099 } };

  for (guint d = 0; d < G_N_ELEMENTS (dtypes); d++)
    for (guint s = 0; s < G_N_ELEMENTS (shapes); s++)
      check_matmul (dtypes[d], shapes[s][0], shapes[s][1], shapes[s][2], s % 2 == 0, 0, 1e-10);
}

static void
test_matmul_shapes (void)
{
  static const uint32_t shapes[][3] = { { 9, 37, 32 }, { 33, 65, 77 }, { 100, 129, 1153 }, { 257, 31, 17 } };

  for (guint d = 0; d < G_N_ELEMENTS (dtypes); d++)
    for (guint s = 0; s < G_N_ELEMENTS (shapes); s++)
      check_matmul (dtypes[d], shapes[s][0], shapes[s][1], shapes[s][2], s % 2 == 1, 0, 1e-10);
}

/* The CPU devices' tiled matmul (forced where the device can run it): odd
 * M and N cutting tiles at both edges, plain rows whose last block of 32
 * is partial, weights in chunks, every epilogue, and more workgroups than
 * one grid dimension holds (65535). */
static void
test_cpu_tiled_shapes (void)
{
  static const uint32_t plain[][3] = { { 9, 37, 40 }, { 13, 65, 96 }, { 100, 129, 1160 }, { 31, 17, 8 } };
  static const uint32_t quant[][3] = { { 9, 37, 64 }, { 35, 65, 96 }, { 100, 129, 1152 } };
  static const LinearCase cases[] = {
    { .bias = TRUE }, { .accumulate = TRUE, .out_offset = 3 }, { .norm = TRUE, .gate = TRUE },
  };
  const RgVkDeviceInfo *info = rg_vk_context_get_info (rg_test_gpu ());
  g_autofree char *saved = g_strdup (g_getenv ("REGARD_MATMUL"));

  if (!rg_vk_context_get_texel_weights (rg_test_gpu ()) || !info->subgroup_arithmetic)
    {
      g_test_skip ("needs texel weights and subgroup arithmetic (the -texel1 run)");
      return;
    }
  g_setenv ("REGARD_MATMUL", "cpu", TRUE);
  expect_cpu_tiled = TRUE;
  for (guint d = 0; d < G_N_ELEMENTS (dtypes); d++)
    {
      for (guint s = 0; s < G_N_ELEMENTS (plain); s++)
        check_matmul (dtypes[d], plain[s][0], plain[s][1], plain[s][2], s % 2 == 0, 0, 1e-10);
      check_matmul (dtypes[d], 40, 203, 48, TRUE, 4096, 1e-10);
    }
  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      check_linear (RG_DTYPE_F16, 21, 45, 200, &cases[c]);
      for (guint s = 0; s < G_N_ELEMENTS (quant); s++)
        {
          check_linear (RG_DTYPE_Q8_0, quant[s][0], quant[s][1], quant[s][2], &cases[c]);
          check_linear (RG_DTYPE_Q4_0, quant[s][0], quant[s][1], quant[s][2], &cases[c]);
        }
    }
  /* 201 x 327 tiles of 6 x 16 */
  check_matmul (RG_DTYPE_F16, 1201, 5232, 32, TRUE, 0, 1e-10);
  expect_cpu_tiled = FALSE;
  if (saved)
    g_setenv ("REGARD_MATMUL", saved, TRUE);
  else
    g_unsetenv ("REGARD_MATMUL");
}

static void
test_chunked_weight (void)
{
  /* 4 KiB chunks: several chunks, and 16-bit rows of odd width whose
   * chunk boundaries must stay word aligned */
  for (guint d = 0; d < G_N_ELEMENTS (dtypes); d++)
    {
      check_matmul (dtypes[d], 1, 203, 33, TRUE, 4096, 1e-10);
      check_matmul (dtypes[d], 40, 203, 33, TRUE, 4096, 1e-10);
    }
}

static void
test_weight_beyond_binding_limit (void)
{
  const RgVkDeviceInfo *info = rg_vk_context_get_info (rg_test_gpu ());
  /* an lm_head-like f16 matrix just over the device's binding range */
  uint32_t K = 2112;
  uint32_t N = (uint32_t) MIN (info->max_storage_buffer_range / (2 * K) + 97, 32003u * 8);

  if ((uint64_t) N * K * 2 > (1ull << 30))
    {
      g_test_skip ("binding limit too large to exceed cheaply on this device");
      return;
    }
  check_matmul (RG_DTYPE_F16, 1, N, K, FALSE, 0, 1e-10);
}

static void
test_weight_row_too_wide_is_an_error (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RgGpuWeight) gw = rg_gpu_weight_new (rg_test_gpu (), "wide", RG_DTYPE_F32, 4, 1024, 1024, &error);

  g_assert_null (gw);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "wide"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  rg_test_gpu_init ();
  g_test_add_func ("/gpu/matmul/matvec-shapes", test_matvec_shapes);
  g_test_add_func ("/gpu/matmul/tiled-shapes", test_matmul_shapes);
  g_test_add_func ("/gpu/matmul/cpu-tiled-shapes", test_cpu_tiled_shapes);
  g_test_add_func ("/gpu/matmul/chunked-weight", test_chunked_weight);
  g_test_add_func ("/gpu/matmul/weight-beyond-binding-limit", test_weight_beyond_binding_limit);
  g_test_add_func ("/gpu/matmul/row-too-wide-is-an-error", test_weight_row_too_wide_is_an_error);
  g_test_add_func ("/gpu/matmul/linear/norm", test_linear_norm);
  g_test_add_func ("/gpu/matmul/linear/accumulate", test_linear_accumulate);
  g_test_add_func ("/gpu/matmul/linear/norm-into-offset", test_linear_norm_into_offset);
  g_test_add_func ("/gpu/matmul/linear/gate-silu", test_linear_gate_silu);
  g_test_add_func ("/gpu/matmul/linear/in-place-refused", test_linear_in_place_refused);
  g_test_add_func ("/gpu/matmul/row-beyond-loop-limit", test_row_beyond_loop_limit);
  return g_test_run ();
}
