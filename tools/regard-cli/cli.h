/* cli.h: regard-cli's commands. Each command lives in its own cmd-*.c file
 * and is listed in the table in main.c. A command returns the process exit
 * status: 0 on success, 1 on a runtime error (printed as "regard-cli: ..."),
 * 2 on a usage error. Options end at "--". */
#pragma once

#include <gio/gio.h>

typedef struct
{
  const char *name;
  const char *summary;
  int (*run) (int argc, char **argv);  /* argv[0] is the command name */
} CliCommand;

/* Prints "regard-cli: MESSAGE" to stderr and returns 1. */
int cli_fail (GError *error);
/* Parses OPTIONS from ARGV in place (GOptionContext, "--" respected);
 * prints usage errors and returns FALSE on failure. */
gboolean cli_parse (const char *command, const char *parameter_string,
                    const GOptionEntry *options, int *argc, char ***argv);
/* Prints S as a JSON string literal (with quotes) to stdout. */
void cli_print_json_string (const char *s);

int cmd_tokenize (int argc, char **argv);
int cmd_detokenize (int argc, char **argv);
int cmd_prompt (int argc, char **argv);
int cmd_preprocess (int argc, char **argv);
int cmd_devices (int argc, char **argv);
int cmd_bench (int argc, char **argv);
int cmd_ask (int argc, char **argv);
int cmd_download (int argc, char **argv);
int cmd_models (int argc, char **argv);
int cmd_history (int argc, char **argv);
int cmd_bench_history (int argc, char **argv);
