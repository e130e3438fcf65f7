/* regard-window-history.h: the window's conversation history (the
 * sidebar, recording, reopening): what other parts of the app and tests
 * call. */
#pragma once

#include "regard-history-sidebar.h"
#include "regard-window.h"

G_BEGIN_DECLS

/* The stored chats changed elsewhere (Preferences deleted them all). */
void                  regard_window_history_changed     (RegardWindow *self);
RegardHistorySidebar *regard_window_get_history_sidebar (RegardWindow *self);
/* Shows a stored chat; asking again continues it. */
void                  regard_window_open_chat           (RegardWindow *self,
                                                         gint64        chat_id);

G_END_DECLS
