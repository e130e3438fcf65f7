/* regard-tools.h: the engine's developer tools, for regard-cli and tests:
 * the tokenizer, prompt ids, the image processor's output, a report of the
 * Vulkan devices, benchmarks. Same conventions as regard-engine.h: opaque
 * handles, params structs with defaults, errors returned (GError), never
 * an exit. None of these needs a RegardEngine; they read a model folder
 * or open a device of their own. */
#pragma once

#include <gio/gio.h>
#include <stdio.h>

#include "regard-engine.h"

G_BEGIN_DECLS

/* ---- Tokenizer and prompt --------------------------------------------- */

typedef struct _RegardTokenizer RegardTokenizer;

/* Reads MODEL_DIR/tokenizer.json. */
RegardTokenizer *regard_tokenizer_new (const char *model_dir, GError **error);
void regard_tokenizer_free (RegardTokenizer *tok);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RegardTokenizer, regard_tokenizer_free)

/* Appends the ids of TEXT (UTF-8, no BOS added) to IDS (a GArray of gint32). */
gboolean regard_tokenizer_encode (RegardTokenizer *tok, const char *text, GArray *ids, GError **error);
/* The text of N_IDS ids (LENGTH: its size in bytes, may be NULL); unknown
 * ids are skipped. */
char *regard_tokenizer_decode (RegardTokenizer *tok, const gint32 *ids, gsize n_ids,
                               gboolean skip_special, gsize *length);

typedef struct
{
  int image_splitting;  /* -1: the model's preprocessor_config.json, 0: off, 1: on */
  /* The conversation's single text is the whole chat-formatted prompt
   * with <image> placeholders (as RegardAskParams.raw_prompt). */
  gboolean raw_prompt;
} RegardPromptParams;

RegardPromptParams regard_prompt_params_default (void);

/* Appends to IDS (gint32) the input ids an ask of CONV would give the
 * model (the family's chat template, <image> expansion, BOS if its
 * tokenizer adds one), from MODEL_DIR's config.json (model_type),
 * tokenizer.json, processor_config.json and preprocessor_config.json;
 * the weights are not read. IDEFICS3 (SmolVLM) decodes the images, whose
 * sizes decide their tiles; IDEFICS2 reads no pixels. */
gboolean regard_prompt_ids (const char *model_dir, RegardConversation *conv,
                            const RegardPromptParams *params, GArray *ids, GError **error);

/* ---- Image processor --------------------------------------------------- */

typedef struct
{
  int image_splitting;  /* -1: the model's preprocessor_config.json, 0: off, 1: on */
} RegardPreprocessParams;

RegardPreprocessParams regard_preprocess_params_default (void);

typedef struct
{
  guint n_images;       /* sub-images (frames): IDEFICS2 images x 5 with splitting; IDEFICS3 tiles + 1 per image */
  guint height, width;  /* padded size */
  gboolean split;
  guint *valid_hw;      /* [n_images][2]: each sub-image's unpadded height, width */
} RegardPreprocessInfo;

void regard_preprocess_info_free (RegardPreprocessInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RegardPreprocessInfo, regard_preprocess_info_free)

/* Decodes and preprocesses N_PATHS images as the model family's image
 * processor (Idefics2ImageProcessor, Idefics3ImageProcessor,
 * IdeficsImageProcessor by MODEL_DIR's config.json model_type, with its
 * preprocessor_config.json) and writes OUT_PATH, a safetensors file:
 * pixel_values F32 [N, 3, H, W], pixel_attention_mask U8 [N, H, W] (none
 * for IDEFICS1, whose images are all image_size square).
 * Returns the layout, or NULL with ERROR set. */
RegardPreprocessInfo *regard_preprocess_to_safetensors (const char *model_dir,
                                                        const char * const *image_paths, guint n_paths,
                                                        const RegardPreprocessParams *params,
                                                        const char *out_path, GError **error);

/* ---- Devices ----------------------------------------------------------- */

/* A report of every Vulkan device: features the shaders use, limits,
 * memory, and which one the engine would choose and why ($REGARD_DEVICE
 * honoured). JSON: {"devices": [...]}. A bad $REGARD_DEVICE does not fail
 * the report: its message goes to WARNING (may be NULL). */
char *regard_devices_report (gboolean json, char **warning, GError **error);

/* ---- Benchmarks ---------------------------------------------------------- */

typedef struct
{
  const char *device;    /* NULL: $REGARD_DEVICE, else the best device */
  gboolean json;         /* JSON instead of a table */
  FILE *out;             /* where figures are printed; NULL: stdout */
  /* regard_bench_model only */
  const char *format;    /* "f32", "f16", "q8_0", "q4_0", "auto"; NULL: "q8_0" */
  const char *kv_cache;  /* "f32", "f16", "auto"; NULL: "auto" (regard-engine.h's REGARD_KV_CACHE_AUTO) */
  const char *image;     /* also time encoding this image; NULL: none */
  guint prompt_tokens;   /* prefill length (128) */
  guint gen_tokens;      /* decoded tokens (32) */
  guint context;         /* KV cache length; 0: what the run needs, >= 1024 */
  guint repeat;          /* prefill, decode and image encode this many times: median and best (1) */
  int image_split;       /* -1: as the model's preprocessor config, 0: never, 1: split into 4 crops + the whole */
  /* regard_bench_attention only */
  const char *filter;    /* only the shapes whose use contains this; NULL: all */
} RegardBenchParams;

RegardBenchParams regard_bench_params_default (void);

/* Each op at model-sized shapes (scaled down on CPU devices), next to the
 * device's copy bandwidth. */
gboolean regard_bench_ops (const RegardBenchParams *params, GError **error);
/* The whole model in MODEL_DIR: load, image encode, prefill, decode
 * tokens/s and decode's share of the bandwidth roofline. Parameters out of
 * range fail with G_IO_ERROR_INVALID_ARGUMENT. */
gboolean regard_bench_model (const char *model_dir, const RegardBenchParams *params, GError **error);
/* Attention alone at the models' shapes (vision towers, perceivers, text
 * prefill): the best of params->repeat submits each. */
gboolean regard_bench_attention (const RegardBenchParams *params, GError **error);

G_END_DECLS
