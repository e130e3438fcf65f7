/* rg-config.h: an IDEFICS2 config.json as typed values.
 *
 * Absent keys take transformers' defaults for Idefics2Config and its
 * sub-configs; older spellings (model_type "idefics2" in the sub-configs,
 * no head_dim) are accepted. Every value is validated (positive, divisible
 * where the model needs it) before the config is returned. */
#pragma once

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

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

typedef struct
{
  RgVisionConfig vision;
  RgPerceiverConfig perceiver;
  RgTextConfig text;
  gint32 image_token_id;        /* 32001 */
  gboolean tie_word_embeddings;
} RgModelConfig;

/* Parses config.json's contents. FILENAME is only used in messages. */
gboolean rg_model_config_parse (const char *json, gsize length, const char *filename,
                                RgModelConfig *out, GError **error);

G_END_DECLS
