/* rg-prompt.h: from a conversation to the model's input ids, as the
 * family's processor does it (Idefics2Processor, Idefics3Processor; the
 * family's strings and expansion come from rg-family.h).
 *
 * 1. render: the chat template; IDEFICS2's: Per turn: "User"/"Assistant", ":"
 *    when the turn starts with an image else ": ", the parts ("<image>" or
 *    the text, no separators), "<end_of_utterance>\n"; then "Assistant:"
 *    when a generation prompt is wanted. No BOS: the tokenizer adds it.
 * 2. expand: every "<image>" becomes <fake_token_around_image> +
 *    <image> * image_seq_len + <fake_token_around_image>, repeated 5 times
 *    with image splitting, then doubled <fake_token_around_image> collapse
 *    (Python str.replace semantics: one left-to-right pass).
 *    IDEFICS3 (SmolVLM): the prefix "<|im_start|>", the same turns; every
 *    "<image>" expands by its image's tile grid (RG_EXPANSION_IDEFICS3).
 * 3. tokenize with add_special_tokens (the tokenizer's BOS, if any). */
#pragma once

#include "rg-conversation-private.h"
#include "rg-family.h"
#include "rg-tokenizer.h"

G_BEGIN_DECLS

#define RG_PROMPT_IMAGE "<image>"
#define RG_PROMPT_FAKE "<fake_token_around_image>"
#define RG_PROMPT_END_OF_UTTERANCE "<end_of_utterance>"

/* IDEFICS2's template, as rg_prompt_render_for (NULL, ...). */
char *rg_prompt_render (RegardConversation *conv, gboolean add_generation_prompt);
/* FAMILY's chat template (NULL: IDEFICS2). */
char *rg_prompt_render_for (const RgFamily *family, RegardConversation *conv,
                            gboolean add_generation_prompt);
/* Number of "<image>" placeholders in TEXT. */
guint rg_prompt_count_images (const char *text);
/* IDEFICS2's expansion. */
char *rg_prompt_expand (const char *text, guint image_seq_len, gboolean do_image_splitting);
/* IDEFICS3's expansion of the "<image>" placeholders of TEXT, the k-th by
 * GRIDS[k] (N_GRIDS must be their number; NULL when 0). */
char *rg_prompt_expand_idefics3 (const RgFamily *family, const char *text, guint image_seq_len,
                                 const RgImageGrid *grids, guint n_grids);
/* Tokenizes an expanded prompt with BOS, appending to IDS (gint32). */
gboolean rg_prompt_tokenize (const RgTokenizer *tok, const char *expanded, GArray *ids, GError **error);

typedef struct
{
  guint image_seq_len;           /* processor_config.json (64) */
  gboolean do_image_splitting;
  /* The conversation's single text part is the whole chat-formatted
   * prompt, with "<image>" placeholders for its image parts in order. */
  gboolean raw_prompt;
  gboolean add_generation_prompt;
  const RgFamily *family;        /* NULL: IDEFICS2 */
  const char *prompt_prefix;     /* NULL: the family's (RgFamilyProcessor's, from the checkpoint) */
  /* RG_EXPANSION_IDEFICS3: each image's tiles, in prompt order (from
   * rg_preprocess_image_grid ()); NULL: none is split. */
  const RgImageGrid *grids;
  guint n_grids;
} RgPromptParams;

/* Everything above. IDS receives the input ids; IMAGES (optional) receives
 * the image parts in prompt order (borrowed RgConvPart * of CONV). Fails
 * when the number of "<image>" placeholders differs from the number of
 * images, as the HF processor does. PROMPT_OUT (optional) receives the
 * expanded prompt. */
gboolean rg_prompt_build (const RgTokenizer *tok, RegardConversation *conv,
                          const RgPromptParams *params, GArray *ids, GPtrArray **images,
                          char **prompt_out, GError **error);

G_END_DECLS
