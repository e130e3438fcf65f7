/* rg-weights.c: checked f32 copies of snapshot tensors (see rg-weights.h). */
#include "rg-weights.h"

#include "regard-error.h"

static char *
shape_string (guint n_dims, const int64_t *shape)
{
  GString *s = g_string_new ("[");

  for (guint i = 0; i < n_dims; i++)
    g_string_append_printf (s, "%s%" G_GINT64_FORMAT, i ? ", " : "", shape[i]);
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

float *
rg_weights_tensor_to_f32 (const RgTensorInfo *info, const char *name,
                          guint n_dims, const int64_t *shape, GError **error)
{
  gboolean same = info != NULL && info->n_dims == n_dims;
  float *out;

  if (info == NULL)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL,
                   "Weight %s is missing", name);
      return NULL;
    }
  for (guint i = 0; same && i < n_dims; i++)
    same = info->shape[i] == shape[i];
  if (!same)
    {
      g_autofree char *want = shape_string (n_dims, shape);
      g_autofree char *got = shape_string (info->n_dims, info->shape);

      g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL,
                   "Weight %s has shape %s, expected %s", name, got, want);
      return NULL;
    }
  if (info->dtype != RG_DTYPE_F32 && info->dtype != RG_DTYPE_F16 &&
      info->dtype != RG_DTYPE_BF16)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL,
                   "Weight %s has dtype %s, expected a float type",
                   name, rg_dtype_name (info->dtype));
      return NULL;
    }

  out = g_try_new (float, MAX (info->n_elements, 1));
  if (out == NULL)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_OUT_OF_MEMORY,
                   "Out of memory for weight %s", name);
      return NULL;
    }
  rg_dtype_to_f32 (info->dtype, info->data, out, info->n_elements);
  return out;
}

float *
rg_weights_load_f32 (RgSnapshot *snap, const char *name,
                     guint n_dims, const int64_t *shape, GError **error)
{
  return rg_weights_tensor_to_f32 (rg_snapshot_get_tensor (snap, name), name,
                                   n_dims, shape, error);
}
