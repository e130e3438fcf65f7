/* regard-engine.c: the public engine API, the engine thread and its queue.
 *
 * Every request (load, unload, ask, quit) is queued to one GThread, which
 * alone touches the model. Results come back as GTasks completed from that
 * thread, which GTask dispatches to the main context that was the caller's
 * thread default at the *_async call; tokens and progress go to the same
 * context through g_main_context_invoke_full at the same priority, so they
 * arrive in order and before the completion. */
#include "rg-engine-private.h"
#include "rg-engine-test.h"
#include "rg-conversation-private.h"
#include "rg-image.h"
#include "rg-snapshot.h"

typedef enum
{
  REQ_LOAD,
  REQ_UNLOAD,
  REQ_ASK,
  REQ_QUIT,
} RequestKind;

/* What a completion may reach of its engine: the engine itself while it
 * lives. regard_engine_free () clears ENGINE, so a completion dispatched
 * after the free touches nothing freed. Client thread only. */
typedef struct
{
  RegardEngine *engine;
} EngineHandle;

/* A load's task data: the user's callback runs from load_done (), which
 * first installs the model info on the engine, if it still exists. */
typedef struct
{
  EngineHandle *handle;        /* a reference */
  GAsyncReadyCallback callback;
  gpointer user_data;
  RegardModelInfo *info;       /* set by the engine thread before the task returns */
} LoadCall;

typedef struct
{
  RequestKind kind;
  GTask *task;                 /* NULL for unload and quit */
  GMainContext *context;       /* where callbacks go */
  /* Fired by the caller's cancellable and by regard_engine_free (). */
  GCancellable *cancellable;
  GCancellable *user_cancellable;
  gulong user_handler;

  /* load */
  char *model_dir;
  RegardProgressFunc progress;
  gpointer progress_data;
  GDestroyNotify progress_destroy;

  /* ask */
  RegardConversation *conv;    /* private snapshot */
  RegardAskParams ask;         /* dump_path owned */
  RegardTokenFunc on_token;
  gpointer token_data;
  GDestroyNotify token_destroy;
} Request;

/* After regard_engine_free () the client forgets the engine and the engine
 * thread owns what is left of it: it finishes the request in flight
 * (cancelled, so within one command buffer), frees the model, the Vulkan
 * context and the struct itself, and then tells FINISHED. The client never
 * waits for it. */
struct _RegardEngine
{
  RegardEngineParams params;   /* device owned */
  EngineHandle *handle;        /* g_rc_box, shared with load completions */
  GAsyncQueue *queue;          /* Request * */

  GMutex lock;                 /* guards the fields below */
  Request *current;            /* running on the engine thread */
  gboolean shutting_down;
  GDestroyNotify finished;     /* set by the free, called once the thread is done */
  gpointer finished_data;
  GMainContext *finished_context;

  RgLoadedModel *loaded;       /* engine thread only */
  RegardModelInfo *info;       /* client thread only */
};

/* Engine threads not yet returned, for rg_engine_test_wait_threads (). */
static GMutex threads_lock;
static GCond threads_cond;
static guint n_threads;
static const RgEngineTestHooks *test_hooks;

void
rg_engine_set_test_hooks (const RgEngineTestHooks *hooks)
{
  g_atomic_pointer_set (&test_hooks, hooks);
}

const RgEngineTestHooks *
rg_engine_get_test_hooks (void)
{
  return g_atomic_pointer_get (&test_hooks);
}

void
rg_engine_test_wait_threads (void)
{
  g_mutex_lock (&threads_lock);
  while (n_threads > 0)
    g_cond_wait (&threads_cond, &threads_lock);
  g_mutex_unlock (&threads_lock);
}

static void
forward_cancel (GCancellable *user, gpointer data)
{
  g_cancellable_cancel (G_CANCELLABLE (data));
}

static Request *
request_new (RequestKind kind, GCancellable *cancellable)
{
  Request *req = g_new0 (Request, 1);

  req->kind = kind;
  req->context = g_main_context_ref_thread_default ();
  req->cancellable = g_cancellable_new ();
  if (cancellable)
    {
      req->user_cancellable = g_object_ref (cancellable);
      req->user_handler = g_cancellable_connect (cancellable, G_CALLBACK (forward_cancel),
                                                 g_object_ref (req->cancellable), g_object_unref);
    }
  return req;
}

