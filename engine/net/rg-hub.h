/* rg-hub.h: the Hugging Face hub's URL layout and API answers, and the
 * choice of the files an IDEFICS2 snapshot needs. Pure functions: no I/O. */
#pragma once

#include <gio/gio.h>

#include "regard-download.h"

G_BEGIN_DECLS

#define RG_HUB_DEFAULT_ENDPOINT "https://huggingface.co"

typedef struct
{
  char *name;      /* path inside the repository, e.g. "config.json" */
  gint64 size;     /* -1 while unknown */
  char *sha256;    /* lowercase hex for LFS files, else NULL */
} RgHubFile;

RgHubFile *rg_hub_file_new (const char *name, gint64 size, const char *sha256);
void rg_hub_file_free (RgHubFile *file);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RgHubFile, rg_hub_file_free)

typedef struct
{
  char *sha;           /* commit the revision resolved to, may be NULL */
  GPtrArray *siblings; /* RgHubFile, every file of the repository */
} RgHubRevision;

void rg_hub_revision_free (RgHubRevision *rev);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RgHubRevision, rg_hub_revision_free)

/* TRUE for "owner/name" (or a bare "name") made of [A-Za-z0-9._-] parts
 * that cannot walk out of a folder. */
gboolean rg_hub_repo_id_is_valid (const char *repo);
gboolean rg_hub_revision_is_valid (const char *revision);

char *rg_hub_api_url (const char *endpoint, const char *repo, const char *revision);
char *rg_hub_resolve_url (const char *endpoint, const char *repo,
                          const char *revision, const char *file);

/* Parses GET /api/models/{repo}/revision/{rev}. */
RgHubRevision *rg_hub_revision_parse (GBytes *json, GError **error);
RgHubFile *rg_hub_revision_lookup (RgHubRevision *rev, const char *name);

/* The config, processor and tokenizer files present in REV, then either
 * "model.safetensors.index.json" (*OUT_INDEX = TRUE: the shards come from
 * rg_hub_index_shards once it is fetched) or "model.safetensors". RgHubFile
 * copies; REGARD_DOWNLOAD_ERROR_NO_WEIGHTS without safetensors weights,
 * NOT_FOUND without config.json. */
GPtrArray *rg_hub_choose_files (RgHubRevision *rev, const char *repo,
                                gboolean *out_index, GError **error);

/* Distinct shard names of a model.safetensors.index.json, in first-seen
 * order; each must be a plain *.safetensors name. */
GStrv rg_hub_index_shards (GBytes *index_json, GError **error);

/* Strips W/ and quotes from an ETag; returns the lowercase SHA-256 hex it
 * holds, or NULL when it is not one (e.g. a git blob id). */
char *rg_hub_etag_to_sha256 (const char *etag);

/* An error for a failed HTTP STATUS. FILE is NULL for the API call. */
GError *rg_hub_status_error (guint status, const char *reason, const char *endpoint,
                             const char *repo, const char *revision, const char *file);

G_END_DECLS
