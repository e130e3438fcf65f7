/* rg-history-schema.c: the schema and its migrations. PRAGMA user_version
 * is the schema version; each step runs in its own transaction and is
 * never edited once released: a change is a new step. */
#include "rg-history-private.h"

static const char *const steps[] = {
  /* 0 -> 1: chats, turns, content-addressed images. */
  "CREATE TABLE chats ("
  "  id INTEGER PRIMARY KEY,"
  "  title TEXT NOT NULL DEFAULT '',"
  "  created_us INTEGER NOT NULL,"
  "  updated_us INTEGER NOT NULL,"
  "  model_id TEXT NOT NULL DEFAULT '',"
  "  weight_format TEXT NOT NULL DEFAULT '');"
  "CREATE INDEX chats_updated ON chats (updated_us DESC, id DESC);"
  "CREATE TABLE turns ("
  "  id INTEGER PRIMARY KEY,"
  "  chat_id INTEGER NOT NULL REFERENCES chats (id) ON DELETE CASCADE,"
  "  created_us INTEGER NOT NULL,"
  "  question TEXT NOT NULL,"
  "  answer TEXT NOT NULL DEFAULT '',"
  "  stop_reason TEXT," /* NULL while the answer streams */
  "  prompt_tokens INTEGER NOT NULL DEFAULT 0,"
  "  cached_tokens INTEGER NOT NULL DEFAULT 0,"
  "  generated_tokens INTEGER NOT NULL DEFAULT 0,"
  "  image_encode_ms REAL NOT NULL DEFAULT 0,"
  "  prefill_ms REAL NOT NULL DEFAULT 0,"
  "  decode_tokens_per_s REAL NOT NULL DEFAULT 0);"
  "CREATE INDEX turns_chat ON turns (chat_id, id);"
  "CREATE TABLE images ("
  "  hash TEXT PRIMARY KEY," /* SHA-256 of the bytes, lowercase hex */
  "  ext TEXT NOT NULL,"
  "  size INTEGER NOT NULL);"
  "CREATE TABLE turn_images ("
  "  turn_id INTEGER NOT NULL REFERENCES turns (id) ON DELETE CASCADE,"
  "  position INTEGER NOT NULL,"
  "  hash TEXT NOT NULL REFERENCES images (hash),"
  "  PRIMARY KEY (turn_id, position));"
  "CREATE INDEX turn_images_hash ON turn_images (hash);",

  /* 1 -> 2: full-text search over questions and answers (FTS5, external
   * content kept in step by triggers). */
  "CREATE VIRTUAL TABLE turns_fts USING fts5 ("
  "  question, answer, content='turns', content_rowid='id',"
  "  tokenize='unicode61 remove_diacritics 2');"
  "CREATE TRIGGER turns_fts_insert AFTER INSERT ON turns BEGIN"
  "  INSERT INTO turns_fts (rowid, question, answer) VALUES (new.id, new.question, new.answer);"
  " END;"
  "CREATE TRIGGER turns_fts_delete AFTER DELETE ON turns BEGIN"
  "  INSERT INTO turns_fts (turns_fts, rowid, question, answer)"
  "    VALUES ('delete', old.id, old.question, old.answer);"
  " END;"
  "CREATE TRIGGER turns_fts_update AFTER UPDATE OF question, answer ON turns BEGIN"
  "  INSERT INTO turns_fts (turns_fts, rowid, question, answer)"
  "    VALUES ('delete', old.id, old.question, old.answer);"
  "  INSERT INTO turns_fts (rowid, question, answer) VALUES (new.id, new.question, new.answer);"
  " END;"
  "INSERT INTO turns_fts (turns_fts) VALUES ('rebuild');",
};

G_STATIC_ASSERT (G_N_ELEMENTS (steps) == 2);

static int
read_version (sqlite3 *db, int *version)
{
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &st, NULL);

  if (rc == SQLITE_OK)
    {
      rc = sqlite3_step (st);
      if (rc == SQLITE_ROW)
        {
          *version = sqlite3_column_int (st, 0);
          rc = SQLITE_OK;
        }
    }
  sqlite3_finalize (st);
  return rc;
}

gboolean
rg_history_migrate (sqlite3 *db, GError **error)
{
  int version = 0;
  int rc = read_version (db, &version);

  if (rc != SQLITE_OK)
    return rg_history_fail (db, rc, error, "Cannot read the history schema version");
  if (version > (int) G_N_ELEMENTS (steps))
    {
      g_set_error (error, REGARD_HISTORY_ERROR, REGARD_HISTORY_ERROR_TOO_NEW,
                   "The history database was written by a newer Regard (schema %d, this one knows %u)",
                   version, (guint) G_N_ELEMENTS (steps));
      return FALSE;
    }
  while (version < (int) G_N_ELEMENTS (steps))
    {
      g_autofree char *sql = NULL;

      /* Another process may have migrated while we waited for the lock:
       * read the version again inside the transaction. */
      rc = sqlite3_exec (db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
      if (rc == SQLITE_OK)
        rc = read_version (db, &version);
      if (rc == SQLITE_OK && version >= (int) G_N_ELEMENTS (steps))
        {
          sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
          return TRUE;
        }
      if (rc == SQLITE_OK)
        {
          sql = g_strdup_printf ("%s PRAGMA user_version = %d; COMMIT;", steps[version], version + 1);
          rc = sqlite3_exec (db, sql, NULL, NULL, NULL);
        }
      if (rc != SQLITE_OK)
        {
          g_autofree char *what = g_strdup_printf ("Cannot migrate the history database to version %d",
                                                   version + 1);
          rg_history_fail (db, rc, error, what);
          if (!sqlite3_get_autocommit (db))
            sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
          return FALSE;
        }
      version++;
    }
  return TRUE;
}