typedef struct
{
  GDestroyNotify destroy;
  gpointer data;
} DestroyMsg;

static gboolean
deliver_destroy (gpointer p)
{
  DestroyMsg *msg = p;
  msg->destroy (msg->data);
  return G_SOURCE_REMOVE;
}

/* Runs DESTROY (DATA) on the client's context, after every message queued
 * there before it (same priority, in order): the last use of DATA. */
static void
send_destroy (GMainContext *context, GDestroyNotify destroy, gpointer data)
{
  DestroyMsg *msg;

  if (destroy == NULL)
    return;
  msg = g_new (DestroyMsg, 1);
  *msg = (DestroyMsg) { destroy, data };
  g_main_context_invoke_full (context, G_PRIORITY_DEFAULT, deliver_destroy, msg, g_free);
}

static void
request_free (Request *req)
{
  send_destroy (req->context, req->progress_destroy, req->progress_data);
  send_destroy (req->context, req->token_destroy, req->token_data);
  if (req->user_cancellable)
    {
      g_cancellable_disconnect (req->user_cancellable, req->user_handler);
      g_object_unref (req->user_cancellable);
    }
  g_clear_object (&req->cancellable);
  g_clear_object (&req->task);
  g_main_context_unref (req->context);
  g_free (req->model_dir);
  g_clear_pointer (&req->conv, regard_conversation_unref);
  g_free ((char *) req->ask.dump_path);
  g_free (req);
}

/* ---- Callbacks to the client's context -------------------------------- */

typedef struct
{
  RegardTokenFunc func;
  gpointer data;
  gint32 id;
  char *text;
} TokenMsg;

static gboolean
deliver_token (gpointer p)
{
  TokenMsg *msg = p;
  msg->func (msg->id, msg->text, msg->data);
  return G_SOURCE_REMOVE;
}

static void
token_msg_free (gpointer p)
{
  TokenMsg *msg = p;
  g_free (msg->text);
  g_free (msg);
}

static void
send_token (gint32 id, const char *text, gpointer data)
{
  Request *req = data;
  TokenMsg *msg;

  if (req->on_token == NULL)
    return;
  msg = g_new (TokenMsg, 1);
  msg->func = req->on_token;
  msg->data = req->token_data;
  msg->id = id;
  msg->text = g_strdup (text);
  g_main_context_invoke_full (req->context, G_PRIORITY_DEFAULT, deliver_token, msg, token_msg_free);
}

typedef struct
{
  RegardProgressFunc func;
  gpointer data;
  guint64 done, total;
} ProgressMsg;

static gboolean
deliver_progress (gpointer p)
{
  ProgressMsg *msg = p;
  msg->func (msg->done, msg->total, msg->data);
  return G_SOURCE_REMOVE;
}

static void
send_progress (guint64 done, guint64 total, gpointer data)
{
  Request *req = data;
  ProgressMsg *msg;

  if (req->progress == NULL)
    return;
  msg = g_new (ProgressMsg, 1);
  *msg = (ProgressMsg) { req->progress, req->progress_data, done, total };
  g_main_context_invoke_full (req->context, G_PRIORITY_DEFAULT, deliver_progress, msg, g_free);
}

/* ---- The engine thread ------------------------------------------------- */

static void
run_load (RegardEngine *engine, Request *req)
{
  g_autoptr(GError) error = NULL;
  RgLoadedModel *m;

  /* The old model goes first: two 8B models rarely fit together. */
  g_clear_pointer (&engine->loaded, rg_loaded_model_free);
  m = rg_engine_load_model (req->model_dir, &engine->params, req->cancellable,
                            send_progress, req, &error);
  if (m == NULL)
    {
      g_task_return_error (req->task, g_steal_pointer (&error));
      return;
    }
  engine->loaded = m;
  ((LoadCall *) g_task_get_task_data (req->task))->info = rg_model_info_copy (m->info);
  g_task_return_boolean (req->task, TRUE);
}

