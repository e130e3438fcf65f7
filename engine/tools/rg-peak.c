/* rg-peak.c: see rg-peak.h. */
#include "config.h"

#include <math.h>

#include "rg-peak.h"

/* Mirrors `Push` in shaders/peak_fma.comp. */
typedef struct
{
  uint32_t iters;
  float mul;
  float add;
  uint32_t pad;
} PeakPush;

G_STATIC_ASSERT (sizeof (PeakPush) == 16);

#define PEAK_WG 64

void
rg_peak_fma_record (RgVkRecorder *rec, RgVkBuffer *out, uint32_t invocations, uint32_t iters, float mul, float add)
{
  PeakPush push = { iters, mul, add, 0 };
  RgVkBinding bindings[1] = { rg_vk_bind (out) };
  RgVkDispatch d = {
    .shader = "peak_fma",
    .spec = { PEAK_WG },
    .n_spec = 1,
    .bindings = bindings,
    .n_bindings = 1,
    .push = &push,
    .push_size = sizeof push,
    .flops = (double) invocations * iters * RG_PEAK_FLOPS_PER_ITER,
  };

  g_return_if_fail (invocations % PEAK_WG == 0);
  rg_vk_groups_1d (rg_vk_recorder_get_context (rec), invocations / PEAK_WG, d.groups);
  rg_vk_dispatch (rec, &d);
}

float
rg_peak_fma_ref (uint32_t i, uint32_t iters, float mul, float add)
{
  float acc[8][4], s[4] = { 0 };

  for (guint c = 0; c < 8; c++)
    {
      acc[c][0] = (float) (i & 255u) + (float) c;
      acc[c][1] = 1.0f;
      acc[c][2] = 2.0f;
      acc[c][3] = 3.0f;
    }
  for (uint32_t it = 0; it < iters; it++)
    for (guint c = 0; c < 8; c++)
      for (guint k = 0; k < 4; k++)
        acc[c][k] = fmaf (acc[c][k], mul, add);
  for (guint c = 0; c < 8; c++)
    for (guint k = 0; k < 4; k++)
      s[k] += acc[c][k];
  return (s[0] + s[1]) + (s[2] + s[3]);
}

/* Mirrors `Push` in shaders/peak_texel.comp. */
typedef struct
{
  uint32_t n_texels;
  uint32_t invocations;
  uint32_t pad0;
  uint32_t pad1;
} TexelPush;

G_STATIC_ASSERT (sizeof (TexelPush) == 16);

void
rg_peak_texel_record (RgVkRecorder *rec, RgVkBuffer *out, const RgVkBuffer *src, uint32_t n_texels,
                      uint32_t invocations)
{
  TexelPush push = { n_texels, invocations, 0, 0 };
  RgVkBinding bindings[1] = { rg_vk_bind (out) };
  const RgVkBuffer *texels[1] = { src };
  RgVkDispatch d = {
    .shader = "peak_texel",
    .spec = { PEAK_WG },
    .n_spec = 1,
    .bindings = bindings,
    .n_bindings = 1,
    .texels = texels,
    .n_texels = 1,
    .push = &push,
    .push_size = sizeof push,
    .bytes = 16.0 * n_texels,
  };

  g_return_if_fail (invocations % PEAK_WG == 0 && n_texels % (8u * invocations) == 0);
  rg_vk_groups_1d (rg_vk_recorder_get_context (rec), invocations / PEAK_WG, d.groups);
  rg_vk_dispatch (rec, &d);
}

uint32_t
rg_peak_texel_ref (const uint32_t *words, uint32_t n_texels, uint32_t invocations, uint32_t i)
{
  uint32_t per_group = n_texels / (invocations / PEAK_WG);
  uint64_t base = (uint64_t) (i / PEAK_WG) * per_group;
  uint32_t acc = 0;

  for (uint64_t t = base + i % PEAK_WG; t < base + per_group; t += PEAK_WG)
    acc ^= words[4 * t] ^ words[4 * t + 1] ^ words[4 * t + 2] ^ words[4 * t + 3];
  return acc;
}
