/* Embedding lookup, row scatter and patch embedding on the GPU against
 * rg-ref-ops.h. */
#include "test-gpu.h"

#include <string.h>

static void
check_embedding (RgDType dtype, uint32_t rows, uint32_t dim, uint32_t n, uint64_t chunk_bytes)
{
  g_autoptr(GError) error = NULL;
  g_autofree float *table = rg_test_random_f32 (rows + dim, (size_t) rows * dim, -2, 2);
  g_autofree uint16_t *raw16 = g_new (uint16_t, (size_t) rows * dim);
  g_autofree int32_t *ids = g_new (int32_t, n);
  g_autofree float *want = g_new (float, (size_t) n * dim);
  g_autofree float *got = NULL;
  g_autoptr(RgGpuWeight) gw = rg_gpu_weight_new (rg_test_gpu (), "table", dtype, rows, dim, chunk_bytes, &error);
  g_autoptr(RgVkBuffer) bids = NULL;
  g_autoptr(RgVkBuffer) bo = rg_test_new_buffer ("out", (size_t) n * dim * 4);
  g_autoptr(RgVkRecorder) rec = rg_test_recorder ();

  g_assert_no_error (error);
  for (size_t i = 0; i < (size_t) rows * dim; i++)
    if (dtype != RG_DTYPE_F32)
      {
        raw16[i] = dtype == RG_DTYPE_F16 ? rg_f32_to_f16 (table[i]) : rg_f32_to_bf16 (table[i]);
        table[i] = dtype == RG_DTYPE_F16 ? rg_f16_to_f32 (raw16[i]) : rg_bf16_to_f32 (raw16[i]);
      }
  rg_gpu_weight_upload_rows (gw, 0, rows, dtype == RG_DTYPE_F32 ? (void *) table : (void *) raw16, &error);
  g_assert_no_error (error);
  for (uint32_t i = 0; i < n; i++)
    ids[i] = (int32_t) ((i * 7919u + 13u) % rows);
  ids[n - 1] = (int32_t) rows - 1;
  g_assert_true (rg_ref_embedding (table, rows, dim, ids, n, want));
  bids = rg_test_upload_bytes ("ids", ids, n * 4);

  rg_op_embedding (rec, bo, gw, bids, n);
  rg_test_submit (rec);
  got = rg_test_download_f32 (bo, (size_t) n * dim);
  g_assert_cmpmem (got, (size_t) n * dim * 4, want, (size_t) n * dim * 4);
}

static void
test_embedding (void)
{
  check_embedding (RG_DTYPE_F32, 1001, 33, 17, 0);
  check_embedding (RG_DTYPE_F16, 1001, 33, 17, 0);
  check_embedding (RG_DTYPE_BF16, 32003, 64, 79, 0);
}

/* A decoupled vocabulary: the base table, then the added rows for ids
 * from BASE on, in chunks too; the added table leaves base rows alone. */
