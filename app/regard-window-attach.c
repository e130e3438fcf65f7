/* regard-window-attach.c: images into the composer.
 *
 * Attach button, drag and drop, paste and screenshots all end in
 * regard_window_add_attachment (): one pending image with its encoded bytes
 * (what the model reads) and a thumbnail decoded off the main thread (what
 * the user sees).
 *
 * Copyright 2025 The Regard authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>
#include <libportal-gtk4/portal-gtk4.h>

#include <stdio.h>

#include "regard-image-thumbnail.h"
#include "regard-window-private.h"

void
regard_attachment_free (RegardAttachment *attachment)
{
  if (attachment->cancellable != NULL)
    g_cancellable_cancel (attachment->cancellable);
  if (attachment->chip != NULL && gtk_widget_get_parent (attachment->chip) != NULL)
    gtk_box_remove (GTK_BOX (gtk_widget_get_parent (attachment->chip)), attachment->chip);

  g_clear_object (&attachment->cancellable);
  g_clear_pointer (&attachment->bytes, g_bytes_unref);
  g_clear_object (&attachment->texture);
  g_clear_object (&attachment->full);
  g_clear_pointer (&attachment->name, g_free);
  g_free (attachment);
}

void
_regard_window_clear_attachments (RegardWindow *self)
{
  g_ptr_array_set_size (self->attachments, 0);
  self->n_loading = 0;
  _regard_window_update_actions (self);
}

static void
remove_clicked_cb (GtkButton    *button,
                   RegardWindow *self)
{
  GtkWidget *chip = gtk_widget_get_ancestor (GTK_WIDGET (button), GTK_TYPE_OVERLAY);

  for (guint i = 0; i < self->attachments->len; i++)
    {
      RegardAttachment *attachment = g_ptr_array_index (self->attachments, i);

      if (attachment->chip == chip)
        {
          if (attachment->texture == NULL && self->n_loading > 0)
            self->n_loading--;
          g_ptr_array_remove_index (self->attachments, i);
          break;
        }
    }

  _regard_window_update_actions (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->composer));
}

static GtkWidget *
create_chip (RegardWindow     *self,
             RegardAttachment *attachment)
{
  GtkWidget *overlay = gtk_overlay_new ();
  GtkWidget *frame = gtk_frame_new (NULL);
  GtkWidget *button = gtk_button_new_from_icon_name ("window-close-symbolic");
  g_autofree char *remove_label = g_strdup_printf (_("Remove %s"), attachment->name);

  attachment->picture = gtk_picture_new ();
  gtk_picture_set_can_shrink (GTK_PICTURE (attachment->picture), TRUE);
  gtk_picture_set_content_fit (GTK_PICTURE (attachment->picture), GTK_CONTENT_FIT_COVER);
  gtk_picture_set_alternative_text (GTK_PICTURE (attachment->picture), attachment->name);
  gtk_widget_set_size_request (attachment->picture, 64, 64);
  gtk_widget_set_tooltip_text (attachment->picture, attachment->name);

  gtk_widget_add_css_class (frame, "attachment");
  gtk_frame_set_child (GTK_FRAME (frame), attachment->picture);
  gtk_overlay_set_child (GTK_OVERLAY (overlay), frame);

  gtk_widget_set_tooltip_text (button, _("Remove Image"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, remove_label,
                                  -1);
  gtk_widget_set_halign (button, GTK_ALIGN_END);
  gtk_widget_set_valign (button, GTK_ALIGN_START);
  gtk_widget_add_css_class (button, "osd");
  gtk_widget_add_css_class (button, "circular");
  gtk_widget_add_css_class (button, "remove-attachment");
  g_signal_connect_object (button, "clicked", G_CALLBACK (remove_clicked_cb), self, 0);
  gtk_overlay_add_overlay (GTK_OVERLAY (overlay), button);

  gtk_widget_set_margin_top (overlay, 6);
  gtk_widget_set_margin_bottom (overlay, 6);

  return overlay;
}

/* Thumbnails are drawn at most 200 px high (twice that on HiDPI); the
 * viewer shows up to 2048 px. The model reads the original bytes. */
#define THUMBNAIL_SIZE 400
#define FULL_SIZE 2048

typedef struct
{
  GdkTexture *thumbnail;
  GdkTexture *full;
} Decoded;

static void
decoded_free (Decoded *decoded)
{
  g_clear_object (&decoded->thumbnail);
  g_clear_object (&decoded->full);
  g_free (decoded);
}

