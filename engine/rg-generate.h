/* rg-generate.h: prefill with KV-cache reuse, then the token loop.
 *
 * An RgKvHistory mirrors what the model's KV cache holds: the token id at
 * every position and, for <image> positions, which image (by content key)
 * produced the row. A new prompt keeps the longest common prefix with it
 * and only the rest is run, so in a chat only the new turn is prefilled.
 * Comparing ids (not text) makes this robust to the assistant's answer
 * being tokenized differently when it comes back inside the next prompt.
 *
 * The history only ever lists tokens whose KV entries exist: a sampled
 * token is forwarded only when another token will be sampled after it, and
 * the closing <end_of_utterance> is not forwarded at the end of an answer.
 * Both come back in the next turn's prompt and are prefilled with it, which
 * costs the same work without delaying the end of this answer. */
#pragma once

#include <gio/gio.h>

#include "regard-engine.h"
#include "rg-model.h"
#include "rg-sampler.h"

G_BEGIN_DECLS

typedef struct
{
  GArray *ids;       /* gint32 per cached position */
  GArray *image;     /* gint per position: index into keys, -1 for text */
  GPtrArray *keys;   /* owned strings: the content key of each cached image */
} RgKvHistory;

RgKvHistory *rg_kv_history_new (void);
void rg_kv_history_free (RgKvHistory *history);
void rg_kv_history_truncate (RgKvHistory *history, guint n_keep);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RgKvHistory, rg_kv_history_free)

/* One expanded, tokenized prompt. Every image contributes ROWS_PER_IMAGE
 * <image> tokens (64, or 5 x 64 with splitting), in order, or IMAGE_ROWS[k]
 * for image k when IMAGE_ROWS is set (IDEFICS3: by its tiles). */
typedef struct
{
  const gint32 *ids;
  guint n_ids;
  gint32 image_token_id;
  guint rows_per_image;
  const char *const *image_keys;  /* content key per image (bytes + options) */
  guint n_images;
  const guint *image_rows;        /* [n_images], or NULL */
  /* Cross-attention families (IDEFICS1): the image each token attends
   * (-1: none), per prompt token; the prefill runs forward_cross with it
   * (the <image> tokens are ordinary embeddings: FEATURES is not used).
   * NULL for the others. */
  const gint32 *image_index;
} RgGenPrompt;

typedef struct
{
  guint n_keep;        /* cached tokens reused */
  guint first_image;   /* images [first_image, n_images) must be encoded */
} RgPrefillPlan;

/* Checks that PROMPT's <image> tokens match its images and the context,
 * and decides what to reuse. Never keeps the whole prompt: the last token
 * is always run again, since its logits start the answer. */
gboolean rg_prefill_plan (const RgKvHistory *history, const RgGenPrompt *prompt,
                          guint context_length, RgPrefillPlan *plan, GError **error);

/* Truncates MODEL and HISTORY to PLAN->n_keep and runs the rest of PROMPT.
 * FEATURES: the connector rows of images first_image.. (NULL when none).
 * LOGITS receives the last prompt token's logits. On failure the history
 * and cache are emptied, so the next ask starts clean. */
gboolean rg_generate_prefill (RgModel *model, RgKvHistory *history,
                              const RgGenPrompt *prompt, const RgPrefillPlan *plan,
                              const float *features, float *logits, GError **error);

/* Called on the engine thread for every generated token; LAST is TRUE
 * for the final one, so a streaming detokenizer can flush with it. */
typedef void (*RgGenTokenFunc) (gint32 id, gboolean last, gpointer user_data);

/* Samples from LOGITS (the prefill's; overwritten) until an EOS id,
 * MAX_NEW_TOKENS tokens, a full context or cancellation. Cancellation is
 * checked once per token: a cancel that arrives while a token is being
 * computed lets that token out as the last one (it costs nothing more), so
 * the answer stops within one token and every token's text is delivered.
 * N_GENERATED receives the tokens given to ON_TOKEN (EOS included).
 * Returns FALSE with ERROR only when the model fails. */
gboolean rg_generate_decode (RgModel *model, RgKvHistory *history, RgSampler *sampler,
                             float *logits, guint max_new_tokens,
                             GCancellable *cancellable,
                             RgGenTokenFunc on_token, gpointer token_data,
                             RegardStopReason *stop_reason, guint *n_generated,
                             GError **error);

G_END_DECLS
