/* rg-safetensors.h: memory-mapped safetensors files.
 *
 * The header (u64 little-endian length, then JSON) is validated before any
 * tensor is exposed: bounded header length, well-formed JSON, known dtypes,
 * shape x dtype size equal to the byte range, every range inside the file,
 * no two ranges overlapping. Errors name the file and the tensor. */
#pragma once

#include <gio/gio.h>
#include <stdint.h>

#include "rg-dtype.h"

G_BEGIN_DECLS

#define RG_MAX_DIMS 8

typedef struct
{
  const char *name;
  RgDType dtype;
  guint n_dims;
  int64_t shape[RG_MAX_DIMS];
  uint64_t n_elements;
  const void *data;      /* inside the mapping: valid while the file is open */
  uint64_t nbytes;
  const char *filename;  /* the file it lives in (for messages) */
} RgTensorInfo;

typedef struct _RgSafetensors RgSafetensors;

RgSafetensors *rg_safetensors_open (const char *path, GError **error);
void rg_safetensors_close (RgSafetensors *st);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RgSafetensors, rg_safetensors_close)

const RgTensorInfo *rg_safetensors_find (RgSafetensors *st, const char *name);
guint rg_safetensors_get_n_tensors (RgSafetensors *st);
const RgTensorInfo *rg_safetensors_get_nth (RgSafetensors *st, guint i);

/* Writing (regard-cli preprocess, --dump). DATA are written as given. */
typedef struct
{
  const char *name;
  RgDType dtype;
  guint n_dims;
  int64_t shape[RG_MAX_DIMS];
  const void *data;
} RgTensorWrite;

gboolean rg_safetensors_write (const char *path, const RgTensorWrite *tensors, guint n,
                               GError **error);

/* TRUE when JSON TEXT nests arrays/objects at most MAX_DEPTH deep (brackets
 * inside strings ignored). json-glib's parser recurses once per level, so
 * hostile text ("[[[[...") must be refused before json_parser_load_*. */
gboolean rg_json_depth_ok (const char *text, gsize len, guint max_depth);
#define RG_JSON_MAX_DEPTH 64

G_END_DECLS
