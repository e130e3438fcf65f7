/* rg-history-export.c: a chat as Markdown, its images in a folder beside
 * the file so the export stands on its own. */
#include "rg-history-private.h"

#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>

/* A file name from a title: no separators, no control characters, no
 * leading dot, at most 80 characters; "chat-ID" when nothing is left. */
static char *
file_stem (const RegardHistoryChat *chat)
{
  g_autoptr(GString) out = g_string_new (NULL);
  guint n = 0;

  for (const char *p = chat->title; *p && n < 80; p = g_utf8_next_char (p), n++)
    {
      gunichar c = g_utf8_get_char (p);

      if (c == '/' || c == '\\' || c == ':' || g_unichar_iscntrl (c)
          || (out->len == 0 && (c == '.' || g_unichar_isspace (c))))
        g_string_append_c (out, out->len ? '_' : ' ');
      else
        g_string_append_unichar (out, c);
    }
  g_strstrip (out->str);
  if (out->str[0] == '\0')
    return g_strdup_printf ("chat-%" G_GINT64_FORMAT, chat->id);
  return g_strdup (out->str);
}

/* Text as a Markdown paragraph: kept as typed, but lines that Markdown
 * would read as headings or rules are escaped. */
static void
append_text (GString *md, const char *text)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i]; i++)
    {
      const char *l = lines[i];

      if (l[0] == '#' || g_str_has_prefix (l, "---") || g_str_has_prefix (l, "==="))
        g_string_append_c (md, '\\');
      g_string_append (md, l);
      /* Two spaces: keep the model's line breaks as breaks. */
      g_string_append (md, lines[i + 1] ? "  \n" : "\n");
    }
}

char *
regard_history_export_markdown (RegardHistory *history, gint64 chat_id, const char *out_dir,
                                GError **error)
{
  g_autoptr(RegardHistoryChat) chat = regard_history_get_chat (history, chat_id, error);
  g_autoptr(GPtrArray) turns = NULL;
  g_autoptr(GString) md = g_string_new (NULL);
  g_autofree char *stem = NULL;
  g_autofree char *md_path = NULL;
  g_autofree char *images_name = NULL;
  g_autofree char *images_path = NULL;
  g_autoptr(GDateTime) created = NULL;
  g_autofree char *created_text = NULL;

  if (chat == NULL)
    return NULL;
  turns = regard_history_get_turns (history, chat_id, error);
  if (turns == NULL)
    return NULL;
  if (g_mkdir_with_parents (out_dir, 0755) != 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Cannot create %s: %s", out_dir, g_strerror (saved));
      return NULL;
    }
  stem = file_stem (chat);
  md_path = g_strdup_printf ("%s/%s.md", out_dir, stem);
  images_name = g_strdup_printf ("%s-images", stem);
  images_path = g_build_filename (out_dir, images_name, NULL);

  created = g_date_time_new_from_unix_local (chat->created_us / G_USEC_PER_SEC);
  created_text = created ? g_date_time_format (created, "%Y-%m-%d %H:%M") : g_strdup ("?");
  g_string_append_printf (md, "# %s\n\n", *chat->title ? chat->title : stem);
  g_string_append_printf (md, "*%s", created_text);
  if (*chat->model_id)
    g_string_append_printf (md, " · %s", chat->model_id);
  if (*chat->weight_format)
    g_string_append_printf (md, " (%s)", chat->weight_format);
  g_string_append (md, "*\n");

  for (guint i = 0; i < turns->len; i++)
    {
      RegardHistoryTurn *turn = g_ptr_array_index (turns, i);

      g_string_append (md, "\n---\n\n**Question**\n\n");
      for (guint k = 0; turn->images[k]; k++)
        {
          g_autofree char *base = g_path_get_basename (turn->images[k]);
          g_autofree char *dest = g_build_filename (images_path, base, NULL);
          g_autofree char *data = NULL;
          gsize size = 0;

          if (g_mkdir_with_parents (images_path, 0755) != 0)
            {
              int saved = errno;
              g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                           "Cannot create %s: %s", images_path, g_strerror (saved));
              return NULL;
            }
          if (!g_file_get_contents (turn->images[k], &data, &size, error)
              || !g_file_set_contents (dest, data, (gssize) size, error))
            return NULL;
          g_string_append_printf (md, "![Image %u](<%s/%s>)\n\n", k + 1, images_name, base);
        }
      append_text (md, turn->question);
      g_string_append (md, "\n**Answer**\n\n");
      append_text (md, turn->answer);
      if (!turn->finished || strcmp (turn->stop_reason, "eos") != 0)
        g_string_append_printf (md, "\n*(stopped: %s)*\n", turn->stop_reason);
    }
  if (!g_file_set_contents (md_path, md->str, (gssize) md->len, error))
    return NULL;
  return g_steal_pointer (&md_path);
}
