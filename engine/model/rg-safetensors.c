/* rg-safetensors.c: reading (memory-mapped, fully validated) and writing
 * safetensors files.
 *
 * Layout: u64 little-endian N, N bytes of JSON header, then the data
 * section; every tensor's data_offsets are relative to the data section. */
#include "rg-safetensors.h"

#include "regard-error.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <unistd.h>

/* Same bound as the reference implementation: a larger header is either
 * hostile or not a safetensors file. */
#define RG_ST_MAX_HEADER ((uint64_t) 100000000)

struct _RgSafetensors
{
  char *path;
  char *basename;
  GMappedFile *map;
  RgTensorInfo *tensors;  /* in header order */
  guint n_tensors;
  GHashTable *by_name;    /* name -> RgTensorInfo* */
};

G_GNUC_PRINTF (3, 4) static void
st_fail (GError **error, RgSafetensors *st, const char *format, ...)
{
  va_list args;
  g_autofree char *msg = NULL;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL, "%s: %s", st->basename, msg);
}

void
rg_safetensors_close (RgSafetensors *st)
{
  if (st == NULL)
    return;
  for (guint i = 0; i < st->n_tensors; i++)
    g_free ((char *) st->tensors[i].name);
  g_free (st->tensors);
  g_clear_pointer (&st->by_name, g_hash_table_unref);
  g_clear_pointer (&st->map, g_mapped_file_unref);
  g_free (st->path);
  g_free (st->basename);
  g_free (st);
}

gboolean
rg_json_depth_ok (const char *text, gsize len, guint max_depth)
{
  guint depth = 0;
  gboolean in_string = FALSE;

  for (gsize i = 0; i < len; i++)
    {
      char c = text[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
        }
      else if (c == '"')
        in_string = TRUE;
      else if (c == '[' || c == '{')
        {
          if (++depth > max_depth)
            return FALSE;
        }
      else if ((c == ']' || c == '}') && depth > 0)
        depth--;
    }
  return TRUE;
}

/* A JSON non-negative integer (json-glib gives gint64 for integer literals). */
static gboolean
node_get_u64 (JsonNode *node, uint64_t *out)
{
  gint64 v;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  v = json_node_get_int (node);
  if (v < 0)
    return FALSE;
  *out = (uint64_t) v;
  return TRUE;
}

