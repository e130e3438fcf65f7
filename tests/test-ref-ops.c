/* Hand-checked cases for the reference ops, so the oracle itself can be
 * trusted: every expected value here is worked out on paper. */
#include "test-common.h"

#include <math.h>

#include "rg-ref-ops.h"

#define EPS 1e-6

static void
test_matmul_basic (void)
{
  /* x [2,3], W [2,3] (nn.Linear layout), bias [2] */
  const float x[] = { 1, 2, 3,
                      4, 5, 6 };
  const float w[] = { 1, 0, -1,
                      0.5f, 0.5f, 0.5f };
  const float bias[] = { 10, 0 };
  const float expect[] = { 1 - 3 + 10, 3,
                           4 - 6 + 10, 7.5f };
  const float expect_nobias[] = { -2, 3, -2, 7.5f };
  float y[4];

  rg_ref_linear (x, w, bias, y, 2, 2, 3);
  rg_assert_close_f32 (y, expect, 4, 0);
  rg_ref_linear (x, w, NULL, y, 2, 2, 3);
  rg_assert_close_f32 (y, expect_nobias, 4, 0);
}

static void
test_matmul_half_weights (void)
{
  /* Weights exactly representable in f16 and bf16: the upcast variant must
   * give the same result as f32 weights. */
  const float x[] = { 1, -2, 0.25f, 3 };
  const float w[] = { 0.5f, -1.5f, 2, 0.125f,
                      -4, 1, 0.75f, -0.25f,
                      1, 1, 1, 1 };
  uint16_t wh[12], wb[12];
  float y_ref[3], y_h[3], y_b[3];

  for (guint i = 0; i < 12; i++)
    {
      wh[i] = rg_f32_to_f16 (w[i]);
      wb[i] = rg_f32_to_bf16 (w[i]);
    }
  rg_ref_linear (x, w, NULL, y_ref, 1, 3, 4);
  rg_ref_linear_w (x, wh, RG_DTYPE_F16, NULL, y_h, 1, 3, 4);
  rg_ref_linear_w (x, wb, RG_DTYPE_BF16, NULL, y_b, 1, 3, 4);
  g_assert_cmpfloat_with_epsilon (y_ref[0], 0.5f + 3 + 0.5f + 0.375f, EPS);
  rg_assert_close_f32 (y_h, y_ref, 3, 0);
  rg_assert_close_f32 (y_b, y_ref, 3, 0);
}

static void
test_layernorm_basic (void)
{
  /* mean 2.5, biased var 1.25 */
  const float x[] = { 1, 2, 3, 4 };
  const float w[] = { 1, 2, 1, 1 };
  const float b[] = { 0, 1, 0, -1 };
  float y[4];
  double inv = 1.0 / sqrt (1.25 + 1e-6);

  rg_ref_layernorm (x, w, b, y, 1, 4, 1e-6f);
  g_assert_cmpfloat_with_epsilon (y[0], -1.5 * inv, EPS);
  g_assert_cmpfloat_with_epsilon (y[1], 2 * -0.5 * inv + 1, EPS);
  g_assert_cmpfloat_with_epsilon (y[2], 0.5 * inv, EPS);
  g_assert_cmpfloat_with_epsilon (y[3], 1.5 * inv - 1, EPS);
}

static void
test_rmsnorm_basic (void)
{
  /* rows [3,4] and [0,0]: mean(x^2) = 12.5 and 0 */
  const float x[] = { 3, 4, 0, 0 };
  const float w[] = { 2, 0.5f };
  float y[4];

  rg_ref_rmsnorm (x, w, y, 2, 2, 1e-5f);
  g_assert_cmpfloat_with_epsilon (y[0], 2 * 3 / sqrt (12.5 + 1e-5), EPS);
  g_assert_cmpfloat_with_epsilon (y[1], 0.5 * 4 / sqrt (12.5 + 1e-5), EPS);
  g_assert_cmpfloat (y[2], ==, 0);
  g_assert_cmpfloat (y[3], ==, 0);
}

