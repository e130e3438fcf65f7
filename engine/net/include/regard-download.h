/* regard-download.h: fetch IDEFICS2 models from the Hugging Face hub.
 *
 * A download resolves a repository at a revision through the hub API,
 * keeps the files the model needs (configs, tokenizer, safetensors
 * weights), and fetches each into $XDG_DATA_HOME/regard/models/OWNER/NAME.
 * Bytes go into NAME.part first; a stopped transfer (cancel, network loss,
 * crash) resumes from the .part with an HTTP Range request. Each file is
 * checked (SHA-256 for LFS files, size for the others) before it is renamed
 * into place; a corrupted file is deleted and reported.
 *
 * Usage (error handling shortened):
 *
 *   RegardDownloadParams params = regard_download_params_default ();
 *   params.repo = "HuggingFaceM4/idefics2-8b";
 *   RegardDownload *dl = regard_download_new (&params, &error);
 *
 *   regard_download_run_async (dl, cancellable, on_progress, g_object_ref (self),
 *                              g_object_unref, on_downloaded, self);
 *   // on_progress (const RegardDownloadProgress *p, self):
 *   //   p->done_bytes of p->total_bytes, p->bytes_per_second, p->eta_seconds
 *   // on_downloaded: char *dir = regard_download_run_finish (dl, result, &error);
 *   //   then regard_engine_load_async (engine, dir, ...)
 *
 *   regard_download_free (dl);
 *
 * Thread-safety contract: a RegardDownload is created, run and freed on one
 * thread, the "client" thread; its thread-default GMainContext at the time
 * of regard_download_run_async() receives every progress callback and the
 * completion callback, in order (the last progress comes before completion).
 * The transfer itself runs on a worker thread, so the client never blocks.
 * One run at a time per RegardDownload; do not free it while a run is in
 * flight. PROGRESS_DESTROY (may be NULL) is called with PROGRESS_DATA on
 * that context once the last progress call is done. Cancelling the GCancellable stops the transfer within one read and
 * keeps the .part for a later resume (the error is G_IO_ERROR_CANCELLED).
 * Errors come back in the REGARD_DOWNLOAD_ERROR domain, or G_IO_ERROR for
 * local files (G_IO_ERROR_NO_SPACE when the disk is full or too small).
 * The model functions below are plain synchronous calls, safe from any
 * thread.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define REGARD_DOWNLOAD_ERROR (regard_download_error_quark ())
GQuark regard_download_error_quark (void);

typedef enum
{
  REGARD_DOWNLOAD_ERROR_FAILED,        /* anything not listed below */
  REGARD_DOWNLOAD_ERROR_INVALID_REPO,  /* not an OWNER/NAME[@REVISION] id */
  REGARD_DOWNLOAD_ERROR_UNAUTHORIZED,  /* 401/403: gated or private, set HF_TOKEN */
  REGARD_DOWNLOAD_ERROR_NOT_FOUND,     /* 404: repository, revision or file */
  REGARD_DOWNLOAD_ERROR_NETWORK,       /* the host cannot be reached, or the transfer broke */
  REGARD_DOWNLOAD_ERROR_CHECKSUM,      /* bytes differ from the hub's SHA-256 or size */
  REGARD_DOWNLOAD_ERROR_NO_WEIGHTS,    /* no safetensors weights in the repository */
  REGARD_DOWNLOAD_ERROR_HTTP,          /* another HTTP error status */
  REGARD_DOWNLOAD_ERROR_NOT_INSTALLED, /* regard_model_resolve without downloading */
} RegardDownloadError;

typedef struct
{
  const char *repo;      /* "owner/name"; may end in "@revision" */
  const char *revision;  /* NULL: the one in repo, else "main" */
  /* NULL: $REGARD_HF_ENDPOINT, else https://huggingface.co */
  const char *endpoint;
  /* NULL: $HF_TOKEN. Sent only to the endpoint's origin, never to the
   * CDN hosts the hub redirects to. "" sends none. */
  const char *token;
  /* NULL: regard_models_dir () / owner / name */
  const char *dest_dir;
} RegardDownloadParams;

