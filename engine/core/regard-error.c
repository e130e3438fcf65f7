/* regard-error.c: the REGARD_ERROR domain of the public API. */
#include "regard-error.h"

G_DEFINE_QUARK (regard-error-quark, regard_error)
