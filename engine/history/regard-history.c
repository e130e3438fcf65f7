/* regard-history.c: opening the history database, moving a damaged one
 * aside, and the error mapping every other file uses. */
#include "rg-history-private.h"

#include <errno.h>
#include <glib/gstdio.h>

G_DEFINE_QUARK (regard-history-error-quark, regard_history_error)

RegardHistoryParams
regard_history_params_default (void)
{
  return (RegardHistoryParams) { .busy_timeout_ms = 5000 };
}

gboolean
rg_history_fail (sqlite3 *db, int rc, GError **error, const char *what)
{
  int code = REGARD_HISTORY_ERROR_FAILED;

  switch (rc & 0xff)
    {
    case SQLITE_FULL: code = REGARD_HISTORY_ERROR_DISK_FULL; break;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: code = REGARD_HISTORY_ERROR_CORRUPT; break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: code = REGARD_HISTORY_ERROR_LOCKED; break;
    default: break;
    }
  g_set_error (error, REGARD_HISTORY_ERROR, code, "%s: %s", what,
               db && sqlite3_errcode (db) == rc ? sqlite3_errmsg (db) : sqlite3_errstr (rc));
  return FALSE;
}

gboolean
rg_history_exec (RegardHistory *history, const char *sql, GError **error)
{
  int rc = sqlite3_exec (history->db, sql, NULL, NULL, NULL);

  if (rc != SQLITE_OK)
    return rg_history_fail (history->db, rc, error, "History database");
  return TRUE;
}

gboolean
rg_history_begin (RegardHistory *history, GError **error)
{
  /* In a batch, a savepoint: a failed call undoes itself, not the batch.
   * Otherwise IMMEDIATE: take the write lock now, so a busy database
   * fails here rather than halfway through. */
  return rg_history_exec (history, history->in_batch ? "SAVEPOINT rg_write" : "BEGIN IMMEDIATE", error);
}

gboolean
rg_history_commit (RegardHistory *history, GError **error)
{
  if (!rg_history_exec (history, history->in_batch ? "RELEASE rg_write" : "COMMIT", error))
    {
      rg_history_rollback (history);
      return FALSE;
    }
  return TRUE;
}

void
rg_history_rollback (RegardHistory *history)
{
  if (history->in_batch)
    sqlite3_exec (history->db, "ROLLBACK TO rg_write; RELEASE rg_write", NULL, NULL, NULL);
  else if (!sqlite3_get_autocommit (history->db))
    sqlite3_exec (history->db, "ROLLBACK", NULL, NULL, NULL);
}

gboolean
regard_history_batch_begin (RegardHistory *history, GError **error)
{
  g_return_val_if_fail (!history->in_batch, FALSE);
  if (history->read_only)
    {
      g_set_error (error, REGARD_HISTORY_ERROR, REGARD_HISTORY_ERROR_FAILED,
                   "The history was opened read-only");
      return FALSE;
    }
  if (!rg_history_exec (history, "BEGIN IMMEDIATE", error))
    return FALSE;
  history->in_batch = TRUE;
  return TRUE;
}

gboolean
regard_history_batch_end (RegardHistory *history, gboolean commit, GError **error)
{
  g_return_val_if_fail (history->in_batch, FALSE);
  history->in_batch = FALSE;
  if (!commit)
    {
      sqlite3_exec (history->db, "ROLLBACK", NULL, NULL, NULL);
      return TRUE;
    }
  if (!rg_history_exec (history, "COMMIT", error))
    {
      sqlite3_exec (history->db, "ROLLBACK", NULL, NULL, NULL);
      return FALSE;
    }
  return TRUE;
}

sqlite3 *
rg_history_get_db (RegardHistory *history)
{
  return history->db;
}

guint
regard_history_schema_version (void)
{
  return 2;
}

static int
read_user_version (sqlite3 *db, int *version)
{
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &st, NULL);

  if (rc == SQLITE_OK && (rc = sqlite3_step (st)) == SQLITE_ROW)
    {
      *version = sqlite3_column_int (st, 0);
      rc = SQLITE_OK;
    }
  sqlite3_finalize (st);
  return rc;
}

