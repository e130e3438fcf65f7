/* rg-model-gpu.c: IDEFICS2 on Vulkan.
 *
 * The same model as rg-model-cpu.c, op for op, with every op a dispatch
 * from rg-ops.h: vision tower (SigLIP NaViT), connector (SwiGLU modality
 * projection + perceiver resampler), Mistral decoder with a KV cache on the
 * GPU. A call records one command buffer and submits it once.
 *
 * Shapes: V = vision hidden, T = text hidden, NP = patches of the padded
 * grid, NL = perceiver latents, L = new tokens. */
#include "config.h"

#include "rg-model-gpu.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "regard-error.h"
#include "rg-ops.h"
#include "rg-patches.h"
#include "rg-quant.h"
#include "rg-weight-cache.h"
#include "rg-weights.h"

typedef RgGpuWeight Mat;   /* a matrix in nn.Linear layout */
typedef RgVkBuffer Vec;    /* an f32 vector */

typedef struct
{
  Vec *ln1_w, *ln1_b;
  Mat *q, *k, *v, *o;
  Vec *q_b, *k_b, *v_b, *o_b;
  Vec *ln2_w, *ln2_b;
  Mat *fc1, *fc2;
  Vec *fc1_b, *fc2_b;
} VisionLayer;

typedef struct
{
  Vec *latents_norm, *context_norm;
  Mat *q, *k, *v, *o;
  Vec *post_norm;
  Mat *gate, *up, *down;
} PerceiverLayer;

typedef struct
{
  Vec *in_norm;
  Mat *q, *k, *v, *o;
  Vec *post_norm;
  Mat *gate, *up, *down;
  RgVkBuffer *k_cache, *v_cache;   /* [context, Hkv, D] */
} TextLayer;

typedef struct
{
  RgModel parent;
  RgVkContext *ctx;            /* borrowed */
  GPtrArray *mats;             /* RgGpuWeight* (owned) */
  GPtrArray *vecs;             /* RgVkBuffer* (owned) */
  const char *format_name;
  guint64 device_bytes;
  guint n_converted;           /* matrices converted while loading */
  guint n_from_cache;          /* matrices mapped from the weight cache */

  /* vision */
  Mat *patch;                  /* [V, C*P*P] */
  Vec *patch_b;                /* [V] */
  Mat *pos_emb;                /* [(S/P)^2, V] */
  VisionLayer *vision;
  Vec *post_ln_w, *post_ln_b;

  /* connector */
  Mat *mp_gate, *mp_up, *mp_down;
  Vec *latents;                /* [NL, T] */
  PerceiverLayer *perceiver;
  Vec *perceiver_norm;

  /* text */
  Mat *embed;                  /* [vocab, T] */
  TextLayer *text;
  Vec *norm;
  Mat *lm_head;
  RgVkBuffer *rope;            /* [context, D]: cos | sin per position */
} RgModelGpu;

/* ---- Loading ------------------------------------------------------------ */

typedef struct
{
  RgSnapshot *snap;
  RgModelGpu *self;
  RgWeightFormat format;
  GCancellable *cancellable;
  RgModelProgress progress;
  gpointer progress_data;
  guint64 done, total;
  gboolean used_f32, used_f16, used_bf16, used_q8_0, used_q4_0;
  gboolean in_text;            /* loading the language model's matrices */
  RgWeightCache *cache;        /* quantized formats: converted matrices on disk */
  GError *error;               /* first failure; later loads are skipped */
} Loader;

static void
report (Loader *ld, guint64 bytes)
{
  ld->done += bytes;
  if (ld->progress)
    ld->progress (MIN (ld->done, ld->total), ld->total, ld->progress_data);
}

static gboolean
loader_failed (Loader *ld)
{
  if (ld->error)
    return TRUE;
  g_cancellable_set_error_if_cancelled (ld->cancellable, &ld->error);
  return ld->error != NULL;
}

static RgDType
target_dtype (Loader *ld, RgDType src, uint32_t cols)
{
  switch (ld->format)
    {
    case RG_WEIGHTS_Q8_0:
    case RG_WEIGHTS_Q4_0:
      /* Only the language model is quantized, and only rows of whole
       * blocks: the vision tower and connector are a small share of the
       * bytes but sensitive, and a partial block has no layout. */
      if (ld->in_text && cols % RG_QK == 0)
        return ld->format == RG_WEIGHTS_Q8_0 ? RG_DTYPE_Q8_0 : RG_DTYPE_Q4_0;
      return RG_DTYPE_F16;
    case RG_WEIGHTS_F32:
      return RG_DTYPE_F32;
    case RG_WEIGHTS_F16:
      return RG_DTYPE_F16;
    case RG_WEIGHTS_AUTO:
    default:
      /* bf16 -> bf16 is exact; f32 -> f16 halves memory and bandwidth */
      return src == RG_DTYPE_BF16 ? RG_DTYPE_BF16 : RG_DTYPE_F16;
    }
}

/* Converts N elements of SRC to DST_DTYPE into OUT. */
static void
convert (RgDType src_dtype, const void *src, RgDType dst_dtype, void *out, size_t n, float *tmp)
{
  rg_dtype_to_f32 (src_dtype, src, tmp, n);
  if (dst_dtype == RG_DTYPE_F32)
    memcpy (out, tmp, n * sizeof (float));
  /* rows are whole blocks, so the slice is one run of blocks */
  else if (dst_dtype == RG_DTYPE_Q8_0)
    rg_quantize_row_q8_0 (tmp, out, n);
  else if (dst_dtype == RG_DTYPE_Q4_0)
    rg_quantize_row_q4_0 (tmp, out, n);
  else
    {
      uint16_t *o = out;
      for (size_t i = 0; i < n; i++)
        o[i] = dst_dtype == RG_DTYPE_F16 ? rg_f32_to_f16 (tmp[i]) : rg_f32_to_bf16 (tmp[i]);
    }
}

/* A matrix [ROWS, COLS] (any stored shape with that many elements per row,
 * e.g. the conv kernel [V, C, P, P]), streamed in slices of rows. */
static Mat *
load_mat (Loader *ld, uint32_t rows, uint32_t cols, const char *fmt, ...) G_GNUC_PRINTF (4, 5);

