/* The public download API: a worker thread per run, progress marshalled to
 * the caller's main context, and model resolution for the tools. */
#include "regard-download.h"

#include <string.h>

#include "rg-download.h"
#include "rg-hub.h"
#include "rg-models.h"

G_DEFINE_QUARK (regard-download-error-quark, regard_download_error)

struct _RegardDownload
{
  RgDownloadConfig config;
  gboolean running;
};

typedef struct
{
  RegardDownload *download;
  GMainContext *context;  /* the caller's, for progress */
  RegardDownloadProgressFunc progress;
  gpointer progress_data;
  GDestroyNotify progress_destroy;
} RunData;

typedef struct
{
  RunData *run;
  RegardDownloadProgress p;
  char *file;
} ProgressEvent;

RegardDownloadParams
regard_download_params_default (void)
{
  return (RegardDownloadParams) { 0 };
}

gboolean
regard_repo_ref_parse (const char *ref, char **repo, char **revision, GError **error)
{
  const char *at;
  g_autofree char *r = NULL;
  g_autofree char *rev = NULL;

  if (ref == NULL)
    ref = "";
  at = strchr (ref, '@');
  r = at ? g_strndup (ref, at - ref) : g_strdup (ref);
  rev = at ? g_strdup (at + 1) : NULL;
  if (!rg_hub_repo_id_is_valid (r) || (rev != NULL && !rg_hub_revision_is_valid (rev)))
    {
      g_set_error (error, REGARD_DOWNLOAD_ERROR, REGARD_DOWNLOAD_ERROR_INVALID_REPO,
                   "\"%s\" is not a model id: expected OWNER/NAME or OWNER/NAME@REVISION, "
                   "e.g. HuggingFaceM4/idefics2-8b", ref);
      return FALSE;
    }
  if (repo != NULL)
    *repo = g_steal_pointer (&r);
  if (revision != NULL)
    *revision = g_steal_pointer (&rev);
  return TRUE;
}

static const char *
nonempty (const char *s)
{
  return s != NULL && s[0] != '\0' ? s : NULL;
}

RegardDownload *
regard_download_new (const RegardDownloadParams *params, GError **error)
{
  g_autoptr(RegardDownload) download = g_new0 (RegardDownload, 1);
  RgDownloadConfig *config = &download->config;
  char *revision = NULL;
  const char *endpoint;
  const char *token;

  if (!regard_repo_ref_parse (params->repo, &config->repo, &revision, error))
    return NULL;
  config->revision = params->revision ? g_strdup (params->revision) : revision;
  if (params->revision != NULL)
    g_free (revision);
  if (config->revision == NULL)
    config->revision = g_strdup ("main");
  if (!rg_hub_revision_is_valid (config->revision))
    {
      g_set_error (error, REGARD_DOWNLOAD_ERROR, REGARD_DOWNLOAD_ERROR_INVALID_REPO,
                   "\"%s\" is not a revision", config->revision);
      return NULL;
    }

  endpoint = nonempty (params->endpoint);
  if (endpoint == NULL)
    endpoint = nonempty (g_getenv ("REGARD_HF_ENDPOINT"));
  if (endpoint == NULL)
    endpoint = RG_HUB_DEFAULT_ENDPOINT;
  if (!g_str_has_prefix (endpoint, "https://") && !g_str_has_prefix (endpoint, "http://"))
    {
      g_set_error (error, REGARD_DOWNLOAD_ERROR, REGARD_DOWNLOAD_ERROR_FAILED,
                   "The hub endpoint %s is not an http(s) URL", endpoint);
      return NULL;
    }
  config->endpoint = g_strdup (endpoint);

  token = params->token ? params->token : g_getenv ("HF_TOKEN");
  config->token = g_strdup (nonempty (token));
  config->dest_dir = params->dest_dir ? g_strdup (params->dest_dir)
                                      : rg_models_repo_dir (NULL, config->repo);
  config->free_space_override = -1;
  return g_steal_pointer (&download);
}

void
regard_download_free (RegardDownload *download)
{
  if (download == NULL)
    return;
  g_return_if_fail (!download->running);
  rg_download_config_clear (&download->config);
  g_free (download);
}

const char *
regard_download_get_repo (RegardDownload *download)
{
  return download->config.repo;
}

const char *
regard_download_get_revision (RegardDownload *download)
{
  return download->config.revision;
}

const char *
regard_download_get_dest_dir (RegardDownload *download)
{
  return download->config.dest_dir;
}

static gboolean
deliver_destroy (gpointer user_data)
{
  RunData *run = user_data;

  run->progress_destroy (run->progress_data);
  return G_SOURCE_REMOVE;
}

static void
run_data_release (gpointer user_data)
{
  RunData *run = user_data;

  g_main_context_unref (run->context);
  g_free (run);
}

/* The task lets go of RUN after the last progress event was queued: the
 * destroy notify runs on the caller's context, after those events. */