static sqlite3 *
open_db (const char *path, const RegardHistoryParams *params, GError **error)
{
  sqlite3 *db = NULL;
  int flags = params->read_only ? SQLITE_OPEN_READONLY
                                : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  int rc = sqlite3_open_v2 (path, &db, flags | SQLITE_OPEN_NOMUTEX, NULL);
  int version = 0;

  if (rc != SQLITE_OK)
    {
      rg_history_fail (db, rc, error, "Cannot open the history database");
      sqlite3_close (db);
      return NULL;
    }
  sqlite3_extended_result_codes (db, 0);
  sqlite3_busy_timeout (db, params->busy_timeout_ms ? (int) params->busy_timeout_ms : 5000);

  /* The first statements read the header: a file that is not a database,
   * or one another process holds exclusively, fails here. */
  rc = sqlite3_exec (db, "PRAGMA foreign_keys=ON; SELECT count(*) FROM sqlite_master;",
                     NULL, NULL, NULL);
  if (rc == SQLITE_OK)
    rc = read_user_version (db, &version);
  if (rc != SQLITE_OK)
    {
      rg_history_fail (db, rc, error, "Cannot read the history database");
      sqlite3_close (db);
      return NULL;
    }
  /* Checked before anything writes (even the journal mode): a newer
   * Regard's file stays exactly as it was. */
  if (version > (int) regard_history_schema_version ()
      || (params->read_only && version != (int) regard_history_schema_version ()))
    {
      g_set_error (error, REGARD_HISTORY_ERROR,
                   version > (int) regard_history_schema_version ()
                     ? REGARD_HISTORY_ERROR_TOO_NEW : REGARD_HISTORY_ERROR_FAILED,
                   "The history database has schema version %d; this Regard uses version %u",
                   version, regard_history_schema_version ());
      sqlite3_close (db);
      return NULL;
    }
  if (!params->read_only)
    {
      rc = sqlite3_exec (db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", NULL, NULL, NULL);
      if (rc != SQLITE_OK)
        {
          rg_history_fail (db, rc, error, "Cannot open the history database for writing");
          sqlite3_close (db);
          return NULL;
        }
      if (!rg_history_migrate (db, error))
        {
          sqlite3_close (db);
          return NULL;
        }
    }
  return db;
}

/* Renames PATH and its -wal and -shm companions to PATH.broken-DATE[-N]. */
static char *
move_aside (const char *path, GError **error)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");
  g_autofree char *target = g_strdup_printf ("%s.broken-%s", path, stamp);
  static const char *const companions[] = { "-wal", "-shm", "-journal" };

  for (guint n = 2; g_file_test (target, G_FILE_TEST_EXISTS); n++)
    {
      g_free (target);
      target = g_strdup_printf ("%s.broken-%s-%u", path, stamp, n);
    }
  if (g_rename (path, target) != 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Cannot move the damaged history database aside: %s", g_strerror (saved));
      return NULL;
    }
  for (guint i = 0; i < G_N_ELEMENTS (companions); i++)
    {
      g_autofree char *from = g_strconcat (path, companions[i], NULL);
      g_autofree char *to = g_strconcat (target, companions[i], NULL);

      if (g_file_test (from, G_FILE_TEST_EXISTS))
        g_rename (from, to);
    }
  return g_steal_pointer (&target);
}

RegardHistory *
regard_history_open (const RegardHistoryParams *params, GError **error)
{
  RegardHistoryParams defaults = regard_history_params_default ();
  g_autoptr(RegardHistory) history = g_new0 (RegardHistory, 1);
  g_autoptr(GError) local_error = NULL;
  g_autofree char *dir = NULL;

  if (params == NULL)
    params = &defaults;
  history->read_only = params->read_only;
  history->path = params->path
                    ? g_strdup (params->path)
                    : g_build_filename (g_get_user_data_dir (), "regard", "history.sqlite3", NULL);
  dir = g_path_get_dirname (history->path);
  history->images_dir = params->images_dir ? g_strdup (params->images_dir)
                                           : g_build_filename (dir, "images", NULL);
  if (!params->read_only
      && (g_mkdir_with_parents (dir, 0700) != 0 || g_mkdir_with_parents (history->images_dir, 0700) != 0))
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Cannot create the history folder %s: %s", dir, g_strerror (saved));
      return NULL;
    }

  history->db = open_db (history->path, params, &local_error);
  if (history->db == NULL)
    {
      /* A damaged or stuck file must not keep the app from starting: move
       * it aside (never delete it) and start afresh. A newer schema is
       * not damage: leave it alone. */
      if (params->read_only
          || !(g_error_matches (local_error, REGARD_HISTORY_ERROR, REGARD_HISTORY_ERROR_CORRUPT)
               || g_error_matches (local_error, REGARD_HISTORY_ERROR, REGARD_HISTORY_ERROR_LOCKED)))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      history->broken_path = move_aside (history->path, error);
      if (history->broken_path == NULL)
        return NULL;
      history->broken_reason = g_steal_pointer (&local_error);
      g_message ("History database %s unusable (%s); moved to %s, starting a new one",
                 history->path, history->broken_reason->message, history->broken_path);
      history->db = open_db (history->path, params, error);
      if (history->db == NULL)
        return NULL;
    }
  return g_steal_pointer (&history);
}

void
regard_history_close (RegardHistory *history)
{
  if (history == NULL)
    return;
  if (history->db)
    sqlite3_close (history->db);
  g_free (history->path);
  g_free (history->images_dir);
  g_free (history->broken_path);
  g_clear_error (&history->broken_reason);
  g_free (history);
}

const char *
regard_history_get_path (RegardHistory *history)
{
  return history->path;
}

const char *
regard_history_get_images_dir (RegardHistory *history)
{
  return history->images_dir;
}

const char *
regard_history_get_recovery (RegardHistory *history, const GError **reason)
{
  if (reason)
    *reason = history->broken_reason;
  return history->broken_path;
}