static Mat *
load_mat (Loader *ld, uint32_t rows, uint32_t cols, const char *fmt, ...)
{
  const size_t slice_bytes = 8u << 20;
  g_autofree char *name = NULL;
  const RgTensorInfo *info;
  g_autoptr(RgGpuWeight) w = NULL;
  RgDType dst;
  uint64_t src_row_bytes, dst_row_bytes;
  uint32_t rows_per_slice;
  g_autofree guint8 *buf = NULL;
  g_autofree float *tmp = NULL;
  const guint8 *cached = NULL;
  va_list ap;

  if (loader_failed (ld))
    return NULL;
  va_start (ap, fmt);
  name = g_strdup_vprintf (fmt, ap);
  va_end (ap);

  info = rg_snapshot_get_tensor (ld->snap, name);
  if (info == NULL || info->n_dims < 1 || (uint64_t) info->shape[0] != rows ||
      info->n_elements != (uint64_t) rows * cols ||
      (info->dtype != RG_DTYPE_F32 && info->dtype != RG_DTYPE_F16 && info->dtype != RG_DTYPE_BF16))
    {
      g_set_error (&ld->error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL,
                   "%s: tensor '%s' is missing or not a float matrix of %u x %u",
                   info ? info->filename : rg_snapshot_get_dir (ld->snap), name, rows, cols);
      return NULL;
    }
  dst = target_dtype (ld, info->dtype, cols);
  /* A mixed 4-bit format, as llama.cpp's Q4_K_M keeps some matrices at
   * higher precision: lm_head (the logits' error decides the next token),
   * the token embedding (a gather: one row read per token, so 8 bits cost
   * no bandwidth) and the small k/v projections (GQA: 1/8 of q's size,
   * about 3% of the decoder's bytes) stay Q8_0. */
  if (dst == RG_DTYPE_Q4_0 &&
      (g_str_equal (name, "lm_head.weight") || g_str_equal (name, "model.text_model.embed_tokens.weight") ||
       g_str_has_suffix (name, ".self_attn.k_proj.weight") || g_str_has_suffix (name, ".self_attn.v_proj.weight")))
    dst = RG_DTYPE_Q8_0;
  ld->used_f32 |= dst == RG_DTYPE_F32;
  ld->used_f16 |= dst == RG_DTYPE_F16;
  ld->used_bf16 |= dst == RG_DTYPE_BF16;
  ld->used_q8_0 |= dst == RG_DTYPE_Q8_0;
  ld->used_q4_0 |= dst == RG_DTYPE_Q4_0;
  if (ld->cache && dst != info->dtype)
    {
      cached = rg_weight_cache_lookup (ld->cache, name, dst, rows, cols);
      /* a complete cache without this matrix: convert, write nothing */
      if (cached == NULL && !rg_weight_cache_is_complete (ld->cache) &&
          !rg_weight_cache_begin (ld->cache, name, dst, rows, cols, NULL))
        g_clear_pointer (&ld->cache, rg_weight_cache_free);
    }

  w = rg_gpu_weight_new (ld->self->ctx, name, dst, rows, cols, 0, &ld->error);
  if (w == NULL)
    return NULL;
  rg_dtype_bytes_checked (info->dtype, cols, &src_row_bytes);
  dst_row_bytes = rg_gpu_weight_row_bytes (w);
  rows_per_slice = (uint32_t) CLAMP (slice_bytes / MAX (dst_row_bytes, 1), 1, rows);

  if (dst != info->dtype && cached == NULL)
    {
      buf = g_malloc ((size_t) rows_per_slice * dst_row_bytes);
      tmp = g_new (float, (size_t) rows_per_slice * cols);
    }
  for (uint32_t r = 0; r < rows; r += rows_per_slice)
    {
      uint32_t n = MIN (rows_per_slice, rows - r);
      const guint8 *src = (const guint8 *) info->data + (size_t) r * src_row_bytes;

      if (dst == info->dtype)
        {
          /* straight from the mapped file */
          if (!rg_gpu_weight_upload_rows (w, r, n, src, &ld->error))
            return NULL;
        }
      else if (cached)
        {
          /* converted by an earlier load: straight from the mapped cache */
          if (!rg_gpu_weight_upload_rows (w, r, n, cached + (size_t) r * dst_row_bytes, &ld->error))
            return NULL;
        }
      else
        {
          convert (info->dtype, src, dst, buf, (size_t) n * cols, tmp);
          if (!rg_gpu_weight_upload_rows (w, r, n, buf, &ld->error))
            return NULL;
          /* a cache that cannot be written is dropped, never fatal */
          if (ld->cache && !rg_weight_cache_is_complete (ld->cache) &&
              !rg_weight_cache_append (ld->cache, buf, (size_t) n * dst_row_bytes, NULL))
            g_clear_pointer (&ld->cache, rg_weight_cache_free);
        }
      if (loader_failed (ld))
        return NULL;
    }
  report (ld, info->nbytes);
  ld->self->device_bytes += (guint64) rows * dst_row_bytes;
  ld->self->n_converted += dst != info->dtype && cached == NULL;
  ld->self->n_from_cache += cached != NULL;
  g_ptr_array_add (ld->self->mats, w);
  return g_steal_pointer (&w);
}

static Vec *
load_vec (Loader *ld, uint32_t n, const char *fmt, ...) G_GNUC_PRINTF (3, 4);

/* A small f32 tensor of N elements (norm gains, biases, latents). */
static Vec *
load_vec (Loader *ld, uint32_t n, const char *fmt, ...)
{
  g_autofree char *name = NULL;
  const RgTensorInfo *info;
  g_autofree float *data = NULL;
  Vec *buf;
  va_list ap;

  if (loader_failed (ld))
    return NULL;
  va_start (ap, fmt);
  name = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  info = rg_snapshot_get_tensor (ld->snap, name);
  if (info == NULL || info->n_elements != n)
    {
      g_set_error (&ld->error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL,
                   "%s: tensor '%s' is missing or does not have %u elements",
                   info ? info->filename : rg_snapshot_get_dir (ld->snap), name, n);
      return NULL;
    }
  data = rg_weights_tensor_to_f32 (info, name, info->n_dims, info->shape, &ld->error);
  if (data == NULL)
    return NULL;
  buf = rg_gpu_upload_f32 (ld->self->ctx, name, data, n, &ld->error);
  if (buf == NULL)
    return NULL;
  report (ld, info->nbytes);
  ld->self->device_bytes += (guint64) n * 4;
  g_ptr_array_add (ld->self->vecs, buf);
  return buf;
}

