/* regard-message.c
 *
 * Copyright 2025 The Regard authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "regard-image-thumbnail.h"
#include "regard-image-viewer.h"
#include "regard-message.h"

typedef struct
{
  GtkWidget *root;   /* borrowed: a child of content_box */
  GtkLabel *label;   /* borrowed */
  GtkLabel *lang;    /* borrowed, NULL for prose */
  gboolean is_code;
} Segment;

struct _RegardMessage
{
  GtkWidget parent_instance;

  GString *text;            /* owned: the whole text, ahead of the labels */
  GArray *segments;         /* owned: Segment, in the order of content_box */
  char *status;             /* owned */

  /* Borrowed: children of the template-less widget tree. */
  GtkWidget *box;
  GtkWidget *images_box;
  GtkWidget *content_box;
  GtkWidget *spinner;
  GtkWidget *status_label;
  GtkWidget *footer;
  GtkWidget *copy_button;
  GtkWidget *regenerate_button;

  RegardRole role;
  guint tick_id;
  guint streaming : 1;
  guint can_regenerate : 1;
};

G_DEFINE_FINAL_TYPE (RegardMessage, regard_message, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_TEXT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
regard_message_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  RegardMessage *self = REGARD_MESSAGE (object);

  switch (prop_id)
    {
    case PROP_TEXT:
      g_value_set_string (value, self->text->str);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
regard_message_dispose (GObject *object)
{
  RegardMessage *self = (RegardMessage *)object;

  if (self->tick_id != 0)
    {
      gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->tick_id);
      self->tick_id = 0;
    }

  g_clear_pointer (&self->box, gtk_widget_unparent);

  G_OBJECT_CLASS (regard_message_parent_class)->dispose (object);
}

static void
regard_message_finalize (GObject *object)
{
  RegardMessage *self = (RegardMessage *)object;

  g_string_free (self->text, TRUE);
  g_array_unref (self->segments);
  g_free (self->status);

  G_OBJECT_CLASS (regard_message_parent_class)->finalize (object);
}

static void
regard_message_class_init (RegardMessageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = regard_message_dispose;
  object_class->finalize = regard_message_finalize;
  object_class->get_property = regard_message_get_property;

  /* The message's whole text so far; notified as each streamed piece
   * arrives (before it is drawn, which happens on the next frame). */
  properties[PROP_TEXT] =
    g_param_spec_string ("text", NULL, NULL, "",
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "message");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
copy_code_clicked_cb (GtkButton *button,
                      GtkLabel  *label)
{
  gtk_widget_activate_action (GTK_WIDGET (button), "win.copy-text", "s",
                              gtk_label_get_text (label));
}

static void
copy_message_clicked_cb (RegardMessage *self,
                         GtkButton     *button)
{
  gtk_widget_activate_action (GTK_WIDGET (button), "win.copy-text", "s", self->text->str);
}

/* A thumbnail opens its image at full size (click, Enter or Space). */
static void
image_clicked_cb (GtkButton     *button,
                  RegardMessage *self)
{
  GdkTexture *full = g_object_get_data (G_OBJECT (button), "regard-full-image");
  const char *name = g_object_get_data (G_OBJECT (button), "regard-image-name");
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (full != NULL)
    regard_image_viewer_show (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, full, name);
}

static void
regard_message_init (RegardMessage *self)
{
  self->text = g_string_new (NULL);
  self->segments = g_array_new (FALSE, TRUE, sizeof (Segment));

  self->box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gtk_widget_set_parent (self->box, GTK_WIDGET (self));

  /* One row: thumbnails shrink together (keeping their proportions) when
   * the column is narrower than they would like. */
  self->images_box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_widget_add_css_class (self->images_box, "images");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->images_box),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Images"),
                                  -1);
  gtk_widget_set_visible (self->images_box, FALSE);
  gtk_box_append (GTK_BOX (self->box), self->images_box);

  self->content_box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gtk_widget_add_css_class (self->content_box, "content");
  gtk_box_append (GTK_BOX (self->box), self->content_box);

  self->spinner = gtk_spinner_new ();
  gtk_widget_set_halign (self->spinner, GTK_ALIGN_START);
  gtk_widget_set_visible (self->spinner, FALSE);
  gtk_box_append (GTK_BOX (self->box), self->spinner);

  self->status_label = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (self->status_label), 0.0f);
  gtk_label_set_wrap (GTK_LABEL (self->status_label), TRUE);
  gtk_widget_add_css_class (self->status_label, "dim-label");
  gtk_widget_add_css_class (self->status_label, "caption");
  gtk_widget_set_visible (self->status_label, FALSE);
  gtk_box_append (GTK_BOX (self->box), self->status_label);

  self->footer = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_widget_set_visible (self->footer, FALSE);
  gtk_box_append (GTK_BOX (self->box), self->footer);

  self->copy_button = gtk_button_new_from_icon_name ("edit-copy-symbolic");
  gtk_widget_set_tooltip_text (self->copy_button, _("Copy Answer"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->copy_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Copy Answer"),
                                  -1);
  gtk_widget_add_css_class (self->copy_button, "flat");
  g_signal_connect_object (self->copy_button, "clicked",
                           G_CALLBACK (copy_message_clicked_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_box_append (GTK_BOX (self->footer), self->copy_button);

  self->regenerate_button = gtk_button_new_from_icon_name ("view-refresh-symbolic");
  gtk_widget_set_tooltip_text (self->regenerate_button, _("Regenerate Answer"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->regenerate_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Regenerate Answer"),
                                  -1);
  gtk_widget_add_css_class (self->regenerate_button, "flat");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->regenerate_button), "win.regenerate");
  gtk_widget_set_visible (self->regenerate_button, FALSE);
  gtk_box_append (GTK_BOX (self->footer), self->regenerate_button);
}

GtkWidget *
regard_message_new (RegardRole role)
{
  RegardMessage *self = g_object_new (REGARD_TYPE_MESSAGE, NULL);

  self->role = role;

  if (role == REGARD_ROLE_USER)
    {
      gtk_widget_add_css_class (GTK_WIDGET (self), "user");
      gtk_widget_set_halign (self->content_box, GTK_ALIGN_END);
      gtk_widget_set_halign (self->images_box, GTK_ALIGN_END);
      gtk_widget_set_margin_start (GTK_WIDGET (self), 48);
      gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, _("Your message"),
                                      -1);
    }
  else
    {
      gtk_widget_add_css_class (GTK_WIDGET (self), "assistant");
      gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, _("Answer"),
                                      -1);
    }

  return GTK_WIDGET (self);
}

