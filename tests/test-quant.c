/* Q8_0 / Q4_0 on the CPU: ggml's byte layout on hand-checked blocks, Q8_0's
 * rounding, Q4_0's scale search against ggml's reference, and the
 * round-trip error bound on random rows. */
#include "test-common.h"

#include <math.h>
#include <string.h>

#include "rg-dtype.h"
#include "rg-quant.h"

/* x[j] = (j - 16) / 2: -8 .. 7.5 */
static void
ramp (float *x)
{
  for (int j = 0; j < RG_QK; j++)
    x[j] = (float) (j - 16) * 0.5f;
}

static void
test_q8_0_block (void)
{
  float x[RG_QK], back[RG_QK];
  RgBlockQ8_0 b;
  const guint8 *bytes = (const guint8 *) &b;

  ramp (x);
  rg_quantize_row_q8_0 (x, &b, RG_QK);
  /* d = 8 / 127 = 0.0629921 -> f16 (1 + 8/1024) * 2^-4 */
  g_assert_cmphex (b.d, ==, 0x2C08);
  /* id = 127 / 8 = 15.875: -8 -> -127, -7.5 -> -119.06, 0 -> 0, 7.5 -> 119.06 */
  g_assert_cmpint (b.qs[0], ==, -127);
  g_assert_cmpint (b.qs[1], ==, -119);
  g_assert_cmpint (b.qs[16], ==, 0);
  g_assert_cmpint (b.qs[17], ==, 8);    /* 0.5 * 15.875 = 7.94 */
  g_assert_cmpint (b.qs[31], ==, 119);
  /* ggml layout: d little-endian in bytes 0..1, then qs */
  g_assert_cmphex (bytes[0], ==, 0x08);
  g_assert_cmphex (bytes[1], ==, 0x2C);
  g_assert_cmphex (bytes[2], ==, (guint8) -127);

  rg_dequantize_row_q8_0 (&b, back, RG_QK);
  g_assert_cmpfloat (back[0], ==, -127.0f * rg_f16_to_f32 (0x2C08));
  g_assert_cmpfloat (back[16], ==, 0.0f);
}

/* ggml's reference Q4_0 quantizer (the extreme value maps to -8), to
 * check that Rg's scale search never does worse. */
static float
ggml_q4_0_sse (const float *v)
{
  float amax = 0.0f, max = 0.0f, d, id, sse = 0.0f;

  for (int j = 0; j < RG_QK; j++)
    if (amax < fabsf (v[j]))
      {
        amax = fabsf (v[j]);
        max = v[j];
      }
  d = max / -8.0f;
  id = d != 0.0f ? 1.0f / d : 0.0f;
  d = rg_f16_to_f32 (rg_f32_to_f16 (d));
  for (int j = 0; j < RG_QK; j++)
    {
      int q = MIN (15, (int8_t) (v[j] * id + 8.5f));
      float e = v[j] - (float) (q - 8) * d;
      sse += e * e;
    }
  return sse;
}

static void
test_q4_0_block (void)
{
  float x[RG_QK], back[RG_QK];
  RgBlockQ4_0 b;
  const guint8 *bytes = (const guint8 *) &b;

  ramp (x);
  rg_quantize_row_q4_0 (x, &b, RG_QK);
  rg_dequantize_row_q4_0 (&b, back, RG_QK);
  /* ggml layout: d little-endian in bytes 0..1, then qs[j] holds element
   * j in its low nibble and element j + 16 in its high one, level + 8 */
  g_assert_cmphex (bytes[0], ==, b.d & 0xff);
  g_assert_cmphex (bytes[1], ==, b.d >> 8);
  for (int j = 0; j < RG_QK / 2; j++)
    {
      float d = rg_f16_to_f32 (b.d);
      g_assert_cmpfloat (back[j], ==, (float) ((b.qs[j] & 0x0F) - 8) * d);
      g_assert_cmpfloat (back[j + 16], ==, (float) ((b.qs[j] >> 4) - 8) * d);
    }
  /* the ramp -8 .. 7.5 uses every level once: -8 at the bottom, 0 in the
   * middle, 7 at the top (7.5 has no level of its own) */
  g_assert_cmphex (b.qs[0] & 0x0F, ==, 0x0);
  g_assert_cmphex (b.qs[0] >> 4, ==, 0x8);
  g_assert_cmphex (b.qs[15] >> 4, ==, 0xF);
  /* and the least-squares scale beats ggml's d = 1 on it */
  {
    float sse = 0.0f;
    for (int j = 0; j < RG_QK; j++)
      sse += (x[j] - back[j]) * (x[j] - back[j]);
    g_assert_cmpfloat (sse, <, ggml_q4_0_sse (x));
  }
}

static void
test_q4_0_never_worse_than_ggml (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (11);
  double ours = 0, ggml = 0;

  for (int trial = 0; trial < 2000; trial++)
    {
      float x[RG_QK], back[RG_QK];
      RgBlockQ4_0 b;
      float sse = 0.0f;

      for (int j = 0; j < RG_QK; j++)
        x[j] = (float) g_rand_double_range (rand, -1.0, 1.0) * (trial % 7 == 0 ? 50.0f : 0.05f);
      rg_quantize_row_q4_0 (x, &b, RG_QK);
      rg_dequantize_row_q4_0 (&b, back, RG_QK);
      for (int j = 0; j < RG_QK; j++)
        sse += (x[j] - back[j]) * (x[j] - back[j]);
      g_assert_cmpfloat (sse, <=, ggml_q4_0_sse (x) * 1.0001f);
      ours += sse;
      ggml += ggml_q4_0_sse (x);
    }
  g_test_message ("q4_0 squared error: %.4g (ggml reference: %.4g)", ours, ggml);
  /* the search must actually help on random data */
  g_assert_cmpfloat (ours, <, 0.9 * ggml);
}

