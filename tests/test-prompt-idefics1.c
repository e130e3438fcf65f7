/* test-prompt-idefics1.c: the original IDEFICS's prompt (idefics1-tiny):
 * image expansion with shared fake tokens, the per-token image index
 * (IdeficsProcessor's image_attention_mask), and every golden model case's
 * chat prompt, expanded text, ids (with the BOS rule) and image index. */
#include "test-text-golden.h"

#include "regard-error.h"
#include "rg-prompt.h"
#include "rg-prompt-idefics1.h"
#include "rg-safetensors.h"

static RgTokenizer *tok;
static JsonParser *manifest;
static JsonArray *cases;

#define FAKE RG_PROMPT_FAKE
#define IMG RG_PROMPT_IMAGE

static void
assert_expands (const char *text, const char *want)
{
  g_autofree char *got = rg_prompt_expand_idefics1 (text);

  g_assert_cmpstr (got, ==, want);
}

static void
test_expand_single (void)
{
  assert_expands ("User:" IMG "Describe.", "User:" FAKE IMG FAKE "Describe.");
  assert_expands (IMG, FAKE IMG FAKE);
  assert_expands ("no image", "no image");
  assert_expands ("", "");
}

/* P16: adjacent images share the fake token between them. */
static void
test_expand_adjacent (void)
{
  assert_expands ("a" IMG IMG "b", "a" FAKE IMG FAKE IMG FAKE "b");
  assert_expands (IMG IMG IMG, FAKE IMG FAKE IMG FAKE IMG FAKE);
  /* Anything between two placeholders, even a space, separates them. */
  assert_expands (IMG " " IMG, FAKE IMG FAKE " " FAKE IMG FAKE);
}

/* Literal fake tokens in the text are left alone (IDEFICS2's collapse of
 * doubled fake tokens is not IDEFICS1's rule). */
static void
test_expand_keeps_literal_fake (void)
{
  assert_expands (FAKE FAKE, FAKE FAKE);
  assert_expands (FAKE IMG, FAKE FAKE IMG FAKE);
}

static void
assert_index (const gint32 *ids, gsize n, guint n_images, const gint32 *want)
{
  g_autofree gint32 *got = g_new (gint32, n);

  rg_idefics1_image_index (ids, n, 32001, 2, n_images, got);
  for (gsize i = 0; i < n; i++)
    if (got[i] != want[i])
      g_error ("token %" G_GSIZE_FORMAT ": image %d, want %d", i, got[i], want[i]);
}

/* Tokens before the first <image> (its opening fake token too) attend
 * nothing; each later token the latest image. */
static void
test_index_latest_image (void)
{
  static const gint32 ids[] = { 1, 10, 32000, 32001, 32000, 32001, 32000, 11, 32002, 12 };
  static const gint32 want[] = { -1, -1, -1, 0, 0, 1, 1, 1, 1, 1 };

  assert_index (ids, G_N_ELEMENTS (ids), 2, want);
}

/* P15: </s> still attends; what follows attends nothing until the next
 * <image>; <end_of_utterance> resets nothing. */
static void
test_index_eos_resets (void)
{
  static const gint32 ids[] = { 1, 32000, 32001, 32000, 32002, 13, 2, 14, 32002, 32000, 32001, 15 };
  static const gint32 want[] = { -1, -1, 0, 0, 0, 0, 0, -1, -1, -1, 1, 1 };

  assert_index (ids, G_N_ELEMENTS (ids), 2, want);
}

/* More <image> tokens than images: the extra ones attend nothing (HF sets
 * indices >= num_images to -1). No image at all: all -1. */
static void
test_index_out_of_range (void)
{
  static const gint32 ids[] = { 1, 32001, 5, 32001, 6 };
  static const gint32 want1[] = { -1, 0, 0, -1, -1 };
  static const gint32 want0[] = { -1, -1, -1, -1, -1 };

  assert_index (ids, G_N_ELEMENTS (ids), 1, want1);
  assert_index (ids, G_N_ELEMENTS (ids), 0, want0);
}

static void
test_tokens_lookup (void)
{
  RgIdefics1Tokens t;
  g_autoptr(GError) error = NULL;
  g_autofree char *other = rg_test_fixture_path ("smolvlm-tiny/tokenizer.json");
  g_autoptr(RgTokenizer) smol = rg_tokenizer_new_from_file (other, &error);

  g_assert_true (rg_idefics1_tokens_lookup (tok, &t, &error));
  g_assert_no_error (error);
  g_assert_cmpint (t.image, ==, 32001);
  g_assert_cmpint (t.fake, ==, 32000);
  g_assert_cmpint (t.eos, ==, 2);
  g_assert_cmpint (t.end_of_utterance, ==, 32002);
  /* SmolVLM's tokenizer has <image> but no </s>. */
  g_assert_no_error (error);
  g_assert_false (rg_idefics1_tokens_lookup (smol, &t, &error));
  g_assert_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL);
  g_assert_nonnull (strstr (error->message, "not an IDEFICS tokenizer"));
}

