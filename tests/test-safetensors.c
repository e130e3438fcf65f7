/* test-safetensors: the safetensors reader accepts what the writer makes
 * and refuses every malformed header with an error naming file and tensor. */
#include "test-common.h"

#include "regard-engine.h"
#include "rg-safetensors.h"

#include <glib/gstdio.h>
#include <string.h>

typedef struct
{
  char *dir;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("rg-st-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  rg_test_remove_tree (f->dir);
  g_free (f->dir);
}

/* Writes u64 LE HEADER_LEN, HEADER and DATA_LEN bytes (0, 1, 2, ...). */
static char *
write_raw (Fixture *f, const char *name, uint64_t header_len, const char *header, gsize data_len)
{
  g_autofree char *path = g_build_filename (f->dir, name, NULL);
  g_autoptr(GByteArray) buf = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  guint8 le[8];

  for (int i = 0; i < 8; i++)
    le[i] = (guint8) (header_len >> (8 * i));
  g_byte_array_append (buf, le, 8);
  if (header)
    g_byte_array_append (buf, (const guint8 *) header, strlen (header));
  for (gsize i = 0; i < data_len; i++)
    {
      guint8 b = (guint8) i;
      g_byte_array_append (buf, &b, 1);
    }
  g_file_set_contents (path, (const char *) buf->data, buf->len, &error);
  g_assert_no_error (error);
  return g_steal_pointer (&path);
}

static char *
write_header (Fixture *f, const char *name, const char *header, gsize data_len)
{
  return write_raw (f, name, strlen (header), header, data_len);
}

/* Opening must fail with an error in DOMAIN whose message holds all of
 * the NULL-terminated substrings. */
static void
assert_open_fails (const char *path, GQuark domain, int code, ...)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RgSafetensors) st = rg_safetensors_open (path, &error);
  va_list args;

  g_assert_null (st);
  va_start (args, code);
  rg_test_assert_error_mentions_valist (error, domain, code, args);
  va_end (args);
}

#define INVALID REGARD_ERROR, REGARD_ERROR_INVALID_MODEL

static void
test_round_trip (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "rt.safetensors", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(RgSafetensors) st = NULL;
  g_autoptr(GBytes) bytes = NULL;
  const float a[6] = { 1, 2, 3, 4, 5, 6 };
  const int64_t b[3] = { -1, 0, G_MAXINT64 };
  const guint8 c[1] = { 7 };
  const RgTensorWrite tensors[] = {
    { "a.weight", RG_DTYPE_F32, 2, { 2, 3 }, a },
    { "ids \"quoted\"", RG_DTYPE_I64, 1, { 3 }, b },
    { "scalar", RG_DTYPE_U8, 0, { 0 }, c },
    { "empty", RG_DTYPE_BF16, 2, { 0, 5 }, NULL },
  };
  const RgTensorInfo *t;
  const guint8 *raw;
  uint64_t header_len = 0;

  g_assert_true (rg_safetensors_write (path, tensors, G_N_ELEMENTS (tensors), &error));
  g_assert_no_error (error);

  /* header padded with spaces to 8 bytes, as HF writes it */
  bytes = rg_test_read_file (path);
  raw = g_bytes_get_data (bytes, NULL);
  for (int i = 7; i >= 0; i--)
    header_len = (header_len << 8) | raw[i];
  g_assert_cmpuint (header_len % 8, ==, 0);
  g_assert_cmpuint (g_bytes_get_size (bytes), ==, 8 + header_len + sizeof a + sizeof b + 1);

  st = rg_safetensors_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rg_safetensors_get_n_tensors (st), ==, 4);

  t = rg_safetensors_find (st, "a.weight");
  g_assert_nonnull (t);
  g_assert_cmpint (t->dtype, ==, RG_DTYPE_F32);
  g_assert_cmpuint (t->n_dims, ==, 2);
  g_assert_cmpint (t->shape[0], ==, 2);
  g_assert_cmpint (t->shape[1], ==, 3);
  g_assert_cmpuint (t->n_elements, ==, 6);
  g_assert_cmpuint (t->nbytes, ==, sizeof a);
  g_assert_cmpmem (t->data, t->nbytes, a, sizeof a);
  g_assert_cmpstr (t->filename, ==, path);

  t = rg_safetensors_find (st, "ids \"quoted\"");
  g_assert_nonnull (t);
  g_assert_cmpmem (t->data, t->nbytes, b, sizeof b);

  t = rg_safetensors_find (st, "scalar");
  g_assert_nonnull (t);
  g_assert_cmpuint (t->n_dims, ==, 0);
  g_assert_cmpuint (t->n_elements, ==, 1);
  g_assert_cmpuint (((const guint8 *) t->data)[0], ==, 7);

  t = rg_safetensors_find (st, "empty");
  g_assert_nonnull (t);
  g_assert_cmpuint (t->nbytes, ==, 0);
  g_assert_null (rg_safetensors_find (st, "absent"));
}

