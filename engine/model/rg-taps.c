/* rg-taps.c: named intermediate tensors (see rg-model.h). */
#include "rg-model.h"

#include <string.h>

static void
tap_free (gpointer p)
{
  RgTap *tap = p;

  g_free (tap->name);
  g_free (tap->data);
  g_free (tap);
}

RgTaps *
rg_taps_new (void)
{
  RgTaps *taps = g_new0 (RgTaps, 1);

  taps->tensors = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, tap_free);
  return taps;
}

void
rg_taps_free (RgTaps *taps)
{
  if (taps == NULL)
    return;
  g_hash_table_unref (taps->tensors);
  g_free (taps);
}

void
rg_taps_store (RgTaps *taps, const char *name, guint n_dims, const int64_t *shape, const float *data)
{
  RgTap *tap;
  size_t n = 1;

  g_return_if_fail (n_dims <= G_N_ELEMENTS (tap->shape));
  tap = g_new0 (RgTap, 1);
  tap->name = g_strdup (name);
  tap->n_dims = n_dims;
  for (guint i = 0; i < n_dims; i++)
    {
      tap->shape[i] = shape[i];
      n *= (size_t) shape[i];
    }
  tap->data = g_memdup2 (data, n * sizeof (float));
  /* The key is the tap's own name, so replace (not insert) to free the old
   * tap together with its key. */
  g_hash_table_replace (taps->tensors, tap->name, tap);
}

const RgTap *
rg_taps_lookup (RgTaps *taps, const char *name)
{
  return g_hash_table_lookup (taps->tensors, name);
}

void
rg_taps_store_part (RgTaps *taps, const char *name, gboolean stacked, guint part,
                    uint64_t rows, uint64_t cols, const float *data)
{
  RgTap *tap = g_hash_table_lookup (taps->tensors, name);
  size_t n = (size_t) (rows * cols);

  if (!stacked)
    {
      rg_taps_store (taps, name, 2, (int64_t[]) { (int64_t) rows, (int64_t) cols }, data);
      return;
    }
  if (part == 0 || tap == NULL || tap->n_dims != 3 || tap->shape[0] != part ||
      tap->shape[1] != (int64_t) rows || tap->shape[2] != (int64_t) cols)
    {
      rg_taps_store (taps, name, 3, (int64_t[]) { 1, (int64_t) rows, (int64_t) cols }, data);
      return;
    }
  /* the next sub-image of an encode: [part, rows, cols] -> [part + 1, ...] */
  tap->data = g_renew (float, tap->data, (part + 1) * n);
  memcpy (tap->data + part * n, data, n * sizeof (float));
  tap->shape[0] = part + 1;
}
