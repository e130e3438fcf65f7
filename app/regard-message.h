/* regard-message.h: one turn of the transcript.
 *
 * User turns show their images and question; assistant turns stream their
 * answer in, rendering ``` fenced blocks as monospace code with a copy
 * button. Streamed text reaches the labels at most once per frame. */
#pragma once

#include <gtk/gtk.h>

#include "regard-engine.h"

G_BEGIN_DECLS

#define REGARD_TYPE_MESSAGE (regard_message_get_type ())
G_DECLARE_FINAL_TYPE (RegardMessage, regard_message, REGARD, MESSAGE, GtkWidget)

GtkWidget  *regard_message_new              (RegardRole     role);
RegardRole  regard_message_get_role         (RegardMessage *self);
/* A thumbnail that opens FULL (or THUMBNAIL) at full size when activated;
 * NAME (the file's) names it for screen readers. */
void        regard_message_add_image        (RegardMessage *self,
                                             GdkTexture    *thumbnail,
                                             GdkTexture    *full,
                                             const char    *name);
/* Replaces the text at once. */
void        regard_message_set_text         (RegardMessage *self,
                                             const char    *text);
/* Appends a streamed piece; labels catch up on the next frame. */
void        regard_message_append_text      (RegardMessage *self,
                                             const char    *text);
const char *regard_message_get_text         (RegardMessage *self);
/* Shows or hides the "thinking" spinner and the answer's buttons. */
void        regard_message_set_streaming    (RegardMessage *self,
                                             gboolean       streaming);
gboolean    regard_message_get_streaming    (RegardMessage *self);
/* A dim line under the text ("Stopped", an error); NULL hides it. */
void        regard_message_set_status       (RegardMessage *self,
                                             const char    *status);
const char *regard_message_get_status       (RegardMessage *self);
void        regard_message_set_is_error     (RegardMessage *self,
                                             gboolean       is_error);
/* Whether the Regenerate button shows (the last answer only). */
void        regard_message_set_can_regenerate (RegardMessage *self,
                                               gboolean       can_regenerate);

G_END_DECLS