static void
test_write_replaces (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "w.safetensors", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(RgSafetensors) st = NULL;
  const float one = 1, two = 2;
  RgTensorWrite t = { "x", RG_DTYPE_F32, 1, { 1 }, &one };

  g_assert_true (rg_safetensors_write (path, &t, 1, &error));
  t.data = &two;
  g_assert_true (rg_safetensors_write (path, &t, 1, &error));
  g_assert_no_error (error);
  st = rg_safetensors_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (*(const float *) rg_safetensors_find (st, "x")->data, ==, 2);
}

static void
test_write_error (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "no-such-dir", "x.safetensors", NULL);
  g_autoptr(GError) error = NULL;
  const float one = 1;
  RgTensorWrite t = { "x", RG_DTYPE_F32, 1, { 1 }, &one };

  g_assert_false (rg_safetensors_write (path, &t, 1, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
}

static void
test_write_duplicate (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "dup.safetensors", NULL);
  g_autoptr(GError) error = NULL;
  const float one = 1;
  RgTensorWrite t[2] = { { "x", RG_DTYPE_F32, 1, { 1 }, &one }, { "x", RG_DTYPE_F32, 1, { 1 }, &one } };

  g_assert_false (rg_safetensors_write (path, t, 2, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
}

static void
test_metadata (Fixture *f, gconstpointer data)
{
  g_autofree char *path = write_header (f, "meta.safetensors",
    "{\"__metadata__\":{\"format\":\"pt\"},\"t\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4);
  g_autoptr(GError) error = NULL;
  g_autoptr(RgSafetensors) st = rg_safetensors_open (path, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (rg_safetensors_get_n_tensors (st), ==, 1);
  g_assert_cmpstr (rg_safetensors_get_nth (st, 0)->name, ==, "t");
}

static void
test_fixture_shard (Fixture *f, gconstpointer data)
{
  g_autofree char *path = rg_test_fixture_path ("idefics2-tiny/model-00002-of-00002.safetensors");
  g_autoptr(GError) error = NULL;
  g_autoptr(RgSafetensors) st = rg_safetensors_open (path, &error);
  const RgTensorInfo *t;

  g_assert_no_error (error);
  g_assert_cmpuint (rg_safetensors_get_n_tensors (st), ==, 20);
  t = rg_safetensors_find (st, "lm_head.weight");
  g_assert_nonnull (t);
  g_assert_cmpint (t->dtype, ==, RG_DTYPE_BF16);
  g_assert_cmpint (t->shape[0], ==, 32003);
  g_assert_cmpint (t->shape[1], ==, 64);
}

static void
test_missing_file (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "absent.safetensors", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(RgSafetensors) st = rg_safetensors_open (path, &error);

  g_assert_null (st);
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
}

static void
test_truncated (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "short.safetensors", NULL);

  g_assert_true (g_file_set_contents (path, "\x10\0\0", 3, NULL));
  assert_open_fails (path, INVALID, "short.safetensors", "too short", NULL);
}

static void
test_header_beyond_file (Fixture *f, gconstpointer data)
{
  g_autofree char *path = write_raw (f, "hdr.safetensors", 100, "{}", 0);

  assert_open_fails (path, INVALID, "hdr.safetensors", "header length 100", "beyond end of file", NULL);
}

static void
test_header_absurd (Fixture *f, gconstpointer data)
{
  g_autofree char *path = write_raw (f, "huge.safetensors", G_MAXUINT64, "{}", 0);

  assert_open_fails (path, INVALID, "huge.safetensors", "limit", NULL);
}

static void
test_invalid_json (Fixture *f, gconstpointer data)
{
  g_autofree char *path = write_header (f, "bad.safetensors", "{\"t\": {\"dtype\": ", 0);

  assert_open_fails (path, INVALID, "bad.safetensors", "not valid JSON", NULL);
}

static void
test_deep_json (Fixture *f, gconstpointer data)
{
  g_autofree char *deep = g_strnfill (100000, '[');
  g_autofree char *path = write_header (f, "deep.safetensors", deep, 0);

  assert_open_fails (path, INVALID, "deep.safetensors", "nested", NULL);
}

static void
test_not_object (Fixture *f, gconstpointer data)
{
  g_autofree char *path = write_header (f, "arr.safetensors", "[1, 2, 3]", 0);

  assert_open_fails (path, INVALID, "arr.safetensors", "not a JSON object", NULL);
}

static void
test_entry_not_object (Fixture *f, gconstpointer data)
{
  g_autofree char *path = write_header (f, "e.safetensors", "{\"w\": 5}", 0);

  assert_open_fails (path, INVALID, "e.safetensors", "'w'", NULL);
}

static void
test_offsets_past_end (Fixture *f, gconstpointer data)
{
  g_autofree char *path = write_header (f, "model-00001-of-00002.safetensors",
    "{\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}", 16);

  assert_open_fails (path, INVALID, "model-00001-of-00002.safetensors", "tensor 'x'",
                     "[8, 24]", "beyond end of file", "16 bytes", NULL);
}

static void
test_overlap (Fixture *f, gconstpointer data)
{
  g_autofree char *path = write_header (f, "ov.safetensors",
    "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
    "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12);

  assert_open_fails (path, INVALID, "ov.safetensors", "'a'", "'b'", "overlaps", NULL);
}

static void
test_adjacent_ok (Fixture *f, gconstpointer data)
{
  g_autofree char *path = write_header (f, "adj.safetensors",
    "{\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]},"
    "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
    "\"z\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]}}", 16);
  g_autoptr(GError) error = NULL;
  g_autoptr(RgSafetensors) st = rg_safetensors_open (path, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (rg_safetensors_get_n_tensors (st), ==, 3);
}

static void
test_end_before_begin (Fixture *f, gconstpointer data)
{
  g_autofree char *path = write_header (f, "eb.safetensors",
    "{\"x\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[8,4]}}", 16);

  assert_open_fails (path, INVALID, "eb.safetensors", "tensor 'x'", "end before begin", NULL);
}

static void
test_size_mismatch (Fixture *f, gconstpointer data)
{
  g_autofree char *path = write_header (f, "sz.safetensors",
    "{\"x\":{\"dtype\":\"BF16\",\"shape\":[2,3],\"data_offsets\":[0,8]}}", 16);

  assert_open_fails (path, INVALID, "sz.safetensors", "tensor 'x'", "12 bytes", NULL);
}

static void
test_unknown_dtype (Fixture *f, gconstpointer data)
{
  g_autofree char *path = write_header (f, "dt.safetensors",
    "{\"x\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8);

  assert_open_fails (path, REGARD_ERROR, REGARD_ERROR_UNSUPPORTED, "dt.safetensors", "tensor 'x'",
                     "unsupported dtype 'F64'", NULL);
}

static void
test_negative_shape (Fixture *f, gconstpointer data)
{
  g_autofree char *path = write_header (f, "neg.safetensors",
    "{\"x\":{\"dtype\":\"F32\",\"shape\":[-1,4],\"data_offsets\":[0,0]}}", 0);

  assert_open_fails (path, INVALID, "neg.safetensors", "tensor 'x'", "shape entry 0", NULL);
}

static void
test_shape_overflow (Fixture *f, gconstpointer data)
{
  /* 2^32 * 2^32 elements wraps to 0 in 64 bits */
  g_autofree char *path = write_header (f, "of.safetensors",
    "{\"x\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,0]}}", 0);

  assert_open_fails (path, INVALID, "of.safetensors", "tensor 'x'", "overflow", NULL);
}

static void
test_bytes_overflow (Fixture *f, gconstpointer data)
{
  /* elements fit in 64 bits, elements x 4 bytes do not */
  g_autofree char *path = write_header (f, "ob.safetensors",
    "{\"x\":{\"dtype\":\"F32\",\"shape\":[4611686018427387905],\"data_offsets\":[0,4]}}", 4);

  assert_open_fails (path, INVALID, "ob.safetensors", "tensor 'x'", "not a valid size", NULL);
}

static void
test_missing_offsets (Fixture *f, gconstpointer data)
{
  g_autofree char *path = write_header (f, "mo.safetensors",
    "{\"x\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4);

  assert_open_fails (path, INVALID, "mo.safetensors", "tensor 'x'", "data_offsets", NULL);
}

static void
test_float_offsets (Fixture *f, gconstpointer data)
{
  g_autofree char *path = write_header (f, "fo.safetensors",
    "{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0.0,4]}}", 4);

  assert_open_fails (path, INVALID, "fo.safetensors", "tensor 'x'", "data_offsets", NULL);
}

static void
test_too_many_dims (Fixture *f, gconstpointer data)
{
  g_autofree char *path = write_header (f, "nd.safetensors",
    "{\"x\":{\"dtype\":\"U8\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,1]}}", 1);

  assert_open_fails (path, INVALID, "nd.safetensors", "tensor 'x'", "dimensions", NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn) g_test_add ("/engine/safetensors/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("round-trip", test_round_trip);
  ADD ("write-replaces", test_write_replaces);
  ADD ("write-error", test_write_error);
  ADD ("write-duplicate", test_write_duplicate);
  ADD ("metadata", test_metadata);
  ADD ("fixture-shard", test_fixture_shard);
  ADD ("missing-file", test_missing_file);
  ADD ("truncated", test_truncated);
  ADD ("header-beyond-file", test_header_beyond_file);
  ADD ("header-absurd", test_header_absurd);
  ADD ("invalid-json", test_invalid_json);
  ADD ("deep-json", test_deep_json);
  ADD ("not-object", test_not_object);
  ADD ("entry-not-object", test_entry_not_object);
  ADD ("offsets-past-end", test_offsets_past_end);
  ADD ("overlap", test_overlap);
  ADD ("adjacent", test_adjacent_ok);
  ADD ("end-before-begin", test_end_before_begin);
  ADD ("size-mismatch", test_size_mismatch);
  ADD ("unknown-dtype", test_unknown_dtype);
  ADD ("negative-shape", test_negative_shape);
  ADD ("shape-overflow", test_shape_overflow);
  ADD ("bytes-overflow", test_bytes_overflow);
  ADD ("missing-offsets", test_missing_offsets);
  ADD ("float-offsets", test_float_offsets);
  ADD ("too-many-dims", test_too_many_dims);
#undef ADD

  return g_test_run ();
}