static char *
format_shape (const int64_t *shape, guint n_dims)
{
  GString *s = g_string_new ("[");

  for (guint i = 0; i < n_dims; i++)
    g_string_append_printf (s, "%s%" G_GINT64_FORMAT, i ? ", " : "", shape[i]);
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

static gboolean
parse_tensor (RgSafetensors *st, const char *name, JsonNode *node,
              const guint8 *data, uint64_t data_size,
              RgTensorInfo *out, uint64_t *begin_out, GError **error)
{
  JsonObject *obj;
  JsonNode *dtype_node, *shape_node, *offsets_node;
  JsonArray *shape, *offsets;
  const char *dtype_name;
  uint64_t n_elements = 1, expect_bytes, begin, end;
  guint n_dims;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      st_fail (error, st, "tensor '%s': entry is not a JSON object", name);
      return FALSE;
    }
  obj = json_node_get_object (node);

  dtype_node = json_object_get_member (obj, "dtype");
  if (dtype_node == NULL || !JSON_NODE_HOLDS_VALUE (dtype_node) ||
      json_node_get_value_type (dtype_node) != G_TYPE_STRING)
    {
      st_fail (error, st, "tensor '%s': missing or non-string dtype", name);
      return FALSE;
    }
  dtype_name = json_node_get_string (dtype_node);
  if (!rg_dtype_from_name (dtype_name, &out->dtype))
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_UNSUPPORTED,
                   "%s: tensor '%s': unsupported dtype '%s'", st->basename, name, dtype_name);
      return FALSE;
    }

  shape_node = json_object_get_member (obj, "shape");
  if (shape_node == NULL || !JSON_NODE_HOLDS_ARRAY (shape_node))
    {
      st_fail (error, st, "tensor '%s': missing or non-array shape", name);
      return FALSE;
    }
  shape = json_node_get_array (shape_node);
  n_dims = json_array_get_length (shape);
  if (n_dims > RG_MAX_DIMS)
    {
      st_fail (error, st, "tensor '%s': %u dimensions, at most %d supported", name, n_dims, RG_MAX_DIMS);
      return FALSE;
    }
  out->n_dims = n_dims;
  for (guint i = 0; i < n_dims; i++)
    {
      uint64_t d;

      if (!node_get_u64 (json_array_get_element (shape, i), &d))
        {
          st_fail (error, st, "tensor '%s': shape entry %u is not a non-negative integer", name, i);
          return FALSE;
        }
      out->shape[i] = (int64_t) d;
      if (d != 0 && n_elements > UINT64_MAX / d)
        {
          st_fail (error, st, "tensor '%s': shape overflows the element count", name);
          return FALSE;
        }
      n_elements *= d;
    }
  out->n_elements = n_elements;
  if (!rg_dtype_bytes_checked (out->dtype, n_elements, &expect_bytes))
    {
      g_autofree char *s = format_shape (out->shape, n_dims);
      st_fail (error, st, "tensor '%s': shape %s is not a valid size for dtype %s",
               name, s, dtype_name);
      return FALSE;
    }

  offsets_node = json_object_get_member (obj, "data_offsets");
  if (offsets_node == NULL || !JSON_NODE_HOLDS_ARRAY (offsets_node) ||
      json_array_get_length (offsets = json_node_get_array (offsets_node)) != 2)
    {
      st_fail (error, st, "tensor '%s': missing data_offsets [begin, end]", name);
      return FALSE;
    }
  if (!node_get_u64 (json_array_get_element (offsets, 0), &begin) ||
      !node_get_u64 (json_array_get_element (offsets, 1), &end))
    {
      st_fail (error, st, "tensor '%s': data_offsets must be non-negative integers", name);
      return FALSE;
    }
  if (end < begin)
    {
      st_fail (error, st, "tensor '%s': data_offsets [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
               "] end before begin", name, begin, end);
      return FALSE;
    }
  if (end > data_size)
    {
      st_fail (error, st, "tensor '%s': data_offsets [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
               "] beyond end of file (data section is %" G_GUINT64_FORMAT " bytes)",
               name, begin, end, data_size);
      return FALSE;
    }
  if (end - begin != expect_bytes)
    {
      g_autofree char *s = format_shape (out->shape, n_dims);
      st_fail (error, st, "tensor '%s': %s %s needs %" G_GUINT64_FORMAT " bytes but data_offsets [%"
               G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT "] hold %" G_GUINT64_FORMAT,
               name, dtype_name, s, expect_bytes, begin, end, end - begin);
      return FALSE;
    }

  out->nbytes = expect_bytes;
  out->data = data + begin;
  out->filename = st->path;
  *begin_out = begin;
  return TRUE;
}

static int
compare_by_offset (const void *a, const void *b)
{
  const RgTensorInfo *x = *(const RgTensorInfo * const *) a;
  const RgTensorInfo *y = *(const RgTensorInfo * const *) b;

  /* data pointers share one mapping, so they order like the offsets */
  if ((const guint8 *) x->data != (const guint8 *) y->data)
    return (const guint8 *) x->data < (const guint8 *) y->data ? -1 : 1;
  return x->nbytes < y->nbytes ? -1 : x->nbytes > y->nbytes;
}

static gboolean
check_overlaps (RgSafetensors *st, const guint8 *data, GError **error)
{
  g_autofree RgTensorInfo **sorted = g_new (RgTensorInfo *, st->n_tensors + 1);
  const RgTensorInfo *prev = NULL;

  for (guint i = 0; i < st->n_tensors; i++)
    sorted[i] = &st->tensors[i];
  qsort (sorted, st->n_tensors, sizeof *sorted, compare_by_offset);
  for (guint i = 0; i < st->n_tensors; i++)
    {
      const RgTensorInfo *t = sorted[i];

      if (t->nbytes == 0)
        continue;  /* empty ranges occupy no bytes */
      if (prev != NULL && (const guint8 *) prev->data + prev->nbytes > (const guint8 *) t->data)
        {
          st_fail (error, st, "tensor '%s' [%" G_GSIZE_FORMAT ", %" G_GUINT64_FORMAT
                   ") overlaps tensor '%s' [%" G_GSIZE_FORMAT ", %" G_GUINT64_FORMAT ")",
                   t->name, (gsize) ((const guint8 *) t->data - data),
                   (uint64_t) ((const guint8 *) t->data - data) + t->nbytes,
                   prev->name, (gsize) ((const guint8 *) prev->data - data),
                   (uint64_t) ((const guint8 *) prev->data - data) + prev->nbytes);
          return FALSE;
        }
      prev = t;
    }
  return TRUE;
}