static void
test_gelu_values (void)
{
  const float x[] = { 0, 1, -1, 2, -3 };
  float y[5], q[5], r[5];

  rg_ref_gelu (x, y, 5);
  /* x Phi(x): Phi(1) = 0.8413447, Phi(2) = 0.9772499, Phi(-3) = 0.0013499 */
  g_assert_cmpfloat (y[0], ==, 0);
  g_assert_cmpfloat_with_epsilon (y[1], 0.8413447, 1e-6);
  g_assert_cmpfloat_with_epsilon (y[2], -0.1586553, 1e-6);
  g_assert_cmpfloat_with_epsilon (y[3], 1.9544997, 1e-6);
  g_assert_cmpfloat_with_epsilon (y[4], -0.0040497, 1e-6);
  rg_ref_quick_gelu (x, q, 5);
  /* 1 / (1 + e^-1.702) = 0.8457957 */
  g_assert_cmpfloat_with_epsilon (q[1], 0.8457957, 1e-6);
  g_assert_cmpfloat_with_epsilon (q[2], -0.1542043, 1e-6);
  rg_ref_relu (x, r, 5);
  g_assert_cmpfloat (r[1], ==, 1);
  g_assert_cmpfloat (r[2], ==, 0);
}

static void
test_tanh_gate_add (void)
{
  const float x[] = { 1, 2, 3, 4, NAN, NAN };
  const float alpha1[] = { 0.5f }, alpha2[] = { 1, -1 };
  const int32_t index[] = { 0, 1, -1 };
  float out[6] = { 10, 10, 10, 10, 7, 7 };

  /* rows 0, 1 gated by tanh(0.5) = 0.4621172; row 2 (index -1) untouched */
  rg_ref_tanh_gate_add (x, alpha1, 1, index, out, 3, 2);
  g_assert_cmpfloat_with_epsilon (out[0], 10.4621172, 1e-5);
  g_assert_cmpfloat_with_epsilon (out[3], 11.8484688, 1e-5);
  g_assert_cmpfloat (out[4], ==, 7);
  g_assert_cmpfloat (out[5], ==, 7);
  /* one gate per column: tanh(1) = 0.7615942, tanh(-1) */
  rg_ref_tanh_gate_add (x, alpha2, 2, NULL, out, 2, 2);
  g_assert_cmpfloat_with_epsilon (out[0], 10.4621172 + 0.7615942, 1e-5);
  g_assert_cmpfloat_with_epsilon (out[1], 10.9242344 - 2 * 0.7615942, 1e-5);
}

static void
test_image_attention (void)
{
  /* two images of 2 keys, D = 1: query 0 sees image 1 only, query 1 none */
  const float q[] = { 1, 5 }, k[] = { 0, 0, 0, 1 }, v[] = { 100, 100, 1, 3 };
  const int32_t index[] = { 1, -1 };
  float out[2] = { -1, -1 };
  double e = exp (1.0);

  rg_ref_image_attention (q, k, v, index, out, 2, 1, 1, 2, 1.0f);
  g_assert_cmpfloat_with_epsilon (out[0], (1 + 3 * e) / (1 + e), 1e-6);
  g_assert_cmpfloat (out[1], ==, 0);
}

static void
test_gelu_tanh_values (void)
{
  const float x[] = { 0, 1, -1, 2, 10, -10 };
  float y[6];

  rg_ref_gelu_tanh (x, y, 6);
  g_assert_cmpfloat (y[0], ==, 0);
  /* 0.5 (1 + tanh(sqrt(2/pi) * 1.044715)) = 0.841192 (erf GELU: 0.841345) */
  g_assert_cmpfloat_with_epsilon (y[1], 0.8411920, 1e-6);
  g_assert_cmpfloat_with_epsilon (y[2], -0.1588080, 1e-6);
  g_assert_cmpfloat_with_epsilon (y[3], 1.9545977, 1e-6);
  g_assert_cmpfloat_with_epsilon (y[4], 10, 1e-6);
  g_assert_cmpfloat_with_epsilon (y[5], 0, 1e-6);
}

