/* rg-config-private.h: what the families' config parsers share
 * (rg-config.c): typed, range-checked reads of one JSON object, the
 * vision and text sub-configs most families reuse, and the 64-bit size
 * check. Each family (rg-config-idefics2.c, rg-config-idefics3.c) parses
 * its own top level. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "rg-config.h"

G_BEGIN_DECLS

/* Sizes beyond these are corrupt or hostile, never a real model. */
#define RG_CONFIG_MAX_DIM 1000000
#define RG_CONFIG_MAX_POSITIONS (1 << 24)
/* No tensor (weight, activation, KV cache layer) may hold more elements:
 * the backends index elements with 32-bit integers and add offsets to
 * them. idefics2-8b's largest is 131 M. */
#define RG_CONFIG_MAX_ELEMENTS (G_GUINT64_CONSTANT (1) << 31)

typedef struct
{
  const char *filename;
  const char *section;  /* "", "vision_config.", ... (for messages) */
  JsonObject *obj;      /* NULL: the sub-config is absent, all defaults */
} RgConfigSection;

G_GNUC_PRINTF (4, 5)
void rg_config_fail (GError **error, int code, const RgConfigSection *s, const char *format, ...);
JsonNode *rg_config_member (const RgConfigSection *s, const char *key);
/* An integer in [1, max]. Absent keys (and null, when NULL_OK) take DEF;
 * *WAS_SET tells which happened. */
gboolean rg_config_get_uint (const RgConfigSection *s, const char *key, guint def, guint max,
                             gboolean null_ok, guint *out, gboolean *was_set, GError **error);
/* A finite number > 0 and < MAX (integers are accepted: "rope_theta": 10000). */
gboolean rg_config_get_positive_float (const RgConfigSection *s, const char *key, double def, double max,
                                       float *out, GError **error);
gboolean rg_config_get_bool (const RgConfigSection *s, const char *key, gboolean def, gboolean *out,
                             GError **error);
/* Absent string keys give NULL; present ones must be strings. */
gboolean rg_config_get_string (const RgConfigSection *s, const char *key, const char **out, GError **error);
/* model_type and hidden_act: absent, or one of the NULL-terminated ACCEPTED. */
gboolean rg_config_check_name (const RgConfigSection *s, const char *key, const char * const *accepted,
                               GError **error);
/* A sub-config object (absent or null: OUT->obj = NULL, all defaults). */
gboolean rg_config_get_section (const RgConfigSection *top, const char *key, const char *label,
                                RgConfigSection *out, GError **error);
/* image_token_id: absent -> DEF, else an int32 >= 0. */
gboolean rg_config_get_image_token (const RgConfigSection *top, gint32 def, gint32 *out, GError **error);

/* A SigLIP vision_config with the family's model_types and defaults for
 * the keys that differ between families. */
typedef struct
{
  const char * const *types;
  guint hidden_size, num_attention_heads;
} RgVisionDefaults;
gboolean rg_config_parse_vision (const RgConfigSection *s, const RgVisionDefaults *def,
                                 RgVisionConfig *v, GError **error);

/* A decoder-only text_config (Mistral, Llama): the family's model_types
 * and the defaults of its config class. */
typedef struct
{
  const char * const *types;
  guint vocab_size, hidden_size, intermediate_size, num_hidden_layers, num_attention_heads;
  guint num_key_value_heads;      /* 0: as many as the query heads */
  guint max_position_embeddings;
  double rms_norm_eps;
  guint sliding_window;           /* 0: the family has none (the key must be absent or null) */
  gboolean biases_key;            /* attention_bias / mlp_bias exist (Llama): must be false */
} RgTextDefaults;
gboolean rg_config_parse_text (const RgConfigSection *s, const RgTextDefaults *def, RgTextConfig *t,
                               GError **error);

/* One size a backend derives from the config: the product of N dims. */
typedef struct
{
  const char *what;
  guint n;
  const guint64 *dims;
} RgConfigSize;
#define RG_CONFIG_SIZE(what, ...) \
  { what, G_N_ELEMENTS (((guint64[]) { __VA_ARGS__ })), (guint64[]) { __VA_ARGS__ } }

/* Every size in 64 bits; one past RG_CONFIG_MAX_ELEMENTS is refused with
 * the product spelled out. */
gboolean rg_config_check_sizes (const RgConfigSection *top, const RgConfigSize *sizes, guint n,
                                GError **error);

/* The families' top levels (TOP: the whole config.json). */
gboolean rg_config_parse_idefics2 (const RgConfigSection *top, RgModelConfig *cfg, GError **error);
gboolean rg_config_parse_idefics3 (const RgConfigSection *top, RgModelConfig *cfg, GError **error);
gboolean rg_config_parse_idefics1 (const RgConfigSection *top, RgModelConfig *cfg, GError **error);

G_END_DECLS
