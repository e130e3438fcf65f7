/* Downloads from a loopback hub: a SoupServer on 127.0.0.1 serving
 * tests/fixtures/idefics2-tiny in the Hugging Face URL layout. The hub
 * answers /api/models/{repo}/revision/{rev} and /{repo}/resolve/{rev}/{file};
 * safetensors resolve to a 302 (X-Linked-Etag, X-Linked-Size) towards a
 * second server, the "CDN", on another port (another origin), which honours
 * Range. Misbehaviours (cut connections, a flipped byte, slow bytes) are
 * switched on per test. */
#include "test-common.h"

#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <string.h>

#include "regard-download.h"
#include "rg-download.h"

#define REPO "test/tiny"
#define GATED_REPO "gated/tiny"
#define TOKEN "hf_secret"
#define SHARD1 "model-00001-of-00002.safetensors"
#define SHARD2 "model-00002-of-00002.safetensors"
#define CUT_AFTER 1000000

static const char *const served_files[] = {
  "chat_template.json", "config.json", "generation_config.json",
  "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors",
  "model.safetensors.index.json", "preprocessor_config.json",
  "processor_config.json", "special_tokens_map.json", "tokenizer.json",
  "tokenizer_config.json",
};

typedef struct
{
  SoupServer *hub;
  SoupServer *cdn;
  char *hub_url;
  char *cdn_url;
  const char *endpoint;       /* what downloads use: hub_url unless a test changes it */
  char *fixture_dir;
  char *tmp_dir;
  char *dest_dir;

  /* Switches. */
  gboolean cut_first_shard;   /* first GET of SHARD1 closes after CUT_AFTER bytes */
  gboolean corrupt_shard;     /* SHARD1 is served with one byte flipped */
  gboolean slow_shard;        /* SHARD1 trickles, for cancellation */

  /* What the servers saw. */
  GPtrArray *shard1_ranges;   /* Range header of each CDN GET of SHARD1 ("" when none) */
  GPtrArray *hub_auth;        /* Authorization of each hub request ("" when none) */
  GPtrArray *cdn_auth;        /* same, CDN */
  GPtrArray *writers;         /* GThread, raw writers to join */
} Fixture;

typedef struct
{
  GIOStream *stream;
  GBytes *head;
  GBytes *body;
  gsize limit;       /* bytes of BODY to send before closing */
  guint delay_ms;    /* between 64 KiB chunks */
} RawWrite;

/* ---- the servers ---------------------------------------------------------- */

static char *
sha256_of (GBytes *bytes)
{
  return g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, bytes);
}

static gboolean
is_served (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (served_files); i++)
    if (strcmp (served_files[i], name) == 0)
      return TRUE;
  return FALSE;
}

static GBytes *
read_fixture (Fixture *fx, const char *name)
{
  g_autofree char *path = g_build_filename (fx->fixture_dir, name, NULL);

  return rg_test_read_file (path);
}

static gboolean
authorized (Fixture *fx, const char *repo, SoupServerMessage *msg)
{
  const char *auth = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                   "Authorization");

  return strcmp (repo, GATED_REPO) != 0 || g_strcmp0 (auth, "Bearer " TOKEN) == 0;
}

static void
log_auth (GPtrArray *log, SoupServerMessage *msg)
{
  const char *auth = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                   "Authorization");

  g_ptr_array_add (log, g_strdup (auth ? auth : ""));
}

static void
serve_api (Fixture *fx, SoupServerMessage *msg, const char *repo, const char *rev)
{
  g_autoptr(GString) json = g_string_new ("{\"id\":\"");

  if (strcmp (rev, "main") != 0)
    {
      soup_server_message_set_status (msg, 404, NULL);
      return;
    }
  g_string_append_printf (json, "%s\",\"sha\":\"0123456789abcdef0123456789abcdef01234567\",\"siblings\":[", repo);
  /* Files Regard must skip come too. */
  g_string_append (json, "{\"rfilename\":\"README.md\"},{\"rfilename\":\"pytorch_model.bin\"}");
  for (gsize i = 0; i < G_N_ELEMENTS (served_files); i++)
    g_string_append_printf (json, ",{\"rfilename\":\"%s\"}", served_files[i]);
  g_string_append (json, "]}");
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, json->str, json->len);
}

