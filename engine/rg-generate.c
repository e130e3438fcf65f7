/* rg-generate.c: KV-cache reuse and the token loop. */
#include "rg-generate.h"

#include <string.h>

RgKvHistory *
rg_kv_history_new (void)
{
  RgKvHistory *h = g_new0 (RgKvHistory, 1);

  h->ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  h->image = g_array_new (FALSE, FALSE, sizeof (gint));
  h->keys = g_ptr_array_new_with_free_func (g_free);
  return h;
}

void
rg_kv_history_free (RgKvHistory *history)
{
  if (!history)
    return;
  g_array_unref (history->ids);
  g_array_unref (history->image);
  g_ptr_array_unref (history->keys);
  g_free (history);
}

void
rg_kv_history_truncate (RgKvHistory *history, guint n_keep)
{
  gint max_key = -1;

  if (n_keep < history->ids->len)
    {
      g_array_set_size (history->ids, n_keep);
      g_array_set_size (history->image, n_keep);
    }
  /* Keys are appended in position order, so the ones still used are a
   * prefix of the array. */
  for (guint i = 0; i < history->image->len; i++)
    max_key = MAX (max_key, g_array_index (history->image, gint, i));
  g_ptr_array_set_size (history->keys, max_key + 1);
}

static guint
rows_of (const RgGenPrompt *prompt, guint k)
{
  return prompt->image_rows ? prompt->image_rows[k] : prompt->rows_per_image;
}

/* Image index of every position of PROMPT (-1 for text), plus the first and
 * last position of each image's block (fake tokens between sub-images
 * included). */
static gboolean
map_images (const RgGenPrompt *prompt, gint *image_of, guint *start, guint *end, GError **error)
{
  guint64 expected = 0;
  guint n_rows = 0, k = 0, used = 0;
  gboolean empty = FALSE;

  for (guint i = 0; i < prompt->n_ids; i++)
    n_rows += prompt->ids[i] == prompt->image_token_id;
  for (guint j = 0; j < prompt->n_images; j++)
    {
      expected += rows_of (prompt, j);
      empty |= rows_of (prompt, j) == 0;
    }
  if (empty || n_rows != expected)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_FAILED,
                   "The prompt has %u image tokens for %u image(s) of %" G_GUINT64_FORMAT " tokens in all",
                   n_rows, prompt->n_images, expected);
      return FALSE;
    }

  for (guint i = 0; i < prompt->n_ids; i++)
    {
      image_of[i] = -1;
      if (prompt->ids[i] != prompt->image_token_id)
        continue;
      if (used == rows_of (prompt, k))
        {
          k++;
          used = 0;
        }
      if (used == 0)
        start[k] = i;
      end[k] = i;
      image_of[i] = (gint) k;
      used++;
    }
  return TRUE;
}

gboolean
rg_prefill_plan (const RgKvHistory *history, const RgGenPrompt *prompt,
                 guint context_length, RgPrefillPlan *plan, GError **error)
{
  g_autofree gint *image_of = NULL;
  g_autofree guint *start = NULL;
  g_autofree guint *end = NULL;
  guint n_cached = history->ids->len;
  guint p = 0;

  if (prompt->n_ids == 0)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_FAILED, "The prompt is empty");
      return FALSE;
    }
  if (prompt->n_ids > context_length)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_CONTEXT_FULL,
                   "The prompt has %u tokens but the context holds %u",
                   prompt->n_ids, context_length);
      return FALSE;
    }

  image_of = g_new (gint, prompt->n_ids);
  start = g_new0 (guint, MAX (prompt->n_images, 1));
  end = g_new0 (guint, MAX (prompt->n_images, 1));
  if (!map_images (prompt, image_of, start, end, error))
    return FALSE;

  while (p < n_cached && p < prompt->n_ids
         && g_array_index (history->ids, gint32, p) == prompt->ids[p])
    {
      if (image_of[p] >= 0)
        {
          gint hk = g_array_index (history->image, gint, p);
          if (hk < 0 || g_strcmp0 (g_ptr_array_index (history->keys, hk),
                                   prompt->image_keys[image_of[p]]) != 0)
            break;
        }
      p++;
    }

  /* The last prompt token always runs: its logits start the answer. */
  if (p >= prompt->n_ids)
    p = prompt->n_ids - 1;

  /* forward () takes whole images' features, so never start inside an
   * image's block: back up to its first row. */
  plan->first_image = 0;
  for (guint k = 0; k < prompt->n_images; k++)
    {
      if (end[k] < p)
        plan->first_image = k + 1;
      else if (start[k] < p)
        {
          p = start[k];
          break;
        }
    }
  plan->n_keep = p;
  return TRUE;
}

