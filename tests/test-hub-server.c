/* test-hub-server.c: see test-hub-server.h. */

#include "config.h"

#include <libsoup/soup.h>
#include <string.h>

#include "test-hub-server.h"

static const char *const served_files[] = {
  "chat_template.json", "config.json", "generation_config.json",
  "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors",
  "model.safetensors.index.json", "preprocessor_config.json",
  "processor_config.json", "special_tokens_map.json", "tokenizer.json",
  "tokenizer_config.json",
};

struct _RgHubServer
{
  SoupServer *hub;
  SoupServer *cdn;
  char *hub_url;
  char *cdn_url;
  char *fixture_dir;
  GPtrArray *repos;      /* char *, the repos answered for */
  GPtrArray *ranges;     /* char *, Range of each CDN GET */
  GPtrArray *writers;    /* GThread *, trickling responses to join */
  guint delay_ms;
  gint stopping;         /* atomic: writers give up */
};

typedef struct
{
  RgHubServer *server;
  GIOStream *stream;
  GBytes *head;
  GBytes *body;
  guint delay_ms;
} Trickle;

static gboolean
is_served (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (served_files); i++)
    if (strcmp (served_files[i], name) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
has_repo (RgHubServer *self,
          const char  *repo)
{
  for (guint i = 0; i < self->repos->len; i++)
    if (strcmp (g_ptr_array_index (self->repos, i), repo) == 0)
      return TRUE;
  return FALSE;
}

static GBytes *
read_fixture (RgHubServer *self,
              const char  *name)
{
  g_autofree char *path = g_build_filename (self->fixture_dir, name, NULL);
  g_autoptr(GError) error = NULL;
  char *data = NULL;
  gsize size = 0;

  g_file_get_contents (path, &data, &size, &error);
  g_assert_no_error (error);
  return g_bytes_new_take (data, size);
}

static void
serve_api (RgHubServer       *self,
           SoupServerMessage *msg,
           const char        *repo)
{
  g_autoptr(GString) json = g_string_new (NULL);

  g_string_append_printf (json, "{\"id\":\"%s\",\"sha\":\"0123456789abcdef0123456789abcdef01234567\","
                          "\"siblings\":[{\"rfilename\":\"README.md\"}", repo);
  for (gsize i = 0; i < G_N_ELEMENTS (served_files); i++)
    g_string_append_printf (json, ",{\"rfilename\":\"%s\"}", served_files[i]);
  g_string_append (json, "]}");
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, json->str, json->len);
}