static void
serve_resolve (Fixture *fx, SoupServerMessage *msg, const char *repo, const char *rev, const char *name)
{
  g_autoptr(GBytes) bytes = NULL;

  if (strcmp (rev, "main") != 0 || !is_served (name))
    {
      soup_server_message_set_status (msg, 404, NULL);
      return;
    }
  bytes = read_fixture (fx, name);
  if (g_str_has_suffix (name, ".safetensors"))
    {
      SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
      g_autofree char *sha = sha256_of (bytes);
      g_autofree char *etag = g_strdup_printf ("\"%s\"", sha);
      g_autofree char *size = g_strdup_printf ("%" G_GSIZE_FORMAT, g_bytes_get_size (bytes));
      g_autofree char *location = g_strdup_printf ("%s/cdn/%s/%s", fx->cdn_url, repo, name);

      soup_message_headers_replace (headers, "X-Linked-Etag", etag);
      soup_message_headers_replace (headers, "X-Linked-Size", size);
      soup_server_message_set_redirect (msg, 302, location);
      return;
    }
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "application/octet-stream", SOUP_MEMORY_COPY,
                                    g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

static void
hub_handler (SoupServer *server, SoupServerMessage *msg, const char *path,
             GHashTable *query, gpointer user_data)
{
  Fixture *fx = user_data;
  g_auto(GStrv) parts = g_strsplit (path + 1, "/", 0);
  guint n = g_strv_length (parts);
  g_autofree char *repo = NULL;

  log_auth (fx->hub_auth, msg);
  /* /api/models/OWNER/NAME/revision/REV */
  if (n == 6 && strcmp (parts[0], "api") == 0 && strcmp (parts[1], "models") == 0
      && strcmp (parts[4], "revision") == 0)
    {
      repo = g_strdup_printf ("%s/%s", parts[2], parts[3]);
      if (strcmp (repo, REPO) != 0 && strcmp (repo, GATED_REPO) != 0)
        soup_server_message_set_status (msg, 404, NULL);
      else if (!authorized (fx, repo, msg))
        soup_server_message_set_status (msg, 401, NULL);
      else
        serve_api (fx, msg, repo, parts[5]);
      return;
    }
  /* /OWNER/NAME/resolve/REV/FILE */
  if (n == 5 && strcmp (parts[2], "resolve") == 0)
    {
      repo = g_strdup_printf ("%s/%s", parts[0], parts[1]);
      if (strcmp (repo, REPO) != 0 && strcmp (repo, GATED_REPO) != 0)
        soup_server_message_set_status (msg, 404, NULL);
      else if (!authorized (fx, repo, msg))
        soup_server_message_set_status (msg, 401, NULL);
      else
        serve_resolve (fx, msg, repo, parts[3], parts[4]);
      return;
    }
  soup_server_message_set_status (msg, 404, NULL);
}

/* A hand-written response on a stolen connection, so the test decides when
 * bytes flow and when the connection drops. */
static gpointer
raw_write_thread (gpointer user_data)
{
  RawWrite *w = user_data;
  GOutputStream *out = g_io_stream_get_output_stream (w->stream);
  const guint8 *body = g_bytes_get_data (w->body, NULL);
  gsize sent = 0;

  if (g_output_stream_write_all (out, g_bytes_get_data (w->head, NULL), g_bytes_get_size (w->head),
                                 NULL, NULL, NULL))
    while (sent < w->limit)
      {
        gsize chunk = MIN (w->limit - sent, 65536);

        if (!g_output_stream_write_all (out, body + sent, chunk, NULL, NULL, NULL))
          break;
        sent += chunk;
        if (w->delay_ms > 0)
          g_usleep (w->delay_ms * 1000);
      }
  g_io_stream_close (w->stream, NULL, NULL);
  g_object_unref (w->stream);
  g_bytes_unref (w->head);
  g_bytes_unref (w->body);
  g_free (w);
  return NULL;
}

static void
raw_response (Fixture *fx, SoupServerMessage *msg, GBytes *body, gsize limit, guint delay_ms)
{
  RawWrite *w = g_new0 (RawWrite, 1);
  g_autofree char *head = g_strdup_printf ("HTTP/1.1 200 OK\r\nContent-Length: %" G_GSIZE_FORMAT "\r\n"
                                           "Content-Type: application/octet-stream\r\n"
                                           "Connection: close\r\n\r\n",
                                           g_bytes_get_size (body));

  w->head = g_bytes_new (head, strlen (head));
  w->body = g_bytes_ref (body);
  w->limit = limit;
  w->delay_ms = delay_ms;
  w->stream = soup_server_message_steal_connection (msg);
  g_ptr_array_add (fx->writers, g_thread_new ("raw-writer", raw_write_thread, w));
}

static void
cdn_handler (SoupServer *server, SoupServerMessage *msg, const char *path,
             GHashTable *query, gpointer user_data)
{
  Fixture *fx = user_data;
  SoupMessageHeaders *request = soup_server_message_get_request_headers (msg);
  const char *name = strrchr (path, '/') + 1;
  g_autoptr(GBytes) bytes = NULL;
  const char *range = soup_message_headers_get_one (request, "Range");
  gsize size;
  goffset start = 0;
  guint8 *data;

  log_auth (fx->cdn_auth, msg);
  if (!g_str_has_prefix (path, "/cdn/") || !is_served (name))
    {
      soup_server_message_set_status (msg, 404, NULL);
      return;
    }
  bytes = read_fixture (fx, name);
  size = g_bytes_get_size (bytes);
  if (strcmp (name, SHARD1) == 0 && strcmp (soup_server_message_get_method (msg), "GET") == 0)
    {
      g_ptr_array_add (fx->shard1_ranges, g_strdup (range ? range : ""));
      if (fx->corrupt_shard)
        {
          data = g_bytes_unref_to_data (g_steal_pointer (&bytes), &size);
          data[size / 2] ^= 0x40;
          bytes = g_bytes_new_take (data, size);
        }
      if (fx->cut_first_shard && fx->shard1_ranges->len == 1)
        {
          raw_response (fx, msg, bytes, CUT_AFTER, 0);
          return;
        }
      if (fx->slow_shard)
        {
          raw_response (fx, msg, bytes, size, 20);
          return;
        }
    }
  if (range != NULL)
    {
      g_assert_true (g_str_has_prefix (range, "bytes="));
      start = g_ascii_strtoll (range + 6, NULL, 10);
      g_assert_cmpint (start, <, size);
      soup_message_headers_set_content_range (soup_server_message_get_response_headers (msg),
                                              start, size - 1, size);
      soup_server_message_set_status (msg, 206, NULL);
    }
  else
    soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "application/octet-stream", SOUP_MEMORY_COPY,
                                    (const char *) g_bytes_get_data (bytes, NULL) + start,
                                    size - start);
}

