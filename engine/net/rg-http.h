/* rg-http.h: one HTTP request to the hub, with redirects followed by hand
 * so that the X-Linked-Etag / X-Linked-Size headers of the hub's redirect
 * can be read and the token is sent to the hub's origin only. A blocking
 * API for the download worker thread. */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct _RgHttp RgHttp;

/* ENDPOINT is the hub (the only origin that sees TOKEN; NULL or "": none).
 * Use an RgHttp from one thread. */
RgHttp *rg_http_new (const char *endpoint, const char *token);
void rg_http_free (RgHttp *http);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RgHttp, rg_http_free)

typedef struct
{
  SoupMessage *msg;      /* the last response, after redirects */
  GInputStream *body;    /* its body; empty for HEAD */
  char *linked_sha256;   /* X-Linked-Etag (LFS files) when a SHA-256, else NULL */
  gint64 linked_size;    /* X-Linked-Size, -1 when absent */
} RgHttpResponse;

void rg_http_response_free (RgHttpResponse *response);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RgHttpResponse, rg_http_response_free)

/* Sends METHOD to URL; RANGE_START >= 0 asks for the bytes from there on.
 * Any final status is returned (the caller judges it); transport failures
 * become REGARD_DOWNLOAD_ERROR_NETWORK, cancellation G_IO_ERROR_CANCELLED. */
RgHttpResponse *rg_http_send (RgHttp *http, const char *method, const char *url,
                              gint64 range_start, GCancellable *cancellable,
                              GError **error);

/* Reads a small whole body (API answers, the index), at most MAX bytes. */
GBytes *rg_http_read_all (RgHttpResponse *response, gsize max,
                          GCancellable *cancellable, GError **error);

/* TRUE for read errors worth a retry with a Range request. */
gboolean rg_http_error_is_transient (const GError *error);

G_END_DECLS
