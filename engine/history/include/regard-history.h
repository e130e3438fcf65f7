/* regard-history.h: conversations that last, in a SQLite database.
 *
 * The store keeps chats (title, times, the model and weight format used)
 * and their turns (question, attached images, answer, stop reason,
 * timings) in $XDG_DATA_HOME/regard/history.sqlite3, and the attached
 * images in $XDG_DATA_HOME/regard/images/, named by the SHA-256 of their
 * bytes: shared between chats, removed when no chat uses them.
 *
 * Usage (error handling shortened):
 *
 *   RegardHistoryParams params = regard_history_params_default ();
 *   RegardHistory *history = regard_history_open (&params, &error);
 *   // regard_history_get_recovery () says whether a damaged database
 *   // was moved aside (tell the user).
 *
 *   gint64 chat = regard_history_create_chat (history, NULL, "idefics2-8b", "q8_0", &error);
 *   gint64 turn = regard_history_add_turn (history, chat, "What is this?", images, &error);
 *   regard_history_set_answer (history, turn, "A ca", &error);     // while streaming
 *   regard_history_finish_turn (history, turn, "A cat.", &stats, &error);
 *
 *   GPtrArray *chats = regard_history_list_chats (history, 0, 50, &error);
 *   regard_history_close (history);
 *
 * Durability: every write is its own transaction, committed before the
 * call returns (WAL journal), so a crash loses at most the call in flight
 * (unless the caller groups writes with regard_history_batch_begin).
 * A turn whose answer was never finished reads back with finished FALSE
 * and stop reason "interrupted", with the answer text last written.
 *
 * Thread-safety contract: a RegardHistory handle is used by one thread at
 * a time (it does no locking of its own). Any number of handles, in any
 * threads or processes, may open the same database: readers see committed
 * data only and never block the writer; writers wait for each other up to
 * the busy timeout.
 *
 * Errors never abort the process: they come back as GError in the
 * REGARD_HISTORY_ERROR domain, or G_IO_ERROR for image files.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define REGARD_HISTORY_ERROR (regard_history_error_quark ())
GQuark regard_history_error_quark (void);

typedef enum
{
  REGARD_HISTORY_ERROR_FAILED,     /* anything not listed below */
  REGARD_HISTORY_ERROR_CORRUPT,    /* the database file is damaged */
  REGARD_HISTORY_ERROR_LOCKED,     /* another process holds the database */
  REGARD_HISTORY_ERROR_DISK_FULL,  /* no space left: nothing was written */
  REGARD_HISTORY_ERROR_TOO_NEW,    /* written by a newer Regard: left untouched */
  REGARD_HISTORY_ERROR_NOT_FOUND,  /* no chat or turn with that id */
} RegardHistoryError;

typedef struct
{
  /* Database file; NULL: $XDG_DATA_HOME/regard/history.sqlite3. */
  const char *path;
  /* Image folder; NULL: "images" beside the database file. */
  const char *images_dir;
  /* How long to wait for another writer, in milliseconds (0: 5000). */
  guint busy_timeout_ms;
  /* TRUE: never write, never move a damaged file aside (e.g. a reader). */
  gboolean read_only;
} RegardHistoryParams;

RegardHistoryParams regard_history_params_default (void);

typedef struct _RegardHistory RegardHistory;

/* Opens (creating and migrating as needed) the database. A damaged or
 * locked file is moved aside to "PATH.broken-YYYYMMDD-HHMMSS" and a new
 * database started (see regard_history_get_recovery); a database from a
 * newer Regard is an error (REGARD_HISTORY_ERROR_TOO_NEW). */
RegardHistory *regard_history_open (const RegardHistoryParams *params, GError **error);
void regard_history_close (RegardHistory *history);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RegardHistory, regard_history_close)

const char *regard_history_get_path (RegardHistory *history);
const char *regard_history_get_images_dir (RegardHistory *history);
/* When opening moved a bad file aside: its new path (else NULL), and in
 * REASON (may be NULL) why. */
const char *regard_history_get_recovery (RegardHistory *history, const GError **reason);

/* The schema version this code writes (PRAGMA user_version). */
guint regard_history_schema_version (void);

/* ---- Reading ---------------------------------------------------------- */

typedef struct
{
  gint64 id;
  char *title;            /* "" until the first question */
  gint64 created_us;      /* wall clock, microseconds since the epoch */
  gint64 updated_us;
  char *model_id;         /* the model folder's name, or "" */
  char *weight_format;    /* "f16", "q8_0", ..., or "" */
  guint n_turns;
} RegardHistoryChat;