typedef struct
{
  int width, height;
} SizeSeen;

static void
size_seen_cb (GdkPixbufLoader *loader,
              int              width,
              int              height,
              SizeSeen        *seen)
{
  seen->width = width;
  seen->height = height;
  /* Only the size is wanted: decode nothing (gdk_pixbuf_get_file_info's trick). */
  gdk_pixbuf_loader_set_size (loader, 0, 0);
}

/* The declared size, from the header alone; FALSE if no loader knows it. */
static gboolean
peek_size (GBytes *bytes,
           int    *width,
           int    *height)
{
  g_autoptr(GdkPixbufLoader) loader = gdk_pixbuf_loader_new ();
  SizeSeen seen = { 0, 0 };
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  gboolean ok = TRUE;

  g_signal_connect (loader, "size-prepared", G_CALLBACK (size_seen_cb), &seen);
  for (gsize pos = 0; ok && seen.width == 0 && pos < len; pos += 4096)
    ok = gdk_pixbuf_loader_write (loader, data + pos, MIN (4096, len - pos), NULL);
  gdk_pixbuf_loader_close (loader, NULL);

  *width = seen.width;
  *height = seen.height;
  return seen.width > 0 && seen.height > 0;
}

static GdkTexture *
scaled_texture (GdkPixbuf *pixbuf,
                int        limit)
{
  int w = gdk_pixbuf_get_width (pixbuf);
  int h = gdk_pixbuf_get_height (pixbuf);
  g_autoptr(GdkPixbuf) scaled = NULL;

  if (MAX (w, h) > limit)
    {
      double scale = (double) limit / MAX (w, h);
      scaled = gdk_pixbuf_scale_simple (pixbuf, MAX (1, (int) (w * scale)), MAX (1, (int) (h * scale)),
                                        GDK_INTERP_BILINEAR);
    }
  else if (MAX (w, h) < REGARD_THUMBNAIL_MIN_SIZE)
    {
      /* Tiny images are shown enlarged: keep their pixels sharp. */
      int factor = (REGARD_THUMBNAIL_MIN_SIZE + MAX (w, h) - 1) / MAX (w, h);
      scaled = gdk_pixbuf_scale_simple (pixbuf, w * factor, h * factor, GDK_INTERP_NEAREST);
    }
  else
    scaled = g_object_ref (pixbuf);

  return scaled ? gdk_texture_new_for_pixbuf (scaled) : NULL;
}

static void
size_prepared_cb (GdkPixbufLoader *loader,
                  int              width,
                  int              height,
                  gpointer         user_data)
{
  double scale = MIN ((double) FULL_SIZE / width, (double) FULL_SIZE / height);

  /* Only ever down: the model reads the original bytes anyway. */
  if (scale < 1.0)
    gdk_pixbuf_loader_set_size (loader, MAX (1, (int) (width * scale)), MAX (1, (int) (height * scale)));
}

/* Checks the image as the engine will read it after sending (the same
 * decoder and limits: corrupt, truncated and oversized images fail here,
 * at attach time), then makes the thumbnail and the viewer's copy. */
static void
decode_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  GBytes *bytes = task_data;
  g_autoptr(GdkPixbufLoader) loader = NULL;
  g_autoptr(GdkPixbuf) oriented = NULL;
  GError *error = NULL;
  GdkPixbuf *pixbuf;
  Decoded *decoded;
  int width = 0, height = 0;
  gboolean known = peek_size (bytes, &width, &height);

  if (known && (guint64) width * (guint64) height > regard_image_max_pixels ())
    {
      g_task_return_new_error (task, REGARD_ERROR, REGARD_ERROR_INVALID_IMAGE,
                               "too-large:%dx%d", width, height);
      return;
    }

  if (!regard_image_check_bytes (bytes, NULL, NULL, &error))
    {
      g_prefix_error (&error, known ? "damaged:" : "not-image:");
      g_task_return_error (task, error);
      return;
    }

  if (g_task_return_error_if_cancelled (task))
    return;

  loader = gdk_pixbuf_loader_new ();
  g_signal_connect (loader, "size-prepared", G_CALLBACK (size_prepared_cb), NULL);
  if (!gdk_pixbuf_loader_write_bytes (loader, bytes, &error) ||
      !gdk_pixbuf_loader_close (loader, &error) ||
      (pixbuf = gdk_pixbuf_loader_get_pixbuf (loader)) == NULL)
    {
      gdk_pixbuf_loader_close (loader, NULL);
      g_clear_error (&error);
      g_task_return_new_error (task, REGARD_ERROR, REGARD_ERROR_INVALID_IMAGE, "damaged:");
      return;
    }

  oriented = gdk_pixbuf_apply_embedded_orientation (pixbuf);
  decoded = g_new0 (Decoded, 1);
  decoded->thumbnail = scaled_texture (oriented, THUMBNAIL_SIZE);
  decoded->full = scaled_texture (oriented, FULL_SIZE);
  if (decoded->thumbnail == NULL || decoded->full == NULL)
    {
      decoded_free (decoded);
      g_task_return_new_error (task, REGARD_ERROR, REGARD_ERROR_OUT_OF_MEMORY, "out of memory");
      return;
    }
  g_task_return_pointer (task, decoded, (GDestroyNotify) decoded_free);
}

