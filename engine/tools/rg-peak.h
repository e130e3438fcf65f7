/* rg-peak.h: the probes of `regard-cli bench ops`: the f32 FMA rate
 * (shaders/peak_fma.comp) and the uniform texel buffer read rate
 * (shaders/peak_texel.comp), with their C references for the tests. */
#pragma once

#include "rg-vk.h"

G_BEGIN_DECLS

#define RG_PEAK_FLOPS_PER_ITER (8 * 4 * 2)   /* 8 vec4 FMA chains */

/* Records INVOCATIONS (a multiple of 64) invocations of ITERS rounds into
 * OUT (f32 [INVOCATIONS]); each round is RG_PEAK_FLOPS_PER_ITER FLOPs. */
void rg_peak_fma_record (RgVkRecorder *rec, RgVkBuffer *out, uint32_t invocations, uint32_t iters, float mul,
                         float add);

/* What invocation I stores. */
float rg_peak_fma_ref (uint32_t i, uint32_t iters, float mul, float add);

/* Records INVOCATIONS (a multiple of 64) invocations reading the
 * N_TEXELS 16-byte texels of SRC (N_TEXELS a multiple of 8 * INVOCATIONS,
 * within the device's texel buffer limit), each workgroup of 64 its own
 * contiguous share, into OUT (u32 [INVOCATIONS]). */
void rg_peak_texel_record (RgVkRecorder *rec, RgVkBuffer *out, const RgVkBuffer *src, uint32_t n_texels,
                           uint32_t invocations);

/* What invocation I stores for the words WORDS (4 * N_TEXELS). */
uint32_t rg_peak_texel_ref (const uint32_t *words, uint32_t n_texels, uint32_t invocations, uint32_t i);

G_END_DECLS
