/* Q8_0 / Q4_0 weights on the GPU: the shaders decode exactly the floats
 * rg_dequantize_row_* gives (embedding rows, one-hot mat-vec through the
 * block path, identity through the tiled matmul), and matmul/matvec agree
 * with the reference on the dequantized matrix, with chunk boundaries that
 * start blocks in both halves of a word. */
#include "test-gpu.h"

#include <string.h>

#include "regard-engine.h"
#include "rg-quant.h"

typedef struct
{
  RgDType dtype;
  uint32_t N, K;
  void *q;          /* quantized rows */
  float *deq;       /* rg_dequantize_row_* of them [N, K] */
} QMat;

static void
qmat_free (QMat *m)
{
  g_free (m->q);
  g_free (m->deq);
}

static QMat
qmat_new (RgDType dtype, uint32_t N, uint32_t K, guint32 seed)
{
  g_autofree float *f = rg_test_random_f32 (seed, (size_t) N * K, -1, 1);
  uint64_t row_bytes = 0;
  QMat m = { dtype, N, K, NULL, NULL };

  g_assert_true (rg_dtype_bytes_checked (dtype, K, &row_bytes));
  /* a few rows of larger and tiny scales, and an all-zero block */
  for (uint32_t k = 0; k < K; k++)
    {
      f[k] *= 100.0f;
      if (N > 1)
        f[K + k] *= 1e-3f;
    }
  if (N > 2)
    memset (f + 2 * K, 0, 32 * sizeof (float));
  m.q = g_malloc ((size_t) N * row_bytes);
  m.deq = g_new (float, (size_t) N * K);
  for (uint32_t r = 0; r < N; r++)
    {
      guint8 *qr = (guint8 *) m.q + r * row_bytes;
      if (dtype == RG_DTYPE_Q8_0)
        {
          rg_quantize_row_q8_0 (f + (size_t) r * K, (RgBlockQ8_0 *) qr, K);
          rg_dequantize_row_q8_0 ((RgBlockQ8_0 *) qr, m.deq + (size_t) r * K, K);
        }
      else
        {
          rg_quantize_row_q4_0 (f + (size_t) r * K, (RgBlockQ4_0 *) qr, K);
          rg_dequantize_row_q4_0 ((RgBlockQ4_0 *) qr, m.deq + (size_t) r * K, K);
        }
    }
  return m;
}

/* SLICED: rows in uneven slices (3, 5, 1, 8, 13, ...), so groups of 8
 * stored rows arrive in parts and across chunk boundaries. */
static RgGpuWeight *
upload_rows (const QMat *m, uint64_t chunk_bytes, gboolean sliced)
{
  static const uint32_t slices[] = { 3, 5, 1, 8, 13, 2, 7 };
  g_autoptr(GError) error = NULL;
  RgGpuWeight *w = rg_gpu_weight_new (rg_test_gpu (), "qw", m->dtype, m->N, m->K, chunk_bytes, &error);
  uint64_t row_bytes = rg_gpu_weight_row_bytes (w);
  uint32_t r = 0;

  g_assert_no_error (error);
  for (guint i = 0; r < m->N; i++)
    {
      uint32_t n = sliced ? MIN (slices[i % G_N_ELEMENTS (slices)], m->N - r) : m->N;

      rg_gpu_weight_upload_rows (w, r, n, (const guint8 *) m->q + r * row_bytes, &error);
      g_assert_no_error (error);
      r += n;
    }
  return w;
}

static RgGpuWeight *
upload (const QMat *m, uint64_t chunk_bytes)
{
  return upload_rows (m, chunk_bytes, FALSE);
}

static void
assert_bits_equal (const float *got, const float *want, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (memcmp (&got[i], &want[i], 4) != 0 && !(got[i] == 0.0f && want[i] == 0.0f))
      g_error ("element %zu: GPU %.9g (0x%08x), CPU %.9g", i, (double) got[i],
               *(const uint32_t *) &got[i], (double) want[i]);
}

