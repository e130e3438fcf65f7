/* rg-history-chats.c: reading and writing chats and turns. Every public
 * write is one transaction, committed before it returns. */
#include "rg-history-private.h"

#include <string.h>

#define CHAT_COLUMNS \
  "c.id, c.title, c.created_us, c.updated_us, c.model_id, c.weight_format," \
  " (SELECT count(*) FROM turns t WHERE t.chat_id = c.id)"

void
regard_history_chat_free (RegardHistoryChat *chat)
{
  if (chat == NULL)
    return;
  g_free (chat->title);
  g_free (chat->model_id);
  g_free (chat->weight_format);
  g_free (chat);
}

void
regard_history_turn_free (RegardHistoryTurn *turn)
{
  if (turn == NULL)
    return;
  g_free (turn->question);
  g_strfreev (turn->images);
  g_free (turn->answer);
  g_free (turn->stop_reason);
  g_free (turn);
}

static char *
column_dup (sqlite3_stmt *st, int col)
{
  const char *s = (const char *) sqlite3_column_text (st, col);

  return g_strdup (s ? s : "");
}

static RegardHistoryChat *
chat_from_row (sqlite3_stmt *st)
{
  RegardHistoryChat *chat = g_new0 (RegardHistoryChat, 1);

  chat->id = sqlite3_column_int64 (st, 0);
  chat->title = column_dup (st, 1);
  chat->created_us = sqlite3_column_int64 (st, 2);
  chat->updated_us = sqlite3_column_int64 (st, 3);
  chat->model_id = column_dup (st, 4);
  chat->weight_format = column_dup (st, 5);
  chat->n_turns = (guint) sqlite3_column_int (st, 6);
  return chat;
}

static gboolean
prepare (RegardHistory *history, const char *sql, sqlite3_stmt **st, GError **error)
{
  int rc = sqlite3_prepare_v2 (history->db, sql, -1, st, NULL);

  if (rc != SQLITE_OK)
    return rg_history_fail (history->db, rc, error, "History query failed");
  return TRUE;
}

/* Steps ST to the end, collecting chats. */
static GPtrArray *
collect_chats (RegardHistory *history, sqlite3_stmt *st, GError **error)
{
  g_autoptr(GPtrArray) chats = g_ptr_array_new_with_free_func ((GDestroyNotify) regard_history_chat_free);
  int rc;

  while ((rc = sqlite3_step (st)) == SQLITE_ROW)
    g_ptr_array_add (chats, chat_from_row (st));
  if (rc != SQLITE_DONE)
    {
      rg_history_fail (history->db, rc, error, "Cannot read the history");
      return NULL;
    }
  return g_steal_pointer (&chats);
}

GPtrArray *
regard_history_list_chats (RegardHistory *history, guint offset, guint limit, GError **error)
{
  sqlite3_stmt *st = NULL;
  GPtrArray *chats;

  if (!prepare (history, "SELECT " CHAT_COLUMNS " FROM chats c"
                         " ORDER BY c.updated_us DESC, c.id DESC LIMIT ? OFFSET ?", &st, error))
    return NULL;
  sqlite3_bind_int64 (st, 1, limit);
  sqlite3_bind_int64 (st, 2, offset);
  chats = collect_chats (history, st, error);
  sqlite3_finalize (st);
  return chats;
}

guint
regard_history_count_chats (RegardHistory *history, GError **error)
{
  sqlite3_stmt *st = NULL;
  guint n = 0;
  int rc;

  if (!prepare (history, "SELECT count(*) FROM chats", &st, error))
    return 0;
  rc = sqlite3_step (st);
  if (rc == SQLITE_ROW)
    n = (guint) sqlite3_column_int64 (st, 0);
  else
    rg_history_fail (history->db, rc, error, "Cannot count chats");
  sqlite3_finalize (st);
  return n;
}

