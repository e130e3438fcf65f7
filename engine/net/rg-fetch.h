/* rg-fetch.h: one file from the hub into place. The bytes go to a .part
 * file that survives cancellation, network loss and process restarts; a
 * later fetch hashes what the .part holds and asks only for the rest with
 * an HTTP Range request. The file is renamed into place once its size and
 * (for LFS files) SHA-256 match; a mismatch deletes the .part. Blocking:
 * for the download worker thread. */
#pragma once

#include "rg-http.h"

G_BEGIN_DECLS

typedef struct
{
  const char *endpoint;   /* for error messages */
  const char *repo;
  const char *revision;
  const char *name;       /* path inside the repository */
  const char *url;        /* resolve URL */
  const char *final_path;
  const char *part_path;
  gint64 size;            /* expected bytes, -1 while unknown */
  const char *sha256;     /* expected lowercase hex, NULL while unknown */
} RgFetchTarget;

/* Called as bytes arrive: FILE_DONE of FILE_SIZE (-1 while unknown). */
typedef void (*RgFetchProgressFunc) (guint64 file_done, gint64 file_size, gpointer user_data);

/* Transient transfer failures are retried this many times, resuming. */
#define RG_FETCH_MAX_RETRIES 4

gboolean rg_fetch_file (RgHttp *http, const RgFetchTarget *target,
                        RgFetchProgressFunc progress, gpointer progress_data,
                        GCancellable *cancellable, GError **error);

/* Size of a file, -1 when it does not exist. */
gint64 rg_fetch_file_size (const char *path);

G_END_DECLS
