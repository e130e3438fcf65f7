/* regard-error.c: the REGARD_ERROR domain of the public API. */
#include "regard-engine.h"

G_DEFINE_QUARK (regard-error-quark, regard_error)
