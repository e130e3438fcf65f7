/* regard-session.h: the app's one way to reach the engine.
 *
 * A RegardSession owns a RegardEngine, loads a model folder into it and
 * runs asks, exposing what the UI shows (state, load progress, device) as
 * GObject properties so widgets can bind to them. */
#pragma once

#include <gio/gio.h>

#include "regard-engine.h"

G_BEGIN_DECLS

typedef enum
{
  REGARD_SESSION_EMPTY,    /* no model chosen */
  REGARD_SESSION_LOADING,
  REGARD_SESSION_READY,
  REGARD_SESSION_FAILED,   /* see regard_session_get_error () */
} RegardSessionState;

#define REGARD_TYPE_SESSION (regard_session_get_type ())
G_DECLARE_FINAL_TYPE (RegardSession, regard_session, REGARD, SESSION, GObject)

RegardSession      *regard_session_new                (void);
RegardSessionState  regard_session_get_state          (RegardSession *self);
double              regard_session_get_progress       (RegardSession *self);
const char         *regard_session_get_model_dir      (RegardSession *self);
const char         *regard_session_get_model_name     (RegardSession *self);
const char         *regard_session_get_device_name    (RegardSession *self);
const char         *regard_session_get_weight_format  (RegardSession *self);
const char         *regard_session_get_format_reason  (RegardSession *self);
gboolean            regard_session_get_device_is_cpu  (RegardSession *self);
/* TRUE when the model runs on the plain-C reference backend (no Vulkan). */
gboolean            regard_session_get_reference_backend (RegardSession *self);
const GError       *regard_session_get_error          (RegardSession *self);
gboolean            regard_session_get_busy           (RegardSession *self);

/* Frees the engine without waiting for it (asks in flight end cancelled);
 * the default GApplication stays held until the engine thread is done. */
void                regard_session_close              (RegardSession *self);

/* DEVICE: a UUID, index or name substring; NULL or "" for the best one. */
void                regard_session_load_async         (RegardSession        *self,
                                                       const char           *model_dir,
                                                       const char           *device,
                                                       GCancellable         *cancellable,
                                                       GAsyncReadyCallback   callback,
                                                       gpointer              user_data);
gboolean            regard_session_load_finish        (RegardSession        *self,
                                                       GAsyncResult         *result,
                                                       GError              **error);

void                regard_session_ask_async          (RegardSession           *self,
                                                       RegardConversation      *conv,
                                                       const RegardAskParams   *params,
                                                       GCancellable            *cancellable,
                                                       RegardTokenFunc          on_token,
                                                       gpointer                 token_data,
                                                       GAsyncReadyCallback      callback,
                                                       gpointer                 user_data);
gboolean            regard_session_ask_finish         (RegardSession        *self,
                                                       GAsyncResult         *result,
                                                       RegardAskStats       *stats,
                                                       GError              **error);

G_END_DECLS
