/* Fuzzes the safetensors header parser and its size/offset checks: the
 * input is a whole .safetensors file; every tensor it accepts is read end
 * to end (ASan checks that it lies inside the file). */
#include "fuzz-common.h"

#include "rg-safetensors.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *path = fuzz_write_scratch ("model.safetensors", data, size);
  GError *error = NULL;
  RgSafetensors *st = rg_safetensors_open (path, &error);
  volatile uint8_t sink = 0;

  if (st == NULL)
    {
      g_assert (error != NULL);
      g_error_free (error);
      return 0;
    }
  for (guint i = 0; i < rg_safetensors_get_n_tensors (st); i++)
    {
      const RgTensorInfo *t = rg_safetensors_get_nth (st, i);
      const uint8_t *p = t->data;

      g_assert (rg_safetensors_find (st, t->name) == t);
      for (uint64_t b = 0; b < t->nbytes; b++)
        sink ^= p[b];
    }
  (void) sink;
  rg_safetensors_close (st);
  return 0;
}
