/* test-engine-common.c: see test-engine-common.h. */
#include "test-engine-common.h"

#include "test-common.h"

typedef struct
{
  GArray *ids;
  GString *text;
  GAsyncResult *result;
} AskState;

static void
on_token (gint32 id, const char *text, gpointer data)
{
  AskState *st = data;

  g_array_append_val (st->ids, id);
  g_string_append (st->text, text);
}

static void
on_done (GObject *source, GAsyncResult *result, gpointer data)
{
  ((AskState *) data)->result = g_object_ref (result);
}

gboolean
rg_test_ask_sync (RegardEngine *engine, RegardConversation *conv, const RegardAskParams *params,
                  GArray **ids, char **text, RegardAskStats *stats, GError **error)
{
  g_autoptr(GMainContext) ctx = g_main_context_new ();
  AskState st = { g_array_new (FALSE, FALSE, sizeof (gint32)), g_string_new (NULL), NULL };
  gboolean ok;

  g_main_context_push_thread_default (ctx);
  regard_engine_ask_async (engine, conv, params, NULL, on_token, &st, NULL, on_done, &st);
  while (st.result == NULL)
    g_main_context_iteration (ctx, TRUE);
  g_main_context_pop_thread_default (ctx);
  ok = regard_engine_ask_finish (engine, st.result, stats, error);
  g_object_unref (st.result);
  *ids = st.ids;
  *text = g_string_free (st.text, FALSE);
  return ok;
}

void
rg_test_engine_check_golden (RegardEngine *engine, JsonObject *c, RegardConversation *conv,
                             RegardAskParams params)
{
  JsonArray *expect = json_object_get_array_member (c, "generated_ids");
  g_autoptr(GArray) ids = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  RegardAskStats stats;

  params.max_new_tokens = 24;
  g_assert_true (rg_test_ask_sync (engine, conv, &params, &ids, &text, &stats, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.prompt_tokens + stats.cached_tokens, ==, json_object_get_int_member (c, "input_ids_len"));
  g_assert_cmpuint (ids->len, ==, json_array_get_length (expect));
  for (guint i = 0; i < ids->len; i++)
    if (g_array_index (ids, gint32, i) != json_array_get_int_element (expect, i))
      g_error ("token %u: got %d, expected %" G_GINT64_FORMAT, i, g_array_index (ids, gint32, i),
               json_array_get_int_element (expect, i));
  g_assert_cmpstr (text, ==, json_object_get_string_member (c, "generated_text_skip_special"));
}

GString *
rg_test_ids_string (GArray *ids)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < ids->len; i++)
    g_string_append_printf (s, "%d ", g_array_index (ids, gint32, i));
  return s;
}
