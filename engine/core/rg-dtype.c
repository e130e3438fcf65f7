#include "rg-dtype.h"

#include <math.h>
#include <string.h>

static const RgDTypeTraits traits[RG_DTYPE_COUNT] = {
  [RG_DTYPE_F32] = { "F32", 1, 4 },
  [RG_DTYPE_F16] = { "F16", 1, 2 },
  [RG_DTYPE_BF16] = { "BF16", 1, 2 },
  [RG_DTYPE_I64] = { "I64", 1, 8 },
  [RG_DTYPE_I32] = { "I32", 1, 4 },
  [RG_DTYPE_U8] = { "U8", 1, 1 },
  [RG_DTYPE_Q8_0] = { "Q8_0", 32, 34 },
  [RG_DTYPE_Q4_0] = { "Q4_0", 32, 18 },
};

const RgDTypeTraits *
rg_dtype_traits (RgDType dtype)
{
  g_return_val_if_fail (dtype < RG_DTYPE_COUNT, &traits[RG_DTYPE_F32]);
  return &traits[dtype];
}

const char *
rg_dtype_name (RgDType dtype)
{
  return rg_dtype_traits (dtype)->name;
}

gboolean
rg_dtype_from_name (const char *name, RgDType *out)
{
  for (guint i = 0; i < RG_DTYPE_COUNT; i++)
    if (g_strcmp0 (traits[i].name, name) == 0)
      {
        *out = (RgDType) i;
        return TRUE;
      }
  return FALSE;
}

gboolean
rg_dtype_bytes_checked (RgDType dtype, uint64_t n, uint64_t *bytes)
{
  const RgDTypeTraits *t = rg_dtype_traits (dtype);
  uint64_t blocks;

  if (n % t->block_elems != 0)
    return FALSE;
  blocks = n / t->block_elems;
  if (blocks > UINT64_MAX / t->block_bytes)
    return FALSE;
  *bytes = blocks * t->block_bytes;
  return TRUE;
}

float
rg_f16_to_f32 (uint16_t h)
{
  uint32_t sign = (uint32_t) (h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ff;
  uint32_t bits;
  float f;

  if (exp == 0)
    {
      /* zero or subnormal: mant * 2^-24 */
      f = ldexpf ((float) mant, -24);
      return sign ? -f : f;
    }
  if (exp == 31)
    bits = sign | 0x7f800000u | (mant << 13);
  else
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  memcpy (&f, &bits, 4);
  return f;
}

uint16_t
rg_f32_to_f16 (float f)
{
  uint32_t x;
  uint32_t sign, mant;
  int32_t exp;

  memcpy (&x, &f, 4);
  sign = (x >> 16) & 0x8000;
  exp = (int32_t) ((x >> 23) & 0xff);
  mant = x & 0x7fffff;

  if (exp == 0xff)
    return (uint16_t) (sign | 0x7c00 | (mant ? 0x200 : 0));
  exp = exp - 127 + 15;
  if (exp >= 31)
    return (uint16_t) (sign | 0x7c00);
  if (exp <= 0)
    {
      /* subnormal half: shift the implicit bit in, round to nearest even */
      uint32_t shift, m, half_bits, rem, halfway;

      if (exp < -10)
        return (uint16_t) sign;
      m = mant | 0x800000;
      shift = (uint32_t) (14 - exp);
      half_bits = m >> shift;
      rem = m & ((1u << shift) - 1);
      halfway = 1u << (shift - 1);
      if (rem > halfway || (rem == halfway && (half_bits & 1)))
        half_bits++;
      return (uint16_t) (sign | half_bits);
    }
  else
    {
      uint32_t h = sign | ((uint32_t) exp << 10) | (mant >> 13);
      uint32_t rem = mant & 0x1fff;

      /* carries into the exponent (and to infinity) are correct */
      if (rem > 0x1000 || (rem == 0x1000 && (h & 1)))
        h++;
      return (uint16_t) h;
    }
}

float
rg_bf16_to_f32 (uint16_t b)
{
  uint32_t bits = (uint32_t) b << 16;
  float f;

  memcpy (&f, &bits, 4);
  return f;
}

uint16_t
rg_f32_to_bf16 (float f)
{
  uint32_t x;

  memcpy (&x, &f, 4);
  if ((x & 0x7fffffff) > 0x7f800000)
    return (uint16_t) ((x >> 16) | 0x40); /* quiet NaN */
  x += 0x7fff + ((x >> 16) & 1);
  return (uint16_t) (x >> 16);
}

void
rg_dtype_to_f32 (RgDType dtype, const void *src, float *dst, size_t n)
{
  switch (dtype)
    {
    case RG_DTYPE_F32:
      memcpy (dst, src, n * sizeof (float));
      break;
    case RG_DTYPE_F16:
      {
        const uint8_t *p = src;
        for (size_t i = 0; i < n; i++)
          {
            uint16_t h;
            memcpy (&h, p + 2 * i, 2);
            dst[i] = rg_f16_to_f32 (h);
          }
      }
      break;
    case RG_DTYPE_BF16:
      {
        const uint8_t *p = src;
        for (size_t i = 0; i < n; i++)
          {
            uint16_t h;
            memcpy (&h, p + 2 * i, 2);
            dst[i] = rg_bf16_to_f32 (h);
          }
      }
      break;
    default:
      g_return_if_reached ();
    }
}