/* Every element through load_w (embedding of every row). */
static void
check_embedding_exact_upload (RgDType dtype, uint32_t N, uint32_t K, uint64_t chunk_bytes, gboolean sliced)
{
  QMat m = qmat_new (dtype, N, K, N * 7 + K);
  g_autoptr(RgGpuWeight) w = upload_rows (&m, chunk_bytes, sliced);
  g_autofree int32_t *ids = g_new (int32_t, N);
  g_autoptr(RgVkBuffer) bids = NULL;
  g_autoptr(RgVkBuffer) out = rg_test_new_buffer ("rows", (size_t) N * K * 4);
  g_autoptr(RgVkRecorder) rec = rg_test_recorder ();
  g_autofree float *got = NULL;

  if (chunk_bytes > 0)
    g_assert_cmpuint (w->n_chunks, >, 1);
  for (uint32_t i = 0; i < N; i++)
    ids[i] = (int32_t) (N - 1 - i);
  bids = rg_test_upload_bytes ("ids", ids, N * 4);
  rg_op_embedding (rec, out, w, bids, N);
  rg_test_submit (rec);
  got = rg_test_download_f32 (out, (size_t) N * K);
  for (uint32_t i = 0; i < N; i++)
    assert_bits_equal (got + (size_t) i * K, m.deq + (size_t) (N - 1 - i) * K, K);
  qmat_free (&m);
}

static void
check_embedding_exact (RgDType dtype, uint32_t N, uint32_t K, uint64_t chunk_bytes)
{
  check_embedding_exact_upload (dtype, N, K, chunk_bytes, FALSE);
}

/* W . e_k = column k of W, exactly: a one-hot x adds only zeros. M rows of
 * x at a time: M <= 8 takes the block path, M = K the tiled path. */
static void
check_one_hot_exact (RgDType dtype, uint32_t N, uint32_t K, uint32_t M, uint64_t chunk_bytes)
{
  QMat m = qmat_new (dtype, N, K, N + K * 3);
  g_autoptr(RgGpuWeight) w = upload (&m, chunk_bytes);
  g_autoptr(RgVkBuffer) out = rg_test_new_buffer ("y", (size_t) M * N * 4);
  g_autofree float *x = g_new0 (float, (size_t) M * K);
  g_autofree float *want = g_new (float, (size_t) M * N);

  for (uint32_t k0 = 0; k0 < K; k0 += M)
    {
      g_autoptr(RgVkBuffer) bx = NULL;
      g_autoptr(RgVkRecorder) rec = rg_test_recorder ();
      g_autofree float *got = NULL;
      uint32_t rows = MIN (M, K - k0);

      memset (x, 0, (size_t) M * K * 4);
      for (uint32_t i = 0; i < rows; i++)
        x[(size_t) i * K + k0 + i] = 1.0f;
      bx = rg_test_upload_f32 ("x", x, (size_t) M * K);
      rg_op_linear (rec, out, bx, w, NULL, rows);
      rg_test_submit (rec);
      got = rg_test_download_f32 (out, (size_t) rows * N);
      for (uint32_t i = 0; i < rows; i++)
        for (uint32_t n = 0; n < N; n++)
          want[(size_t) i * N + n] = m.deq[(size_t) n * K + k0 + i];
      assert_bits_equal (got, want, (size_t) rows * N);
    }
  qmat_free (&m);
}

static void
check_matmul (RgDType dtype, uint32_t M, uint32_t N, uint32_t K, gboolean with_bias, uint64_t chunk_bytes)
{
  QMat m = qmat_new (dtype, N, K, M + N + K);
  g_autoptr(RgGpuWeight) w = upload (&m, chunk_bytes);
  g_autofree float *x = rg_test_random_f32 (M * 13 + K, (size_t) M * K, -1, 1);
  g_autofree float *bias = rg_test_random_f32 (N, N, -0.5, 0.5);
  g_autofree float *want = g_new (float, (size_t) M * N);
  g_autofree float *got = NULL;
  g_autoptr(RgVkBuffer) bx = rg_test_upload_f32 ("x", x, (size_t) M * K);
  g_autoptr(RgVkBuffer) bb = rg_test_upload_f32 ("bias", bias, N);
  g_autoptr(RgVkBuffer) by = rg_test_new_buffer ("y", (size_t) M * N * 4);
  g_autoptr(RgVkRecorder) rec = rg_test_recorder ();

  if (chunk_bytes > 0)
    g_assert_cmpuint (w->n_chunks, >, 1);
  /* the reference: f32 weights equal to the dequantized ones */
  rg_ref_linear_w (x, m.deq, RG_DTYPE_F32, with_bias ? bias : NULL, want, M, N, K);
  rg_op_linear (rec, by, bx, w, RG_LINEAR_BIAS (with_bias ? bb : NULL), M);
  rg_test_submit (rec);
  got = rg_test_download_f32 (by, (size_t) M * N);
  rg_assert_nmse (got, want, (size_t) M * N, 1e-10);
  qmat_free (&m);
}

