#include "rg-file.h"
#include "rg-download.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "rg-fetch.h"
#include "rg-http.h"
#include "rg-hub.h"

#define API_MAX_BYTES (16u << 20)
#define EMIT_INTERVAL_US (100 * 1000)
#define RATE_INTERVAL_US (500 * 1000)

typedef struct
{
  const RgDownloadConfig *config;
  RgHttp *http;
  GPtrArray *files;          /* RgHubFile, in fetch order */
  RegardDownloadProgressFunc func;
  gpointer func_data;
  RegardDownloadProgress p;
  guint64 files_done_bytes;  /* bytes of the files before the current one */
  gint64 counted_size;       /* the current file's size as counted in total */
  gint64 last_emit_us;
  gint64 rate_time_us;
  guint64 rate_done;
} Job;

void
rg_download_config_clear (RgDownloadConfig *config)
{
  g_clear_pointer (&config->repo, g_free);
  g_clear_pointer (&config->revision, g_free);
  g_clear_pointer (&config->endpoint, g_free);
  g_clear_pointer (&config->token, g_free);
  g_clear_pointer (&config->dest_dir, g_free);
}

static void
update_rate (Job *job, gint64 now)
{
  gint64 dt = now - job->rate_time_us;

  if (job->rate_time_us == 0 || job->p.done_bytes < job->rate_done)
    {
      /* First sample, or the .part was dropped: measure afresh. */
      job->rate_time_us = now;
      job->rate_done = job->p.done_bytes;
      return;
    }
  if (dt >= RATE_INTERVAL_US)
    {
      double instant = (double) (job->p.done_bytes - job->rate_done) * G_USEC_PER_SEC / dt;

      /* Smoothed so the ETA does not jump with every burst. */
      job->p.bytes_per_second = job->p.bytes_per_second > 0
                                ? 0.7 * job->p.bytes_per_second + 0.3 * instant
                                : instant;
      job->rate_time_us = now;
      job->rate_done = job->p.done_bytes;
    }
  if (job->p.bytes_per_second > 0 && job->p.total_bytes >= job->p.done_bytes)
    job->p.eta_seconds = (job->p.total_bytes - job->p.done_bytes) / job->p.bytes_per_second;
  else
    job->p.eta_seconds = -1;
}

static void
emit (Job *job, gboolean force)
{
  gint64 now = g_get_monotonic_time ();

  update_rate (job, now);
  if (job->func == NULL || (!force && now - job->last_emit_us < EMIT_INTERVAL_US))
    return;
  job->last_emit_us = now;
  job->func (&job->p, job->func_data);
}

static void
on_fetch_progress (guint64 file_done, gint64 file_size, gpointer user_data)
{
  Job *job = user_data;

  if (file_size >= 0 && job->counted_size < 0)
    {
      job->p.total_bytes += file_size;
      job->counted_size = file_size;
    }
  job->p.done_bytes = job->files_done_bytes + file_done;
  emit (job, FALSE);
}

static char *
file_path (Job *job, const char *name, const char *suffix)
{
  g_autofree char *base = g_strconcat (name, suffix, NULL);

  return g_build_filename (job->config->dest_dir, base, NULL);
}

/* Where one file of the job goes: the target of rg_fetch_file and the
 * strings it points to (owned). */
typedef struct
{
  RgFetchTarget target;
  char *url, *final_path, *part_path;
} JobTarget;

static void
job_target_init (JobTarget *t, Job *job, RgHubFile *file)
{
  t->final_path = file_path (job, file->name, NULL);
  t->part_path = file_path (job, file->name, ".part");
  t->url = rg_hub_resolve_url (job->config->endpoint, job->config->repo, job->config->revision, file->name);
  t->target = (RgFetchTarget) {
    .endpoint = job->config->endpoint,
    .repo = job->config->repo,
    .revision = job->config->revision,
    .name = file->name,
    .url = t->url,
    .final_path = t->final_path,
    .part_path = t->part_path,
    .size = file->size,
    .sha256 = file->sha256,
  };
}

