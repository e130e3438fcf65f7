/* rg-prompt.h: from a conversation to the model's input ids, as
 * Idefics2Processor does it.
 *
 * 1. render: the idefics2 chat template. Per turn: "User"/"Assistant", ":"
 *    when the turn starts with an image else ": ", the parts ("<image>" or
 *    the text, no separators), "<end_of_utterance>\n"; then "Assistant:"
 *    when a generation prompt is wanted. No BOS: the tokenizer adds it.
 * 2. expand: every "<image>" becomes <fake_token_around_image> +
 *    <image> * image_seq_len + <fake_token_around_image>, repeated 5 times
 *    with image splitting, then doubled <fake_token_around_image> collapse
 *    (Python str.replace semantics: one left-to-right pass).
 * 3. tokenize with BOS. */
#pragma once

#include "rg-conversation-private.h"
#include "rg-tokenizer.h"

G_BEGIN_DECLS

#define RG_PROMPT_IMAGE "<image>"
#define RG_PROMPT_FAKE "<fake_token_around_image>"
#define RG_PROMPT_END_OF_UTTERANCE "<end_of_utterance>"

char *rg_prompt_render (RegardConversation *conv, gboolean add_generation_prompt);
/* Number of "<image>" placeholders in TEXT. */
guint rg_prompt_count_images (const char *text);
char *rg_prompt_expand (const char *text, guint image_seq_len, gboolean do_image_splitting);
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