/* Why an image was refused, in words, naming it. */
static char *
refusal_message (const char   *name,
                 const GError *error)
{
  const char *msg = error ? error->message : "";
  int width, height;

  if (sscanf (msg, "too-large:%dx%d", &width, &height) == 2)
    /* Translators: an image was refused; %s is its file name, then its size in pixels */
    return g_strdup_printf (_("“%s” is too large (%d × %d pixels). Regard reads images of up to 100 million pixels."),
                            name, width, height);
  if (g_str_has_prefix (msg, "damaged:"))
    return g_strdup_printf (_("“%s” is damaged or incomplete and cannot be read"), name);
  if (g_error_matches (error, REGARD_ERROR, REGARD_ERROR_OUT_OF_MEMORY))
    return g_strdup_printf (_("Not enough memory to open “%s”"), name);
  return g_strdup_printf (_("“%s” is not an image Regard can read"), name);
}

static void
decode_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  RegardWindow *self = REGARD_WINDOW (object);
  RegardAttachment *attachment = user_data;
  g_autoptr(GError) error = NULL;
  Decoded *decoded = g_task_propagate_pointer (G_TASK (result), &error);

  /* Removed (and freed) while decoding. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self->n_loading--;

  if (decoded == NULL)
    {
      g_autofree char *title = refusal_message (attachment->name, error);

      g_debug ("Cannot decode %s: %s", attachment->name, error->message);
      g_ptr_array_remove (self->attachments, attachment);
      _regard_window_refuse_image (self, title);
      _regard_window_update_actions (self);

      /* Text extraction waits for an image that will not come. */
      if (self->attachments->len == 0)
        self->ocr_queued = FALSE;
      return;
    }

  attachment->texture = g_steal_pointer (&decoded->thumbnail);
  attachment->full = g_steal_pointer (&decoded->full);
  decoded_free (decoded);
  gtk_picture_set_paintable (GTK_PICTURE (attachment->picture), GDK_PAINTABLE (attachment->texture));

  _regard_window_update_actions (self);
  _regard_window_run_queued_ocr (self);
}

/* The one path every image takes: BYTES are what the model reads; the
 * thumbnail is decoded from them off the main thread. */
static void
regard_window_add_attachment (RegardWindow *self,
                              GBytes       *bytes,
                              const char   *name)
{
  RegardAttachment *attachment = g_new0 (RegardAttachment, 1);

  attachment->bytes = g_bytes_ref (bytes);
  attachment->name = g_strdup (name ? name : _("Image"));
  attachment->chip = create_chip (self, attachment);
  g_ptr_array_add (self->attachments, attachment);
  gtk_box_append (self->pending_box, attachment->chip);

  {
    g_autoptr(GTask) task = NULL;

    attachment->cancellable = g_cancellable_new ();
    task = g_task_new (self, attachment->cancellable, decode_cb, attachment);
    g_task_set_source_tag (task, regard_window_add_attachment);
    g_task_set_task_data (task, g_bytes_ref (bytes), (GDestroyNotify)g_bytes_unref);
    g_task_run_in_thread (task, decode_thread);
    self->n_loading++;
  }

  _regard_window_update_actions (self);
  _regard_window_run_queued_ocr (self);
}

void
regard_window_attach_image_bytes (RegardWindow *self,
                                  GBytes       *bytes,
                                  const char   *name)
{
  g_return_if_fail (REGARD_IS_WINDOW (self));
  g_return_if_fail (bytes != NULL);

  regard_window_add_attachment (self, bytes, name);
}

