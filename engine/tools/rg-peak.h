/* rg-peak.h: the f32 FMA rate probe of `regard-cli bench ops`
 * (shaders/peak_fma.comp), with its C reference for the tests. */
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

G_END_DECLS