static void
test_swiglu (void)
{
  const float g[] = { 0, 1, -2 };
  const float u[] = { 5, 2, -1 };
  float o[3];

  rg_ref_swiglu (g, u, o, 3);
  g_assert_cmpfloat (o[0], ==, 0);
  g_assert_cmpfloat_with_epsilon (o[1], 2 * 0.7310586, 1e-6);
  g_assert_cmpfloat_with_epsilon (o[2], 0.2384058, 1e-6);
}

static void
test_add (void)
{
  float a[] = { 1, 2, 3 };
  const float b[] = { 0.5f, -2, 10 };
  const float sum[] = { 1.5f, 0, 13 };

  rg_ref_add (a, b, a, 3);
  rg_assert_close_f32 (a, sum, 3, 0);
}

static void
test_rope_inv_freq (void)
{
  float f[64];

  rg_ref_rope_inv_freq (128, 10000, f);
  g_assert_cmpfloat (f[0], ==, 1);
  g_assert_cmpfloat_with_epsilon (f[1], pow (10000, -2.0 / 128), 1e-7);
  g_assert_cmpfloat_with_epsilon (f[32], 0.01, 1e-7);
  g_assert_cmpfloat_with_epsilon (f[63], pow (10000, -126.0 / 128), 1e-9);
}

static void
test_rope_position_zero_identity (void)
{
  float x[2 * 3 * 8];
  float orig[G_N_ELEMENTS (x)];

  for (guint i = 0; i < G_N_ELEMENTS (x); i++)
    x[i] = orig[i] = sinf (i * 0.7f) * 3;
  /* One row at position 0: identity. */
  rg_ref_rope (x, 1, 3, 8, 0, 10000);
  rg_assert_close_f32 (x, orig, 3 * 8, 0);
  /* The second row (position 1) must change. */
  rg_ref_rope (x, 2, 3, 8, 0, 10000);
  g_assert_cmpfloat (fabsf (x[24] - orig[24]) + fabsf (x[28] - orig[28]), >, 0.1);
}

static void
test_rope_rotate_half_pairing (void)
{
  /* head_dim 4, theta 10000: inv_freq = [1, 0.01]; dimension 0 pairs with
   * 2 and 1 with 3 (not 0 with 1). At position 1: angle 1 for k=0. */
  float x[] = { 1, 0, 0, 0 };
  float y[] = { 0, 0, 1, 0 };
  float z[] = { 0, 2, 0, 0 };

  rg_ref_rope (x, 1, 1, 4, 1, 10000);
  g_assert_cmpfloat_with_epsilon (x[0], cos (1.0), 1e-6);
  g_assert_cmpfloat (x[1], ==, 0);
  g_assert_cmpfloat_with_epsilon (x[2], sin (1.0), 1e-6);
  g_assert_cmpfloat (x[3], ==, 0);

  rg_ref_rope (y, 1, 1, 4, 1, 10000);
  g_assert_cmpfloat_with_epsilon (y[0], -sin (1.0), 1e-6);
  g_assert_cmpfloat_with_epsilon (y[2], cos (1.0), 1e-6);

  /* Position 3 (pos0 = 3): angle 0.03 on the second pair. */
  rg_ref_rope (z, 1, 1, 4, 3, 10000);
  g_assert_cmpfloat_with_epsilon (z[1], 2 * cos (0.03), 1e-6);
  g_assert_cmpfloat_with_epsilon (z[3], 2 * sin (0.03), 1e-6);
  g_assert_cmpfloat (z[0], ==, 0);
}

/* ---- attention ---- */

static void
test_attention_single_key (void)
{
  /* One key: the output is v whatever q is. */
  const float q[] = { 3, -1, 2, 7 };   /* [1, 2 heads, 2] */
  const float k[] = { 1, 1, -5, 2 };   /* [1, 2 kv heads, 2] */
  const float v[] = { 0.5f, -4, 9, 1 };
  float out[4];
  RgRefAttnParams p = { .n_q = 1, .n_kv = 1, .n_heads = 2, .n_kv_heads = 2,
                        .head_dim = 2, .scale = 0.7f };

  rg_ref_attention (q, k, v, out, &p);
  rg_assert_close_f32 (out, v, 4, 0);
}

