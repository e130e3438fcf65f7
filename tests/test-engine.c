/* test-engine.c: the public engine API end to end on the tiny fixture
 * model (the reference backend, plain C): golden generations, cancellation,
 * multi-turn KV-cache reuse, and errors that leave the engine usable. */
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/stat.h>

#include "regard-engine.h"
#include "rg-engine-test.h"
#include "rg-safetensors.h"
#include "test-common.h"

static RegardEngine *shared_engine;  /* loaded once in main () */
static JsonArray *model_cases;       /* manifest.json's model_cases */

typedef struct
{
  GArray *ids;
  GString *text;
  guint cancel_after;
  GCancellable *cancellable;
  GAsyncResult *result;
} AskState;

static void
on_token (gint32 id, const char *text, gpointer data)
{
  AskState *st = data;

  g_assert_true (g_utf8_validate (text, -1, NULL));
  g_array_append_val (st->ids, id);
  g_string_append (st->text, text);
  if (st->cancel_after && st->ids->len == st->cancel_after)
    g_cancellable_cancel (st->cancellable);
}

static void
on_done (GObject *source, GAsyncResult *result, gpointer data)
{
  AskState *st = data;
  st->result = g_object_ref (result);
}

/* Runs one ask on a private main context (as a client thread would) and
 * collects the streamed tokens. */
static gboolean
ask_sync (RegardEngine *engine, RegardConversation *conv, const RegardAskParams *params,
          guint cancel_after, GArray **ids, char **text, RegardAskStats *stats, GError **error)
{
  g_autoptr(GMainContext) ctx = g_main_context_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  AskState st = { g_array_new (FALSE, FALSE, sizeof (gint32)), g_string_new (NULL),
                  cancel_after, cancellable, NULL };
  gboolean ok;

  g_main_context_push_thread_default (ctx);
  regard_engine_ask_async (engine, conv, params, cancellable, on_token, &st, NULL, on_done, &st);
  while (st.result == NULL)
    g_main_context_iteration (ctx, TRUE);
  g_main_context_pop_thread_default (ctx);

  ok = regard_engine_ask_finish (engine, st.result, stats, error);
  g_object_unref (st.result);
  *ids = st.ids;
  *text = g_string_free (st.text, FALSE);
  return ok;
}

static JsonObject *
find_case (const char *name)
{
  for (guint i = 0; i < json_array_get_length (model_cases); i++)
    {
      JsonObject *c = json_array_get_object_element (model_cases, i);
      if (g_str_equal (json_object_get_string_member (c, "name"), name))
        return c;
    }
  g_error ("no model case %s", name);
  return NULL;
}

/* The manifest's image paths are relative to the model folder. JPEG inputs
 * are replaced by the pixels PIL decoded from them (*.decoded.png, stored
 * losslessly), so a different libjpeg here cannot change the answer: this
 * test is about the engine, and JPEG decoding is not exact across
 * decoders. */
static char *
case_image_path (const char *relative)
{
  g_autofree char *rel = g_build_filename ("idefics2-tiny", relative, NULL);
  g_autofree char *path = rg_test_fixture_path (rel);

  if (g_str_has_suffix (path, ".jpg"))
    {
      path[strlen (path) - 4] = '\0';
      return g_strconcat (path, ".decoded.png", NULL);
    }
  return g_steal_pointer (&path);
}

static RegardConversation *
case_conversation (JsonObject *c, RegardAskParams *params)
{
  RegardConversation *conv = regard_conversation_new ();
  JsonArray *images = json_object_get_array_member (c, "images");

  for (guint i = 0; i < json_array_get_length (images); i++)
    {
      g_autofree char *path = case_image_path (json_array_get_string_element (images, i));
      regard_conversation_add_image_file (conv, REGARD_ROLE_USER, path);
    }
  regard_conversation_add_text (conv, REGARD_ROLE_USER, json_object_get_string_member (c, "chat_prompt"));

  *params = regard_ask_params_default ();
  params->raw_prompt = TRUE;
  params->image_splitting = json_object_get_boolean_member (c, "do_image_splitting");
  params->max_new_tokens = 24;
  return conv;
}