static void
job_target_clear (JobTarget *t)
{
  g_clear_pointer (&t->url, g_free);
  g_clear_pointer (&t->final_path, g_free);
  g_clear_pointer (&t->part_path, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (JobTarget, job_target_clear)

/* Fetches one file unless it is in place already. */
static gboolean
fetch_one (Job *job, guint index, GCancellable *cancellable, GError **error)
{
  RgHubFile *file = g_ptr_array_index (job->files, index);
  g_auto(JobTarget) t = { 0 };
  gint64 size;

  job_target_init (&t, job, file);
  job->p.file = file->name;
  job->p.file_index = index;
  job->counted_size = file->size;
  if (rg_fetch_file_size (t.final_path) < 0)
    {
      /* The bytes already in the .part were counted as done. */
      job->files_done_bytes -= MAX (rg_fetch_file_size (t.part_path), 0);
      emit (job, TRUE);
      if (!rg_fetch_file (job->http, &t.target, on_fetch_progress, job, cancellable, error))
        return FALSE;
      size = rg_fetch_file_size (t.final_path);
      if (job->counted_size < 0)
        job->p.total_bytes += size;
      job->files_done_bytes += size;
      job->p.done_bytes = job->files_done_bytes;
    }
  emit (job, TRUE);
  return TRUE;
}

/* The small index file, fetched before anything else and without
 * progress: the download's size is not known until it is here. */
static gboolean
fetch_index (Job *job, RgHubFile *file, GCancellable *cancellable, GError **error)
{
  g_auto(JobTarget) t = { 0 };

  job_target_init (&t, job, file);
  if (rg_fetch_file_size (t.final_path) >= 0)
    return TRUE;
  return rg_fetch_file (job->http, &t.target, NULL, NULL, cancellable, error);
}

static RgHttpResponse *
send_checked (Job *job, const char *method, const char *url, const char *file,
              GCancellable *cancellable, GError **error)
{
  g_autoptr(RgHttpResponse) response = rg_http_send (job->http, method, url, -1, cancellable, error);
  guint status;

  if (response == NULL)
    return NULL;
  status = soup_message_get_status (response->msg);
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      g_propagate_error (error, rg_hub_status_error (status, soup_message_get_reason_phrase (response->msg),
                                                     job->config->endpoint, job->config->repo,
                                                     job->config->revision, file));
      return NULL;
    }
  return g_steal_pointer (&response);
}

static RgHubRevision *
fetch_revision (Job *job, GCancellable *cancellable, GError **error)
{
  g_autofree char *url = rg_hub_api_url (job->config->endpoint, job->config->repo,
                                         job->config->revision);
  g_autoptr(RgHttpResponse) response = send_checked (job, "GET", url, NULL, cancellable, error);
  g_autoptr(GBytes) body = NULL;

  if (response == NULL)
    return NULL;
  body = rg_http_read_all (response, API_MAX_BYTES, cancellable, error);
  return body ? rg_hub_revision_parse (body, error) : NULL;
}

/* Adds the shards the (fetched) index names, with the sizes and hashes the
 * API gave. */
static gboolean
add_shards (Job *job, RgHubRevision *rev, GError **error)
{
  g_autofree char *index_path = file_path (job, "model.safetensors.index.json", NULL);
  g_autoptr(GBytes) index = NULL;
  g_auto(GStrv) shards = NULL;
  char *contents = NULL;
  gsize len = 0;

  if (!rg_file_get_contents_max (index_path, RG_FILE_MAX_JSON, &contents, &len, error))
    return FALSE;
  index = g_bytes_new_take (contents, len);
  shards = rg_hub_index_shards (index, error);
  if (shards == NULL)
    return FALSE;
  for (guint i = 0; shards[i] != NULL; i++)
    {
      RgHubFile *file = rg_hub_revision_lookup (rev, shards[i]);

      if (file == NULL)
        {
          g_set_error (error, REGARD_DOWNLOAD_ERROR, REGARD_DOWNLOAD_ERROR_NOT_FOUND,
                       "model.safetensors.index.json names %s, which %s does not have",
                       shards[i], job->config->repo);
          return FALSE;
        }
      g_ptr_array_add (job->files, rg_hub_file_new (file->name, file->size, file->sha256));
    }
  job->p.n_files = job->files->len;
  return TRUE;
}

/* Weights whose size the API left out are asked for with HEAD, so the disk
 * space check counts them. */
static gboolean
learn_sizes (Job *job, guint first, GCancellable *cancellable, GError **error)
{
  for (guint i = first; i < job->files->len; i++)
    {
      RgHubFile *file = g_ptr_array_index (job->files, i);
      g_autofree char *final_path = file_path (job, file->name, NULL);
      g_autofree char *url = NULL;
      g_autoptr(RgHttpResponse) response = NULL;
      SoupMessageHeaders *headers;

      if (file->size >= 0 || !g_str_has_suffix (file->name, ".safetensors")
          || rg_fetch_file_size (final_path) >= 0)
        continue;
      url = rg_hub_resolve_url (job->config->endpoint, job->config->repo,
                                job->config->revision, file->name);
      response = send_checked (job, "HEAD", url, file->name, cancellable, error);
      if (response == NULL)
        return FALSE;
      headers = soup_message_get_response_headers (response->msg);
      if (response->linked_size >= 0)
        file->size = response->linked_size;
      else if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH)
        file->size = soup_message_headers_get_content_length (headers);
      if (file->sha256 == NULL && response->linked_sha256 != NULL)
        file->sha256 = g_strdup (response->linked_sha256);
    }
  return TRUE;
}