static void
test_dequant_exact (gconstpointer data)
{
  RgDType dtype = GPOINTER_TO_INT (data);

  /* odd row counts: rows of one block (34 / 18 bytes) start in both word halves */
  check_embedding_exact (dtype, 37, 32, 0);
  check_embedding_exact (dtype, 19, 96, 0);
  check_one_hot_exact (dtype, 37, 32, 8, 0);
  check_one_hot_exact (dtype, 21, 96, 5, 0);
  check_one_hot_exact (dtype, 13, 64, 64, 0);
}

static void
test_dequant_exact_chunked (gconstpointer data)
{
  RgDType dtype = GPOINTER_TO_INT (data);

  /* 1 KiB chunks of rows of 1 or 3 blocks: chunk boundaries keep whole words */
  check_embedding_exact (dtype, 131, 32, 1024);
  check_one_hot_exact (dtype, 131, 96, 8, 1024);
  check_one_hot_exact (dtype, 77, 32, 32, 1024);
}

static void
test_upload_in_slices (gconstpointer data)
{
  RgDType dtype = GPOINTER_TO_INT (data);

  check_embedding_exact_upload (dtype, 37, 64, 0, TRUE);
  /* 1 KiB chunks: 16 or 32 rows of one block each */
  check_embedding_exact_upload (dtype, 131, 32, 1024, TRUE);
}

static void
test_matvec (gconstpointer data)
{
  RgDType dtype = GPOINTER_TO_INT (data);
  static const uint32_t shapes[][3] = { { 1, 1, 32 }, { 1, 37, 64 }, { 3, 65, 96 }, { 8, 129, 1152 }, { 5, 300, 4096 },
                                        { 1, 17, 14336 }, { 8, 37, 14336 } };

  for (guint s = 0; s < G_N_ELEMENTS (shapes); s++)
    check_matmul (dtype, shapes[s][0], shapes[s][1], shapes[s][2], s % 2 == 0, 0);
  check_matmul (dtype, 1, 203, 96, TRUE, 1024);
  check_matmul (dtype, 8, 203, 32, FALSE, 1024);
}

static void
test_matmul (gconstpointer data)
{
  RgDType dtype = GPOINTER_TO_INT (data);
  static const uint32_t shapes[][3] = { { 9, 37, 32 }, { 33, 65, 96 }, { 100, 129, 1152 }, { 257, 31, 64 } };

  for (guint s = 0; s < G_N_ELEMENTS (shapes); s++)
    check_matmul (dtype, shapes[s][0], shapes[s][1], shapes[s][2], s % 2 == 1, 0);
  check_matmul (dtype, 40, 203, 96, TRUE, 1024);
}

static void
test_partial_block_row_refused (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RgGpuWeight) w = rg_gpu_weight_new (rg_test_gpu (), "down_proj", RG_DTYPE_Q8_0, 64, 112, 0, &error);

  g_assert_null (w);
  g_assert_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL);
  g_assert_nonnull (strstr (error->message, "down_proj"));
}

int
main (int argc, char **argv)
{
  static const struct { const char *name; RgDType dtype; } types[] = {
    { "q8_0", RG_DTYPE_Q8_0 }, { "q4_0", RG_DTYPE_Q4_0 },
  };

  g_test_init (&argc, &argv, NULL);
  rg_test_gpu_init ();
  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    {
      gconstpointer d = GINT_TO_POINTER (types[i].dtype);
      g_autofree char *p1 = g_strdup_printf ("/gpu/quant/%s/dequant-exact", types[i].name);
      g_autofree char *p2 = g_strdup_printf ("/gpu/quant/%s/dequant-exact-chunked", types[i].name);
      g_autofree char *p3 = g_strdup_printf ("/gpu/quant/%s/matvec", types[i].name);
      g_autofree char *p4 = g_strdup_printf ("/gpu/quant/%s/matmul", types[i].name);
      g_autofree char *p5 = g_strdup_printf ("/gpu/quant/%s/upload-in-slices", types[i].name);

      g_test_add_data_func (p1, d, test_dequant_exact);
      g_test_add_data_func (p2, d, test_dequant_exact_chunked);
      g_test_add_data_func (p3, d, test_matvec);
      g_test_add_data_func (p4, d, test_matmul);
      g_test_add_data_func (p5, d, test_upload_in_slices);
    }
  g_test_add_func ("/gpu/quant/partial-block-row-refused", test_partial_block_row_refused);
  return g_test_run ();
}
