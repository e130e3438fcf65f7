/* rg-engine-load.c: opening a snapshot into an RgLoadedModel (engine thread). */
#include "rg-engine-private.h"

#include "rg-model-ref.h"
#include "rg-model-gpu.h"
#include "rg-budget.h"

void
rg_model_info_free (RegardModelInfo *info)
{
  if (!info)
    return;
  g_free ((char *) info->name);
  g_free ((char *) info->device_name);
  g_free ((char *) info->device_uuid);
  g_free ((char *) info->weight_format);
  g_free ((char *) info->format_reason);
  g_free ((char *) info->family);
  g_free (info);
}

RegardModelInfo *
rg_model_info_copy (const RegardModelInfo *info)
{
  RegardModelInfo *copy = g_memdup2 (info, sizeof *info);

  copy->name = g_strdup (info->name);
  copy->device_name = g_strdup (info->device_name);
  copy->device_uuid = g_strdup (info->device_uuid);
  copy->weight_format = g_strdup (info->weight_format);
  copy->format_reason = g_strdup (info->format_reason);
  copy->family = g_strdup (info->family);
  return copy;
}

void
rg_loaded_model_free (RgLoadedModel *m)
{
  if (!m)
    return;
  rg_model_free (m->model);
  /* The device goes after the model whose buffers live on it. */
  g_clear_pointer (&m->vk, rg_vk_context_free);
  rg_tokenizer_free (m->tokenizer);
  rg_kv_history_free (m->history);
  g_clear_pointer (&m->image_state_keys, g_ptr_array_unref);
  rg_model_info_free (m->info);
  g_free (m->format_reason);
  g_free (m);
}

/* Picks the backend. $REGARD_BACKEND=reference forces the reference
 * backend (plain C; "cpu" is its deprecated alias: a CPU Vulkan device
 * such as lavapipe runs the Vulkan backend), =vulkan forbids falling back
 * to it. Otherwise Vulkan is used whenever a
 * device opens (a software one such as lavapipe included: the app says so
 * in a banner), and the reference backend (slow, but correct) only when
 * none does, unless the caller named a device: then not finding it is an
 * error, not a silent switch to the reference backend. The reference
 * backend holds every weight as f32 in RAM: it is used only when the same
 * budget estimate as a device's says that fits in the memory available,
 * else the load fails saying both why there is no device and how much
 * memory it would take. */
static gboolean
create_model (RgLoadedModel *m, RgSnapshot *snap, const RegardEngineParams *params,
              GCancellable *cancellable, RgLoadProgress progress, gpointer progress_data,
              GError **error)
{
  const char *backend = g_getenv ("REGARD_BACKEND");
  const RgModelConfig *cfg = rg_snapshot_get_config (snap);
  g_autoptr(GError) vk_error = NULL;
  RgWeightFormat format;
  RgKvType kv = params->kv_cache == REGARD_KV_CACHE_F32 ? RG_KV_F32
              : params->kv_cache == REGARD_KV_CACHE_F16 ? RG_KV_F16 : RG_KV_AUTO;
  /* By default no longer than the model was trained for (idefics-9b: 2048;
   * positions past it are garbage) and at most 4096 tokens of KV cache. */
  guint context_length = params->context_length
                         ? params->context_length
                         : MIN (REGARD_DEFAULT_CONTEXT_LENGTH, cfg->text.max_position_embeddings);

  if (backend && !g_str_equal (backend, "reference") && !g_str_equal (backend, "cpu") &&
      !g_str_equal (backend, "vulkan"))
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_FAILED,
                   "REGARD_BACKEND must be \"reference\" or \"vulkan\", not \"%s\"", backend);
      return FALSE;
    }

  if (backend == NULL || g_str_equal (backend, "vulkan"))
    {
      m->vk = rg_vk_context_new (params->device, &vk_error);
      if (m->vk == NULL
          && (backend != NULL || params->device != NULL || g_getenv ("REGARD_DEVICE") != NULL))
        {
          g_propagate_error (error, g_steal_pointer (&vk_error));
          return FALSE;
        }
    }

  if (m->vk)
    {
      const RgVkDeviceInfo *dev = rg_vk_context_get_info (m->vk);
      RgDType requested, chosen;
      g_autofree char *reason = NULL;

      /* What fits decides before anything is uploaded: weights, KV cache
       * and activations against the device's memory budget. */
      switch (params->precision)
        {
        case REGARD_PRECISION_F32: requested = RG_DTYPE_F32; break;
        case REGARD_PRECISION_F16: requested = RG_DTYPE_F16; break;
        case REGARD_PRECISION_AUTO:
        default: requested = RG_DTYPE_COUNT; break;
        }
      if (params->context_length != 0
          ? !rg_budget_choose (cfg, requested, kv, context_length, m->pre.do_split, dev->budget_bytes,
                               dev->name, &chosen, &reason, error)
          : !rg_budget_choose_default_context (cfg, requested, kv, &context_length, m->pre.do_split,
                                               dev->budget_bytes, dev->name, &chosen, &reason, error))
        return FALSE;
      switch (chosen)
        {
        case RG_DTYPE_F32: format = RG_WEIGHTS_F32; break;
        case RG_DTYPE_Q8_0: format = RG_WEIGHTS_Q8_0; break;
        case RG_DTYPE_Q4_0: format = RG_WEIGHTS_Q4_0; break;
        /* 16 bits: bf16 checkpoints stay bf16 (exact), others become f16 */
        default: format = params->precision == REGARD_PRECISION_F16 ? RG_WEIGHTS_F16 : RG_WEIGHTS_AUTO; break;
        }
      m->format_reason = g_steal_pointer (&reason);
      m->model = rg_model_gpu_new_full (snap, m->vk, format, kv, context_length, cancellable,
                                   progress, progress_data, error);
    }
  else
    {
      g_autoptr(GError) ram_error = NULL;

      if (!rg_budget_check_host (cfg, kv, context_length, m->pre.do_split,
                                 rg_budget_host_bytes (), &ram_error))
        {
          if (vk_error)
            g_set_error (error, REGARD_ERROR, REGARD_ERROR_NO_DEVICE,
                         "No Vulkan device (%s). %s.", vk_error->message, ram_error->message);
          else
            g_propagate_error (error, g_steal_pointer (&ram_error));
          return FALSE;
        }
      if (vk_error)
        g_message ("No Vulkan device (%s): using the reference backend (plain C, slow)", vk_error->message);
      m->model = rg_model_ref_new_full (snap, kv, context_length, cancellable, progress, progress_data, error);
    }
  return m->model != NULL;
}

