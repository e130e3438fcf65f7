/* test-cli-common.h: regard-cli from the tests, and the golden case of
 * `regard-cli ask --dump` every family's test-cli-ask-*.c runs. */
#pragma once

#include <json-glib/json-glib.h>

#include "rg-safetensors.h"

G_BEGIN_DECLS

/* Runs the built regard-cli with ARGS (strings); its exit status. */
int rg_test_cli_run (GPtrArray *args, char **out, char **err);

/* The tensor NAME of ST (an error when it is missing). */
const RgTensorInfo *rg_test_tensor (RgSafetensors *st, const char *name);

/* Tap NAME of DUMP against GOLDEN: same shape, every value within TOL. */
void rg_test_check_tap (RgSafetensors *dump, RgSafetensors *golden, const char *name, double tol);

typedef struct
{
  char *tmp;                /* the dump's folder, removed by clear */
  RgSafetensors *dump;      /* what regard-cli dumped */
  RgSafetensors *golden;    /* the case's golden tensors */
} RgTestCliDump;

/* `regard-cli ask --dump` on fixture MODEL_DIR for golden case C of its
 * manifest (its images, then EXTRA_ARG where not NULL; f32 weights, the raw
 * prompt, 24 greedy tokens as --json): the generated ids and text, the
 * summary (max_tokens, the prompt length) and the prompt ids (exact) are
 * checked; OUT gets the dump and the golden for the family's tap checks. */
void rg_test_cli_ask_dump (const char *model_dir, JsonObject *c, const char *extra_arg, RgTestCliDump *out);
void rg_test_cli_dump_clear (RgTestCliDump *d);

G_END_DECLS
