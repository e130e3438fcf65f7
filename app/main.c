/* main.c
 *
 * Copyright 2025 The Regard authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "regard-application.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(RegardApplication) app = NULL;

  regard_application_init_i18n ();

  g_set_application_name (_("Regard"));

  app = regard_application_new (G_APPLICATION_DEFAULT_FLAGS);

  return g_application_run (G_APPLICATION (app), argc, argv);
}
