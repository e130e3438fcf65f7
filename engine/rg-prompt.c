/* rg-prompt.c: the families' chat template, image placeholder expansion
 * and prompt tokenization (see rg-prompt.h). */
#include "rg-prompt.h"
#include "rg-prompt-idefics1.h"

#include <string.h>

/* Expansion multiplies the prompt; keep it far from overflow. */
#define MAX_IMAGE_SEQ_LEN 65536

char *
rg_prompt_render (RegardConversation *conv, gboolean add_generation_prompt)
{
  return rg_prompt_render_for (NULL, conv, add_generation_prompt);
}

static char *
render (const RgFamily *family, const char *prefix, RegardConversation *conv, gboolean add_generation_prompt)
{
  GString *s = g_string_new (prefix);

  for (guint t = 0; t < conv->turns->len; t++)
    {
      RgConvTurn *turn = g_ptr_array_index (conv->turns, t);
      const RgConvPart *first = turn->parts->len ? g_ptr_array_index (turn->parts, 0) : NULL;

      g_string_append (s, rg_role_name (turn->role));
      g_string_append (s, first && rg_conv_part_is_image (first) ? ":" : ": ");
      for (guint p = 0; p < turn->parts->len; p++)
        {
          const RgConvPart *part = g_ptr_array_index (turn->parts, p);
          g_string_append (s, rg_conv_part_is_image (part) ? family->image_token : part->text);
        }
      g_string_append (s, family->end_of_utterance);
      g_string_append_c (s, '\n');
    }
  if (add_generation_prompt)
    g_string_append (s, family->generation_prompt);
  return g_string_free (s, FALSE);
}

char *
rg_prompt_render_for (const RgFamily *family, RegardConversation *conv, gboolean add_generation_prompt)
{
  if (family == NULL)
    family = rg_family_default ();
  return render (family, family->prompt_prefix, conv, add_generation_prompt);
}

guint
rg_prompt_count_images (const char *text)
{
  guint n = 0;

  for (const char *p = text; (p = strstr (p, RG_PROMPT_IMAGE)) != NULL; p += strlen (RG_PROMPT_IMAGE))
    n++;
  return n;
}

char *
rg_prompt_expand (const char *text, guint image_seq_len, gboolean do_image_splitting)
{
  g_autoptr(GString) one = g_string_new (RG_PROMPT_FAKE);
  g_autoptr(GString) image_str = g_string_new (NULL);
  GString *s = g_string_new (text);

  for (guint i = 0; i < image_seq_len; i++)
    g_string_append (one, RG_PROMPT_IMAGE);
  g_string_append (one, RG_PROMPT_FAKE);
  for (guint i = 0; i < (do_image_splitting ? 5u : 1u); i++)
    g_string_append_len (image_str, one->str, (gssize) one->len);

  /* g_string_replace scans left to right without rescanning replacements,
   * like Python's str.replace. */
  g_string_replace (s, RG_PROMPT_IMAGE, image_str->str, 0);
  g_string_replace (s, RG_PROMPT_FAKE RG_PROMPT_FAKE, RG_PROMPT_FAKE, 0);
  return g_string_free (s, FALSE);
}

char *
rg_prompt_expand_idefics3 (const RgFamily *family, const char *text, guint image_seq_len,
                           const RgImageGrid *grids, guint n_grids)
{
  const char *image = family->image_token, *fake = family->fake_image_token;
  gsize image_len = strlen (image);
  g_autoptr(GString) seq = g_string_new (NULL);
  GString *s = g_string_new (NULL);
  const char *p = text, *next;
  guint k = 0;

  for (guint i = 0; i < image_seq_len; i++)
    g_string_append (seq, image);
  /* Python's str.split on the placeholder: text, image 0, text, ... */
  while ((next = strstr (p, image)) != NULL)
    {
      const RgImageGrid grid = k < n_grids ? grids[k] : (RgImageGrid) { 0, 0 };

      g_string_append_len (s, p, next - p);
      for (guint r = 1; r <= grid.rows; r++)
        {
          for (guint c = 1; c <= grid.cols; c++)
            g_string_append_printf (s, "%s<row_%u_col_%u>%s", fake, r, c, seq->str);
          g_string_append_c (s, '\n');
        }
      if (grid.rows > 0)
        g_string_append_c (s, '\n');
      g_string_append_printf (s, "%s%s%s%s", fake, family->global_image_token, seq->str, fake);
      p = next + image_len;
      k++;
    }
  g_string_append (s, p);
  return g_string_free (s, FALSE);
}

