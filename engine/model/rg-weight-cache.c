/* rg-weight-cache.c: converted weights on disk (see the header). */
#include "rg-file.h"
#include "config.h"

#include "rg-weight-cache.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "regard-error.h"
#include "rg-vk.h"

/* Bumped whenever the bytes a format converts to change (quantizer,
 * layout): old caches are then simply never found again. */
/* bump whenever a quantizer or the choice of per-matrix formats changes */
#define CACHE_VERSION "regard-weights 2"

typedef struct
{
  char *name;
  RgDType dtype;
  uint32_t rows, cols;
  guint64 offset, bytes;
} Entry;

struct _RgWeightCache
{
  char *dir;
  gboolean complete;
  /* reading */
  GMappedFile *map;
  GHashTable *entries;      /* name -> Entry* */
  /* writing */
  char *tmp_data, *tmp_index;
  FILE *data;
  GString *index;
  guint64 offset;
  Entry cur;                /* the matrix being appended */
  guint64 cur_written;
  gboolean failed;
};

static void
entry_free (Entry *e)
{
  g_free (e->name);
  g_free (e);
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

/* SHA-256 of everything that decides the converted bytes. */
static char *
cache_key (RgSnapshot *snap, const char *format)
{
  const char *dir = rg_snapshot_get_dir (snap);
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree char *real = g_canonicalize_filename (dir, NULL);
  g_autofree char *config_path = g_build_filename (dir, "config.json", NULL);
  g_autofree char *config = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  gsize config_len = 0;
  const char *name;

  g_checksum_update (sum, (const guchar *) CACHE_VERSION "\n", -1);
  g_checksum_update (sum, (const guchar *) format, -1);
  g_checksum_update (sum, (const guchar *) "\n", 1);
  g_checksum_update (sum, (const guchar *) real, -1);
  g_checksum_update (sum, (const guchar *) "\n", 1);
  if (rg_file_get_contents_max (config_path, RG_FILE_MAX_JSON, &config, &config_len, NULL))
    g_checksum_update (sum, (const guchar *) config, config_len);
  while (d && (name = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (name, ".safetensors") || g_str_has_suffix (name, ".json"))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (dir, names->pdata[i], NULL);
      g_autofree char *line = NULL;
      GStatBuf st;

      if (g_stat (path, &st) != 0)
        continue;
      line = g_strdup_printf ("\n%s %" G_GINT64_FORMAT " %" G_GINT64_FORMAT ".%09ld", (char *) names->pdata[i],
                              (gint64) st.st_size, (gint64) st.st_mtim.tv_sec, (long) st.st_mtim.tv_nsec);
      g_checksum_update (sum, (const guchar *) line, -1);
    }
  return g_strdup (g_checksum_get_string (sum));
}

/* Parses index.txt against the mapped weights.bin; FALSE when anything
 * is off (the cache is then rewritten). */
static gboolean
read_index (RgWeightCache *c, const char *index_path, const char *data_path)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  guint64 size, data_size;

  if (!rg_file_get_contents_max (index_path, RG_FILE_MAX_JSON, &text, NULL, NULL))
    return FALSE;
  c->map = g_mapped_file_new (data_path, FALSE, NULL);
  if (c->map == NULL)
    return FALSE;
  size = g_mapped_file_get_length (c->map);
  lines = g_strsplit (text, "\n", -1);
  if (lines[0] == NULL || !g_str_has_prefix (lines[0], CACHE_VERSION " ") ||
      (data_size = g_ascii_strtoull (lines[0] + strlen (CACHE_VERSION " "), NULL, 10)) != size)
    return FALSE;
  for (guint i = 1; lines[i] != NULL; i++)
    {
      g_auto(GStrv) f = NULL;
      Entry *e;
      uint64_t row_bytes;
      guint64 rows, cols;

      if (lines[i][0] == '\0')
        continue;
      f = g_strsplit (lines[i], "\t", -1);
      if (g_strv_length (f) != 5)
        return FALSE;
      e = g_new0 (Entry, 1);
      e->name = g_strdup (f[0]);
      g_hash_table_replace (c->entries, e->name, e);
      if (!rg_dtype_from_name (f[1], &e->dtype))
        return FALSE;
      /* Whole numbers in range (no silent truncation to 32 bits), and
       * rows * row bytes in 64 bits without overflow, inside weights.bin. */
      if (!g_ascii_string_to_unsigned (f[2], 10, 0, G_MAXUINT32, &rows, NULL) ||
          !g_ascii_string_to_unsigned (f[3], 10, 0, G_MAXUINT32, &cols, NULL) ||
          !g_ascii_string_to_unsigned (f[4], 10, 0, G_MAXUINT64, &e->offset, NULL))
        return FALSE;
      e->rows = (uint32_t) rows;
      e->cols = (uint32_t) cols;
      if (!rg_dtype_bytes_checked (e->dtype, e->cols, &row_bytes) ||
          !g_uint64_checked_mul (&e->bytes, row_bytes, e->rows))
        return FALSE;
      if (e->offset > size || e->bytes > size - e->offset)
        return FALSE;
    }
  return TRUE;
}

