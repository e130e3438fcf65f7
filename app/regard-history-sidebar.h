/* regard-history-sidebar.h: the list of stored chats beside the
 * transcript: by date, searchable, with rename, export and delete (undone
 * from a toast until it goes away). */
#pragma once

#include <adwaita.h>

#include "regard-history.h"

G_BEGIN_DECLS

#define REGARD_TYPE_HISTORY_SIDEBAR (regard_history_sidebar_get_type ())
G_DECLARE_FINAL_TYPE (RegardHistorySidebar, regard_history_sidebar, REGARD, HISTORY_SIDEBAR, GtkBox)

GtkWidget *regard_history_sidebar_new         (void);
/* HISTORY is borrowed: it must outlive the sidebar (NULL: no history). */
void       regard_history_sidebar_set_history (RegardHistorySidebar *self,
                                               RegardHistory        *history);
/* Lists the chats again (after the window stored a turn). */
void       regard_history_sidebar_reload      (RegardHistorySidebar *self);
/* Marks CHAT_ID as the open chat (0: none). */
void       regard_history_sidebar_set_current (RegardHistorySidebar *self,
                                               gint64                chat_id);
/* Deletes now the chats whose toast is still offering to undo. */
void       regard_history_sidebar_flush       (RegardHistorySidebar *self);
GtkSearchEntry *regard_history_sidebar_get_search_entry (RegardHistorySidebar *self);
/* For tests: the visible chats' rows, in order. */
guint      regard_history_sidebar_get_n_visible (RegardHistorySidebar *self);

G_END_DECLS
