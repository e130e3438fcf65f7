/* rg-engine-ask.c: one ask on the engine thread. */
#include "rg-engine-private.h"

#include "rg-detokenizer.h"
#include "rg-engine-test.h"
#include "rg-file.h"
#include "rg-image.h"
#include "rg-prompt.h"
#include "rg-safetensors.h"

#include <string.h>

typedef struct
{
  GPtrArray *bytes;   /* GBytes *, the encoded images in prompt order */
  GPtrArray *keys;    /* char *, their content keys */
  /* IDEFICS3 only, where the prompt depends on each image's size: */
  GPtrArray *decoded; /* RgImage *, decoded before the prompt is built */
  GArray *grids;      /* RgImageGrid per image */
  GArray *rows;       /* guint: <image> rows per image */
} PromptImages;

static void
prompt_images_clear (PromptImages *pi)
{
  g_clear_pointer (&pi->bytes, g_ptr_array_unref);
  g_clear_pointer (&pi->keys, g_ptr_array_unref);
  g_clear_pointer (&pi->decoded, g_ptr_array_unref);
  g_clear_pointer (&pi->grids, g_array_unref);
  g_clear_pointer (&pi->rows, g_array_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (PromptImages, prompt_images_clear)

/* Reads every image's bytes and keys it by content and split mode, so the
 * KV cache is reused only for the very same pixels processed the same
 * way. */
static gboolean
collect_images (GPtrArray *parts, gboolean split, PromptImages *out,
                GCancellable *cancellable, GError **error)
{
  out->bytes = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  out->keys = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < parts->len; i++)
    {
      const RgConvPart *part = g_ptr_array_index (parts, i);
      g_autoptr(GBytes) bytes = NULL;
      g_autofree char *sha = NULL;

      if (part->kind == RG_PART_IMAGE_FILE)
        {
          g_autoptr(GError) local = NULL;
          char *contents = NULL;
          gsize length = 0;

          /* Size-checked before it is read: no 10 GB "image" in RAM. */
          if (!rg_file_get_contents_max (part->path, REGARD_MAX_IMAGE_BYTES, &contents, &length, &local))
            {
              if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_INVALID_DATA))
                g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_IMAGE, "%s", local->message);
              else
                g_propagate_error (error, g_steal_pointer (&local));
              return FALSE;
            }
          bytes = g_bytes_new_take (contents, length);
        }
      else
        bytes = g_bytes_ref (part->bytes);

      sha = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, bytes);
      g_ptr_array_add (out->keys, g_strdup_printf ("%s/split=%d", sha, split ? 1 : 0));
      g_ptr_array_add (out->bytes, g_steal_pointer (&bytes));
    }
  return TRUE;
}

static RgImage *
decode_image (RgLoadedModel *m, GBytes *bytes, guint index, GError **error)
{
  g_autoptr(GError) local = NULL;
  RgImage *img = m->pre.kind == RG_PROCESSOR_IDEFICS3 ? rg_image_decode_bytes_keep_alpha (bytes, &local)
                                                      : rg_image_decode_bytes (bytes, &local);

  if (img == NULL)
    g_set_error (error, local->domain, local->code, "Image %u: %s", index + 1, local->message);
  return img;
}

/* IDEFICS3: every image decoded first, since its size decides its tiles
 * and so its part of the prompt. */
static gboolean
decode_for_prompt (RgLoadedModel *m, PromptImages *pi, const RgPreprocessOptions *opts, GError **error)
{
  pi->decoded = g_ptr_array_new_with_free_func ((GDestroyNotify) rg_image_free);
  pi->grids = g_array_new (FALSE, TRUE, sizeof (RgImageGrid));
  pi->rows = g_array_new (FALSE, TRUE, sizeof (guint));
  for (guint i = 0; i < pi->bytes->len; i++)
    {
      RgImage *img = decode_image (m, g_ptr_array_index (pi->bytes, i), i, error);
      RgImageGrid grid;
      guint rows;

      if (img == NULL)
        return FALSE;
      g_ptr_array_add (pi->decoded, img);
      rg_preprocess_image_grid (opts, img->width, img->height, &grid);
      rows = m->image_seq_len * (grid.rows * grid.cols + 1);
      g_array_append_val (pi->grids, grid);
      g_array_append_val (pi->rows, rows);
    }
  return TRUE;
}

/* Decodes, preprocesses and encodes images FIRST.. of PI into FEATURES:
 * the connector rows, [n_sub * n_latents, text hidden] (NULL when there
 * are none). */