static void
check_embedding_range (uint32_t base, uint32_t extra, uint32_t dim, uint32_t n, uint64_t chunk_bytes)
{
  g_autoptr(GError) error = NULL;
  g_autofree float *t0 = rg_test_random_f32 (base, (size_t) base * dim, -2, 2);
  g_autofree float *t1 = rg_test_random_f32 (extra + 1, (size_t) extra * dim, -2, 2);
  g_autofree int32_t *ids = g_new (int32_t, n);
  g_autofree float *want = g_new0 (float, (size_t) n * dim);
  g_autofree float *got = NULL;
  g_autoptr(RgGpuWeight) g0 = rg_gpu_weight_new (rg_test_gpu (), "base", RG_DTYPE_F32, base, dim, 0, &error);
  g_autoptr(RgGpuWeight) g1 = rg_gpu_weight_new (rg_test_gpu (), "extra", RG_DTYPE_F32, extra, dim, chunk_bytes, &error);
  g_autoptr(RgVkBuffer) bids = NULL;
  g_autoptr(RgVkBuffer) bo = rg_test_new_buffer ("out", (size_t) n * dim * 4);
  g_autoptr(RgVkRecorder) rec = rg_test_recorder ();

  g_assert_no_error (error);
  g_assert_true (rg_gpu_weight_upload_rows (g0, 0, base, t0, &error));
  g_assert_true (rg_gpu_weight_upload_rows (g1, 0, extra, t1, &error));
  for (uint32_t i = 0; i < n; i++)
    ids[i] = (int32_t) ((i * 7919u + 13u) % (base + extra));
  ids[0] = (int32_t) (base + extra - 1);
  ids[n - 1] = (int32_t) base;
  rg_ref_embedding_range (t0, base, dim, 0, ids, n, want);
  rg_ref_embedding_range (t1, extra, dim, (int32_t) base, ids, n, want);
  bids = rg_test_upload_bytes ("ids", ids, n * 4);

  rg_op_embedding (rec, bo, g0, bids, n);
  rg_op_embedding_range (rec, bo, g1, bids, n, (int32_t) base);
  rg_test_submit (rec);
  got = rg_test_download_f32 (bo, (size_t) n * dim);
  g_assert_cmpmem (got, (size_t) n * dim * 4, want, (size_t) n * dim * 4);
  /* the added rows really came from the second table */
  g_assert_cmpmem (got, dim * 4, t1 + (size_t) (extra - 1) * dim, dim * 4);
}

static void
test_embedding_range (void)
{
  check_embedding_range (1000, 3, 33, 17, 0);
  check_embedding_range (101, 37, 64, 257, 33 * 4 * 8);
}

static void
test_embedding_chunked (void)
{
  /* ids fall in every chunk, including the last partial one */
  check_embedding (RG_DTYPE_BF16, 1001, 33, 257, 2048);
  check_embedding (RG_DTYPE_F32, 1001, 33, 257, 4096);
}

static void
test_embedding_invalid_id_writes_zeros (void)
{
  g_autoptr(GError) error = NULL;
  float table[6] = { 1, 2, 3, 4, 5, 6 };
  int32_t ids[3] = { 2, 7, -1 };
  float want[6] = { 5, 6, 0, 0, 0, 0 };
  g_autofree float *got = NULL;
  g_autoptr(RgGpuWeight) gw = rg_gpu_weight_new (rg_test_gpu (), "t", RG_DTYPE_F32, 3, 2, 0, &error);
  g_autoptr(RgVkBuffer) bids = rg_test_upload_bytes ("ids", ids, sizeof ids);
  g_autoptr(RgVkBuffer) bo = rg_test_new_buffer ("out", sizeof want);
  g_autoptr(RgVkRecorder) rec = rg_test_recorder ();

  rg_gpu_weight_upload_rows (gw, 0, 3, table, &error);
  g_assert_no_error (error);
  rg_op_embedding (rec, bo, gw, bids, 3);
  rg_test_submit (rec);
  got = rg_test_download_f32 (bo, 6);
  g_assert_cmpmem (got, sizeof want, want, sizeof want);
}

static void
test_scatter_rows (void)
{
  uint32_t n_dst = 150, dim = 37, n = 64;
  g_autofree float *dst = rg_test_random_f32 (1, (size_t) n_dst * dim, -1, 1);
  g_autofree float *src = rg_test_random_f32 (2, (size_t) n * dim, -1, 1);
  g_autofree int32_t *rows = g_new (int32_t, n);
  g_autofree float *want = g_memdup2 (dst, (size_t) n_dst * dim * 4);
  g_autofree float *got = NULL;
  g_autoptr(RgVkBuffer) bdst = rg_test_upload_f32 ("dst", dst, (size_t) n_dst * dim);
  g_autoptr(RgVkBuffer) bsrc = rg_test_upload_f32 ("src", src, (size_t) n * dim);
  g_autoptr(RgVkBuffer) brows = NULL;
  g_autoptr(RgVkRecorder) rec = rg_test_recorder ();

  for (uint32_t i = 0; i < n; i++)
    {
      rows[i] = (int32_t) (3 + i * 2);
      memcpy (want + (size_t) rows[i] * dim, src + (size_t) i * dim, dim * 4);
    }
  brows = rg_test_upload_bytes ("rows", rows, n * 4);
  rg_op_scatter_rows (rec, bdst, bsrc, brows, n, dim);
  rg_test_submit (rec);
  got = rg_test_download_f32 (bdst, (size_t) n_dst * dim);
  g_assert_cmpmem (got, (size_t) n_dst * dim * 4, want, (size_t) n_dst * dim * 4);
}

