/* rg-model.c: what every RgModel backend checks before a forward. */
#include "rg-model.h"

#include "regard-error.h"

gboolean
rg_model_check_forward (const RgModel *model, const int32_t *ids, guint n,
                        const float *image_features, guint n_image_rows, GError **error)
{
  const RgModelConfig *cfg = &model->config;
  guint n_image = 0;

  if (n == 0)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_FAILED, "Forward of zero tokens");
      return FALSE;
    }
  if (n > model->context_length - model->n_past)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_CONTEXT_FULL,
                   "%u + %u tokens do not fit a context of %u", model->n_past, n, model->context_length);
      return FALSE;
    }
  for (guint i = 0; i < n; i++)
    {
      if (ids[i] < 0 || (uint32_t) ids[i] >= cfg->text.vocab_size)
        {
          g_set_error (error, REGARD_ERROR, REGARD_ERROR_FAILED,
                       "Token id %d outside the vocabulary of %u", ids[i], cfg->text.vocab_size);
          return FALSE;
        }
      n_image += ids[i] == cfg->image_token_id;
    }
  if (image_features && n_image != n_image_rows)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_FAILED,
                   "%u image tokens for %u image feature rows", n_image, n_image_rows);
      return FALSE;
    }
  return TRUE;
}

void
rg_model_truncate_positions (RgModel *model, guint n_keep)
{
  model->n_past = MIN (model->n_past, n_keep);
}