static void
test_q4_0_positive_max (void)
{
  /* a positive extreme gets a negative scale and lands on -8 exactly */
  float x[RG_QK] = { 0 }, back[RG_QK];
  RgBlockQ4_0 b;

  x[3] = 4.0f;
  x[20] = -1.0f;
  rg_quantize_row_q4_0 (x, &b, RG_QK);
  g_assert_cmpfloat (rg_f16_to_f32 (b.d), ==, -0.5f);
  rg_dequantize_row_q4_0 (&b, back, RG_QK);
  g_assert_cmpfloat (back[3], ==, 4.0f);
  g_assert_cmpfloat (back[20], ==, -1.0f);
  g_assert_cmpfloat (back[0], ==, 0.0f);
}

static void
test_zero_block (void)
{
  float x[RG_QK] = { 0 }, back[RG_QK];
  RgBlockQ8_0 b8;
  RgBlockQ4_0 b4;

  rg_quantize_row_q8_0 (x, &b8, RG_QK);
  rg_quantize_row_q4_0 (x, &b4, RG_QK);
  g_assert_cmphex (b8.d, ==, 0);
  g_assert_cmpfloat (rg_f16_to_f32 (b4.d), ==, 0.0f);
  rg_dequantize_row_q8_0 (&b8, back, RG_QK);
  for (int j = 0; j < RG_QK; j++)
    g_assert_cmpfloat (back[j], ==, 0.0f);
  rg_dequantize_row_q4_0 (&b4, back, RG_QK);
  for (int j = 0; j < RG_QK; j++)
    g_assert_cmpfloat (back[j], ==, 0.0f);
}

static void
test_round_trip_bound (void)
{
  const size_t n = 32 * 257;
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  g_autofree float *x = g_new (float, n);
  g_autofree float *back = g_new (float, n);
  g_autofree RgBlockQ8_0 *b8 = g_new (RgBlockQ8_0, n / RG_QK);
  g_autofree RgBlockQ4_0 *b4 = g_new (RgBlockQ4_0, n / RG_QK);

  for (size_t i = 0; i < n; i++)
    x[i] = (float) g_rand_double_range (rand, -1, 1) * (float) (1 + i / 32 % 5);

  /* Q8_0: half a step, plus 127 times the f16 rounding of d (2^-11 d) */
  rg_quantize_row_q8_0 (x, b8, n);
  rg_dequantize_row_q8_0 (b8, back, n);
  for (size_t b = 0; b < n / RG_QK; b++)
    {
      float amax = 0;
      for (int j = 0; j < RG_QK; j++)
        amax = MAX (amax, fabsf (x[b * RG_QK + j]));
      for (int j = 0; j < RG_QK; j++)
        g_assert_cmpfloat (fabsf (back[b * RG_QK + j] - x[b * RG_QK + j]), <=,
                           amax / 127.0f * (0.5f + 127.0f / 2048.0f));
    }

  /* Q4_0: the scale search fits each block at least as well as ggml's
   * reference (whose error is at most a step at the clamped top level) */
  rg_quantize_row_q4_0 (x, b4, n);
  rg_dequantize_row_q4_0 (b4, back, n);
  for (size_t b = 0; b < n / RG_QK; b++)
    {
      float sse = 0;
      for (int j = 0; j < RG_QK; j++)
        sse += (back[b * RG_QK + j] - x[b * RG_QK + j]) * (back[b * RG_QK + j] - x[b * RG_QK + j]);
      g_assert_cmpfloat (sse, <=, ggml_q4_0_sse (x + b * RG_QK) * 1.0001f);
    }
}

static void
test_dtype_sizes (void)
{
  uint64_t bytes = 0;

  g_assert_true (rg_dtype_bytes_checked (RG_DTYPE_Q8_0, 64, &bytes));
  g_assert_cmpuint (bytes, ==, 2 * sizeof (RgBlockQ8_0));
  g_assert_true (rg_dtype_bytes_checked (RG_DTYPE_Q4_0, 64, &bytes));
  g_assert_cmpuint (bytes, ==, 2 * sizeof (RgBlockQ4_0));
  /* rows must be whole blocks */
  g_assert_false (rg_dtype_bytes_checked (RG_DTYPE_Q8_0, 112, &bytes));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/quant/q8_0/block", test_q8_0_block);
  g_test_add_func ("/quant/q4_0/block", test_q4_0_block);
  g_test_add_func ("/quant/q4_0/positive-max", test_q4_0_positive_max);
  g_test_add_func ("/quant/q4_0/never-worse-than-ggml", test_q4_0_never_worse_than_ggml);
  g_test_add_func ("/quant/zero-block", test_zero_block);
  g_test_add_func ("/quant/round-trip-bound", test_round_trip_bound);
  g_test_add_func ("/quant/dtype-sizes", test_dtype_sizes);
  return g_test_run ();
}