static gboolean
parse_header (RgSafetensors *st, const char *text, gsize len,
              const guint8 *data, uint64_t data_size, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GList) members = NULL;
  JsonNode *root;
  JsonObject *obj;
  guint n = 0;

  if (memchr (text, '\0', len) != NULL || !g_utf8_validate (text, (gssize) len, NULL))
    {
      st_fail (error, st, "header is not UTF-8 JSON text");
      return FALSE;
    }
  if (!rg_json_depth_ok (text, len, RG_JSON_MAX_DEPTH))
    {
      st_fail (error, st, "header JSON is nested too deeply");
      return FALSE;
    }
  if (!json_parser_load_from_data (parser, text, (gssize) len, &local_error))
    {
      st_fail (error, st, "header is not valid JSON: %s", local_error->message);
      return FALSE;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      st_fail (error, st, "header is not a JSON object");
      return FALSE;
    }
  obj = json_node_get_object (root);
  members = json_object_get_members (obj);

  st->tensors = g_new0 (RgTensorInfo, json_object_get_size (obj) + 1);
  st->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *name = l->data;
      RgTensorInfo *t;
      uint64_t begin;

      /* __metadata__ is a free-form string map we have no use for */
      if (strcmp (name, "__metadata__") == 0)
        continue;
      if (g_hash_table_contains (st->by_name, name))
        {
          st_fail (error, st, "tensor '%s' is listed twice", name);
          return FALSE;
        }
      t = &st->tensors[n];
      if (!parse_tensor (st, name, json_object_get_member (obj, name), data, data_size, t, &begin, error))
        return FALSE;
      t->name = g_strdup (name);
      st->n_tensors = ++n;
      g_hash_table_insert (st->by_name, (gpointer) t->name, t);
    }
  return check_overlaps (st, data, error);
}

RgSafetensors *
rg_safetensors_open (const char *path, GError **error)
{
  g_autoptr(RgSafetensors) st = g_new0 (RgSafetensors, 1);
  const guint8 *bytes;
  gsize size;
  uint64_t header_len;

  g_return_val_if_fail (path != NULL, NULL);

  st->path = g_strdup (path);
  st->basename = g_path_get_basename (path);
  st->map = g_mapped_file_new (path, FALSE, error);
  if (st->map == NULL)
    return NULL;
  bytes = (const guint8 *) g_mapped_file_get_contents (st->map);
  size = g_mapped_file_get_length (st->map);

  if (size < 8)
    {
      st_fail (error, st, "file is %" G_GSIZE_FORMAT " bytes, too short for a safetensors header", size);
      return NULL;
    }
  header_len = 0;
  for (int i = 7; i >= 0; i--)
    header_len = (header_len << 8) | bytes[i];
  if (header_len > RG_ST_MAX_HEADER)
    {
      st_fail (error, st, "header length %" G_GUINT64_FORMAT " exceeds the %" G_GUINT64_FORMAT
               "-byte limit", header_len, RG_ST_MAX_HEADER);
      return NULL;
    }
  if (header_len > size - 8)
    {
      st_fail (error, st, "header length %" G_GUINT64_FORMAT " is beyond end of file (%"
               G_GSIZE_FORMAT " bytes)", header_len, size);
      return NULL;
    }
  if (!parse_header (st, (const char *) bytes + 8, (gsize) header_len,
                     bytes + 8 + header_len, size - 8 - header_len, error))
    return NULL;
  return g_steal_pointer (&st);
}

const RgTensorInfo *
rg_safetensors_find (RgSafetensors *st, const char *name)
{
  g_return_val_if_fail (st != NULL, NULL);
  return g_hash_table_lookup (st->by_name, name);
}

guint
rg_safetensors_get_n_tensors (RgSafetensors *st)
{
  g_return_val_if_fail (st != NULL, 0);
  return st->n_tensors;
}

const RgTensorInfo *
rg_safetensors_get_nth (RgSafetensors *st, guint i)
{
  g_return_val_if_fail (st != NULL && i < st->n_tensors, NULL);
  return &st->tensors[i];
}

/* ---- Writing ----------------------------------------------------------- */