static void
run_ask (RegardEngine *engine, Request *req)
{
  g_autoptr(GError) error = NULL;
  RegardAskStats *stats = g_new0 (RegardAskStats, 1);

  if (engine->loaded == NULL)
    {
      g_free (stats);
      g_task_return_new_error (req->task, REGARD_ERROR, REGARD_ERROR_NOT_LOADED,
                               "No model is loaded");
      return;
    }
  if (!rg_engine_ask_run (engine->loaded, req->conv, &req->ask, req->cancellable,
                          send_token, req, stats, &error))
    {
      g_free (stats);
      g_task_return_error (req->task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (req->task, stats, g_free);
}

/* A request popped after regard_engine_free () started, or cancelled
 * while it waited in the queue. */
static void
finish_cancelled (Request *req)
{
  if (req->kind == REQ_ASK)
    {
      RegardAskStats *stats = g_new0 (RegardAskStats, 1);
      stats->stop_reason = REGARD_STOP_CANCELLED;
      g_task_return_pointer (req->task, stats, g_free);
    }
  else if (req->task)
    g_task_return_new_error (req->task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Cancelled");
}

static gpointer
engine_thread (gpointer data)
{
  RegardEngine *engine = data;
  /* A private thread-default context, so that callbacks for a client
   * using the global default context are never run on this thread by
   * g_main_context_invoke_full (). */
  GMainContext *own = g_main_context_new ();
  const RgEngineTestHooks *hooks;

  g_main_context_push_thread_default (own);
  for (;;)
    {
      Request *req = g_async_queue_pop (engine->queue);
      gboolean quit = req->kind == REQ_QUIT;
      gboolean skip;

      g_mutex_lock (&engine->lock);
      skip = engine->shutting_down || g_cancellable_is_cancelled (req->cancellable);
      engine->current = req;
      g_mutex_unlock (&engine->lock);

      if (quit)
        ;
      else if (req->kind == REQ_UNLOAD)
        g_clear_pointer (&engine->loaded, rg_loaded_model_free);
      else if (skip)
        finish_cancelled (req);
      else if (req->kind == REQ_LOAD)
        run_load (engine, req);
      else
        run_ask (engine, req);

      g_mutex_lock (&engine->lock);
      engine->current = NULL;
      g_mutex_unlock (&engine->lock);
      request_free (req);
      if (quit)
        break;
    }
  /* The client freed the engine (only a free queues REQ_QUIT): what is
   * left is this thread's to free, the model and the device first. */
  g_clear_pointer (&engine->loaded, rg_loaded_model_free);
  g_main_context_pop_thread_default (own);
  g_main_context_unref (own);

  hooks = rg_engine_get_test_hooks ();
  if (hooks && hooks->on_thread_exit)
    hooks->on_thread_exit (hooks->data);

  g_async_queue_unref (engine->queue);
  g_mutex_clear (&engine->lock);
  g_free ((char *) engine->params.device);
  if (engine->finished)
    {
      send_destroy (engine->finished_context, engine->finished, engine->finished_data);
      g_main_context_unref (engine->finished_context);
    }
  g_free (engine);

  g_mutex_lock (&threads_lock);
  n_threads--;
  g_cond_broadcast (&threads_cond);
  g_mutex_unlock (&threads_lock);
  return NULL;
}

/* ---- Public API ------------------------------------------------------- */

RegardEngineParams
regard_engine_params_default (void)
{
  return (RegardEngineParams) {
    .device = NULL,
    .precision = REGARD_PRECISION_AUTO,
    .context_length = 0,   /* the model's own, see rg-engine-load.c */
    .kv_cache = REGARD_KV_CACHE_AUTO,
  };
}

RegardAskParams
regard_ask_params_default (void)
{
  return (RegardAskParams) {
    .max_new_tokens = 512,
    .temperature = 0.0f,
    .top_k = 0,
    .top_p = 1.0f,
    .seed = 0,
    .image_splitting = -1,
    .raw_prompt = FALSE,
    .dump_path = NULL,
  };
}

const char *
regard_stop_reason_to_string (RegardStopReason reason)
{
  switch (reason)
    {
    case REGARD_STOP_EOS: return "eos";
    case REGARD_STOP_MAX_TOKENS: return "max_tokens";
    case REGARD_STOP_CANCELLED: return "cancelled";
    case REGARD_STOP_CONTEXT_FULL: return "context_full";
    default: return "unknown";
    }
}

const char *
regard_ocr_prompt (void)
{
  return "Transcribe all the text in this image, keeping the line breaks.";
}

RegardEngine *
regard_engine_new (const RegardEngineParams *params, GError **error)
{
  RegardEngineParams defaults = regard_engine_params_default ();
  RegardEngine *engine = g_new0 (RegardEngine, 1);
  GThread *thread;

  engine->params = params ? *params : defaults;
  engine->params.device = g_strdup (engine->params.device);
  engine->handle = g_rc_box_new0 (EngineHandle);
  engine->handle->engine = engine;
  engine->queue = g_async_queue_new ();
  g_mutex_init (&engine->lock);
  g_mutex_lock (&threads_lock);
  n_threads++;
  g_mutex_unlock (&threads_lock);
  thread = g_thread_try_new ("regard-engine", engine_thread, engine, error);
  if (thread == NULL)
    {
      g_mutex_lock (&threads_lock);
      n_threads--;
      g_cond_broadcast (&threads_cond);
      g_mutex_unlock (&threads_lock);
      g_async_queue_unref (engine->queue);
      g_mutex_clear (&engine->lock);
      g_free ((char *) engine->params.device);
      g_rc_box_release (engine->handle);
      g_free (engine);
      return NULL;
    }
  /* Never joined: the thread frees itself (see the struct). */
  g_thread_unref (thread);
  return engine;
}

void
regard_engine_free_full (RegardEngine *engine, GDestroyNotify finished, gpointer finished_data)
{
  const RgEngineTestHooks *hooks;
  GAsyncQueue *queue;

  if (engine == NULL)
    {
      if (finished)
        finished (finished_data);
      return;
    }

  /* Completions still queued on the client's context run later: they see
   * no engine. */
  engine->handle->engine = NULL;
  g_rc_box_release (engine->handle);
  engine->handle = NULL;
  g_clear_pointer (&engine->info, rg_model_info_free);

  g_mutex_lock (&engine->lock);
  engine->shutting_down = TRUE;
  engine->finished = finished;
  engine->finished_data = finished_data;
  engine->finished_context = finished ? g_main_context_ref_thread_default () : NULL;
  if (engine->current)
    g_cancellable_cancel (engine->current->cancellable);
  g_mutex_unlock (&engine->lock);
  hooks = rg_engine_get_test_hooks ();
  if (hooks && hooks->on_cancel)
    hooks->on_cancel (hooks->data);

  /* Once REQ_QUIT is in, ENGINE belongs to its thread, which may free it
   * (and drop its queue reference) at any moment. */
  queue = g_async_queue_ref (engine->queue);
  g_async_queue_push (queue, request_new (REQ_QUIT, NULL));
  g_async_queue_unref (queue);
}

void
regard_engine_free (RegardEngine *engine)
{
  regard_engine_free_full (engine, NULL, NULL);
}

static void
load_call_free (gpointer p)
{
  LoadCall *call = p;

  g_rc_box_release (call->handle);
  rg_model_info_free (call->info);
  g_free (call);
}

/* Client context: the engine's model info changes here, before the user's
 * callback, and only while the engine exists. */
static void
load_done (GObject *source, GAsyncResult *result, gpointer data)
{
  LoadCall *call = data;
  RegardEngine *engine = call->handle->engine;

  if (engine != NULL)
    {
      /* Whatever was loaded before is gone, success or not. */
      g_clear_pointer (&engine->info, rg_model_info_free);
      engine->info = g_steal_pointer (&call->info);
    }
  if (call->callback)
    call->callback (source, result, call->user_data);
}

void
regard_engine_load_async (RegardEngine *engine,
                          const char *model_dir,
                          GCancellable *cancellable,
                          RegardProgressFunc progress,
                          gpointer progress_data,
                          GDestroyNotify progress_destroy,
                          GAsyncReadyCallback callback,
                          gpointer user_data)
{
  Request *req;
  LoadCall *call;

  g_return_if_fail (engine != NULL);
  g_return_if_fail (model_dir != NULL);

  req = request_new (REQ_LOAD, cancellable);
  call = g_new0 (LoadCall, 1);
  call->handle = g_rc_box_acquire (engine->handle);
  call->callback = callback;
  call->user_data = user_data;
  req->task = g_task_new (NULL, NULL, load_done, call);
  g_task_set_task_data (req->task, call, load_call_free);
  g_task_set_source_tag (req->task, regard_engine_load_async);
  req->model_dir = g_strdup (model_dir);
  req->progress = progress;
  req->progress_data = progress_data;
  req->progress_destroy = progress_destroy;
  g_async_queue_push (engine->queue, req);
}

gboolean
regard_engine_load_finish (RegardEngine *engine, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == regard_engine_load_async, FALSE);

  /* ENGINE is not touched: it may be freed by now (load_done installed
   * the info while it existed). */
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
store_result (GObject *source, GAsyncResult *result, gpointer data)
{
  *(GAsyncResult **) data = g_object_ref (result);
}

gboolean
regard_engine_load (RegardEngine *engine, const char *model_dir,
                    GCancellable *cancellable, GError **error)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GAsyncResult) result = NULL;

  g_main_context_push_thread_default (context);
  regard_engine_load_async (engine, model_dir, cancellable, NULL, NULL, NULL, store_result, &result);
  while (result == NULL)
    g_main_context_iteration (context, TRUE);
  g_main_context_pop_thread_default (context);

  return regard_engine_load_finish (engine, result, error);
}

const RegardModelInfo *
regard_engine_get_model_info (RegardEngine *engine)
{
  g_return_val_if_fail (engine != NULL, NULL);
  return engine->info;
}

void
regard_engine_unload (RegardEngine *engine)
{
  g_return_if_fail (engine != NULL);

  g_clear_pointer (&engine->info, rg_model_info_free);
  g_async_queue_push (engine->queue, request_new (REQ_UNLOAD, NULL));
}

void
regard_engine_ask_async (RegardEngine *engine,
                         RegardConversation *conv,
                         const RegardAskParams *params,
                         GCancellable *cancellable,
                         RegardTokenFunc on_token,
                         gpointer token_data,
                         GDestroyNotify token_destroy,
                         GAsyncReadyCallback callback,
                         gpointer user_data)
{
  RegardAskParams defaults = regard_ask_params_default ();
  Request *req;

  g_return_if_fail (engine != NULL);
  g_return_if_fail (conv != NULL);

  req = request_new (REQ_ASK, cancellable);
  req->task = g_task_new (NULL, NULL, callback, user_data);
  g_task_set_source_tag (req->task, regard_engine_ask_async);
  req->conv = rg_conversation_copy (conv);
  req->ask = params ? *params : defaults;
  req->ask.dump_path = g_strdup (req->ask.dump_path);
  req->on_token = on_token;
  req->token_data = token_data;
  req->token_destroy = token_destroy;
  g_async_queue_push (engine->queue, req);
}

gboolean
regard_engine_ask_finish (RegardEngine *engine, GAsyncResult *result,
                          RegardAskStats *stats, GError **error)
{
  g_autofree RegardAskStats *s = NULL;

  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == regard_engine_ask_async, FALSE);

  s = g_task_propagate_pointer (G_TASK (result), error);
  if (s == NULL)
    return FALSE;
  if (stats)
    *stats = *s;
  return TRUE;
}

