/* The Flatpak manifest stays reproducible and least-privileged: the GNOME
 * runtime, exactly the agreed sandbox holes, and every remote source pinned
 * by commit or sha256. The checker is also fed broken manifests so that it
 * is known to reject them. */
#include "test-common.h"

#include <json-glib/json-glib.h>
#include <string.h>

#define APP_ID "io.github.regardapp.Regard"

static const char *const wanted_finish_args[] = {
  "--share=ipc",
  "--socket=wayland",
  "--socket=fallback-x11",
  "--device=dri",
  "--share=network",
};

static gboolean
is_hex (const char *s, gsize len)
{
  if (s == NULL || strlen (s) != len)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isxdigit (s[i]))
      return FALSE;
  return TRUE;
}

static const char *
get_string (JsonObject *obj, const char *name)
{
  JsonNode *node = json_object_get_member (obj, name);

  return node && JSON_NODE_HOLDS_VALUE (node) ? json_node_get_string (node) : NULL;
}

static gboolean
check_source (JsonObject *module, JsonObject *source, GError **error)
{
  const char *module_name = get_string (module, "name");
  const char *type = get_string (source, "type");

  if (g_strcmp0 (type, "git") == 0)
    {
      if (!is_hex (get_string (source, "commit"), 40))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                       "module %s: git source %s is not pinned to a commit",
                       module_name, get_string (source, "url"));
          return FALSE;
        }
      return TRUE;
    }
  if (g_strcmp0 (type, "dir") == 0)
    {
      /* Only Regard itself is built from the checkout. */
      if (g_strcmp0 (module_name, "regard") != 0 || g_strcmp0 (get_string (source, "path"), "..") != 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                       "module %s: only regard may use a dir source (path \"..\")", module_name);
          return FALSE;
        }
      return TRUE;
    }
  if (g_strcmp0 (type, "shell") == 0)
    return TRUE;
  /* archive, file, patch...: local paths are part of the checkout; URLs
   * need a sha256. */
  if (json_object_has_member (source, "url") && !is_hex (get_string (source, "sha256"), 64))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "module %s: %s source %s has no sha256",
                   module_name, type ? type : "?", get_string (source, "url"));
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_modules (JsonArray *modules, gboolean *has_regard, gboolean *has_shaderc, GError **error)
{
  for (guint i = 0; modules && i < json_array_get_length (modules); i++)
    {
      JsonNode *node = json_array_get_element (modules, i);
      JsonObject *module;
      JsonArray *sources;

      /* A string module is a path to another manifest file: not used. */
      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "module %u is not inline", i);
          return FALSE;
        }
      module = json_node_get_object (node);
      if (g_strcmp0 (get_string (module, "name"), "regard") == 0)
        *has_regard = TRUE;
      if (g_strcmp0 (get_string (module, "name"), "shaderc") == 0)
        *has_shaderc = TRUE;
      sources = json_object_has_member (module, "sources")
                ? json_object_get_array_member (module, "sources") : NULL;
      for (guint j = 0; sources && j < json_array_get_length (sources); j++)
        if (!check_source (module, json_array_get_object_element (sources, j), error))
          return FALSE;
      if (json_object_has_member (module, "modules")
          && !check_modules (json_object_get_array_member (module, "modules"),
                             has_regard, has_shaderc, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
check_finish_args (JsonObject *root, GError **error)
{
  JsonArray *args = json_object_has_member (root, "finish-args")
                    ? json_object_get_array_member (root, "finish-args") : NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; args && i < json_array_get_length (args); i++)
    {
      const char *arg = json_array_get_string_element (args, i);
      gboolean known = FALSE;

      for (gsize k = 0; k < G_N_ELEMENTS (wanted_finish_args); k++)
        known |= g_strcmp0 (arg, wanted_finish_args[k]) == 0;
      if (!known || !g_hash_table_add (seen, (gpointer) arg))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                       "finish-args: %s is %s", arg, known ? "repeated" : "not allowed");
          return FALSE;
        }
    }
  if (g_hash_table_size (seen) != G_N_ELEMENTS (wanted_finish_args))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "finish-args: %u of the %u required permissions",
                   g_hash_table_size (seen), (guint) G_N_ELEMENTS (wanted_finish_args));
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_manifest (const char *json, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *root;
  const char *id;
  const char *version;
  gboolean has_regard = FALSE, has_shaderc = FALSE;

  if (!json_parser_load_from_data (parser, json, -1, error))
    return FALSE;
  root = json_node_get_object (json_parser_get_root (parser));
  id = get_string (root, "id") ? get_string (root, "id") : get_string (root, "app-id");
  if (g_strcmp0 (id, APP_ID) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "id is %s, not " APP_ID, id);
      return FALSE;
    }
  version = get_string (root, "runtime-version");
  if (g_strcmp0 (get_string (root, "runtime"), "org.gnome.Platform") != 0
      || g_strcmp0 (get_string (root, "sdk"), "org.gnome.Sdk") != 0
      || version == NULL || g_ascii_strtoull (version, NULL, 10) < 47)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "runtime must be org.gnome.Platform >= 47 with org.gnome.Sdk");
      return FALSE;
    }
  if (g_strcmp0 (get_string (root, "command"), "regard") != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "command must be regard");
      return FALSE;
    }
  if (!check_finish_args (root, error)
      || !check_modules (json_object_has_member (root, "modules")
                         ? json_object_get_array_member (root, "modules") : NULL,
                         &has_regard, &has_shaderc, error))
    return FALSE;
  if (!has_regard || !has_shaderc)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "modules must build shaderc (glslc) and regard");
      return FALSE;
    }
  return TRUE;
}

