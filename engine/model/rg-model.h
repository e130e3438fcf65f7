/* rg-model.h: a loaded IDEFICS2 model behind one interface, so the engine
 * thread runs the same generation code on the Vulkan backend and on the
 * reference backend (rg-model-ref.c, plain C, used by tests as the oracle
 * for the GPU path).
 *
 * A model owns its weights and one KV cache (one conversation). Not
 * thread-safe: the engine thread is its only user. */
#pragma once

#include <gio/gio.h>
#include <stdint.h>

#include "rg-config.h"
#include "rg-pixel-batch.h"

G_BEGIN_DECLS

/* Load progress of a backend: checkpoint bytes done of TOTAL. */
typedef void (*RgModelProgress) (guint64 done, guint64 total, gpointer user_data);

typedef struct _RgModel RgModel;

/* Optional intermediate tensors, for --dump and the golden tests. When a
 * model has taps set, each forward stores (replacing earlier values) f32
 * copies under the goldens' names:
 *   vision_last_hidden_state [n_sub, P, V]  (P = patches of the padded grid)
 *   connector_output         [n_sub, n_latents, T]
 *   inputs_embeds            [L, T]   (of the last forward call)
 *   text_last_hidden_state   [L, T]   (after the final norm)          */
typedef struct
{
  char *name;
  guint n_dims;
  int64_t shape[4];
  float *data;
} RgTap;

typedef struct
{
  GHashTable *tensors; /* name -> RgTap* (owned) */
} RgTaps;

RgTaps *rg_taps_new (void);
void rg_taps_free (RgTaps *taps);
/* Copies DATA; replaces a tap of the same name. */
void rg_taps_store (RgTaps *taps, const char *name, guint n_dims, const int64_t *shape, const float *data);
const RgTap *rg_taps_lookup (RgTaps *taps, const char *name);
/* Stores DATA [rows, cols] under NAME; STACKED: as part PART of a
 * [parts, rows, cols] tap (one per sub-image of an encode; part 0 starts
 * it anew), else as [rows, cols]. */
void rg_taps_store_part (RgTaps *taps, const char *name, gboolean stacked, guint part,
                         uint64_t rows, uint64_t cols, const float *data);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RgTaps, rg_taps_free)

typedef struct
{
  void (*free) (RgModel *model);
  /* Vision tower + connector for every sub-image of BATCH.
   * FEATURES: caller-allocated [batch->n * n_latents, text hidden]. */
  gboolean (*encode_images) (RgModel *model, const RgPixelBatch *batch,
                             float *features, GError **error);
  /* Runs N new tokens at positions n_past .. n_past+N-1 through the
   * language model, appending to the KV cache. Rows whose id is the image
   * token take, in order, consecutive rows of IMAGE_FEATURES (n_image_rows
   * rows of text hidden; NULL when there are none). LOGITS (vocab floats,
   * may be NULL) receives the logits of the last of the N tokens. */
  gboolean (*forward) (RgModel *model, const int32_t *ids, guint n,
                       const float *image_features, guint n_image_rows,
                       float *logits, GError **error);
  /* Forgets KV entries at positions >= N_KEEP. */
  void (*truncate) (RgModel *model, guint n_keep);
  /* Cross-attention families (IDEFICS1; NULL for the others): the image
   * states every later forward's gated cross-attention reads, N_IMAGES x
   * image_seq_len rows of feature_width (what encode_images wrote),
   * copied, replacing the previous ones (NULL, 0: none). */
  gboolean (*set_image_states) (RgModel *model, const float *states, guint n_images, GError **error);
  /* As forward, token i attending image IMAGE_INDEX[i] of the image states
   * (-1: none; NULL: none for every token). A plain forward on such a
   * model gives every token the index of the last token of the last
   * forward_cross (HF: generated tokens reuse the last prompt row). */
  gboolean (*forward_cross) (RgModel *model, const int32_t *ids, const int32_t *image_index, guint n,
                             float *logits, GError **error);
} RgModelVTable;

/* The KV cache's element type, chosen at load. */
typedef enum
{
  RG_KV_AUTO = 0,  /* $REGARD_KV_CACHE (f32|f16), else f32 for f32 weights, f16 otherwise */
  RG_KV_F32,
  RG_KV_F16,       /* half the bytes; k and v rounded to f16 as they are stored */
} RgKvType;

/* REQUESTED resolved for a model whose weights are f32 (F32_WEIGHTS) with
 * HEAD_DIM: AUTO takes $REGARD_KV_CACHE, else the weights' rule. f16 needs
 * head_dim % 4 == 0 (the cache is written as whole 32-bit words of two
 * halves, read as 16-byte texels or words: no 16-bit storage feature is
 * used); otherwise f32, with the reason logged. An unknown
 * $REGARD_KV_CACHE is an error. */
gboolean rg_kv_type_resolve (RgKvType requested, gboolean f32_weights, guint head_dim,
                             RgKvType *out, GError **error);
const char *rg_kv_type_name (RgKvType kv);

struct _RgModel
{
  const RgModelVTable *vtable;
  RgModelConfig config;
  guint n_past;             /* tokens in the KV cache */
  guint context_length;     /* KV cache capacity in tokens */
  RgKvType kv_type;         /* the KV cache's element type (F32 or F16) */
  guint image_seq_len;      /* rows encode_images writes per sub-image */
  guint feature_width;      /* their width (text hidden; IDEFICS1: the vision width) */
  guint n_images;           /* cross-attention: images in the current image states */
  int32_t last_image_index; /* cross-attention: what a plain forward's tokens attend */
  RgTaps *taps;             /* borrowed, may be NULL */
  /* Borrowed, may be NULL: checked between the steps of a long encode or
   * forward (groups of layers), which then fail with G_IO_ERROR_CANCELLED
   * leaving the KV cache as it was (n_past unchanged). */
  GCancellable *cancellable;
  /* Test hook, may be NULL: called after each step (a submitted command
   * buffer on Vulkan, a layer on the reference backend). */
  void (*on_step) (gpointer data);
  gpointer on_step_data;
};

/* The checks every backend's forward makes before touching the cache: N
 * tokens fit the context, every id is in the vocabulary, and with
 * IMAGE_FEATURES the number of image tokens equals N_IMAGE_ROWS. */
/* The truncate of a model whose KV cache is written by position: rows at
 * or past N_KEEP are simply overwritten later. */
void rg_model_truncate_positions (RgModel *model, guint n_keep);
/* Cross-attention: a plain forward as forward_cross with every token at
 * model->last_image_index (IMAGE_FEATURES must be NULL: no image rows). */
gboolean rg_model_forward_as_cross (RgModel *model, const int32_t *ids, guint n, const float *image_features,
                                    float *logits, GError **error);
/* Cross-attention: every index is -1 or below model->n_images. */
gboolean rg_model_check_image_index (const RgModel *model, const int32_t *image_index, guint n, GError **error);

gboolean rg_model_check_forward (const RgModel *model, const int32_t *ids, guint n,
                                 const float *image_features, guint n_image_rows, GError **error);

static inline void
rg_model_free (RgModel *model)
{
  if (model)
    model->vtable->free (model);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RgModel, rg_model_free)

G_END_DECLS
