/* rg-prompt-idefics1.h: what IdeficsProcessor (the original IDEFICS,
 * idefics-9b/80b-instruct) adds to the shared chat template.
 *
 * The instruct model's turns are the same as IDEFICS2's ("User:" ...
 * "<end_of_utterance>\n" "Assistant:" ...), so rg_prompt_render () renders
 * them; BOS comes from the tokenizer as there. What differs:
 *
 * - expansion: each image is ONE <image> token between fake tokens, and
 *   adjacent images share one: a run of k placeholders becomes
 *   <fake_token_around_image> + k x (<image><fake_token_around_image>);
 * - the image attention index: the image features never enter the token
 *   sequence; each token's gated cross-attention attends at most one
 *   image, chosen from the ids alone (rg_idefics1_image_index ()). */
#pragma once

#include <glib.h>

#include "rg-tokenizer.h"

G_BEGIN_DECLS

/* The special tokens IDEFICS1's prompt and generation use. */
typedef struct
{
  gint32 image;             /* <image> */
  gint32 fake;              /* <fake_token_around_image> */
  gint32 eos;               /* </s>: resets the image attention */
  gint32 end_of_utterance;  /* <end_of_utterance>, -1 without (base idefics-9b) */
} RgIdefics1Tokens;

/* Looks them up in TOK. A tokenizer without <image>, the fake token or
 * </s> is not an IDEFICS tokenizer: REGARD_ERROR_INVALID_MODEL. */
gboolean rg_idefics1_tokens_lookup (const RgTokenizer *tok, RgIdefics1Tokens *out, GError **error);

/* What the instruct model's card asks of generation on top of
 * generation_config.json (which says eos 2 only): stop on
 * <end_of_utterance> too, never emit <image> or the fake token. Adds the
 * ids missing from EOS (*N_EOS of at most MAX_EOS) and BAD (*N_BAD of at
 * most MAX_BAD); FALSE when one does not fit. */
gboolean rg_idefics1_generation_ids (const RgIdefics1Tokens *tokens, gint32 *eos, guint *n_eos, guint max_eos,
                                     gint32 *bad, guint *n_bad, guint max_bad);

/* TEXT with every maximal run of "<image>" placeholders expanded. */
char *rg_prompt_expand_idefics1 (const char *text);

/* IdeficsProcessor's image_attention_mask as an index per token: for token
 * t, the index of the latest IMAGE_ID token at or before t (the k-th
 * <image> of the prompt is image k), or -1 when there is none, when an
 * EOS_ID (</s>) came after that <image> and before t (</s> itself still
 * attends; <end_of_utterance> resets nothing), or when the index is
 * N_IMAGES or more. OUT receives N values. */
void rg_idefics1_image_index (const gint32 *ids, gsize n, gint32 image_id, gint32 eos_id, guint n_images,
                              gint32 *out);

G_END_DECLS
