/* test-engine-common.h: the public engine API from the families' engine
 * tests (test-engine-idefics1.c, test-engine-idefics3.c). */
#pragma once

#include <json-glib/json-glib.h>

#include "regard-engine.h"

G_BEGIN_DECLS

/* regard_engine_ask_async on a private main context, to its end: the
 * streamed ids and text, the stats. */
gboolean rg_test_ask_sync (RegardEngine *engine, RegardConversation *conv, const RegardAskParams *params,
                           GArray **ids, char **text, RegardAskStats *stats, GError **error);

/* CONV (golden case C as a chat) asked on ENGINE with PARAMS and 24 new
 * tokens: the prompt's length, every greedy id and the text are the
 * golden's. */
void rg_test_engine_check_golden (RegardEngine *engine, JsonObject *c, RegardConversation *conv,
                                  RegardAskParams params);

/* "id id ... " (for comparing two answers' ids) */
GString *rg_test_ids_string (GArray *ids);

G_END_DECLS
