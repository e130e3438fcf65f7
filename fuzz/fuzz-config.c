/* Fuzzes config.json parsing and validation (rg_model_config_parse). */
#include "fuzz-common.h"

#include "rg-config.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  RgModelConfig cfg;
  GError *error = NULL;

  if (!rg_model_config_parse ((const char *) data, size, "config.json", &cfg, &error))
    {
      g_assert (error != NULL && error->message != NULL);
      g_error_free (error);
    }
  return 0;
}