static void
load_vision (Loader *ld, const RgModelConfig *cfg)
{
  RgModelGpu *self = ld->self;
  const RgVisionConfig *vc = &cfg->vision;
  uint32_t V = vc->hidden_size, Vi = vc->intermediate_size, P = vc->patch_size;
  uint32_t side = vc->image_size / vc->patch_size;
  const char *pfx = "model.vision_model";
  const char *lp = "model.vision_model.encoder.layers";

  self->patch = load_mat (ld, V, vc->num_channels * P * P, "%s.embeddings.patch_embedding.weight", pfx);
  self->patch_b = load_vec (ld, V, "%s.embeddings.patch_embedding.bias", pfx);
  self->pos_emb = load_mat (ld, side * side, V, "%s.embeddings.position_embedding.weight", pfx);
  self->vision = g_new0 (VisionLayer, vc->num_hidden_layers);
  for (guint i = 0; i < vc->num_hidden_layers; i++)
    {
      VisionLayer *l = &self->vision[i];

      l->ln1_w = load_vec (ld, V, "%s.%u.layer_norm1.weight", lp, i);
      l->ln1_b = load_vec (ld, V, "%s.%u.layer_norm1.bias", lp, i);
      l->q = load_mat (ld, V, V, "%s.%u.self_attn.q_proj.weight", lp, i);
      l->q_b = load_vec (ld, V, "%s.%u.self_attn.q_proj.bias", lp, i);
      l->k = load_mat (ld, V, V, "%s.%u.self_attn.k_proj.weight", lp, i);
      l->k_b = load_vec (ld, V, "%s.%u.self_attn.k_proj.bias", lp, i);
      l->v = load_mat (ld, V, V, "%s.%u.self_attn.v_proj.weight", lp, i);
      l->v_b = load_vec (ld, V, "%s.%u.self_attn.v_proj.bias", lp, i);
      l->o = load_mat (ld, V, V, "%s.%u.self_attn.out_proj.weight", lp, i);
      l->o_b = load_vec (ld, V, "%s.%u.self_attn.out_proj.bias", lp, i);
      l->ln2_w = load_vec (ld, V, "%s.%u.layer_norm2.weight", lp, i);
      l->ln2_b = load_vec (ld, V, "%s.%u.layer_norm2.bias", lp, i);
      l->fc1 = load_mat (ld, Vi, V, "%s.%u.mlp.fc1.weight", lp, i);
      l->fc1_b = load_vec (ld, Vi, "%s.%u.mlp.fc1.bias", lp, i);
      l->fc2 = load_mat (ld, V, Vi, "%s.%u.mlp.fc2.weight", lp, i);
      l->fc2_b = load_vec (ld, V, "%s.%u.mlp.fc2.bias", lp, i);
    }
  self->post_ln_w = load_vec (ld, V, "%s.post_layernorm.weight", pfx);
  self->post_ln_b = load_vec (ld, V, "%s.post_layernorm.bias", pfx);
}

static void
load_connector (Loader *ld, const RgModelConfig *cfg)
{
  RgModelGpu *self = ld->self;
  const RgPerceiverConfig *pc = &cfg->perceiver;
  uint32_t V = cfg->vision.hidden_size, T = cfg->text.hidden_size;
  uint32_t Ti = cfg->text.intermediate_size;
  uint32_t q_dim = pc->resampler_n_heads * pc->resampler_head_dim;
  uint32_t kv_dim = pc->num_key_value_heads * pc->resampler_head_dim;
  const char *mp = "model.connector.modality_projection";
  const char *pr = "model.connector.perceiver_resampler";

  self->mp_gate = load_mat (ld, Ti, V, "%s.gate_proj.weight", mp);
  self->mp_up = load_mat (ld, Ti, V, "%s.up_proj.weight", mp);
  self->mp_down = load_mat (ld, T, Ti, "%s.down_proj.weight", mp);
  self->latents = load_vec (ld, pc->resampler_n_latents * T, "%s.latents", pr);
  self->perceiver = g_new0 (PerceiverLayer, pc->resampler_depth);
  for (guint i = 0; i < pc->resampler_depth; i++)
    {
      PerceiverLayer *l = &self->perceiver[i];

      l->latents_norm = load_vec (ld, T, "%s.layers.%u.input_latents_norm.weight", pr, i);
      l->context_norm = load_vec (ld, T, "%s.layers.%u.input_context_norm.weight", pr, i);
      l->q = load_mat (ld, q_dim, T, "%s.layers.%u.self_attn.q_proj.weight", pr, i);
      l->k = load_mat (ld, kv_dim, T, "%s.layers.%u.self_attn.k_proj.weight", pr, i);
      l->v = load_mat (ld, kv_dim, T, "%s.layers.%u.self_attn.v_proj.weight", pr, i);
      l->o = load_mat (ld, T, q_dim, "%s.layers.%u.self_attn.o_proj.weight", pr, i);
      l->post_norm = load_vec (ld, T, "%s.layers.%u.post_attention_layernorm.weight", pr, i);
      l->gate = load_mat (ld, 4 * T, T, "%s.layers.%u.mlp.gate_proj.weight", pr, i);
      l->up = load_mat (ld, 4 * T, T, "%s.layers.%u.mlp.up_proj.weight", pr, i);
      l->down = load_mat (ld, T, 4 * T, "%s.layers.%u.mlp.down_proj.weight", pr, i);
    }
  self->perceiver_norm = load_vec (ld, T, "%s.norm.weight", pr);
}

