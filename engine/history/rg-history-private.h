/* rg-history-private.h: the store's internals, shared by its files and
 * reached by tests (e.g. to fill a disk with PRAGMA max_page_count). */
#pragma once

#include <sqlite3.h>

#include "regard-history.h"

struct _RegardHistory
{
  sqlite3 *db;
  char *path;
  char *images_dir;
  gboolean read_only;
  char *broken_path;      /* where a bad file was moved, or NULL */
  GError *broken_reason;
  gboolean in_batch;      /* inside regard_history_batch_begin/end */
};

/* Sets ERROR from the database's last error, in the store's domain
 * (SQLITE_FULL: DISK_FULL, SQLITE_CORRUPT/NOTADB: CORRUPT, BUSY/LOCKED:
 * LOCKED), prefixed with WHAT. Returns FALSE. */
gboolean rg_history_fail (sqlite3 *db, int rc, GError **error, const char *what);
gboolean rg_history_exec (RegardHistory *history, const char *sql, GError **error);

/* Schema: creates or migrates DB to the current version (in one
 * transaction per step). */
gboolean rg_history_migrate (sqlite3 *db, GError **error);

/* Images: stores BYTES under their hash (the file first, then the row),
 * returns the hash. */
char *rg_history_store_image (RegardHistory *history, GBytes *bytes, GError **error);
/* Deletes image rows and files that no turn refers to any more. */
gboolean rg_history_collect_images (RegardHistory *history, GError **error);
char *rg_history_image_path (RegardHistory *history, const char *hash, const char *ext);

/* Write helpers used inside transactions. */
gboolean rg_history_begin (RegardHistory *history, GError **error);
gboolean rg_history_commit (RegardHistory *history, GError **error);
void rg_history_rollback (RegardHistory *history);

sqlite3 *rg_history_get_db (RegardHistory *history);
