/* rg-weight-cache.h: converted weights kept on disk, so a quantized model
 * is converted once and later loads map the result instead.
 *
 * Layout: $XDG_CACHE_HOME/regard/weights/<key>/ holds weights.bin (the
 * converted matrices back to back) and index.txt (a header line, then one
 * line per matrix: name, dtype, rows, cols, byte offset). The key is a
 * SHA-256 over the snapshot's path, config.json, the name, size and mtime
 * of every weight/index file, the format and the converter's version: a
 * changed checkpoint or quantizer gets a new folder. index.txt is written
 * last (after weights.bin is complete), both through rename, so a reader
 * never sees half a cache. $REGARD_NO_WEIGHT_CACHE=1 turns it off. */
#pragma once

#include <gio/gio.h>
#include <stdint.h>

#include "rg-dtype.h"
#include "rg-snapshot.h"

G_BEGIN_DECLS

typedef struct _RgWeightCache RgWeightCache;

/* The cache of SNAP converted to FORMAT (a short name, e.g. "q8_0"):
 * reading when a complete one exists, else writing. NULL without an error
 * when caching is switched off; NULL with ERROR when the folder cannot be
 * made (callers may go on without a cache). */
RgWeightCache *rg_weight_cache_open (RgSnapshot *snap, const char *format, GError **error);
void rg_weight_cache_free (RgWeightCache *cache);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RgWeightCache, rg_weight_cache_free)

const char *rg_weight_cache_get_dir (RgWeightCache *cache);
/* TRUE when the cache was complete at open: lookups can hit. */
gboolean rg_weight_cache_is_complete (RgWeightCache *cache);

/* The stored bytes of matrix NAME when present with this exact type and
 * shape (rows * row bytes of them), else NULL. */
const void *rg_weight_cache_lookup (RgWeightCache *cache, const char *name, RgDType dtype,
                                    uint32_t rows, uint32_t cols);

/* Writing: begin a matrix, append its rows in order, then the next one. A
 * matrix that was not appended whole is refused at commit. */
gboolean rg_weight_cache_begin (RgWeightCache *cache, const char *name, RgDType dtype,
                                uint32_t rows, uint32_t cols, GError **error);
gboolean rg_weight_cache_append (RgWeightCache *cache, const void *data, gsize bytes, GError **error);
/* Publishes what was written (renames into place). */
gboolean rg_weight_cache_commit (RgWeightCache *cache, GError **error);

G_END_DECLS