/* Reading an attached file: its type and size are checked first, so a
 * FIFO or a huge file is refused without reading it; the read stops at
 * REGARD_MAX_IMAGE_BYTES should the file grow meanwhile, and the window's
 * attach_cancellable stops it when the window goes. */

static void
attach_failed (RegardWindow *self,
               const char   *title)
{
  _regard_window_toast (self, title);
  if (self->attachments->len == 0)
    self->ocr_queued = FALSE;
}

static gboolean
read_more_cb (const char *file_contents,
              goffset     file_size,
              gpointer    user_data)
{
  return file_size <= (goffset) REGARD_MAX_IMAGE_BYTES;
}

static void
load_contents_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(RegardWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *name = NULL;
  gsize length = 0;
  GFile *file = G_FILE (object);

  name = g_file_get_basename (file);
  self->n_loading--;

  if (!g_file_load_partial_contents_finish (file, result, &contents, &length, NULL, &error))
    {
      g_autofree char *title = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      title = g_strdup_printf (_("Could not open “%s”"), name);
      g_debug ("%s", error->message);
      attach_failed (self, title);
      _regard_window_update_actions (self);
      return;
    }
  if (length > REGARD_MAX_IMAGE_BYTES)
    {
      g_autofree char *title = g_strdup_printf (_("“%s” is too large to attach"), name);

      attach_failed (self, title);
      _regard_window_update_actions (self);
      return;
    }

  {
    g_autoptr(GBytes) bytes = g_bytes_new_take (g_steal_pointer (&contents), length);
    regard_window_add_attachment (self, bytes, name);
  }
  _regard_window_update_actions (self);
}

static void
query_info_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(RegardWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFileInfo) info = NULL;
  g_autofree char *name = NULL;
  g_autofree char *title = NULL;
  GFile *file = G_FILE (object);

  name = g_file_get_basename (file);
  info = g_file_query_info_finish (file, result, &error);
  if (info == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      self->n_loading--;
      return;
    }
  if (info == NULL)
    {
      g_debug ("%s", error->message);
      title = g_strdup_printf (_("Could not open “%s”"), name);
    }
  else if (g_file_info_get_file_type (info) != G_FILE_TYPE_REGULAR)
    title = g_strdup_printf (_("“%s” is not a file"), name);
  else if (g_file_info_get_size (info) > (goffset) REGARD_MAX_IMAGE_BYTES)
    title = g_strdup_printf (_("“%s” is too large to attach"), name);

  if (title != NULL)
    {
      self->n_loading--;
      attach_failed (self, title);
      _regard_window_update_actions (self);
      return;
    }
  g_file_load_partial_contents_async (file, self->attach_cancellable, read_more_cb,
                                      load_contents_cb, g_object_ref (self));
}

void
regard_window_attach_image_file (RegardWindow *self,
                                 GFile        *file)
{
  g_return_if_fail (REGARD_IS_WINDOW (self));
  g_return_if_fail (G_IS_FILE (file));

  /* Counted as loading: Send waits for the file like for its decoding. */
  self->n_loading++;
  _regard_window_update_actions (self);
  g_file_query_info_async (file, G_FILE_ATTRIBUTE_STANDARD_TYPE "," G_FILE_ATTRIBUTE_STANDARD_SIZE,
                           G_FILE_QUERY_INFO_NONE, G_PRIORITY_DEFAULT, self->attach_cancellable,
                           query_info_cb, g_object_ref (self));
}

static void
attach_files (RegardWindow *self,
              GSList       *files)
{
  for (const GSList *l = files; l != NULL; l = l->next)
    regard_window_attach_image_file (self, l->data);
}

/* ---- Textures: pasted or dropped, encoded as PNG off the main thread - */

static void
encode_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  GdkTexture *texture = task_data;

  g_task_return_pointer (task, gdk_texture_save_to_png_bytes (texture),
                         (GDestroyNotify)g_bytes_unref);
}

static void
encode_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  RegardWindow *self = REGARD_WINDOW (object);
  g_autoptr(GBytes) bytes = g_task_propagate_pointer (G_TASK (result), NULL);
  const char *name = user_data;

  if (bytes != NULL)
    regard_window_add_attachment (self, bytes, gettext (name));
}

