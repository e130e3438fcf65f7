/* rg-arch.c: what every family description shares (see rg-arch.h). */
#include "rg-arch-desc.h"

#include "regard-error.h"

gboolean
rg_arch_mul (uint64_t a, uint64_t b, uint64_t *out, const char *what, GError **error)
{
  if (a != 0 && b > G_MAXUINT32 / a)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL,
                   "config.json: %s (%" G_GUINT64_FORMAT " x %" G_GUINT64_FORMAT ") is too large",
                   what, a, b);
      return FALSE;
    }
  *out = a * b;
  return TRUE;
}

void
rg_arch_resolve_vision (const RgVisionConfig *vc, RgArchDims *dims)
{
  uint64_t *d = dims->d;

  d[RG_DIM_V] = vc->hidden_size;
  d[RG_DIM_VI] = vc->intermediate_size;
  d[RG_DIM_V_HEADS] = vc->num_attention_heads;
  d[RG_DIM_V_HEAD_DIM] = vc->hidden_size / vc->num_attention_heads;  /* divisibility checked by rg-config */
  d[RG_DIM_V_LAYERS] = vc->num_hidden_layers;
  d[RG_DIM_CHANNELS] = vc->num_channels;
  d[RG_DIM_PATCH] = vc->patch_size;
  dims->p[RG_PARAM_V_EPS] = vc->layer_norm_eps;
}

gboolean
rg_arch_resolve_llama (const RgTextConfig *tc, RgArchDims *dims, GError **error)
{
  uint64_t *d = dims->d;

  d[RG_DIM_T] = tc->hidden_size;
  d[RG_DIM_TI] = tc->intermediate_size;
  d[RG_DIM_VOCAB] = tc->vocab_size;
  d[RG_DIM_T_HEADS] = tc->num_attention_heads;
  d[RG_DIM_T_KV_HEADS] = tc->num_key_value_heads;
  d[RG_DIM_T_HEAD_DIM] = tc->head_dim;
  d[RG_DIM_T_LAYERS] = tc->num_hidden_layers;
  dims->p[RG_PARAM_T_EPS] = tc->rms_norm_eps;
  dims->p[RG_PARAM_ROPE_THETA] = tc->rope_theta;
  return rg_arch_mul (tc->num_attention_heads, tc->head_dim, &d[RG_DIM_T_Q], "the text q width", error) &&
         rg_arch_mul (tc->num_key_value_heads, tc->head_dim, &d[RG_DIM_T_KV], "the text kv width", error);
}

uint64_t
rg_arch_dim (const RgArchDims *dims, RgDim dim)
{
  return dim == RG_DIM_NONE ? 0 : dims->d[dim];
}

char *
rg_arch_weight_name (const RgArch *arch, guint slot, guint layer)
{
  const RgArchWeight *w = &arch->weights[slot];

  if (w->layers == RG_DIM_NONE)
    return g_strdup (w->name);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
  return g_strdup_printf (w->name, layer);
#pragma GCC diagnostic pop
}

guint
rg_arch_weight_layers (const RgArch *arch, const RgArchDims *dims, guint slot)
{
  const RgArchWeight *w = &arch->weights[slot];

  if (w->when != RG_DIM_NONE && dims->d[w->when] == 0)
    return 0;
  return w->layers == RG_DIM_NONE ? 1 : (guint) dims->d[w->layers];
}

void
rg_arch_feature_shape (const RgArch *arch, const RgArchDims *dims, uint64_t *rows, uint64_t *cols)
{
  *rows = dims->d[arch->feature_rows ? arch->feature_rows : RG_DIM_NL];
  *cols = dims->d[arch->feature_cols ? arch->feature_cols : RG_DIM_T];
}

gboolean
rg_arch_op_runs (const RgArchOp *op, const RgArchDims *dims, guint layer, guint *weight_layer)
{
  uint64_t every = op->every ? dims->d[op->every] : 1;

  *weight_layer = layer;
  if (op->when != RG_DIM_NONE && dims->d[op->when] == 0)
    return FALSE;
  if (every == 0 || layer % every != 0)
    return FALSE;
  *weight_layer = (guint) (layer / every);
  return TRUE;
}

guint
rg_arch_weight_shape (const RgArch *arch, const RgArchDims *dims, guint slot, int64_t shape[4])
{
  const RgArchWeight *w = &arch->weights[slot];

  for (guint i = 0; i < w->n_dims; i++)
    shape[i] = (int64_t) dims->d[w->shape[i]];
  return w->n_dims;
}

void
rg_arch_weight_matrix (const RgArch *arch, const RgArchDims *dims, guint slot,
                       uint32_t *rows, uint32_t *cols)
{
  const RgArchWeight *w = &arch->weights[slot];
  uint64_t c = 1;

  /* bounded by rg_arch_for_config's check */
  for (guint i = 1; i < w->n_dims; i++)
    c *= dims->d[w->shape[i]];
  *rows = (uint32_t) dims->d[w->shape[0]];
  *cols = (uint32_t) c;
}

static gboolean
ref_ok (const RgArch *arch, RgArchRef r, gboolean offset_ok)
{
  return r.buf < arch->n_buffers && r.row0 < RG_ROWS_N && r.col0 < RG_DIM_N &&
         (offset_ok || (r.row0 == RG_ROWS_ZERO && r.col0 == RG_DIM_NONE));
}

