/* rg-quant.c: Q8_0 / Q4_0 quantizers (ggml's block layouts) and dequantizers. */
#include "rg-quant.h"

#include <math.h>
#include <string.h>

#include "rg-dtype.h"

void
rg_quantize_row_q8_0 (const float *x, RgBlockQ8_0 *y, size_t n)
{
  g_return_if_fail (n % RG_QK == 0);
  for (size_t b = 0; b < n / RG_QK; b++)
    {
      const float *v = x + b * RG_QK;
      float amax = 0.0f, d, id;

      for (int j = 0; j < RG_QK; j++)
        amax = MAX (amax, fabsf (v[j]));
      d = amax / 127.0f;
      /* ggml scales by the f32 inverse of the unrounded d, then stores d
       * as f16: kept as is so the bytes match llama.cpp's */
      id = d != 0.0f ? 1.0f / d : 0.0f;
      y[b].d = rg_f32_to_f16 (d);
      for (int j = 0; j < RG_QK; j++)
        y[b].qs[j] = (int8_t) roundf (v[j] * id);
    }
}

/* Levels l in [-8, 7] for scale 1/ISCALE, and the least-squares scale for
 * them; returns the squared error of that fit. */
static float
q4_fit (const float *v, float iscale, int8_t *l, float *d_out)
{
  float sum_xl = 0.0f, sum_ll = 0.0f, d, err = 0.0f;

  for (int j = 0; j < RG_QK; j++)
    {
      int q = (int) lrintf (v[j] * iscale);

      l[j] = (int8_t) CLAMP (q, -8, 7);
      sum_xl += v[j] * l[j];
      sum_ll += (float) (l[j] * l[j]);
    }
  d = sum_ll > 0.0f ? sum_xl / sum_ll : 0.0f;
  /* the scale is stored as f16: measure the error of what is stored */
  d = rg_f16_to_f32 (rg_f32_to_f16 (d));
  for (int j = 0; j < RG_QK; j++)
    {
      float e = v[j] - d * l[j];
      err += e * e;
    }
  *d_out = d;
  return err;
}

void
rg_quantize_row_q4_0 (const float *x, RgBlockQ4_0 *y, size_t n)
{
  g_return_if_fail (n % RG_QK == 0);
  for (size_t b = 0; b < n / RG_QK; b++)
    {
      const float *v = x + b * RG_QK;
      float amax = 0.0f, max = 0.0f, best_err = INFINITY, best_d = 0.0f;
      int8_t l[RG_QK], best_l[RG_QK] = { 0 };

      for (int j = 0; j < RG_QK; j++)
        if (amax < fabsf (v[j]))
          {
            amax = fabsf (v[j]);
            max = v[j];
          }
      if (amax == 0.0f)
        {
          y[b].d = rg_f32_to_f16 (0.0f);
          memset (y[b].qs, 0x88, sizeof y[b].qs);
          continue;
        }
      /* ggml's reference maps the extreme value to -8 exactly; searching a
       * few scales around it and refitting the scale by least squares (as
       * ggml's make_qx_quants does for its newer formats) halves the error
       * on average, with the same block layout and decoder. */
      for (int step = -9; step <= 9; step++)
        {
          float d;
          float err = q4_fit (v, (-8.0f + 0.1f * step) / max, l, &d);

          if (err < best_err)
            {
              best_err = err;
              best_d = d;
              memcpy (best_l, l, sizeof l);
            }
        }
      y[b].d = rg_f32_to_f16 (best_d);
      for (int j = 0; j < RG_QK / 2; j++)
        y[b].qs[j] = (uint8_t) (best_l[j] + 8) | (uint8_t) ((best_l[j + RG_QK / 2] + 8) << 4);
    }
}

void
rg_dequantize_row_q8_0 (const RgBlockQ8_0 *x, float *y, size_t n)
{
  g_return_if_fail (n % RG_QK == 0);
  for (size_t b = 0; b < n / RG_QK; b++)
    {
      float d = rg_f16_to_f32 (x[b].d);

      for (int j = 0; j < RG_QK; j++)
        y[b * RG_QK + j] = (float) x[b].qs[j] * d;
    }
}

void
rg_dequantize_row_q4_0 (const RgBlockQ4_0 *x, float *y, size_t n)
{
  g_return_if_fail (n % RG_QK == 0);
  for (size_t b = 0; b < n / RG_QK; b++)
    {
      float d = rg_f16_to_f32 (x[b].d);

      for (int j = 0; j < RG_QK / 2; j++)
        {
          y[b * RG_QK + j] = (float) ((int) (x[b].qs[j] & 0x0f) - 8) * d;
          y[b * RG_QK + j + RG_QK / 2] = (float) ((int) (x[b].qs[j] >> 4) - 8) * d;
        }
    }
}
