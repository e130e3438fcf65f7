/* regard-window-private.h: shared between the files of RegardWindow,
 * split by concern: regard-window.c (state, asks), regard-window-actions.c
 * (win. actions), regard-window-attach.c (attach, drop, paste,
 * screenshots), regard-window-download.c (models from the hub). */
#pragma once

#include <libportal/portal.h>

#include "regard-download.h"
#include "regard-message.h"
#include "regard-window.h"

G_BEGIN_DECLS

typedef struct
{
  GBytes *bytes;              /* owned: encoded image */
  GdkTexture *texture;        /* owned: the thumbnail, NULL while decoding */
  GdkTexture *full;           /* owned: up to 2048 px, for the viewer */
  char *name;                 /* owned: shown as alternative text */
  GtkWidget *chip;            /* borrowed: a child of pending_box */
  GtkWidget *picture;         /* borrowed: inside chip */
  GCancellable *cancellable;  /* owned: cancels the decoding */
} RegardAttachment;

/* regard-window-history.c's state */
typedef struct _RegardWindowHistory RegardWindowHistory;

struct _RegardWindow
{
  AdwApplicationWindow parent_instance;

  /* Owned */
  GSettings *settings;
  RegardSession *session;
  RegardConversation *conv;
  GPtrArray *attachments;          /* RegardAttachment, in order */
  GCancellable *load_cancellable;
  GCancellable *attach_cancellable; /* reads of attached files; cancelled at dispose */
  GCancellable *ask_cancellable;   /* non-NULL while an answer streams */
  RegardMessage *answering;        /* the row an answer streams into */
  XdpPortal *portal;               /* created on the first screenshot */
  RegardDownload *download;        /* non-NULL while a model downloads */
  GCancellable *download_cancellable;
  char *last_notice;               /* the last toast or refusal, for tests */
  RegardWindowHistory *history;
  char *resume_repo;               /* an unfinished download to offer, or NULL */
  gint64 download_shown_us;        /* when the rate and time left last changed */
  guint download_pausing : 1;      /* the cancel is a pause: keep the .part files */
  guint download_discarding : 1;
  guint download_paused : 1;       /* the page shows a paused download */
  AdwToast *paused_toast;          /* weak: "Download paused", until resumed */   /* the cancel is a cancel: delete them */

  /* Borrowed, from the template */
  AdwToastOverlay *toast_overlay;
  AdwToastOverlay *chat_toast_overlay;  /* above the composer */
  AdwWindowTitle *window_title;
  GtkRevealer *cpu_banner;
  GtkLabel *cpu_banner_label;
  GtkStack *main_stack;
  AdwStatusPage *empty_page;
  AdwStatusPage *loading_page;
  GtkProgressBar *load_progress;
  GtkStack *transcript_stack;
  GtkScrolledWindow *transcript_scroller;
  GtkBox *transcript_box;
  GtkRevealer *scroll_down_revealer;
  GtkRevealer *pending_revealer;
  GtkBox *pending_box;
  GtkTextView *composer;
  GtkLabel *composer_placeholder;
  GtkStack *send_stop_stack;
  GtkRevealer *drop_revealer;
  GtkWidget *download_button;
  GtkWidget *resume_download_button;
  GtkWidget *pause_download_button;
  GtkWidget *cancel_load_button;
  GtkLabel *download_detail_label;

  /* Borrowed: a child of transcript_box */
  RegardMessage *last_answer;

  guint follow_id;                 /* idle: scroll to the end after growth */
  guint n_loading;                 /* attachments still decoding */
  guint n_messages;
  guint stick_to_bottom : 1;
  guint conv_ends_with_answer : 1;
  guint asking_ocr : 1;            /* the answer in flight extracts text */
  guint ocr_queued : 1;            /* extract text once ready */
};

void _regard_window_class_init_actions (GtkWidgetClass *widget_class);
void _regard_window_init_attach        (RegardWindow   *self);
void _regard_window_update_actions     (RegardWindow   *self);
void _regard_window_update_state       (RegardWindow   *self);
/* The composer's text, stripped (owned by the caller). */
char *_regard_window_get_question      (RegardWindow   *self);
void _regard_window_download           (RegardWindow   *self);
void _regard_window_class_init_download (GtkWidgetClass *widget_class);
void _regard_window_init_download      (RegardWindow   *self);
void _regard_window_finalize_download  (RegardWindow   *self);
void _regard_window_send               (RegardWindow   *self,
                                        gboolean        ocr);
void _regard_window_stop               (RegardWindow   *self);
void _regard_window_regenerate         (RegardWindow   *self);
void _regard_window_new_chat           (RegardWindow   *self);
void _regard_window_choose_model       (RegardWindow   *self);
void _regard_window_choose_images      (RegardWindow   *self);
void _regard_window_take_screenshot    (RegardWindow   *self);
void _regard_window_scroll_to_bottom   (RegardWindow   *self);
void _regard_window_toast              (RegardWindow   *self,
                                        const char     *title);
void _regard_window_add_toast          (RegardWindow   *self,
                                        AdwToast       *toast);
/* A refused image: says why (naming it) where the composer stays visible. */
void _regard_window_refuse_image       (RegardWindow   *self,
                                        const char     *message);
/* The question field, when the chat shows (after dialogs, sending). */
void _regard_window_focus_composer     (RegardWindow   *self);
void _regard_window_run_queued_ocr     (RegardWindow   *self);
void _regard_window_clear_attachments  (RegardWindow   *self);
void  regard_attachment_free           (RegardAttachment *attachment);

/* regard-window-history.c: the conversation history */
void _regard_window_class_init_history     (GtkWidgetClass *widget_class);
void _regard_window_init_history           (RegardWindow   *self);
void _regard_window_finalize_history       (RegardWindow   *self);
/* ATTACHMENTS: RegardAttachment, the question's images */
void _regard_window_history_question       (RegardWindow   *self,
                                            const char     *question,
                                            GPtrArray      *attachments);
void _regard_window_history_answer_started (RegardWindow   *self);
void _regard_window_history_token          (RegardWindow   *self);
/* STOP_REASON: regard_stop_reason_to_string (), or "error" (STATS NULL) */
void _regard_window_history_answer_done    (RegardWindow   *self,
                                            const char     *answer,
                                            const char     *stop_reason,
                                            const RegardAskStats *stats);
void _regard_window_history_new_chat       (RegardWindow   *self);

G_END_DECLS