gboolean
regard_model_dir_check (const char *model_dir, GError **error)
{
  g_autoptr(RgSnapshot) snap = NULL;
  const RgFamily *family;
  RgFamilyProcessor fp;

  g_return_val_if_fail (model_dir != NULL, FALSE);

  /* the same order as a load: the family's errors name what is missing */
  if (!g_file_test (model_dir, G_FILE_TEST_IS_DIR))
    {
      gboolean exists = g_file_test (model_dir, G_FILE_TEST_EXISTS);

      g_set_error (error, G_IO_ERROR, exists ? G_IO_ERROR_NOT_DIRECTORY : G_IO_ERROR_NOT_FOUND,
                   exists ? "%s: not a folder" : "%s: no such folder", model_dir);
      return FALSE;
    }
  family = rg_family_for_model_dir (model_dir, error);
  if (family == NULL || !rg_family_load_processor (family, model_dir, &fp, error))
    return FALSE;
  snap = rg_snapshot_open (model_dir, error);
  return snap != NULL;
}

gboolean
regard_image_check_bytes (GBytes *bytes, guint *width, guint *height, GError **error)
{
  g_autoptr(RgImage) image = NULL;

  g_return_val_if_fail (bytes != NULL, FALSE);

  image = rg_image_decode_bytes (bytes, error);
  if (image == NULL)
    return FALSE;
  if (width)
    *width = image->width;
  if (height)
    *height = image->height;
  return TRUE;
}

guint64
regard_image_max_pixels (void)
{
  return RG_IMAGE_MAX_PIXELS;
}