static void
test_attention_softmax_weights (void)
{
  /* Scores 0 and ln 3 (q = [ln 3], k = [0], [1], scale 1): weights 1/4, 3/4. */
  const float q[] = { 1.0986123f }; /* ln 3 */
  const float k[] = { 0, 1 };
  const float v[] = { 4, 8 };
  float out[1];
  RgRefAttnParams p = { .n_q = 1, .n_kv = 2, .n_heads = 1, .n_kv_heads = 1,
                        .head_dim = 1, .scale = 1 };

  rg_ref_attention (q, k, v, out, &p);
  g_assert_cmpfloat_with_epsilon (out[0], 0.25 * 4 + 0.75 * 8, 1e-5);

  /* The scale multiplies the scores: scale 2 gives weights 1/10, 9/10. */
  p.scale = 2;
  rg_ref_attention (q, k, v, out, &p);
  g_assert_cmpfloat_with_epsilon (out[0], 0.1 * 4 + 0.9 * 8, 1e-5);
}

static void
test_attention_causal_first_row (void)
{
  /* With q = 0 every visible key weighs the same: row i = mean(v[0..i]). */
  const float q[3] = { 0 };
  const float k[] = { 1, 2, 3 };
  const float v[] = { 3, 6, 12 };
  float out[3];
  RgRefAttnParams p = { .n_q = 3, .n_kv = 3, .n_heads = 1, .n_kv_heads = 1,
                        .head_dim = 1, .scale = 1, .causal = TRUE };

  rg_ref_attention (q, k, v, out, &p);
  g_assert_cmpfloat (out[0], ==, 3);
  g_assert_cmpfloat_with_epsilon (out[1], 4.5, 1e-6);
  g_assert_cmpfloat_with_epsilon (out[2], 7, 1e-6);

  /* Non-causal: every row sees all three keys. */
  p.causal = FALSE;
  rg_ref_attention (q, k, v, out, &p);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpfloat_with_epsilon (out[i], 7, 1e-6);
}

static void
test_attention_query_offset (void)
{
  /* Decoding one query at absolute position 2 over a cache of 4 keys: it
   * sees keys 0..2, not key 3. */
  const float q[1] = { 0 };
  const float k[4] = { 0 };
  const float v[] = { 1, 2, 3, 100 };
  float out[1];
  RgRefAttnParams p = { .n_q = 1, .n_kv = 4, .n_heads = 1, .n_kv_heads = 1,
                        .head_dim = 1, .scale = 1, .causal = TRUE, .q_pos0 = 2 };

  rg_ref_attention (q, k, v, out, &p);
  g_assert_cmpfloat_with_epsilon (out[0], 2, 1e-6);
}

static void
test_attention_sliding_window (void)
{
  /* window 2: query at p sees keys p-1 and p only. */
  const float q[5] = { 0 };
  const float k[5] = { 0 };
  const float v[] = { 1, 10, 100, 1000, 10000 };
  float out[5];
  RgRefAttnParams p = { .n_q = 5, .n_kv = 5, .n_heads = 1, .n_kv_heads = 1,
                        .head_dim = 1, .scale = 1, .causal = TRUE, .window = 2 };

  rg_ref_attention (q, k, v, out, &p);
  g_assert_cmpfloat (out[0], ==, 1);
  g_assert_cmpfloat_with_epsilon (out[1], 5.5, 1e-6);
  g_assert_cmpfloat_with_epsilon (out[2], 55, 1e-5);
  g_assert_cmpfloat_with_epsilon (out[4], 5500, 1e-3);

  /* window 3 at position 4: keys 2, 3, 4. */
  p.window = 3;
  rg_ref_attention (q, k, v, out, &p);
  g_assert_cmpfloat_with_epsilon (out[4], 11100.0 / 3, 1e-3);

  /* window >= position + 1 is the same as no window. */
  p.window = 5;
  rg_ref_attention (q, k, v, out, &p);
  g_assert_cmpfloat_with_epsilon (out[4], 11111.0 / 5, 1e-3);
}

