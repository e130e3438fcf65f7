/* regard-engine.h: ask IDEFICS2 about images, on the user's own GPU.
 *
 * The engine loads a Hugging Face IDEFICS2 snapshot folder, runs the model
 * through Vulkan compute shaders on one engine thread, and streams answers
 * back to the caller's GMainContext.
 *
 * Usage (error handling shortened):
 *
 *   RegardEngineParams params = regard_engine_params_default ();
 *   RegardEngine *engine = regard_engine_new (&params, &error);
 *
 *   regard_engine_load_async (engine, "/path/to/idefics2-8b", cancellable,
 *                             on_progress, g_object_ref (self), g_object_unref,
 *                             on_loaded, self);
 *   // on_loaded: regard_engine_load_finish (engine, result, &error);
 *
 *   RegardConversation *conv = regard_conversation_new ();
 *   regard_conversation_add_image_file (conv, REGARD_ROLE_USER, "shot.png");
 *   regard_conversation_add_text (conv, REGARD_ROLE_USER, "What does it say?");
 *
 *   RegardAskParams ask = regard_ask_params_default ();
 *   regard_engine_ask_async (engine, conv, &ask, cancellable,
 *                            on_token, g_object_ref (self), g_object_unref,
 *                            on_answered, self);
 *   // on_token (id, "text delta", self) runs once per generated token;
 *   // on_answered: regard_engine_ask_finish (engine, result, &stats, &error);
 *
 *   regard_conversation_unref (conv);
 *   regard_engine_free (engine);
 *
 * Thread-safety contract: a RegardEngine is created, used and freed on one
 * thread, the "client" thread, whose thread-default GMainContext at the time
 * of each *_async call receives every callback of that call (progress,
 * tokens, completion). The engine owns one private thread that owns the
 * Vulkan device and queue; requests are queued to it and run one at a time,
 * in order. Cancelling a request's GCancellable stops it within one token
 * (or one upload chunk while loading) and leaves the engine usable.
 * RegardConversation is reference counted and must not be modified while an
 * ask that uses it is in flight (the engine takes a snapshot of it anyway).
 *
 * Lifetimes: a repeated callback's data (progress, tokens) comes with a
 * GDestroyNotify (may be NULL), called on the same context once the last
 * call is done; a completion (GAsyncReadyCallback) runs exactly once, as
 * in GIO. regard_engine_free () may be called with requests in flight: it
 * cancels them and returns without waiting (the engine thread finishes on
 * its own); their completions still arrive (cancelled) afterwards, and
 * *_finish () never touches the freed engine.
 * Errors never abort the process: they come back as GError in the REGARD_ERROR
 * domain, G_IO_ERROR (files, cancellation) or a Vulkan-derived code.
 */
#pragma once

#include <gio/gio.h>
#include <stdint.h>

#include "regard-error.h"

G_BEGIN_DECLS

typedef enum
{
  REGARD_PRECISION_AUTO,  /* fastest format within the fp16 tolerances */
  REGARD_PRECISION_F32,   /* reference path: every weight upcast to f32 */
  REGARD_PRECISION_F16,
} RegardPrecision;

/* The KV cache's element type. */
typedef enum
{
  REGARD_KV_CACHE_AUTO,  /* $REGARD_KV_CACHE ("f32" or "f16"), else f32 with f32 weights
                          * (REGARD_PRECISION_F32: exact), f16 otherwise */
  REGARD_KV_CACHE_F32,
  REGARD_KV_CACHE_F16,   /* half the memory and decode bandwidth of a long context; keys
                          * and values rounded to f16 (f32 where the model's head dim is
                          * not a multiple of 4, logged) */
} RegardKvCache;

#define REGARD_DEFAULT_CONTEXT_LENGTH 4096

typedef struct
{
  /* Device chosen by index, name substring or UUID; NULL: $REGARD_DEVICE,
   * else the best device (discrete > integrated > virtual > CPU). */
  const char *device;
  RegardPrecision precision;
  /* Context length reserved for the KV cache, in tokens (0: the model's
   * max_position_embeddings, at most REGARD_DEFAULT_CONTEXT_LENGTH). */
  guint context_length;
  RegardKvCache kv_cache;
} RegardEngineParams;