RgWeightCache *
rg_weight_cache_open (RgSnapshot *snap, const char *format, GError **error)
{
  g_autoptr(RgWeightCache) c = NULL;
  g_autofree char *key = NULL;
  g_autofree char *index_path = NULL, *data_path = NULL;

  if (rg_vk_env_flag ("REGARD_NO_WEIGHT_CACHE"))
    return NULL;
  key = cache_key (snap, format);
  c = g_new0 (RgWeightCache, 1);
  c->entries = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) entry_free);
  c->dir = g_build_filename (g_get_user_cache_dir (), "regard", "weights", key, NULL);
  index_path = g_build_filename (c->dir, "index.txt", NULL);
  data_path = g_build_filename (c->dir, "weights.bin", NULL);

  if (g_file_test (index_path, G_FILE_TEST_IS_REGULAR))
    {
      if (read_index (c, index_path, data_path))
        {
          c->complete = TRUE;
          return g_steal_pointer (&c);
        }
      /* damaged: start over */
      g_hash_table_remove_all (c->entries);
      g_clear_pointer (&c->map, g_mapped_file_unref);
      g_unlink (index_path);
    }

  if (g_mkdir_with_parents (c->dir, 0700) != 0)
    {
      int err = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err), "Cannot create the weight cache %s: %s",
                   c->dir, g_strerror (err));
      return NULL;
    }
  {
    g_autofree char *readme = g_build_filename (c->dir, "source.txt", NULL);
    g_autofree char *about = g_strdup_printf ("%s\n%s\n%s\n", CACHE_VERSION, rg_snapshot_get_dir (snap), format);

    g_file_set_contents (readme, about, -1, NULL);
  }
  /* per process, so two loads of the same model never share a file */
  c->tmp_data = g_strdup_printf ("%s.tmp-%d", data_path, (int) getpid ());
  c->tmp_index = g_strdup_printf ("%s.tmp-%d", index_path, (int) getpid ());
  c->data = g_fopen (c->tmp_data, "wb");
  if (c->data == NULL)
    {
      int err = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err), "Cannot write %s: %s", c->tmp_data,
                   g_strerror (err));
      return NULL;
    }
  c->index = g_string_new (NULL);
  return g_steal_pointer (&c);
}

void
rg_weight_cache_free (RgWeightCache *c)
{
  if (c == NULL)
    return;
  if (c->data)
    {
      fclose (c->data);
      g_unlink (c->tmp_data);   /* never committed */
    }
  if (c->index)
    g_string_free (c->index, TRUE);
  g_clear_pointer (&c->map, g_mapped_file_unref);
  g_hash_table_unref (c->entries);
  g_free (c->cur.name);
  g_free (c->tmp_data);
  g_free (c->tmp_index);
  g_free (c->dir);
  g_free (c);
}

const char *
rg_weight_cache_get_dir (RgWeightCache *c)
{
  return c->dir;
}

gboolean
rg_weight_cache_is_complete (RgWeightCache *c)
{
  return c->complete;
}

