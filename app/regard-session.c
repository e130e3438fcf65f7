/* regard-session.c
 *
 * Copyright 2025 The Regard authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "regard-session.h"

struct _RegardSession
{
  GObject parent_instance;

  RegardEngine *engine;       /* owned, NULL until the first load */
  GApplication *held_app;     /* owned: held while ENGINE exists (see free_engine) */
  char *engine_device;        /* owned: the device ENGINE was made for */
  char *model_dir;            /* owned */
  char *model_name;           /* owned */
  char *device_name;          /* owned */
  char *weight_format;        /* owned: "bf16", "q8_0", ... */
  char *format_reason;        /* owned: why that format, may be NULL */
  GError *error;              /* owned, set in REGARD_SESSION_FAILED */
  RegardSessionState state;
  double progress;
  guint load_serial;          /* bumped by each load: older ones are stale */
  guint n_asks;               /* asks in flight */
  gboolean device_is_cpu;
  gboolean reference_backend; /* no Vulkan: the plain-C reference backend */
};

G_DEFINE_FINAL_TYPE (RegardSession, regard_session, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_STATE,
  PROP_PROGRESS,
  PROP_MODEL_DIR,
  PROP_MODEL_NAME,
  PROP_DEVICE_NAME,
  PROP_DEVICE_IS_CPU,
  PROP_BUSY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

typedef struct
{
  RegardSession *self;  /* owned */
  GTask *task;          /* owned */
  guint serial;
} LoadData;

static void
regard_session_set_state (RegardSession      *self,
                          RegardSessionState  state)
{
  if (self->state == state)
    return;

  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
regard_session_set_progress (RegardSession *self,
                             double         progress)
{
  if (self->progress == progress)
    return;

  self->progress = progress;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROGRESS]);
}

