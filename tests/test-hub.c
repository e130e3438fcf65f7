/* The hub's answers and Regard's choice of files, without a network: repo
 * ids that cannot escape the models folder, the revision JSON (with and
 * without blobs=true), the files kept, the index's shards, ETags. */
#include "test-common.h"

#include <string.h>

#include "rg-hub.h"

static GBytes *
bytes (const char *s)
{
  return g_bytes_new (s, strlen (s));
}

static void
test_repo_ids (void)
{
  g_assert_true (rg_hub_repo_id_is_valid ("HuggingFaceM4/idefics2-8b"));
  g_assert_true (rg_hub_repo_id_is_valid ("gpt2"));
  g_assert_true (rg_hub_repo_id_is_valid ("a_b/c.d-e"));
  g_assert_false (rg_hub_repo_id_is_valid (NULL));
  g_assert_false (rg_hub_repo_id_is_valid (""));
  g_assert_false (rg_hub_repo_id_is_valid ("../etc"));
  g_assert_false (rg_hub_repo_id_is_valid ("a/../b"));
  g_assert_false (rg_hub_repo_id_is_valid ("a/b/c"));
  g_assert_false (rg_hub_repo_id_is_valid ("/abs"));
  g_assert_false (rg_hub_repo_id_is_valid ("a/"));
  g_assert_false (rg_hub_repo_id_is_valid (".hidden/x"));
  g_assert_false (rg_hub_repo_id_is_valid ("a b/c"));
}

static void
test_repo_ref_parse (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *repo = NULL;
  g_autofree char *rev = NULL;

  g_assert_true (regard_repo_ref_parse ("o/n@refs/pr/1", &repo, &rev, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (repo, ==, "o/n");
  g_assert_cmpstr (rev, ==, "refs/pr/1");
  g_clear_pointer (&repo, g_free);
  g_clear_pointer (&rev, g_free);

  g_assert_true (regard_repo_ref_parse ("o/n", &repo, &rev, &error));
  g_assert_null (rev);

  g_assert_false (regard_repo_ref_parse ("o/n@", NULL, NULL, &error));
  g_assert_error (error, REGARD_DOWNLOAD_ERROR, REGARD_DOWNLOAD_ERROR_INVALID_REPO);
}

static void
test_urls (void)
{
  g_autofree char *api = rg_hub_api_url ("https://hf.co/", "o/n", "refs/pr/1");
  g_autofree char *file = rg_hub_resolve_url ("https://hf.co", "o/n", "main", "sub dir/a.json");

  g_assert_cmpstr (api, ==, "https://hf.co/api/models/o/n/revision/refs%2Fpr%2F1?blobs=true");
  g_assert_cmpstr (file, ==, "https://hf.co/o/n/resolve/main/sub%20dir/a.json");
}

static void
test_etag (void)
{
  const char *hex = "4A5B0F8E5C3F3B8E1A2B3C4D5E6F708192A3B4C5D6E7F8091A2B3C4D5E6F7081";
  g_autofree char *quoted = g_strdup_printf ("\"%s\"", hex);
  g_autofree char *weak = g_strdup_printf ("W/\"%s\"", hex);
  g_autofree char *a = rg_hub_etag_to_sha256 (quoted);
  g_autofree char *b = rg_hub_etag_to_sha256 (weak);
  g_autofree char *c = rg_hub_etag_to_sha256 ("\"a3f5c1d2e4b6a8c0e2f4a6b8c0d2e4f6a8b0c2d4\"");
  g_autofree char *want = g_ascii_strdown (hex, -1);

  g_assert_cmpstr (a, ==, want);
  g_assert_cmpstr (b, ==, want);
  /* A git blob id (40 hex) is no SHA-256. */
  g_assert_null (c);
  g_assert_null (rg_hub_etag_to_sha256 (NULL));
}

static const char sharded_json[] =
  "{\"sha\":\"abc\",\"siblings\":["
  "{\"rfilename\":\".gitattributes\",\"size\":1519},"
  "{\"rfilename\":\"README.md\"},"
  "{\"rfilename\":\"config.json\",\"size\":1551},"
  "{\"rfilename\":\"tokenizer.json\",\"size\":1795882},"
  "{\"rfilename\":\"tokenizer.model\",\"size\":499723},"
  "{\"rfilename\":\"processor_config.json\"},"
  "{\"rfilename\":\"pytorch_model.bin\"},"
  "{\"rfilename\":\"model.safetensors\"},"
  "{\"rfilename\":\"model.safetensors.index.json\",\"size\":8268},"
  "{\"rfilename\":\"model-00001-of-00002.safetensors\",\"size\":1,"
  " \"lfs\":{\"sha256\":\"" "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" "\",\"size\":4741788}}"
  "]}";

static void
test_revision_parse (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) json = bytes (sharded_json);
  g_autoptr(RgHubRevision) rev = rg_hub_revision_parse (json, &error);
  RgHubFile *f;

  g_assert_no_error (error);
  g_assert_cmpstr (rev->sha, ==, "abc");
  g_assert_cmpuint (rev->siblings->len, ==, 10);
  f = rg_hub_revision_lookup (rev, "README.md");
  g_assert_cmpint (f->size, ==, -1);
  g_assert_null (f->sha256);
  /* The LFS size and hash win over the pointer file's. */
  f = rg_hub_revision_lookup (rev, "model-00001-of-00002.safetensors");
  g_assert_cmpint (f->size, ==, 4741788);
  g_assert_cmpstr (f->sha256, ==, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
}

static void
test_revision_parse_rejects (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) not_json = bytes ("<html>");
  g_autoptr(GBytes) no_siblings = bytes ("{\"sha\":\"x\"}");

  g_assert_null (rg_hub_revision_parse (not_json, &error));
  g_assert_error (error, REGARD_DOWNLOAD_ERROR, REGARD_DOWNLOAD_ERROR_FAILED);
  g_clear_error (&error);
  g_assert_null (rg_hub_revision_parse (no_siblings, &error));
  g_assert_error (error, REGARD_DOWNLOAD_ERROR, REGARD_DOWNLOAD_ERROR_FAILED);
}

static void
test_choose_sharded (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) json = bytes (sharded_json);
  g_autoptr(RgHubRevision) rev = rg_hub_revision_parse (json, &error);
  g_autoptr(GPtrArray) files = NULL;
  gboolean has_index = FALSE;
  g_autoptr(GString) names = g_string_new (NULL);

  files = rg_hub_choose_files (rev, "o/n", &has_index, &error);
  g_assert_no_error (error);
  g_assert_true (has_index);
  for (guint i = 0; i < files->len; i++)
    g_string_append_printf (names, "%s ", ((RgHubFile *) g_ptr_array_index (files, i))->name);
  /* Known files in a fixed order, the index last; no .bin, README or
   * stray model.safetensors. */
  g_assert_cmpstr (names->str, ==,
                   "config.json processor_config.json tokenizer.json model.safetensors.index.json ");
}

