#include "rg-hub.h"

#include <json-glib/json-glib.h>
#include <string.h>

/* Files an IDEFICS2 snapshot may use besides the weights. */
static const char *const wanted_files[] = {
  "config.json",
  "generation_config.json",
  "preprocessor_config.json",
  "processor_config.json",
  "tokenizer.json",
  "tokenizer_config.json",
  "special_tokens_map.json",
  "chat_template.json",
};

#define INDEX_NAME "model.safetensors.index.json"
#define SINGLE_NAME "model.safetensors"

RgHubFile *
rg_hub_file_new (const char *name, gint64 size, const char *sha256)
{
  RgHubFile *file = g_new0 (RgHubFile, 1);

  file->name = g_strdup (name);
  file->size = size;
  file->sha256 = g_strdup (sha256);
  return file;
}

void
rg_hub_file_free (RgHubFile *file)
{
  if (file == NULL)
    return;
  g_free (file->name);
  g_free (file->sha256);
  g_free (file);
}

void
rg_hub_revision_free (RgHubRevision *rev)
{
  if (rev == NULL)
    return;
  g_free (rev->sha);
  g_clear_pointer (&rev->siblings, g_ptr_array_unref);
  g_free (rev);
}

static gboolean
name_part_is_valid (const char *s, gsize len)
{
  if (len == 0 || len > 96 || s[0] == '.' || s[0] == '-')
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
      return FALSE;
  /* ".." anywhere is refused even though the hub refuses it too. */
  return g_strstr_len (s, len, "..") == NULL;
}

gboolean
rg_hub_repo_id_is_valid (const char *repo)
{
  const char *slash;

  if (repo == NULL)
    return FALSE;
  slash = strchr (repo, '/');
  if (slash == NULL)
    return name_part_is_valid (repo, strlen (repo));
  return name_part_is_valid (repo, slash - repo)
         && name_part_is_valid (slash + 1, strlen (slash + 1));
}

gboolean
rg_hub_revision_is_valid (const char *revision)
{
  /* Branches may hold slashes ("refs/pr/1"); they are escaped in URLs. */
  if (revision == NULL || revision[0] == '\0' || strlen (revision) > 256)
    return FALSE;
  for (const char *p = revision; *p; p++)
    if ((guchar) *p <= 0x20 || *p == 0x7f)
      return FALSE;
  return TRUE;
}

static char *
strip_slash (const char *endpoint)
{
  char *s = g_strdup (endpoint);
  gsize len = strlen (s);

  while (len > 0 && s[len - 1] == '/')
    s[--len] = '\0';
  return s;
}

char *
rg_hub_api_url (const char *endpoint, const char *repo, const char *revision)
{
  g_autofree char *base = strip_slash (endpoint);
  g_autofree char *rev = g_uri_escape_string (revision, NULL, FALSE);

  /* blobs=true adds sizes and LFS SHA-256s, for the disk space check. */
  return g_strdup_printf ("%s/api/models/%s/revision/%s?blobs=true", base, repo, rev);
}

char *
rg_hub_resolve_url (const char *endpoint, const char *repo,
                    const char *revision, const char *file)
{
  g_autofree char *base = strip_slash (endpoint);
  g_autofree char *rev = g_uri_escape_string (revision, NULL, FALSE);
  g_autofree char *name = g_uri_escape_string (file, "/", FALSE);

  return g_strdup_printf ("%s/%s/resolve/%s/%s", base, repo, rev, name);
}

char *
rg_hub_etag_to_sha256 (const char *etag)
{
  g_autofree char *s = NULL;
  gsize len;

  if (etag == NULL)
    return NULL;
  if (g_str_has_prefix (etag, "W/"))
    etag += 2;
  s = g_strstrip (g_strdup (etag));
  len = strlen (s);
  if (len >= 2 && s[0] == '"' && s[len - 1] == '"')
    {
      memmove (s, s + 1, len - 2);
      s[len - 2] = '\0';
      len -= 2;
    }
  if (len != 64)
    return NULL;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isxdigit (s[i]))
      return NULL;
  return g_ascii_strdown (s, -1);
}

