/* test-hub-server.h: a loopback Hugging Face hub for tests.
 *
 * Two SoupServers on 127.0.0.1, on the calling thread's main context: the
 * hub answers /api/models/{repo}/revision/main and
 * /{repo}/resolve/main/{file} for the repos added, serving a fixture folder
 * (e.g. tests/fixtures/idefics2-tiny) as each of them; safetensors resolve
 * to a 302 with X-Linked-Etag and X-Linked-Size towards the second server,
 * the "CDN" (another origin), which honours Range. A download against it
 * needs the main context iterated (the server runs there). */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _RgHubServer RgHubServer;

/* Serves the files of FIXTURE_DIR (its top level) that a model needs. */
RgHubServer *rg_hub_server_new             (const char  *fixture_dir);
void         rg_hub_server_free            (RgHubServer *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RgHubServer, rg_hub_server_free)

/* Answer for REPO ("owner/name"); every other repo is a 404. */
void         rg_hub_server_add_repo        (RgHubServer *server,
                                            const char  *repo);
/* The endpoint, e.g. "http://127.0.0.1:PORT", for REGARD_HF_ENDPOINT. */
const char  *rg_hub_server_get_url         (RgHubServer *server);
/* Safetensors bodies trickle: 64 KiB, then DELAY_MS, and so on (0: full speed). */
void         rg_hub_server_set_delay       (RgHubServer *server,
                                            guint        delay_ms);
/* The Range header of each CDN GET so far ("" when none), in order. */
GPtrArray   *rg_hub_server_get_ranges      (RgHubServer *server);

G_END_DECLS
