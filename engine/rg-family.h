/* rg-family.h: what differs between model families on the engine side,
 * as data: which image processor runs, how the chat is rendered, how an
 * <image> placeholder expands, which special tokens are used.
 *
 * The family is picked by config.json's model_type, read here on its own
 * (the model layer parses the rest of config.json), so the tokenizer,
 * prompt and preprocessing tools work without the weights. The model side
 * (rg-arch.h) has its own table for the network; a family Regard runs needs
 * an entry in both. Adding a family: one RgFamily row in rg-family.c, plus
 * a processor kind in rg-preprocess.h and an expansion in rg-prompt.c when
 * the existing ones do not fit. */
#pragma once

#include "rg-preprocess.h"

G_BEGIN_DECLS

typedef enum
{
  /* Idefics2Processor: F I^S F per sub-image (5 sub-images with
   * splitting), then every "F F" collapsed to one F. */
  RG_EXPANSION_IDEFICS2,
  /* Idefics3Processor: per image with R x C tiles, per row per column
   * F <row_r_col_c> I^S, "\n" after each row, then "\n" F G I^S F; without
   * tiles F G I^S F. Nothing collapsed. */
  RG_EXPANSION_IDEFICS3,
  /* IdeficsProcessor (IDEFICS1): one <image> per image, a run of k images
   * F (I F)^k: adjacent images share a fake token. Nothing collapsed. */
  RG_EXPANSION_IDEFICS1,
} RgImageExpansion;

typedef struct
{
  const char *model_type;        /* config.json "model_type" */
  const char *name;              /* for messages and the app: "IDEFICS2" */
  RgProcessorKind processor;
  /* Sizes differ per checkpoint and no default is safe: refuse to guess. */
  gboolean needs_preprocessor_config;
  /* Chat template: PREFIX, then per turn the role ("User"/"Assistant"),
   * ":" when the turn starts with an image else ": ", the parts without
   * separators, END_OF_UTTERANCE "\n"; then GENERATION_PROMPT. */
  const char *prompt_prefix;
  /* The checkpoint's chat template (chat_template.json or
   * tokenizer_config.json) overrides PROMPT_PREFIX with its leading
   * literal: "<|im_start|>" for SmolVLM, "<|begin_of_text|>" for
   * Idefics3-8B-Llama3, same family. */
  gboolean prefix_from_template;
  const char *end_of_utterance;
  const char *generation_prompt;
  RgImageExpansion expansion;
  const char *image_token;       /* "<image>": the placeholder and the feature rows */
  const char *fake_image_token;  /* "<fake_token_around_image>" */
  const char *global_image_token;/* "<global-img>" (IDEFICS3), else NULL */
  /* BOS: always tokenized with add_special_tokens, so BOS is whatever the
   * tokenizer.json's post_processor adds: "<s>" for IDEFICS2's Llama
   * tokenizer, nothing for SmolVLM (post_processor null: the template's
   * literal <|im_start|> starts the prompt). */
} RgFamily;

/* The family of MODEL_TYPE, or NULL. */
const RgFamily *rg_family_lookup (const char *model_type);
/* The default family (IDEFICS2), for callers given no family. */
const RgFamily *rg_family_default (void);
/* Reads MODEL_DIR/config.json's model_type. REGARD_ERROR_INVALID_MODEL for
 * a missing or malformed config, REGARD_ERROR_UNSUPPORTED naming the
 * model_type and the supported ones. */
const RgFamily *rg_family_for_model_dir (const char *model_dir, GError **error);

/* How a model folder's processor files set up a family's processor and
 * prompt. */
typedef struct
{
  RgPreprocessOptions pre;       /* preprocessor_config.json over the family's defaults */
  guint image_seq_len;           /* processor_config.json: <image> rows per (sub-)image */
  char prompt_prefix[64];        /* the family's, or the chat template's leading literal */
} RgFamilyProcessor;

/* Reads MODEL_DIR's preprocessor_config.json and processor_config.json for
 * FAMILY (and its chat template's prefix, see prefix_from_template). A missing file the family needs is REGARD_ERROR_UNSUPPORTED
 * naming it. */
gboolean rg_family_load_processor (const RgFamily *family, const char *model_dir,
                                   RgFamilyProcessor *out, GError **error);

G_END_DECLS