static gint64
member_int (JsonObject *obj, const char *name)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_INT64)
    return -1;
  return json_node_get_int (node);
}

static const char *
member_string (JsonObject *obj, const char *name)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static RgHubFile *
parse_sibling (JsonNode *node)
{
  JsonObject *obj;
  JsonNode *lfs_node;
  const char *name;
  gint64 size;
  g_autofree char *sha256 = NULL;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  obj = json_node_get_object (node);
  name = member_string (obj, "rfilename");
  if (name == NULL)
    return NULL;
  size = member_int (obj, "size");
  lfs_node = json_object_get_member (obj, "lfs");
  if (lfs_node != NULL && JSON_NODE_HOLDS_OBJECT (lfs_node))
    {
      JsonObject *lfs = json_node_get_object (lfs_node);

      sha256 = rg_hub_etag_to_sha256 (member_string (lfs, "sha256"));
      if (member_int (lfs, "size") >= 0)
        size = member_int (lfs, "size");
    }
  return rg_hub_file_new (name, size, sha256);
}

RgHubRevision *
rg_hub_revision_parse (GBytes *json, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(RgHubRevision) rev = g_new0 (RgHubRevision, 1);
  g_autoptr(GError) local_error = NULL;
  JsonNode *root;
  JsonNode *siblings;
  gsize len = 0;
  const char *data = g_bytes_get_data (json, &len);

  if (!json_parser_load_from_data (parser, data, len, &local_error)
      || !JSON_NODE_HOLDS_OBJECT ((root = json_parser_get_root (parser))))
    {
      g_set_error (error, REGARD_DOWNLOAD_ERROR, REGARD_DOWNLOAD_ERROR_FAILED,
                   "The hub's answer is not a JSON object: %s",
                   local_error ? local_error->message : "wrong type");
      return NULL;
    }
  rev->sha = g_strdup (member_string (json_node_get_object (root), "sha"));
  rev->siblings = g_ptr_array_new_with_free_func ((GDestroyNotify) rg_hub_file_free);
  siblings = json_object_get_member (json_node_get_object (root), "siblings");
  if (siblings == NULL || !JSON_NODE_HOLDS_ARRAY (siblings))
    {
      g_set_error (error, REGARD_DOWNLOAD_ERROR, REGARD_DOWNLOAD_ERROR_FAILED,
                   "The hub's answer lists no files (no \"siblings\")");
      return NULL;
    }
  for (guint i = 0; i < json_array_get_length (json_node_get_array (siblings)); i++)
    {
      RgHubFile *file = parse_sibling (json_array_get_element (json_node_get_array (siblings), i));

      if (file != NULL)
        g_ptr_array_add (rev->siblings, file);
    }
  return g_steal_pointer (&rev);
}

RgHubFile *
rg_hub_revision_lookup (RgHubRevision *rev, const char *name)
{
  for (guint i = 0; i < rev->siblings->len; i++)
    {
      RgHubFile *file = g_ptr_array_index (rev->siblings, i);

      if (strcmp (file->name, name) == 0)
        return file;
    }
  return NULL;
}

static RgHubFile *
copy_file (const RgHubFile *file)
{
  return rg_hub_file_new (file->name, file->size, file->sha256);
}

GPtrArray *
rg_hub_choose_files (RgHubRevision *rev, const char *repo,
                     gboolean *out_index, GError **error)
{
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func ((GDestroyNotify) rg_hub_file_free);
  RgHubFile *file;

  *out_index = FALSE;
  if (rg_hub_revision_lookup (rev, "config.json") == NULL)
    {
      g_set_error (error, REGARD_DOWNLOAD_ERROR, REGARD_DOWNLOAD_ERROR_NOT_FOUND,
                   "%s has no config.json: it is not a Transformers model", repo);
      return NULL;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (wanted_files); i++)
    if ((file = rg_hub_revision_lookup (rev, wanted_files[i])) != NULL)
      g_ptr_array_add (files, copy_file (file));

  /* The index wins over a stray single file, as in Transformers. */
  if ((file = rg_hub_revision_lookup (rev, INDEX_NAME)) != NULL)
    *out_index = TRUE;
  else if ((file = rg_hub_revision_lookup (rev, SINGLE_NAME)) == NULL)
    {
      g_set_error (error, REGARD_DOWNLOAD_ERROR, REGARD_DOWNLOAD_ERROR_NO_WEIGHTS,
                   "%s has no safetensors weights (model.safetensors or "
                   "model.safetensors.index.json); Regard cannot use .bin weights", repo);
      return NULL;
    }
  g_ptr_array_add (files, copy_file (file));
  return g_steal_pointer (&files);
}