static void
regard_session_set_busy (RegardSession *self,
                         gboolean       busy)
{
  if (busy)
    self->n_asks++;
  else
    self->n_asks--;

  if (self->n_asks <= 1)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

static void
release_application (gpointer data)
{
  g_autoptr(GApplication) app = data;

  g_application_release (app);
}

/* The engine thread may still be finishing a command buffer: freeing
 * never waits for it, and the application stays held until the thread has
 * released the device, so the process does not exit under it. */
static void
regard_session_free_engine (RegardSession *self)
{
  GApplication *app = g_steal_pointer (&self->held_app);

  if (self->engine == NULL)
    return;
  regard_engine_free_full (g_steal_pointer (&self->engine),
                           app != NULL ? release_application : NULL, app);
}

static gboolean
regard_session_new_engine (RegardSession      *self,
                           const RegardEngineParams *params,
                           GError            **error)
{
  self->engine = regard_engine_new (params, error);
  if (self->engine == NULL)
    return FALSE;

  self->held_app = g_application_get_default ();
  if (self->held_app != NULL)
    {
      g_object_ref (self->held_app);
      g_application_hold (self->held_app);
    }
  return TRUE;
}

void
regard_session_close (RegardSession *self)
{
  g_return_if_fail (REGARD_IS_SESSION (self));

  /* Loads in flight are stale now; asks in flight end cancelled. */
  self->load_serial++;
  regard_session_free_engine (self);
}

static void
regard_session_finalize (GObject *object)
{
  RegardSession *self = (RegardSession *)object;

  regard_session_free_engine (self);
  g_clear_pointer (&self->engine_device, g_free);
  g_clear_pointer (&self->model_dir, g_free);
  g_clear_pointer (&self->model_name, g_free);
  g_clear_pointer (&self->device_name, g_free);
  g_clear_pointer (&self->weight_format, g_free);
  g_clear_pointer (&self->format_reason, g_free);
  g_clear_error (&self->error);

  G_OBJECT_CLASS (regard_session_parent_class)->finalize (object);
}

static void
regard_session_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  RegardSession *self = REGARD_SESSION (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_int (value, self->state);
      break;

    case PROP_PROGRESS:
      g_value_set_double (value, self->progress);
      break;

    case PROP_MODEL_DIR:
      g_value_set_string (value, self->model_dir);
      break;

    case PROP_MODEL_NAME:
      g_value_set_string (value, self->model_name);
      break;

    case PROP_DEVICE_NAME:
      g_value_set_string (value, self->device_name);
      break;

    case PROP_DEVICE_IS_CPU:
      g_value_set_boolean (value, self->device_is_cpu);
      break;

    case PROP_BUSY:
      g_value_set_boolean (value, self->n_asks > 0);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
regard_session_class_init (RegardSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = regard_session_finalize;
  object_class->get_property = regard_session_get_property;

  properties[PROP_STATE] =
    g_param_spec_int ("state", NULL, NULL,
                      REGARD_SESSION_EMPTY, REGARD_SESSION_FAILED, REGARD_SESSION_EMPTY,
                      (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  properties[PROP_PROGRESS] =
    g_param_spec_double ("progress", NULL, NULL, 0.0, 1.0, 0.0,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  properties[PROP_MODEL_DIR] =
    g_param_spec_string ("model-dir", NULL, NULL, NULL,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  properties[PROP_MODEL_NAME] =
    g_param_spec_string ("model-name", NULL, NULL, NULL,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  properties[PROP_DEVICE_NAME] =
    g_param_spec_string ("device-name", NULL, NULL, NULL,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  properties[PROP_DEVICE_IS_CPU] =
    g_param_spec_boolean ("device-is-cpu", NULL, NULL, FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
regard_session_init (RegardSession *self)
{
}

RegardSession *
regard_session_new (void)
{
  return g_object_new (REGARD_TYPE_SESSION, NULL);
}

RegardSessionState
regard_session_get_state (RegardSession *self)
{
  g_return_val_if_fail (REGARD_IS_SESSION (self), REGARD_SESSION_EMPTY);
  return self->state;
}

double
regard_session_get_progress (RegardSession *self)
{
  g_return_val_if_fail (REGARD_IS_SESSION (self), 0.0);
  return self->progress;
}

const char *
regard_session_get_model_dir (RegardSession *self)
{
  g_return_val_if_fail (REGARD_IS_SESSION (self), NULL);
  return self->model_dir;
}

const char *
regard_session_get_model_name (RegardSession *self)
{
  g_return_val_if_fail (REGARD_IS_SESSION (self), NULL);
  return self->model_name;
}

const char *
regard_session_get_weight_format (RegardSession *self)
{
  g_return_val_if_fail (REGARD_IS_SESSION (self), NULL);
  return self->weight_format;
}

const char *
regard_session_get_format_reason (RegardSession *self)
{
  g_return_val_if_fail (REGARD_IS_SESSION (self), NULL);
  return self->format_reason;
}

const char *
regard_session_get_device_name (RegardSession *self)
{
  g_return_val_if_fail (REGARD_IS_SESSION (self), NULL);
  return self->device_name;
}

gboolean
regard_session_get_device_is_cpu (RegardSession *self)
{
  g_return_val_if_fail (REGARD_IS_SESSION (self), FALSE);
  return self->device_is_cpu;
}

gboolean
regard_session_get_reference_backend (RegardSession *self)
{
  g_return_val_if_fail (REGARD_IS_SESSION (self), FALSE);
  return self->reference_backend;
}

const GError *
regard_session_get_error (RegardSession *self)
{
  g_return_val_if_fail (REGARD_IS_SESSION (self), NULL);
  return self->error;
}

gboolean
regard_session_get_busy (RegardSession *self)
{
  g_return_val_if_fail (REGARD_IS_SESSION (self), FALSE);
  return self->n_asks > 0;
}

static void
load_data_free (LoadData *data)
{
  g_clear_object (&data->self);
  g_clear_object (&data->task);
  g_free (data);
}

static void
regard_session_fail (RegardSession *self,
                     const GError  *error)
{
  g_clear_error (&self->error);
  self->error = g_error_copy (error);
  regard_session_set_state (self, REGARD_SESSION_FAILED);
}

static void
regard_session_load_progress_cb (guint64  done,
                                 guint64  total,
                                 gpointer user_data)
{
  LoadData *data = user_data;

  if (data->serial != data->self->load_serial)
    return;

  regard_session_set_progress (data->self, total > 0 ? CLAMP ((double)done / (double)total, 0.0, 1.0) : 0.0);
}

static void
regard_session_load_cb (GObject      *object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  LoadData *data = user_data;
  RegardSession *self = data->self;
  g_autoptr(GError) error = NULL;
  const RegardModelInfo *info;

  if (!regard_engine_load_finish (self->engine, result, &error))
    {
      if (data->serial == self->load_serial)
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            regard_session_set_state (self, REGARD_SESSION_EMPTY);
          else
            regard_session_fail (self, error);
        }

      g_task_return_error (data->task, g_steal_pointer (&error));
      load_data_free (data);
      return;
    }

  if (data->serial == self->load_serial)
    {
      info = regard_engine_get_model_info (self->engine);

      g_free (self->model_name);
      self->model_name = g_strdup (info != NULL ? info->name : NULL);
      g_free (self->device_name);
      self->device_name = g_strdup (info != NULL ? info->device_name : NULL);
      g_free (self->weight_format);
      self->weight_format = g_strdup (info != NULL ? info->weight_format : NULL);
      g_free (self->format_reason);
      self->format_reason = g_strdup (info != NULL ? info->format_reason : NULL);
      self->device_is_cpu = info != NULL && info->device_is_cpu;
      self->reference_backend = info != NULL && g_strcmp0 (info->backend, "reference") == 0;
      g_clear_error (&self->error);

      g_object_freeze_notify (G_OBJECT (self));
      regard_session_set_progress (self, 1.0);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODEL_NAME]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DEVICE_NAME]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DEVICE_IS_CPU]);
      regard_session_set_state (self, REGARD_SESSION_READY);
      g_object_thaw_notify (G_OBJECT (self));
    }

  g_task_return_boolean (data->task, TRUE);
  load_data_free (data);
}

void
regard_session_load_async (RegardSession       *self,
                           const char          *model_dir,
                           const char          *device,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  LoadData *data;

  g_return_if_fail (REGARD_IS_SESSION (self));
  g_return_if_fail (model_dir != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, regard_session_load_async);

  if (device != NULL && device[0] == '\0')
    device = NULL;

  self->load_serial++;

  g_free (self->model_dir);
  self->model_dir = g_strdup (model_dir);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODEL_DIR]);

  /* A new device needs a new engine; asks in flight finish first since the
   * engine queues its requests in order. */
  if (self->engine != NULL && g_strcmp0 (self->engine_device, device) != 0 &&
      self->n_asks == 0 && self->state != REGARD_SESSION_LOADING)
    regard_session_free_engine (self);

  if (self->engine == NULL)
    {
      RegardEngineParams params = regard_engine_params_default ();

      params.device = device;
      g_free (self->engine_device);
      self->engine_device = g_strdup (device);

      if (!regard_session_new_engine (self, &params, &error))
        {
          regard_session_fail (self, error);
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
    }

  regard_session_set_progress (self, 0.0);
  regard_session_set_state (self, REGARD_SESSION_LOADING);

  data = g_new0 (LoadData, 1);
  data->self = g_object_ref (self);
  data->task = g_steal_pointer (&task);
  data->serial = self->load_serial;

  regard_engine_load_async (self->engine, model_dir, cancellable,
                            regard_session_load_progress_cb, data, NULL,
                            regard_session_load_cb, data);
}

gboolean
regard_session_load_finish (RegardSession  *self,
                            GAsyncResult   *result,
                            GError        **error)
{
  g_return_val_if_fail (REGARD_IS_SESSION (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
regard_session_ask_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  RegardSession *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  RegardAskStats *stats = g_new0 (RegardAskStats, 1);

  regard_session_set_busy (self, FALSE);

  if (!regard_engine_ask_finish (self->engine, result, stats, &error))
    {
      g_free (stats);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_task_return_pointer (task, stats, g_free);
}

void
regard_session_ask_async (RegardSession         *self,
                          RegardConversation    *conv,
                          const RegardAskParams *params,
                          GCancellable          *cancellable,
                          RegardTokenFunc        on_token,
                          gpointer               token_data,
                          GAsyncReadyCallback    callback,
                          gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (REGARD_IS_SESSION (self));
  g_return_if_fail (conv != NULL);
  g_return_if_fail (params != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, regard_session_ask_async);
  /* A cancelled ask still reports its stats: the engine decides. */
  g_task_set_check_cancellable (task, FALSE);

  if (self->engine == NULL || self->state != REGARD_SESSION_READY)
    {
      g_task_return_new_error (task, REGARD_ERROR, REGARD_ERROR_NOT_LOADED,
                               _("No model is loaded"));
      return;
    }

  regard_session_set_busy (self, TRUE);
  regard_engine_ask_async (self->engine, conv, params, cancellable,
                           on_token, token_data, NULL,
                           regard_session_ask_cb, g_steal_pointer (&task));
}

gboolean
regard_session_ask_finish (RegardSession   *self,
                           GAsyncResult    *result,
                           RegardAskStats  *stats,
                           GError         **error)
{
  g_autofree RegardAskStats *ret = NULL;

  g_return_val_if_fail (REGARD_IS_SESSION (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  ret = g_task_propagate_pointer (G_TASK (result), error);
  if (ret == NULL)
    return FALSE;

  if (stats != NULL)
    *stats = *ret;

  return TRUE;
}
