/* rg-family.c: the families' table and reading a model folder's family and
 * processor files (see rg-family.h). */
#include "rg-family.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "regard-error.h"
#include "rg-file.h"
#include "rg-safetensors.h"

static const RgFamily families[] = {
  {
    .model_type = "idefics2",
    .name = "IDEFICS2",
    .processor = RG_PROCESSOR_IDEFICS2,
    .needs_preprocessor_config = FALSE,
    .prompt_prefix = "",
    .end_of_utterance = "<end_of_utterance>",
    .generation_prompt = "Assistant:",
    .expansion = RG_EXPANSION_IDEFICS2,
    .image_token = "<image>",
    .fake_image_token = "<fake_token_around_image>",
    .global_image_token = NULL,
  },
  {
    /* SmolVLM v1 and Idefics3-8B-Llama3. SmolVLM2 says "smolvlm" and has
     * other prompt strings: not this row. */
    .model_type = "idefics3",
    .name = "IDEFICS3 / SmolVLM",
    .processor = RG_PROCESSOR_IDEFICS3,
    .needs_preprocessor_config = TRUE,
    .prompt_prefix = "<|im_start|>",
    .prefix_from_template = TRUE,
    .end_of_utterance = "<end_of_utterance>",
    .generation_prompt = "Assistant:",
    .expansion = RG_EXPANSION_IDEFICS3,
    .image_token = "<image>",
    .fake_image_token = "<fake_token_around_image>",
    .global_image_token = "<global-img>",
  },
  {
    /* idefics-9b(-instruct), idefics-80b(-instruct): IdeficsForVisionText2Text.
     * The instruct card's turns are IDEFICS2's template; the processor's
     * literal "<s>" is the tokenizer's BOS. */
    .model_type = "idefics",
    .name = "IDEFICS",
    .processor = RG_PROCESSOR_IDEFICS1,
    .needs_preprocessor_config = TRUE,
    .prompt_prefix = "",
    .end_of_utterance = "<end_of_utterance>",
    .generation_prompt = "Assistant:",
    .expansion = RG_EXPANSION_IDEFICS1,
    .image_token = "<image>",
    .fake_image_token = "<fake_token_around_image>",
    .global_image_token = NULL,
  },
};

const RgFamily *
rg_family_lookup (const char *model_type)
{
  for (gsize i = 0; model_type && i < G_N_ELEMENTS (families); i++)
    if (g_str_equal (families[i].model_type, model_type))
      return &families[i];
  return NULL;
}

const RgFamily *
rg_family_default (void)
{
  return &families[0];
}

/* MODEL_DIR/FILE as a JSON object; *ROOT NULL when the file is absent. */
static gboolean
load_object (const char *model_dir, const char *file, JsonParser **parser, JsonObject **root,
             GError **error)
{
  g_autofree char *path = g_build_filename (model_dir, file, NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GError) local = NULL;
  gsize length = 0;
  JsonNode *node;

  *root = NULL;
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return TRUE;
  *parser = json_parser_new ();
  if (rg_file_get_contents_max (path, RG_FILE_MAX_JSON, &contents, &length, &local) &&
      !rg_json_depth_ok (contents, length, RG_JSON_MAX_DEPTH))
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL, "%s: JSON nested too deeply", path);
      return FALSE;
    }
  if (local != NULL || !json_parser_load_from_data (*parser, contents, (gssize) length, &local))
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL, "%s: %s", path, local->message);
      return FALSE;
    }
  node = json_parser_get_root (*parser);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL, "%s: not a JSON object", path);
      return FALSE;
    }
  *root = json_node_get_object (node);
  return TRUE;
}

