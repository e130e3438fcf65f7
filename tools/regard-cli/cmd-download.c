/* regard-cli download / models: fetch a model from the hub, list installed
 * models. Progress is a bar on a terminal and plain lines otherwise (logs,
 * CI), so the output stays readable in both. */
#include "config.h"

#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "cli.h"
#include "regard-download.h"

typedef struct
{
  GMainLoop *loop;
  GAsyncResult *result;
  gboolean tty;
  gint64 last_line_us;
  char *last_file_copy;
} DownloadUi;

static char *
format_eta (double seconds)
{
  guint s;

  if (seconds < 0)
    return g_strdup ("--:--");
  s = (guint) (seconds + 0.5);
  if (s >= 3600)
    return g_strdup_printf ("%uh%02um", s / 3600, (s / 60) % 60);
  return g_strdup_printf ("%02u:%02u", s / 60, s % 60);
}

static void
print_bar (const RegardDownloadProgress *p)
{
  g_autofree char *done = g_format_size (p->done_bytes);
  g_autofree char *total = p->total_bytes ? g_format_size (p->total_bytes) : g_strdup ("?");
  g_autofree char *rate = g_format_size ((guint64) p->bytes_per_second);
  g_autofree char *eta = format_eta (p->eta_seconds);
  double fraction = p->total_bytes ? (double) p->done_bytes / p->total_bytes : 0;
  char bar[31];
  guint filled = (guint) (MIN (fraction, 1.0) * 30);

  for (guint i = 0; i < 30; i++)
    bar[i] = i < filled ? '#' : '-';
  bar[30] = '\0';
  /* \r and clear-to-end: one line that redraws itself. */
  fprintf (stderr, "\r[%s] %3.0f%% %s/%s %s/s ETA %s  %u/%u %s\033[K",
           bar, fraction * 100, done, total, rate, eta,
           p->file_index + 1, p->n_files, p->file ? p->file : "");
  fflush (stderr);
}

static void
print_line (DownloadUi *ui, const RegardDownloadProgress *p)
{
  gint64 now = g_get_monotonic_time ();
  gboolean new_file = g_strcmp0 (p->file, ui->last_file_copy) != 0;
  g_autofree char *done = NULL;
  g_autofree char *total = NULL;

  /* A line per file, and one every 5 s within a long file. */
  if (!new_file && now - ui->last_line_us < 5 * G_USEC_PER_SEC)
    return;
  ui->last_line_us = now;
  g_free (ui->last_file_copy);
  ui->last_file_copy = g_strdup (p->file);
  if (p->file == NULL)
    return;
  done = g_format_size (p->done_bytes);
  total = p->total_bytes ? g_format_size (p->total_bytes) : g_strdup ("?");
  fprintf (stderr, "[%u/%u] %s: %s of %s\n", p->file_index + 1, p->n_files, p->file, done, total);
}

static void
on_progress (const RegardDownloadProgress *p, gpointer user_data)
{
  DownloadUi *ui = user_data;

  if (p->phase == REGARD_DOWNLOAD_PHASE_RESOLVING)
    return;
  if (ui->tty)
    print_bar (p);
  else if (p->phase == REGARD_DOWNLOAD_PHASE_FETCHING)
    print_line (ui, p);
}

static void
on_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DownloadUi *ui = user_data;

  ui->result = g_object_ref (result);
  g_main_loop_quit (ui->loop);
}

static gboolean
on_interrupt (gpointer user_data)
{
  /* The transfer stops and keeps its .part; the next run resumes. */
  g_cancellable_cancel (user_data);
  return G_SOURCE_CONTINUE;
}

int
cmd_download (int argc, char **argv)
{
  g_autofree char *endpoint = NULL;
  g_autofree char *dest = NULL;
  const GOptionEntry options[] = {
    { "endpoint", 0, 0, G_OPTION_ARG_STRING, &endpoint, "Hub URL (default: $REGARD_HF_ENDPOINT or https://huggingface.co)", "URL" },
    { "dest", 0, 0, G_OPTION_ARG_FILENAME, &dest, "Folder to download into (default: the models folder)", "DIR" },
    { NULL },
  };
  RegardDownloadParams params = regard_download_params_default ();
  g_autoptr(RegardDownload) dl = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  DownloadUi ui = { .loop = loop, .tty = isatty (STDERR_FILENO) };
  guint sigint;

  if (!cli_parse ("download", "REPO[@REVISION]", options, &argc, &argv))
    return 2;
  if (argc != 2)
    {
      g_printerr ("Usage: regard-cli download [--endpoint URL] [--dest DIR] OWNER/NAME[@REVISION]\n");
      return 2;
    }
  params.repo = argv[1];
  params.endpoint = endpoint;
  params.dest_dir = dest;
  dl = regard_download_new (&params, &error);
  if (dl == NULL)
    return cli_fail (error);

  fprintf (stderr, "Downloading %s@%s into %s\n", regard_download_get_repo (dl),
           regard_download_get_revision (dl), regard_download_get_dest_dir (dl));
  sigint = g_unix_signal_add (SIGINT, on_interrupt, cancellable);
  regard_download_run_async (dl, cancellable, on_progress, &ui, NULL, on_done, &ui);
  g_main_loop_run (loop);
  g_source_remove (sigint);
  dir = regard_download_run_finish (dl, ui.result, &error);
  g_clear_object (&ui.result);
  g_free (ui.last_file_copy);
  if (ui.tty)
    fputc ('\n', stderr);
  if (dir == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_printerr ("regard-cli: download interrupted; run the same command to resume\n");
          return 1;
        }
      return cli_fail (error);
    }
  printf ("%s\n", dir);
  return 0;
}

int
cmd_models (int argc, char **argv)
{
  gboolean json = FALSE;
  const GOptionEntry options[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print a JSON array", NULL },
    { NULL },
  };
  g_autoptr(GPtrArray) models = NULL;
  g_autoptr(GError) error = NULL;

  if (!cli_parse ("models", NULL, options, &argc, &argv))
    return 2;
  if (argc != 1)
    {
      g_printerr ("Usage: regard-cli models [--json]\n");
      return 2;
    }
  models = regard_models_list_installed (&error);
  if (models == NULL)
    return cli_fail (error);

  if (json)
    putchar ('[');
  for (guint i = 0; i < models->len; i++)
    {
      RegardInstalledModel *m = g_ptr_array_index (models, i);
      g_autofree char *size = g_format_size (m->size);

      if (json)
        {
          printf ("%s{\"repo\":", i ? "," : "");
          cli_print_json_string (m->repo);
          printf (",\"path\":");
          cli_print_json_string (m->path);
          printf (",\"size\":%" G_GUINT64_FORMAT ",\"complete\":%s}", m->size,
                  m->complete ? "true" : "false");
        }
      else
        printf ("%-40s %10s%s\n", m->repo, size, m->complete ? "" : "  (partial: download again to finish)");
    }
  if (json)
    printf ("]\n");
  else if (models->len == 0)
    {
      g_autofree char *dir = regard_models_dir ();

      /* the small one first: it runs on any computer */
      g_printerr ("No models in %s; try: regard-cli download HuggingFaceTB/SmolVLM-256M-Instruct "
                  "(513 MB, any computer) or HuggingFaceM4/idefics2-8b (33.6 GB, a graphics card "
                  "with 8 GB or more)\n", dir);
    }
  return 0;
}
