/* rg-tokenizer-private.h: the tables behind RgTokenizer, shared by the
 * loader (rg-tokenizer-load.c) and the encoder/decoder (rg-tokenizer.c). */
#pragma once

#include "rg-tokenizer.h"
#include "rg-byte-level.h"

G_BEGIN_DECLS

#define METASPACE "\xe2\x96\x81" /* U+2581 ▁ */
/* Ids stay well inside gint32 and allocations stay bounded. */
#define MAX_TOKENS (1u << 24)

typedef enum
{
  NORM_PREPEND,
  NORM_REPLACE,
} NormKind;

typedef struct
{
  NormKind kind;
  char *a;   /* PREPEND: the prefix; REPLACE: the pattern */
  char *b;   /* REPLACE: the replacement */
} NormStep;

typedef struct
{
  gint32 id;
  char *content;
  gsize len;
  gboolean special;
} AddedToken;

typedef struct
{
  guint64 key;     /* left << 32 | right; G_MAXUINT64 when empty */
  guint32 rank;
  gint32 new_id;
} MergeSlot;

struct _RgTokenizer
{
  guint n_ids;              /* largest id + 1 */
  char **tokens;            /* [n_ids], NULL for holes */
  char **pieces;            /* [n_ids], decoder Replace applied */
  gint16 *byte_of;          /* [n_ids], -1 unless a <0xXX> token */
  guint8 *special;          /* [n_ids] */
  GHashTable *vocab;        /* model vocab: token -> GINT_TO_POINTER (id + 1) */
  MergeSlot *merges;
  gsize merges_mask;        /* capacity - 1 (power of two) */
  gint32 byte_ids[256];     /* <0xXX> ids in the model vocab, -1 if absent */
  gint32 unk_id;
  gint32 bos_id;
  gboolean byte_fallback;
  gboolean fuse_unk;
  gboolean ignore_merges;
  GArray *norm;             /* NormStep */
  GArray *added;            /* AddedToken, sorted longest first */
  GPtrArray *added_by_byte[256]; /* AddedToken * by first byte, longest first */
  gboolean byte_level;      /* pre_tokenizer ByteLevel: GPT-2 byte mapping */
  RgDigitsMode digits;      /* Digits pre-tokenizer before ByteLevel */
  gboolean use_regex;       /* ByteLevel splits with the GPT-2 regex */
  gboolean dec_byte_level;  /* decoder ByteLevel: pieces are raw bytes */
  guint32 *piece_len;       /* [n_ids], byte length of pieces[id] */
  gboolean dec_replace;     /* decoder replaces ▁ by ' ' */
  guint dec_strip;          /* leading ' ' stripped from the whole text */
};

/* The merge of the pair (LEFT, RIGHT), or NULL. */
const MergeSlot *rg_tokenizer_merge_lookup (const RgTokenizer *tok, gint32 left, gint32 right);
/* Id of a model-vocab token, or -1 (added tokens are not looked up). */
gint32 rg_tokenizer_vocab_get (const RgTokenizer *tok, const char *s);

G_END_DECLS