const RgFamily *
rg_family_for_model_dir (const char *model_dir, GError **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GString) supported = g_string_new (NULL);
  JsonObject *root = NULL;
  JsonNode *node;
  const char *model_type;
  const RgFamily *family;

  g_return_val_if_fail (model_dir != NULL, NULL);
  if (!load_object (model_dir, "config.json", &parser, &root, error))
    return NULL;
  if (root == NULL)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL,
                   "%s: no config.json in the model folder", model_dir);
      return NULL;
    }
  node = json_object_get_member (root, "model_type");
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL,
                   "%s/config.json: no model_type: not a transformers model config", model_dir);
      return NULL;
    }
  model_type = json_node_get_string (node);
  family = rg_family_lookup (model_type);
  if (family != NULL)
    return family;

  for (gsize i = 0; i < G_N_ELEMENTS (families); i++)
    g_string_append_printf (supported, "%s'%s' (%s)", i ? ", " : "", families[i].model_type,
                            families[i].name);
  g_set_error (error, REGARD_ERROR, REGARD_ERROR_UNSUPPORTED,
               "%s/config.json: model_type '%s' is not supported; Regard runs model_type %s",
               model_dir, model_type, supported->str);
  return NULL;
}

/* processor_config.json's image_seq_len: absent keeps *OUT. */
static gboolean
read_image_seq_len (JsonObject *root, const char *path, guint *out, GError **error)
{
  JsonNode *node = json_object_get_member (root, "image_seq_len");
  gint64 v;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64 ||
      (v = json_node_get_int (node)) < 1 || v > 65536)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL,
                   "%s: image_seq_len must be an integer in 1..65536", path);
      return FALSE;
    }
  *out = (guint) v;
  return TRUE;
}

static gint64
int_member (JsonObject *obj, const char *key, gint64 fallback)
{
  JsonNode *node = obj ? json_object_get_member (obj, key) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return fallback;
  return json_node_get_int (node);
}

/* IDEFICS3's connector gives (image_size / patch_size / scale_factor)^2
 * rows per frame; the prompt must hold as many <image> tokens, or the
 * features would not fill them. Checked here since the prompt and the
 * features are sized from different files. */
static gboolean
check_idefics3_seq_len (const char *model_dir, guint image_seq_len, GError **error)
{
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *root = NULL, *vision = NULL;
  JsonNode *node;
  gint64 image_size, patch, scale, side;

  if (!load_object (model_dir, "config.json", &parser, &root, error))
    return FALSE;
  node = root ? json_object_get_member (root, "vision_config") : NULL;
  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    vision = json_node_get_object (node);
  /* Idefics3Config's and Idefics3VisionConfig's defaults */
  image_size = int_member (vision, "image_size", 224);
  patch = int_member (vision, "patch_size", 32);
  scale = int_member (root, "scale_factor", 2);
  if (image_size < 1 || patch < 1 || scale < 1 || image_size % patch != 0 ||
      (side = image_size / patch) % scale != 0)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL,
                   "%s/config.json: image_size %" G_GINT64_FORMAT ", patch_size %" G_GINT64_FORMAT
                   " and scale_factor %" G_GINT64_FORMAT " do not tile", model_dir, image_size, patch, scale);
      return FALSE;
    }
  if ((side / scale) * (side / scale) != image_seq_len)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL,
                   "%s: processor_config.json's image_seq_len %u differs from the %" G_GINT64_FORMAT
                   " rows per image of config.json", model_dir, image_seq_len, (side / scale) * (side / scale));
      return FALSE;
    }
  return TRUE;
}

/* IDEFICS1's vision tower has (image_size / patch_size)^2 + 1 learned
 * positions and no interpolation: the processor's square must be the
 * size the tower was built for. */
static gboolean
check_idefics1_image_size (const char *model_dir, guint image_size, GError **error)
{
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *root = NULL, *vision = NULL;
  JsonNode *node;
  gint64 want;

  if (!load_object (model_dir, "config.json", &parser, &root, error))
    return FALSE;
  node = root ? json_object_get_member (root, "vision_config") : NULL;
  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    vision = json_node_get_object (node);
  /* IdeficsVisionConfig's default */
  want = int_member (vision, "image_size", 224);
  if (want != image_size)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_UNSUPPORTED,
                   "%s: preprocessor_config.json's image_size %u differs from config.json's vision_config "
                   "image_size %" G_GINT64_FORMAT " (the vision tower cannot take other sizes)",
                   model_dir, image_size, want);
      return FALSE;
    }
  return TRUE;
}

