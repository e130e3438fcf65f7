/* regard-cli download and models, run as a subprocess against a minimal
 * loopback hub (one repo: config.json + model.safetensors served in place).
 * Without a terminal the progress is plain lines; stdout is the folder. */
#include "test-common.h"

#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <string.h>

static const char config_json[] = "{\"model_type\":\"idefics2\"}";
static char weights[300000];

typedef struct
{
  SoupServer *server;
  char *url;
  char *data_home;
} Fixture;

static void
handler (SoupServer *server, SoupServerMessage *msg, const char *path,
         GHashTable *query, gpointer user_data)
{
  const char *api = "{\"sha\":\"1\",\"siblings\":[{\"rfilename\":\"config.json\"},"
                    "{\"rfilename\":\"model.safetensors\"}]}";

  if (strcmp (path, "/api/models/cli/tiny/revision/main") == 0)
    soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, api, strlen (api));
  else if (strcmp (path, "/cli/tiny/resolve/main/config.json") == 0)
    soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC,
                                      config_json, strlen (config_json));
  else if (strcmp (path, "/cli/tiny/resolve/main/model.safetensors") == 0)
    soup_server_message_set_response (msg, "application/octet-stream", SOUP_MEMORY_STATIC,
                                      weights, sizeof weights);
  else
    {
      soup_server_message_set_status (msg, 404, NULL);
      return;
    }
  soup_server_message_set_status (msg, 200, NULL);
}

static void
set_up (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  GSList *uris;

  for (gsize i = 0; i < sizeof weights; i++)
    weights[i] = (char) (i * 7);
  fx->data_home = g_dir_make_tmp ("regard-cli-XXXXXX", &error);
  g_assert_no_error (error);
  fx->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (fx->server, NULL, handler, fx, NULL);
  soup_server_listen_local (fx->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (fx->server);
  fx->url = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
}

static void
tear_down (Fixture *fx, gconstpointer data)
{
  soup_server_disconnect (fx->server);
  g_object_unref (fx->server);
  rg_test_remove_tree (fx->data_home);
  g_free (fx->data_home);
  g_free (fx->url);
}

typedef struct
{
  char *out;
  char *err;
  int status;
  gboolean done;
} CliResult;

static void
on_communicated (GObject *source, GAsyncResult *result, gpointer user_data)
{
  CliResult *r = user_data;
  g_autoptr(GError) error = NULL;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, &r->out, &r->err, &error);
  g_assert_no_error (error);
  r->status = g_subprocess_get_exit_status (G_SUBPROCESS (source));
  r->done = TRUE;
}

/* Runs regard-cli with ARGS while this thread's main context serves. */
static void
run_cli (Fixture *fx, CliResult *r, const char *const *args)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                                                       | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *cli = g_test_build_filename (G_TEST_BUILT, "..", "tools", "regard-cli", NULL);
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;

  g_ptr_array_add (argv, cli);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", fx->data_home, TRUE);
  g_subprocess_launcher_setenv (launcher, "REGARD_HF_ENDPOINT", fx->url, TRUE);
  g_subprocess_launcher_unsetenv (launcher, "HF_TOKEN");
  proc = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (proc, NULL, NULL, on_communicated, r);
  while (!r->done)
    g_main_context_iteration (NULL, TRUE);
}

static void
clear_result (CliResult *r)
{
  g_free (r->out);
  g_free (r->err);
}

static void
test_download (Fixture *fx, gconstpointer data)
{
  const char *args[] = { "download", "cli/tiny", NULL };
  g_autofree char *want_dir = g_build_filename (fx->data_home, "regard", "models", "cli", "tiny", NULL);
  g_autofree char *want_out = g_strconcat (want_dir, "\n", NULL);
  g_autofree char *weights_path = g_build_filename (want_dir, "model.safetensors", NULL);
  g_autoptr(GBytes) got = NULL;
  CliResult r = { 0 };

  run_cli (fx, &r, args);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.out, ==, want_out);
  /* Not a terminal: plain lines, no carriage returns. */
  g_assert_nonnull (strstr (r.err, "[2/2] model.safetensors:"));
  g_assert_null (strchr (r.err, '\r'));
  got = rg_test_read_file (weights_path);
  g_assert_cmpuint (g_bytes_get_size (got), ==, sizeof weights);
  g_assert_cmpmem (g_bytes_get_data (got, NULL), sizeof weights, weights, sizeof weights);
  clear_result (&r);
}

static void
test_download_not_found (Fixture *fx, gconstpointer data)
{
  const char *args[] = { "download", "cli/missing", NULL };
  CliResult r = { 0 };

  run_cli (fx, &r, args);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.err, "regard-cli: cli/missing at revision main: not found"));
  clear_result (&r);
}

static void
test_download_usage (Fixture *fx, gconstpointer data)
{
  const char *args[] = { "download", NULL };
  CliResult r = { 0 };

  run_cli (fx, &r, args);
  g_assert_cmpint (r.status, ==, 2);
  clear_result (&r);
}

static void
test_models_json (Fixture *fx, gconstpointer data)
{
  const char *download[] = { "download", "cli/tiny", NULL };
  const char *models[] = { "models", "--json", NULL };
  g_autofree char *want = NULL;
  g_autofree char *dir = g_build_filename (fx->data_home, "regard", "models", "cli", "tiny", NULL);
  CliResult r1 = { 0 }, r2 = { 0 };

  run_cli (fx, &r1, download);
  g_assert_cmpint (r1.status, ==, 0);
  run_cli (fx, &r2, models);
  g_assert_cmpint (r2.status, ==, 0);
  want = g_strdup_printf ("[{\"repo\":\"cli/tiny\",\"path\":\"%s\",\"size\":%" G_GSIZE_FORMAT ",\"complete\":true}]\n",
                          dir, sizeof weights + strlen (config_json));
  g_assert_cmpstr (r2.out, ==, want);
  clear_result (&r1);
  clear_result (&r2);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/cli/download/plain-progress", Fixture, NULL, set_up, test_download, tear_down);
  g_test_add ("/cli/download/not-found", Fixture, NULL, set_up, test_download_not_found, tear_down);
  g_test_add ("/cli/download/usage", Fixture, NULL, set_up, test_download_usage, tear_down);
  g_test_add ("/cli/models/json", Fixture, NULL, set_up, test_models_json, tear_down);
  return g_test_run ();
}
