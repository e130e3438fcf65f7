/* test-text-golden.h: reading golden/tokenizer_cases.json for the text
 * tests (tokenizer, detokenizer).
 *
 * json-glib cuts strings at an escaped U+0000 ("\u0000"), which two cases
 * contain, so the strings of one key are also read straight from the raw
 * file, in document order, with a small JSON string-literal decoder. */
#pragma once

#include <json-glib/json-glib.h>
#include <string.h>

#include "rg-tokenizer.h"
#include "test-common.h"

typedef struct
{
  GBytes *raw;
  JsonParser *parser;
  JsonArray *encode_cases;
  JsonArray *decode_cases;
} RgTextGolden;

static inline RgTokenizer *
rg_text_golden_tokenizer (void)
{
  g_autofree char *path = rg_test_fixture_path ("idefics2-tiny/tokenizer.json");
  g_autoptr(GError) error = NULL;
  RgTokenizer *tok = rg_tokenizer_new_from_file (path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (tok);
  return tok;
}

/* REL: the cases file, relative to tests/fixtures. */
static inline void
rg_text_golden_load_from (RgTextGolden *g, const char *rel)
{
  g_autofree char *path = rg_test_fixture_path (rel);
  g_autoptr(GError) error = NULL;
  gsize len;
  const char *data;
  JsonObject *root;

  g->raw = rg_test_read_file (path);
  data = g_bytes_get_data (g->raw, &len);
  g->parser = json_parser_new ();
  json_parser_load_from_data (g->parser, data, (gssize) len, &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (g->parser));
  g->encode_cases = json_object_get_array_member (root, "encode_cases");
  g->decode_cases = json_object_get_array_member (root, "decode_cases");
  g_assert_nonnull (g->encode_cases);
  g_assert_nonnull (g->decode_cases);
}

static inline void
rg_text_golden_load (RgTextGolden *g)
{
  rg_text_golden_load_from (g, "idefics2-tiny/golden/tokenizer_cases.json");
}

static inline void
rg_text_golden_clear (RgTextGolden *g)
{
  g_clear_pointer (&g->raw, g_bytes_unref);
  g_clear_object (&g->parser);
}

static inline int
rg_text_hex4 (const char *p)
{
  int v = 0;

  for (int i = 0; i < 4; i++)
    {
      int d = g_ascii_xdigit_value (p[i]);
      g_assert_cmpint (d, >=, 0);
      v = v * 16 + d;
    }
  return v;
}

/* The string values of every "KEY": member of the raw file, in order, as
 * GBytes (exact bytes, NULs included). A "KEY": inside a string literal is
 * written \"KEY\": and cannot match. */
static inline GPtrArray *
rg_text_golden_raw_strings (const RgTextGolden *g, const char *key)
{
  gsize len;
  const char *data = g_bytes_get_data (g->raw, &len);
  const char *end = data + len;
  g_autofree char *pattern = g_strdup_printf ("\"%s\":", key);
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  const char *p = data;

  while ((p = g_strstr_len (p, end - p, pattern)) != NULL)
    {
      GString *s = g_string_new (NULL);

      p += strlen (pattern);
      while (p < end && g_ascii_isspace (*p))
        p++;
      g_assert_true (p < end && *p == '"');
      for (p++; p < end && *p != '"'; p++)
        {
          if (*p != '\\')
            {
              g_string_append_c (s, *p);
              continue;
            }
          p++;
          g_assert_true (p < end);
          switch (*p)
            {
            case 'n': g_string_append_c (s, '\n'); break;
            case 'r': g_string_append_c (s, '\r'); break;
            case 't': g_string_append_c (s, '\t'); break;
            case 'b': g_string_append_c (s, '\b'); break;
            case 'f': g_string_append_c (s, '\f'); break;
            case 'u':
              {
                gunichar c;
                char buf[8];
                int n;

                g_assert_true (end - p > 4);
                c = (gunichar) rg_text_hex4 (p + 1);
                p += 4;
                if (c >= 0xD800 && c < 0xDC00)
                  {
                    g_assert_true (end - p > 6 && p[1] == '\\' && p[2] == 'u');
                    c = 0x10000 + ((c - 0xD800) << 10) + ((gunichar) rg_text_hex4 (p + 3) - 0xDC00);
                    p += 6;
                  }
                n = g_unichar_to_utf8 (c, buf);
                g_string_append_len (s, buf, n);
                break;
              }
            default: g_string_append_c (s, *p); break;  /* \" \\ \/ */
            }
        }
      g_assert_true (p < end);
      g_ptr_array_add (out, g_string_free_to_bytes (s));
    }
  return out;
}

/* A gint32 GArray of a JSON array of integers. */
static inline GArray *
rg_text_golden_ids (JsonObject *obj, const char *member)
{
  JsonArray *arr = json_object_get_array_member (obj, member);
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint32));

  g_assert_nonnull (arr);
  for (guint i = 0; i < json_array_get_length (arr); i++)
    {
      gint32 v = (gint32) json_array_get_int_element (arr, i);
      g_array_append_val (ids, v);
    }
  return ids;
}

/* "[1, 2, 3]" for failure messages. */
static inline char *
rg_text_ids_to_string (const gint32 *ids, gsize n)
{
  GString *s = g_string_new ("[");

  for (gsize i = 0; i < n; i++)
    g_string_append_printf (s, "%s%d", i ? ", " : "", ids[i]);
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}
