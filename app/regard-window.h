/* regard-window.h: the main window, a chat about images. */
#pragma once

#include <adwaita.h>

#include "regard-session.h"

G_BEGIN_DECLS

#define REGARD_TYPE_WINDOW (regard_window_get_type ())
G_DECLARE_FINAL_TYPE (RegardWindow, regard_window, REGARD, WINDOW, AdwApplicationWindow)

RegardWindow  *regard_window_new                (AdwApplication *application);
RegardSession *regard_window_get_session        (RegardWindow   *self);

/* Loads MODEL_DIR with the device chosen in the settings. */
void           regard_window_load_model         (RegardWindow   *self,
                                                 const char     *model_dir);

/* Checks that MODEL_DIR is a model Regard can use, then loads it (and
 * remembers it); otherwise explains why and keeps the current model. */
void           regard_window_choose_model_folder (RegardWindow  *self,
                                                  const char    *model_dir);

/* The one way images reach the composer: files (attach button, drops,
 * pasted files, screenshots, the command line) and encoded bytes (pasted
 * or dropped textures). Decoding runs off the main thread. */
void           regard_window_attach_image_file  (RegardWindow   *self,
                                                 GFile          *file);
void           regard_window_attach_image_bytes (RegardWindow   *self,
                                                 GBytes         *bytes,
                                                 const char     *name);
/* Attaches the clipboard's image or image files; FALSE if it holds none. */
gboolean       regard_window_paste_image        (RegardWindow   *self);

/* Runs text extraction on FILES, or on a screenshot when N_FILES is 0, as
 * soon as the model and the images are ready. */
void           regard_window_extract_text       (RegardWindow   *self,
                                                 GFile         **files,
                                                 guint           n_files);

/* State, for tests and accessibility checks. */
guint          regard_window_get_n_attachments  (RegardWindow   *self);
guint          regard_window_get_n_loading      (RegardWindow   *self);
guint          regard_window_get_n_messages     (RegardWindow   *self);
gboolean       regard_window_get_busy           (RegardWindow   *self);
/* "empty", "loading" or "chat": what the window shows. */
const char    *regard_window_get_page           (RegardWindow   *self);
/* The text of the last answer so far (streamed), or NULL. */
const char    *regard_window_get_last_answer    (RegardWindow   *self);
/* The last answer's transcript row (a RegardMessage), or NULL. */
GtkWidget     *regard_window_get_last_answer_row (RegardWindow  *self);
/* The status line of the last answer ("Stopped"...), or NULL. */
const char    *regard_window_get_last_status    (RegardWindow   *self);
void           regard_window_set_question       (RegardWindow   *self,
                                                 const char     *text);

G_END_DECLS
