/* rg-quant.c: ggml's reference Q8_0 / Q4_0 quantizers and dequantizers. */
#include "rg-quant.h"

#include <math.h>

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

void
rg_quantize_row_q4_0 (const float *x, RgBlockQ4_0 *y, size_t n)
{
  g_return_if_fail (n % RG_QK == 0);
  for (size_t b = 0; b < n / RG_QK; b++)
    {
      const float *v = x + b * RG_QK;
      float amax = 0.0f, max = 0.0f, d, id;

      /* the signed value of largest magnitude maps to -8, the one level
       * without a positive twin, so the full range [-8, 7] is used */
      for (int j = 0; j < RG_QK; j++)
        if (amax < fabsf (v[j]))
          {
            amax = fabsf (v[j]);
            max = v[j];
          }
      d = max / -8.0f;
      id = d != 0.0f ? 1.0f / d : 0.0f;
      y[b].d = rg_f32_to_f16 (d);
      for (int j = 0; j < RG_QK / 2; j++)
        {
          uint8_t q0 = (uint8_t) MIN (15, (int8_t) (v[j] * id + 8.5f));
          uint8_t q1 = (uint8_t) MIN (15, (int8_t) (v[j + RG_QK / 2] * id + 8.5f));

          y[b].qs[j] = q0 | (uint8_t) (q1 << 4);
        }
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
