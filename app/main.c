/* main.c
 *
 * Copyright 2025 The Regard authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>
#include <stdlib.h>

#include "regard-application.h"

/* `./build/app/regard`, as the README runs it: the schema and the French
 * catalog are not installed yet, so use the ones compiled in the build
 * folder. Only when this very binary runs from its build folder; an
 * installed copy never looks there. Variables set by the caller win. */
static void
use_build_tree_data (void)
{
#ifdef REGARD_BUILD_APP_DIR
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *exe_dir = exe ? g_path_get_dirname (exe) : NULL;
  g_autofree char *real_exe_dir = exe_dir ? realpath (exe_dir, NULL) : NULL;
  g_autofree char *real_build_dir = realpath (REGARD_BUILD_APP_DIR, NULL);

  if (real_exe_dir == NULL || real_build_dir == NULL ||
      g_strcmp0 (real_exe_dir, real_build_dir) != 0)
    return;

  g_setenv ("GSETTINGS_SCHEMA_DIR", REGARD_BUILD_SCHEMA_DIR, FALSE);
  g_setenv ("REGARD_LOCALEDIR", REGARD_BUILD_LOCALE_DIR, FALSE);
#endif
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(RegardApplication) app = NULL;

  use_build_tree_data ();
  regard_application_init_i18n ();

  g_set_application_name (_("Regard"));

  app = regard_application_new (G_APPLICATION_DEFAULT_FLAGS);

  return g_application_run (G_APPLICATION (app), argc, argv);
}
