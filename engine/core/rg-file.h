/* rg-file.h: reading a whole file only when its size is bounded.
 *
 * Every file Regard reads whole (configs, tokenizer.json, indexes, caches)
 * goes through here, so a huge or endless file (a FIFO, /dev/zero, a
 * hostile download) is refused by its size before any byte is read. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Caps for the files read whole. */
#define RG_FILE_MAX_JSON     (64u * 1024 * 1024)   /* configs, indexes, hub answers */
#define RG_FILE_MAX_TOKENIZER (256u * 1024 * 1024) /* tokenizer.json (~2 MB for Mistral) */

/* Like g_file_get_contents (G_FILE_ERROR when it cannot be opened or
 * read), but fails with G_IO_ERROR_INVALID_DATA (naming the file and both
 * sizes) when PATH is not a regular file or is larger than MAX_BYTES.
 * CONTENTS is NUL-terminated. */
gboolean rg_file_get_contents_max (const char *path, gsize max_bytes,
                                   char **contents, gsize *length, GError **error);

G_END_DECLS
