/* RoPE on the GPU against rg_ref_rope. The GPU reads the host-made table
 * of rg_rope_table_new (), which computes the f32 angle and cosf/sinf the
 * same way rg_ref_rope does, and the shader keeps each product rounded
 * (no fma): the results are expected bit for bit. */
#include "test-gpu.h"
#include "rg-dtype.h"

#include <string.h>

static void
check_rope (uint32_t L, uint32_t n_heads, uint32_t head_dim, uint32_t pos0, float theta)
{
  size_t n = (size_t) L * n_heads * head_dim;
  uint32_t n_positions = pos0 + L + 5; /* a table longer than needed */
  g_autofree float *x = rg_test_random_f32 (L * 31 + head_dim + pos0, n, -3, 3);
  g_autofree float *want = g_memdup2 (x, n * 4);
  g_autofree float *table = rg_rope_table_new (n_positions, head_dim, theta);
  g_autofree float *got = NULL;
  g_autoptr(RgVkBuffer) bx = rg_test_upload_f32 ("x", x, n);
  g_autoptr(RgVkBuffer) bt = rg_test_upload_f32 ("cos_sin", table, (size_t) n_positions * head_dim);
  g_autoptr(RgVkRecorder) rec = rg_test_recorder ();
  size_t n_diff = 0;

  rg_ref_rope (want, L, n_heads, head_dim, pos0, theta);
  rg_op_rope (rec, bx, bt, L, n_heads, head_dim, pos0);
  rg_test_submit (rec);
  got = rg_test_download_f32 (bx, n);
  rg_assert_nmse (got, want, n, 1e-12);
  for (size_t i = 0; i < n; i++)
    n_diff += memcmp (&got[i], &want[i], 4) != 0;
  g_test_message ("rope L=%u heads=%u D=%u pos0=%u: %zu of %zu differ bitwise", L, n_heads, head_dim, pos0,
                  n_diff, n);
  g_assert_cmpuint (n_diff, ==, 0);
}

static void
test_head_dim_8 (void)
{
  check_rope (5, 3, 8, 0, 10000.0f);
}

static void
test_head_dim_16 (void)
{
  check_rope (17, 2, 16, 0, 10000.0f);
}

static void
test_head_dim_128 (void)
{
  /* Mistral: 32 heads (8 kv heads) of 128, theta 1e6 */
  check_rope (33, 8, 128, 0, 1000000.0f);
  check_rope (3, 32, 128, 0, 10000.0f);
}

static void
test_position_offset (void)
{
  /* decode: one row at a large position, and a chunk after a prefix */
  check_rope (1, 8, 128, 4095, 1000000.0f);
  check_rope (7, 4, 16, 300, 10000.0f);
}

static void
test_many_rows (void)
{
  /* more pairs than one dispatch dimension of 256-wide groups holds */
  uint32_t L = 70000;

  check_rope (L, 2, 128, 3, 10000.0f);
}

/* q, and the new k (turned) and v rows stored into a KV cache, in one
 * dispatch: q and an f32 cache bit-exact, an f16 cache the reference's
 * values rounded to f16 (ties to even) bit for bit; the cache's other rows
 * untouched. The caches are raw bytes here (4 or 2 per element). */
static void
check_rope_kv (uint32_t L, uint32_t n_heads, uint32_t k_heads, uint32_t head_dim, uint32_t pos0, gboolean f16)
{
  size_t nq = (size_t) L * n_heads * head_dim, nk = (size_t) L * k_heads * head_dim;
  size_t off = (size_t) pos0 * k_heads * head_dim, cache_len = off + nk + 3 * k_heads * head_dim;
  size_t elem = f16 ? 2 : 4, cache_bytes = cache_len * elem;
  uint32_t n_positions = pos0 + L;
  g_autofree float *q = rg_test_random_f32 (L + 1, nq, -3, 3);
  g_autofree float *k = rg_test_random_f32 (L + 2, nk, -3, 3);
  g_autofree float *v = rg_test_random_f32 (L + 3, nk, -3, 3);
  g_autofree float *fill = rg_test_random_f32 (L + 4, cache_len, -3, 3);
  g_autofree guint8 *want_k = g_malloc (cache_bytes), *want_v = g_malloc (cache_bytes);
  g_autofree guint8 *got_k = g_malloc (cache_bytes), *got_v = g_malloc (cache_bytes);
  g_autofree float *want_q = g_memdup2 (q, nq * 4), *rk = g_memdup2 (k, nk * 4);
  g_autofree float *table = rg_rope_table_new (n_positions, head_dim, 10000.0f);
  g_autofree float *got_q = NULL;
  g_autoptr(RgVkBuffer) bq = rg_test_upload_f32 ("q", q, nq);
  g_autoptr(RgVkBuffer) bk = rg_test_upload_f32 ("k", k, nk);
  g_autoptr(RgVkBuffer) bv = rg_test_upload_f32 ("v", v, nk);
  g_autoptr(RgVkBuffer) bkc = rg_test_new_buffer ("k cache", cache_bytes);
  g_autoptr(RgVkBuffer) bvc = rg_test_new_buffer ("v cache", cache_bytes);
  g_autoptr(RgVkBuffer) bt = rg_test_upload_f32 ("cos_sin", table, (size_t) n_positions * head_dim);
  g_autoptr(RgVkRecorder) rec = rg_test_recorder ();
  g_autoptr(GError) error = NULL;

  /* the caches' old contents: the same random values in either type */
  for (size_t i = 0; i < cache_len; i++)
    {
      uint16_t h = rg_f32_to_f16 (fill[i]);

      memcpy (want_k + i * elem, f16 ? (void *) &h : (void *) &fill[i], elem);
    }
  memcpy (want_v, want_k, cache_bytes);
  g_assert_true (rg_vk_buffer_upload (bkc, 0, want_k, cache_bytes, &error));
  g_assert_true (rg_vk_buffer_upload (bvc, 0, want_v, cache_bytes, &error));

  rg_ref_rope (want_q, L, n_heads, head_dim, pos0, 10000.0f);
  rg_ref_rope (rk, L, k_heads, head_dim, pos0, 10000.0f);
  for (size_t i = 0; i < nk; i++)
    {
      uint16_t hk = rg_f32_to_f16 (rk[i]), hv = rg_f32_to_f16 (v[i]);

      memcpy (want_k + (off + i) * elem, f16 ? (void *) &hk : (void *) &rk[i], elem);
      memcpy (want_v + (off + i) * elem, f16 ? (void *) &hv : (void *) &v[i], elem);
    }
  rg_op_rope_kv (rec, bq, n_heads, bk, bv, bkc, bvc, off, k_heads, f16, bt, L, head_dim, pos0);
  rg_test_submit (rec);
  got_q = rg_test_download_f32 (bq, nq);
  g_assert_true (rg_vk_buffer_download (bkc, 0, got_k, cache_bytes, &error));
  g_assert_true (rg_vk_buffer_download (bvc, 0, got_v, cache_bytes, &error));
  g_assert_cmpmem (got_q, nq * 4, want_q, nq * 4);
  g_assert_cmpmem (got_k, cache_bytes, want_k, cache_bytes);
  g_assert_cmpmem (got_v, cache_bytes, want_v, cache_bytes);
}