static void
assert_ids_equal (GArray *ids, JsonArray *expect)
{
  g_assert_cmpuint (ids->len, ==, json_array_get_length (expect));
  for (guint i = 0; i < ids->len; i++)
    {
      gint64 e = json_array_get_int_element (expect, i);
      if (g_array_index (ids, gint32, i) != e)
        g_error ("token %u: got %d, expected %" G_GINT64_FORMAT, i, g_array_index (ids, gint32, i), e);
    }
}

static void
test_golden_case (gconstpointer data)
{
  JsonObject *c = find_case (data);
  RegardAskParams params;
  g_autoptr(RegardConversation) conv = case_conversation (c, &params);
  g_autoptr(GArray) ids = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  RegardAskStats stats;

  g_assert_true (ask_sync (shared_engine, conv, &params, 0, &ids, &text, &stats, &error));
  g_assert_no_error (error);
  assert_ids_equal (ids, json_object_get_array_member (c, "generated_ids"));
  g_assert_cmpstr (text, ==, json_object_get_string_member (c, "generated_text_skip_special"));
  g_assert_cmpint (stats.stop_reason, ==, REGARD_STOP_MAX_TOKENS);
  g_assert_cmpuint (stats.generated_tokens, ==, 24);
  g_assert_cmpuint (stats.prompt_tokens + stats.cached_tokens, ==,
                    json_object_get_int_member (c, "input_ids_len"));
}

static void
test_cancel (void)
{
  JsonObject *c = find_case ("text_only");
  RegardAskParams params;
  g_autoptr(RegardConversation) conv = case_conversation (c, &params);
  g_autoptr(GArray) ids = NULL;
  g_autoptr(GArray) ids2 = NULL;
  g_autofree char *text = NULL;
  g_autofree char *text2 = NULL;
  g_autoptr(GError) error = NULL;
  RegardAskStats stats;

  /* Far more tokens than the engine makes before the cancel arrives. */
  params.max_new_tokens = 3000;
  g_assert_true (ask_sync (shared_engine, conv, &params, 3, &ids, &text, &stats, &error));
  g_assert_no_error (error);
  g_assert_cmpint (stats.stop_reason, ==, REGARD_STOP_CANCELLED);
  g_assert_cmpuint (stats.generated_tokens, <, params.max_new_tokens);
  g_assert_cmpuint (stats.generated_tokens, >=, 3);
  g_assert_cmpuint (ids->len, ==, stats.generated_tokens);

  /* The engine is still fine. */
  params.max_new_tokens = 24;
  g_assert_true (ask_sync (shared_engine, conv, &params, 0, &ids2, &text2, &stats, &error));
  g_assert_no_error (error);
  assert_ids_equal (ids2, json_object_get_array_member (c, "generated_ids"));
}

static void
append_ids_text (GString *s, GArray *ids)
{
  for (guint i = 0; i < ids->len; i++)
    g_string_append_printf (s, "%d ", g_array_index (ids, gint32, i));
}