static char *
read_manifest (void)
{
  const char *srcdir = g_getenv ("G_TEST_SRCDIR");
  g_autofree char *path = g_build_filename (srcdir ? srcdir : "tests", "..", "flatpak",
                                            APP_ID ".json", NULL);
  g_autoptr(GBytes) bytes = rg_test_read_file (path);

  return g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

/* The real manifest with FROM replaced by TO (which must occur). */
static char *
mutated (const char *from, const char *to)
{
  g_autofree char *json = read_manifest ();
  g_autoptr(GString) s = g_string_new (json);

  g_assert_nonnull (strstr (json, from));
  g_string_replace (s, from, to, 1);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static void
test_manifest_valid (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *json = read_manifest ();

  check_manifest (json, &error);
  g_assert_no_error (error);
}

static void
test_rejects_unpinned_git (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *json = mutated ("\"commit\": \"40bced4e1e205ecf44630d2dfa357655b6dabd04\"",
                                   "\"branch\": \"main\"");

  g_assert_false (check_manifest (json, &error));
  g_assert_nonnull (strstr (error->message, "not pinned"));
}

static void
test_rejects_extra_permission (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *json = mutated ("\"--share=network\"", "\"--share=network\", \"--filesystem=home\"");

  g_assert_false (check_manifest (json, &error));
  g_assert_nonnull (strstr (error->message, "--filesystem=home"));
}

static void
test_rejects_missing_permission (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *json = mutated ("\"--device=dri\",", "");

  g_assert_false (check_manifest (json, &error));
  g_assert_nonnull (strstr (error->message, "finish-args"));
}

static void
test_rejects_other_runtime (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *json = mutated ("\"org.gnome.Platform\"", "\"org.freedesktop.Platform\"");

  g_assert_false (check_manifest (json, &error));
  g_assert_nonnull (strstr (error->message, "runtime"));
}

static void
test_rejects_archive_without_sha256 (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *json = mutated ("\"sources\": [\n        {\n          \"type\": \"dir\"",
                                   "\"sources\": [\n        { \"type\": \"archive\", \"url\": \"https://example.org/x.tar.gz\" },\n        {\n          \"type\": \"dir\"");

  g_assert_false (check_manifest (json, &error));
  g_assert_nonnull (strstr (error->message, "sha256"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/flatpak/manifest/valid", test_manifest_valid);
  g_test_add_func ("/flatpak/manifest/rejects-unpinned-git", test_rejects_unpinned_git);
  g_test_add_func ("/flatpak/manifest/rejects-extra-permission", test_rejects_extra_permission);
  g_test_add_func ("/flatpak/manifest/rejects-missing-permission", test_rejects_missing_permission);
  g_test_add_func ("/flatpak/manifest/rejects-other-runtime", test_rejects_other_runtime);
  g_test_add_func ("/flatpak/manifest/rejects-archive-without-sha256", test_rejects_archive_without_sha256);
  return g_test_run ();
}