RegardHistoryChat *
regard_history_get_chat (RegardHistory *history, gint64 chat_id, GError **error)
{
  sqlite3_stmt *st = NULL;
  RegardHistoryChat *chat = NULL;
  int rc;

  if (!prepare (history, "SELECT " CHAT_COLUMNS " FROM chats c WHERE c.id = ?", &st, error))
    return NULL;
  sqlite3_bind_int64 (st, 1, chat_id);
  rc = sqlite3_step (st);
  if (rc == SQLITE_ROW)
    chat = chat_from_row (st);
  else if (rc == SQLITE_DONE)
    g_set_error (error, REGARD_HISTORY_ERROR, REGARD_HISTORY_ERROR_NOT_FOUND,
                 "No chat with id %" G_GINT64_FORMAT " in the history", chat_id);
  else
    rg_history_fail (history->db, rc, error, "Cannot read a chat");
  sqlite3_finalize (st);
  return chat;
}

GPtrArray *
regard_history_get_turns (RegardHistory *history, gint64 chat_id, GError **error)
{
  g_autoptr(GPtrArray) turns = g_ptr_array_new_with_free_func ((GDestroyNotify) regard_history_turn_free);
  g_autoptr(RegardHistoryChat) chat = NULL;
  sqlite3_stmt *st = NULL;
  sqlite3_stmt *img = NULL;
  int rc;

  /* One read transaction: the turns and their images agree. */
  if (!rg_history_exec (history, "SAVEPOINT rg_read", error))
    return NULL;
  chat = regard_history_get_chat (history, chat_id, error);
  if (chat == NULL
      || !prepare (history,
                   "SELECT id, chat_id, created_us, question, answer, stop_reason,"
                   " prompt_tokens, cached_tokens, generated_tokens, image_encode_ms,"
                   " prefill_ms, decode_tokens_per_s FROM turns WHERE chat_id = ? ORDER BY id",
                   &st, error)
      || !prepare (history,
                   "SELECT i.hash, i.ext FROM turn_images ti JOIN images i ON i.hash = ti.hash"
                   " WHERE ti.turn_id = ? ORDER BY ti.position", &img, error))
    {
      sqlite3_finalize (st);
      sqlite3_exec (history->db, "RELEASE rg_read", NULL, NULL, NULL);
      return NULL;
    }
  sqlite3_bind_int64 (st, 1, chat_id);
  while ((rc = sqlite3_step (st)) == SQLITE_ROW)
    {
      RegardHistoryTurn *turn = g_new0 (RegardHistoryTurn, 1);
      g_autoptr(GStrvBuilder) images = g_strv_builder_new ();

      turn->id = sqlite3_column_int64 (st, 0);
      turn->chat_id = sqlite3_column_int64 (st, 1);
      turn->created_us = sqlite3_column_int64 (st, 2);
      turn->question = column_dup (st, 3);
      turn->answer = column_dup (st, 4);
      turn->finished = sqlite3_column_type (st, 5) != SQLITE_NULL;
      turn->stop_reason = turn->finished ? column_dup (st, 5) : g_strdup ("interrupted");
      turn->timings.prompt_tokens = (guint) sqlite3_column_int (st, 6);
      turn->timings.cached_tokens = (guint) sqlite3_column_int (st, 7);
      turn->timings.generated_tokens = (guint) sqlite3_column_int (st, 8);
      turn->timings.image_encode_ms = sqlite3_column_double (st, 9);
      turn->timings.prefill_ms = sqlite3_column_double (st, 10);
      turn->timings.decode_tokens_per_s = sqlite3_column_double (st, 11);
      g_ptr_array_add (turns, turn);

      sqlite3_reset (img);
      sqlite3_bind_int64 (img, 1, turn->id);
      while ((rc = sqlite3_step (img)) == SQLITE_ROW)
        {
          g_autofree char *path = rg_history_image_path (history,
                                                         (const char *) sqlite3_column_text (img, 0),
                                                         (const char *) sqlite3_column_text (img, 1));
          g_strv_builder_add (images, path);
        }
      turn->images = g_strv_builder_end (images);
      if (rc != SQLITE_DONE)
        break;
    }
  sqlite3_finalize (st);
  sqlite3_finalize (img);
  sqlite3_exec (history->db, "RELEASE rg_read", NULL, NULL, NULL);
  if (rc != SQLITE_DONE)
    {
      rg_history_fail (history->db, rc, error, "Cannot read a chat's turns");
      return NULL;
    }
  return g_steal_pointer (&turns);
}

/* Turns QUERY into an FTS5 expression: each word a quoted prefix term, so
 * the user's punctuation is never FTS syntax. */
