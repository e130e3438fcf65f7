/* regard-error.h: the REGARD_ERROR domain, shared by every layer of the
 * engine and part of the public API (regard-engine.h includes it). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define REGARD_ERROR (regard_error_quark ())
GQuark regard_error_quark (void);

typedef enum
{
  REGARD_ERROR_FAILED,           /* anything not listed below */
  REGARD_ERROR_NO_DEVICE,        /* no usable Vulkan device */
  REGARD_ERROR_DEVICE_LOST,      /* the GPU reset or the driver crashed */
  REGARD_ERROR_OUT_OF_MEMORY,    /* device or host memory exhausted */
  REGARD_ERROR_INVALID_MODEL,    /* config, weights or tokenizer malformed */
  REGARD_ERROR_UNSUPPORTED,      /* a valid model Regard cannot run */
  REGARD_ERROR_INVALID_IMAGE,    /* undecodable, truncated or too large image */
  REGARD_ERROR_NOT_LOADED,       /* ask without a loaded model */
  REGARD_ERROR_CONTEXT_FULL,     /* prompt longer than the context */
} RegardError;

/* Encoded images larger than this are refused (REGARD_ERROR_INVALID_IMAGE)
 * before they are read; clients loading attachments use the same cap. */
#define REGARD_MAX_IMAGE_BYTES (256u * 1024 * 1024)

G_END_DECLS
