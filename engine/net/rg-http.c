#include "rg-http.h"

#include <string.h>

#include "regard-download.h"
#include "rg-hub.h"

#define MAX_REDIRECTS 10

struct _RgHttp
{
  SoupSession *session;
  GUri *hub;      /* the endpoint, whose origin alone receives the token */
  char *auth;     /* "Bearer TOKEN" or NULL */
};

RgHttp *
rg_http_new (const char *endpoint, const char *token)
{
  RgHttp *http = g_new0 (RgHttp, 1);

  /* A stalled CDN must end in an error (and a resumed retry), not a hang. */
  http->session = soup_session_new_with_options ("timeout", 60,
                                                 "user-agent", "Regard/1 (libsoup)",
                                                 NULL);
  /* Byte ranges must count bytes of the file itself, not of a gzip stream. */
  soup_session_remove_feature_by_type (http->session, SOUP_TYPE_CONTENT_DECODER);
  http->hub = g_uri_parse (endpoint, G_URI_FLAGS_ENCODED, NULL);
  if (token != NULL && token[0] != '\0')
    http->auth = g_strdup_printf ("Bearer %s", token);
  return http;
}

void
rg_http_free (RgHttp *http)
{
  if (http == NULL)
    return;
  g_clear_object (&http->session);
  g_clear_pointer (&http->hub, g_uri_unref);
  if (http->auth != NULL)
    memset (http->auth, 0, strlen (http->auth));
  g_free (http->auth);
  g_free (http);
}

void
rg_http_response_free (RgHttpResponse *response)
{
  if (response == NULL)
    return;
  g_clear_object (&response->body);
  g_clear_object (&response->msg);
  g_free (response->linked_sha256);
  g_free (response);
}

static int
uri_port (GUri *uri)
{
  int port = g_uri_get_port (uri);

  if (port > 0)
    return port;
  return g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") == 0 ? 443 : 80;
}

static gboolean
same_origin (GUri *a, GUri *b)
{
  return a != NULL && b != NULL
         && g_ascii_strcasecmp (g_uri_get_scheme (a), g_uri_get_scheme (b)) == 0
         && g_uri_get_host (a) != NULL && g_uri_get_host (b) != NULL
         && g_ascii_strcasecmp (g_uri_get_host (a), g_uri_get_host (b)) == 0
         && uri_port (a) == uri_port (b);
}

static void
read_linked_headers (SoupMessage *msg, RgHttpResponse *response)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (msg);
  const char *etag = soup_message_headers_get_one (headers, "X-Linked-Etag");
  const char *size = soup_message_headers_get_one (headers, "X-Linked-Size");
  guint64 value;

  if (etag != NULL && response->linked_sha256 == NULL)
    response->linked_sha256 = rg_hub_etag_to_sha256 (etag);
  if (size != NULL && response->linked_size < 0
      && g_ascii_string_to_unsigned (size, 10, 0, G_MAXINT64, &value, NULL))
    response->linked_size = (gint64) value;
}

