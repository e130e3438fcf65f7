/* cmd-ask.c: regard-cli ask — stream an answer about images to stdout.
 *
 * The engine runs its own thread; this command only iterates a GMainLoop,
 * printing each token as its callback arrives. Ctrl+C cancels the ask,
 * which then ends normally with stop reason "cancelled". */
#include "config.h"

#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "regard-engine.h"

typedef struct
{
  GMainLoop *loop;
  RegardEngine *engine;
  gboolean json;
  GError *error;
  RegardAskStats stats;
  gboolean ok;
} AskRun;

static void
on_token (gint32 id, const char *text, gpointer data)
{
  AskRun *run = data;

  if (run->json)
    {
      printf ("{\"id\": %d, \"text\": ", id);
      cli_print_json_string (text);
      fputs ("}\n", stdout);
    }
  else
    fputs (text, stdout);
  fflush (stdout);
}

static void
on_answered (GObject *source, GAsyncResult *result, gpointer data)
{
  AskRun *run = data;

  run->ok = regard_engine_ask_finish (run->engine, result, &run->stats, &run->error);
  g_main_loop_quit (run->loop);
}

static gboolean
on_sigint (gpointer data)
{
  g_cancellable_cancel (G_CANCELLABLE (data));
  return G_SOURCE_CONTINUE;
}

static void
print_stats (const AskRun *run)
{
  const RegardAskStats *s = &run->stats;

  if (run->json)
    {
      printf ("{\"done\": true, \"stop_reason\": \"%s\", \"prompt_tokens\": %u, "
              "\"cached_tokens\": %u, \"generated_tokens\": %u, \"image_encode_ms\": %.3f, "
              "\"prefill_ms\": %.3f, \"decode_tokens_per_s\": %.3f}\n",
              regard_stop_reason_to_string (s->stop_reason), s->prompt_tokens,
              s->cached_tokens, s->generated_tokens, s->image_encode_ms, s->prefill_ms,
              s->decode_tokens_per_s);
      fflush (stdout);
    }
  else
    {
      printf ("\n");
      fflush (stdout);
      g_printerr ("[%s] prompt %u tokens (+%u cached), %u generated; "
                  "images %.1f ms, prefill %.1f ms, decode %.2f tokens/s\n",
                  regard_stop_reason_to_string (s->stop_reason), s->prompt_tokens,
                  s->cached_tokens, s->generated_tokens, s->image_encode_ms, s->prefill_ms,
                  s->decode_tokens_per_s);
    }
}