static void
regard_window_attach_texture (RegardWindow *self,
                              GdkTexture   *texture,
                              const char   *name)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, encode_cb, (gpointer)name);

  g_task_set_source_tag (task, regard_window_attach_texture);
  g_task_set_task_data (task, g_object_ref (texture), g_object_unref);
  g_task_run_in_thread (task, encode_thread);
}

static void
read_texture_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(RegardWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkTexture) texture = gdk_clipboard_read_texture_finish (GDK_CLIPBOARD (object), result, &error);

  if (texture == NULL)
    {
      g_debug ("Cannot paste: %s", error->message);
      _regard_window_toast (self, _("Could not paste the image"));
      return;
    }

  regard_window_attach_texture (self, texture, N_("Pasted image"));
}

static void
read_files_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(RegardWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  const GValue *value = gdk_clipboard_read_value_finish (GDK_CLIPBOARD (object), result, &error);

  if (value == NULL)
    {
      g_debug ("Cannot paste: %s", error->message);
      _regard_window_toast (self, _("Could not paste the image"));
      return;
    }

  attach_files (self, g_value_get_boxed (value));
}

gboolean
regard_window_paste_image (RegardWindow *self)
{
  GdkClipboard *clipboard;
  GdkContentFormats *formats;

  g_return_val_if_fail (REGARD_IS_WINDOW (self), FALSE);

  clipboard = gtk_widget_get_clipboard (GTK_WIDGET (self));
  formats = gdk_clipboard_get_formats (clipboard);

  if (gdk_content_formats_contain_gtype (formats, GDK_TYPE_TEXTURE))
    {
      gdk_clipboard_read_texture_async (clipboard, NULL, read_texture_cb, g_object_ref (self));
      return TRUE;
    }

  if (gdk_content_formats_contain_gtype (formats, GDK_TYPE_FILE_LIST))
    {
      gdk_clipboard_read_value_async (clipboard, GDK_TYPE_FILE_LIST, G_PRIORITY_DEFAULT,
                                      NULL, read_files_cb, g_object_ref (self));
      return TRUE;
    }

  return FALSE;
}

/* ---- Drag and drop ---------------------------------------------------- */

static GdkDragAction
drop_enter_cb (GtkDropTarget *target,
               double         x,
               double         y,
               RegardWindow  *self)
{
  gtk_revealer_set_reveal_child (self->drop_revealer, TRUE);
  return GDK_ACTION_COPY;
}

static void
drop_leave_cb (GtkDropTarget *target,
               RegardWindow  *self)
{
  gtk_revealer_set_reveal_child (self->drop_revealer, FALSE);
}

static gboolean
drop_cb (GtkDropTarget *target,
         const GValue  *value,
         double         x,
         double         y,
         RegardWindow  *self)
{
  gtk_revealer_set_reveal_child (self->drop_revealer, FALSE);

  if (G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    {
      attach_files (self, g_value_get_boxed (value));
      return TRUE;
    }

  if (G_VALUE_HOLDS (value, GDK_TYPE_TEXTURE))
    {
      regard_window_attach_texture (self, g_value_get_object (value), N_("Dropped image"));
      return TRUE;
    }

  return FALSE;
}

/* ---- File chooser ----------------------------------------------------- */

static void
choose_images_response (GtkNativeDialog *dialog,
                        int              response,
                        RegardWindow    *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GListModel) files = gtk_file_chooser_get_files (GTK_FILE_CHOOSER (dialog));

      for (guint i = 0; i < g_list_model_get_n_items (files); i++)
        {
          g_autoptr(GFile) file = g_list_model_get_item (files, i);
          regard_window_attach_image_file (self, file);
        }
    }

  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
  /* Not back on the attach button, where the next space reopens the chooser. */
  _regard_window_focus_composer (self);
  g_object_unref (self);
}

