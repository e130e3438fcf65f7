/* test-history.c: the conversation history store (engine/history/). */
#include <glib/gstdio.h>
#include <string.h>

#include "regard-history.h"
#include "rg-history-private.h"
#include "test-common.h"

typedef struct
{
  char *dir;
  char *db_path;
  char *images_dir;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->dir = g_dir_make_tmp ("regard-history-XXXXXX", NULL);
  g_assert_nonnull (f->dir);
  f->db_path = g_build_filename (f->dir, "history.sqlite3", NULL);
  f->images_dir = g_build_filename (f->dir, "images", NULL);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  rg_test_remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->db_path);
  g_free (f->images_dir);
}

static RegardHistory *
open_store (Fixture *f)
{
  RegardHistoryParams params = regard_history_params_default ();
  g_autoptr(GError) error = NULL;
  RegardHistory *h;

  params.path = f->db_path;
  h = regard_history_open (&params, &error);
  g_assert_no_error (error);
  g_assert_nonnull (h);
  return h;
}

/* Bytes that look like a PNG to the store (it never decodes them). */
static GBytes *
fake_png (const char *payload)
{
  g_autofree char *data = g_strconcat ("\x89PNG\r\n\x1a\n", payload, NULL);

  return g_bytes_new (data, strlen (data));
}

static guint
count_files (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;

  while (d && g_dir_read_name (d))
    n++;
  return n;
}

static void
assert_integrity_ok (const char *path)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA integrity_check", -1, &st, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (st), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *) sqlite3_column_text (st, 0), ==, "ok");
  sqlite3_finalize (st);
  sqlite3_close (db);
}

static void
test_round_trip (Fixture *f, gconstpointer data)
{
  g_autoptr(RegardHistory) h = open_store (f);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) images = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  RegardHistoryTimings timings = { 12, 3, 40, 1.5, 20.25, 7.75 };
  gint64 chat, turn1, turn2;

  chat = regard_history_create_chat (h, NULL, "idefics2-8b", "q8_0", &error);
  g_assert_no_error (error);
  g_assert_cmpint (chat, >, 0);
  g_ptr_array_add (images, fake_png ("one"));
  g_ptr_array_add (images, fake_png ("two"));
  turn1 = regard_history_add_turn (h, chat, "What is in this picture?\nBe brief.", images, &error);
  g_assert_no_error (error);
  g_assert_true (regard_history_set_answer (h, turn1, "A ca", &error));
  g_assert_true (regard_history_finish_turn (h, turn1, "A cat.\nOn a mat.", "eos", &timings, &error));
  turn2 = regard_history_add_turn (h, chat, "And its colour?", NULL, &error);
  g_assert_no_error (error);
  g_assert_true (regard_history_finish_turn (h, turn2, "Orange", "max-tokens", NULL, &error));
  g_clear_pointer (&h, regard_history_close);

  h = open_store (f);
  {
    g_autoptr(RegardHistoryChat) c = regard_history_get_chat (h, chat, &error);
    g_autoptr(GPtrArray) turns = regard_history_get_turns (h, chat, &error);
    RegardHistoryTurn *t1, *t2;

    g_assert_no_error (error);
    g_assert_cmpstr (c->title, ==, "What is in this picture?");
    g_assert_cmpstr (c->model_id, ==, "idefics2-8b");
    g_assert_cmpstr (c->weight_format, ==, "q8_0");
    g_assert_cmpuint (c->n_turns, ==, 2);
    g_assert_cmpint (c->updated_us, >=, c->created_us);
    g_assert_cmpuint (turns->len, ==, 2);
    t1 = g_ptr_array_index (turns, 0);
    t2 = g_ptr_array_index (turns, 1);
    g_assert_cmpstr (t1->question, ==, "What is in this picture?\nBe brief.");
    g_assert_cmpstr (t1->answer, ==, "A cat.\nOn a mat.");
    g_assert_true (t1->finished);
    g_assert_cmpstr (t1->stop_reason, ==, "eos");
    g_assert_cmpuint (t1->timings.prompt_tokens, ==, 12);
    g_assert_cmpuint (t1->timings.cached_tokens, ==, 3);
    g_assert_cmpuint (t1->timings.generated_tokens, ==, 40);
    g_assert_cmpfloat (t1->timings.prefill_ms, ==, 20.25);
    g_assert_cmpfloat (t1->timings.decode_tokens_per_s, ==, 7.75);
    g_assert_cmpuint (g_strv_length (t1->images), ==, 2);
    for (guint i = 0; i < 2; i++)
      {
        g_autofree char *bytes = NULL;
        gsize size = 0;
        gsize want_size = 0;
        const char *want = g_bytes_get_data (g_ptr_array_index (images, i), &want_size);
        g_autofree char *base = g_path_get_basename (t1->images[i]);

        g_assert_true (g_str_has_prefix (t1->images[i], f->images_dir));
        g_assert_true (g_str_has_suffix (base, ".png"));
        g_assert_cmpuint (strlen (base), ==, 64 + 4);
        g_assert_true (g_file_get_contents (t1->images[i], &bytes, &size, NULL));
        g_assert_cmpmem (bytes, size, want, want_size);
      }
    g_assert_cmpstr (t2->stop_reason, ==, "max-tokens");
    g_assert_cmpuint (g_strv_length (t2->images), ==, 0);
  }
  assert_integrity_ok (f->db_path);
}

