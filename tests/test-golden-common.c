/* test-golden-common.c: see test-golden-common.h. */
#include "test-golden-common.h"

#include <string.h>

#include "test-common.h"

RgSafetensors *
rg_test_golden_open (const char *model_dir, const char *relative)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *full = g_build_filename (model_dir, relative, NULL);
  g_autofree char *path = rg_test_fixture_path (full);
  RgSafetensors *st = rg_safetensors_open (path, &error);

  g_assert_no_error (error);
  return st;
}

float *
rg_test_golden_f32 (RgSafetensors *st, const char *name, size_t *n)
{
  const RgTensorInfo *t = rg_safetensors_find (st, name);
  float *out;

  g_assert_nonnull (t);
  g_assert_cmpint (t->dtype, ==, RG_DTYPE_F32);
  *n = t->n_elements;
  /* a copy: safetensors data need not be aligned */
  out = g_new (float, MAX (*n, 1));
  memcpy (out, t->data, *n * sizeof (float));
  return out;
}

int32_t *
rg_test_golden_i64 (RgSafetensors *st, const char *name, size_t *n)
{
  const RgTensorInfo *t = rg_safetensors_find (st, name);
  int32_t *out;

  g_assert_nonnull (t);
  g_assert_cmpint (t->dtype, ==, RG_DTYPE_I64);
  *n = t->n_elements;
  out = g_new (int32_t, MAX (*n, 1));
  for (size_t i = 0; i < *n; i++)
    {
      int64_t v;
      memcpy (&v, (const uint8_t *) t->data + i * 8, 8);
      out[i] = (int32_t) v;
    }
  return out;
}

RgImage *
rg_test_golden_case_image (const char *model_dir, const char *relative)
{
  g_autofree char *dir = rg_test_fixture_path (model_dir);
  g_autofree char *path = g_build_filename (dir, relative, NULL);
  g_autoptr(GError) error = NULL;
  RgImage *image;

  if (g_str_has_suffix (path, ".jpg"))
    {
      char *png;

      path[strlen (path) - 4] = '\0';
      png = g_strconcat (path, ".decoded.png", NULL);
      g_free (path);
      path = png;
    }
  image = rg_image_decode_file (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (image);
  return image;
}
