/* Installed models: the OWNER/NAME folders under the models folder, their
 * sizes (.part files included) and whether each is complete. */
#include "test-common.h"

#include <glib/gstdio.h>
#include <string.h>

#include "rg-models.h"

static char *models_dir;

static void
put (const char *relative, gsize size)
{
  g_autofree char *path = g_build_filename (models_dir, relative, NULL);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *data = g_malloc0 (size + 1);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_file_set_contents (path, data, size, &error);
  g_assert_no_error (error);
}

static void
put_index (const char *relative_dir)
{
  g_autofree char *path = g_build_filename (models_dir, relative_dir,
                                            "model.safetensors.index.json", NULL);
  const char *json = "{\"weight_map\":{\"a\":\"model-1.safetensors\",\"b\":\"model-2.safetensors\"}}";
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, json, -1, &error);
  g_assert_no_error (error);
}

static RegardInstalledModel *
find (GPtrArray *models, const char *repo)
{
  for (guint i = 0; i < models->len; i++)
    {
      RegardInstalledModel *m = g_ptr_array_index (models, i);

      if (strcmp (m->repo, repo) == 0)
        return m;
    }
  return NULL;
}

static void
set_up (void)
{
  g_autoptr(GError) error = NULL;

  models_dir = g_dir_make_tmp ("regard-models-XXXXXX", &error);
  g_assert_no_error (error);
  /* Sharded and complete. */
  put ("owner/sharded/config.json", 100);
  put ("owner/sharded/model-1.safetensors", 1000);
  put ("owner/sharded/model-2.safetensors", 2000);
  put_index ("owner/sharded");
  /* A shard still downloading. */
  put ("owner/partial/config.json", 100);
  put ("owner/partial/model-1.safetensors", 1000);
  put ("owner/partial/model-2.safetensors.part", 500);
  put_index ("owner/partial");
  /* A legacy id without owner, single weights file. */
  put ("legacy/config.json", 10);
  put ("legacy/model.safetensors", 20);
  /* Not models. */
  g_autofree char *empty = g_build_filename (models_dir, "owner", "empty", NULL);
  g_assert_cmpint (g_mkdir_with_parents (empty, 0755), ==, 0);
  put (".trash/config.json", 1);
}

static void
test_list (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) models = NULL;
  RegardInstalledModel *m;
  gsize index_size = strlen ("{\"weight_map\":{\"a\":\"model-1.safetensors\",\"b\":\"model-2.safetensors\"}}");

  set_up ();
  models = rg_models_list (models_dir, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (models->len, ==, 3);
  /* Sorted by repo. */
  g_assert_cmpstr (((RegardInstalledModel *) g_ptr_array_index (models, 0))->repo, ==, "legacy");
  g_assert_cmpstr (((RegardInstalledModel *) g_ptr_array_index (models, 1))->repo, ==, "owner/partial");

  m = find (models, "owner/sharded");
  g_assert_nonnull (m);
  g_assert_true (m->complete);
  g_assert_cmpuint (m->size, ==, 3100 + index_size);
  g_assert_true (g_str_has_suffix (m->path, "/owner/sharded"));

  m = find (models, "owner/partial");
  g_assert_nonnull (m);
  g_assert_false (m->complete);
  g_assert_cmpuint (m->size, ==, 1600 + index_size);

  m = find (models, "legacy");
  g_assert_nonnull (m);
  g_assert_true (m->complete);
  g_assert_cmpuint (m->size, ==, 30);
  rg_test_remove_tree (models_dir);
  g_clear_pointer (&models_dir, g_free);
}

static void
test_missing_shard_incomplete (void)
{
  g_autofree char *dir = NULL;

  set_up ();
  dir = g_build_filename (models_dir, "owner", "sharded", NULL);
  g_assert_true (rg_models_dir_is_complete (dir));
  {
    g_autofree char *shard = g_build_filename (dir, "model-2.safetensors", NULL);

    g_unlink (shard);
  }
  g_assert_false (rg_models_dir_is_complete (dir));
  rg_test_remove_tree (models_dir);
  g_clear_pointer (&models_dir, g_free);
}

static void
test_no_folder (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) models = rg_models_list ("/nonexistent/regard/models", &error);

  g_assert_no_error (error);
  g_assert_cmpuint (models->len, ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/models/list", test_list);
  g_test_add_func ("/engine/models/missing-shard-incomplete", test_missing_shard_incomplete);
  g_test_add_func ("/engine/models/no-folder", test_no_folder);
  return g_test_run ();
}