static char *
listen_url (SoupServer *server)
{
  g_autoptr(GError) error = NULL;
  GSList *uris;
  char *url;

  soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);
  url = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return url;
}

static void
fixture_set_up (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  fx->fixture_dir = rg_test_fixture_path ("idefics2-tiny");
  fx->tmp_dir = g_dir_make_tmp ("regard-download-XXXXXX", &error);
  g_assert_no_error (error);
  fx->dest_dir = g_build_filename (fx->tmp_dir, "model", NULL);
  fx->shard1_ranges = g_ptr_array_new_with_free_func (g_free);
  fx->hub_auth = g_ptr_array_new_with_free_func (g_free);
  fx->cdn_auth = g_ptr_array_new_with_free_func (g_free);
  fx->writers = g_ptr_array_new ();
  fx->hub = soup_server_new (NULL, NULL);
  fx->cdn = soup_server_new (NULL, NULL);
  soup_server_add_handler (fx->hub, NULL, hub_handler, fx, NULL);
  soup_server_add_handler (fx->cdn, NULL, cdn_handler, fx, NULL);
  fx->hub_url = listen_url (fx->hub);
  fx->cdn_url = listen_url (fx->cdn);
  fx->endpoint = fx->hub_url;
}

static void
fixture_tear_down (Fixture *fx, gconstpointer data)
{
  for (guint i = 0; i < fx->writers->len; i++)
    g_thread_join (g_ptr_array_index (fx->writers, i));
  g_ptr_array_unref (fx->writers);
  soup_server_disconnect (fx->hub);
  soup_server_disconnect (fx->cdn);
  g_object_unref (fx->hub);
  g_object_unref (fx->cdn);
  rg_test_remove_tree (fx->tmp_dir);
  g_ptr_array_unref (fx->shard1_ranges);
  g_ptr_array_unref (fx->hub_auth);
  g_ptr_array_unref (fx->cdn_auth);
  g_free (fx->hub_url);
  g_free (fx->cdn_url);
  g_free (fx->fixture_dir);
  g_free (fx->tmp_dir);
  g_free (fx->dest_dir);
}