static void
load_text (Loader *ld, const RgModelConfig *cfg, guint context_length)
{
  RgModelGpu *self = ld->self;
  const RgTextConfig *tc = &cfg->text;
  uint32_t T = tc->hidden_size, I = tc->intermediate_size, vocab = tc->vocab_size;
  uint32_t q_dim = tc->num_attention_heads * tc->head_dim;
  uint32_t kv_dim = tc->num_key_value_heads * tc->head_dim;
  const char *pfx = "model.text_model";

  ld->in_text = TRUE;
  self->embed = load_mat (ld, vocab, T, "%s.embed_tokens.weight", pfx);
  self->text = g_new0 (TextLayer, tc->num_hidden_layers);
  for (guint i = 0; i < tc->num_hidden_layers; i++)
    {
      TextLayer *l = &self->text[i];
      g_autofree char *kname = g_strdup_printf ("KV cache keys, layer %u", i);
      g_autofree char *vname = g_strdup_printf ("KV cache values, layer %u", i);
      uint64_t cache_bytes = (uint64_t) context_length * kv_dim * 4;

      l->in_norm = load_vec (ld, T, "%s.layers.%u.input_layernorm.weight", pfx, i);
      l->q = load_mat (ld, q_dim, T, "%s.layers.%u.self_attn.q_proj.weight", pfx, i);
      l->k = load_mat (ld, kv_dim, T, "%s.layers.%u.self_attn.k_proj.weight", pfx, i);
      l->v = load_mat (ld, kv_dim, T, "%s.layers.%u.self_attn.v_proj.weight", pfx, i);
      l->o = load_mat (ld, T, q_dim, "%s.layers.%u.self_attn.o_proj.weight", pfx, i);
      l->post_norm = load_vec (ld, T, "%s.layers.%u.post_attention_layernorm.weight", pfx, i);
      l->gate = load_mat (ld, I, T, "%s.layers.%u.mlp.gate_proj.weight", pfx, i);
      l->up = load_mat (ld, I, T, "%s.layers.%u.mlp.up_proj.weight", pfx, i);
      l->down = load_mat (ld, T, I, "%s.layers.%u.mlp.down_proj.weight", pfx, i);
      if (loader_failed (ld))
        return;
      l->k_cache = rg_vk_buffer_new (self->ctx, kname, cache_bytes, &ld->error);
      if (l->k_cache)
        l->v_cache = rg_vk_buffer_new (self->ctx, vname, cache_bytes, &ld->error);
      if (ld->error)
        return;
      self->device_bytes += 2 * cache_bytes;
    }
  self->norm = load_vec (ld, T, "%s.norm.weight", pfx);

  /* A tied checkpoint may omit lm_head: it is then the embedding. */
  if (rg_snapshot_get_tensor (ld->snap, "lm_head.weight") == NULL &&
      (cfg->tie_word_embeddings || tc->tie_word_embeddings))
    self->lm_head = self->embed;
  else
    self->lm_head = load_mat (ld, vocab, T, "lm_head.weight");

  if (!loader_failed (ld))
    {
      g_autofree float *table = rg_rope_table_new (context_length, tc->head_dim, tc->rope_theta);

      self->rope = rg_gpu_upload_f32 (self->ctx, "rope cos/sin table", table,
                                      (uint64_t) context_length * tc->head_dim, &ld->error);
    }
}

/* ---- Helpers for recording ---------------------------------------------- */

/* Scratch buffers live until the recorder's submit. */
static RgVkBuffer *
scratch (RgVkRecorder *rec, const char *name, uint64_t n_floats)
{
  GError *error = NULL;
  RgVkBuffer *buf = rg_vk_buffer_new (rg_vk_recorder_get_context (rec), name, n_floats * 4, &error);

  if (buf == NULL)
    {
      rg_vk_recorder_take_error (rec, error);
      return NULL;
    }
  rg_vk_recorder_keep_buffer (rec, buf);
  return buf;
}

static RgVkBuffer *
scratch_upload (RgVkRecorder *rec, const char *name, const void *data, uint64_t bytes)
{
  GError *error = NULL;
  RgVkBuffer *buf = rg_vk_buffer_new (rg_vk_recorder_get_context (rec), name, bytes, &error);

  if (buf == NULL || !rg_vk_buffer_upload (buf, 0, data, bytes, &error))
    {
      g_clear_pointer (&buf, rg_vk_buffer_free);
      rg_vk_recorder_take_error (rec, error);
      return NULL;
    }
  rg_vk_recorder_keep_buffer (rec, buf);
  return buf;
}

static gboolean
download (RgVkBuffer *buf, float *out, uint64_t n, GError **error)
{
  return rg_vk_buffer_download (buf, 0, out, n * sizeof (float), error);
}

/* ---- Vision tower -------------------------------------------------------- */

/* One pre-LN encoder layer, in place on x [NP, V]; invalid patches are
 * masked as keys only (their own rows are computed and ignored later). */
/* Activations of one vision layer, shared by all layers of a sub-image:
 * the layers run one after the other, so one set is enough. */
typedef struct
{
  RgVkBuffer *h, *q, *k, *v;   /* [NP, V] each */
  RgVkBuffer *f;               /* [NP, Vi] */
} VisionScratch;

static VisionScratch
vision_scratch (RgVkRecorder *rec, const RgVisionConfig *vc, uint32_t NP)
{
  uint64_t n = (uint64_t) NP * vc->hidden_size;
  VisionScratch s = {
    scratch (rec, "vision h", n), scratch (rec, "vision q", n), scratch (rec, "vision k", n),
    scratch (rec, "vision v", n), scratch (rec, "vision mlp", (uint64_t) NP * vc->intermediate_size),
  };
  return s;
}

static void
vision_layer (RgVkRecorder *rec, const RgVisionConfig *vc, const VisionLayer *l,
              RgVkBuffer *x, uint32_t NP, const RgVkBuffer *key_mask, const VisionScratch *sc)
{
  uint32_t V = vc->hidden_size, Vi = vc->intermediate_size;
  uint32_t H = vc->num_attention_heads, D = V / H;
  RgVkBuffer *h = sc->h;    /* [NP, V] */
  RgVkBuffer *q = sc->q;    /* [NP, H, D] */
  RgVkBuffer *k = sc->k;    /* [NP, H, D] */
  RgVkBuffer *v = sc->v;    /* [NP, H, D] */
  RgVkBuffer *f = sc->f;    /* [NP, Vi] */
  RgAttnParams attn = {
    .n_q = NP, .n_kv = NP, .n_heads = H, .n_kv_heads = H, .head_dim = D,
    .scale = 1.0f / sqrtf ((float) D),
  };

  if (rg_vk_recorder_has_error (rec))
    return;
  /* x = x + out_proj(MHA(LN1(x))) */
  rg_op_layernorm (rec, h, x, l->ln1_w, l->ln1_b, NP, V, vc->layer_norm_eps);
  rg_op_linear (rec, q, h, l->q, RG_LINEAR_BIAS (l->q_b), NP);
  rg_op_linear (rec, k, h, l->k, RG_LINEAR_BIAS (l->k_b), NP);
  rg_op_linear (rec, v, h, l->v, RG_LINEAR_BIAS (l->v_b), NP);
  rg_op_attention (rec, h, q, k, v, key_mask, &attn);    /* h: [NP, H, D] */
  rg_op_linear (rec, q, h, l->o, RG_LINEAR_BIAS (l->o_b), NP);            /* q reused: [NP, V] */
  rg_op_add (rec, x, x, q, (uint64_t) NP * V);

  /* x = x + fc2(gelu_tanh(fc1(LN2(x)))) */
  rg_op_layernorm (rec, h, x, l->ln2_w, l->ln2_b, NP, V, vc->layer_norm_eps);
  rg_op_linear (rec, f, h, l->fc1, RG_LINEAR_BIAS (l->fc1_b), NP);
  rg_op_gelu_tanh (rec, f, f, (uint64_t) NP * Vi);
  rg_op_linear (rec, h, f, l->fc2, RG_LINEAR_BIAS (l->fc2_b), NP);
  rg_op_add (rec, x, x, h, (uint64_t) NP * V);
}

