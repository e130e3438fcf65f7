/* test-cli-history.c: regard-cli history list/show/export/delete, run as a
 * subprocess on a history written through the store. */
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "regard-history.h"
#include "test-common.h"

typedef struct
{
  char *dir;
  char *db;
  gint64 chat_a;
  gint64 chat_b;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  RegardHistoryParams params = regard_history_params_default ();
  g_autoptr(RegardHistory) h = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) images = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  gint64 turn;

  f->dir = g_dir_make_tmp ("regard-cli-history-XXXXXX", NULL);
  f->db = g_build_filename (f->dir, "history.sqlite3", NULL);
  params.path = f->db;
  h = regard_history_open (&params, &error);
  g_assert_no_error (error);
  g_ptr_array_add (images, g_bytes_new_static ("\x89PNG\r\n\x1a\nxx", 10));
  f->chat_a = regard_history_create_chat (h, NULL, "idefics2-8b", "q8_0", &error);
  turn = regard_history_add_turn (h, f->chat_a, "What does the \"sign\" say?", images, &error);
  regard_history_finish_turn (h, turn, "Harbour\nexit", "eos", NULL, &error);
  f->chat_b = regard_history_create_chat (h, NULL, "", "", &error);
  turn = regard_history_add_turn (h, f->chat_b, "Count the boats", NULL, &error);
  regard_history_set_answer (h, turn, "Three", &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  rg_test_remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->db);
}

/* Runs regard-cli history ARGS... --db; returns stdout, sets *STATUS. */
static char *
run_cli (Fixture *f, int *status, ...)
{
  g_autofree char *cli = g_test_build_filename (G_TEST_BUILT, "..", "tools", "regard-cli", NULL);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  char *out = NULL;
  g_autofree char *err = NULL;
  const char *arg;
  va_list ap;

  g_ptr_array_add (argv, cli);
  g_ptr_array_add (argv, (char *) "history");
  va_start (ap, status);
  while ((arg = va_arg (ap, const char *)))
    g_ptr_array_add (argv, (char *) arg);
  va_end (ap);
  g_ptr_array_add (argv, (char *) "--db");
  g_ptr_array_add (argv, f->db);
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               &out, &err, status, &error));
  g_assert_no_error (error);
  if (*err)
    g_test_message ("stderr: %s", err);
  return out;
}

static JsonNode *
parse_json (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  return json_node_copy (json_parser_get_root (parser));
}

static void
test_list_json (Fixture *f, gconstpointer data)
{
  int status = -1;
  g_autofree char *out = run_cli (f, &status, "list", "--json", NULL);
  g_autoptr(JsonNode) root = NULL;
  JsonArray *arr;
  JsonObject *first;

  g_assert_true (g_spawn_check_wait_status (status, NULL));
  root = parse_json (out);
  arr = json_node_get_array (root);
  g_assert_cmpuint (json_array_get_length (arr), ==, 2);
  first = json_array_get_object_element (arr, 1);
  g_assert_cmpint (json_object_get_int_member (first, "id"), ==, f->chat_a);
  g_assert_cmpstr (json_object_get_string_member (first, "title"), ==, "What does the \"sign\" say?");
  g_assert_cmpstr (json_object_get_string_member (first, "weight_format"), ==, "q8_0");
  g_assert_cmpint (json_object_get_int_member (first, "turns"), ==, 1);
}

static void
test_list_search (Fixture *f, gconstpointer data)
{
  int status = -1;
  g_autofree char *out = run_cli (f, &status, "list", "--search", "boats", NULL);

  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_assert_nonnull (strstr (out, "Count the boats"));
  g_assert_null (strstr (out, "sign"));
}

static void
test_show_json (Fixture *f, gconstpointer data)
{
  int status = -1;
  g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, f->chat_b);
  g_autofree char *out = run_cli (f, &status, "show", id, "--json", NULL);
  g_autoptr(JsonNode) root = NULL;
  JsonObject *turn;

  g_assert_true (g_spawn_check_wait_status (status, NULL));
  root = parse_json (out);
  turn = json_array_get_object_element (json_object_get_array_member (json_node_get_object (root), "turns"), 0);
  g_assert_cmpstr (json_object_get_string_member (turn, "answer"), ==, "Three");
  g_assert_false (json_object_get_boolean_member (turn, "finished"));
  g_assert_cmpstr (json_object_get_string_member (turn, "stop_reason"), ==, "interrupted");
}

static void
test_export (Fixture *f, gconstpointer data)
{
  int status = -1;
  g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, f->chat_a);
  g_autofree char *dir = g_build_filename (f->dir, "out", NULL);
  g_autofree char *out = run_cli (f, &status, "export", id, "--out", dir, NULL);
  g_autofree char *md = NULL;
  g_autoptr(GDir) images = NULL;
  g_autofree char *images_dir = g_build_filename (dir, "What does the \"sign\" say?-images", NULL);

  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_strchomp (out);
  g_assert_true (g_file_get_contents (out, &md, NULL, NULL));
  g_assert_nonnull (strstr (md, "Harbour  \nexit"));
  images = g_dir_open (images_dir, 0, NULL);
  g_assert_nonnull (images);
  g_assert_true (g_str_has_suffix (g_dir_read_name (images), ".png"));
}

static void
test_delete (Fixture *f, gconstpointer data)
{
  int status = -1;
  g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, f->chat_a);
  g_autofree char *out = run_cli (f, &status, "delete", id, "--json", NULL);
  g_autofree char *again = NULL;
  g_autofree char *list = NULL;

  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_assert_nonnull (strstr (out, "\"deleted\""));
  list = run_cli (f, &status, "list", NULL);
  g_assert_null (strstr (list, "sign"));
  /* Deleting it again is a runtime error, and a bad id a usage error. */
  again = run_cli (f, &status, "delete", id, NULL);
  g_assert_cmpint (WEXITSTATUS (status), ==, 1);
  g_free (run_cli (f, &status, "delete", "12abc", NULL));
  g_assert_cmpint (WEXITSTATUS (status), ==, 2);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/history/cli/list-json", test_list_json);
  ADD ("/history/cli/list-search", test_list_search);
  ADD ("/history/cli/show-json", test_show_json);
  ADD ("/history/cli/export", test_export);
  ADD ("/history/cli/delete", test_delete);
#undef ADD
  return g_test_run ();
}