/* ---- running a download on the test's main context ----------------------- */

typedef struct
{
  GMainLoop *loop;
  guint n_progress;
  gboolean saw_done;
  guint64 last_done;
  guint64 last_total;
  GCancellable *cancel_at;    /* cancelled once SHARD1 has CANCEL_BYTES */
  guint64 shard1_start;       /* done_bytes + 1 when SHARD1 began */
  gboolean finished;
  GAsyncResult *result;
  guint destroyed;            /* progress_destroy calls */
} Run;

#define CANCEL_BYTES (256 * 1024)

static void
on_progress (const RegardDownloadProgress *p, gpointer user_data)
{
  Run *run = user_data;

  g_assert_false (run->finished);  /* never after completion */
  g_assert_cmpuint (run->destroyed, ==, 0);
  run->n_progress++;
  run->last_done = p->done_bytes;
  run->last_total = p->total_bytes;
  if (p->phase == REGARD_DOWNLOAD_PHASE_DONE)
    run->saw_done = TRUE;
  if (g_strcmp0 (p->file, SHARD1) == 0)
    {
      /* done_bytes counts every file: measure SHARD1 from its start. */
      if (run->shard1_start == 0)
        run->shard1_start = p->done_bytes + 1;
      if (run->cancel_at != NULL && p->done_bytes + 1 - run->shard1_start > CANCEL_BYTES)
        g_cancellable_cancel (run->cancel_at);
    }
}

static void
on_progress_destroy (gpointer user_data)
{
  Run *run = user_data;

  run->destroyed++;
}

static void
on_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Run *run = user_data;

  run->finished = TRUE;
  run->result = g_object_ref (result);
  g_main_loop_quit (run->loop);
}

/* Runs a download of REPO into the fixture's folder; returns the folder or
 * NULL with ERROR set. */
