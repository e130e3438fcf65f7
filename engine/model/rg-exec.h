/* rg-exec.h: what the executors of a family description (rg-arch.h)
 * share: one run's bindings, and the executors' entry points. */
#pragma once

#include "rg-arch.h"
#include "rg-model.h"
#include "rg-patches.h"

G_BEGIN_DECLS

/* One run of a program: the row symbols' values and the buffers with a
 * role (host pointers on the reference backend, RgVkBuffer* on Vulkan),
 * by buffer slot. An op whose output is an unbound role buffer (no logits
 * wanted) is skipped, as is a scatter of an unbound input (no images). */
typedef struct
{
  uint64_t rows[RG_ROWS_N];
  gpointer io[RG_ARCH_MAX_BUFFERS];
  uint32_t height, width;   /* PIXELS: the padded sub-image */
  uint32_t grid_h, grid_w;  /* its patch grid (PIXEL_SHUFFLE) */
  gboolean stacked;         /* taps: one part per sub-image (encode) */
  gboolean split;           /* Vulkan: may be split into several submits (not a decode step) */
  guint part;
  /* a sub-image narrowed to its valid patches (rg_exec_run_narrow): the
   * padded grid its taps are scattered back into; 0 when not narrowed */
  uint32_t pad_h, pad_w;
  gboolean whole_grid;      /* every patch row is read (a pixel shuffle): never narrowed */
} RgExecRun;

/* A loaded model's shape fields from its description (image_seq_len,
 * feature_width), and CROSS_VTABLE where the description reads image
 * states through cross-attention (an IMAGE_INDEX input). */
void rg_model_set_shape (RgModel *model, const RgArch *arch, const RgArchDims *dims,
                         const RgModelVTable *cross_vtable);

/* Binds DATA to every buffer of ROLE in RUN. */
void rg_exec_run_bind (RgExecRun *run, const RgArch *arch, RgRole role, gpointer data);

/* An encode of BATCH: its patch grid (validity, position ids; checked
 * against the model's grid) and RUN's row counts. NULL on bad input. */
RgPatchGrid *rg_exec_run_prepare_encode (RgExecRun *run, const RgModel *model,
                                         const RgArchDims *dims, const RgPixelBatch *batch,
                                         GError **error);

/* Narrows RUN to sub-image S of BATCH when its valid patches are a
 * rectangle of whole patches at the top left (all other patches of the
 * padded frame are masked keys whose own rows nothing reads): *PIXELS gets
 * that rectangle's pixels and *IDS its position ids, and the run's rows are
 * those of the rectangle. FALSE (RUN keeps the padded grid) when the
 * sub-image is all valid or its mask is no such rectangle. */
gboolean rg_exec_run_narrow (RgExecRun *run, const RgPatchGrid *grid, const RgPixelBatch *batch,
                             guint s, guint channels, guint patch, float **pixels, int32_t **ids);
/* Back to the padded grid of GRID after a narrowed sub-image. */
void rg_exec_run_widen (RgExecRun *run, const RgPatchGrid *grid, const RgPixelBatch *batch, guint patch);
/* Stores a tap of RUN, its patch rows scattered into the padded grid when
 * the run is narrowed (the layout the goldens and --dump present). */
void rg_exec_run_tap (const RgExecRun *run, RgTaps *taps, const char *name,
                      uint64_t rows, uint64_t cols, const float *data);

/* A forward of IDS: the arguments checked (rg_model_check_forward), RUN's
 * row counts, and the rows of IDS that take image features (int32). */
GArray *rg_exec_run_prepare_forward (RgExecRun *run, const RgModel *model,
                                     const int32_t *ids, guint n,
                                     const float *image_features, guint n_image_rows,
                                     GError **error);

/* A run of the images program: the rows of MODEL's image states. */
void rg_exec_run_prepare_images (RgExecRun *run, const RgModel *model);

/* The weights of a family on the reference backend: f32 copies. */
typedef struct
{
  const RgArch *arch;
  RgArchDims dims;
  float ***w;            /* [slot][layer] */
  float ***cache;        /* [buffer slot][layer] for KV_CACHE buffers */
  guint context_length;
  gboolean kv_f16;       /* the KV cache holds f16 values (stored as f32 rounded to f16) */
  GPtrArray *owned;      /* every allocation above (g_free) */
} RgExecRef;

/* Runs PROG for MODEL (taps, cancellable and step hook). FALSE with
 * G_IO_ERROR_CANCELLED when cancelled between steps. */
gboolean rg_exec_ref_run (RgExecRef *ex, RgModel *model, const RgArchProgram *prog,
                          RgExecRun *run, GError **error);

G_END_DECLS