gboolean
rg_generate_prefill (RgModel *model, RgKvHistory *history,
                     const RgGenPrompt *prompt, const RgPrefillPlan *plan,
                     const float *features, float *logits, GError **error)
{
  guint n_new = prompt->n_ids - plan->n_keep;
  guint n_rows = 0;
  gint base;

  g_return_val_if_fail (plan->n_keep < prompt->n_ids, FALSE);
  g_return_val_if_fail (plan->n_keep <= history->ids->len, FALSE);

  rg_kv_history_truncate (history, plan->n_keep);
  model->vtable->truncate (model, plan->n_keep);

  for (guint i = plan->n_keep; i < prompt->n_ids; i++)
    n_rows += prompt->ids[i] == prompt->image_token_id;

  if (prompt->image_index != NULL
      ? !model->vtable->forward_cross (model, prompt->ids + plan->n_keep, prompt->image_index + plan->n_keep,
                                       n_new, logits, error)
      : !model->vtable->forward (model, prompt->ids + plan->n_keep, n_new,
                                 n_rows > 0 ? features : NULL, n_rows, logits, error))
    {
      rg_kv_history_truncate (history, 0);
      model->vtable->truncate (model, 0);
      return FALSE;
    }

  /* Record what the cache now holds, with the keys of the new images. */
  base = (gint) history->keys->len;
  for (guint k = plan->first_image; k < prompt->n_images; k++)
    g_ptr_array_add (history->keys, g_strdup (prompt->image_keys[k]));
  n_rows = 0;
  for (guint i = plan->n_keep, k = plan->first_image; i < prompt->n_ids; i++)
    {
      gint img = -1;
      if (prompt->ids[i] == prompt->image_token_id)
        {
          if (n_rows == rows_of (prompt, k))
            {
              k++;
              n_rows = 0;
            }
          img = base + (gint) (k - plan->first_image);
          n_rows++;
        }
      g_array_append_val (history->ids, prompt->ids[i]);
      g_array_append_val (history->image, img);
    }
  return TRUE;
}

gboolean
rg_generate_decode (RgModel *model, RgKvHistory *history, RgSampler *sampler,
                    float *logits, guint max_new_tokens,
                    GCancellable *cancellable,
                    RgGenTokenFunc on_token, gpointer token_data,
                    RegardStopReason *stop_reason, guint *n_generated,
                    GError **error)
{
  guint vocab = model->config.text.vocab_size;
  guint n = 0;
  gint no_image = -1;

  *n_generated = 0;
  if (g_cancellable_is_cancelled (cancellable) || max_new_tokens == 0)
    {
      *stop_reason = max_new_tokens == 0 ? REGARD_STOP_MAX_TOKENS : REGARD_STOP_CANCELLED;
      return TRUE;
    }

  for (;;)
    {
      gboolean last = TRUE;
      gint32 id;

      id = rg_sampler_sample (sampler, logits, vocab);
      if (id < 0)
        {
          g_set_error (error, REGARD_ERROR, REGARD_ERROR_FAILED,
                       "The model produced no finite logit");
          *n_generated = n;
          return FALSE;
        }
      n++;

      /* Decide before emitting, so the last token can carry held text. */
      if (rg_sampler_is_eos (sampler, id))
        *stop_reason = REGARD_STOP_EOS;
      else if (n >= max_new_tokens)
        *stop_reason = REGARD_STOP_MAX_TOKENS;
      else if (model->n_past >= model->context_length)
        *stop_reason = REGARD_STOP_CONTEXT_FULL;
      else if (g_cancellable_is_cancelled (cancellable))
        *stop_reason = REGARD_STOP_CANCELLED;
      else
        last = FALSE;

      if (on_token)
        on_token (id, last, token_data);
      if (last)
        break;

      if (!model->vtable->forward (model, &id, 1, NULL, 0, logits, error))
        {
          rg_kv_history_truncate (history, 0);
          model->vtable->truncate (model, 0);
          *n_generated = n;
          return FALSE;
        }
      g_array_append_val (history->ids, id);
      g_array_append_val (history->image, no_image);
    }
  *n_generated = n;
  return TRUE;
}
