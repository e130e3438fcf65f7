/* rg-config.h: a model's config.json as typed values.
 *
 * The top-level model_type picks the family (rg-config.c dispatches to
 * rg-config-FAMILY.c). Absent keys take transformers' defaults for the
 * family's config classes; older spellings (model_type "idefics2" in the
 * sub-configs, no head_dim) are accepted. Every value is validated
 * (positive, divisible where the model needs it) before the config is
 * returned. */
#pragma once

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

typedef enum
{
  RG_MODEL_FAMILY_IDEFICS2 = 0, /* model_type "idefics2": perceiver resampler, Mistral */
  RG_MODEL_FAMILY_IDEFICS3,     /* "idefics3" (SmolVLM v1, Idefics3-8B): pixel shuffle, Llama */
  RG_MODEL_FAMILY_IDEFICS1,     /* "idefics" (idefics-9b/80b): CLIP, perceiver, LLaMA + gated cross-attention */
} RgModelFamily;

typedef struct
{
  guint hidden_size;            /* 1152 in idefics2-8b */
  guint intermediate_size;      /* 4304 */
  guint num_hidden_layers;      /* 27 */
  guint num_attention_heads;    /* 16 -> head_dim 72 */
  guint num_channels;           /* 3 */
  guint image_size;             /* 980 */
  guint patch_size;             /* 14 */
  float layer_norm_eps;         /* 1e-6 */
} RgVisionConfig;

typedef struct
{
  guint hidden_size;            /* = text hidden */
  guint resampler_n_latents;    /* 64 */
  guint resampler_depth;        /* 3 */
  guint resampler_n_heads;      /* 16 */
  guint resampler_head_dim;     /* 96 */
  guint num_key_value_heads;    /* 4 */
  float rms_norm_eps;           /* the eps the perceiver's RMSNorms use (see rg-config.c) */
} RgPerceiverConfig;

typedef struct
{
  guint vocab_size;             /* 32003 */
  guint hidden_size;            /* 4096 */
  guint intermediate_size;      /* 14336 */
  guint num_hidden_layers;      /* 32 */
  guint num_attention_heads;    /* 32 */
  guint num_key_value_heads;    /* 8 */
  guint head_dim;               /* 128 (hidden / heads when absent) */
  guint max_position_embeddings;
  guint sliding_window;         /* 0: none */
  float rms_norm_eps;           /* 1e-5 */
  float rope_theta;             /* 10000 */
  gboolean tie_word_embeddings;
} RgTextConfig;

/* IDEFICS3's connector: pixel shuffle, then one linear layer. */
typedef struct
{
  guint scale_factor;           /* 4 in SmolVLM, 2 in Idefics3-8B */
} RgConnectorConfig;

typedef enum
{
  RG_ACT_GELU = 0,              /* exact (erf) */
  RG_ACT_QUICK_GELU,
} RgActivation;

/* IDEFICS1's switches (IdeficsConfig; the sizes are in vision, perceiver
 * and text: text.vocab_size is vocab_size + additional_vocab_size). */
typedef struct
{
  guint additional_vocab_size;  /* 3 (instruct): a decoupled embedding / lm_head */
  guint cross_layer_interval;   /* 4: a gated block before layers 0, 4, 8... */
  gboolean use_resampler;       /* the TOP-LEVEL key (P5) */
  gboolean qk_layer_norms;      /* RMSNorm on the gated cross-attention's q and k */
  gboolean qk_layer_norms_perceiver;
  gboolean alpha_vector;        /* alpha_type "vector" ([1, 1, hidden] gates), else "float" */
  RgActivation vision_act;      /* vision_config.hidden_act */
} RgIdefics1Config;

typedef struct
{
  RgModelFamily family;
  RgVisionConfig vision;
  RgPerceiverConfig perceiver;  /* IDEFICS2 only (zeros otherwise) */
  RgConnectorConfig connector;  /* IDEFICS3 only (zeros otherwise) */
  RgIdefics1Config idefics1;    /* IDEFICS1 only (zeros otherwise) */
  RgTextConfig text;
  gint32 image_token_id;        /* 32001 (IDEFICS2), 49190 (SmolVLM) */
  gboolean tie_word_embeddings; /* top level (IDEFICS3: the only one read; text.tie_word_embeddings mirrors it) */
  /* Feature rows (<image> tokens) per sub-image: the perceiver's latents
   * (IDEFICS2), (image_size / patch_size / scale_factor)^2 (IDEFICS3). */
  guint image_seq_len;
} RgModelConfig;

/* "IDEFICS2", "IDEFICS3" (for messages). */
const char *rg_model_family_name (RgModelFamily family);

/* Parses config.json's contents. FILENAME is only used in messages. */
gboolean rg_model_config_parse (const char *json, gsize length, const char *filename,
                                RgModelConfig *out, GError **error);

G_END_DECLS