static void
test_list_order_rename_delete (Fixture *f, gconstpointer data)
{
  g_autoptr(RegardHistory) h = open_store (f);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) page = NULL;
  gint64 a = regard_history_create_chat (h, "A", "", "", &error);
  gint64 b = regard_history_create_chat (h, "B", "", "", &error);
  gint64 turn;

  /* A gets a turn later, so it is listed first. */
  turn = regard_history_add_turn (h, a, "question", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (turn, >, 0);
  page = regard_history_list_chats (h, 0, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page->len, ==, 2);
  g_assert_cmpint (((RegardHistoryChat *) page->pdata[0])->id, ==, a);
  /* An explicit title is not replaced by the first question. */
  g_assert_cmpstr (((RegardHistoryChat *) page->pdata[0])->title, ==, "A");
  g_clear_pointer (&page, g_ptr_array_unref);
  page = regard_history_list_chats (h, 1, 10, &error);
  g_assert_cmpuint (page->len, ==, 1);
  g_assert_cmpint (((RegardHistoryChat *) page->pdata[0])->id, ==, b);

  g_assert_true (regard_history_rename_chat (h, b, "Renamed", &error));
  {
    g_autoptr(RegardHistoryChat) c = regard_history_get_chat (h, b, &error);
    g_assert_cmpstr (c->title, ==, "Renamed");
  }
  g_assert_true (regard_history_delete_chat (h, a, &error));
  g_assert_cmpuint (regard_history_count_chats (h, &error), ==, 1);
  g_assert_false (regard_history_delete_chat (h, a, &error));
  g_assert_error (error, REGARD_HISTORY_ERROR, REGARD_HISTORY_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (regard_history_get_chat (h, a, &error));
  g_assert_error (error, REGARD_HISTORY_ERROR, REGARD_HISTORY_ERROR_NOT_FOUND);
}

/* The version-1 schema exactly as released: frozen here so migrations
 * are tested from what users really have on disk. */
static const char v1_schema[] =
  "CREATE TABLE chats (id INTEGER PRIMARY KEY, title TEXT NOT NULL DEFAULT '',"
  " created_us INTEGER NOT NULL, updated_us INTEGER NOT NULL,"
  " model_id TEXT NOT NULL DEFAULT '', weight_format TEXT NOT NULL DEFAULT '');"
  "CREATE INDEX chats_updated ON chats (updated_us DESC, id DESC);"
  "CREATE TABLE turns (id INTEGER PRIMARY KEY,"
  " chat_id INTEGER NOT NULL REFERENCES chats (id) ON DELETE CASCADE,"
  " created_us INTEGER NOT NULL, question TEXT NOT NULL, answer TEXT NOT NULL DEFAULT '',"
  " stop_reason TEXT, prompt_tokens INTEGER NOT NULL DEFAULT 0,"
  " cached_tokens INTEGER NOT NULL DEFAULT 0, generated_tokens INTEGER NOT NULL DEFAULT 0,"
  " image_encode_ms REAL NOT NULL DEFAULT 0, prefill_ms REAL NOT NULL DEFAULT 0,"
  " decode_tokens_per_s REAL NOT NULL DEFAULT 0);"
  "CREATE INDEX turns_chat ON turns (chat_id, id);"
  "CREATE TABLE images (hash TEXT PRIMARY KEY, ext TEXT NOT NULL, size INTEGER NOT NULL);"
  "CREATE TABLE turn_images (turn_id INTEGER NOT NULL REFERENCES turns (id) ON DELETE CASCADE,"
  " position INTEGER NOT NULL, hash TEXT NOT NULL REFERENCES images (hash),"
  " PRIMARY KEY (turn_id, position));"
  "CREATE INDEX turn_images_hash ON turn_images (hash);"
  "INSERT INTO chats VALUES (1, 'Old chat', 1000000, 2000000, 'idefics2-8b', 'f16');"
  "INSERT INTO turns (chat_id, created_us, question, answer, stop_reason)"
  " VALUES (1, 1500000, 'Which lighthouse is this?', 'The Phare du Créac''h.', 'eos');"
  "PRAGMA user_version = 1;";

static void
write_raw_db (const char *path, const char *sql)
{
  sqlite3 *db = NULL;
  char *msg = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  if (sqlite3_exec (db, sql, NULL, NULL, &msg) != SQLITE_OK)
    g_error ("%s", msg);
  sqlite3_close (db);
}

static void
test_migrate_v1 (Fixture *f, gconstpointer data)
{
  g_autoptr(RegardHistory) h = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) found = NULL;
  g_autoptr(GPtrArray) turns = NULL;
  sqlite3_stmt *st = NULL;

  write_raw_db (f->db_path, v1_schema);
  h = open_store (f);
  g_assert_null (regard_history_get_recovery (h, NULL));
  g_assert_cmpint (sqlite3_prepare_v2 (rg_history_get_db (h), "PRAGMA user_version", -1, &st, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (st), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_int (st, 0), ==, regard_history_schema_version ());
  sqlite3_finalize (st);

  /* The old turn is searchable (the index was built from existing rows),
   * accents folded. */
  found = regard_history_search (h, "phare CREAC", 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (found->len, ==, 1);
  g_assert_cmpstr (((RegardHistoryChat *) found->pdata[0])->title, ==, "Old chat");
  turns = regard_history_get_turns (h, 1, &error);
  g_assert_cmpuint (turns->len, ==, 1);
  g_assert_cmpstr (((RegardHistoryTurn *) turns->pdata[0])->answer, ==, "The Phare du Créac'h.");
  /* And writable with the new schema. */
  g_assert_cmpint (regard_history_add_turn (h, 1, "Where?", NULL, &error), >, 0);
  g_assert_no_error (error);
}

static void
test_too_new (Fixture *f, gconstpointer data)
{
  RegardHistoryParams params = regard_history_params_default ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) before = NULL;
  g_autoptr(GBytes) after = NULL;

  write_raw_db (f->db_path, "CREATE TABLE future (x); PRAGMA user_version = 99;");
  before = rg_test_read_file (f->db_path);
  params.path = f->db_path;
  g_assert_null (regard_history_open (&params, &error));
  g_assert_error (error, REGARD_HISTORY_ERROR, REGARD_HISTORY_ERROR_TOO_NEW);
  /* Left where it was, untouched: a newer Regard still owns it. */
  after = rg_test_read_file (f->db_path);
  g_assert_true (g_bytes_equal (before, after));
}

static void
test_search (Fixture *f, gconstpointer data)
{
  g_autoptr(RegardHistory) h = open_store (f);
  g_autoptr(GError) error = NULL;
  gint64 cats = regard_history_create_chat (h, NULL, "", "", &error);
  gint64 boats = regard_history_create_chat (h, NULL, "", "", &error);
  gint64 t;
  struct { const char *query; guint n; gint64 first; } cases[] = {
    { "cat", 1, 0 },            /* prefix of "cats" in a question */
    { "WHISKERS", 1, 0 },       /* in an answer, any case */
    { "sailing boat", 1, 0 },   /* every word must match */
    { "sailing whiskers", 0, 0 },
    { "\"a*b(", 0, 0 },          /* FTS syntax is just text */
    { "t_F", 0, 0 },            /* LIKE syntax too: "_" is not any character */
    { "felines", 1, 0 },        /* a renamed chat's title */
    { "", 0, 0 },
  };

  t = regard_history_add_turn (h, cats, "Do you like cats?", NULL, &error);
  regard_history_finish_turn (h, t, "Their whiskers are long.", "eos", NULL, &error);
  t = regard_history_add_turn (h, boats, "Is the boat sailing?", NULL, &error);
  regard_history_set_answer (h, t, "Yes, under spinnaker", &error);
  g_assert_no_error (error);
  g_assert_true (regard_history_rename_chat (h, cats, "About Felines", &error));
  cases[0].first = cases[1].first = cases[6].first = cats;
  cases[2].first = boats;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GPtrArray) found = regard_history_search (h, cases[i].query, 10, &error);

      g_assert_no_error (error);
      g_assert_cmpuint (found->len, ==, cases[i].n);
      if (cases[i].n)
        g_assert_cmpint (((RegardHistoryChat *) found->pdata[0])->id, ==, cases[i].first);
    }
  /* A streamed answer is searchable as it is written... */
  {
    g_autoptr(GPtrArray) found = regard_history_search (h, "spinnaker", 10, &error);
    g_assert_cmpuint (found->len, ==, 1);
  }
  /* ...and deleted chats are gone from the index. */
  g_assert_true (regard_history_delete_chat (h, cats, &error));
  {
    g_autoptr(GPtrArray) found = regard_history_search (h, "whiskers", 10, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (found->len, ==, 0);
  }
}