RegardEngineParams regard_engine_params_default (void);

typedef struct
{
  char *name;
  char *type;           /* "discrete", "integrated", "virtual", "cpu", "other" */
  char *uuid;           /* 32 lowercase hex digits */
  char *driver;         /* driver name and version */
  guint64 vram_bytes;   /* device-local heap size */
  gboolean is_cpu;      /* lavapipe / llvmpipe or another software device */
} RegardDeviceInfo;

void regard_device_info_free (RegardDeviceInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RegardDeviceInfo, regard_device_info_free)

/* All Vulkan devices, as RegardDeviceInfo, best first. */
GPtrArray *regard_list_devices (GError **error);

/* ---- Conversations ---------------------------------------------------- */

typedef enum
{
  REGARD_ROLE_USER,
  REGARD_ROLE_ASSISTANT,
} RegardRole;

typedef struct _RegardConversation RegardConversation;

RegardConversation *regard_conversation_new (void);
RegardConversation *regard_conversation_ref (RegardConversation *conv);
void regard_conversation_unref (RegardConversation *conv);
/* Appends to the current turn of ROLE, starting a new turn when the role
 * changes. Parts keep their order: images may stand anywhere in a turn. */
void regard_conversation_add_text (RegardConversation *conv, RegardRole role, const char *text);
void regard_conversation_add_image_file (RegardConversation *conv, RegardRole role, const char *path);
/* Encoded image bytes (PNG, JPEG, ...), e.g. from the clipboard. */
void regard_conversation_add_image_bytes (RegardConversation *conv, RegardRole role, GBytes *bytes);
/* Removes the last turn (e.g. to regenerate an answer). */
void regard_conversation_pop_turn (RegardConversation *conv);
guint regard_conversation_get_n_turns (RegardConversation *conv);
void regard_conversation_clear (RegardConversation *conv);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RegardConversation, regard_conversation_unref)

/* ---- The engine ------------------------------------------------------- */

typedef struct _RegardEngine RegardEngine;

typedef struct
{
  const char *name;          /* model folder's name */
  /* "vulkan": the product, on DEVICE_NAME (possibly a software device);
   * "reference": the plain-C reference backend, used without a Vulkan
   * device when the model fits in RAM (slow). */
  const char *backend;
  const char *device_name;
  const char *device_uuid;
  gboolean device_is_cpu;
  const char *weight_format; /* "f32", "f16", "bf16", "q8_0", "q4_0", "mixed" */
  const char *format_reason; /* why that format (memory budget), or NULL */
  gboolean image_splitting;  /* preprocessor_config.json's default */
  guint context_length;
  const char *family;        /* the architecture, from config.json's model_type:
                              * "IDEFICS2", "IDEFICS3 / SmolVLM" */
} RegardModelInfo;

RegardEngine *regard_engine_new (const RegardEngineParams *params, GError **error);
/* Never waits for the engine thread: it cancels what is in flight and
 * returns; the engine thread finishes the command buffer it is running
 * (one, at most), then frees the model, the Vulkan device and itself. */
void regard_engine_free (RegardEngine *engine);
/* regard_engine_free (), then FINISHED (FINISHED_DATA) on the caller's
 * thread-default GMainContext once the engine thread has released the model
 * and the device. The process should not exit before: an application holds
 * itself (g_application_hold) and releases in FINISHED. */
void regard_engine_free_full (RegardEngine *engine, GDestroyNotify finished, gpointer finished_data);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RegardEngine, regard_engine_free)

/* Progress of a load: bytes of weights uploaded so far, of TOTAL. */
typedef void (*RegardProgressFunc) (guint64 done, guint64 total, gpointer user_data);

