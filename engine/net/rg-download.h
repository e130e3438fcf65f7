/* rg-download.h: a whole model download, blocking, for a worker thread:
 * asks the hub API which files the revision has, chooses the ones the model
 * needs, checks the free disk space against what is still to fetch, then
 * fetches each file (rg-fetch.h) and reports progress with a rate and ETA. */
#pragma once

#include "regard-download.h"

G_BEGIN_DECLS

typedef struct
{
  char *repo;        /* "owner/name" */
  char *revision;
  char *endpoint;
  char *token;       /* NULL: none */
  char *dest_dir;
  /* Tests: bytes taken as free on the destination; -1 asks the filesystem. */
  gint64 free_space_override;
} RgDownloadConfig;

void rg_download_config_clear (RgDownloadConfig *config);

/* PROGRESS runs on the calling thread, at most every 100 ms except at
 * phase and file changes. Returns FALSE with ERROR set on failure. */
gboolean rg_download_run (const RgDownloadConfig *config,
                          RegardDownloadProgressFunc progress, gpointer progress_data,
                          GCancellable *cancellable, GError **error);

G_END_DECLS