static void
run_data_free (RunData *run)
{
  if (run->progress_destroy == NULL)
    {
      run_data_release (run);
      return;
    }
  g_main_context_invoke_full (run->context, G_PRIORITY_DEFAULT, deliver_destroy, run, run_data_release);
}

static gboolean
deliver_progress (gpointer user_data)
{
  ProgressEvent *event = user_data;

  event->p.file = event->file;
  event->run->progress (&event->p, event->run->progress_data);
  return G_SOURCE_REMOVE;
}

static void
progress_event_free (gpointer user_data)
{
  ProgressEvent *event = user_data;

  g_free (event->file);
  g_free (event);
}

/* Worker thread: copies the progress to the caller's context. The events
 * are queued before the task's result, so they arrive before completion;
 * RunData outlives them as the task holds it until then. */
static void
forward_progress (const RegardDownloadProgress *p, gpointer user_data)
{
  RunData *run = user_data;
  ProgressEvent *event = g_new0 (ProgressEvent, 1);

  event->run = run;
  event->p = *p;
  event->file = g_strdup (p->file);
  g_main_context_invoke_full (run->context, G_PRIORITY_DEFAULT,
                              deliver_progress, event, progress_event_free);
}

static void
run_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  RunData *run = task_data;
  GError *error = NULL;

  if (rg_download_run (&run->download->config,
                       run->progress ? forward_progress : NULL, run,
                       cancellable, &error))
    g_task_return_pointer (task, g_strdup (run->download->config.dest_dir), g_free);
  else
    g_task_return_error (task, error);
}

void
regard_download_run_async (RegardDownload *download,
                           GCancellable *cancellable,
                           RegardDownloadProgressFunc progress,
                           gpointer progress_data,
                           GDestroyNotify progress_destroy,
                           GAsyncReadyCallback callback,
                           gpointer user_data)
{
  g_autoptr(GTask) task = NULL;
  RunData *run;

  g_return_if_fail (download != NULL);
  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, regard_download_run_async);
  if (download->running)
    {
      if (progress_destroy)
        progress_destroy (progress_data);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               "A download of %s is already running", download->config.repo);
      return;
    }
  run = g_new0 (RunData, 1);
  run->download = download;
  run->context = g_main_context_ref_thread_default ();
  run->progress = progress;
  run->progress_data = progress_data;
  run->progress_destroy = progress_destroy;
  download->running = TRUE;
  g_task_set_task_data (task, run, (GDestroyNotify) run_data_free);
  /* The cancellable ends the transfer itself; the task must still wait for
   * the thread so that "cancelled" means the .part is closed. */
  g_task_set_return_on_cancel (task, FALSE);
  g_task_run_in_thread (task, run_thread);
}

char *
regard_download_run_finish (RegardDownload *download, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == regard_download_run_async, NULL);

  if (g_task_get_task_data (G_TASK (result)) != NULL)
    download->running = FALSE;
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
on_sync_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

char *
regard_download_run (RegardDownload *download, GCancellable *cancellable,
                     RegardDownloadProgressFunc progress, gpointer progress_data,
                     GError **error)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GAsyncResult) result = NULL;

  g_main_context_push_thread_default (context);
  regard_download_run_async (download, cancellable, progress, progress_data, NULL,
                             on_sync_done, &result);
  while (result == NULL)
    g_main_context_iteration (context, TRUE);
  g_main_context_pop_thread_default (context);
  return regard_download_run_finish (download, result, error);
}

char *
regard_model_resolve (const char *model_or_repo,
                      gboolean download_if_missing,
                      GCancellable *cancellable,
                      RegardDownloadProgressFunc progress,
                      gpointer progress_data,
                      GError **error)
{
  RegardDownloadParams params = regard_download_params_default ();
  g_autoptr(RegardDownload) download = NULL;
  g_autofree char *repo = NULL;
  g_autofree char *dir = NULL;

  g_return_val_if_fail (model_or_repo != NULL, NULL);
  /* A folder wins: "./models/x" or "/abs/path" are never repo ids. */
  if (g_file_test (model_or_repo, G_FILE_TEST_IS_DIR))
    {
      g_autoptr(GFile) file = g_file_new_for_path (model_or_repo);

      return g_file_get_path (file);
    }
  if (!regard_repo_ref_parse (model_or_repo, &repo, NULL, error))
    {
      g_prefix_error (error, "No folder %s, and ", model_or_repo);
      return NULL;
    }
  /* A folder holds one revision of a repo: an installed one is used as is. */
  if ((dir = regard_model_find_installed (repo)) != NULL)
    return g_steal_pointer (&dir);
  if (!download_if_missing)
    {
      g_set_error (error, REGARD_DOWNLOAD_ERROR, REGARD_DOWNLOAD_ERROR_NOT_INSTALLED,
                   "The model %s is not installed: download it first "
                   "(regard-cli download %s)", repo, model_or_repo);
      return NULL;
    }
  params.repo = model_or_repo;
  download = regard_download_new (&params, error);
  if (download == NULL)
    return NULL;
  return regard_download_run (download, cancellable, progress, progress_data, error);
}