/* generation_config.json says eos 2: <end_of_utterance> is added (the
 * instruct turns end with it), and the image tokens are banned, once. */
static void
test_generation_ids (void)
{
  RgIdefics1Tokens t = { .image = 32001, .fake = 32000, .eos = 2, .end_of_utterance = 32002 };
  RgIdefics1Tokens base = { .image = 32001, .fake = 32000, .eos = 2, .end_of_utterance = -1 };
  gint32 eos[3] = { 2 }, bad[3] = { 32001 };
  guint n_eos = 1, n_bad = 1;

  g_assert_true (rg_idefics1_generation_ids (&t, eos, &n_eos, 3, bad, &n_bad, 3));
  g_assert_cmpuint (n_eos, ==, 2);
  g_assert_cmpint (eos[1], ==, 32002);
  g_assert_cmpuint (n_bad, ==, 2);
  g_assert_cmpint (bad[1], ==, 32000);
  /* Idempotent; the base model has no <end_of_utterance>. */
  g_assert_true (rg_idefics1_generation_ids (&t, eos, &n_eos, 3, bad, &n_bad, 3));
  g_assert_cmpuint (n_eos, ==, 2);
  n_eos = 1;
  g_assert_true (rg_idefics1_generation_ids (&base, eos, &n_eos, 3, bad, &n_bad, 3));
  g_assert_cmpuint (n_eos, ==, 1);
  /* No room: refused, not overflowed. */
  n_eos = 1;
  g_assert_false (rg_idefics1_generation_ids (&t, eos, &n_eos, 1, bad, &n_bad, 3));
}

/* The case's chat prompt as a conversation: turns split at
 * "<end_of_utterance>\n", the role's ": " or ":" dropped, each <image>
 * an image part (its file is never read here). */
static RegardConversation *
conversation_from_chat (const char *chat, guint *n_images)
{
  RegardConversation *conv = regard_conversation_new ();
  g_auto(GStrv) turns = g_strsplit (chat, RG_PROMPT_END_OF_UTTERANCE "\n", -1);
  guint n = g_strv_length (turns);

  *n_images = 0;
  g_assert_cmpstr (turns[n - 1], ==, "Assistant:");
  for (guint t = 0; t + 1 < n; t++)
    {
      RegardRole role = g_str_has_prefix (turns[t], "User:") ? REGARD_ROLE_USER : REGARD_ROLE_ASSISTANT;
      const char *body = turns[t] + strlen (role == REGARD_ROLE_USER ? "User:" : "Assistant:");
      g_auto(GStrv) pieces = NULL;

      g_assert_true (role == REGARD_ROLE_USER || g_str_has_prefix (turns[t], "Assistant:"));
      if (*body == ' ')
        body++;
      pieces = g_strsplit (body, IMG, -1);
      for (guint k = 0; pieces[k]; k++)
        {
          if (k > 0)
            {
              regard_conversation_add_image_file (conv, role, "unused.png");
              (*n_images)++;
            }
          if (*pieces[k])
            regard_conversation_add_text (conv, role, pieces[k]);
        }
    }
  return conv;
}

static const RgTensorInfo *
golden_tensor (RgSafetensors *st, const char *name, RgDType dtype)
{
  const RgTensorInfo *t = rg_safetensors_find (st, name);

  g_assert_nonnull (t);
  g_assert_cmpint (t->dtype, ==, dtype);
  return t;
}