RegardDownloadParams regard_download_params_default (void);

typedef enum
{
  REGARD_DOWNLOAD_PHASE_RESOLVING,  /* asking the hub which files exist */
  REGARD_DOWNLOAD_PHASE_FETCHING,   /* transferring (or re-hashing a .part) */
  REGARD_DOWNLOAD_PHASE_DONE,       /* every file is verified and in place */
} RegardDownloadPhase;

typedef struct
{
  RegardDownloadPhase phase;
  const char *file;          /* the file in progress, NULL outside FETCHING */
  guint file_index;          /* 0-based index of FILE among N_FILES */
  guint n_files;
  guint64 done_bytes;        /* includes bytes kept from earlier runs */
  guint64 total_bytes;       /* 0 while unknown; grows as sizes become known */
  double bytes_per_second;   /* recent transfer rate, 0 until measured */
  double eta_seconds;        /* -1 while unknown */
} RegardDownloadProgress;

/* PROGRESS is valid only during the call. */
typedef void (*RegardDownloadProgressFunc) (const RegardDownloadProgress *progress,
                                            gpointer user_data);

typedef struct _RegardDownload RegardDownload;

RegardDownload *regard_download_new (const RegardDownloadParams *params, GError **error);
void regard_download_free (RegardDownload *download);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RegardDownload, regard_download_free)

const char *regard_download_get_repo (RegardDownload *download);
const char *regard_download_get_revision (RegardDownload *download);
/* The folder the files land in. */
const char *regard_download_get_dest_dir (RegardDownload *download);

void regard_download_run_async (RegardDownload *download,
                                GCancellable *cancellable,
                                RegardDownloadProgressFunc progress,
                                gpointer progress_data,
                                GDestroyNotify progress_destroy,
                                GAsyncReadyCallback callback,
                                gpointer user_data);
/* Returns the model folder (free with g_free), or NULL with ERROR set. */
char *regard_download_run_finish (RegardDownload *download, GAsyncResult *result, GError **error);
/* Synchronous variant for tools: PROGRESS runs on the calling thread. */
char *regard_download_run (RegardDownload *download, GCancellable *cancellable,
                           RegardDownloadProgressFunc progress, gpointer progress_data,
                           GError **error);

/* ---- Installed models ------------------------------------------------- */

/* Splits "owner/name[@revision]" (revision NULL when absent) and checks the
 * id cannot escape the models folder. */
gboolean regard_repo_ref_parse (const char *ref, char **repo, char **revision, GError **error);

/* $XDG_DATA_HOME/regard/models */
char *regard_models_dir (void);

typedef struct
{
  char *repo;        /* "owner/name" */
  char *path;        /* absolute folder */
  guint64 size;      /* bytes on disk, .part files included */
  gboolean complete; /* config and every weight file present, no .part */
} RegardInstalledModel;

void regard_installed_model_free (RegardInstalledModel *model);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RegardInstalledModel, regard_installed_model_free)

/* RegardInstalledModel items sorted by repo, complete or partial. */
GPtrArray *regard_models_list_installed (GError **error);

/* The folder of a complete installed model, or NULL. */
char *regard_model_find_installed (const char *repo);

/* MODEL_OR_REPO is a model folder, or a repo id "owner/name[@revision]".
 * A folder is returned as an absolute path; a repo id resolves to its
 * installed folder, downloading it first (PROGRESS on the calling thread)
 * when DOWNLOAD_IF_MISSING, else REGARD_DOWNLOAD_ERROR_NOT_INSTALLED. */
char *regard_model_resolve (const char *model_or_repo,
                            gboolean download_if_missing,
                            GCancellable *cancellable,
                            RegardDownloadProgressFunc progress,
                            gpointer progress_data,
                            GError **error);

G_END_DECLS