/* Modality projection: c [NP, T] = down(silu(gate(x)) * up(x)), x [NP, V]. */
static void
modality_projection (RgModelGpu *self, RgVkRecorder *rec, RgVkBuffer *x, uint32_t NP, RgVkBuffer *c)
{
  uint32_t Ti = self->parent.config.text.intermediate_size;
  RgVkBuffer *g = scratch (rec, "projection gate", (uint64_t) NP * Ti);  /* [NP, Ti] */
  RgVkBuffer *u = scratch (rec, "projection up", (uint64_t) NP * Ti);    /* [NP, Ti] */

  if (rg_vk_recorder_has_error (rec))
    return;
  rg_op_linear (rec, g, x, self->mp_gate, NULL, NP);
  rg_op_linear (rec, u, x, self->mp_up, NULL, NP);
  rg_op_swiglu (rec, g, g, u, (uint64_t) NP * Ti);
  rg_op_linear (rec, c, g, self->mp_down, NULL, NP);
}

/* Perceiver resampler: NL latents cross-attend to [context, latents].
 * c [NP, T] (never updated); key_mask [NP + NL] uint32; out [NL, T] at
 * row OUT_ROW0 of OUT. */
static void
perceiver_resampler (RgModelGpu *self, RgVkRecorder *rec, RgVkBuffer *c, uint32_t NP,
                     const RgVkBuffer *key_mask, RgVkBuffer *out, uint64_t out_row0)
{
  const RgModelConfig *cfg = &self->parent.config;
  const RgPerceiverConfig *pc = &cfg->perceiver;
  uint32_t T = cfg->text.hidden_size, NL = pc->resampler_n_latents;
  uint32_t Hq = pc->resampler_n_heads, Hkv = pc->num_key_value_heads, D = pc->resampler_head_dim;
  uint32_t NK = NP + NL;                                         /* keys: context then latents */
  float eps = pc->rms_norm_eps;
  RgVkBuffer *lat = scratch (rec, "latents", (uint64_t) NL * T);            /* [NL, T] */
  RgVkBuffer *lat_n = scratch (rec, "normed latents", (uint64_t) NL * T);   /* [NL, T] */
  RgVkBuffer *kv_in = scratch (rec, "perceiver kv input", (uint64_t) NK * T); /* [NK, T] */
  RgVkBuffer *q = scratch (rec, "perceiver q", (uint64_t) NL * Hq * D);     /* [NL, Hq, D] */
  RgVkBuffer *k = scratch (rec, "perceiver k", (uint64_t) NK * Hkv * D);    /* [NK, Hkv, D] */
  RgVkBuffer *v = scratch (rec, "perceiver v", (uint64_t) NK * Hkv * D);    /* [NK, Hkv, D] */
  RgVkBuffer *a = scratch (rec, "perceiver attn", (uint64_t) NL * Hq * D);  /* [NL, Hq, D] */
  RgVkBuffer *h = scratch (rec, "perceiver h", (uint64_t) NL * T);          /* [NL, T] */
  RgVkBuffer *g = scratch (rec, "perceiver gate", (uint64_t) NL * 4 * T);   /* [NL, 4T] */
  RgVkBuffer *u = scratch (rec, "perceiver up", (uint64_t) NL * 4 * T);     /* [NL, 4T] */
  RgVkBuffer *fin = scratch (rec, "perceiver out", (uint64_t) NL * T);      /* [NL, T] */
  RgAttnParams attn = {
    .n_q = NL, .n_kv = NK, .n_heads = Hq, .n_kv_heads = Hkv, .head_dim = D,
    .scale = 1.0f / sqrtf ((float) D),
  };

  if (rg_vk_recorder_has_error (rec))
    return;
  rg_op_copy (rec, lat, 0, self->latents, 0, (uint64_t) NL * T);
  for (guint i = 0; i < pc->resampler_depth; i++)
    {
      const PerceiverLayer *l = &self->perceiver[i];

      /* lat = lat + o_proj(attn(q(norm(lat)), kv([norm(c); norm(lat)]))) */
      rg_op_rmsnorm (rec, kv_in, c, l->context_norm, NP, T, eps);
      rg_op_rmsnorm (rec, lat_n, lat, l->latents_norm, NL, T, eps);
      rg_op_copy (rec, kv_in, (uint64_t) NP * T, lat_n, 0, (uint64_t) NL * T);
      rg_op_linear (rec, q, lat_n, l->q, NULL, NL);
      rg_op_linear (rec, k, kv_in, l->k, NULL, NK);
      rg_op_linear (rec, v, kv_in, l->v, NULL, NK);
      rg_op_attention (rec, a, q, k, v, key_mask, &attn);
      rg_op_linear (rec, h, a, l->o, NULL, NL);
      rg_op_add (rec, lat, lat, h, (uint64_t) NL * T);

      /* lat = lat + down(silu(gate(norm(lat))) * up(norm(lat))) */
      rg_op_rmsnorm (rec, h, lat, l->post_norm, NL, T, eps);
      rg_op_linear (rec, g, h, l->gate, NULL, NL);
      rg_op_linear (rec, u, h, l->up, NULL, NL);
      rg_op_swiglu (rec, g, g, u, (uint64_t) NL * 4 * T);
      rg_op_linear (rec, h, g, l->down, NULL, NL);
      rg_op_add (rec, lat, lat, h, (uint64_t) NL * T);
    }
  rg_op_rmsnorm (rec, fin, lat, self->perceiver_norm, NL, T, eps);
  rg_op_copy (rec, out, out_row0 * T, fin, 0, (uint64_t) NL * T);
}