void regard_engine_load_async (RegardEngine *engine,
                               const char *model_dir,
                               GCancellable *cancellable,
                               RegardProgressFunc progress,
                               gpointer progress_data,
                               GDestroyNotify progress_destroy,
                               GAsyncReadyCallback callback,
                               gpointer user_data);
gboolean regard_engine_load_finish (RegardEngine *engine, GAsyncResult *result, GError **error);
/* Synchronous variant for tools: runs the same code on the engine thread. */
gboolean regard_engine_load (RegardEngine *engine, const char *model_dir,
                             GCancellable *cancellable, GError **error);

/* NULL while no model is loaded. Valid until the next load or unload. */
const RegardModelInfo *regard_engine_get_model_info (RegardEngine *engine);
void regard_engine_unload (RegardEngine *engine);

typedef enum
{
  REGARD_STOP_EOS,         /* the model ended its answer */
  REGARD_STOP_MAX_TOKENS,  /* max_new_tokens reached */
  REGARD_STOP_CANCELLED,   /* the GCancellable fired */
  REGARD_STOP_CONTEXT_FULL,
} RegardStopReason;

const char *regard_stop_reason_to_string (RegardStopReason reason);

typedef struct
{
  guint max_new_tokens;   /* 0: 512 */
  float temperature;      /* 0: greedy */
  guint top_k;            /* 0: off */
  float top_p;            /* 1.0: off */
  guint64 seed;
  int image_splitting;    /* -1: the model's preprocessor_config.json, 0: off, 1: on */
  /* When TRUE the conversation's single user text is the whole
   * chat-formatted prompt with <image> placeholders. */
  gboolean raw_prompt;
  /* Optional: write intermediate tensors (goldens' names) to this file. */
  const char *dump_path;
} RegardAskParams;

RegardAskParams regard_ask_params_default (void);

typedef struct
{
  RegardStopReason stop_reason;
  guint prompt_tokens;      /* tokens prefilled (new tokens only, on a cached prefix) */
  guint cached_tokens;      /* tokens reused from the KV cache */
  guint generated_tokens;
  guint encoded_images;     /* images run through the vision tower (cached ones are not) */
  double image_encode_ms;
  double prefill_ms;
  double decode_tokens_per_s;
} RegardAskStats;

/* TEXT is the UTF-8 text this token adds; it may be "" while a multi-byte
 * character is incomplete, never broken UTF-8. */
typedef void (*RegardTokenFunc) (gint32 token_id, const char *text, gpointer user_data);

void regard_engine_ask_async (RegardEngine *engine,
                              RegardConversation *conv,
                              const RegardAskParams *params,
                              GCancellable *cancellable,
                              RegardTokenFunc on_token,
                              gpointer token_data,
                              GDestroyNotify token_destroy,
                              GAsyncReadyCallback callback,
                              gpointer user_data);
/* STATS may be NULL. A cancelled ask is not an error: it returns TRUE with
 * stop_reason REGARD_STOP_CANCELLED. */
gboolean regard_engine_ask_finish (RegardEngine *engine, GAsyncResult *result,
                                   RegardAskStats *stats, GError **error);

/* The prompt Regard uses to transcribe all text in an image, keeping lines. */
const char *regard_ocr_prompt (void);

/* ---- Checks before use (any thread) ------------------------------------ */

/* Whether MODEL_DIR is a snapshot folder load would accept (config.json
 * of a supported model_type, the processor files its family needs,
 * weights, tokenizer), without loading it: REGARD_ERROR_INVALID_MODEL or
 * _UNSUPPORTED (the message names the folder) otherwise. */
gboolean regard_model_dir_check (const char *model_dir, GError **error);
/* Decodes BYTES as an ask will (same decoder and limits); on success sets
 * the image's WIDTH and HEIGHT (either may be NULL). REGARD_ERROR_INVALID_IMAGE
 * for a corrupt, truncated or oversized image. */
gboolean regard_image_check_bytes (GBytes *bytes, guint *width, guint *height, GError **error);
/* The most pixels an image may have (larger ones are refused). */
guint64 regard_image_max_pixels (void);

G_END_DECLS