static GError *
network_error (GUri *uri, GError *cause)
{
  if (g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_copy (cause);
  return g_error_new (REGARD_DOWNLOAD_ERROR, REGARD_DOWNLOAD_ERROR_NETWORK,
                      "Cannot reach %s: %s. Check the network connection",
                      g_uri_get_host (uri) ? g_uri_get_host (uri) : "the server",
                      cause->message);
}

RgHttpResponse *
rg_http_send (RgHttp *http, const char *method, const char *url,
              gint64 range_start, GCancellable *cancellable, GError **error)
{
  g_autoptr(RgHttpResponse) response = g_new0 (RgHttpResponse, 1);
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GError) local_error = NULL;

  response->linked_size = -1;
  uri = g_uri_parse (url, G_URI_FLAGS_ENCODED, &local_error);
  if (uri == NULL)
    {
      g_set_error (error, REGARD_DOWNLOAD_ERROR, REGARD_DOWNLOAD_ERROR_FAILED,
                   "Invalid URL %s: %s", url, local_error->message);
      return NULL;
    }

  for (guint hop = 0; hop <= MAX_REDIRECTS; hop++)
    {
      g_autoptr(SoupMessage) msg = soup_message_new_from_uri (method, uri);
      g_autoptr(GInputStream) body = NULL;
      SoupMessageHeaders *request_headers = soup_message_get_request_headers (msg);
      const char *location;
      GUri *next;

      soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT);
      if (http->auth != NULL && same_origin (uri, http->hub))
        soup_message_headers_replace (request_headers, "Authorization", http->auth);
      if (range_start > 0)
        soup_message_headers_set_range (request_headers, range_start, -1);

      body = soup_session_send (http->session, msg, cancellable, &local_error);
      if (body == NULL)
        {
          g_propagate_error (error, network_error (uri, local_error));
          return NULL;
        }
      read_linked_headers (msg, response);

      if (!SOUP_STATUS_IS_REDIRECTION (soup_message_get_status (msg))
          || soup_message_get_status (msg) == 304)
        {
          response->msg = g_steal_pointer (&msg);
          response->body = g_steal_pointer (&body);
          return g_steal_pointer (&response);
        }

      location = soup_message_headers_get_one (soup_message_get_response_headers (msg), "Location");
      if (location == NULL)
        {
          g_set_error (error, REGARD_DOWNLOAD_ERROR, REGARD_DOWNLOAD_ERROR_HTTP,
                       "HTTP %u redirect without a Location from %s",
                       soup_message_get_status (msg), g_uri_get_host (uri));
          return NULL;
        }
      /* The body of a redirect is not wanted; closing drops the connection
       * at worst. */
      g_input_stream_close (body, NULL, NULL);
      next = g_uri_parse_relative (uri, location, G_URI_FLAGS_ENCODED, &local_error);
      if (next == NULL)
        {
          g_set_error (error, REGARD_DOWNLOAD_ERROR, REGARD_DOWNLOAD_ERROR_HTTP,
                       "Invalid redirect to %s: %s", location, local_error->message);
          return NULL;
        }
      g_uri_unref (uri);
      uri = next;
    }
  g_set_error (error, REGARD_DOWNLOAD_ERROR, REGARD_DOWNLOAD_ERROR_HTTP,
               "Too many redirects for %s", url);
  return NULL;
}

GBytes *
rg_http_read_all (RgHttpResponse *response, gsize max,
                  GCancellable *cancellable, GError **error)
{
  g_autoptr(GByteArray) data = g_byte_array_new ();
  guint8 buffer[16384];

  for (;;)
    {
      gssize n = g_input_stream_read (response->body, buffer, sizeof buffer, cancellable, error);

      if (n < 0)
        return NULL;
      if (n == 0)
        break;
      if (data->len + (gsize) n > max)
        {
          g_set_error (error, REGARD_DOWNLOAD_ERROR, REGARD_DOWNLOAD_ERROR_FAILED,
                       "The answer from %s is larger than %" G_GSIZE_FORMAT " bytes",
                       g_uri_get_host (soup_message_get_uri (response->msg)), max);
          return NULL;
        }
      g_byte_array_append (data, buffer, n);
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&data));
}

gboolean
rg_http_error_is_transient (const GError *error)
{
  if (error == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return FALSE;
  if (error->domain == REGARD_DOWNLOAD_ERROR)
    return error->code == REGARD_DOWNLOAD_ERROR_NETWORK;
  if (error->domain != G_IO_ERROR)
    return error->domain == G_TLS_ERROR || error->domain == G_RESOLVER_ERROR;
  switch (error->code)
    {
    case G_IO_ERROR_PARTIAL_INPUT:
    case G_IO_ERROR_BROKEN_PIPE:
    case G_IO_ERROR_TIMED_OUT:
    case G_IO_ERROR_NOT_CONNECTED:
    case G_IO_ERROR_CONNECTION_REFUSED:
    case G_IO_ERROR_HOST_UNREACHABLE:
    case G_IO_ERROR_NETWORK_UNREACHABLE:
    case G_IO_ERROR_FAILED:
      return TRUE;
    default:
      return FALSE;
    }
}