static gboolean
gpu_encode_images (RgModel *model, const RgPixelBatch *batch, float *features, GError **error)
{
  RgModelGpu *self = (RgModelGpu *) model;
  const RgModelConfig *cfg = &model->config;
  const RgVisionConfig *vc = &cfg->vision;
  uint32_t P = vc->patch_size, C = vc->num_channels, V = vc->hidden_size;
  uint32_t T = cfg->text.hidden_size, NL = cfg->perceiver.resampler_n_latents;
  uint32_t side = vc->image_size / P;
  uint32_t n = batch->n, NP;
  gboolean taps = model->taps != NULL;
  g_autoptr(RgPatchGrid) grid = NULL;
  g_autoptr(RgVkRecorder) rec = NULL;
  g_autoptr(RgVkBuffer) feat = NULL;
  g_autofree float *tap_emb = NULL, *tap_vis = NULL, *tap_mp = NULL;
  g_autofree uint32_t *mask32 = NULL;

  grid = rg_patch_grid_new (batch, P, side, error);
  if (grid == NULL)
    return FALSE;
  NP = grid->rows * grid->cols;
  if (n == 0 || NP == 0)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_IMAGE,
                   "Empty pixel batch (%u images of %u x %u)", batch->n, batch->height, batch->width);
      return FALSE;
    }
  for (size_t i = 0; i < (size_t) n * NP; i++)
    if (grid->position_ids[i] < 0 || (uint32_t) grid->position_ids[i] >= side * side)
      {
        g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_IMAGE,
                     "Vision position id outside the %u x %u grid", side, side);
        return FALSE;
      }

  feat = rg_vk_buffer_new (self->ctx, "image features", (uint64_t) n * NL * T * 4, error);
  if (feat == NULL)
    return FALSE;
  if (taps)
    {
      tap_emb = g_new (float, (size_t) n * NP * V);
      tap_vis = g_new (float, (size_t) n * NP * V);
      tap_mp = g_new (float, (size_t) n * NP * T);
    }
  mask32 = g_new (uint32_t, NP + NL);
  rec = rg_vk_recorder_new (self->ctx);

  /* One sub-image per submit: activations stay within one image's size
   * (at most 70 x 70 patches), whatever the number of crops. */
  for (uint32_t s = 0; s < n; s++)
    {
      const float *pixels = batch->pixel_values + (size_t) s * C * batch->height * batch->width;
      const uint8_t *patch_mask = grid->patch_mask + (size_t) s * NP;
      gboolean all_valid = TRUE;
      RgVkBuffer *px, *ids, *x, *pos, *c, *vision_mask = NULL, *perceiver_mask;
      g_autoptr(RgVkBuffer) keep_emb = NULL, keep_vis = NULL, keep_mp = NULL;

      for (uint32_t i = 0; i < NP; i++)
        {
          mask32[i] = patch_mask[i] != 0;
          all_valid = all_valid && patch_mask[i];
        }
      for (uint32_t i = 0; i < NL; i++)
        mask32[NP + i] = 1;

      px = scratch_upload (rec, "pixels", pixels, (uint64_t) C * batch->height * batch->width * 4);
      ids = scratch_upload (rec, "position ids", grid->position_ids + (size_t) s * NP, (uint64_t) NP * 4);
      perceiver_mask = scratch_upload (rec, "perceiver key mask", mask32, (uint64_t) (NP + NL) * 4);
      if (!all_valid)
        vision_mask = scratch_upload (rec, "patch mask", mask32, (uint64_t) NP * 4);
      x = scratch (rec, "vision x", (uint64_t) NP * V);      /* [NP, V] */
      pos = scratch (rec, "vision pos", (uint64_t) NP * V);  /* [NP, V] */
      c = scratch (rec, "context", (uint64_t) NP * T);       /* [NP, T] */
      if (taps)
        {
          /* outlive the submit, unlike scratch buffers */
          keep_emb = rg_vk_buffer_new (self->ctx, "tap vision_embeddings", (uint64_t) NP * V * 4, error);
          keep_vis = keep_emb ? rg_vk_buffer_new (self->ctx, "tap vision_last_hidden_state", (uint64_t) NP * V * 4, error) : NULL;
          keep_mp = keep_vis ? rg_vk_buffer_new (self->ctx, "tap modality_projection_output", (uint64_t) NP * T * 4, error) : NULL;
          if (keep_mp == NULL)
            return FALSE;
        }
      if (rg_vk_recorder_has_error (rec))
        return rg_vk_recorder_submit (rec, error);

      /* x [NP, V] = conv14x14(pixels) + position_embedding[pos_ids] */
      rg_op_patch_embed (rec, x, px, self->patch, self->patch_b, C, batch->height, batch->width, P);
      rg_op_embedding (rec, pos, self->pos_emb, ids, NP);
      rg_op_add (rec, x, x, pos, (uint64_t) NP * V);
      if (taps)
        rg_op_copy (rec, keep_emb, 0, x, 0, (uint64_t) NP * V);

      {
        VisionScratch sc = vision_scratch (rec, vc, NP);

        for (guint i = 0; i < vc->num_hidden_layers; i++)
          vision_layer (rec, vc, &self->vision[i], x, NP, vision_mask, &sc);
      }
      rg_op_layernorm (rec, x, x, self->post_ln_w, self->post_ln_b, NP, V, vc->layer_norm_eps);
      if (taps)
        rg_op_copy (rec, keep_vis, 0, x, 0, (uint64_t) NP * V);

      modality_projection (self, rec, x, NP, c);
      if (taps)
        rg_op_copy (rec, keep_mp, 0, c, 0, (uint64_t) NP * T);
      perceiver_resampler (self, rec, c, NP, perceiver_mask, feat, (uint64_t) s * NL);

      if (!rg_vk_recorder_submit (rec, error))
        return FALSE;
      if (taps &&
          (!download (keep_emb, tap_emb + (size_t) s * NP * V, (uint64_t) NP * V, error) ||
           !download (keep_vis, tap_vis + (size_t) s * NP * V, (uint64_t) NP * V, error) ||
           !download (keep_mp, tap_mp + (size_t) s * NP * T, (uint64_t) NP * T, error)))
        return FALSE;
    }
  if (!download (feat, features, (uint64_t) n * NL * T, error))
    return FALSE;
  if (taps)
    {
      rg_taps_store (model->taps, "vision_embeddings", 3, (int64_t[]) { n, NP, V }, tap_emb);
      rg_taps_store (model->taps, "vision_last_hidden_state", 3, (int64_t[]) { n, NP, V }, tap_vis);
      rg_taps_store (model->taps, "modality_projection_output", 3, (int64_t[]) { n, NP, T }, tap_mp);
      rg_taps_store (model->taps, "connector_output", 3, (int64_t[]) { n, NL, T }, features);
    }
  return TRUE;
}

/* ---- Language model ------------------------------------------------------ */

/* Activations of one decoder layer, shared by all layers of a forward. */
typedef struct
{
  RgVkBuffer *h;      /* [L, T]: RMSNorm(x) where not fused into the linear layers */
  RgVkBuffer *q, *a;  /* [L, H, D] */
  RgVkBuffer *g, *u;  /* [L, I] */
} TextScratch;

