#include "rg-file.h"
#include "rg-models.h"

#include <glib/gstdio.h>
#include <string.h>

#include "rg-hub.h"

char *
regard_models_dir (void)
{
  return g_build_filename (g_get_user_data_dir (), "regard", "models", NULL);
}

char *
rg_models_repo_dir (const char *models_dir, const char *repo)
{
  g_autofree char *base = models_dir ? g_strdup (models_dir) : regard_models_dir ();

  return g_build_filename (base, repo, NULL);
}

void
regard_installed_model_free (RegardInstalledModel *model)
{
  if (model == NULL)
    return;
  g_free (model->repo);
  g_free (model->path);
  g_free (model);
}

guint64
rg_models_dir_size (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  guint64 total = 0;

  if (d == NULL)
    return 0;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      GStatBuf st;

      if (g_lstat (path, &st) == 0 && S_ISREG (st.st_mode))
        total += st.st_size;
    }
  return total;
}

static gboolean
has_file (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);

  return g_file_test (path, G_FILE_TEST_IS_REGULAR);
}

static gboolean
has_part_file (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (name, ".part"))
      return TRUE;
  return FALSE;
}

gboolean
rg_models_dir_is_complete (const char *dir)
{
  g_autofree char *index_path = g_build_filename (dir, "model.safetensors.index.json", NULL);
  g_autoptr(GBytes) index = NULL;
  g_auto(GStrv) shards = NULL;
  char *contents = NULL;
  gsize len = 0;

  if (!has_file (dir, "config.json") || has_part_file (dir))
    return FALSE;
  if (!rg_file_get_contents_max (index_path, RG_FILE_MAX_JSON, &contents, &len, NULL))
    return has_file (dir, "model.safetensors");
  index = g_bytes_new_take (contents, len);
  shards = rg_hub_index_shards (index, NULL);
  if (shards == NULL)
    return FALSE;
  for (guint i = 0; shards[i] != NULL; i++)
    if (!has_file (dir, shards[i]))
      return FALSE;
  return TRUE;
}

static gboolean
holds_files (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        return TRUE;
    }
  return FALSE;
}

static void
add_model (GPtrArray *models, const char *repo, const char *path)
{
  RegardInstalledModel *model = g_new0 (RegardInstalledModel, 1);

  model->repo = g_strdup (repo);
  model->path = g_strdup (path);
  model->size = rg_models_dir_size (path);
  model->complete = rg_models_dir_is_complete (path);
  g_ptr_array_add (models, model);
}

static int
compare_models (gconstpointer a, gconstpointer b)
{
  const RegardInstalledModel *ma = *(RegardInstalledModel *const *) a;
  const RegardInstalledModel *mb = *(RegardInstalledModel *const *) b;

  return strcmp (ma->repo, mb->repo);
}

GPtrArray *
rg_models_list (const char *models_dir, GError **error)
{
  g_autoptr(GPtrArray) models = g_ptr_array_new_with_free_func ((GDestroyNotify) regard_installed_model_free);
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GDir) top = g_dir_open (models_dir, 0, &local_error);
  const char *owner;

  if (top == NULL)
    {
      /* No folder yet: no models, not an error. */
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return g_steal_pointer (&models);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  /* OWNER/NAME folders, and bare NAME folders for the hub's legacy ids. */
  while ((owner = g_dir_read_name (top)) != NULL)
    {
      g_autofree char *owner_path = g_build_filename (models_dir, owner, NULL);
      g_autoptr(GDir) sub = NULL;
      const char *name;

      if (!rg_hub_repo_id_is_valid (owner) || !g_file_test (owner_path, G_FILE_TEST_IS_DIR))
        continue;
      if (holds_files (owner_path))
        {
          add_model (models, owner, owner_path);
          continue;
        }
      sub = g_dir_open (owner_path, 0, NULL);
      while (sub != NULL && (name = g_dir_read_name (sub)) != NULL)
        {
          g_autofree char *repo = g_strdup_printf ("%s/%s", owner, name);
          g_autofree char *path = g_build_filename (owner_path, name, NULL);

          if (rg_hub_repo_id_is_valid (repo) && holds_files (path))
            add_model (models, repo, path);
        }
    }
  g_ptr_array_sort (models, compare_models);
  return g_steal_pointer (&models);
}

GPtrArray *
regard_models_list_installed (GError **error)
{
  g_autofree char *dir = regard_models_dir ();

  return rg_models_list (dir, error);
}

char *
regard_model_find_installed (const char *repo)
{
  g_autofree char *dir = NULL;

  if (!rg_hub_repo_id_is_valid (repo))
    return NULL;
  dir = rg_models_repo_dir (NULL, repo);
  return rg_models_dir_is_complete (dir) ? g_steal_pointer (&dir) : NULL;
}
