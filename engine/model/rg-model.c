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

gboolean
rg_model_check_image_index (const RgModel *model, const int32_t *image_index, guint n, GError **error)
{
  for (guint i = 0; image_index && i < n; i++)
    if (image_index[i] < -1 || (image_index[i] >= 0 && (guint) image_index[i] >= model->n_images))
      {
        g_set_error (error, REGARD_ERROR, REGARD_ERROR_FAILED,
                     "Token %u attends image %d of %u", i, image_index[i], model->n_images);
        return FALSE;
      }
  return TRUE;
}

gboolean
rg_model_forward_as_cross (RgModel *model, const int32_t *ids, guint n, const float *image_features,
                           float *logits, GError **error)
{
  g_autofree int32_t *index = NULL;

  if (image_features)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_FAILED,
                   "This model reads images through cross-attention, not image rows");
      return FALSE;
    }
  index = g_new (int32_t, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    index[i] = model->last_image_index;
  return model->vtable->forward_cross (model, ids, index, n, logits, error);
}

gboolean
rg_kv_type_resolve (RgKvType requested, gboolean f32_weights, guint head_dim, RgKvType *out, GError **error)
{
  const char *env = g_getenv ("REGARD_KV_CACHE");

  if (requested == RG_KV_AUTO && env != NULL && *env != '\0')
    {
      if (g_str_equal (env, "f32"))
        requested = RG_KV_F32;
      else if (g_str_equal (env, "f16"))
        requested = RG_KV_F16;
      else
        {
          g_set_error (error, REGARD_ERROR, REGARD_ERROR_FAILED,
                       "REGARD_KV_CACHE must be \"f32\" or \"f16\", not \"%s\"", env);
          return FALSE;
        }
    }
  if (requested == RG_KV_AUTO)
    requested = f32_weights ? RG_KV_F32 : RG_KV_F16;
  if (requested == RG_KV_F16 && head_dim % 4 != 0)
    {
      g_message ("KV cache in f32: an f16 cache needs a head dim that is a multiple of 4, not %u", head_dim);
      requested = RG_KV_F32;
    }
  *out = requested;
  return TRUE;
}

const char *
rg_kv_type_name (RgKvType kv)
{
  return kv == RG_KV_F16 ? "f16" : kv == RG_KV_F32 ? "f32" : "auto";
}
