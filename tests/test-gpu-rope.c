/* RoPE on the GPU against rg_ref_rope. The GPU reads the host-made table
 * of rg_rope_table_new (), which computes the f32 angle and cosf/sinf the
 * same way rg_ref_rope does, and the shader keeps each product rounded
 * (no fma): the results are expected bit for bit. */
#include "test-gpu.h"

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

/* q and the new rows of a k cache in one dispatch: both bit-exact, the
 * cache's other rows untouched. */
static void
check_rope_qk (uint32_t L, uint32_t n_heads, uint32_t k_heads, uint32_t head_dim, uint32_t pos0)
{
  size_t nq = (size_t) L * n_heads * head_dim, nk = (size_t) L * k_heads * head_dim;
  size_t k_offset = (size_t) pos0 * k_heads * head_dim, cache_len = k_offset + nk + 3 * k_heads * head_dim;
  uint32_t n_positions = pos0 + L;
  g_autofree float *q = rg_test_random_f32 (L + 1, nq, -3, 3);
  g_autofree float *cache = rg_test_random_f32 (L + 2, cache_len, -3, 3);
  g_autofree float *want_q = g_memdup2 (q, nq * 4);
  g_autofree float *want_cache = g_memdup2 (cache, cache_len * 4);
  g_autofree float *table = rg_rope_table_new (n_positions, head_dim, 10000.0f);
  g_autofree float *got_q = NULL, *got_cache = NULL;
  g_autoptr(RgVkBuffer) bq = rg_test_upload_f32 ("q", q, nq);
  g_autoptr(RgVkBuffer) bk = rg_test_upload_f32 ("k cache", cache, cache_len);
  g_autoptr(RgVkBuffer) bt = rg_test_upload_f32 ("cos_sin", table, (size_t) n_positions * head_dim);
  g_autoptr(RgVkRecorder) rec = rg_test_recorder ();

  rg_ref_rope (want_q, L, n_heads, head_dim, pos0, 10000.0f);
  rg_ref_rope (want_cache + k_offset, L, k_heads, head_dim, pos0, 10000.0f);
  rg_op_rope_qk (rec, bq, n_heads, bk, k_offset, k_heads, bt, L, head_dim, pos0);
  rg_test_submit (rec);
  got_q = rg_test_download_f32 (bq, nq);
  got_cache = rg_test_download_f32 (bk, cache_len);
  g_assert_cmpmem (got_q, nq * 4, want_q, nq * 4);
  g_assert_cmpmem (got_cache, cache_len * 4, want_cache, cache_len * 4);
}

static void
test_q_and_k_cache (void)
{
  check_rope_qk (1, 32, 8, 128, 37);   /* decode */
  check_rope_qk (5, 3, 1, 16, 0);      /* a prefill, one kv head */
  check_rope_qk (3, 4, 2, 8, 11);
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
  g_test_add_func ("/gpu/rope/q-and-k-cache", test_q_and_k_cache);
  g_test_add_func ("/gpu/rope/short-table-is-an-error", test_short_table_is_an_error);
  return g_test_run ();
}