static void
test_golden_case (gconstpointer data)
{
  JsonObject *c = json_array_get_object_element (cases, GPOINTER_TO_UINT (data));
  const char *chat = json_object_get_string_member (c, "chat_prompt");
  guint n_images = (guint) json_object_get_int_member (c, "n_images");
  g_autofree char *rel = g_build_filename ("idefics1-tiny", json_object_get_string_member (c, "file"), NULL);
  g_autofree char *full = rg_test_fixture_path (rel);
  g_autoptr(RgSafetensors) st = NULL;
  g_autoptr(RegardConversation) conv = NULL;
  g_autofree char *rendered = NULL, *expanded = NULL, *with_bos = NULL;
  g_autofree gint32 *index = NULL;
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autoptr(GArray) want = rg_text_golden_ids (c, "input_ids");
  g_autoptr(GArray) want_index = rg_text_golden_ids (c, "image_index_per_token");
  g_autoptr(GError) error = NULL;
  g_autofree char *g = NULL, *w = NULL;
  const RgTensorInfo *mask, *tindex;
  guint conv_images, n_cols = MAX (n_images, 1);

  /* The chat template renders the conversation back to the chat prompt. */
  conv = conversation_from_chat (chat, &conv_images);
  g_assert_cmpuint (conv_images, ==, n_images);
  rendered = rg_prompt_render (conv, TRUE);
  g_assert_cmpstr (rendered, ==, chat);

  /* Expansion gives the processor's text (which starts with a literal
   * <s>: the tokenizer's BOS). */
  expanded = rg_prompt_expand_idefics1 (chat);
  g_assert_cmpstr (expanded, ==, json_object_get_string_member (c, "expanded_prompt"));
  with_bos = g_strconcat ("<s>", expanded, NULL);
  g_assert_cmpstr (with_bos, ==, json_object_get_string_member (c, "processor_full_text"));

  g_assert_true (rg_prompt_tokenize (tok, expanded, ids, &error));
  g_assert_no_error (error);
  g = rg_text_ids_to_string ((gint32 *) ids->data, ids->len);
  w = rg_text_ids_to_string ((gint32 *) want->data, want->len);
  g_assert_cmpstr (g, ==, w);

  index = g_new (gint32, ids->len);
  rg_idefics1_image_index ((gint32 *) ids->data, ids->len, 32001, 2, n_images, index);
  g_assert_cmpuint (want_index->len, ==, ids->len);
  g_assert_cmpmem (index, ids->len * sizeof (gint32), want_index->data, want_index->len * sizeof (gint32));

  /* The stored tensors: the index and the one-hot [L, max (n, 1)] mask. */
  st = rg_safetensors_open (full, &error);
  g_assert_no_error (error);
  tindex = golden_tensor (st, "image_index", RG_DTYPE_I64);
  mask = golden_tensor (st, "image_attention_mask", RG_DTYPE_U8);
  g_assert_cmpuint (tindex->n_elements, ==, ids->len);
  g_assert_cmpuint (mask->n_dims, ==, 2);
  g_assert_cmpint (mask->shape[0], ==, ids->len);
  g_assert_cmpint (mask->shape[1], ==, n_cols);
  for (guint t = 0; t < ids->len; t++)
    {
      gint64 v;

      memcpy (&v, (const guint8 *) tindex->data + (gsize) t * 8, 8);
      g_assert_cmpint (v, ==, index[t]);
      for (guint j = 0; j < n_cols; j++)
        g_assert_cmpuint (((const guint8 *) mask->data)[(gsize) t * n_cols + j], ==, index[t] == (gint32) j);
    }
  g_assert_cmpint (index[ids->len - 1], ==, json_object_get_int_member (c, "generation_image_index"));
}

int
main (int argc, char **argv)
{
  g_autofree char *tok_path = NULL, *path = NULL;
  g_autoptr(GError) error = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);
  tok_path = rg_test_fixture_path ("idefics1-tiny/tokenizer.json");
  tok = rg_tokenizer_new_from_file (tok_path, &error);
  g_assert_no_error (error);
  path = rg_test_fixture_path ("idefics1-tiny/golden/manifest.json");
  manifest = json_parser_new ();
  json_parser_load_from_file (manifest, path, &error);
  g_assert_no_error (error);
  cases = json_object_get_array_member (json_node_get_object (json_parser_get_root (manifest)), "model_cases");
  g_assert_cmpuint (json_array_get_length (cases), ==, 6);

  g_test_add_func ("/engine/prompt/idefics1/expand/single", test_expand_single);
  g_test_add_func ("/engine/prompt/idefics1/expand/adjacent-share-fake", test_expand_adjacent);
  g_test_add_func ("/engine/prompt/idefics1/expand/literal-fake-kept", test_expand_keeps_literal_fake);
  g_test_add_func ("/engine/prompt/idefics1/image-index/latest-image", test_index_latest_image);
  g_test_add_func ("/engine/prompt/idefics1/image-index/eos-resets", test_index_eos_resets);
  g_test_add_func ("/engine/prompt/idefics1/image-index/out-of-range", test_index_out_of_range);
  g_test_add_func ("/engine/prompt/idefics1/tokens/lookup", test_tokens_lookup);
  g_test_add_func ("/engine/prompt/idefics1/tokens/generation-ids", test_generation_ids);
  for (guint i = 0; i < json_array_get_length (cases); i++)
    {
      g_autofree char *tpath = g_strdup_printf ("/engine/prompt/idefics1/golden/%s",
                                                json_object_get_string_member (json_array_get_object_element (cases, i),
                                                                               "name"));
      g_test_add_data_func (tpath, GUINT_TO_POINTER (i), test_golden_case);
    }
  ret = g_test_run ();
  g_clear_object (&manifest);
  rg_tokenizer_free (tok);
  return ret;
}