static void
test_image_refcount (Fixture *f, gconstpointer data)
{
  g_autoptr(RegardHistory) h = open_store (f);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) shared = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(GPtrArray) only_b = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  gint64 a = regard_history_create_chat (h, NULL, "", "", &error);
  gint64 b = regard_history_create_chat (h, NULL, "", "", &error);

  g_ptr_array_add (shared, fake_png ("shared"));
  g_ptr_array_add (only_b, fake_png ("shared"));
  g_ptr_array_add (only_b, fake_png ("mine"));
  regard_history_add_turn (h, a, "one", shared, &error);
  regard_history_add_turn (h, a, "same image again", shared, &error);
  regard_history_add_turn (h, b, "two", only_b, &error);
  g_assert_no_error (error);
  /* Three attachments of "shared", one file. */
  g_assert_cmpuint (count_files (f->images_dir), ==, 2);

  g_assert_true (regard_history_delete_chat (h, a, &error));
  g_assert_cmpuint (count_files (f->images_dir), ==, 2);
  g_assert_true (regard_history_delete_last_turn (h, b, &error));
  g_assert_cmpuint (count_files (f->images_dir), ==, 0);

  /* A removed file is rewritten when the image is attached again. */
  regard_history_add_turn (h, b, "three", shared, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (count_files (f->images_dir), ==, 1);
  g_assert_true (regard_history_delete_all (h, &error));
  g_assert_cmpuint (count_files (f->images_dir), ==, 0);
  g_assert_cmpuint (regard_history_count_chats (h, &error), ==, 0);
}