const void *
rg_weight_cache_lookup (RgWeightCache *c, const char *name, RgDType dtype, uint32_t rows, uint32_t cols)
{
  Entry *e;

  if (!c->complete || (e = g_hash_table_lookup (c->entries, name)) == NULL ||
      e->dtype != dtype || e->rows != rows || e->cols != cols)
    return NULL;
  return g_mapped_file_get_contents (c->map) + e->offset;
}

static gboolean
write_failed (RgWeightCache *c, GError **error)
{
  int err = errno;

  c->failed = TRUE;
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err), "Cannot write the weight cache %s: %s",
               c->tmp_data, g_strerror (err));
  return FALSE;
}

/* Adds the finished current matrix to the index. */
static void
close_matrix (RgWeightCache *c)
{
  if (c->cur.name == NULL)
    return;
  if (c->cur_written == c->cur.bytes)
    g_string_append_printf (c->index, "%s\t%s\t%u\t%u\t%" G_GUINT64_FORMAT "\n", c->cur.name,
                            rg_dtype_name (c->cur.dtype), c->cur.rows, c->cur.cols, c->cur.offset);
  else
    c->failed = TRUE;
  g_clear_pointer (&c->cur.name, g_free);
}

gboolean
rg_weight_cache_begin (RgWeightCache *c, const char *name, RgDType dtype, uint32_t rows, uint32_t cols,
                       GError **error)
{
  uint64_t row_bytes;

  g_return_val_if_fail (c->data != NULL, FALSE);
  close_matrix (c);
  if (strpbrk (name, "\t\n") != NULL || !rg_dtype_bytes_checked (dtype, cols, &row_bytes))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "Cannot cache '%s'", name);
      c->failed = TRUE;
      return FALSE;
    }
  c->cur.name = g_strdup (name);
  c->cur.dtype = dtype;
  c->cur.rows = rows;
  c->cur.cols = cols;
  c->cur.offset = c->offset;
  if (!g_uint64_checked_mul (&c->cur.bytes, row_bytes, rows))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "Cannot cache '%s': too large", name);
      g_clear_pointer (&c->cur.name, g_free);
      c->failed = TRUE;
      return FALSE;
    }
  c->cur_written = 0;
  return TRUE;
}

gboolean
rg_weight_cache_append (RgWeightCache *c, const void *data, gsize bytes, GError **error)
{
  g_return_val_if_fail (c->data != NULL && c->cur.name != NULL, FALSE);
  if (c->failed)
    return FALSE;
  if (fwrite (data, 1, bytes, c->data) != bytes)
    return write_failed (c, error);
  c->offset += bytes;
  c->cur_written += bytes;
  return TRUE;
}

gboolean
rg_weight_cache_commit (RgWeightCache *c, GError **error)
{
  g_autofree char *index_path = g_build_filename (c->dir, "index.txt", NULL);
  g_autofree char *data_path = g_build_filename (c->dir, "weights.bin", NULL);
  g_autofree char *header = NULL;
  FILE *f = c->data;

  g_return_val_if_fail (c->data != NULL, FALSE);
  close_matrix (c);
  c->data = NULL;
  if (c->failed)
    {
      fclose (f);
      g_unlink (c->tmp_data);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "The weight cache %s is incomplete", c->dir);
      return FALSE;
    }
  /* the data must be on disk before the index that makes it valid */
  if (fflush (f) != 0 || fsync (fileno (f)) != 0)
    {
      fclose (f);
      c->data = NULL;
      g_unlink (c->tmp_data);
      return write_failed (c, error);
    }
  fclose (f);
  header = g_strdup_printf ("%s %" G_GUINT64_FORMAT "\n", CACHE_VERSION, c->offset);
  g_string_prepend (c->index, header);
  if (g_rename (c->tmp_data, data_path) != 0 ||
      !g_file_set_contents (c->tmp_index, c->index->str, c->index->len, error) ||
      g_rename (c->tmp_index, index_path) != 0)
    {
      int err = errno;

      g_unlink (c->tmp_data);
      g_unlink (c->tmp_index);
      if (error && *error == NULL)
        g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err), "Cannot publish the weight cache %s: %s",
                     c->dir, g_strerror (err));
      return FALSE;
    }
  return TRUE;
}