static void
test_multi_turn_reuses_cache (void)
{
  g_autofree char *image = case_image_path ("../images/screenshot_text_800x450.png");
  g_autofree char *model_dir = rg_test_fixture_path ("idefics2-tiny");
  g_autoptr(RegardConversation) conv = regard_conversation_new ();
  g_autoptr(RegardEngine) fresh = NULL;
  g_autoptr(GArray) ids1 = NULL;
  g_autoptr(GArray) ids2 = NULL;
  g_autoptr(GArray) ids_fresh = NULL;
  g_autofree char *text1 = NULL;
  g_autofree char *text2 = NULL;
  g_autofree char *text_fresh = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) a = g_string_new (NULL);
  g_autoptr(GString) b = g_string_new (NULL);
  RegardAskParams params = regard_ask_params_default ();
  RegardAskStats stats, stats_fresh;

  params.max_new_tokens = 10;
  params.image_splitting = 0;
  regard_conversation_add_image_file (conv, REGARD_ROLE_USER, image);
  regard_conversation_add_text (conv, REGARD_ROLE_USER, "Describe this image.");
  g_assert_true (ask_sync (shared_engine, conv, &params, 0, &ids1, &text1, &stats, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.encoded_images, ==, 1);

  regard_conversation_add_text (conv, REGARD_ROLE_ASSISTANT, text1);
  regard_conversation_add_text (conv, REGARD_ROLE_USER, "And what is in the corner?");
  g_assert_true (ask_sync (shared_engine, conv, &params, 0, &ids2, &text2, &stats, &error));
  g_assert_no_error (error);
  /* At least the whole first prompt (79 tokens, image included) came
   * from the cache. */
  g_assert_cmpuint (stats.cached_tokens, >=, 79);
  /* The image was not encoded again: its features came with the cache. */
  g_assert_cmpuint (stats.encoded_images, ==, 0);

  fresh = regard_engine_new (NULL, &error);
  g_assert_no_error (error);
  g_assert_true (regard_engine_load (fresh, model_dir, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (ask_sync (fresh, conv, &params, 0, &ids_fresh, &text_fresh, &stats_fresh, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats_fresh.cached_tokens, ==, 0);
  g_assert_cmpuint (stats_fresh.prompt_tokens, ==, stats.prompt_tokens + stats.cached_tokens);

  append_ids_text (a, ids2);
  append_ids_text (b, ids_fresh);
  g_assert_cmpstr (a->str, ==, b->str);
  g_assert_cmpstr (text2, ==, text_fresh);
}

static void
count_token (gint32 id, const char *text, gpointer data)
{
  (*(guint *) data)++;
}

static void
store_done (GObject *source, GAsyncResult *result, gpointer data)
{
  *(gboolean *) data = TRUE;
}

/* Freeing the engine cancels the running ask and returns without waiting
 * for the answer to end; the ask still completes on the caller's context. */
static void
test_free_in_flight (void)
{
  g_autofree char *model_dir = rg_test_fixture_path ("idefics2-tiny");
  g_autoptr(GMainContext) ctx = g_main_context_new ();
  g_autoptr(RegardConversation) conv = regard_conversation_new ();
  g_autoptr(GError) error = NULL;
  RegardEngine *engine;
  RegardAskParams params = regard_ask_params_default ();
  guint n_tokens = 0;
  gboolean done = FALSE;

  engine = regard_engine_new (NULL, &error);
  g_assert_no_error (error);
  g_assert_true (regard_engine_load (engine, model_dir, NULL, &error));
  g_assert_no_error (error);

  regard_conversation_add_text (conv, REGARD_ROLE_USER, "Tell me a long story.");
  params.max_new_tokens = 3500;

  /* Without the cancel this answer runs all 3500 tokens (no EOS), which
   * is what makes the count below mean something. */
  {
    g_autoptr(GArray) ids = NULL;
    g_autofree char *text = NULL;
    RegardAskStats stats;

    g_assert_true (ask_sync (shared_engine, conv, &params, 0, &ids, &text, &stats, &error));
    g_assert_no_error (error);
    g_assert_cmpint (stats.stop_reason, ==, REGARD_STOP_MAX_TOKENS);
    g_test_message ("3500 tokens in %.2f s", 3500 / stats.decode_tokens_per_s);
  }

  g_main_context_push_thread_default (ctx);
  regard_engine_ask_async (engine, conv, &params, NULL, count_token, &n_tokens, NULL, store_done, &done);
  while (n_tokens == 0)
    g_main_context_iteration (ctx, TRUE);

  regard_engine_free (engine);
  while (!done)
    g_main_context_iteration (ctx, TRUE);
  g_main_context_pop_thread_default (ctx);
  g_assert_cmpuint (n_tokens, <, 3500);
}

static void
test_not_loaded (void)
{
  g_autoptr(RegardEngine) engine = NULL;
  g_autoptr(RegardConversation) conv = regard_conversation_new ();
  g_autoptr(GArray) ids = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  RegardAskParams params = regard_ask_params_default ();

  engine = regard_engine_new (NULL, &error);
  g_assert_no_error (error);
  g_assert_null (regard_engine_get_model_info (engine));
  regard_conversation_add_text (conv, REGARD_ROLE_USER, "Hello");
  g_assert_false (ask_sync (engine, conv, &params, 0, &ids, &text, NULL, &error));
  g_assert_error (error, REGARD_ERROR, REGARD_ERROR_NOT_LOADED);
  g_assert_cmpuint (ids->len, ==, 0);
}

static void
test_unload (void)
{
  g_autofree char *model_dir = rg_test_fixture_path ("idefics2-tiny");
  g_autoptr(RegardEngine) engine = regard_engine_new (NULL, NULL);
  g_autoptr(RegardConversation) conv = regard_conversation_new ();
  g_autoptr(GArray) ids = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  RegardAskParams params = regard_ask_params_default ();
  const RegardModelInfo *info;

  g_assert_true (regard_engine_load (engine, model_dir, NULL, &error));
  g_assert_no_error (error);
  info = regard_engine_get_model_info (engine);
  g_assert_nonnull (info);
  g_assert_cmpstr (info->name, ==, "idefics2-tiny");
  g_assert_false (info->image_splitting);
  g_assert_cmpuint (info->context_length, ==, 4096);

  regard_engine_unload (engine);
  g_assert_null (regard_engine_get_model_info (engine));
  regard_conversation_add_text (conv, REGARD_ROLE_USER, "Hello");
  g_assert_false (ask_sync (engine, conv, &params, 0, &ids, &text, NULL, &error));
  g_assert_error (error, REGARD_ERROR, REGARD_ERROR_NOT_LOADED);
}

static void
test_load_missing (void)
{
  g_autoptr(RegardEngine) engine = regard_engine_new (NULL, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_false (regard_engine_load (engine, "/nonexistent/model", NULL, &error));
  g_assert_nonnull (error);
  g_assert_null (regard_engine_get_model_info (engine));
}

/* An attached "image" that is a FIFO (an endless file) is refused by its
 * size check instead of being read forever (#14). */
static void
test_image_not_regular (void)
{
  g_autofree char *dir = g_dir_make_tmp ("regard-fifo-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "endless.png", NULL);
  g_autoptr(RegardConversation) conv = regard_conversation_new ();
  g_autoptr(GArray) ids = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  RegardAskParams params = regard_ask_params_default ();

  g_assert_cmpint (mkfifo (path, 0600), ==, 0);
  regard_conversation_add_image_file (conv, REGARD_ROLE_USER, path);
  regard_conversation_add_text (conv, REGARD_ROLE_USER, "What is this?");
  params.max_new_tokens = 4;
  g_assert_false (ask_sync (shared_engine, conv, &params, 0, &ids, &text, NULL, &error));
  g_assert_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_IMAGE);
  g_assert_nonnull (strstr (error->message, "not a regular file"));
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_corrupt_image (void)
{
  JsonObject *c = find_case ("text_only");
  RegardAskParams params;
  RegardAskParams bad_params = regard_ask_params_default ();
  g_autoptr(RegardConversation) bad = regard_conversation_new ();
  g_autoptr(RegardConversation) good = case_conversation (c, &params);
  g_autoptr(GBytes) junk = g_bytes_new_static ("\x89PNG\r\n\x1a\nthis is not an image", 28);
  g_autoptr(GArray) ids = NULL;
  g_autoptr(GArray) ids2 = NULL;
  g_autofree char *text = NULL;
  g_autofree char *text2 = NULL;
  g_autoptr(GError) error = NULL;
  RegardAskStats stats;

  regard_conversation_add_image_bytes (bad, REGARD_ROLE_USER, junk);
  regard_conversation_add_text (bad, REGARD_ROLE_USER, "What is this?");
  bad_params.max_new_tokens = 4;
  g_assert_false (ask_sync (shared_engine, bad, &bad_params, 0, &ids, &text, &stats, &error));
  g_assert_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_IMAGE);
  g_test_message ("corrupt image: %s", error->message);
  g_assert_cmpuint (ids->len, ==, 0);

  g_clear_error (&error);
  g_assert_true (ask_sync (shared_engine, good, &params, 0, &ids2, &text2, &stats, &error));
  g_assert_no_error (error);
  assert_ids_equal (ids2, json_object_get_array_member (c, "generated_ids"));
}

static void
test_dump (void)
{
  JsonObject *c = find_case ("single_image_nosplit");
  RegardAskParams params;
  g_autoptr(RegardConversation) conv = case_conversation (c, &params);
  g_autofree char *golden_path = NULL;
  g_autofree char *dump_path = NULL;
  g_autoptr(GArray) ids = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(RgSafetensors) dump = NULL;
  g_autoptr(RgSafetensors) golden = NULL;
  g_autoptr(RegardEngine) engine = NULL;
  g_autofree char *model_dir = rg_test_fixture_path ("idefics2-tiny");
  RegardEngineParams eparams = regard_engine_params_default ();
  const RgTensorInfo *a, *b;
  RegardAskStats stats;
  g_autofree char *tmpdir = g_dir_make_tmp ("regard-dump-XXXXXX", &error);

  g_assert_no_error (error);
  /* The fp32 tolerances below need exact activations: an f32 KV cache,
   * pinned (the default with this fixture's bf16 weights is f16). */
  eparams.kv_cache = REGARD_KV_CACHE_F32;
  engine = regard_engine_new (&eparams, &error);
  g_assert_no_error (error);
  g_assert_true (regard_engine_load (engine, model_dir, NULL, &error));
  g_assert_no_error (error);
  dump_path = g_build_filename (tmpdir, "dump.safetensors", NULL);
  golden_path = rg_test_fixture_path ("idefics2-tiny/golden/cases/single_image_nosplit.safetensors");
  params.dump_path = dump_path;
  params.max_new_tokens = 2;
  g_assert_true (ask_sync (engine, conv, &params, 0, &ids, &text, &stats, &error));
  g_assert_no_error (error);
  /* A dump describes the whole prompt: nothing comes from the cache. */
  g_assert_cmpuint (stats.cached_tokens, ==, 0);

  dump = rg_safetensors_open (dump_path, &error);
  g_assert_no_error (error);
  golden = rg_safetensors_open (golden_path, &error);
  g_assert_no_error (error);

  a = rg_safetensors_find (dump, "input_ids");
  b = rg_safetensors_find (golden, "input_ids");
  g_assert_nonnull (a);
  g_assert_cmpuint (a->dtype, ==, RG_DTYPE_I64);
  g_assert_cmpmem (a->data, a->nbytes, b->data, b->nbytes);

  a = rg_safetensors_find (dump, "prefill_last_logits");
  b = rg_safetensors_find (golden, "prefill_last_logits");
  g_assert_nonnull (a);
  g_assert_cmpuint (a->n_elements, ==, b->n_elements);
  rg_assert_close_f32 (a->data, b->data, a->n_elements, 5e-4);

  a = rg_safetensors_find (dump, "connector_output");
  b = rg_safetensors_find (golden, "connector_output");
  g_assert_nonnull (a);
  g_assert_cmpuint (a->n_elements, ==, b->n_elements);
  rg_assert_close_f32 (a->data, b->data, a->n_elements, 1e-4);

  g_assert_nonnull (rg_safetensors_find (dump, "vision_last_hidden_state"));

  g_unlink (dump_path);
  g_rmdir (tmpdir);
}

/* Naming a device selects the Vulkan backend even for a software device
 * (lavapipe), so this runs on any machine with a Vulkan driver. f32 is the
 * reference precision: the goldens' margins (>= 0.0097) leave room for its
 * rounding, so the ids must be identical. */
static void
test_vulkan_golden (void)
{
  JsonObject *c = find_case ("text_only");
  g_autoptr(GPtrArray) devices = regard_list_devices (NULL);
  g_autofree char *model_dir = rg_test_fixture_path ("idefics2-tiny");
  g_autoptr(RegardEngine) engine = NULL;
  g_autoptr(RegardConversation) conv = NULL;
  g_autoptr(GArray) ids = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  RegardEngineParams eparams = regard_engine_params_default ();
  RegardAskParams params;
  RegardAskStats stats;
  const RegardModelInfo *info;
  RegardDeviceInfo *dev;

  if (devices->len == 0)
    {
      g_test_skip ("no Vulkan device");
      return;
    }
  dev = g_ptr_array_index (devices, 0);
  eparams.device = dev->uuid;
  eparams.precision = REGARD_PRECISION_F32;
  engine = regard_engine_new (&eparams, &error);
  g_assert_no_error (error);
  g_assert_true (regard_engine_load (engine, model_dir, NULL, &error));
  g_assert_no_error (error);
  info = regard_engine_get_model_info (engine);
  g_assert_cmpstr (info->device_uuid, ==, dev->uuid);
  g_assert_cmpstr (info->weight_format, ==, "f32");

  conv = case_conversation (c, &params);
  g_assert_true (ask_sync (engine, conv, &params, 0, &ids, &text, &stats, &error));
  g_assert_no_error (error);
  assert_ids_equal (ids, json_object_get_array_member (c, "generated_ids"));
  g_assert_cmpstr (text, ==, json_object_get_string_member (c, "generated_text_skip_special"));
}

/* A GPU that does not finish in time is a lost device (#14): the ask fails
 * with REGARD_ERROR_DEVICE_LOST (the timeout is injected: 0 ms, so no
 * submission is ever seen to finish) and the engine loads again after. */
static void
test_vulkan_timeout_then_reload (void)
{
  JsonObject *c = find_case ("text_only");
  g_autoptr(GPtrArray) devices = regard_list_devices (NULL);
  g_autofree char *model_dir = rg_test_fixture_path ("idefics2-tiny");
  g_autoptr(RegardEngine) engine = NULL;
  g_autoptr(RegardConversation) conv = NULL;
  g_autoptr(GError) error = NULL;
  RegardEngineParams eparams = regard_engine_params_default ();
  RegardAskParams params;
  RegardAskStats stats;

  if (devices->len == 0)
    {
      g_test_skip ("no Vulkan device");
      return;
    }
  eparams.device = ((RegardDeviceInfo *) g_ptr_array_index (devices, 0))->uuid;
  eparams.precision = REGARD_PRECISION_F32;
  engine = regard_engine_new (&eparams, &error);
  g_assert_no_error (error);
  conv = case_conversation (c, &params);

  g_setenv ("REGARD_GPU_TIMEOUT_MS", "0", TRUE);
  if (regard_engine_load (engine, model_dir, NULL, &error))
    {
      g_autoptr(GArray) ids = NULL;
      g_autofree char *text = NULL;

      g_assert_false (ask_sync (engine, conv, &params, 0, &ids, &text, &stats, &error));
    }
  g_assert_error (error, REGARD_ERROR, REGARD_ERROR_DEVICE_LOST);
  g_clear_error (&error);
  g_unsetenv ("REGARD_GPU_TIMEOUT_MS");

  for (guint round = 0; round < 2; round++)
    {
      g_autoptr(GArray) ids = NULL;
      g_autofree char *text = NULL;

      g_assert_true (regard_engine_load (engine, model_dir, NULL, &error));
      g_assert_no_error (error);
      g_assert_true (ask_sync (engine, conv, &params, 0, &ids, &text, &stats, &error));
      g_assert_no_error (error);
      assert_ids_equal (ids, json_object_get_array_member (c, "generated_ids"));
    }
}

static void
test_params_and_strings (void)
{
  RegardAskParams p = regard_ask_params_default ();
  RegardEngineParams e = regard_engine_params_default ();

  g_assert_cmpuint (p.max_new_tokens, ==, 512);
  g_assert_cmpfloat (p.temperature, ==, 0.0f);
  g_assert_cmpfloat (p.top_p, ==, 1.0f);
  g_assert_cmpint (p.image_splitting, ==, -1);
  g_assert_false (p.raw_prompt);
  g_assert_null (p.dump_path);
  g_assert_cmpuint (e.context_length, ==, 0);   /* 0: the model's own, at most 4096 */
  g_assert_cmpint (e.kv_cache, ==, REGARD_KV_CACHE_AUTO);
  g_assert_null (e.device);
  g_assert_cmpstr (regard_stop_reason_to_string (REGARD_STOP_EOS), ==, "eos");
  g_assert_cmpstr (regard_stop_reason_to_string (REGARD_STOP_MAX_TOKENS), ==, "max_tokens");
  g_assert_cmpstr (regard_stop_reason_to_string (REGARD_STOP_CANCELLED), ==, "cancelled");
  g_assert_cmpstr (regard_stop_reason_to_string (REGARD_STOP_CONTEXT_FULL), ==, "context_full");
  g_assert_true (strlen (regard_ocr_prompt ()) > 10);
}

static void
test_list_devices (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) devices = regard_list_devices (&error);

  /* Machines without Vulkan give an empty list, not an error. */
  g_assert_no_error (error);
  g_assert_nonnull (devices);
  for (guint i = 0; i < devices->len; i++)
    {
      RegardDeviceInfo *d = g_ptr_array_index (devices, i);
      g_assert_nonnull (d->name);
      g_assert_cmpuint (strlen (d->uuid), ==, 32);
      g_assert_true (g_strv_contains ((const char *const[]) { "discrete", "integrated", "virtual",
                                                              "cpu", "other", NULL }, d->type));
      g_assert_true (d->is_cpu == g_str_equal (d->type, "cpu"));
    }
}

int
main (int argc, char **argv)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *manifest = NULL;
  g_autofree char *model_dir = NULL;
  g_autoptr(GError) error = NULL;
  int rc;

  g_test_init (&argc, &argv, NULL);

  manifest = rg_test_fixture_path ("idefics2-tiny/golden/manifest.json");
  if (!json_parser_load_from_file (parser, manifest, &error))
    g_error ("%s", error->message);
  model_cases = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                              "model_cases");

  model_dir = rg_test_fixture_path ("idefics2-tiny");
  shared_engine = regard_engine_new (NULL, &error);
  g_assert_no_error (error);
  if (!regard_engine_load (shared_engine, model_dir, NULL, &error))
    g_error ("loading %s: %s", model_dir, error->message);

  for (guint i = 0; i < json_array_get_length (model_cases); i++)
    {
      const char *name = json_object_get_string_member (json_array_get_object_element (model_cases, i), "name");
      g_autofree char *path = g_strdup_printf ("/engine/golden/%s", name);
      g_test_add_data_func (path, name, test_golden_case);
    }
  g_test_add_func ("/engine/ask/cancel", test_cancel);
  g_test_add_func ("/engine/ask/multi-turn-cache", test_multi_turn_reuses_cache);
  g_test_add_func ("/engine/ask/free-in-flight", test_free_in_flight);
  g_test_add_func ("/engine/ask/not-loaded", test_not_loaded);
  g_test_add_func ("/engine/ask/corrupt-image", test_corrupt_image);
  g_test_add_func ("/engine/ask/image-not-regular", test_image_not_regular);
  g_test_add_func ("/engine/ask/dump", test_dump);
  g_test_add_func ("/engine/load/unload", test_unload);
  g_test_add_func ("/engine/load/missing", test_load_missing);
  g_test_add_func ("/engine/vulkan/golden-text-only", test_vulkan_golden);
  g_test_add_func ("/engine/vulkan/timeout-then-reload", test_vulkan_timeout_then_reload);
  g_test_add_func ("/engine/api/defaults", test_params_and_strings);
  g_test_add_func ("/engine/api/list-devices", test_list_devices);

  rc = g_test_run ();
  regard_engine_free (shared_engine);
  /* freed engines finish on their own threads: not during exit */
  rg_engine_test_wait_threads ();
  return rc;
}