RgLoadedModel *
rg_engine_load_model (const char *model_dir, const RegardEngineParams *params,
                      GCancellable *cancellable,
                      RgLoadProgress progress, gpointer progress_data,
                      GError **error)
{
  g_autoptr(RgSnapshot) snap = NULL;
  g_autoptr(RgLoadedModel) m = g_new0 (RgLoadedModel, 1);
  g_autofree char *name = NULL;
  RgFamilyProcessor fp;
  guint64 total;

  /* The family first: an unsupported model_type or missing processor
   * file is named before any weight is opened. */
  if (!g_file_test (model_dir, G_FILE_TEST_IS_DIR))
    {
      gboolean exists = g_file_test (model_dir, G_FILE_TEST_EXISTS);

      g_set_error (error, G_IO_ERROR, exists ? G_IO_ERROR_NOT_DIRECTORY : G_IO_ERROR_NOT_FOUND,
                   exists ? "%s: not a folder" : "%s: no such folder", model_dir);
      return NULL;
    }
  m->family = rg_family_for_model_dir (model_dir, error);
  if (m->family == NULL || !rg_family_load_processor (m->family, model_dir, &fp, error))
    return NULL;
  m->pre = fp.pre;
  m->image_seq_len = fp.image_seq_len;
  g_strlcpy (m->prompt_prefix, fp.prompt_prefix, sizeof m->prompt_prefix);

  snap = rg_snapshot_open (model_dir, error);
  if (snap == NULL)
    return NULL;
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;

  m->tokenizer = rg_tokenizer_new_from_file (rg_snapshot_get_tokenizer_path (snap), error);
  if (m->tokenizer == NULL)
    return NULL;

  m->proc = *rg_snapshot_get_processor_config (snap);
  if (m->family->expansion == RG_EXPANSION_IDEFICS1)
    {
      RgProcessorConfig *pc = &m->proc;
      guint vocab = rg_snapshot_get_config (snap)->text.vocab_size;

      if (!rg_idefics1_tokens_lookup (m->tokenizer, &m->idefics1, error))
        return NULL;
      /* Embedded and predicted only through the decoupled rows that the
       * config declares (additional_vocab_size). */
      if ((guint) m->idefics1.image >= vocab || (guint) m->idefics1.fake >= vocab)
        {
          g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL,
                       "%s: tokenizer.json's <image> (%d) or <fake_token_around_image> (%d) is outside the "
                       "model's vocabulary of %u tokens", model_dir, m->idefics1.image, m->idefics1.fake, vocab);
          return NULL;
        }
      if (m->idefics1.end_of_utterance >= 0 && (guint) m->idefics1.end_of_utterance >= vocab)
        m->idefics1.end_of_utterance = -1;
      if (!rg_idefics1_generation_ids (&m->idefics1, pc->eos_token_ids, &pc->n_eos_token_ids,
                                       G_N_ELEMENTS (pc->eos_token_ids), pc->bad_words_ids, &pc->n_bad_words_ids,
                                       G_N_ELEMENTS (pc->bad_words_ids)))
        {
          g_set_error (error, REGARD_ERROR, REGARD_ERROR_UNSUPPORTED,
                       "%s: generation_config.json lists too many eos or bad word ids", model_dir);
          return NULL;
        }
      m->image_state_keys = g_ptr_array_new_with_free_func (g_free);
    }
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;

  total = rg_snapshot_get_total_bytes (snap);
  if (!create_model (m, snap, params, cancellable, progress, progress_data, error))
    return NULL;
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  if (progress)
    progress (total, total, progress_data);

  m->history = rg_kv_history_new ();

  name = g_path_get_basename (model_dir);
  m->info = g_new0 (RegardModelInfo, 1);
  m->info->name = g_steal_pointer (&name);
  if (m->vk)
    {
      const RgVkDeviceInfo *dev = rg_vk_context_get_info (m->vk);
      m->info->device_name = g_strdup (dev->name);
      m->info->device_uuid = g_strdup (dev->uuid_hex);
      m->info->device_is_cpu = dev->type == VK_PHYSICAL_DEVICE_TYPE_CPU;
      m->info->weight_format = g_strdup (rg_model_gpu_get_weight_format (m->model));
      m->info->format_reason = g_strdup (m->format_reason);
      m->info->backend = "vulkan";
    }
  else
    {
      m->info->device_name = g_strdup ("Reference backend (plain C)");
      m->info->device_uuid = g_strdup ("");
      m->info->device_is_cpu = TRUE;
      m->info->weight_format = g_strdup ("f32");
      m->info->backend = "reference";
    }
  m->info->image_splitting = m->pre.do_split;
  m->info->family = g_strdup (m->family->name);
  m->info->context_length = m->model->context_length;

  return g_steal_pointer (&m);
}
