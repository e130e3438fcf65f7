/* cmd-devices.c: regard-cli devices, the Vulkan devices and what Regard
 * would use them for (regard_devices_report in regard-tools.h): features
 * the shaders care about, limits that split weights (binding range),
 * memory and which device is the default (and why). --json prints
 * {"devices": [...]}. */
#include "config.h"

#include <stdio.h>

#include "cli.h"
#include "regard-tools.h"

int
cmd_devices (int argc, char **argv)
{
  gboolean json = FALSE;
  const GOptionEntry options[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON: {\"devices\": [...]}", NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autofree char *warning = NULL;
  g_autofree char *report = NULL;

  if (!cli_parse ("devices", NULL, options, &argc, &argv))
    return 2;
  if (argc > 1)
    {
      g_printerr ("Usage: regard-cli devices [--json]\n");
      return 2;
    }
  report = regard_devices_report (json, &warning, &error);
  if (report == NULL)
    return cli_fail (error);
  if (warning)
    g_printerr ("regard-cli: %s\n", warning);
  fputs (report, stdout);
  return 0;
}