void regard_history_chat_free (RegardHistoryChat *chat);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RegardHistoryChat, regard_history_chat_free)

typedef struct
{
  guint prompt_tokens;
  guint cached_tokens;
  guint generated_tokens;
  double image_encode_ms;
  double prefill_ms;
  double decode_tokens_per_s;
} RegardHistoryTimings;

typedef struct
{
  gint64 id;
  gint64 chat_id;
  gint64 created_us;
  char *question;
  /* Absolute paths of the images (in the images folder), in order;
   * NULL-terminated, never NULL. */
  char **images;
  char *answer;
  gboolean finished;
  /* "eos", "max-tokens", "cancelled", "context-full" (the engine's
   * regard_stop_reason_to_string), or "interrupted": never finished. */
  char *stop_reason;
  RegardHistoryTimings timings;
} RegardHistoryTurn;

void regard_history_turn_free (RegardHistoryTurn *turn);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RegardHistoryTurn, regard_history_turn_free)

/* Chats, most recently updated first: a page of at most LIMIT from OFFSET.
 * Element type RegardHistoryChat. */
GPtrArray *regard_history_list_chats (RegardHistory *history, guint offset, guint limit,
                                      GError **error);
guint regard_history_count_chats (RegardHistory *history, GError **error);
RegardHistoryChat *regard_history_get_chat (RegardHistory *history, gint64 chat_id,
                                            GError **error);
/* The chat's turns, oldest first. Element type RegardHistoryTurn. */
GPtrArray *regard_history_get_turns (RegardHistory *history, gint64 chat_id, GError **error);
/* Chats with a question or answer matching every word of QUERY (prefix
 * match, case-insensitive, full-text index), or whose title contains
 * QUERY, most recently updated first. Element type RegardHistoryChat. An
 * empty query matches nothing. */
GPtrArray *regard_history_search (RegardHistory *history, const char *query, guint limit,
                                  GError **error);

/* ---- Writing ---------------------------------------------------------- */

/* TITLE NULL or "": set from the first question. Returns the new id, or 0. */
gint64 regard_history_create_chat (RegardHistory *history, const char *title,
                                   const char *model_id, const char *weight_format,
                                   GError **error);
gboolean regard_history_rename_chat (RegardHistory *history, gint64 chat_id,
                                     const char *title, GError **error);
/* Sets the model a chat now talks to (a chat may change models). */
gboolean regard_history_set_chat_model (RegardHistory *history, gint64 chat_id,
                                        const char *model_id, const char *weight_format,
                                        GError **error);
/* Deletes the chat, its turns, and the images no other chat uses. */
gboolean regard_history_delete_chat (RegardHistory *history, gint64 chat_id, GError **error);
gboolean regard_history_delete_all (RegardHistory *history, GError **error);

/* Starts a turn: the question and its images (GBytes of encoded image
 * files, may be NULL), copied into the store in one transaction. Returns
 * the turn's id, or 0. */
gint64 regard_history_add_turn (RegardHistory *history, gint64 chat_id, const char *question,
                                GPtrArray *images, GError **error);
/* The answer so far, while streaming: committed at once. The turn reads
 * as unfinished until regard_history_finish_turn (an answer being
 * regenerated starts over with this). */
gboolean regard_history_set_answer (RegardHistory *history, gint64 turn_id,
                                    const char *answer, GError **error);
/* The whole answer, how it stopped and its timings (TIMINGS may be NULL). */
gboolean regard_history_finish_turn (RegardHistory *history, gint64 turn_id,
                                     const char *answer, const char *stop_reason,
                                     const RegardHistoryTimings *timings, GError **error);
/* Removes the chat's last turn (an answer being regenerated). */
gboolean regard_history_delete_last_turn (RegardHistory *history, gint64 chat_id,
                                          GError **error);

/* Groups the writes that follow, until regard_history_batch_end, into one
 * transaction (imports, benchmarks): nothing of it is committed before
 * batch_end with COMMIT TRUE; FALSE undoes all of it. */
gboolean regard_history_batch_begin (RegardHistory *history, GError **error);
gboolean regard_history_batch_end (RegardHistory *history, gboolean commit, GError **error);

/* ---- Export ----------------------------------------------------------- */

/* Writes the chat as Markdown into OUT_DIR (created if needed):
 * "TITLE.md" and its images beside it in "TITLE-images/". Returns the
 * Markdown file's path. */
char *regard_history_export_markdown (RegardHistory *history, gint64 chat_id,
                                      const char *out_dir, GError **error);

G_END_DECLS