static gboolean
encode_images (RgLoadedModel *m, PromptImages *pi, guint first, gboolean split,
               float **features_out, GError **error)
{
  g_autoptr(GPtrArray) images = g_ptr_array_new_with_free_func ((GDestroyNotify) rg_image_free);
  g_autoptr(RgPixelBatch) batch = NULL;
  g_autofree float *features = NULL;
  RgPreprocessOptions opts = m->pre;
  guint n_latents = m->model->config.image_seq_len;
  guint hidden = m->model->config.text.hidden_size;
  guint64 expected = 0;

  *features_out = NULL;
  if (first >= pi->bytes->len)
    return TRUE;

  for (guint i = first; i < pi->bytes->len; i++)
    {
      RgImage *img;

      if (pi->decoded != NULL)
        {
          /* borrowed: PI keeps them */
          g_ptr_array_set_free_func (images, NULL);
          img = g_ptr_array_index (pi->decoded, i);
        }
      else if ((img = decode_image (m, g_ptr_array_index (pi->bytes, i), i, error)) == NULL)
        return FALSE;
      g_ptr_array_add (images, img);
      expected += pi->rows ? g_array_index (pi->rows, guint, i) / n_latents : (split ? 5 : 1);
    }

  opts.do_split = split;
  batch = rg_preprocess_images ((RgImage * const *) images->pdata, images->len, &opts, error);
  if (batch == NULL)
    return FALSE;
  if (batch->n != expected)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_FAILED,
                   "Preprocessing gave %u sub-images for %u image(s)", batch->n, images->len);
      return FALSE;
    }

  features = g_new (float, (gsize) batch->n * n_latents * hidden);
  if (!m->model->vtable->encode_images (m->model, batch, features, error))
    return FALSE;
  *features_out = g_steal_pointer (&features);
  return TRUE;
}

static gboolean
same_keys (GPtrArray *a, GPtrArray *b)
{
  if (a->len != b->len)
    return FALSE;
  for (guint i = 0; i < a->len; i++)
    if (g_strcmp0 (g_ptr_array_index (a, i), g_ptr_array_index (b, i)) != 0)
      return FALSE;
  return TRUE;
}

/* Cross-attention families (IDEFICS1): the image features never enter the
 * token sequence; the model keeps every image of the prompt, in prompt
 * order, as its image states, and each token attends one of them by
 * index. They are encoded again only when they are not the images the
 * model already holds (FORCE: always, for a dump's taps). N_ENCODED
 * receives the number encoded. */
static gboolean
set_cross_images (RgLoadedModel *m, PromptImages *pi, gboolean force, guint *n_encoded, GError **error)
{
  RgModel *model = m->model;
  g_autoptr(GPtrArray) images = g_ptr_array_new_with_free_func ((GDestroyNotify) rg_image_free);
  g_autoptr(RgPixelBatch) batch = NULL;
  g_autofree float *features = NULL;
  guint n = pi->keys->len;
  guint64 n_floats;

  *n_encoded = 0;
  if (model->vtable->set_image_states == NULL || model->vtable->forward_cross == NULL)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_UNSUPPORTED,
                   "This model's backend has no gated cross-attention: %s models cannot run on it",
                   m->family->name);
      return FALSE;
    }
  if (!force && same_keys (m->image_state_keys, pi->keys))
    return TRUE;
  /* Forgotten first: after a failure below the next ask encodes again. */
  g_ptr_array_set_size (m->image_state_keys, 0);
  if (n > 0)
    {
      for (guint i = 0; i < n; i++)
        {
          RgImage *img = decode_image (m, g_ptr_array_index (pi->bytes, i), i, error);

          if (img == NULL)
            return FALSE;
          g_ptr_array_add (images, img);
        }
      batch = rg_preprocess_images ((RgImage * const *) images->pdata, n, &m->pre, error);
      if (batch == NULL)
        return FALSE;
      n_floats = (guint64) n * model->image_seq_len * model->feature_width;
      if (batch->n != n || n_floats == 0 || n_floats > G_MAXSIZE / sizeof (float) ||
          (features = g_try_new (float, n_floats)) == NULL)
        {
          g_set_error (error, REGARD_ERROR, REGARD_ERROR_OUT_OF_MEMORY,
                       "No memory for the features of %u image(s)", n);
          return FALSE;
        }
      if (!model->vtable->encode_images (model, batch, features, error))
        return FALSE;
    }
  /* A text-only prompt has none: every token attends nothing, and the
   * gated blocks' dense halves still run (HF's all-zero image). */
  if (!model->vtable->set_image_states (model, features, n, error))
    return FALSE;
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (m->image_state_keys, g_strdup (g_ptr_array_index (pi->keys, i)));
  *n_encoded = n;
  return TRUE;
}

