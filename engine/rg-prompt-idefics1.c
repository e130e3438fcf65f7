/* rg-prompt-idefics1.c: IDEFICS1's image expansion and image attention
 * index (see rg-prompt-idefics1.h). */
#include "rg-prompt-idefics1.h"

#include <string.h>

#include "regard-error.h"
#include "rg-prompt.h"

gboolean
rg_idefics1_tokens_lookup (const RgTokenizer *tok, RgIdefics1Tokens *out, GError **error)
{
  static const char *const needed[] = { RG_PROMPT_IMAGE, RG_PROMPT_FAKE, "</s>" };
  RgIdefics1Tokens t = {
    .image = rg_tokenizer_token_to_id (tok, RG_PROMPT_IMAGE),
    .fake = rg_tokenizer_token_to_id (tok, RG_PROMPT_FAKE),
    .eos = rg_tokenizer_token_to_id (tok, "</s>"),
    .end_of_utterance = rg_tokenizer_token_to_id (tok, RG_PROMPT_END_OF_UTTERANCE),
  };
  const gint32 ids[] = { t.image, t.fake, t.eos };

  for (gsize i = 0; i < G_N_ELEMENTS (needed); i++)
    if (ids[i] < 0)
      {
        g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL,
                     "tokenizer.json has no %s token: not an IDEFICS tokenizer", needed[i]);
        return FALSE;
      }
  *out = t;
  return TRUE;
}

static gboolean
add_id (gint32 id, gint32 *set, guint *n, guint max)
{
  if (id < 0)
    return TRUE;
  for (guint i = 0; i < *n; i++)
    if (set[i] == id)
      return TRUE;
  if (*n >= max)
    return FALSE;
  set[(*n)++] = id;
  return TRUE;
}

gboolean
rg_idefics1_generation_ids (const RgIdefics1Tokens *tokens, gint32 *eos, guint *n_eos, guint max_eos,
                            gint32 *bad, guint *n_bad, guint max_bad)
{
  return add_id (tokens->end_of_utterance, eos, n_eos, max_eos) &&
         add_id (tokens->image, bad, n_bad, max_bad) &&
         add_id (tokens->fake, bad, n_bad, max_bad);
}

char *
rg_prompt_expand_idefics1 (const char *text)
{
  const gsize image_len = strlen (RG_PROMPT_IMAGE);
  GString *s = g_string_sized_new (strlen (text));
  const char *p = text;

  g_return_val_if_fail (text != NULL, NULL);
  for (;;)
    {
      const char *hit = strstr (p, RG_PROMPT_IMAGE);

      if (hit == NULL)
        break;
      g_string_append_len (s, p, hit - p);
      /* The run's opening fake token, then each image closes with one
       * that the next image shares. */
      g_string_append (s, RG_PROMPT_FAKE);
      for (p = hit; strncmp (p, RG_PROMPT_IMAGE, image_len) == 0; p += image_len)
        g_string_append (s, RG_PROMPT_IMAGE RG_PROMPT_FAKE);
    }
  g_string_append (s, p);
  return g_string_free (s, FALSE);
}

void
rg_idefics1_image_index (const gint32 *ids, gsize n, gint32 image_id, gint32 eos_id, guint n_images,
                         gint32 *out)
{
  gint64 count = -1;
  gboolean seen_eod = FALSE;

  g_return_if_fail (n == 0 || (ids != NULL && out != NULL));
  /* image_attention_mask_for_packed_input_ids (), one batch row. */
  for (gsize t = 0; t < n; t++)
    {
      gint64 idx;

      if (ids[t] == image_id)
        {
          count++;
          seen_eod = FALSE;
        }
      idx = count;
      if (seen_eod)
        idx = -1;
      if (ids[t] == eos_id)
        seen_eod = TRUE;
      out[t] = idx >= 0 && idx < (gint64) n_images ? (gint32) idx : -1;
    }
}