static void
assert_moved_aside (Fixture *f, RegardHistory *h, int code)
{
  const GError *reason = NULL;
  const char *broken = regard_history_get_recovery (h, &reason);
  g_autofree char *base = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (broken);
  g_assert_error (reason, REGARD_HISTORY_ERROR, code);
  base = g_path_get_basename (broken);
  g_assert_true (g_str_has_prefix (base, "history.sqlite3.broken-"));
  g_assert_true (g_file_test (broken, G_FILE_TEST_IS_REGULAR));
  /* The new database works. */
  g_assert_cmpuint (regard_history_count_chats (h, &error), ==, 0);
  g_assert_cmpint (regard_history_create_chat (h, NULL, "", "", &error), >, 0);
  g_assert_no_error (error);
}

static void
test_corrupt (Fixture *f, gconstpointer data)
{
  g_autoptr(RegardHistory) h = NULL;
  g_autofree char *garbage = g_strnfill (8192, 'x');
  g_autofree char *kept = NULL;

  g_assert_true (g_file_set_contents (f->db_path, garbage, -1, NULL));
  h = open_store (f);
  assert_moved_aside (f, h, REGARD_HISTORY_ERROR_CORRUPT);
  /* Moved, not deleted: the bytes are all there for whoever wants them. */
  g_assert_true (g_file_get_contents (regard_history_get_recovery (h, NULL), &kept, NULL, NULL));
  g_assert_cmpstr (kept, ==, garbage);
}

