/* rg-file.c: bounded whole-file reads (see rg-file.h). */
#include "rg-file.h"

#include <glib/gstdio.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

gboolean
rg_file_get_contents_max (const char *path, gsize max_bytes,
                          char **contents, gsize *length, GError **error)
{
  g_autofree char *buf = NULL;
  struct stat st;
  gsize done = 0;
  int fd;

  *contents = NULL;
  if (length)
    *length = 0;
  /* One open, then fstat on it: the size checked is the file read. */
  fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NONBLOCK, 0);
  if (fd < 0)
    {
      int e = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (e), "%s: %s", path, g_strerror (e));
      return FALSE;
    }
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s is not a regular file", path);
      close (fd);
      return FALSE;
    }
  if ((guint64) st.st_size > max_bytes)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "%s is too large (%" G_GUINT64_FORMAT " bytes; at most %" G_GSIZE_FORMAT " expected)",
                   path, (guint64) st.st_size, max_bytes);
      close (fd);
      return FALSE;
    }
  buf = g_malloc ((gsize) st.st_size + 1);
  while (done < (gsize) st.st_size)
    {
      ssize_t n = read (fd, buf + done, (gsize) st.st_size - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int e = errno;
          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (e), "%s: %s", path, g_strerror (e));
          close (fd);
          return FALSE;
        }
      if (n == 0)
        break; /* shrank while reading: take what is there */
      done += (gsize) n;
    }
  close (fd);
  buf[done] = '\0';
  *contents = g_steal_pointer (&buf);
  if (length)
    *length = done;
  return TRUE;
}