static char *
download (Fixture *fx, const char *repo, GCancellable *cancellable, Run *run, GError **error)
{
  RegardDownloadParams params = regard_download_params_default ();
  g_autoptr(RegardDownload) dl = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  Run local = { 0 };
  char *dir;

  if (run == NULL)
    run = &local;
  params.repo = repo;
  params.dest_dir = fx->dest_dir;
  params.endpoint = fx->endpoint;
  dl = regard_download_new (&params, error);
  g_assert_nonnull (dl);
  run->loop = loop;
  regard_download_run_async (dl, cancellable, on_progress, run, on_progress_destroy, on_done, run);
  g_main_loop_run (loop);
  dir = regard_download_run_finish (dl, run->result, error);
  g_clear_object (&run->result);
  /* The progress data's last use: once, after the last progress. */
  while (run->destroyed == 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (run->destroyed, ==, 1);
  run->loop = NULL;
  return dir;
}

/* ---- checks --------------------------------------------------------------- */

static void
assert_same_as_fixture (Fixture *fx, const char *name)
{
  g_autofree char *path = g_build_filename (fx->dest_dir, name, NULL);
  g_autoptr(GBytes) want = read_fixture (fx, name);
  g_autoptr(GBytes) got = rg_test_read_file (path);

  if (!g_bytes_equal (want, got))
    g_error ("%s differs from the fixture (%" G_GSIZE_FORMAT " vs %" G_GSIZE_FORMAT " bytes)",
             name, g_bytes_get_size (got), g_bytes_get_size (want));
}

static gboolean
dest_has (Fixture *fx, const char *name)
{
  g_autofree char *path = g_build_filename (fx->dest_dir, name, NULL);

  return g_file_test (path, G_FILE_TEST_EXISTS);
}

static gint64
dest_size (Fixture *fx, const char *name)
{
  g_autofree char *path = g_build_filename (fx->dest_dir, name, NULL);
  GStatBuf st;

  return g_stat (path, &st) == 0 ? st.st_size : -1;
}

static void
write_partial_shard (Fixture *fx, gsize n)
{
  g_autoptr(GBytes) shard = read_fixture (fx, SHARD1);
  g_autofree char *path = g_build_filename (fx->dest_dir, SHARD1 ".part", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (fx->dest_dir, 0755), ==, 0);
  g_file_set_contents (path, g_bytes_get_data (shard, NULL), n, &error);
  g_assert_no_error (error);
}

static guint64
fixture_total (Fixture *fx)
{
  guint64 total = 0;

  for (gsize i = 0; i < G_N_ELEMENTS (served_files); i++)
    {
      g_autoptr(GBytes) bytes = read_fixture (fx, served_files[i]);

      total += g_bytes_get_size (bytes);
    }
  return total;
}

/* ---- tests ---------------------------------------------------------------- */

static void
test_complete (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  Run run = { 0 };

  dir = download (fx, REPO, NULL, &run, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (dir, ==, fx->dest_dir);
  for (gsize i = 0; i < G_N_ELEMENTS (served_files); i++)
    {
      g_autofree char *part = g_strconcat (served_files[i], ".part", NULL);

      assert_same_as_fixture (fx, served_files[i]);
      g_assert_false (dest_has (fx, part));
    }
  g_assert_false (dest_has (fx, "README.md"));
  g_assert_false (dest_has (fx, "pytorch_model.bin"));
  g_assert_true (run.saw_done);
  g_assert_cmpuint (run.last_done, ==, fixture_total (fx));
  g_assert_cmpuint (run.last_total, ==, fixture_total (fx));
  g_assert_cmpuint (fx->shard1_ranges->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (fx->shard1_ranges, 0), ==, "");
}

static void
test_resume_after_cut (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;

  fx->cut_first_shard = TRUE;
  dir = download (fx, REPO, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (fx->shard1_ranges->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (fx->shard1_ranges, 0), ==, "");
  g_assert_cmpstr (g_ptr_array_index (fx->shard1_ranges, 1), ==, "bytes=1000000-");
  assert_same_as_fixture (fx, SHARD1);
}

static void
test_corrupt (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;

  fx->corrupt_shard = TRUE;
  dir = download (fx, REPO, NULL, NULL, &error);
  g_assert_null (dir);
  g_assert_error (error, REGARD_DOWNLOAD_ERROR, REGARD_DOWNLOAD_ERROR_CHECKSUM);
  g_assert_nonnull (strstr (error->message, SHARD1));
  g_assert_nonnull (strstr (error->message, "SHA-256"));
  g_assert_false (dest_has (fx, SHARD1));
  g_assert_false (dest_has (fx, SHARD1 ".part"));
}

static void
test_repo_not_found (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = download (fx, "test/missing", NULL, NULL, &error);

  g_assert_null (dir);
  g_assert_error (error, REGARD_DOWNLOAD_ERROR, REGARD_DOWNLOAD_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "test/missing"));
  g_assert_nonnull (strstr (error->message, "not found"));
}

static void
test_revision_not_found (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = download (fx, REPO "@v9", NULL, NULL, &error);

  g_assert_null (dir);
  g_assert_error (error, REGARD_DOWNLOAD_ERROR, REGARD_DOWNLOAD_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "revision v9"));
}

static void
test_unauthorized (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = download (fx, GATED_REPO, NULL, NULL, &error);

  g_assert_null (dir);
  g_assert_error (error, REGARD_DOWNLOAD_ERROR, REGARD_DOWNLOAD_ERROR_UNAUTHORIZED);
  g_assert_nonnull (strstr (error->message, "HF_TOKEN"));
  g_assert_nonnull (strstr (error->message, "license"));
  g_assert_cmpstr (g_ptr_array_index (fx->hub_auth, 0), ==, "");
}

static void
test_gated_with_token (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;

  g_setenv ("HF_TOKEN", TOKEN, TRUE);
  dir = download (fx, GATED_REPO, NULL, NULL, &error);
  g_unsetenv ("HF_TOKEN");
  g_assert_no_error (error);
  assert_same_as_fixture (fx, SHARD2);
  g_assert_cmpuint (fx->hub_auth->len, >, 0);
  for (guint i = 0; i < fx->hub_auth->len; i++)
    g_assert_cmpstr (g_ptr_array_index (fx->hub_auth, i), ==, "Bearer " TOKEN);
  /* The CDN is another origin: it never sees the token. */
  g_assert_cmpuint (fx->cdn_auth->len, >, 0);
  for (guint i = 0; i < fx->cdn_auth->len; i++)
    g_assert_cmpstr (g_ptr_array_index (fx->cdn_auth, i), ==, "");
}

static void
test_cancel_keeps_part (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autofree char *dir = NULL;
  g_autoptr(GBytes) shard = read_fixture (fx, SHARD1);
  Run run = { .cancel_at = cancellable };

  fx->slow_shard = TRUE;
  dir = download (fx, REPO, cancellable, &run, &error);
  g_assert_null (dir);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (dest_has (fx, SHARD1));
  g_assert_cmpint (dest_size (fx, SHARD1 ".part"), >=, CANCEL_BYTES);
  g_assert_cmpint (dest_size (fx, SHARD1 ".part"), <, g_bytes_get_size (shard));
}

static void
test_restart_resumes (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;

  /* What an earlier process left behind. */
  write_partial_shard (fx, 1500000);
  dir = download (fx, REPO, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (fx->shard1_ranges->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (fx->shard1_ranges, 0), ==, "bytes=1500000-");
  assert_same_as_fixture (fx, SHARD1);
  g_assert_false (dest_has (fx, SHARD1 ".part"));
}

static void
test_installed_files_skipped (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *first = download (fx, REPO, NULL, NULL, &error);
  g_autofree char *second = NULL;

  g_assert_no_error (error);
  second = download (fx, REPO, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (fx->shard1_ranges->len, ==, 1);
  assert_same_as_fixture (fx, SHARD1);
}

static void
test_network_down (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;

  /* Port 1 on loopback: nothing listens there. */
  fx->endpoint = "http://127.0.0.1:1";
  dir = download (fx, REPO, NULL, NULL, &error);
  g_assert_null (dir);
  g_assert_error (error, REGARD_DOWNLOAD_ERROR, REGARD_DOWNLOAD_ERROR_NETWORK);
  g_assert_nonnull (strstr (error->message, "127.0.0.1"));
}

typedef struct
{
  RgDownloadConfig *config;
  gboolean ok;
  GError *error;
  gint done;
} InternalRun;

static gpointer
internal_run_thread (gpointer user_data)
{
  InternalRun *run = user_data;

  run->ok = rg_download_run (run->config, NULL, NULL, NULL, &run->error);
  g_atomic_int_set (&run->done, 1);
  g_main_context_wakeup (NULL);
  return NULL;
}

static void
test_no_space (Fixture *fx, gconstpointer data)
{
  RgDownloadConfig config = {
    .repo = g_strdup (REPO),
    .revision = g_strdup ("main"),
    .endpoint = g_strdup (fx->hub_url),
    .dest_dir = g_strdup (fx->dest_dir),
    /* Room for the small files, not for the shards. */
    .free_space_override = 4 * 1024 * 1024,
  };
  InternalRun run = { .config = &config };
  GThread *thread = g_thread_new ("download", internal_run_thread, &run);

  while (!g_atomic_int_get (&run.done))
    g_main_context_iteration (NULL, TRUE);
  g_thread_join (thread);
  g_assert_false (run.ok);
  g_assert_error (run.error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
  g_assert_nonnull (strstr (run.error->message, "disk space"));
  /* Checked before any weights were fetched. */
  g_assert_cmpuint (fx->shard1_ranges->len, ==, 0);
  g_assert_false (dest_has (fx, SHARD1 ".part"));
  g_assert_false (dest_has (fx, "tokenizer.json"));
  g_clear_error (&run.error);
  rg_download_config_clear (&config);
}

static void
test_invalid_repo (Fixture *fx, gconstpointer data)
{
  RegardDownloadParams params = regard_download_params_default ();
  g_autoptr(GError) error = NULL;
  g_autoptr(RegardDownload) dl = NULL;

  params.repo = "../../etc";
  dl = regard_download_new (&params, &error);
  g_assert_null (dl);
  g_assert_error (error, REGARD_DOWNLOAD_ERROR, REGARD_DOWNLOAD_ERROR_INVALID_REPO);
}

typedef struct
{
  const char *model;
  gboolean download;
  Run *run;
  char *dir;
  GError *error;
  gint done;
} ResolveCall;

static gpointer
resolve_thread (gpointer user_data)
{
  ResolveCall *call = user_data;

  call->dir = regard_model_resolve (call->model, call->download, NULL,
                                    call->run ? on_progress : NULL, call->run, &call->error);
  g_atomic_int_set (&call->done, 1);
  g_main_context_wakeup (NULL);
  return NULL;
}

/* regard_model_resolve blocks, and the loopback hub answers on this
 * thread's main context: the call runs on another thread meanwhile. */
static char *
resolve (const char *model, gboolean download_if_missing, Run *run, GError **error)
{
  ResolveCall call = { .model = model, .download = download_if_missing, .run = run };
  GThread *thread = g_thread_new ("resolve", resolve_thread, &call);

  while (!g_atomic_int_get (&call.done))
    g_main_context_iteration (NULL, TRUE);
  g_thread_join (thread);
  if (call.error != NULL)
    g_propagate_error (error, call.error);
  return call.dir;
}

static void
test_sync_resolve (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *models = regard_models_dir ();
  g_autofree char *want = g_build_filename (models, "test", "tiny", NULL);
  g_autofree char *dir = NULL;
  g_autofree char *again = NULL;
  Run run = { 0 };

  /* regard_model_resolve has no endpoint parameter: the environment it is. */
  g_setenv ("REGARD_HF_ENDPOINT", fx->hub_url, TRUE);
  dir = resolve (REPO, FALSE, NULL, &error);
  g_assert_null (dir);
  g_assert_error (error, REGARD_DOWNLOAD_ERROR, REGARD_DOWNLOAD_ERROR_NOT_INSTALLED);
  g_clear_error (&error);

  dir = resolve (REPO, TRUE, &run, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (dir, ==, want);
  g_assert_true (run.saw_done);

  /* Installed now: the hub is not asked again. */
  g_setenv ("REGARD_HF_ENDPOINT", "http://127.0.0.1:1", TRUE);
  again = resolve (REPO, FALSE, NULL, &error);
  g_unsetenv ("REGARD_HF_ENDPOINT");
  g_assert_no_error (error);
  g_assert_cmpstr (again, ==, want);
  rg_test_remove_tree (models);
}

int
main (int argc, char **argv)
{
  g_autofree char *data_home = g_dir_make_tmp ("regard-data-XXXXXX", NULL);

  /* Before anything asks GLib for the data folder, or starts a thread. */
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);
  g_unsetenv ("HF_TOKEN");
  g_unsetenv ("REGARD_HF_ENDPOINT");
  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("/engine/download/complete", test_complete);
  ADD ("/engine/download/resume", test_resume_after_cut);
  ADD ("/engine/download/corrupt", test_corrupt);
  ADD ("/engine/download/repo-not-found", test_repo_not_found);
  ADD ("/engine/download/revision-not-found", test_revision_not_found);
  ADD ("/engine/download/unauthorized", test_unauthorized);
  ADD ("/engine/download/gated-token", test_gated_with_token);
  ADD ("/engine/download/cancel-keeps-part", test_cancel_keeps_part);
  ADD ("/engine/download/restart-resumes", test_restart_resumes);
  ADD ("/engine/download/installed-skipped", test_installed_files_skipped);
  ADD ("/engine/download/network-down", test_network_down);
  ADD ("/engine/download/invalid-repo", test_invalid_repo);
  ADD ("/engine/download/no-space", test_no_space);
  ADD ("/engine/download/resolve", test_sync_resolve);
#undef ADD

  {
    int status = g_test_run ();

    g_rmdir (data_home);
    return status;
  }
}
