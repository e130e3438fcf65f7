/* cmd-bench.c: regard-cli bench, speed on a device (regard_bench_ops and
 * regard_bench_model in regard-tools.h do the work).
 *
 *   bench ops [--device D]       each op at model-sized shapes
 *   bench attention [--only S]   attention alone at the models' shapes
 *   bench --model DIR [...]      the whole model: image encode, prefill,
 *                                decode tokens/s and decode's share of the
 *                                bandwidth roofline */
#include "config.h"

#include <stdio.h>

#include "cli.h"
#include "regard-tools.h"

/* Out-of-range parameters are usage errors (status 2). */
static int
bench_fail (GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT))
    {
      g_printerr ("regard-cli bench: %s\n", error->message);
      return 2;
    }
  return cli_fail (error);
}

int
cmd_bench (int argc, char **argv)
{
  g_autofree char *device = NULL, *model = NULL, *format = NULL, *image = NULL, *split = NULL, *kv_cache = NULL;
  g_autofree char *only = NULL;
  gboolean json = FALSE;
  int n_prompt = 128, n_gen = 32, context = 0, n_runs = 1;
  const GOptionEntry options[] = {
    { "device", 'd', 0, G_OPTION_ARG_STRING, &device, "Device index, name or UUID", "D" },
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model, "Model snapshot folder", "DIR" },
    { "format", 'f', 0, G_OPTION_ARG_STRING, &format, "f32, f16, q8_0 (default), q4_0 or auto", "F" },
    { "kv-cache", 0, 0, G_OPTION_ARG_STRING, &kv_cache, "KV cache type: f32, f16 or auto (default: f32 for f32 weights, else f16)", "T" },
    { "image", 'i', 0, G_OPTION_ARG_FILENAME, &image, "Also time encoding this image", "FILE" },
    { "split", 0, 0, G_OPTION_ARG_STRING, &split, "Split the image into 4 crops + the whole: yes or no (default: the model's processor config)", "yes|no" },
    { "prompt-tokens", 0, 0, G_OPTION_ARG_INT, &n_prompt, "Prefill length (128)", "N" },
    { "gen-tokens", 0, 0, G_OPTION_ARG_INT, &n_gen, "Decoded tokens (32)", "N" },
    { "context", 0, 0, G_OPTION_ARG_INT, &context, "KV cache length (default: what the run needs, >= 1024)", "N" },
    { "repeat", 0, 0, G_OPTION_ARG_INT, &n_runs, "Prefill and decode N times: the median and the best (1)", "N" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL },
    { "only", 0, 0, G_OPTION_ARG_STRING, &only, "bench attention: only the shapes whose use contains S", "S" },
    { NULL }
  };
  RegardBenchParams params = regard_bench_params_default ();
  g_autoptr(GError) error = NULL;

#ifdef REGARD_CLI_HAVE_HISTORY
  if (argc >= 2 && g_str_equal (argv[1], "history"))
    return cmd_bench_history (argc - 1, argv + 1);
#endif
  if (!cli_parse ("bench", "ops | attention | history | --model DIR", options, &argc, &argv))
    return 2;
  params.device = device;
  params.json = json;
  if (argc >= 2 && g_str_equal (argv[1], "ops"))
    return regard_bench_ops (&params, &error) ? 0 : bench_fail (error);
  if (argc >= 2 && g_str_equal (argv[1], "attention") && n_runs >= 1 && n_runs <= 1000)
    {
      params.repeat = (guint) n_runs;
      params.filter = only;
      return regard_bench_attention (&params, &error) ? 0 : bench_fail (error);
    }
  if (split != NULL && !g_str_equal (split, "yes") && !g_str_equal (split, "no"))
    {
      g_printerr ("regard-cli bench: --split takes yes or no\n");
      return 2;
    }
  params.image_split = split == NULL ? -1 : g_str_equal (split, "yes");
  if (model != NULL && argc == 1 && n_prompt >= 1 && n_gen >= 1 && context >= 0 && n_runs >= 1 && n_runs <= 1000)
    {
      params.format = format;
      params.kv_cache = kv_cache;
      params.image = image;
      params.prompt_tokens = (guint) n_prompt;
      params.gen_tokens = (guint) n_gen;
      params.context = (guint) context;
      params.repeat = (guint) n_runs;
      return regard_bench_model (model, &params, &error) ? 0 : bench_fail (error);
    }
  g_printerr ("Usage: regard-cli bench ops [--device D] [--json]\n"
              "       regard-cli bench attention [--only S] [--repeat N] [--device D]\n"
              "       regard-cli bench history [--chats N] [--turns N] [--page N]\n"
              "       regard-cli bench --model DIR [--format f32|f16|q8_0|q4_0|auto] [--kv-cache f32|f16|auto]\n"
              "                        [--image FILE [--split yes|no]]\n"
              "                        [--prompt-tokens N] [--gen-tokens N] [--repeat N] [--device D] [--json]\n");
  return 2;
}
