/* rg-engine-private.h: what the engine thread works on.
 *
 * regard-engine.c owns the thread, the request queue and the public API;
 * rg-engine-load.c and rg-engine-ask.c run one request each, always on the
 * engine thread, which is the only user of an RgLoadedModel. */
#pragma once

#include "regard-engine.h"
#include "rg-family.h"
#include "rg-prompt-idefics1.h"
#include "rg-generate.h"
#include "rg-model.h"
#include "rg-preprocess.h"
#include "rg-snapshot.h"
#include "rg-tokenizer.h"
#include "rg-vk.h"

G_BEGIN_DECLS

typedef struct
{
  RgVkContext *vk;        /* NULL on the reference backend (plain C) */
  RgModel *model;
  RgTokenizer *tokenizer;
  const RgFamily *family; /* by config.json's model_type */
  RgProcessorConfig proc; /* generation_config.json: EOS, bad words */
  RgPreprocessOptions pre;
  guint image_seq_len;    /* <image> rows per frame (processor_config.json) */
  char prompt_prefix[64]; /* the chat template's first text (RgFamilyProcessor) */
  RgKvHistory *history;   /* what the model's KV cache holds */
  /* Cross-attention families (IDEFICS1): its special tokens, and the
   * content keys of the images in the model's image states (char *). */
  RgIdefics1Tokens idefics1;
  GPtrArray *image_state_keys;
  RegardModelInfo *info;  /* engine-thread copy; the client gets its own */
  char *format_reason;    /* why the weight format was chosen (GPU backend) */
} RgLoadedModel;

void rg_loaded_model_free (RgLoadedModel *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RgLoadedModel, rg_loaded_model_free)

RegardModelInfo *rg_model_info_copy (const RegardModelInfo *info);
void rg_model_info_free (RegardModelInfo *info);

/* Reports progress (bytes done, total) to the client; called on the
 * engine thread. */
typedef void (*RgLoadProgress) (guint64 done, guint64 total, gpointer data);

RgLoadedModel *rg_engine_load_model (const char *model_dir, const RegardEngineParams *params,
                                     GCancellable *cancellable,
                                     RgLoadProgress progress, gpointer progress_data,
                                     GError **error);

/* Called on the engine thread for every token with its text delta. */
typedef void (*RgAskTokenFunc) (gint32 id, const char *text, gpointer data);

/* One ask, start to end: prompt, images, prefill with cache reuse,
 * generation. STATS is filled also when the ask is cancelled. */
gboolean rg_engine_ask_run (RgLoadedModel *m, RegardConversation *conv,
                            const RegardAskParams *params, GCancellable *cancellable,
                            RgAskTokenFunc on_token, gpointer token_data,
                            RegardAskStats *stats, GError **error);

G_END_DECLS