static void
test_attention_gqa_mapping (void)
{
  /* 4 q heads, 2 kv heads: heads 0,1 use kv head 0 and heads 2,3 kv head 1
   * (h / 2, as repeat_kv), not h % 2. */
  const float q[4] = { 0 };                 /* [1, 4, 1] */
  const float k[] = { 0, 0, 0, 0 };         /* [2, 2, 1] */
  const float v[] = { 1, 100,               /* key 0: kv head 0, kv head 1 */
                      3, 300 };             /* key 1 */
  float out[4];
  RgRefAttnParams p = { .n_q = 1, .n_kv = 2, .n_heads = 4, .n_kv_heads = 2,
                        .head_dim = 1, .scale = 1 };

  rg_ref_attention (q, k, v, out, &p);
  g_assert_cmpfloat_with_epsilon (out[0], 2, 1e-6);
  g_assert_cmpfloat_with_epsilon (out[1], 2, 1e-6);
  g_assert_cmpfloat_with_epsilon (out[2], 200, 1e-4);
  g_assert_cmpfloat_with_epsilon (out[3], 200, 1e-4);
}

static void
test_attention_key_mask (void)
{
  /* A masked key contributes nothing, even with the highest score. */
  const float q[] = { 1 };
  const float k[] = { 0, 50, 0 };
  const float v[] = { 2, 1e6f, 4 };
  const uint8_t mask[] = { 1, 0, 1 };
  float out[1];
  RgRefAttnParams p = { .n_q = 1, .n_kv = 3, .n_heads = 1, .n_kv_heads = 1,
                        .head_dim = 1, .scale = 1, .key_mask = mask };

  rg_ref_attention (q, k, v, out, &p);
  g_assert_cmpfloat_with_epsilon (out[0], 3, 1e-6);
}

static void
test_attention_head_dim_dot (void)
{
  /* head_dim 2: the score is the full dot product; q=[1,1], k0=[1,0]
   * (score 1), k1=[0,-1] (score -1) -> weights e/(e+1/e)... */
  const float q[] = { 1, 1 };
  const float k[] = { 1, 0, 0, -1 };
  const float v[] = { 1, 0, 0, 1 };
  float out[2];
  double w0 = exp (1) / (exp (1) + exp (-1));
  RgRefAttnParams p = { .n_q = 1, .n_kv = 2, .n_heads = 1, .n_kv_heads = 1,
                        .head_dim = 2, .scale = 1 };

  rg_ref_attention (q, k, v, out, &p);
  g_assert_cmpfloat_with_epsilon (out[0], w0, 1e-6);
  g_assert_cmpfloat_with_epsilon (out[1], 1 - w0, 1e-6);
}

/* ---- gathers, conv ---- */

static void
test_embedding_gather (void)
{
  const float table[] = { 0, 1, 10, 11, 20, 21 };
  const int32_t ids[] = { 2, 0, 2 };
  const int32_t bad[] = { 1, 3 };
  const float expect[] = { 20, 21, 0, 1, 20, 21 };
  float out[6];

  g_assert_true (rg_ref_embedding (table, 3, 2, ids, 3, out));
  rg_assert_close_f32 (out, expect, 6, 0);
  g_assert_false (rg_ref_embedding (table, 3, 2, bad, 2, out));
}

static void
test_patch_embed_grid (void)
{
  /* C=2, H=4, W=5, P=2: grid 2x2, the fifth column is ignored.
   * pixel(c, y, x) = 100c + 10y + x. Output channel 0 sums channel 0 of the
   * patch, channel 1 takes the top-left pixel of channel 1 plus bias. */
  float pix[2 * 4 * 5];
  float w[2 * 2 * 2 * 2] = { 0 };
  const float bias[] = { 0, 0.5f };
  float out[4 * 2];

  for (guint c = 0; c < 2; c++)
    for (guint y = 0; y < 4; y++)
      for (guint x = 0; x < 5; x++)
        pix[(c * 4 + y) * 5 + x] = 100 * c + 10 * y + x;
  for (guint i = 0; i < 4; i++)
    w[i] = 1;                  /* v=0, c=0 */
  w[8 + 4] = 1;                /* v=1, c=1, (0,0) */

  rg_ref_patch_embed (pix, 2, 4, 5, w, bias, 2, 2, out);
  /* patch (r, c) top-left (2r, 2c); sum = 4*(10*2r + 2c) + 10*2 + 2 */
  for (guint r = 0; r < 2; r++)
    for (guint c = 0; c < 2; c++)
      {
        float tl = 20 * r + 2 * c;
        g_assert_cmpfloat (out[(r * 2 + c) * 2 + 0], ==, 4 * tl + 22);
        g_assert_cmpfloat (out[(r * 2 + c) * 2 + 1], ==, 100 + tl + 0.5f);
      }
}

