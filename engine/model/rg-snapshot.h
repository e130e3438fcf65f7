/* rg-snapshot.h: a Hugging Face IDEFICS2 snapshot folder, opened and
 * validated: config.json, the weights (one model.safetensors or shards
 * through model.safetensors.index.json, all memory-mapped), and the paths
 * of the tokenizer and processor files. Every tensor the config implies is
 * checked for presence, dtype (F32/F16/BF16) and shape before use. */
#pragma once

#include <gio/gio.h>

#include "rg-config.h"
#include "rg-safetensors.h"

G_BEGIN_DECLS

typedef struct _RgSnapshot RgSnapshot;

typedef struct
{
  gboolean do_image_splitting;   /* preprocessor_config.json */
  guint longest_edge;            /* 980 */
  guint shortest_edge;           /* 378 */
  guint image_seq_len;           /* processor_config.json (64) */
  gint32 bos_token_id;           /* generation_config.json */
  gint32 eos_token_ids[8];       /* e.g. 2, 32002 */
  guint n_eos_token_ids;
  gint32 bad_words_ids[8];       /* single-token bad words: 32000, 32001 */
  guint n_bad_words_ids;
} RgProcessorConfig;

RgSnapshot *rg_snapshot_open (const char *dir, GError **error);
void rg_snapshot_close (RgSnapshot *snap);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RgSnapshot, rg_snapshot_close)

const char *rg_snapshot_get_dir (RgSnapshot *snap);
const RgModelConfig *rg_snapshot_get_config (RgSnapshot *snap);
const RgProcessorConfig *rg_snapshot_get_processor_config (RgSnapshot *snap);
/* NULL when absent (the snapshot was validated, so only for optional names). */
const RgTensorInfo *rg_snapshot_get_tensor (RgSnapshot *snap, const char *name);
/* Total bytes of all weights. */
uint64_t rg_snapshot_get_total_bytes (RgSnapshot *snap);
/* Path of tokenizer.json inside the snapshot. */
const char *rg_snapshot_get_tokenizer_path (RgSnapshot *snap);

G_END_DECLS