/* The chat template's text before its first Jinja tag, from
 * chat_template.json, else tokenizer_config.json; FALSE with no error when
 * neither has one. */
static gboolean
template_prefix (const char *model_dir, char *out, gsize out_size, gboolean *found, GError **error)
{
  static const char *const files[] = { "chat_template.json", "tokenizer_config.json" };

  *found = FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autoptr(JsonParser) parser = NULL;
      JsonObject *root = NULL;
      JsonNode *node;
      const char *tmpl, *brace;
      gsize len;

      if (!load_object (model_dir, files[i], &parser, &root, error))
        return FALSE;
      node = root ? json_object_get_member (root, "chat_template") : NULL;
      if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
        continue;
      tmpl = json_node_get_string (node);
      brace = strchr (tmpl, '{');
      len = brace ? (gsize) (brace - tmpl) : strlen (tmpl);
      if (len >= out_size)
        {
          g_set_error (error, REGARD_ERROR, REGARD_ERROR_UNSUPPORTED,
                       "%s/%s: the chat template starts with %" G_GSIZE_FORMAT " bytes of text, "
                       "not a chat template Regard knows", model_dir, files[i], len);
          return FALSE;
        }
      memcpy (out, tmpl, len);
      out[len] = '\0';
      *found = TRUE;
      return TRUE;
    }
  return TRUE;
}

gboolean
rg_family_load_processor (const RgFamily *family, const char *model_dir,
                          RgFamilyProcessor *out, GError **error)
{
  g_autofree char *pre_path = g_build_filename (model_dir, "preprocessor_config.json", NULL);
  g_autofree char *proc_path = g_build_filename (model_dir, "processor_config.json", NULL);
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *root = NULL;
  RgFamilyProcessor p;

  g_return_val_if_fail (family != NULL && model_dir != NULL && out != NULL, FALSE);
  p.pre = rg_preprocess_options_default_for (family->processor);
  /* Idefics2Processor's and Idefics3Processor's defaults: 64 and 169. */
  p.image_seq_len = family->processor == RG_PROCESSOR_IDEFICS3 ? 169 : 64;
  /* IdeficsProcessor: one <image> token per image, no processor_config.json. */
  if (family->processor == RG_PROCESSOR_IDEFICS1)
    p.image_seq_len = 1;
  g_strlcpy (p.prompt_prefix, family->prompt_prefix, sizeof p.prompt_prefix);
  if (family->prefix_from_template)
    {
      gboolean found;

      if (!template_prefix (model_dir, p.prompt_prefix, sizeof p.prompt_prefix, &found, error))
        return FALSE;
    }

  if (!g_file_test (pre_path, G_FILE_TEST_EXISTS))
    {
      if (family->needs_preprocessor_config)
        {
          g_set_error (error, REGARD_ERROR, REGARD_ERROR_UNSUPPORTED,
                       "%s: no preprocessor_config.json: %s models need it (their image sizes "
                       "differ by checkpoint)", model_dir, family->name);
          return FALSE;
        }
    }
  else if (!rg_preprocess_options_load (&p.pre, pre_path, error))
    return FALSE;
  if (!load_object (model_dir, "processor_config.json", &parser, &root, error))
    return FALSE;
  if (root == NULL && family->needs_preprocessor_config && family->processor != RG_PROCESSOR_IDEFICS1)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_UNSUPPORTED,
                   "%s: no processor_config.json: %s models need its image_seq_len",
                   model_dir, family->name);
      return FALSE;
    }
  if (root != NULL && family->processor != RG_PROCESSOR_IDEFICS1 &&
      !read_image_seq_len (root, proc_path, &p.image_seq_len, error))
    return FALSE;
  if (family->processor == RG_PROCESSOR_IDEFICS1 && !check_idefics1_image_size (model_dir, p.pre.image_size, error))
    return FALSE;
  if (family->processor == RG_PROCESSOR_IDEFICS3 && !check_idefics3_seq_len (model_dir, p.image_seq_len, error))
    return FALSE;

  *out = p;
  return TRUE;
}