RegardRole
regard_message_get_role (RegardMessage *self)
{
  g_return_val_if_fail (REGARD_IS_MESSAGE (self), REGARD_ROLE_USER);
  return self->role;
}

void
regard_message_add_image (RegardMessage *self,
                          GdkTexture    *thumbnail,
                          GdkTexture    *full,
                          const char    *name)
{
  GtkWidget *child;
  GtkWidget *image;
  g_autofree char *tooltip = NULL;

  g_return_if_fail (REGARD_IS_MESSAGE (self));
  g_return_if_fail (GDK_IS_TEXTURE (thumbnail));
  g_return_if_fail (full == NULL || GDK_IS_TEXTURE (full));

  /* Proportions from the larger copy: a thumbnail's size is rounded. */
  image = regard_image_thumbnail_new (thumbnail,
                                      gdk_texture_get_width (full ? full : thumbnail),
                                      gdk_texture_get_height (full ? full : thumbnail));

  child = gtk_button_new ();
  gtk_button_set_child (GTK_BUTTON (child), image);
  gtk_widget_set_valign (child, GTK_ALIGN_START);
  gtk_widget_add_css_class (child, "thumbnail-button");
  gtk_widget_add_css_class (child, "flat");
  if (name != NULL)
    {
      /* Translators: a tooltip on an image in the chat; %s is its file name */
      tooltip = g_strdup_printf (_("%s\nClick to view at full size"), name);
      gtk_widget_set_tooltip_text (child, tooltip);
      gtk_accessible_update_property (GTK_ACCESSIBLE (child),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, name,
                                      -1);
      gtk_accessible_update_property (GTK_ACCESSIBLE (image),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, name,
                                      -1);
    }
  g_object_set_data_full (G_OBJECT (child), "regard-full-image",
                          g_object_ref (full ? full : thumbnail), g_object_unref);
  g_object_set_data_full (G_OBJECT (child), "regard-image-name",
                          g_strdup (name ? name : ""), g_free);
  g_signal_connect_object (child, "clicked", G_CALLBACK (image_clicked_cb), self, 0);

  gtk_box_append (GTK_BOX (self->images_box), child);
  gtk_widget_set_visible (self->images_box, TRUE);
}