static void
check_patch_embed (uint32_t H, uint32_t W, uint32_t V, RgDType dtype)
{
  const uint32_t C = 3, P = 14;
  uint32_t K = C * P * P, n_patches = (H / P) * (W / P);
  g_autoptr(GError) error = NULL;
  g_autofree float *px = rg_test_random_f32 (H * W, (size_t) C * H * W, -1, 1);
  g_autofree float *w = rg_test_random_f32 (V, (size_t) V * K, -0.1f, 0.1f);
  g_autofree uint16_t *w16 = g_new (uint16_t, (size_t) V * K);
  g_autofree float *bias = rg_test_random_f32 (V + 1, V, -0.05f, 0.05f);
  g_autofree float *want = g_new (float, (size_t) n_patches * V);
  g_autofree float *got = NULL;
  g_autoptr(RgGpuWeight) gw = rg_gpu_weight_new (rg_test_gpu (), "patch", dtype, V, K, 0, &error);
  g_autoptr(RgVkBuffer) bpx = rg_test_upload_f32 ("px", px, (size_t) C * H * W);
  g_autoptr(RgVkBuffer) bb = rg_test_upload_f32 ("bias", bias, V);
  g_autoptr(RgVkBuffer) bo = rg_test_new_buffer ("out", (size_t) n_patches * V * 4);
  g_autoptr(RgVkRecorder) rec = rg_test_recorder ();

  g_assert_no_error (error);
  if (dtype == RG_DTYPE_BF16)
    for (size_t i = 0; i < (size_t) V * K; i++)
      {
        w16[i] = rg_f32_to_bf16 (w[i]);
        w[i] = rg_bf16_to_f32 (w16[i]);
      }
  rg_gpu_weight_upload_rows (gw, 0, V, dtype == RG_DTYPE_BF16 ? (void *) w16 : (void *) w, &error);
  g_assert_no_error (error);
  rg_ref_patch_embed (px, C, H, W, w, bias, V, P, want);
  rg_op_patch_embed (rec, bo, bpx, gw, bb, C, H, W, P);
  rg_test_submit (rec);
  got = rg_test_download_f32 (bo, (size_t) n_patches * V);
  rg_assert_nmse (got, want, (size_t) n_patches * V, 1e-10);
}

static void
test_patch_embed (void)
{
  /* remainder rows/columns (H, W not multiples of 14) are ignored */
  check_patch_embed (28, 42, 32, RG_DTYPE_F32);
  check_patch_embed (450, 800, 32, RG_DTYPE_BF16);
  check_patch_embed (391, 97, 37, RG_DTYPE_F32);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  rg_test_gpu_init ();
  g_test_add_func ("/gpu/gather/embedding", test_embedding);
  g_test_add_func ("/gpu/gather/embedding-chunked", test_embedding_chunked);
  g_test_add_func ("/gpu/gather/embedding-range", test_embedding_range);
  g_test_add_func ("/gpu/gather/embedding-invalid-id-writes-zeros", test_embedding_invalid_id_writes_zeros);
  g_test_add_func ("/gpu/gather/scatter-rows", test_scatter_rows);
  g_test_add_func ("/gpu/gather/patch-embed", test_patch_embed);
  return g_test_run ();
}
