/* fuzz-common.h: shared by the libFuzzer targets (fuzz/README.md). */
#pragma once

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

G_BEGIN_DECLS

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);
int LLVMFuzzerInitialize (int *argc, char ***argv);

/* Writes DATA to a per-process scratch file (in $XDG_RUNTIME_DIR or /tmp)
 * and returns its path, for parsers that read files. */
const char *fuzz_write_scratch (const char *name, const uint8_t *data, size_t size);

/* tests/fixtures/FILE (REGARD_FIXTURES overrides the source tree's). */
char *fuzz_fixture_path (const char *file);

G_END_DECLS
