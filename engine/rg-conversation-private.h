/* rg-conversation-private.h: what a RegardConversation holds, for the engine
 * and the prompt builder.
 *
 * A conversation is a list of turns; a turn has one role and its parts in
 * the order they were added. Consecutive additions with the same role go to
 * the same turn. Images are either a file path or encoded bytes; they are
 * decoded only when an ask runs. */
#pragma once

#include "regard-engine.h"

G_BEGIN_DECLS

typedef enum
{
  RG_PART_TEXT,
  RG_PART_IMAGE_FILE,
  RG_PART_IMAGE_BYTES,
} RgPartKind;

typedef struct
{
  RgPartKind kind;
  char *text;      /* RG_PART_TEXT */
  char *path;      /* RG_PART_IMAGE_FILE */
  GBytes *bytes;   /* RG_PART_IMAGE_BYTES */
} RgConvPart;

typedef struct
{
  RegardRole role;
  GPtrArray *parts;  /* RgConvPart *, owned */
} RgConvTurn;

struct _RegardConversation
{
  GPtrArray *turns;  /* RgConvTurn *, owned */
};

static inline gboolean
rg_conv_part_is_image (const RgConvPart *part)
{
  return part->kind != RG_PART_TEXT;
}

/* A deep copy (image bytes shared by reference), e.g. the snapshot an ask
 * works on while the caller keeps editing its conversation. */
RegardConversation *rg_conversation_copy (RegardConversation *conv);
/* Number of image parts over all turns. */
guint rg_conversation_count_images (RegardConversation *conv);
/* The image parts over all turns in order (borrowed RgConvPart *). */
GPtrArray *rg_conversation_list_images (RegardConversation *conv);
/* "User" / "Assistant", as the chat template capitalizes the role. */
const char *rg_role_name (RegardRole role);

G_END_DECLS