/* ---- sampling helpers ---- */

static void
test_argmax_ties (void)
{
  const float x[] = { 1, 5, -INFINITY, 5, 2 };
  const float y[] = { NAN, -3, -1, -1 };

  g_assert_cmpuint (rg_ref_argmax (x, 5), ==, 1);
  g_assert_cmpuint (rg_ref_argmax (y, 4), ==, 2);
  g_assert_cmpuint (rg_ref_argmax (x, 1), ==, 0);
}

static void
test_topk_order (void)
{
  const float x[] = { 3, 9, 1, 9, 7, -2, 3 };
  int32_t idx[4];
  float vals[4];
  const int32_t expect[] = { 1, 3, 4, 0 };
  int32_t all[7];
  const int32_t expect_all[] = { 1, 3, 4, 0, 6, 2, 5 };

  rg_ref_topk (x, 7, 4, idx, vals);
  for (guint i = 0; i < 4; i++)
    {
      g_assert_cmpint (idx[i], ==, expect[i]);
      g_assert_cmpfloat (vals[i], ==, x[expect[i]]);
    }
  rg_ref_topk (x, 7, 7, all, NULL);
  for (guint i = 0; i < 7; i++)
    g_assert_cmpint (all[i], ==, expect_all[i]);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engine/ref/matmul/basic", test_matmul_basic);
  g_test_add_func ("/engine/ref/matmul/half-weights", test_matmul_half_weights);
  g_test_add_func ("/engine/ref/layernorm/basic", test_layernorm_basic);
  g_test_add_func ("/engine/ref/rmsnorm/basic", test_rmsnorm_basic);
  g_test_add_func ("/engine/ref/gelu-tanh/values", test_gelu_tanh_values);
  g_test_add_func ("/engine/ref/gelu/values", test_gelu_values);
  g_test_add_func ("/engine/ref/tanh-gate-add", test_tanh_gate_add);
  g_test_add_func ("/engine/ref/image-attention", test_image_attention);
  g_test_add_func ("/engine/ref/swiglu", test_swiglu);
  g_test_add_func ("/engine/ref/elementwise/add", test_add);
  g_test_add_func ("/engine/ref/rope/inv-freq", test_rope_inv_freq);
  g_test_add_func ("/engine/ref/rope/position-zero-identity", test_rope_position_zero_identity);
  g_test_add_func ("/engine/ref/rope/rotate-half-pairing", test_rope_rotate_half_pairing);
  g_test_add_func ("/engine/ref/attention/single-key", test_attention_single_key);
  g_test_add_func ("/engine/ref/attention/softmax-weights", test_attention_softmax_weights);
  g_test_add_func ("/engine/ref/attention/causal", test_attention_causal_first_row);
  g_test_add_func ("/engine/ref/attention/query-offset", test_attention_query_offset);
  g_test_add_func ("/engine/ref/attention/sliding-window", test_attention_sliding_window);
  g_test_add_func ("/engine/ref/attention/gqa-mapping", test_attention_gqa_mapping);
  g_test_add_func ("/engine/ref/attention/key-mask", test_attention_key_mask);
  g_test_add_func ("/engine/ref/attention/head-dim-dot", test_attention_head_dim_dot);
  g_test_add_func ("/engine/ref/embedding/gather", test_embedding_gather);
  g_test_add_func ("/engine/ref/patch-embed/grid", test_patch_embed_grid);
  g_test_add_func ("/engine/ref/argmax/ties", test_argmax_ties);
  g_test_add_func ("/engine/ref/topk/order", test_topk_order);

  return g_test_run ();
}