static char *
fts_query (const char *query)
{
  g_autoptr(GString) out = g_string_new (NULL);
  g_auto(GStrv) words = g_str_tokenize_and_fold (query, NULL, NULL);

  for (guint i = 0; words && words[i]; i++)
    {
      g_autofree char *escaped = NULL;
      g_auto(GStrv) parts = g_strsplit (words[i], "\"", -1);

      escaped = g_strjoinv ("\"\"", parts);
      if (out->len)
        g_string_append_c (out, ' ');
      g_string_append_printf (out, "\"%s\"*", escaped);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* QUERY, trimmed, as a LIKE pattern matching it anywhere ("%" and "_"
 * escaped). LIKE folds ASCII case only. */
static char *
title_pattern (const char *query)
{
  g_autofree char *trimmed = g_strstrip (g_strdup (query));
  g_autoptr(GString) out = g_string_new ("%");

  for (const char *p = trimmed; *p; p++)
    {
      if (*p == '%' || *p == '_' || *p == '\\')
        g_string_append_c (out, '\\');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '%');
  return g_string_free (g_steal_pointer (&out), FALSE);
}

GPtrArray *
regard_history_search (RegardHistory *history, const char *query, guint limit, GError **error)
{
  g_autofree char *match = fts_query (query ? query : "");
  g_autofree char *like = title_pattern (query ? query : "");
  sqlite3_stmt *st = NULL;
  GPtrArray *chats;

  if (*match == '\0')
    return g_ptr_array_new_with_free_func ((GDestroyNotify) regard_history_chat_free);
  /* A renamed chat is found by its title too (a plain substring: titles
   * are short and few). */
  if (!prepare (history, "SELECT " CHAT_COLUMNS " FROM chats c WHERE c.id IN"
                         " (SELECT t.chat_id FROM turns_fts f JOIN turns t ON t.id = f.rowid"
                         "  WHERE turns_fts MATCH ?)"
                         " OR c.title LIKE ? ESCAPE '\\'"
                         " ORDER BY c.updated_us DESC, c.id DESC LIMIT ?", &st, error))
    return NULL;
  sqlite3_bind_text (st, 1, match, -1, SQLITE_STATIC);
  sqlite3_bind_text (st, 2, like, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (st, 3, limit);
  chats = collect_chats (history, st, error);
  sqlite3_finalize (st);
  return chats;
}

/* ---- Writing ---------------------------------------------------------- */

static gboolean
check_writable (RegardHistory *history, GError **error)
{
  if (history->read_only)
    {
      g_set_error (error, REGARD_HISTORY_ERROR, REGARD_HISTORY_ERROR_FAILED,
                   "The history was opened read-only");
      return FALSE;
    }
  return TRUE;
}

/* Runs ST (already bound) to completion and finalizes it; a change of no
 * row is NOT_FOUND when NOT_FOUND_WHAT is set. */
static gboolean
run (RegardHistory *history, sqlite3_stmt *st, const char *not_found_what, gint64 id,
     GError **error)
{
  int rc = sqlite3_step (st);

  sqlite3_finalize (st);
  if (rc != SQLITE_DONE)
    return rg_history_fail (history->db, rc, error, "Cannot write to the history");
  if (not_found_what && sqlite3_changes (history->db) == 0)
    {
      g_set_error (error, REGARD_HISTORY_ERROR, REGARD_HISTORY_ERROR_NOT_FOUND,
                   "No %s with id %" G_GINT64_FORMAT " in the history", not_found_what, id);
      return FALSE;
    }
  return TRUE;
}

gint64
regard_history_create_chat (RegardHistory *history, const char *title, const char *model_id,
                            const char *weight_format, GError **error)
{
  sqlite3_stmt *st = NULL;
  gint64 now = g_get_real_time ();

  if (!check_writable (history, error)
      || !prepare (history, "INSERT INTO chats (title, created_us, updated_us, model_id, weight_format)"
                            " VALUES (?, ?, ?, ?, ?)", &st, error))
    return 0;
  sqlite3_bind_text (st, 1, title ? title : "", -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (st, 2, now);
  sqlite3_bind_int64 (st, 3, now);
  sqlite3_bind_text (st, 4, model_id ? model_id : "", -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (st, 5, weight_format ? weight_format : "", -1, SQLITE_TRANSIENT);
  if (!run (history, st, NULL, 0, error))
    return 0;
  return sqlite3_last_insert_rowid (history->db);
}

gboolean
regard_history_rename_chat (RegardHistory *history, gint64 chat_id, const char *title,
                            GError **error)
{
  sqlite3_stmt *st = NULL;

  if (!check_writable (history, error)
      || !prepare (history, "UPDATE chats SET title = ? WHERE id = ?", &st, error))
    return FALSE;
  sqlite3_bind_text (st, 1, title ? title : "", -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (st, 2, chat_id);
  return run (history, st, "chat", chat_id, error);
}

gboolean
regard_history_set_chat_model (RegardHistory *history, gint64 chat_id, const char *model_id,
                               const char *weight_format, GError **error)
{
  sqlite3_stmt *st = NULL;

  if (!check_writable (history, error)
      || !prepare (history, "UPDATE chats SET model_id = ?, weight_format = ? WHERE id = ?", &st, error))
    return FALSE;
  sqlite3_bind_text (st, 1, model_id ? model_id : "", -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (st, 2, weight_format ? weight_format : "", -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (st, 3, chat_id);
  return run (history, st, "chat", chat_id, error);
}

gboolean
regard_history_delete_chat (RegardHistory *history, gint64 chat_id, GError **error)
{
  sqlite3_stmt *st = NULL;

  if (!check_writable (history, error) || !rg_history_begin (history, error))
    return FALSE;
  if (!prepare (history, "DELETE FROM chats WHERE id = ?", &st, error))
    goto fail;
  sqlite3_bind_int64 (st, 1, chat_id);
  if (!run (history, st, "chat", chat_id, error) || !rg_history_collect_images (history, error))
    goto fail;
  return rg_history_commit (history, error);

fail:
  rg_history_rollback (history);
  return FALSE;
}

gboolean
regard_history_delete_all (RegardHistory *history, GError **error)
{
  if (!check_writable (history, error) || !rg_history_begin (history, error))
    return FALSE;
  if (!rg_history_exec (history, "DELETE FROM chats", error)
      || !rg_history_collect_images (history, error))
    {
      rg_history_rollback (history);
      return FALSE;
    }
  return rg_history_commit (history, error);
}

/* Bumps the chat's updated time (and sets its title from QUESTION when
 * it has none yet). */
static gboolean
touch_chat (RegardHistory *history, gint64 chat_id, const char *question, GError **error)
{
  sqlite3_stmt *st = NULL;
  g_autofree char *title = NULL;

  if (question)
    {
      /* The first line, at most 60 characters, cut on a character. */
      const char *end = strchr (question, '\n');
      g_autofree char *line = end ? g_strndup (question, end - question) : g_strdup (question);
      g_autofree char *stripped = g_strstrip (g_strdup (line));

      if (g_utf8_strlen (stripped, -1) > 60)
        {
          g_autofree char *cut = g_utf8_substring (stripped, 0, 59);
          title = g_strconcat (g_strchomp (cut), "…", NULL);
        }
      else
        title = g_steal_pointer (&stripped);
    }
  if (!prepare (history, "UPDATE chats SET updated_us = ?,"
                         " title = CASE WHEN title = '' AND ?2 IS NOT NULL THEN ?2 ELSE title END"
                         " WHERE id = ?3", &st, error))
    return FALSE;
  sqlite3_bind_int64 (st, 1, g_get_real_time ());
  if (title)
    sqlite3_bind_text (st, 2, title, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (st, 3, chat_id);
  return run (history, st, "chat", chat_id, error);
}

gint64
regard_history_add_turn (RegardHistory *history, gint64 chat_id, const char *question,
                         GPtrArray *images, GError **error)
{
  sqlite3_stmt *st = NULL;
  gint64 turn_id;

  if (!check_writable (history, error) || !rg_history_begin (history, error))
    return 0;
  if (!touch_chat (history, chat_id, question ? question : "", error)
      || !prepare (history, "INSERT INTO turns (chat_id, created_us, question) VALUES (?, ?, ?)",
                   &st, error))
    goto fail;
  sqlite3_bind_int64 (st, 1, chat_id);
  sqlite3_bind_int64 (st, 2, g_get_real_time ());
  sqlite3_bind_text (st, 3, question ? question : "", -1, SQLITE_TRANSIENT);
  if (!run (history, st, NULL, 0, error))
    goto fail;
  turn_id = sqlite3_last_insert_rowid (history->db);

  for (guint i = 0; images && i < images->len; i++)
    {
      g_autofree char *hash = rg_history_store_image (history, g_ptr_array_index (images, i), error);

      if (hash == NULL
          || !prepare (history, "INSERT INTO turn_images (turn_id, position, hash) VALUES (?, ?, ?)",
                       &st, error))
        goto fail;
      sqlite3_bind_int64 (st, 1, turn_id);
      sqlite3_bind_int (st, 2, (int) i);
      sqlite3_bind_text (st, 3, hash, -1, SQLITE_TRANSIENT);
      if (!run (history, st, NULL, 0, error))
        goto fail;
    }
  if (!rg_history_commit (history, error))
    return 0;
  return turn_id;

fail:
  rg_history_rollback (history);
  return 0;
}

gboolean
regard_history_set_answer (RegardHistory *history, gint64 turn_id, const char *answer,
                           GError **error)
{
  sqlite3_stmt *st = NULL;

  if (!check_writable (history, error)
      || !prepare (history, "UPDATE turns SET answer = ?, stop_reason = NULL WHERE id = ?", &st, error))
    return FALSE;
  sqlite3_bind_text (st, 1, answer ? answer : "", -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (st, 2, turn_id);
  return run (history, st, "turn", turn_id, error);
}

gboolean
regard_history_finish_turn (RegardHistory *history, gint64 turn_id, const char *answer,
                            const char *stop_reason, const RegardHistoryTimings *timings,
                            GError **error)
{
  static const RegardHistoryTimings none = { 0 };
  sqlite3_stmt *st = NULL;

  if (timings == NULL)
    timings = &none;
  if (!check_writable (history, error) || !rg_history_begin (history, error))
    return FALSE;
  if (!prepare (history, "UPDATE turns SET answer = ?, stop_reason = ?, prompt_tokens = ?,"
                         " cached_tokens = ?, generated_tokens = ?, image_encode_ms = ?,"
                         " prefill_ms = ?, decode_tokens_per_s = ? WHERE id = ?", &st, error))
    goto fail;
  sqlite3_bind_text (st, 1, answer ? answer : "", -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (st, 2, stop_reason && *stop_reason ? stop_reason : "eos", -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (st, 3, timings->prompt_tokens);
  sqlite3_bind_int64 (st, 4, timings->cached_tokens);
  sqlite3_bind_int64 (st, 5, timings->generated_tokens);
  sqlite3_bind_double (st, 6, timings->image_encode_ms);
  sqlite3_bind_double (st, 7, timings->prefill_ms);
  sqlite3_bind_double (st, 8, timings->decode_tokens_per_s);
  sqlite3_bind_int64 (st, 9, turn_id);
  if (!run (history, st, "turn", turn_id, error)
      || !prepare (history, "UPDATE chats SET updated_us = ? WHERE id = (SELECT chat_id FROM turns WHERE id = ?)",
                   &st, error))
    goto fail;
  sqlite3_bind_int64 (st, 1, g_get_real_time ());
  sqlite3_bind_int64 (st, 2, turn_id);
  if (!run (history, st, NULL, 0, error))
    goto fail;
  return rg_history_commit (history, error);

fail:
  rg_history_rollback (history);
  return FALSE;
}

gboolean
regard_history_delete_last_turn (RegardHistory *history, gint64 chat_id, GError **error)
{
  sqlite3_stmt *st = NULL;

  if (!check_writable (history, error) || !rg_history_begin (history, error))
    return FALSE;
  if (!prepare (history, "DELETE FROM turns WHERE id = (SELECT max(id) FROM turns WHERE chat_id = ?)",
                &st, error))
    goto fail;
  sqlite3_bind_int64 (st, 1, chat_id);
  if (!run (history, st, "turn of chat", chat_id, error) || !rg_history_collect_images (history, error))
    goto fail;
  return rg_history_commit (history, error);

fail:
  rg_history_rollback (history);
  return FALSE;
}