static TextScratch
text_scratch (RgVkRecorder *rec, const RgTextConfig *tc, uint32_t L)
{
  uint64_t hd = (uint64_t) tc->num_attention_heads * tc->head_dim;
  TextScratch s = {
    scratch (rec, "text h", (uint64_t) L * tc->hidden_size),
    scratch (rec, "text q", L * hd), scratch (rec, "text attn", L * hd),
    scratch (rec, "text gate", (uint64_t) L * tc->intermediate_size),
    scratch (rec, "text up", (uint64_t) L * tc->intermediate_size),
  };
  return s;
}

/* The input of the linear layers after an RMSNorm of X: the norm fused
 * into them where the device allows (no pass of its own), else X
 * normalized once into SCRATCH. */
typedef struct
{
  const RgVkBuffer *x;
  RgLinearParams lp;
} NormedInput;

static void
norm_input (RgVkRecorder *rec, RgVkBuffer *x, RgVkBuffer *scratch, const RgVkBuffer *gain,
            uint32_t L, uint32_t T, float eps, NormedInput *in)
{
  *in = (NormedInput) { .x = x };
  if (rg_op_linear_fuses_norm (rec, L))
    {
      in->lp.norm_gain = gain;
      in->lp.norm_eps = eps;
    }
  else
    {
      rg_op_rmsnorm (rec, scratch, x, gain, L, T, eps);
      in->x = scratch;
    }
}

/* One Mistral decoder layer on x [L, T] at positions n_past.., appending
 * its keys/values to the layer's cache. */
static void
text_layer (RgModelGpu *self, RgVkRecorder *rec, guint li, RgVkBuffer *x, uint32_t L, const TextScratch *sc)
{
  const RgTextConfig *tc = &self->parent.config.text;
  const TextLayer *l = &self->text[li];
  uint32_t T = tc->hidden_size;
  uint32_t H = tc->num_attention_heads, Hkv = tc->num_key_value_heads, D = tc->head_dim;
  uint32_t n_past = self->parent.n_past;
  RgVkBuffer *h = sc->h;   /* [L, T] */
  RgVkBuffer *q = sc->q;   /* [L, H, D] */
  RgVkBuffer *a = sc->a;   /* [L, H, D] */
  RgVkBuffer *g = sc->g;   /* [L, I] */
  RgVkBuffer *u = sc->u;   /* [L, I] */
  RgLinearParams residual = { .accumulate = TRUE };
  NormedInput in;
  RgAttnParams attn = {
    .n_q = L, .n_kv = n_past + L, .n_heads = H, .n_kv_heads = Hkv, .head_dim = D,
    .scale = 1.0f / sqrtf ((float) D), .causal = TRUE, .q_pos0 = n_past,
    .window = tc->sliding_window,
  };

  if (rg_vk_recorder_has_error (rec))
    return;
  /* x = x + o_proj(attn(rope(q), cache + rope(k), cache + v)) on RMSNorm(x);
   * k and v are written straight into the cache's next rows, and RoPE
   * turns q and those rows in one pass */
  norm_input (rec, x, h, l->in_norm, L, T, tc->rms_norm_eps, &in);
  rg_op_linear (rec, q, in.x, l->q, &in.lp, L);
  in.lp.out_offset = (uint64_t) n_past * Hkv * D;
  rg_op_linear (rec, l->k_cache, in.x, l->k, &in.lp, L);
  rg_op_linear (rec, l->v_cache, in.x, l->v, &in.lp, L);
  rg_op_rope_qk (rec, q, H, l->k_cache, (uint64_t) n_past * Hkv * D, Hkv, self->rope, L, D, n_past);
  rg_op_attention (rec, a, q, l->k_cache, l->v_cache, NULL, &attn);
  rg_op_linear (rec, x, a, l->o, &residual, L);

  /* x = x + down(silu(gate(RMSNorm(x))) * up(RMSNorm(x))) */
  norm_input (rec, x, h, l->post_norm, L, T, tc->rms_norm_eps, &in);
  rg_op_linear (rec, g, in.x, l->gate, &in.lp, L);
  in.lp.gate_silu = g;   /* u = silu(g) * up(x) */
  rg_op_linear (rec, u, in.x, l->up, &in.lp, L);
  rg_op_linear (rec, x, u, l->down, &residual, L);
}

static gboolean
gpu_forward (RgModel *model, const int32_t *ids, guint n,
             const float *image_features, guint n_image_rows,
             float *logits, GError **error)
{
  RgModelGpu *self = (RgModelGpu *) model;
  const RgModelConfig *cfg = &model->config;
  const RgTextConfig *tc = &cfg->text;
  uint32_t T = tc->hidden_size, L = n, vocab = tc->vocab_size;
  g_autoptr(RgVkRecorder) rec = NULL;
  g_autoptr(RgVkBuffer) x = NULL;       /* [L, T] */
  g_autoptr(RgVkBuffer) out = NULL;     /* [vocab] */
  g_autoptr(GArray) image_rows = g_array_new (FALSE, FALSE, sizeof (int32_t));
  RgVkBuffer *bids, *last;
  RgLinearParams head_in = { .norm_gain = self->norm, .norm_eps = tc->rms_norm_eps };

  if (!rg_model_check_forward (model, ids, n, image_features, n_image_rows, error))
    return FALSE;
  if (image_features)
    for (guint i = 0; i < n; i++)
      if (ids[i] == cfg->image_token_id)
        {
          int32_t row = (int32_t) i;
          g_array_append_val (image_rows, row);
        }

  x = rg_vk_buffer_new (self->ctx, "hidden states", (uint64_t) L * T * 4, error);
  if (x == NULL)
    return FALSE;
  out = rg_vk_buffer_new (self->ctx, "logits", (uint64_t) vocab * 4, error);
  if (out == NULL)
    return FALSE;
  rec = rg_vk_recorder_new (self->ctx);

  /* x = embed(ids), image-token rows replaced in order by image features */
  bids = scratch_upload (rec, "token ids", ids, (uint64_t) n * 4);
  if (bids)
    rg_op_embedding (rec, x, self->embed, bids, n);
  if (image_features && n_image_rows > 0)
    {
      RgVkBuffer *feat = scratch_upload (rec, "image features", image_features, (uint64_t) n_image_rows * T * 4);
      RgVkBuffer *rows = scratch_upload (rec, "image rows", image_rows->data, (uint64_t) n_image_rows * 4);

      if (feat && rows)
        rg_op_scatter_rows (rec, x, feat, rows, n_image_rows, T);
    }
  if (model->taps)
    {
      g_autofree float *emb = g_new (float, (size_t) L * T);

      if (!rg_vk_recorder_submit (rec, error) || !download (x, emb, (uint64_t) L * T, error))
        return FALSE;
      rg_taps_store (model->taps, "inputs_embeds", 2, (int64_t[]) { L, T }, emb);
    }

  {
    TextScratch sc = text_scratch (rec, tc, L);

    for (guint i = 0; i < tc->num_hidden_layers; i++)
      text_layer (self, rec, i, x, L, &sc);
  }

  /* logits of the last row only, its final norm fused into lm_head unless
   * the taps want every normalized row */
  if (model->taps || !rg_op_linear_fuses_norm (rec, 1))
    {
      rg_op_rmsnorm (rec, x, x, self->norm, L, T, tc->rms_norm_eps);
      head_in.norm_gain = NULL;
    }
  last = L == 1 ? x : scratch (rec, "last hidden state", T);
  if (last)
    {
      if (last != x)
        rg_op_copy (rec, last, 0, x, (uint64_t) (L - 1) * T, T);
      rg_op_linear (rec, out, last, self->lm_head, &head_in, 1);
    }
  if (!rg_vk_recorder_submit (rec, error))
    return FALSE;

  if (model->taps)
    {
      g_autofree float *hs = g_new (float, (size_t) L * T);

      if (!download (x, hs, (uint64_t) L * T, error))
        return FALSE;
      rg_taps_store (model->taps, "text_last_hidden_state", 2, (int64_t[]) { L, T }, hs);
    }
  if (logits && !download (out, logits, vocab, error))
    return FALSE;

  model->n_past += n;
  return TRUE;
}