static gboolean
write_dump (const char *path, RgModel *model, RgTaps *taps, const GArray *ids,
            const float *logits, GError **error)
{
  g_autoptr(GArray) tensors = g_array_new (FALSE, TRUE, sizeof (RgTensorWrite));
  g_autofree gint64 *ids64 = g_new (gint64, MAX (ids->len, 1));
  static const char *const tap_names[] = {
    "vision_last_hidden_state", "connector_output", "image_hidden_states", "inputs_embeds",
    "text_last_hidden_state",
  };
  RgTensorWrite t;

  for (guint i = 0; i < ids->len; i++)
    ids64[i] = g_array_index (ids, gint32, i);

  t = (RgTensorWrite) { "input_ids", RG_DTYPE_I64, 1, { ids->len }, ids64 };
  g_array_append_val (tensors, t);
  for (guint i = 0; i < G_N_ELEMENTS (tap_names); i++)
    {
      const RgTap *tap = rg_taps_lookup (taps, tap_names[i]);
      if (tap == NULL)
        continue;
      t = (RgTensorWrite) { tap_names[i], RG_DTYPE_F32, tap->n_dims, { 0 }, tap->data };
      for (guint d = 0; d < tap->n_dims; d++)
        t.shape[d] = tap->shape[d];
      g_array_append_val (tensors, t);
    }
  t = (RgTensorWrite) { "prefill_last_logits", RG_DTYPE_F32, 1,
                        { model->config.text.vocab_size }, logits };
  g_array_append_val (tensors, t);

  return rg_safetensors_write (path, (const RgTensorWrite *) tensors->data, tensors->len, error);
}

typedef struct
{
  RgDetokenizer *detok;
  RgAskTokenFunc on_token;
  gpointer token_data;
} TokenSink;

static void
on_generated (gint32 id, gboolean last, gpointer data)
{
  TokenSink *sink = data;
  g_autofree char *text = rg_detokenizer_feed (sink->detok, id, NULL);

  if (last)
    {
      g_autofree char *rest = rg_detokenizer_flush (sink->detok, NULL);
      if (*rest)
        {
          char *joined = g_strconcat (text, rest, NULL);
          g_free (text);
          text = joined;
        }
    }
  if (sink->on_token)
    sink->on_token (id, text, sink->token_data);
}

static double
ms_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / 1000.0;
}

