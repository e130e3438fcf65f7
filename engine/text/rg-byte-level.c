/* rg-byte-level.c: GPT-2 byte-level pieces (see rg-byte-level.h).
 *
 * Character classes follow Oniguruma's Unicode mode, which HF tokenizers
 * use: \s is the White_Space property, \p{L} and \p{N} the L* and N*
 * general categories (GLib's tables). */
#include "rg-byte-level.h"

#include <string.h>

/* GPT-2's bytes_to_unicode: printable Latin-1 bytes map to themselves, the
 * others, in byte order, to U+0100 onwards. */
#define TABLE_LIMIT (256 + 68)

static gunichar byte_to_char[256];
static gint16 char_to_byte[TABLE_LIMIT];

static void
tables_init (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      guint n = 0;

      for (guint c = 0; c < TABLE_LIMIT; c++)
        char_to_byte[c] = -1;
      for (guint b = 0; b < 256; b++)
        {
          gboolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
          gunichar c = printable ? b : 256 + n++;

          byte_to_char[b] = c;
          char_to_byte[c] = (gint16) b;
        }
      g_once_init_leave (&done, 1);
    }
}

void
rg_byte_level_encode (GString *out, const char *bytes, gsize len)
{
  tables_init ();
  for (gsize i = 0; i < len; i++)
    g_string_append_unichar (out, byte_to_char[(guint8) bytes[i]]);
}

gboolean
rg_byte_level_decode_token (GByteArray *out, const char *token)
{
  guint start = out->len;

  tables_init ();
  for (const char *p = token; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      guint8 b;

      if (c >= TABLE_LIMIT || char_to_byte[c] < 0)
        {
          g_byte_array_set_size (out, start);
          return FALSE;
        }
      b = (guint8) char_to_byte[c];
      g_byte_array_append (out, &b, 1);
    }
  return TRUE;
}

/* ---- pre-tokenization -------------------------------------------------- */

typedef enum { CLS_SPACE, CLS_LETTER, CLS_NUMBER, CLS_OTHER } CharClass;

static gboolean
is_white_space (gunichar c)
{
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
         c == 0x205F || c == 0x3000;
}

static gboolean
is_numeric (gunichar c)
{
  GUnicodeType t = g_unichar_type (c);
  return t == G_UNICODE_DECIMAL_NUMBER || t == G_UNICODE_LETTER_NUMBER || t == G_UNICODE_OTHER_NUMBER;
}

static CharClass
char_class (gunichar c)
{
  if (is_white_space (c))
    return CLS_SPACE;
  if (is_numeric (c))
    return CLS_NUMBER;
  switch (g_unichar_type (c))
    {
    case G_UNICODE_LOWERCASE_LETTER:
    case G_UNICODE_UPPERCASE_LETTER:
    case G_UNICODE_TITLECASE_LETTER:
    case G_UNICODE_MODIFIER_LETTER:
    case G_UNICODE_OTHER_LETTER:
      return CLS_LETTER;
    default:
      return CLS_OTHER;
    }
}

/* End of the run of class CLS starting at P (P itself is of that class). */
static const char *
run_end (const char *p, const char *end, CharClass cls)
{
  while (p < end && char_class (g_utf8_get_char (p)) == cls)
    p = g_utf8_next_char (p);
  return p;
}

/* End of the regex match starting at P (always past P). */
static const char *
match_at (const char *p, const char *end)
{
  gunichar c = g_utf8_get_char (p);
  CharClass cls = char_class (c);
  const char *next = g_utf8_next_char (p);

  if (c == '\'' && next < end)
    {
      if (strchr ("stmd", *next))
        return next + 1;
      if (end - next >= 2 && (strncmp (next, "re", 2) == 0 || strncmp (next, "ve", 2) == 0 ||
                              strncmp (next, "ll", 2) == 0))
        return next + 2;
    }
  /* " ?\p{L}+", " ?\p{N}+", " ?[^\s\p{L}\p{N}]+": the space joins a
   * following run of any of the three classes. */
  if (c == ' ' && next < end)
    {
      CharClass after = char_class (g_utf8_get_char (next));
      if (after != CLS_SPACE)
        return run_end (next, end, after);
    }
  if (cls != CLS_SPACE)
    return run_end (p, end, cls);

  /* "\s+(?!\S)" backs off one char before a non-space, unless that leaves
   * nothing; then "\s+" takes the single space. */
  {
    const char *r = run_end (p, end, CLS_SPACE);
    const char *last;

    if (r == end)
      return r;
    last = g_utf8_prev_char (r);
    return last > p ? last : r;
  }
}

