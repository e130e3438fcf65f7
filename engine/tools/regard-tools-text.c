/* regard-tools-text.c: the tokenizer and prompt ids of regard-tools.h.
 *
 * These read only the model folder's config.json (its model_type),
 * tokenizer.json, processor_config.json and preprocessor_config.json,
 * never the weights. */
#include "config.h"

#include "regard-tools.h"
#include "rg-family.h"
#include "rg-image.h"
#include "rg-prompt.h"
#include "rg-tokenizer.h"

struct _RegardTokenizer
{
  RgTokenizer *tok;
};

RegardTokenizer *
regard_tokenizer_new (const char *model_dir, GError **error)
{
  g_autofree char *path = g_build_filename (model_dir, "tokenizer.json", NULL);
  RgTokenizer *tok = rg_tokenizer_new_from_file (path, error);
  RegardTokenizer *self;

  if (tok == NULL)
    return NULL;
  self = g_new0 (RegardTokenizer, 1);
  self->tok = tok;
  return self;
}

void
regard_tokenizer_free (RegardTokenizer *tok)
{
  if (tok == NULL)
    return;
  rg_tokenizer_free (tok->tok);
  g_free (tok);
}

gboolean
regard_tokenizer_encode (RegardTokenizer *tok, const char *text, GArray *ids, GError **error)
{
  g_return_val_if_fail (tok != NULL && text != NULL && ids != NULL, FALSE);
  return rg_tokenizer_encode (tok->tok, text, -1, FALSE, ids, error);
}

char *
regard_tokenizer_decode (RegardTokenizer *tok, const gint32 *ids, gsize n_ids,
                         gboolean skip_special, gsize *length)
{
  gsize len = 0;
  char *text;

  g_return_val_if_fail (tok != NULL && (ids != NULL || n_ids == 0), NULL);
  text = rg_tokenizer_decode (tok->tok, ids, n_ids, skip_special, &len);
  if (length)
    *length = len;
  return text;
}

/* IDEFICS3: each image's tile grid, from its decoded size. */
static gboolean
image_grids (RegardConversation *conv, const RgPreprocessOptions *opts, GArray *grids, GError **error)
{
  g_autoptr(GPtrArray) parts = rg_conversation_list_images (conv);

  for (guint i = 0; i < parts->len; i++)
    {
      const RgConvPart *part = g_ptr_array_index (parts, i);
      g_autoptr(RgImage) img = part->kind == RG_PART_IMAGE_FILE ? rg_image_decode_file (part->path, error)
                                                               : rg_image_decode_bytes (part->bytes, error);
      RgImageGrid grid;

      if (img == NULL)
        return FALSE;
      rg_preprocess_image_grid (opts, img->width, img->height, &grid);
      g_array_append_val (grids, grid);
    }
  return TRUE;
}

RegardPromptParams
regard_prompt_params_default (void)
{
  return (RegardPromptParams) { .image_splitting = -1 };
}

gboolean
regard_prompt_ids (const char *model_dir, RegardConversation *conv,
                   const RegardPromptParams *params, GArray *ids, GError **error)
{
  RegardPromptParams defaults = regard_prompt_params_default ();
  g_autoptr(RegardTokenizer) tok = NULL;
  g_autoptr(GArray) grids = g_array_new (FALSE, TRUE, sizeof (RgImageGrid));
  RgPromptParams pp = { 0 };
  RgFamilyProcessor fp;

  g_return_val_if_fail (model_dir != NULL && conv != NULL && ids != NULL, FALSE);
  if (params == NULL)
    params = &defaults;
  if (!(pp.family = rg_family_for_model_dir (model_dir, error)) ||
      !rg_family_load_processor (pp.family, model_dir, &fp, error) ||
      !(tok = regard_tokenizer_new (model_dir, error)))
    return FALSE;
  pp.image_seq_len = fp.image_seq_len;
  pp.prompt_prefix = fp.prompt_prefix;
  pp.do_image_splitting = fp.pre.do_split;
  if (params->image_splitting >= 0)
    pp.do_image_splitting = params->image_splitting != 0;
  pp.raw_prompt = params->raw_prompt;
  pp.add_generation_prompt = TRUE;
  if (pp.family->expansion == RG_EXPANSION_IDEFICS3)
    {
      fp.pre.do_split = pp.do_image_splitting;
      if (!image_grids (conv, &fp.pre, grids, error))
        return FALSE;
      pp.grids = (const RgImageGrid *) grids->data;
      pp.n_grids = grids->len;
    }
  return rg_prompt_build (tok->tok, conv, &pp, ids, NULL, NULL, error);
}