gboolean
rg_engine_ask_run (RgLoadedModel *m, RegardConversation *conv,
                   const RegardAskParams *params, GCancellable *cancellable,
                   RgAskTokenFunc on_token, gpointer token_data,
                   RegardAskStats *stats, GError **error)
{
  RgModel *model = m->model;
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autoptr(GPtrArray) parts = NULL;
  g_auto(PromptImages) pi = { NULL };
  g_autofree float *features = NULL;
  g_autofree float *logits = NULL;
  g_autofree gint32 *image_index = NULL;
  g_autoptr(RgTaps) taps = NULL;
  g_autoptr(RgSampler) sampler = NULL;
  g_autoptr(RgDetokenizer) detok = NULL;
  g_autoptr(GError) local_error = NULL;
  RgPromptParams pp = { 0 };
  RgGenPrompt gp;
  RgPrefillPlan plan;
  RgSamplerParams sp = { 0 };
  TokenSink sink;
  gboolean split;
  gint64 t0;

  memset (stats, 0, sizeof *stats);
  stats->stop_reason = REGARD_STOP_CANCELLED;

  split = params->image_splitting < 0 ? m->pre.do_split : params->image_splitting != 0;
  /* IdeficsImageProcessor never splits. */
  if (m->family->expansion == RG_EXPANSION_IDEFICS1)
    split = FALSE;
  pp.image_seq_len = m->image_seq_len;
  pp.do_image_splitting = split;
  pp.raw_prompt = params->raw_prompt;
  pp.add_generation_prompt = TRUE;
  pp.family = m->family;
  pp.prompt_prefix = m->prompt_prefix;
  if (m->family->expansion == RG_EXPANSION_IDEFICS3)
    {
      g_autoptr(GPtrArray) all = rg_conversation_list_images (conv);
      RgPreprocessOptions opts = m->pre;

      opts.do_split = split;
      if (!collect_images (all, split, &pi, cancellable, error) ||
          !decode_for_prompt (m, &pi, &opts, error))
        return FALSE;
      pp.grids = (const RgImageGrid *) pi.grids->data;
      pp.n_grids = pi.grids->len;
    }
  if (!rg_prompt_build (m->tokenizer, conv, &pp, ids, &parts, NULL, error))
    return FALSE;
  if (pi.bytes == NULL && !collect_images (parts, split, &pi, cancellable, error))
    return FALSE;

  gp = (RgGenPrompt) {
    .ids = (const gint32 *) ids->data,
    .n_ids = ids->len,
    .image_token_id = model->config.image_token_id,
    .rows_per_image = m->image_seq_len * (split ? 5 : 1),
    .image_keys = (const char *const *) pi.keys->pdata,
    .n_images = pi.keys->len,
    .image_rows = pi.rows ? (const guint *) pi.rows->data : NULL,
  };
  if (m->family->expansion == RG_EXPANSION_IDEFICS1)
    {
      /* One <image> token per image; which image each token attends
       * follows from the ids (IdeficsProcessor's image_attention_mask). */
      gp.image_token_id = m->idefics1.image;
      image_index = g_new (gint32, MAX (ids->len, 1));
      rg_idefics1_image_index (gp.ids, gp.n_ids, m->idefics1.image, m->idefics1.eos, gp.n_images, image_index);
      gp.image_index = image_index;
    }
  if (!rg_prefill_plan (m->history, &gp, model->context_length, &plan, error))
    return FALSE;
  if (params->dump_path)
    {
      /* A dump describes the whole prompt, so nothing is reused. */
      plan.n_keep = 0;
      plan.first_image = 0;
      taps = rg_taps_new ();
      model->taps = taps;
    }

  if (g_cancellable_is_cancelled (cancellable))
    goto out;

  /* Images first: a bad image fails the ask before the cache is touched.
   * The model checks CANCELLABLE between its command buffers, so Stop
   * reaches into a long image encode or prefill. */
  model->cancellable = cancellable;
  {
    const RgEngineTestHooks *hooks = rg_engine_get_test_hooks ();

    model->on_step = hooks ? hooks->on_step : NULL;
    model->on_step_data = hooks ? hooks->data : NULL;
  }
  t0 = g_get_monotonic_time ();
  if (gp.image_index != NULL)
    {
      if (!set_cross_images (m, &pi, params->dump_path != NULL, &stats->encoded_images, &local_error))
        goto fail;
    }
  else
    {
      if (!encode_images (m, &pi, plan.first_image, split, &features, &local_error))
        goto fail;
      stats->encoded_images = plan.first_image < pi.keys->len ? pi.keys->len - plan.first_image : 0;
    }
  stats->image_encode_ms = ms_since (t0);
  if (g_cancellable_is_cancelled (cancellable))
    goto out;

  t0 = g_get_monotonic_time ();
  logits = g_new (float, model->config.text.vocab_size);
  if (!rg_generate_prefill (model, m->history, &gp, &plan, features, logits, &local_error))
    goto fail;
  model->cancellable = NULL;
  stats->prefill_ms = ms_since (t0);
  stats->cached_tokens = plan.n_keep;
  stats->prompt_tokens = ids->len - plan.n_keep;

  if (params->dump_path)
    {
      model->taps = NULL;
      if (!write_dump (params->dump_path, model, taps, ids, logits, error))
        return FALSE;
    }

  sp.temperature = params->temperature;
  sp.top_k = params->top_k;
  sp.top_p = params->top_p;
  sp.seed = params->seed;
  sp.bad_ids = m->proc.bad_words_ids;
  sp.n_bad_ids = m->proc.n_bad_words_ids;
  sp.eos_ids = m->proc.eos_token_ids;
  sp.n_eos_ids = m->proc.n_eos_token_ids;
  sampler = rg_sampler_new (&sp);
  detok = rg_detokenizer_new (m->tokenizer);
  sink = (TokenSink) { detok, on_token, token_data };

  t0 = g_get_monotonic_time ();
  if (!rg_generate_decode (model, m->history, sampler, logits,
                           params->max_new_tokens ? params->max_new_tokens : 512,
                           cancellable, on_generated, &sink,
                           &stats->stop_reason, &stats->generated_tokens, error))
    return FALSE;
  {
    double s = ms_since (t0) / 1000.0;
    stats->decode_tokens_per_s = s > 0 ? stats->generated_tokens / s : 0.0;
  }
  return TRUE;

out:
  model->taps = NULL;
  model->cancellable = NULL;
  stats->stop_reason = REGARD_STOP_CANCELLED;
  return TRUE;

fail:
  model->taps = NULL;
  model->cancellable = NULL;
  if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    goto out;
  g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}