/* Totals what is in place or in .part files, and checks the disk can hold
 * the rest. A file in place with the wrong size is stale: it is dropped. */
static gboolean
count_and_check_space (Job *job, guint first, GCancellable *cancellable, GError **error)
{
  g_autoptr(GFile) dest = g_file_new_for_path (job->config->dest_dir);
  g_autoptr(GFileInfo) info = NULL;
  guint64 needed = 0, free_bytes;

  for (guint i = first; i < job->files->len; i++)
    {
      RgHubFile *file = g_ptr_array_index (job->files, i);
      g_autofree char *final_path = file_path (job, file->name, NULL);
      g_autofree char *part_path = file_path (job, file->name, ".part");
      gint64 have = rg_fetch_file_size (final_path);

      if (have >= 0 && file->size >= 0 && have != file->size)
        {
          g_unlink (final_path);
          have = -1;
        }
      if (have < 0)
        have = MAX (rg_fetch_file_size (part_path), 0);
      else
        file->size = have;
      job->files_done_bytes += have;
      if (file->size >= 0)
        {
          job->p.total_bytes += file->size;
          if (file->size > have)
            needed += file->size - have;
        }
    }
  job->p.done_bytes = job->files_done_bytes;

  if (job->config->free_space_override >= 0)
    free_bytes = job->config->free_space_override;
  else
    {
      info = g_file_query_filesystem_info (dest, G_FILE_ATTRIBUTE_FILESYSTEM_FREE, cancellable, NULL);
      if (info == NULL || !g_file_info_has_attribute (info, G_FILE_ATTRIBUTE_FILESYSTEM_FREE))
        return TRUE;  /* unknown: the writes themselves will tell */
      free_bytes = g_file_info_get_attribute_uint64 (info, G_FILE_ATTRIBUTE_FILESYSTEM_FREE);
    }
  if (needed > free_bytes)
    {
      g_autofree char *need_s = g_format_size (needed);
      g_autofree char *free_s = g_format_size (free_bytes);

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                   "Not enough disk space in %s: %s still to download, %s free",
                   job->config->dest_dir, need_s, free_s);
      return FALSE;
    }
  return TRUE;
}

static gboolean
run_job (Job *job, GCancellable *cancellable, GError **error)
{
  g_autoptr(RgHubRevision) rev = NULL;
  gboolean has_index = FALSE;

  emit (job, TRUE);
  rev = fetch_revision (job, cancellable, error);
  if (rev == NULL)
    return FALSE;
  job->files = rg_hub_choose_files (rev, job->config->repo, &has_index, error);
  if (job->files == NULL)
    return FALSE;
  job->p.n_files = job->files->len;

  if (g_mkdir_with_parents (job->config->dest_dir, 0755) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Cannot create %s: %s", job->config->dest_dir, g_strerror (saved));
      return FALSE;
    }

  /* The index comes first, alone: the shards it names are part of the
   * space check and of the total. */
  if (has_index
      && (!fetch_index (job, g_ptr_array_index (job->files, job->files->len - 1), cancellable, error)
          || !add_shards (job, rev, error)))
    return FALSE;
  if (!learn_sizes (job, 0, cancellable, error)
      || !count_and_check_space (job, 0, cancellable, error))
    return FALSE;
  job->p.phase = REGARD_DOWNLOAD_PHASE_FETCHING;
  for (guint i = 0; i < job->files->len; i++)
    if (!fetch_one (job, i, cancellable, error))
      return FALSE;

  job->p.phase = REGARD_DOWNLOAD_PHASE_DONE;
  job->p.file = NULL;
  job->p.eta_seconds = 0;
  emit (job, TRUE);
  return TRUE;
}

gboolean
rg_download_run (const RgDownloadConfig *config,
                 RegardDownloadProgressFunc progress, gpointer progress_data,
                 GCancellable *cancellable, GError **error)
{
  Job job = {
    .config = config,
    .func = progress,
    .func_data = progress_data,
    .p = { .phase = REGARD_DOWNLOAD_PHASE_RESOLVING, .eta_seconds = -1 },
  };
  gboolean ok;

  job.http = rg_http_new (config->endpoint, config->token);
  ok = run_job (&job, cancellable, error);
  rg_http_free (job.http);
  g_clear_pointer (&job.files, g_ptr_array_unref);
  return ok;
}