static void
gpu_free (RgModel *model)
{
  RgModelGpu *self = (RgModelGpu *) model;
  const RgTextConfig *tc = &model->config.text;

  if (self->text)
    for (guint i = 0; i < tc->num_hidden_layers; i++)
      {
        g_clear_pointer (&self->text[i].k_cache, rg_vk_buffer_free);
        g_clear_pointer (&self->text[i].v_cache, rg_vk_buffer_free);
      }
  g_clear_pointer (&self->rope, rg_vk_buffer_free);
  if (self->mats)
    g_ptr_array_unref (self->mats);
  if (self->vecs)
    g_ptr_array_unref (self->vecs);
  g_free (self->vision);
  g_free (self->perceiver);
  g_free (self->text);
  g_free (self);
}

static const RgModelVTable gpu_vtable = {
  .free = gpu_free,
  .encode_images = gpu_encode_images,
  .forward = gpu_forward,
  .truncate = rg_model_truncate_positions,
};

RgModel *
rg_model_gpu_new (RgSnapshot *snap, RgVkContext *ctx, RgWeightFormat format,
                  guint context_length, GCancellable *cancellable,
                  RgModelProgress progress, gpointer progress_data, GError **error)
{
  g_autoptr(RgModel) model = NULL;
  RgModelGpu *self;
  Loader ld = {
    .snap = snap, .format = format, .cancellable = cancellable,
    .progress = progress, .progress_data = progress_data,
  };

  self = g_new0 (RgModelGpu, 1);
  model = &self->parent;
  model->vtable = &gpu_vtable;
  model->config = *rg_snapshot_get_config (snap);
  model->context_length = context_length ? context_length : 4096;
  self->ctx = ctx;
  self->mats = g_ptr_array_new_with_free_func ((GDestroyNotify) rg_gpu_weight_free);
  self->vecs = g_ptr_array_new_with_free_func ((GDestroyNotify) rg_vk_buffer_free);

  if (model->config.perceiver.hidden_size != model->config.text.hidden_size)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_UNSUPPORTED,
                   "Perceiver hidden size %u differs from the text hidden size %u",
                   model->config.perceiver.hidden_size, model->config.text.hidden_size);
      return NULL;
    }
  if (model->config.text.head_dim % 2 != 0)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_UNSUPPORTED,
                   "Odd text head dimension %u", model->config.text.head_dim);
      return NULL;
    }

  ld.self = self;
  ld.total = rg_snapshot_get_total_bytes (snap);
  if (format == RG_WEIGHTS_Q8_0 || format == RG_WEIGHTS_Q4_0)
    {
      g_autoptr(GError) cache_error = NULL;

      /* quantizing takes longer than reading: keep the result (a cache
       * that cannot be made only costs the next load that time again) */
      ld.cache = rg_weight_cache_open (snap, format == RG_WEIGHTS_Q8_0 ? "q8_0" : "q4_0", &cache_error);
      if (cache_error)
        g_warning ("Weight cache off: %s", cache_error->message);
    }
  load_vision (&ld, &model->config);
  load_connector (&ld, &model->config);
  load_text (&ld, &model->config, model->context_length);
  if (ld.error)
    {
      g_clear_pointer (&ld.cache, rg_weight_cache_free);
      g_propagate_error (error, ld.error);
      return NULL;
    }
  if (ld.cache && !rg_weight_cache_is_complete (ld.cache))
    {
      g_autoptr(GError) cache_error = NULL;

      if (!rg_weight_cache_commit (ld.cache, &cache_error))
        g_warning ("Weight cache not written: %s", cache_error->message);
    }
  g_clear_pointer (&ld.cache, rg_weight_cache_free);
  /* quantized formats name the language model's type (the vision tower
   * and connector are f16 there) */
  self->format_name = ld.used_q4_0 ? "q4_0" : ld.used_q8_0 ? "q8_0"
                      : (ld.used_f32 + ld.used_f16 + ld.used_bf16) > 1 ? "mixed"
                      : ld.used_f16 ? "f16" : ld.used_bf16 ? "bf16" : "f32";
  return g_steal_pointer (&model);
}

const char *
rg_model_gpu_get_weight_format (RgModel *model)
{
  return ((RgModelGpu *) model)->format_name;
}

guint64
rg_model_gpu_get_device_bytes (RgModel *model)
{
  return ((RgModelGpu *) model)->device_bytes;
}

void
rg_model_gpu_get_load_stats (RgModel *model, guint *n_converted, guint *n_from_cache)
{
  RgModelGpu *self = (RgModelGpu *) model;

  if (n_converted)
    *n_converted = self->n_converted;
  if (n_from_cache)
    *n_from_cache = self->n_from_cache;
}
