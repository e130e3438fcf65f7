/* rg-models.h: the models folder ($XDG_DATA_HOME/regard/models/OWNER/NAME)
 * and what a complete model folder holds. The public side is in
 * regard-download.h (regard_models_*). */
#pragma once

#include "regard-download.h"

G_BEGIN_DECLS

/* The folder of REPO (a valid id) under MODELS_DIR (NULL: the default). */
char *rg_models_repo_dir (const char *models_dir, const char *repo);

/* Bytes of the regular files in DIR, .part files included. */
guint64 rg_models_dir_size (const char *dir);

/* config.json and every weight file (model.safetensors, or all shards of
 * model.safetensors.index.json) present, and no .part file left. */
gboolean rg_models_dir_is_complete (const char *dir);

/* regard_models_list_installed on MODELS_DIR. */
GPtrArray *rg_models_list (const char *models_dir, GError **error);

G_END_DECLS
