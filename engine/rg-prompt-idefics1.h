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

G_BEGIN_DECLS

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