void
_regard_window_choose_images (RegardWindow *self)
{
  static const char * const mime_types[] = {
    "image/png", "image/jpeg", "image/webp", "image/gif", "image/bmp", "image/tiff",
  };
  GtkFileChooserNative *native;
  g_autoptr(GtkFileFilter) images = gtk_file_filter_new ();
  g_autoptr(GtkFileFilter) all = gtk_file_filter_new ();

  native = gtk_file_chooser_native_new (_("Attach Images"),
                                        GTK_WINDOW (self),
                                        GTK_FILE_CHOOSER_ACTION_OPEN,
                                        _("_Attach"),
                                        _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  gtk_file_chooser_set_select_multiple (GTK_FILE_CHOOSER (native), TRUE);

  gtk_file_filter_set_name (images, _("Images"));
  for (guint i = 0; i < G_N_ELEMENTS (mime_types); i++)
    gtk_file_filter_add_mime_type (images, mime_types[i]);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (native), images);

  gtk_file_filter_set_name (all, _("All Files"));
  gtk_file_filter_add_pattern (all, "*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (native), all);
  gtk_file_chooser_set_filter (GTK_FILE_CHOOSER (native), images);

  g_signal_connect (native, "response", G_CALLBACK (choose_images_response), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

/* ---- Screenshots ------------------------------------------------------ */

static void
screenshot_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(RegardWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *uri = xdp_portal_take_screenshot_finish (XDP_PORTAL (object), result, &error);

  gtk_window_present (GTK_WINDOW (self));
  _regard_window_focus_composer (self);

  if (uri == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          AdwMessageDialog *dialog;
          g_autofree char *body = NULL;

          g_debug ("Screenshot failed: %s", error->message);
          /* Why, and what works instead. Without the desktop's screenshot
           * service (xdg-desktop-portal) the call fails on D-Bus. */
          if (error->domain == G_DBUS_ERROR || g_dbus_error_is_remote_error (error))
            body = g_strdup (_("This desktop offers no screenshot portal (xdg-desktop-portal), so Regard cannot take one. "
                               "Take a screenshot with Print Screen and paste it here with Ctrl+V, or attach an image file."));
          else
            /* Translators: %s is the reason the screenshot failed */
            body = g_strdup_printf (_("The screenshot failed: %s. "
                                      "Take one with Print Screen and paste it here with Ctrl+V, or attach an image file."),
                                    error->message);
          g_free (self->last_notice);
          self->last_notice = g_strdup (body);

          dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self),
                                                               _("Could Not Take a Screenshot"), body));
          adw_message_dialog_add_response (dialog, "close", _("_Close"));
          adw_message_dialog_add_response (dialog, "attach", _("_Attach Image…"));
          adw_message_dialog_set_response_appearance (dialog, "attach", ADW_RESPONSE_SUGGESTED);
          adw_message_dialog_set_default_response (dialog, "attach");
          g_signal_connect_object (dialog, "response::attach",
                                   G_CALLBACK (_regard_window_choose_images), self,
                                   G_CONNECT_SWAPPED);
          gtk_window_present (GTK_WINDOW (dialog));
        }
      if (self->attachments->len == 0)
        self->ocr_queued = FALSE;
      return;
    }

  {
    g_autoptr(GFile) file = g_file_new_for_uri (uri);
    regard_window_attach_image_file (self, file);
  }
}

void
_regard_window_take_screenshot (RegardWindow *self)
{
  XdpParent *parent;

  if (self->portal == NULL)
    self->portal = xdp_portal_new ();

  parent = xdp_parent_new_gtk (GTK_WINDOW (self));
  xdp_portal_take_screenshot (self->portal, parent,
                              XDP_SCREENSHOT_FLAG_INTERACTIVE,
                              NULL, screenshot_cb, g_object_ref (self));
  xdp_parent_free (parent);
}

void
_regard_window_init_attach (RegardWindow *self)
{
  GType types[] = { GDK_TYPE_FILE_LIST, GDK_TYPE_TEXTURE };
  GtkDropTarget *target;
  GtkEventController *shortcuts;
  GtkShortcut *paste;

  target = gtk_drop_target_new (G_TYPE_INVALID, GDK_ACTION_COPY);
  gtk_drop_target_set_gtypes (target, types, G_N_ELEMENTS (types));
  g_signal_connect_object (target, "enter", G_CALLBACK (drop_enter_cb), self, 0);
  g_signal_connect_object (target, "leave", G_CALLBACK (drop_leave_cb), self, 0);
  g_signal_connect_object (target, "drop", G_CALLBACK (drop_cb), self, 0);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (target));

  /* Ctrl+V anywhere the focus does not paste by itself (the composer
   * handles its own, through its paste-clipboard signal). */
  shortcuts = gtk_shortcut_controller_new ();
  gtk_event_controller_set_propagation_phase (shortcuts, GTK_PHASE_BUBBLE);
  paste = gtk_shortcut_new (gtk_shortcut_trigger_parse_string ("<Control>v"),
                            gtk_named_action_new ("win.paste-image"));
  gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (shortcuts), paste);
  gtk_widget_add_controller (GTK_WIDGET (self), shortcuts);
}
