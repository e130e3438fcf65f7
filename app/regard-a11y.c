/* regard-a11y.c
 *
 * Copyright 2025 The Regard authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "regard-a11y.h"

static void
name_without_mnemonic (GtkButton *button)
{
  GtkWidget *child = gtk_button_get_child (button);

  if (GTK_IS_LABEL (child))
    gtk_accessible_update_property (GTK_ACCESSIBLE (button),
                                    GTK_ACCESSIBLE_PROPERTY_LABEL, gtk_label_get_text (GTK_LABEL (child)),
                                    -1);
}

static void
label_changed_cb (GtkButton  *button,
                  GParamSpec *pspec,
                  gpointer    user_data)
{
  name_without_mnemonic (button);
}

void
regard_a11y_fix_names (GtkWidget *root)
{
  if (GTK_IS_BUTTON (root) && gtk_button_get_use_underline (GTK_BUTTON (root)) &&
      !g_object_get_data (G_OBJECT (root), "regard-a11y-fixed"))
    {
      g_object_set_data (G_OBJECT (root), "regard-a11y-fixed", GINT_TO_POINTER (1));
      /* After GTK's own handler, which sets the raw label. */
      g_signal_connect_after (root, "notify::label", G_CALLBACK (label_changed_cb), NULL);
      name_without_mnemonic (GTK_BUTTON (root));
    }

  /* GTK 4.8 focuses a menu button's inner toggle, which has no name of
   * its own: give it the button's tooltip (the name the .ui gives too). */
  if (GTK_IS_MENU_BUTTON (root) && gtk_widget_get_tooltip_text (root) != NULL)
    {
      GtkWidget *toggle = gtk_widget_get_first_child (root);

      if (GTK_IS_TOGGLE_BUTTON (toggle))
        gtk_accessible_update_property (GTK_ACCESSIBLE (toggle),
                                        GTK_ACCESSIBLE_PROPERTY_LABEL, gtk_widget_get_tooltip_text (root),
                                        -1);
    }

  if (GTK_IS_SCROLLED_WINDOW (root) && !g_object_get_data (G_OBJECT (root), "regard-a11y-named"))
    gtk_widget_set_focusable (root, FALSE);

  for (GtkWidget *c = gtk_widget_get_first_child (root); c; c = gtk_widget_get_next_sibling (c))
    regard_a11y_fix_names (c);
}