static Segment *
regard_message_ensure_segment (RegardMessage *self,
                               guint          index,
                               gboolean       is_code)
{
  Segment seg = { 0 };
  GtkWidget *label;

  if (index < self->segments->len)
    return &g_array_index (self->segments, Segment, index);

  label = gtk_label_new (NULL);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_label_set_xalign (GTK_LABEL (label), 0.0f);
  seg.label = GTK_LABEL (label);
  seg.is_code = is_code;

  if (is_code)
    {
      GtkWidget *header = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
      GtkWidget *lang = gtk_label_new (NULL);
      GtkWidget *copy = gtk_button_new_from_icon_name ("edit-copy-symbolic");

      seg.root = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
      gtk_widget_add_css_class (seg.root, "code-block");
      gtk_widget_add_css_class (seg.root, "card");

      gtk_label_set_xalign (GTK_LABEL (lang), 0.0f);
      gtk_widget_set_hexpand (lang, TRUE);
      gtk_widget_add_css_class (lang, "dim-label");
      gtk_widget_add_css_class (lang, "caption");
      seg.lang = GTK_LABEL (lang);

      gtk_widget_set_tooltip_text (copy, _("Copy Code"));
      gtk_accessible_update_property (GTK_ACCESSIBLE (copy),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, _("Copy Code"),
                                      -1);
      gtk_widget_add_css_class (copy, "flat");
      gtk_widget_add_css_class (copy, "circular");
      g_signal_connect_object (copy, "clicked", G_CALLBACK (copy_code_clicked_cb), label, 0);

      gtk_widget_add_css_class (header, "code-header");
      gtk_box_append (GTK_BOX (header), lang);
      gtk_box_append (GTK_BOX (header), copy);

      gtk_widget_add_css_class (label, "monospace");
      gtk_widget_add_css_class (label, "code");
      gtk_box_append (GTK_BOX (seg.root), header);
      gtk_box_append (GTK_BOX (seg.root), label);
    }
  else
    {
      seg.root = label;
      gtk_widget_add_css_class (label, "body");
    }

  gtk_box_append (GTK_BOX (self->content_box), seg.root);
  g_array_append_val (self->segments, seg);

  return &g_array_index (self->segments, Segment, self->segments->len - 1);
}

static void
set_label_if_changed (GtkLabel   *label,
                      const char *text)
{
  if (g_strcmp0 (gtk_label_get_text (label), text) != 0)
    gtk_label_set_text (label, text);
}

/* Splits the text on ``` fences: even parts are prose, odd parts code
 * whose first line names the language. Only changed labels are touched. */
static void
regard_message_flush (RegardMessage *self)
{
  g_auto(GStrv) parts = g_strsplit (self->text->str, "```", -1);
  guint n_parts = g_strv_length (parts);
  gboolean any_text = FALSE;

  for (guint i = 0; i < n_parts; i++)
    {
      gboolean is_code = (i % 2) == 1;
      Segment *seg;

      if (i < self->segments->len &&
          g_array_index (self->segments, Segment, i).is_code != is_code)
        break;

      seg = regard_message_ensure_segment (self, i, is_code);

      if (is_code)
        {
          const char *nl = strchr (parts[i], '\n');
          g_autofree char *lang = nl ? g_strndup (parts[i], nl - parts[i]) : g_strdup ("");
          g_autofree char *code = g_strdup (nl ? nl + 1 : "");
          gsize len = strlen (code);

          while (len > 0 && (code[len - 1] == '\n' || code[len - 1] == '\r'))
            code[--len] = '\0';

          set_label_if_changed (seg->lang, g_strstrip (lang));
          set_label_if_changed (seg->label, code);
          gtk_widget_set_visible (seg->root, TRUE);
          any_text = TRUE;
        }
      else
        {
          g_strstrip (parts[i]);
          set_label_if_changed (seg->label, parts[i]);
          gtk_widget_set_visible (seg->root, parts[i][0] != '\0');
          any_text |= parts[i][0] != '\0';
        }
    }

  while (self->segments->len > n_parts)
    {
      Segment *seg = &g_array_index (self->segments, Segment, self->segments->len - 1);

      gtk_box_remove (GTK_BOX (self->content_box), seg->root);
      g_array_set_size (self->segments, self->segments->len - 1);
    }

  gtk_widget_set_visible (self->spinner, self->streaming && !any_text);
  gtk_widget_set_visible (self->content_box, any_text);
}