static void
test_choose_single (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) json = bytes ("{\"siblings\":[{\"rfilename\":\"model.safetensors\"},"
                                  "{\"rfilename\":\"config.json\"}]}");
  g_autoptr(RgHubRevision) rev = rg_hub_revision_parse (json, &error);
  g_autoptr(GPtrArray) files = NULL;
  gboolean has_index = TRUE;

  files = rg_hub_choose_files (rev, "o/n", &has_index, &error);
  g_assert_no_error (error);
  g_assert_false (has_index);
  g_assert_cmpuint (files->len, ==, 2);
  g_assert_cmpstr (((RgHubFile *) g_ptr_array_index (files, 1))->name, ==, "model.safetensors");
}

static void
test_choose_no_weights (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) json = bytes ("{\"siblings\":[{\"rfilename\":\"pytorch_model.bin\"},"
                                  "{\"rfilename\":\"config.json\"}]}");
  g_autoptr(RgHubRevision) rev = rg_hub_revision_parse (json, &error);
  gboolean has_index;

  g_assert_null (rg_hub_choose_files (rev, "o/n", &has_index, &error));
  g_assert_error (error, REGARD_DOWNLOAD_ERROR, REGARD_DOWNLOAD_ERROR_NO_WEIGHTS);
  g_assert_nonnull (strstr (error->message, ".bin"));
}

static void
test_index_shards (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = rg_test_fixture_path ("idefics2-tiny/model.safetensors.index.json");
  g_autoptr(GBytes) index = rg_test_read_file (path);
  g_auto(GStrv) shards = rg_hub_index_shards (index, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (shards), ==, 2);
  g_assert_true (g_strv_contains ((const char *const *) shards, "model-00001-of-00002.safetensors"));
  g_assert_true (g_strv_contains ((const char *const *) shards, "model-00002-of-00002.safetensors"));
}

static void
test_index_rejects_paths (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) index = bytes ("{\"weight_map\":{\"w\":\"../../evil.safetensors\"}}");

  g_assert_null (rg_hub_index_shards (index, &error));
  g_assert_error (error, REGARD_DOWNLOAD_ERROR, REGARD_DOWNLOAD_ERROR_FAILED);
}

static void
test_status_errors (void)
{
  g_autoptr(GError) e401 = rg_hub_status_error (401, "Unauthorized", "https://hf.co", "o/n", "main", NULL);
  g_autoptr(GError) e403 = rg_hub_status_error (403, "Forbidden", "https://hf.co", "o/n", "main", "config.json");
  g_autoptr(GError) e404 = rg_hub_status_error (404, "Not Found", "https://hf.co", "o/n", "main", "config.json");
  g_autoptr(GError) e500 = rg_hub_status_error (500, "Oops", "https://hf.co", "o/n", "main", NULL);

  g_assert_error (e401, REGARD_DOWNLOAD_ERROR, REGARD_DOWNLOAD_ERROR_UNAUTHORIZED);
  g_assert_nonnull (strstr (e401->message, "https://hf.co/o/n"));
  g_assert_error (e403, REGARD_DOWNLOAD_ERROR, REGARD_DOWNLOAD_ERROR_UNAUTHORIZED);
  g_assert_error (e404, REGARD_DOWNLOAD_ERROR, REGARD_DOWNLOAD_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (e404->message, "config.json"));
  g_assert_error (e500, REGARD_DOWNLOAD_ERROR, REGARD_DOWNLOAD_ERROR_HTTP);
  g_assert_nonnull (strstr (e500->message, "500"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/hub/repo-ids", test_repo_ids);
  g_test_add_func ("/engine/hub/repo-ref-parse", test_repo_ref_parse);
  g_test_add_func ("/engine/hub/urls", test_urls);
  g_test_add_func ("/engine/hub/etag", test_etag);
  g_test_add_func ("/engine/hub/revision-parse", test_revision_parse);
  g_test_add_func ("/engine/hub/revision-parse-rejects", test_revision_parse_rejects);
  g_test_add_func ("/engine/hub/choose-sharded", test_choose_sharded);
  g_test_add_func ("/engine/hub/choose-single", test_choose_single);
  g_test_add_func ("/engine/hub/choose-no-weights", test_choose_no_weights);
  g_test_add_func ("/engine/hub/index-shards", test_index_shards);
  g_test_add_func ("/engine/hub/index-rejects-paths", test_index_rejects_paths);
  g_test_add_func ("/engine/hub/status-errors", test_status_errors);
  return g_test_run ();
}