int
cmd_ask (int argc, char **argv)
{
  g_autofree char *model = NULL;
  g_auto(GStrv) images = NULL;
  g_autofree char *precision = NULL;
  g_autofree char *kv_cache = NULL;
  g_autofree char *dump = NULL;
  g_autofree char *ocr = NULL;
  gboolean split = FALSE, no_split = FALSE, raw = FALSE, json = FALSE;
  int max_new = 512, top_k = 0;
  double temperature = 0.0, top_p = 1.0;
  gint64 seed = 0;
  const GOptionEntry options[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model, "Model snapshot folder", "DIR" },
    { "image", 'i', 0, G_OPTION_ARG_FILENAME_ARRAY, &images, "Attach an image (repeatable)", "FILE" },
    { "split", 0, 0, G_OPTION_ARG_NONE, &split, "Split images into 4 crops + full", NULL },
    { "no-split", 0, 0, G_OPTION_ARG_NONE, &no_split, "Do not split images", NULL },
    { "max-new-tokens", 'n', 0, G_OPTION_ARG_INT, &max_new, "Tokens to generate at most (512)", "N" },
    { "temperature", 't', 0, G_OPTION_ARG_DOUBLE, &temperature, "Sampling temperature (0: greedy)", "T" },
    { "top-k", 0, 0, G_OPTION_ARG_INT, &top_k, "Top-k (0: off)", "K" },
    { "top-p", 0, 0, G_OPTION_ARG_DOUBLE, &top_p, "Top-p (1: off)", "P" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Random seed", "S" },
    { "precision", 0, 0, G_OPTION_ARG_STRING, &precision, "f32 or auto", "P" },
    { "kv-cache", 0, 0, G_OPTION_ARG_STRING, &kv_cache, "KV cache type: f32, f16 or auto (default: $REGARD_KV_CACHE, else f32 for f32 weights, f16 otherwise)", "T" },
    { "raw-prompt", 0, 0, G_OPTION_ARG_NONE, &raw, "TEXT is the whole chat-formatted prompt", NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "One JSON object per token, then a summary", NULL },
    { "dump", 0, 0, G_OPTION_ARG_FILENAME, &dump, "Write intermediate tensors", "FILE.safetensors" },
    { "ocr", 0, 0, G_OPTION_ARG_FILENAME, &ocr, "Transcribe the text of IMAGE", "IMAGE" },
    { NULL }
  };
  g_autoptr(RegardEngine) engine = NULL;
  g_autoptr(RegardConversation) conv = NULL;
  g_autoptr(GCancellable) cancellable = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  RegardEngineParams eparams = regard_engine_params_default ();
  RegardAskParams params = regard_ask_params_default ();
  AskRun run = { 0 };
  guint sigint_id;

  if (!cli_parse ("ask", "[-- TEXT]", options, &argc, &argv))
    return 2;

  /* What remains after the options (and "--") is the question. */
  if (argc > 1)
    {
      int first = strcmp (argv[1], "--") == 0 ? 2 : 1;
      text = g_strjoinv (" ", argv + first);
    }
  if (model == NULL)
    {
      g_printerr ("regard-cli ask: --model is required\n");
      return 2;
    }
  if (ocr == NULL && (text == NULL || *text == '\0'))
    {
      g_printerr ("regard-cli ask: no question given (regard-cli ask --model DIR -- TEXT)\n");
      return 2;
    }
  if (split && no_split)
    {
      g_printerr ("regard-cli ask: --split and --no-split exclude each other\n");
      return 2;
    }
  if (max_new <= 0 || top_k < 0 || temperature < 0 || top_p <= 0 || top_p > 1)
    {
      g_printerr ("regard-cli ask: --max-new-tokens must be > 0, --top-k >= 0, "
                  "--temperature >= 0 and 0 < --top-p <= 1\n");
      return 2;
    }
  if (raw && (ocr != NULL || text == NULL))
    {
      g_printerr ("regard-cli ask: --raw-prompt needs TEXT and excludes --ocr\n");
      return 2;
    }
  if (precision == NULL || g_str_equal (precision, "auto"))
    eparams.precision = REGARD_PRECISION_AUTO;
  else if (g_str_equal (precision, "f32"))
    eparams.precision = REGARD_PRECISION_F32;
  else
    {
      g_printerr ("regard-cli ask: unknown precision '%s' (f32 or auto)\n", precision);
      return 2;
    }
  if (kv_cache == NULL || g_str_equal (kv_cache, "auto"))
    eparams.kv_cache = REGARD_KV_CACHE_AUTO;
  else if (g_str_equal (kv_cache, "f32"))
    eparams.kv_cache = REGARD_KV_CACHE_F32;
  else if (g_str_equal (kv_cache, "f16"))
    eparams.kv_cache = REGARD_KV_CACHE_F16;
  else
    {
      g_printerr ("regard-cli ask: unknown KV cache type '%s' (f32, f16 or auto)\n", kv_cache);
      return 2;
    }

  params.max_new_tokens = (guint) max_new;
  params.temperature = (float) temperature;
  params.top_k = (guint) top_k;
  params.top_p = (float) top_p;
  params.seed = (guint64) seed;
  params.image_splitting = split ? 1 : no_split ? 0 : -1;
  params.raw_prompt = raw;
  params.dump_path = dump;

  engine = regard_engine_new (&eparams, &error);
  if (engine == NULL)
    return cli_fail (error);
  if (!regard_engine_load (engine, model, NULL, &error))
    return cli_fail (error);
  {
    const RegardModelInfo *info = regard_engine_get_model_info (engine);

    /* which backend, device and format, and why: on stderr, stdout is the answer */
    g_printerr ("[%s (%s) on %s, %s backend, %s weights]%s%s\n", info->name, info->family, info->device_name,
                g_str_equal (info->backend, "reference") ? "reference (plain C, slow)" : "Vulkan",
                info->weight_format,
                info->format_reason ? " " : "", info->format_reason ? info->format_reason : "");
  }

  conv = regard_conversation_new ();
  /* In raw mode the images' order is the order of "<image>" in TEXT; in
   * chat mode they come before the question, as in the HF examples. */
  for (guint i = 0; images && images[i]; i++)
    regard_conversation_add_image_file (conv, REGARD_ROLE_USER, images[i]);
  if (ocr)
    {
      regard_conversation_add_image_file (conv, REGARD_ROLE_USER, ocr);
      regard_conversation_add_text (conv, REGARD_ROLE_USER,
                                    text && *text ? text : regard_ocr_prompt ());
    }
  else
    regard_conversation_add_text (conv, REGARD_ROLE_USER, text);

  cancellable = g_cancellable_new ();
  loop = g_main_loop_new (NULL, FALSE);
  run.loop = loop;
  run.engine = engine;
  run.json = json;
  sigint_id = g_unix_signal_add (SIGINT, on_sigint, cancellable);

  regard_engine_ask_async (engine, conv, &params, cancellable, on_token, &run, NULL, on_answered, &run);
  g_main_loop_run (loop);
  g_source_remove (sigint_id);

  if (!run.ok)
    {
      int rc = cli_fail (run.error);
      g_clear_error (&run.error);
      return rc;
    }
  print_stats (&run);
  return 0;
}
