#include "rg-fetch.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "regard-download.h"
#include "rg-hub.h"

#define BUFFER_SIZE (256 * 1024)

typedef struct
{
  const RgFetchTarget *target;
  GChecksum *sum;       /* of the bytes in the .part so far */
  guint64 offset;       /* bytes in the .part */
  gint64 size;          /* expected, -1 while unknown */
  char *sha256;         /* expected, NULL while unknown */
  RgFetchProgressFunc progress;
  gpointer progress_data;
  guint8 *buffer;
} Fetch;

gint64
rg_fetch_file_size (const char *path)
{
  GStatBuf st;

  if (g_stat (path, &st) != 0 || !S_ISREG (st.st_mode))
    return -1;
  return st.st_size;
}

static void
report (Fetch *f)
{
  if (f->progress != NULL)
    f->progress (f->offset, f->size, f->progress_data);
}

/* Starts over: the .part is gone and the hash is empty. */
static void
reset (Fetch *f)
{
  g_unlink (f->target->part_path);
  g_checksum_reset (f->sum);
  f->offset = 0;
  report (f);
}

/* Hashes the bytes an earlier run left in the .part, so that the final
 * SHA-256 covers the whole file. */
static gboolean
hash_part (Fetch *f, GCancellable *cancellable, GError **error)
{
  g_autoptr(GFile) file = g_file_new_for_path (f->target->part_path);
  g_autoptr(GFileInputStream) in = NULL;
  g_autoptr(GError) local_error = NULL;

  in = g_file_read (file, cancellable, &local_error);
  if (in == NULL)
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        return TRUE;
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  for (;;)
    {
      gssize n = g_input_stream_read (G_INPUT_STREAM (in), f->buffer, BUFFER_SIZE,
                                      cancellable, error);
      if (n < 0)
        return FALSE;
      if (n == 0)
        return TRUE;
      g_checksum_update (f->sum, f->buffer, n);
      f->offset += n;
    }
}

/* The total of a 416 answer, "bytes *\/TOTAL" (libsoup parses only full
 * ranges). */
static gint64
unsatisfied_range_total (SoupMessage *msg)
{
  const char *value = soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                    "Content-Range");
  guint64 total;

  if (value == NULL || !g_str_has_prefix (value, "bytes */")
      || !g_ascii_string_to_unsigned (value + 8, 10, 0, G_MAXINT64, &total, NULL))
    return -1;
  return (gint64) total;
}

/* Judges the answer to a (ranged) GET. Returns FALSE with ERROR set, or
 * TRUE with *READ_BODY telling whether the body holds bytes to append. */
static gboolean
accept_status (Fetch *f, RgHttpResponse *response, gboolean *read_body, GError **error)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (response->msg);
  guint status = soup_message_get_status (response->msg);
  goffset start, end, total;

  *read_body = TRUE;
  if (f->sha256 == NULL && response->linked_sha256 != NULL)
    f->sha256 = g_strdup (response->linked_sha256);
  if (f->size < 0 && response->linked_size >= 0)
    f->size = response->linked_size;

  if (status == SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE && f->offset > 0)
    {
      /* The .part already holds the whole file, or more: verification
       * decides. */
      if (f->size < 0)
        f->size = unsatisfied_range_total (response->msg);
      *read_body = FALSE;
      return TRUE;
    }
  if (status == SOUP_STATUS_PARTIAL_CONTENT && f->offset > 0)
    {
      if (!soup_message_headers_get_content_range (headers, &start, &end, &total)
          || (guint64) start != f->offset)
        {
          /* Not the bytes asked for: start over rather than splice. */
          reset (f);
          g_set_error (error, REGARD_DOWNLOAD_ERROR, REGARD_DOWNLOAD_ERROR_NETWORK,
                       "The server sent the wrong byte range for %s", f->target->name);
          return FALSE;
        }
      if (f->size < 0 && total >= 0)
        f->size = total;
      return TRUE;
    }
  if (status == SOUP_STATUS_OK)
    {
      if (f->offset > 0)
        reset (f);  /* the server ignored the Range */
      if (f->size < 0 && soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH)
        f->size = soup_message_headers_get_content_length (headers);
      return TRUE;
    }
  g_propagate_error (error, rg_hub_status_error (status, soup_message_get_reason_phrase (response->msg),
                                                 f->target->endpoint, f->target->repo,
                                                 f->target->revision, f->target->name));
  return FALSE;
}

/* One request, appending its body to the .part. TRUE when the body was
 * read to its end. */
