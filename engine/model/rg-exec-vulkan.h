/* rg-exec-vulkan.h: a family description (rg-arch.h) recorded as Vulkan
 * dispatches (rg-exec-vulkan.c); the Vulkan model (rg-model-gpu.c) owns
 * the weights it reads. */
#pragma once

#include "rg-exec.h"
#include "rg-ops.h"

G_BEGIN_DECLS

typedef struct
{
  const RgArch *arch;
  RgArchDims dims;
  RgVkContext *ctx;         /* borrowed */
  RgGpuWeight ***mat;       /* [slot][layer], MATRIX weights */
  RgVkBuffer ***vec;        /* [slot][layer], VECTOR weights (f32) */
  RgVkBuffer ***cache;      /* [buffer slot][layer], KV_CACHE buffers */
  RgVkBuffer *rope;         /* [context, head_dim]: cos | sin per position */
  gboolean kv_f16;          /* KV_CACHE buffers hold halves (2 bytes per element) */
  double budget;            /* estimated FLOPs per submit (learned) */
  double fixed_budget;      /* tests: > 0 replaces the learned budget */
  guint n_submits;          /* command buffers submitted, for tests */
} RgExecVk;

/* Records and submits PROG for MODEL; RUN's role buffers are RgVkBuffer*.
 * FALSE with G_IO_ERROR_CANCELLED when MODEL's cancellable fires (checked
 * between submits); what was submitted has completed either way. */
gboolean rg_exec_vk_run (RgExecVk *ex, RgModel *model, const RgArchProgram *prog,
                         RgExecRun *run, GError **error);

G_END_DECLS