static gboolean
regard_message_tick_cb (GtkWidget     *widget,
                        GdkFrameClock *frame_clock,
                        gpointer       user_data)
{
  RegardMessage *self = REGARD_MESSAGE (widget);

  self->tick_id = 0;
  regard_message_flush (self);

  return G_SOURCE_REMOVE;
}

void
regard_message_set_text (RegardMessage *self,
                         const char    *text)
{
  g_return_if_fail (REGARD_IS_MESSAGE (self));

  g_string_assign (self->text, text ? text : "");
  regard_message_flush (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TEXT]);
}

void
regard_message_append_text (RegardMessage *self,
                            const char    *text)
{
  g_return_if_fail (REGARD_IS_MESSAGE (self));

  if (text == NULL || text[0] == '\0')
    return;

  g_string_append (self->text, text);

  if (self->tick_id == 0)
    self->tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (self),
                                                  regard_message_tick_cb,
                                                  NULL, NULL);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TEXT]);
}

const char *
regard_message_get_text (RegardMessage *self)
{
  g_return_val_if_fail (REGARD_IS_MESSAGE (self), NULL);
  return self->text->str;
}

static void
regard_message_update_footer (RegardMessage *self)
{
  gboolean show = self->role == REGARD_ROLE_ASSISTANT && !self->streaming;

  gtk_widget_set_visible (self->footer, show);
  gtk_widget_set_visible (self->copy_button, self->text->len > 0);
  gtk_widget_set_visible (self->regenerate_button, self->can_regenerate);
}

void
regard_message_set_streaming (RegardMessage *self,
                              gboolean       streaming)
{
  g_return_if_fail (REGARD_IS_MESSAGE (self));

  self->streaming = !!streaming;
  gtk_spinner_set_spinning (GTK_SPINNER (self->spinner), self->streaming);
  regard_message_flush (self);
  regard_message_update_footer (self);
}

gboolean
regard_message_get_streaming (RegardMessage *self)
{
  g_return_val_if_fail (REGARD_IS_MESSAGE (self), FALSE);
  return self->streaming;
}

void
regard_message_set_status (RegardMessage *self,
                           const char    *status)
{
  g_return_if_fail (REGARD_IS_MESSAGE (self));

  g_free (self->status);
  self->status = g_strdup (status);
  gtk_label_set_text (GTK_LABEL (self->status_label), status ? status : "");
  gtk_widget_set_visible (self->status_label, status != NULL);
}

const char *
regard_message_get_status (RegardMessage *self)
{
  g_return_val_if_fail (REGARD_IS_MESSAGE (self), NULL);
  return self->status;
}

void
regard_message_set_is_error (RegardMessage *self,
                             gboolean       is_error)
{
  g_return_if_fail (REGARD_IS_MESSAGE (self));

  if (is_error)
    {
      gtk_widget_add_css_class (self->status_label, "error");
      gtk_widget_remove_css_class (self->status_label, "dim-label");
    }
  else
    {
      gtk_widget_remove_css_class (self->status_label, "error");
      gtk_widget_add_css_class (self->status_label, "dim-label");
    }
}

void
regard_message_set_can_regenerate (RegardMessage *self,
                                   gboolean       can_regenerate)
{
  g_return_if_fail (REGARD_IS_MESSAGE (self));

  self->can_regenerate = !!can_regenerate;
  regard_message_update_footer (self);
}
