/* rg-engine-load.c: opening a snapshot into an RgLoadedModel (engine thread). */
#include "rg-engine-private.h"

#include "rg-model-cpu.h"

void
rg_model_info_free (RegardModelInfo *info)
{
  if (!info)
    return;
  g_free ((char *) info->name);
  g_free ((char *) info->device_name);
  g_free ((char *) info->device_uuid);
  g_free ((char *) info->weight_format);
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
  return copy;
}

void
rg_loaded_model_free (RgLoadedModel *m)
{
  if (!m)
    return;
  rg_model_free (m->model);
  rg_tokenizer_free (m->tokenizer);
  rg_kv_history_free (m->history);
  rg_model_info_free (m->info);
  g_free (m);
}

RgLoadedModel *
rg_engine_load_model (const char *model_dir, const RegardEngineParams *params,
                      GCancellable *cancellable,
                      RgLoadProgress progress, gpointer progress_data,
                      GError **error)
{
  g_autoptr(RgSnapshot) snap = NULL;
  g_autoptr(RgLoadedModel) m = g_new0 (RgLoadedModel, 1);
  g_autofree char *pre_path = NULL;
  g_autofree char *name = NULL;
  guint64 total;

  snap = rg_snapshot_open (model_dir, error);
  if (snap == NULL)
    return NULL;
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;

  m->tokenizer = rg_tokenizer_new_from_file (rg_snapshot_get_tokenizer_path (snap), error);
  if (m->tokenizer == NULL)
    return NULL;

  m->proc = *rg_snapshot_get_processor_config (snap);
  m->pre = rg_preprocess_options_default ();
  m->pre.do_split = m->proc.do_image_splitting;
  m->pre.longest_edge = m->proc.longest_edge;
  m->pre.shortest_edge = m->proc.shortest_edge;
  /* The processor file also carries mean/std/rescale; read it whole. */
  pre_path = g_build_filename (model_dir, "preprocessor_config.json", NULL);
  if (g_file_test (pre_path, G_FILE_TEST_IS_REGULAR)
      && !rg_preprocess_options_load (&m->pre, pre_path, error))
    return NULL;
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;

  /* Only the CPU reference backend exists so far; the Vulkan backend will
   * be chosen here from params->device and params->precision. */
  total = rg_snapshot_get_total_bytes (snap);
  m->model = rg_model_cpu_new (snap, params->context_length, error);
  if (m->model == NULL)
    return NULL;
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  if (progress)
    progress (total, total, progress_data);

  m->history = rg_kv_history_new ();

  name = g_path_get_basename (model_dir);
  m->info = g_new0 (RegardModelInfo, 1);
  m->info->name = g_steal_pointer (&name);
  m->info->device_name = g_strdup ("CPU (reference backend)");
  m->info->device_uuid = g_strdup ("");
  m->info->device_is_cpu = TRUE;
  m->info->weight_format = g_strdup ("f32");
  m->info->image_splitting = m->pre.do_split;
  m->info->context_length = m->model->context_length;

  return g_steal_pointer (&m);
}