static void
test_locked (Fixture *f, gconstpointer data)
{
  RegardHistoryParams params = regard_history_params_default ();
  g_autoptr(RegardHistory) h = NULL;
  g_autoptr(GError) error = NULL;
  sqlite3 *holder = NULL;

  /* A process that took the file exclusively and never lets go. */
  g_assert_cmpint (sqlite3_open (f->db_path, &holder), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (holder, "PRAGMA locking_mode = EXCLUSIVE; CREATE TABLE x (y);"
                                 " BEGIN EXCLUSIVE; INSERT INTO x VALUES (1);", NULL, NULL, NULL), ==, SQLITE_OK);
  params.path = f->db_path;
  params.busy_timeout_ms = 50;
  h = regard_history_open (&params, &error);
  g_assert_no_error (error);
  assert_moved_aside (f, h, REGARD_HISTORY_ERROR_LOCKED);
  sqlite3_close (holder);
}

static void
test_disk_full (Fixture *f, gconstpointer data)
{
  g_autoptr(RegardHistory) h = open_store (f);
  g_autoptr(GError) error = NULL;
  g_autofree char *big = g_strnfill (256 * 1024, 'z');
  g_autoptr(GPtrArray) turns = NULL;
  gint64 chat = regard_history_create_chat (h, NULL, "", "", &error);
  gint64 turn = regard_history_add_turn (h, chat, "kept question", NULL, &error);

  regard_history_finish_turn (h, turn, "kept answer", "eos", NULL, &error);
  g_assert_no_error (error);
  /* No room to grow: the file may not get one page bigger. */
  g_assert_cmpint (sqlite3_exec (rg_history_get_db (h),
                                 "PRAGMA wal_checkpoint(TRUNCATE);"
                                 " PRAGMA max_page_count = 1;", NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (regard_history_add_turn (h, chat, big, NULL, &error), ==, 0);
  g_assert_error (error, REGARD_HISTORY_ERROR, REGARD_HISTORY_ERROR_DISK_FULL);
  g_clear_error (&error);
  g_assert_false (regard_history_set_answer (h, turn, big, &error));
  g_assert_error (error, REGARD_HISTORY_ERROR, REGARD_HISTORY_ERROR_DISK_FULL);
  g_clear_error (&error);
  g_clear_pointer (&h, regard_history_close);

  h = open_store (f);
  turns = regard_history_get_turns (h, chat, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (turns->len, ==, 1);
  g_assert_cmpstr (((RegardHistoryTurn *) turns->pdata[0])->answer, ==, "kept answer");
  g_clear_pointer (&h, regard_history_close);
  assert_integrity_ok (f->db_path);
}

static void
test_interrupted (Fixture *f, gconstpointer data)
{
  g_autoptr(RegardHistory) h = open_store (f);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) turns = NULL;
  RegardHistoryTurn *t;
  gint64 chat = regard_history_create_chat (h, NULL, "", "", &error);
  gint64 turn = regard_history_add_turn (h, chat, "Tell me a story", NULL, &error);

  regard_history_set_answer (h, turn, "Once upon", &error);
  g_assert_no_error (error);
  g_clear_pointer (&h, regard_history_close);

  h = open_store (f);
  turns = regard_history_get_turns (h, chat, &error);
  g_assert_cmpuint (turns->len, ==, 1);
  t = turns->pdata[0];
  g_assert_false (t->finished);
  g_assert_cmpstr (t->stop_reason, ==, "interrupted");
  g_assert_cmpstr (t->answer, ==, "Once upon");
}

static void
test_export (Fixture *f, gconstpointer data)
{
  g_autoptr(RegardHistory) h = open_store (f);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) images = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autofree char *out = g_build_filename (f->dir, "export", NULL);
  g_autofree char *md_path = NULL;
  g_autofree char *md = NULL;
  g_autofree char *image_rel = NULL;
  g_autofree char *image_path = NULL;
  g_autofree char *hash = NULL;
  gint64 chat = regard_history_create_chat (h, NULL, "", "", &error);
  gint64 turn;

  g_ptr_array_add (images, fake_png ("exported"));
  turn = regard_history_add_turn (h, chat, "What/where is this?", images, &error);
  regard_history_finish_turn (h, turn, "# Not a heading\nA harbour.", "eos", NULL, &error);
  md_path = regard_history_export_markdown (h, chat, out, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_suffix (md_path, "/What_where is this?.md"));
  g_assert_true (g_file_get_contents (md_path, &md, NULL, NULL));
  g_assert_nonnull (strstr (md, "# What/where is this?\n"));
  g_assert_nonnull (strstr (md, "\\# Not a heading  \nA harbour.\n"));
  hash = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, images->pdata[0]);
  image_rel = g_strdup_printf ("What_where is this?-images/%s.png", hash);
  g_assert_nonnull (strstr (md, image_rel));
  image_path = g_build_filename (out, image_rel, NULL);
  g_assert_true (g_file_test (image_path, G_FILE_TEST_IS_REGULAR));
}