static gboolean
write_all (int fd, const void *buf, gsize len, const char *path, GError **error)
{
  const guint8 *p = buf;

  while (len > 0)
    {
      ssize_t w = write (fd, p, MIN (len, (gsize) 1 << 30));

      if (w < 0)
        {
          int saved = errno;

          if (saved == EINTR)
            continue;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       "Could not write %s: %s", path, g_strerror (saved));
          return FALSE;
        }
      p += w;
      len -= (gsize) w;
    }
  return TRUE;
}

static char *
build_header (const RgTensorWrite *tensors, guint n, uint64_t *sizes, GError **error)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);
  uint64_t offset = 0;

  json_builder_begin_object (b);
  for (guint i = 0; i < n; i++)
    {
      const RgTensorWrite *t = &tensors[i];
      uint64_t n_elements = 1;

      if (t->name == NULL || strcmp (t->name, "__metadata__") == 0 ||
          !g_hash_table_add (names, (gpointer) t->name))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "tensor %u: missing, reserved or duplicate name", i);
          return NULL;
        }
      if (t->dtype >= RG_DTYPE_COUNT || t->n_dims > RG_MAX_DIMS)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "tensor '%s': bad dtype or too many dimensions", t->name);
          return NULL;
        }
      json_builder_set_member_name (b, t->name);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "dtype");
      json_builder_add_string_value (b, rg_dtype_name (t->dtype));
      json_builder_set_member_name (b, "shape");
      json_builder_begin_array (b);
      for (guint d = 0; d < t->n_dims; d++)
        {
          if (t->shape[d] < 0 || (t->shape[d] != 0 && n_elements > UINT64_MAX / (uint64_t) t->shape[d]))
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "tensor '%s': negative or overflowing shape", t->name);
              return NULL;
            }
          n_elements *= (uint64_t) t->shape[d];
          json_builder_add_int_value (b, t->shape[d]);
        }
      json_builder_end_array (b);
      if (!rg_dtype_bytes_checked (t->dtype, n_elements, &sizes[i]) ||
          sizes[i] > (uint64_t) G_MAXINT64 - offset || (sizes[i] > 0 && t->data == NULL))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "tensor '%s': invalid size for dtype %s or no data", t->name,
                       rg_dtype_name (t->dtype));
          return NULL;
        }
      json_builder_set_member_name (b, "data_offsets");
      json_builder_begin_array (b);
      json_builder_add_int_value (b, (gint64) offset);
      json_builder_add_int_value (b, (gint64) (offset + sizes[i]));
      json_builder_end_array (b);
      json_builder_end_object (b);
      offset += sizes[i];
    }
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  return json_generator_to_data (gen, NULL);
}

gboolean
rg_safetensors_write (const char *path, const RgTensorWrite *tensors, guint n,
                      GError **error)
{
  g_autofree uint64_t *sizes = g_new0 (uint64_t, n + 1);
  g_autofree char *header = NULL;
  g_autofree char *tmp_path = NULL;
  GString *padded;
  guint8 len_le[8];
  uint64_t header_len;
  gboolean ok = TRUE;
  int fd;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (n == 0 || tensors != NULL, FALSE);

  header = build_header (tensors, n, sizes, error);
  if (header == NULL)
    return FALSE;

  /* HF pads the header with spaces so the data section starts 8-aligned. */
  padded = g_string_new (header);
  while (padded->len % 8 != 0)
    g_string_append_c (padded, ' ');
  header_len = padded->len;
  for (int i = 0; i < 8; i++)
    len_le[i] = (guint8) (header_len >> (8 * i));

  /* Write next to the target and rename, so readers never see a partial file. */
  tmp_path = g_strconcat (path, ".XXXXXX", NULL);
  fd = g_mkstemp_full (tmp_path, O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Could not create %s: %s", tmp_path, g_strerror (saved));
      g_string_free (padded, TRUE);
      return FALSE;
    }

  ok = write_all (fd, len_le, 8, path, error) &&
       write_all (fd, padded->str, padded->len, path, error);
  for (guint i = 0; ok && i < n; i++)
    if (sizes[i] > 0)
      ok = write_all (fd, tensors[i].data, (gsize) sizes[i], path, error);
  g_string_free (padded, TRUE);

  if (close (fd) != 0 && ok)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Could not write %s: %s", path, g_strerror (saved));
      ok = FALSE;
    }
  if (ok && g_rename (tmp_path, path) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Could not rename %s to %s: %s", tmp_path, path, g_strerror (saved));
      ok = FALSE;
    }
  if (!ok)
    g_unlink (tmp_path);
  return ok;
}