static void
test_q_and_f32_cache (void)
{
  check_rope_kv (1, 32, 8, 128, 37, FALSE);   /* decode */
  check_rope_kv (5, 3, 1, 16, 0, FALSE);      /* a prefill, one kv head */
  check_rope_kv (3, 4, 2, 8, 11, FALSE);
  check_rope_kv (2, 3, 3, 6, 5, FALSE);       /* odd half head dim: f32 only */
}

static void
test_q_and_f16_cache (void)
{
  check_rope_kv (1, 32, 8, 128, 37, TRUE);    /* decode */
  check_rope_kv (5, 3, 1, 16, 0, TRUE);       /* a prefill, one kv head */
  check_rope_kv (7, 9, 3, 12, 13, TRUE);      /* odd head counts, 3 pairs of pairs per head */
  check_rope_kv (3, 4, 2, 4, 11, TRUE);       /* the smallest head dim */
}

static void
test_f16_cache_many_rows (void)
{
  /* more invocations than one dispatch dimension of 256-wide groups holds */
  check_rope_kv (70000, 2, 1, 128, 3, TRUE);
}

static void
test_f16_cache_needs_head_dim_4 (void)
{
  g_autofree float *table = rg_rope_table_new (4, 6, 10000.0f);
  g_autoptr(RgVkBuffer) bt = rg_test_upload_f32 ("cos_sin", table, 4 * 6);
  g_autoptr(RgVkBuffer) bq = rg_test_new_buffer ("q", 6 * 4);
  g_autoptr(RgVkBuffer) bk = rg_test_new_buffer ("k", 6 * 4);
  g_autoptr(RgVkBuffer) bv = rg_test_new_buffer ("v", 6 * 4);
  g_autoptr(RgVkBuffer) bkc = rg_test_new_buffer ("k cache", 4 * 6 * 2);
  g_autoptr(RgVkBuffer) bvc = rg_test_new_buffer ("v cache", 4 * 6 * 2);
  g_autoptr(RgVkRecorder) rec = rg_test_recorder ();
  g_autoptr(GError) error = NULL;

  rg_op_rope_kv (rec, bq, 1, bk, bv, bkc, bvc, 0, 1, TRUE, bt, 1, 6, 0);
  g_assert_false (rg_vk_recorder_submit (rec, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "head_dim % 4"));
}

static void
test_short_table_is_an_error (void)
{
  g_autofree float *table = rg_rope_table_new (4, 8, 10000.0f);
  g_autoptr(RgVkBuffer) bt = rg_test_upload_f32 ("short-table", table, 4 * 8);
  g_autoptr(RgVkBuffer) bx = rg_test_new_buffer ("x", 2 * 8 * 4);
  g_autoptr(RgVkRecorder) rec = rg_test_recorder ();
  g_autoptr(GError) error = NULL;

  rg_op_rope (rec, bx, bt, 2, 1, 8, 3); /* positions 3, 4: 4 is past the table */
  g_assert_false (rg_vk_recorder_submit (rec, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "short-table"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  rg_test_gpu_init ();
  g_test_add_func ("/gpu/rope/head-dim-8", test_head_dim_8);
  g_test_add_func ("/gpu/rope/head-dim-16", test_head_dim_16);
  g_test_add_func ("/gpu/rope/head-dim-128", test_head_dim_128);
  g_test_add_func ("/gpu/rope/position-offset", test_position_offset);
  g_test_add_func ("/gpu/rope/many-rows", test_many_rows);
  g_test_add_func ("/gpu/rope/q-and-f32-cache", test_q_and_f32_cache);
  g_test_add_func ("/gpu/rope/q-and-f16-cache", test_q_and_f16_cache);
  g_test_add_func ("/gpu/rope/f16-cache-many-rows", test_f16_cache_many_rows);
  g_test_add_func ("/gpu/rope/f16-cache-needs-head-dim-4", test_f16_cache_needs_head_dim_4);
  g_test_add_func ("/gpu/rope/short-table-is-an-error", test_short_table_is_an_error);
  return g_test_run ();
}