static void
split_regex (const char *text, gsize len, gboolean use_regex, RgWordFunc func, gpointer user_data)
{
  const char *end = text + len;

  if (len == 0)
    return;
  if (!use_regex)
    {
      func (text, len, user_data);
      return;
    }
  for (const char *p = text; p < end;)
    {
      const char *m = match_at (p, end);
      func (p, (gsize) (m - p), user_data);
      p = m;
    }
}

void
rg_byte_level_split (const char *text, gsize len, RgDigitsMode mode, gboolean use_regex,
                     RgWordFunc func, gpointer user_data)
{
  const char *end = text + len, *piece = text;

  tables_init ();
  if (mode == RG_DIGITS_NONE)
    {
      split_regex (text, len, use_regex, func, user_data);
      return;
    }
  for (const char *p = text; p < end;)
    {
      const char *next = g_utf8_next_char (p);

      if (!is_numeric (g_utf8_get_char (p)))
        {
          p = next;
          continue;
        }
      split_regex (piece, (gsize) (p - piece), use_regex, func, user_data);
      if (mode == RG_DIGITS_CONTIGUOUS)
        while (next < end && is_numeric (g_utf8_get_char (next)))
          next = g_utf8_next_char (next);
      split_regex (p, (gsize) (next - p), use_regex, func, user_data);
      piece = p = next;
    }
  split_regex (piece, (gsize) (end - piece), use_regex, func, user_data);
}

/* ---- lossy UTF-8 ------------------------------------------------------- */

/* Length of the valid sequence at P, or 0; *BAD receives the length of the
 * maximal invalid subpart (at least 1) when invalid, and *TRUNCATED (when
 * not NULL) whether it is invalid only because the bytes ran out. */
static gsize
utf8_seq_ex (const guint8 *p, gsize left, gsize *bad, gboolean *truncated)
{
  guint8 b = p[0];
  gsize need;
  guint8 lo = 0x80, hi = 0xBF;

  *bad = 1;
  if (b < 0x80)
    return 1;
  if (b >= 0xC2 && b <= 0xDF)
    need = 2;
  else if (b >= 0xE0 && b <= 0xEF)
    {
      need = 3;
      if (b == 0xE0)
        lo = 0xA0;
      else if (b == 0xED)
        hi = 0x9F;
    }
  else if (b >= 0xF0 && b <= 0xF4)
    {
      need = 4;
      if (b == 0xF0)
        lo = 0x90;
      else if (b == 0xF4)
        hi = 0x8F;
    }
  else
    return 0;

  for (gsize i = 1; i < need; i++)
    {
      guint8 c;

      if (i >= left)
        {
          if (truncated)
            *truncated = TRUE;
          return 0;
        }
      c = p[i];
      if (c < (i == 1 ? lo : 0x80) || c > (i == 1 ? hi : 0xBF))
        return 0;
      *bad = i + 1;
    }
  return need;
}

static gsize
utf8_seq (const guint8 *p, gsize left, gsize *bad)
{
  return utf8_seq_ex (p, left, bad, NULL);
}

gsize
rg_utf8_lossy_settled (const guint8 *bytes, gsize len)
{
  gsize i = 0;

  while (i < len)
    {
      gboolean truncated = FALSE;
      gsize bad, n = utf8_seq_ex (bytes + i, len - i, &bad, &truncated);

      if (truncated)
        return i;
      i += n > 0 ? n : bad;
    }
  return len;
}

void
rg_utf8_append_lossy (GString *out, const guint8 *bytes, gsize len)
{
  gsize i = 0;

  while (i < len)
    {
      gsize bad, n = utf8_seq (bytes + i, len - i, &bad);

      if (n > 0)
        {
          g_string_append_len (out, (const char *) bytes + i, (gssize) n);
          i += n;
        }
      else
        {
          g_string_append (out, "\xef\xbf\xbd");
          i += bad;
        }
    }
}
