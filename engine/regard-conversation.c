/* regard-conversation.c: RegardConversation, a reference-counted list of
 * turns (see rg-conversation-private.h). */
#include "rg-conversation-private.h"

static void
part_free (gpointer data)
{
  RgConvPart *part = data;

  g_free (part->text);
  g_free (part->path);
  g_clear_pointer (&part->bytes, g_bytes_unref);
  g_free (part);
}

static void
turn_free (gpointer data)
{
  RgConvTurn *turn = data;

  g_ptr_array_unref (turn->parts);
  g_free (turn);
}

static void
conversation_clear (gpointer data)
{
  RegardConversation *conv = data;

  g_ptr_array_unref (conv->turns);
}

RegardConversation *
regard_conversation_new (void)
{
  RegardConversation *conv = g_atomic_rc_box_new0 (RegardConversation);

  conv->turns = g_ptr_array_new_with_free_func (turn_free);
  return conv;
}

RegardConversation *
regard_conversation_ref (RegardConversation *conv)
{
  g_return_val_if_fail (conv != NULL, NULL);
  return g_atomic_rc_box_acquire (conv);
}

void
regard_conversation_unref (RegardConversation *conv)
{
  if (conv != NULL)
    g_atomic_rc_box_release_full (conv, conversation_clear);
}

/* The last turn when it has ROLE, else a new one. */
static RgConvTurn *
turn_for_role (RegardConversation *conv, RegardRole role)
{
  RgConvTurn *turn;

  if (conv->turns->len > 0)
    {
      turn = g_ptr_array_index (conv->turns, conv->turns->len - 1);
      if (turn->role == role)
        return turn;
    }
  turn = g_new0 (RgConvTurn, 1);
  turn->role = role;
  turn->parts = g_ptr_array_new_with_free_func (part_free);
  g_ptr_array_add (conv->turns, turn);
  return turn;
}

static gboolean
role_is_valid (RegardRole role)
{
  return role == REGARD_ROLE_USER || role == REGARD_ROLE_ASSISTANT;
}

static void
add_part (RegardConversation *conv, RegardRole role, RgConvPart *part)
{
  g_ptr_array_add (turn_for_role (conv, role)->parts, part);
}

void
regard_conversation_add_text (RegardConversation *conv, RegardRole role, const char *text)
{
  RgConvPart *part;

  g_return_if_fail (conv != NULL);
  g_return_if_fail (role_is_valid (role));
  g_return_if_fail (text != NULL);
  g_return_if_fail (g_utf8_validate (text, -1, NULL));

  part = g_new0 (RgConvPart, 1);
  part->kind = RG_PART_TEXT;
  part->text = g_strdup (text);
  add_part (conv, role, part);
}

void
regard_conversation_add_image_file (RegardConversation *conv, RegardRole role, const char *path)
{
  RgConvPart *part;

  g_return_if_fail (conv != NULL);
  g_return_if_fail (role_is_valid (role));
  g_return_if_fail (path != NULL);

  part = g_new0 (RgConvPart, 1);
  part->kind = RG_PART_IMAGE_FILE;
  part->path = g_strdup (path);
  add_part (conv, role, part);
}

void
regard_conversation_add_image_bytes (RegardConversation *conv, RegardRole role, GBytes *bytes)
{
  RgConvPart *part;

  g_return_if_fail (conv != NULL);
  g_return_if_fail (role_is_valid (role));
  g_return_if_fail (bytes != NULL);

  part = g_new0 (RgConvPart, 1);
  part->kind = RG_PART_IMAGE_BYTES;
  part->bytes = g_bytes_ref (bytes);
  add_part (conv, role, part);
}

void
regard_conversation_pop_turn (RegardConversation *conv)
{
  g_return_if_fail (conv != NULL);

  if (conv->turns->len > 0)
    g_ptr_array_remove_index (conv->turns, conv->turns->len - 1);
}

guint
regard_conversation_get_n_turns (RegardConversation *conv)
{
  g_return_val_if_fail (conv != NULL, 0);
  return conv->turns->len;
}

void
regard_conversation_clear (RegardConversation *conv)
{
  g_return_if_fail (conv != NULL);
  g_ptr_array_set_size (conv->turns, 0);
}

RegardConversation *
rg_conversation_copy (RegardConversation *conv)
{
  RegardConversation *copy = regard_conversation_new ();

  for (guint t = 0; t < conv->turns->len; t++)
    {
      RgConvTurn *turn = g_ptr_array_index (conv->turns, t);
      RgConvTurn *dst = g_new0 (RgConvTurn, 1);

      dst->role = turn->role;
      dst->parts = g_ptr_array_new_with_free_func (part_free);
      for (guint p = 0; p < turn->parts->len; p++)
        {
          RgConvPart *part = g_ptr_array_index (turn->parts, p);
          RgConvPart *q = g_new0 (RgConvPart, 1);

          q->kind = part->kind;
          q->text = g_strdup (part->text);
          q->path = g_strdup (part->path);
          q->bytes = part->bytes ? g_bytes_ref (part->bytes) : NULL;
          g_ptr_array_add (dst->parts, q);
        }
      g_ptr_array_add (copy->turns, dst);
    }
  return copy;
}

GPtrArray *
rg_conversation_list_images (RegardConversation *conv)
{
  GPtrArray *images = g_ptr_array_new ();

  for (guint t = 0; t < conv->turns->len; t++)
    {
      RgConvTurn *turn = g_ptr_array_index (conv->turns, t);
      for (guint p = 0; p < turn->parts->len; p++)
        {
          RgConvPart *part = g_ptr_array_index (turn->parts, p);
          if (rg_conv_part_is_image (part))
            g_ptr_array_add (images, part);
        }
    }
  return images;
}

guint
rg_conversation_count_images (RegardConversation *conv)
{
  g_autoptr(GPtrArray) images = rg_conversation_list_images (conv);
  return images->len;
}

const char *
rg_role_name (RegardRole role)
{
  return role == REGARD_ROLE_ASSISTANT ? "Assistant" : "User";
}