static gboolean
transfer_once (Fetch *f, RgHttp *http, GCancellable *cancellable, GError **error)
{
  g_autoptr(RgHttpResponse) response = NULL;
  g_autoptr(GFile) part = g_file_new_for_path (f->target->part_path);
  g_autoptr(GFileOutputStream) out = NULL;
  gboolean read_body;

  response = rg_http_send (http, "GET", f->target->url, f->offset > 0 ? (gint64) f->offset : -1,
                           cancellable, error);
  if (response == NULL || !accept_status (f, response, &read_body, error))
    return FALSE;
  report (f);
  if (!read_body)
    return TRUE;

  out = g_file_append_to (part, G_FILE_CREATE_NONE, cancellable, error);
  if (out == NULL)
    {
      g_prefix_error (error, "Cannot write %s: ", f->target->part_path);
      return FALSE;
    }
  for (;;)
    {
      gssize n = g_input_stream_read (response->body, f->buffer, BUFFER_SIZE, cancellable, error);

      if (n < 0)
        {
          g_output_stream_close (G_OUTPUT_STREAM (out), NULL, NULL);
          return FALSE;
        }
      if (n == 0)
        break;
      g_checksum_update (f->sum, f->buffer, n);
      if (!g_output_stream_write_all (G_OUTPUT_STREAM (out), f->buffer, n, NULL, cancellable, error))
        {
          g_output_stream_close (G_OUTPUT_STREAM (out), NULL, NULL);
          g_prefix_error (error, "Cannot write %s: ", f->target->part_path);
          return FALSE;
        }
      f->offset += n;
      report (f);
      /* More than promised: stop now, verification reports it. */
      if (f->size >= 0 && f->offset > (guint64) f->size)
        break;
    }
  if (!g_output_stream_close (G_OUTPUT_STREAM (out), cancellable, error))
    {
      g_prefix_error (error, "Cannot write %s: ", f->target->part_path);
      return FALSE;
    }
  return TRUE;
}

static gboolean
sleep_cancellable (guint ms, GCancellable *cancellable, GError **error)
{
  for (guint t = 0; t < ms; t += 20)
    {
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      g_usleep (20 * 1000);
    }
  return !g_cancellable_set_error_if_cancelled (cancellable, error);
}

static gboolean
corrupted (Fetch *f, GError **error, const char *what, const char *got, const char *want)
{
  /* A damaged file is not kept: the next run starts it over. */
  g_unlink (f->target->part_path);
  g_set_error (error, REGARD_DOWNLOAD_ERROR, REGARD_DOWNLOAD_ERROR_CHECKSUM,
               "%s is corrupted: its %s is %s but the hub says %s. The damaged "
               "download was deleted; download again",
               f->target->name, what, got, want);
  return FALSE;
}

static gboolean
verify_and_install (Fetch *f, GError **error)
{
  if (f->size >= 0 && f->offset != (guint64) f->size)
    {
      g_autofree char *got = g_strdup_printf ("%" G_GUINT64_FORMAT " bytes", f->offset);
      g_autofree char *want = g_strdup_printf ("%" G_GINT64_FORMAT " bytes", f->size);

      return corrupted (f, error, "size", got, want);
    }
  if (f->sha256 != NULL && strcmp (g_checksum_get_string (f->sum), f->sha256) != 0)
    return corrupted (f, error, "SHA-256", g_checksum_get_string (f->sum), f->sha256);
  if (g_rename (f->target->part_path, f->target->final_path) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Cannot move %s into place: %s", f->target->part_path, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

gboolean
rg_fetch_file (RgHttp *http, const RgFetchTarget *target,
               RgFetchProgressFunc progress, gpointer progress_data,
               GCancellable *cancellable, GError **error)
{
  Fetch f = {
    .target = target,
    .sum = g_checksum_new (G_CHECKSUM_SHA256),
    .size = target->size,
    .sha256 = g_strdup (target->sha256),
    .progress = progress,
    .progress_data = progress_data,
    .buffer = g_malloc (BUFFER_SIZE),
  };
  gboolean ok = FALSE;

  if (!hash_part (&f, cancellable, error))
    goto out;
  if (f.size >= 0 && f.offset > (guint64) f.size)
    reset (&f);
  report (&f);

  for (guint attempt = 0;; attempt++)
    {
      g_autoptr(GError) local_error = NULL;

      /* A .part of the expected size from an earlier run needs no request. */
      if (f.size >= 0 && f.offset == (guint64) f.size)
        break;
      if (transfer_once (&f, http, cancellable, &local_error))
        {
          if (f.size < 0 || f.offset >= (guint64) f.size)
            break;
          g_set_error (&local_error, REGARD_DOWNLOAD_ERROR, REGARD_DOWNLOAD_ERROR_NETWORK,
                       "The connection closed early");
        }
      if (!rg_http_error_is_transient (local_error) || attempt >= RG_FETCH_MAX_RETRIES)
        {
          if (rg_http_error_is_transient (local_error))
            g_set_error (error, REGARD_DOWNLOAD_ERROR, REGARD_DOWNLOAD_ERROR_NETWORK,
                         "The download of %s stopped after %" G_GUINT64_FORMAT " bytes: %s. "
                         "Run it again to resume", target->name, f.offset, local_error->message);
          else
            g_propagate_error (error, g_steal_pointer (&local_error));
          goto out;
        }
      g_debug ("%s: %s; retrying from byte %" G_GUINT64_FORMAT,
               target->name, local_error->message, f.offset);
      if (!sleep_cancellable (250u << attempt, cancellable, error))
        goto out;
    }
  ok = verify_and_install (&f, error);

out:
  g_checksum_free (f.sum);
  g_free (f.sha256);
  g_free (f.buffer);
  return ok;
}