typedef struct
{
  char *db_path;
  gint64 chat;
  volatile gint done;
  guint reads;
} Concurrent;

static gpointer
reader_thread (gpointer data)
{
  Concurrent *c = data;
  RegardHistoryParams params = regard_history_params_default ();
  g_autoptr(RegardHistory) h = NULL;
  g_autoptr(GError) error = NULL;

  params.path = c->db_path;
  params.read_only = TRUE;
  h = regard_history_open (&params, &error);
  g_assert_no_error (error);
  while (!g_atomic_int_get (&c->done))
    {
      g_autoptr(GPtrArray) turns = regard_history_get_turns (h, c->chat, &error);
      g_autoptr(RegardHistoryChat) chat = NULL;

      g_assert_no_error (error);
      /* Every turn read is whole: a finished one has its answer. */
      for (guint i = 0; i < turns->len; i++)
        {
          RegardHistoryTurn *t = turns->pdata[i];
          g_autofree char *want = g_strdup_printf ("answer %u", i);

          if (t->finished)
            g_assert_cmpstr (t->answer, ==, want);
        }
      chat = regard_history_get_chat (h, c->chat, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (chat->n_turns, >=, turns->len);
      c->reads++;
    }
  return NULL;
}

static void
test_concurrent_reader (Fixture *f, gconstpointer data)
{
  g_autoptr(RegardHistory) h = open_store (f);
  g_autoptr(GError) error = NULL;
  Concurrent c = { f->db_path, 0, 0, 0 };
  GThread *reader;

  c.chat = regard_history_create_chat (h, NULL, "", "", &error);
  reader = g_thread_new ("history-reader", reader_thread, &c);
  for (guint i = 0; i < 150; i++)
    {
      g_autofree char *answer = g_strdup_printf ("answer %u", i);
      gint64 turn = regard_history_add_turn (h, c.chat, "question", NULL, &error);

      g_assert_no_error (error);
      regard_history_set_answer (h, turn, "partial", &error);
      regard_history_finish_turn (h, turn, answer, "eos", NULL, &error);
      g_assert_no_error (error);
    }
  g_atomic_int_set (&c.done, 1);
  g_thread_join (reader);
  g_assert_cmpuint (c.reads, >, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/history/store/round-trip", test_round_trip);
  ADD ("/history/store/list-rename-delete", test_list_order_rename_delete);
  ADD ("/history/store/migrate-v1", test_migrate_v1);
  ADD ("/history/store/too-new", test_too_new);
  ADD ("/history/store/search", test_search);
  ADD ("/history/store/image-refcount", test_image_refcount);
  ADD ("/history/store/corrupt", test_corrupt);
  ADD ("/history/store/locked", test_locked);
  ADD ("/history/store/disk-full", test_disk_full);
  ADD ("/history/store/interrupted", test_interrupted);
  ADD ("/history/store/export", test_export);
  ADD ("/history/store/concurrent-reader", test_concurrent_reader);
#undef ADD
  return g_test_run ();
}
