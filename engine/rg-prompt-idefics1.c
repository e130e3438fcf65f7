/* rg-prompt-idefics1.c: IDEFICS1's image expansion and image attention
 * index (see rg-prompt-idefics1.h). */
#include "rg-prompt-idefics1.h"

#include <string.h>

#include "rg-prompt.h"

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