static gboolean
shard_name_is_valid (const char *name)
{
  return name_part_is_valid (name, strlen (name)) && g_str_has_suffix (name, ".safetensors");
}

GStrv
rg_hub_index_shards (GBytes *index_json, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GError) local_error = NULL;
  JsonNode *root, *map_node;
  JsonObjectIter iter;
  const char *key;
  JsonNode *value;
  gsize len = 0;
  const char *data = g_bytes_get_data (index_json, &len);

  if (!json_parser_load_from_data (parser, data, len, &local_error)
      || !JSON_NODE_HOLDS_OBJECT ((root = json_parser_get_root (parser)))
      || (map_node = json_object_get_member (json_node_get_object (root), "weight_map")) == NULL
      || !JSON_NODE_HOLDS_OBJECT (map_node))
    {
      g_set_error (error, REGARD_DOWNLOAD_ERROR, REGARD_DOWNLOAD_ERROR_FAILED,
                   INDEX_NAME " has no weight_map%s%s",
                   local_error ? ": " : "", local_error ? local_error->message : "");
      return NULL;
    }
  json_object_iter_init (&iter, json_node_get_object (map_node));
  while (json_object_iter_next (&iter, &key, &value))
    {
      const char *shard = JSON_NODE_HOLDS_VALUE (value) ? json_node_get_string (value) : NULL;

      if (shard == NULL || !shard_name_is_valid (shard))
        {
          g_set_error (error, REGARD_DOWNLOAD_ERROR, REGARD_DOWNLOAD_ERROR_FAILED,
                       INDEX_NAME " maps %s to an invalid shard name", key);
          return NULL;
        }
      if (g_hash_table_add (seen, (gpointer) shard))
        g_strv_builder_add (builder, shard);
    }
  if (g_hash_table_size (seen) == 0)
    {
      g_set_error (error, REGARD_DOWNLOAD_ERROR, REGARD_DOWNLOAD_ERROR_NO_WEIGHTS,
                   INDEX_NAME " names no shards");
      return NULL;
    }
  return g_strv_builder_end (builder);
}

GError *
rg_hub_status_error (guint status, const char *reason, const char *endpoint,
                     const char *repo, const char *revision, const char *file)
{
  g_autofree char *what = file
    ? g_strdup_printf ("%s in %s at revision %s", file, repo, revision)
    : g_strdup_printf ("%s at revision %s", repo, revision);

  switch (status)
    {
    case 401:
    case 403:
      return g_error_new (REGARD_DOWNLOAD_ERROR, REGARD_DOWNLOAD_ERROR_UNAUTHORIZED,
                          "Access to %s was refused (HTTP %u). The model may be gated or "
                          "private: accept its license on %s/%s and set HF_TOKEN to an "
                          "access token (or the repository does not exist)",
                          what, status, endpoint, repo);
    case 404:
      return g_error_new (REGARD_DOWNLOAD_ERROR, REGARD_DOWNLOAD_ERROR_NOT_FOUND,
                          file ? "%s: not found (no such file)"
                               : "%s: not found (no such repository or revision)",
                          what);
    default:
      return g_error_new (REGARD_DOWNLOAD_ERROR, REGARD_DOWNLOAD_ERROR_HTTP,
                          "The hub answered HTTP %u %s for %s", status,
                          reason ? reason : "", what);
    }
}
