/* rg-history-images.c: attached images, stored once by content hash.
 *
 * A file is written (atomically) before its row, and removed only while
 * holding the database's write lock, so two processes adding and
 * deleting the same image cannot lose it. */
#include "rg-history-private.h"

#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>

/* The file name's extension, from the format's magic bytes. */
static const char *
sniff_ext (const guint8 *data, gsize size)
{
  if (size >= 8 && memcmp (data, "\x89PNG\r\n\x1a\n", 8) == 0)
    return "png";
  if (size >= 3 && memcmp (data, "\xff\xd8\xff", 3) == 0)
    return "jpg";
  if (size >= 4 && memcmp (data, "GIF8", 4) == 0)
    return "gif";
  if (size >= 12 && memcmp (data, "RIFF", 4) == 0 && memcmp (data + 8, "WEBP", 4) == 0)
    return "webp";
  if (size >= 2 && memcmp (data, "BM", 2) == 0)
    return "bmp";
  if (size >= 4 && (memcmp (data, "II*\0", 4) == 0 || memcmp (data, "MM\0*", 4) == 0))
    return "tif";
  return "img";
}

char *
rg_history_image_path (RegardHistory *history, const char *hash, const char *ext)
{
  g_autofree char *name = g_strconcat (hash, ".", ext, NULL);

  return g_build_filename (history->images_dir, name, NULL);
}

char *
rg_history_store_image (RegardHistory *history, GBytes *bytes, GError **error)
{
  gsize size = 0;
  const guint8 *data = g_bytes_get_data (bytes, &size);
  g_autofree char *hash = g_compute_checksum_for_data (G_CHECKSUM_SHA256, data, size);
  const char *ext = sniff_ext (data, size);
  g_autofree char *path = rg_history_image_path (history, hash, ext);
  sqlite3_stmt *st = NULL;
  int rc;

  if (size == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "An attached image is empty");
      return NULL;
    }
  /* Rewritten when missing (e.g. removed by hand): the row alone is not
   * proof the file exists. */
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR)
      && !g_file_set_contents_full (path, (const char *) data, size,
                                    G_FILE_SET_CONTENTS_CONSISTENT, 0600, error))
    return NULL;

  rc = sqlite3_prepare_v2 (history->db,
                           "INSERT OR IGNORE INTO images (hash, ext, size) VALUES (?, ?, ?)",
                           -1, &st, NULL);
  if (rc == SQLITE_OK)
    {
      sqlite3_bind_text (st, 1, hash, -1, SQLITE_STATIC);
      sqlite3_bind_text (st, 2, ext, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (st, 3, (sqlite3_int64) size);
      rc = sqlite3_step (st);
    }
  sqlite3_finalize (st);
  if (rc != SQLITE_DONE)
    {
      rg_history_fail (history->db, rc, error, "Cannot store an image in the history");
      return NULL;
    }
  return g_steal_pointer (&hash);
}

gboolean
rg_history_collect_images (RegardHistory *history, GError **error)
{
  static const char select_sql[] =
    "SELECT hash, ext FROM images WHERE hash NOT IN (SELECT hash FROM turn_images)";
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2 (history->db, select_sql, -1, &st, NULL);

  while (rc == SQLITE_OK && (rc = sqlite3_step (st)) == SQLITE_ROW)
    {
      g_autofree char *path = rg_history_image_path (history,
                                                     (const char *) sqlite3_column_text (st, 0),
                                                     (const char *) sqlite3_column_text (st, 1));

      if (g_unlink (path) != 0 && errno != ENOENT)
        g_message ("Cannot remove %s: %s", path, g_strerror (errno));
      rc = SQLITE_OK;
    }
  sqlite3_finalize (st);
  if (rc == SQLITE_DONE)
    rc = sqlite3_exec (history->db,
                       "DELETE FROM images WHERE hash NOT IN (SELECT hash FROM turn_images)",
                       NULL, NULL, NULL);
  if (rc != SQLITE_OK)
    return rg_history_fail (history->db, rc, error, "Cannot remove unused history images");
  return TRUE;
}