static gboolean
op_ok (const RgArch *arch, const RgArchOp *op, guint layered)
{
  gboolean out_off = op->kind == RG_OP_COPY || op->kind == RG_OP_LINEAR;
  gboolean in_off = op->kind == RG_OP_COPY || op->kind == RG_OP_LINEAR || op->kind == RG_OP_TAP;
  gboolean in23_off = op->kind == RG_OP_ATTENTION;
  guint16 slots[3] = { op->w, op->b, op->norm };

  if (!ref_ok (arch, op->out, out_off) || !ref_ok (arch, op->in, in_off) ||
      !ref_ok (arch, op->in2, in23_off) || !ref_ok (arch, op->in3, in23_off) ||
      !ref_ok (arch, op->cache_k, TRUE) || !ref_ok (arch, op->cache_v, TRUE) ||
      ((op->cache_k.buf || op->cache_v.buf) && op->kind != RG_OP_ROPE) ||
      (op->kind == RG_OP_ROPE && op->in.buf &&
       (!op->in2.buf || arch->buffers[op->cache_k.buf].role != RG_ROLE_KV_CACHE ||
        arch->buffers[op->cache_v.buf].role != RG_ROLE_KV_CACHE)) ||
      op->mask >= arch->n_buffers || op->rows >= RG_ROWS_N || op->kv_rows >= RG_ROWS_N ||
      op->cols >= RG_DIM_N || op->eps >= RG_PARAM_N || op->when >= RG_DIM_N || op->every >= RG_DIM_N)
    return FALSE;
  /* column offsets: a LINEAR's output, COPY */
  if ((op->in.col0 && op->kind != RG_OP_COPY) ||
      (op->out.col0 && op->kind != RG_OP_COPY && op->kind != RG_OP_LINEAR))
    return FALSE;
  for (guint i = 0; i < 3; i++)
    {
      if (slots[i] >= arch->n_weights)
        return FALSE;
      /* a layer's weight only inside a block of that many layers, or
       * indexed layer / every by an op that runs every so many layers */
      if (slots[i] && arch->weights[slots[i]].layers != RG_DIM_NONE &&
          arch->weights[slots[i]].layers != layered && op->every == RG_DIM_NONE)
        return FALSE;
    }
  if (op->kind == RG_OP_LINEAR &&
      (op->w == 0 || arch->weights[op->w].kind != RG_WEIGHT_MATRIX))
    return FALSE;
  return TRUE;
}

gboolean
rg_arch_validate (const RgArch *arch, GError **error)
{
  const RgArchProgram *programs[3] = { &arch->encode, &arch->forward, &arch->images };

  /* RgExecRun binds buffers by slot in a fixed array */
  if (arch->n_buffers > RG_ARCH_MAX_BUFFERS)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_FAILED,
                   "%s: %u buffers, at most %u", arch->name, arch->n_buffers, RG_ARCH_MAX_BUFFERS);
      return FALSE;
    }

  for (guint p = 0; p < 3; p++)
    for (guint b = 0; b < programs[p]->n_blocks; b++)
      {
        const RgArchBlock *block = &programs[p]->blocks[b];

        for (guint i = 0; i < block->n_ops; i++)
          if (!op_ok (arch, &block->ops[i], block->layers))
            {
              g_set_error (error, REGARD_ERROR, REGARD_ERROR_FAILED,
                           "%s: op %u of block %s is malformed", arch->name, i, block->name);
              return FALSE;
            }
      }
  return TRUE;
}

const RgArch *
rg_arch_for_config (const RgModelConfig *cfg, RgArchDims *dims, GError **error)
{
  const RgArch *arch;

  switch (cfg->family)
    {
    case RG_MODEL_FAMILY_IDEFICS2:
      arch = &rg_arch_idefics2;
      break;
    case RG_MODEL_FAMILY_IDEFICS1:
      arch = &rg_arch_idefics1;
      break;
    case RG_MODEL_FAMILY_IDEFICS3:
      arch = &rg_arch_idefics3;
      break;
    default:
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_UNSUPPORTED,
                   "config.json: %s models have no model description yet",
                   rg_model_family_name (cfg->family));
      return NULL;
    }
  *dims = (RgArchDims) { 0 };
  dims->d[RG_DIM_ONE] = 1;
  if (!arch->resolve (cfg, dims, error))
    return NULL;
  for (guint d = 0; d < RG_DIM_N; d++)
    if (dims->d[d] > G_MAXUINT32)
      {
        g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL,
                     "config.json: a size (%" G_GUINT64_FORMAT ") is too large", dims->d[d]);
        return NULL;
      }
  /* every weight's elements, and its row length, fit the ops' 32-bit sizes */
  for (guint s = 1; s < arch->n_weights; s++)
    {
      const RgArchWeight *w = &arch->weights[s];
      uint64_t cols = 1, elems;
      g_autofree char *what = g_strdup_printf ("the size of %s", w->name);

      for (guint i = 1; i < w->n_dims; i++)
        if (!rg_arch_mul (cols, dims->d[w->shape[i]], &cols, what, error))
          return NULL;
      if (!rg_arch_mul (cols, dims->d[w->shape[0]], &elems, what, error))
        return NULL;
    }
  if (!rg_arch_validate (arch, error))
    return NULL;
  return arch;
}