gboolean
rg_prompt_tokenize (const RgTokenizer *tok, const char *expanded, GArray *ids, GError **error)
{
  return rg_tokenizer_encode (tok, expanded, -1, TRUE, ids, error);
}

/* Raw mode: the single text part, checked. */
static const char *
raw_prompt_text (RegardConversation *conv, GError **error)
{
  const char *text = NULL;
  guint n_text = 0;

  for (guint t = 0; t < conv->turns->len; t++)
    {
      RgConvTurn *turn = g_ptr_array_index (conv->turns, t);
      for (guint p = 0; p < turn->parts->len; p++)
        {
          RgConvPart *part = g_ptr_array_index (turn->parts, p);
          if (!rg_conv_part_is_image (part))
            {
              text = part->text;
              n_text++;
            }
        }
    }
  if (n_text != 1)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_FAILED,
                   "A raw prompt needs exactly one text part, not %u", n_text);
      return NULL;
    }
  return text;
}

gboolean
rg_prompt_build (const RgTokenizer *tok, RegardConversation *conv,
                 const RgPromptParams *params, GArray *ids, GPtrArray **images,
                 char **prompt_out, GError **error)
{
  g_autofree char *rendered = NULL;
  g_autofree char *expanded = NULL;
  g_autoptr(GPtrArray) parts = rg_conversation_list_images (conv);
  const RgFamily *family = params->family ? params->family : rg_family_default ();
  guint n_placeholders;

  if (params->image_seq_len == 0 || params->image_seq_len > MAX_IMAGE_SEQ_LEN)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL,
                   "image_seq_len %u is out of range", params->image_seq_len);
      return FALSE;
    }
  if (params->raw_prompt)
    {
      const char *text = raw_prompt_text (conv, error);
      if (text == NULL)
        return FALSE;
      rendered = g_strdup (text);
    }
  else
    rendered = render (family, params->prompt_prefix ? params->prompt_prefix : family->prompt_prefix,
                       conv, params->add_generation_prompt);

  n_placeholders = rg_prompt_count_images (rendered);
  if (n_placeholders != parts->len)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_FAILED,
                   "The prompt has %u <image> placeholders for %u images",
                   n_placeholders, parts->len);
      return FALSE;
    }

  switch (family->expansion)
    {
    case RG_EXPANSION_IDEFICS3:
      if (params->n_grids != 0 && params->n_grids != parts->len)
        {
          g_set_error (error, REGARD_ERROR, REGARD_ERROR_FAILED,
                       "%u tile grids for %u images", params->n_grids, parts->len);
          return FALSE;
        }
      for (guint i = 0; i < params->n_grids; i++)
        if ((params->grids[i].rows == 0) != (params->grids[i].cols == 0))
          {
            g_set_error (error, REGARD_ERROR, REGARD_ERROR_FAILED,
                         "Image %u: a tile grid of %u x %u", i + 1, params->grids[i].rows, params->grids[i].cols);
            return FALSE;
          }
      expanded = rg_prompt_expand_idefics3 (family, rendered, params->image_seq_len,
                                            params->grids, params->n_grids);
      break;
    case RG_EXPANSION_IDEFICS1:
      expanded = rg_prompt_expand_idefics1 (rendered);
      break;
    case RG_EXPANSION_IDEFICS2:
    default:
      expanded = rg_prompt_expand (rendered, params->image_seq_len, params->do_image_splitting);
      break;
    }
  if (!rg_prompt_tokenize (tok, expanded, ids, error))
    return FALSE;
  if (images)
    *images = g_steal_pointer (&parts);
  if (prompt_out)
    *prompt_out = g_steal_pointer (&expanded);
  return TRUE;
}