static void
serve_resolve (RgHubServer       *self,
               SoupServerMessage *msg,
               const char        *repo,
               const char        *name)
{
  g_autoptr(GBytes) bytes = NULL;

  if (!is_served (name))
    {
      soup_server_message_set_status (msg, 404, NULL);
      return;
    }

  bytes = read_fixture (self, name);
  if (g_str_has_suffix (name, ".safetensors"))
    {
      SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
      g_autofree char *sha = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, bytes);
      g_autofree char *etag = g_strdup_printf ("\"%s\"", sha);
      g_autofree char *size = g_strdup_printf ("%" G_GSIZE_FORMAT, g_bytes_get_size (bytes));
      g_autofree char *location = g_strdup_printf ("%s/cdn/%s/%s", self->cdn_url, repo, name);

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
hub_handler (SoupServer        *server,
             SoupServerMessage *msg,
             const char        *path,
             GHashTable        *query,
             gpointer           user_data)
{
  RgHubServer *self = user_data;
  g_auto(GStrv) parts = g_strsplit (path + 1, "/", 0);
  guint n = g_strv_length (parts);
  g_autofree char *repo = NULL;

  /* /api/models/OWNER/NAME/revision/REV */
  if (n == 6 && strcmp (parts[0], "api") == 0 && strcmp (parts[1], "models") == 0 &&
      strcmp (parts[4], "revision") == 0)
    {
      repo = g_strdup_printf ("%s/%s", parts[2], parts[3]);
      if (!has_repo (self, repo) || strcmp (parts[5], "main") != 0)
        soup_server_message_set_status (msg, 404, NULL);
      else
        serve_api (self, msg, repo);
      return;
    }

  /* /OWNER/NAME/resolve/REV/FILE */
  if (n == 5 && strcmp (parts[2], "resolve") == 0)
    {
      repo = g_strdup_printf ("%s/%s", parts[0], parts[1]);
      if (!has_repo (self, repo) || strcmp (parts[3], "main") != 0)
        soup_server_message_set_status (msg, 404, NULL);
      else
        serve_resolve (self, msg, repo, parts[4]);
      return;
    }

  soup_server_message_set_status (msg, 404, NULL);
}

/* A hand-written response on a stolen connection, written slowly from a
 * thread so the main context stays free for the client under test. */
static gpointer
trickle_thread (gpointer user_data)
{
  Trickle *t = user_data;
  GOutputStream *out = g_io_stream_get_output_stream (t->stream);
  const guint8 *body = g_bytes_get_data (t->body, NULL);
  gsize size = g_bytes_get_size (t->body);
  gsize sent = 0;

  if (g_output_stream_write_all (out, g_bytes_get_data (t->head, NULL), g_bytes_get_size (t->head),
                                 NULL, NULL, NULL))
    while (sent < size && !g_atomic_int_get (&t->server->stopping))
      {
        gsize chunk = MIN (size - sent, 65536);

        if (!g_output_stream_write_all (out, body + sent, chunk, NULL, NULL, NULL))
          break;
        sent += chunk;
        g_usleep (t->delay_ms * 1000);
      }

  g_io_stream_close (t->stream, NULL, NULL);
  g_object_unref (t->stream);
  g_bytes_unref (t->head);
  g_bytes_unref (t->body);
  g_free (t);
  return NULL;
}

static void
cdn_handler (SoupServer        *server,
             SoupServerMessage *msg,
             const char        *path,
             GHashTable        *query,
             gpointer           user_data)
{
  RgHubServer *self = user_data;
  SoupMessageHeaders *request = soup_server_message_get_request_headers (msg);
  const char *range = soup_message_headers_get_one (request, "Range");
  const char *name = strrchr (path, '/') + 1;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GBytes) body = NULL;
  gsize size;
  goffset start = 0;

  if (!g_str_has_prefix (path, "/cdn/") || !is_served (name))
    {
      soup_server_message_set_status (msg, 404, NULL);
      return;
    }

  bytes = read_fixture (self, name);
  size = g_bytes_get_size (bytes);
  if (strcmp (soup_server_message_get_method (msg), "GET") == 0)
    g_ptr_array_add (self->ranges, g_strdup (range ? range : ""));

  if (range != NULL)
    {
      g_assert_true (g_str_has_prefix (range, "bytes="));
      start = g_ascii_strtoll (range + 6, NULL, 10);
      g_assert_cmpint (start, <, size);
    }
  body = g_bytes_new_from_bytes (bytes, start, size - start);

  if (self->delay_ms > 0 && strcmp (soup_server_message_get_method (msg), "GET") == 0)
    {
      Trickle *t = g_new0 (Trickle, 1);
      g_autofree char *head = NULL;

      if (range != NULL)
        head = g_strdup_printf ("HTTP/1.1 206 Partial Content\r\n"
                                "Content-Range: bytes %" G_GOFFSET_FORMAT "-%" G_GSIZE_FORMAT "/%" G_GSIZE_FORMAT "\r\n"
                                "Content-Length: %" G_GSIZE_FORMAT "\r\n"
                                "Content-Type: application/octet-stream\r\n"
                                "Connection: close\r\n\r\n",
                                start, size - 1, size, g_bytes_get_size (body));
      else
        head = g_strdup_printf ("HTTP/1.1 200 OK\r\n"
                                "Content-Length: %" G_GSIZE_FORMAT "\r\n"
                                "Content-Type: application/octet-stream\r\n"
                                "Connection: close\r\n\r\n",
                                size);

      t->server = self;
      t->head = g_bytes_new (head, strlen (head));
      t->body = g_steal_pointer (&body);
      t->delay_ms = self->delay_ms;
      t->stream = soup_server_message_steal_connection (msg);
      g_ptr_array_add (self->writers, g_thread_new ("hub-trickle", trickle_thread, t));
      return;
    }

  if (range != NULL)
    {
      soup_message_headers_set_content_range (soup_server_message_get_response_headers (msg),
                                              start, size - 1, size);
      soup_server_message_set_status (msg, 206, NULL);
    }
  else
    soup_server_message_set_status (msg, 200, NULL);

  soup_server_message_set_response (msg, "application/octet-stream", SOUP_MEMORY_COPY,
                                    g_bytes_get_data (body, NULL), g_bytes_get_size (body));
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
  g_slist_free_full (uris, (GDestroyNotify)g_uri_unref);
  return url;
}

RgHubServer *
rg_hub_server_new (const char *fixture_dir)
{
  RgHubServer *self = g_new0 (RgHubServer, 1);

  self->fixture_dir = g_strdup (fixture_dir);
  self->repos = g_ptr_array_new_with_free_func (g_free);
  self->ranges = g_ptr_array_new_with_free_func (g_free);
  self->writers = g_ptr_array_new ();
  self->hub = soup_server_new (NULL, NULL);
  self->cdn = soup_server_new (NULL, NULL);
  soup_server_add_handler (self->hub, NULL, hub_handler, self, NULL);
  soup_server_add_handler (self->cdn, NULL, cdn_handler, self, NULL);
  self->hub_url = listen_url (self->hub);
  self->cdn_url = listen_url (self->cdn);

  return self;
}

void
rg_hub_server_free (RgHubServer *self)
{
  if (self == NULL)
    return;

  g_atomic_int_set (&self->stopping, 1);
  for (guint i = 0; i < self->writers->len; i++)
    g_thread_join (g_ptr_array_index (self->writers, i));
  soup_server_disconnect (self->hub);
  soup_server_disconnect (self->cdn);
  g_object_unref (self->hub);
  g_object_unref (self->cdn);
  g_ptr_array_unref (self->writers);
  g_ptr_array_unref (self->ranges);
  g_ptr_array_unref (self->repos);
  g_free (self->hub_url);
  g_free (self->cdn_url);
  g_free (self->fixture_dir);
  g_free (self);
}

void
rg_hub_server_add_repo (RgHubServer *self,
                        const char  *repo)
{
  g_ptr_array_add (self->repos, g_strdup (repo));
}

const char *
rg_hub_server_get_url (RgHubServer *self)
{
  return self->hub_url;
}

void
rg_hub_server_set_delay (RgHubServer *self,
                         guint        delay_ms)
{
  self->delay_ms = delay_ms;
}

GPtrArray *
rg_hub_server_get_ranges (RgHubServer *self)
{
  return self->ranges;
}
