/* rg-model-cpu.c: IDEFICS2 on the CPU, built from the reference ops.
 *
 * Reads like the paper: vision tower (SigLIP NaViT), connector (SwiGLU
 * modality projection + perceiver resampler), Mistral decoder with a KV
 * cache. Shapes use V = vision hidden, T = text hidden, NP = patches of the
 * padded grid, NL = perceiver latents, L = new tokens. */
#include "rg-model-cpu.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "regard-error.h"
#include "rg-patches.h"
#include "rg-ref-ops.h"
#include "rg-weights.h"

typedef struct
{
  float *ln1_w, *ln1_b;              /* [V] */
  float *q_w, *k_w, *v_w, *o_w;      /* [V, V] */
  float *q_b, *k_b, *v_b, *o_b;      /* [V] */
  float *ln2_w, *ln2_b;              /* [V] */
  float *fc1_w, *fc1_b;              /* [Vi, V], [Vi] */
  float *fc2_w, *fc2_b;              /* [V, Vi], [V] */
} VisionLayer;

typedef struct
{
  float *latents_norm, *context_norm; /* [T] */
  float *q_w;                         /* [Hq*D, T] */
  float *k_w, *v_w;                   /* [Hkv*D, T] */
  float *o_w;                         /* [T, Hq*D] */
  float *post_norm;                   /* [T] */
  float *gate_w, *up_w;               /* [4T, T] */
  float *down_w;                      /* [T, 4T] */
} PerceiverLayer;

typedef struct
{
  float *in_norm;                     /* [T] */
  float *q_w;                         /* [H*D, T] */
  float *k_w, *v_w;                   /* [Hkv*D, T] */
  float *o_w;                         /* [T, H*D] */
  float *post_norm;                   /* [T] */
  float *gate_w, *up_w;               /* [I, T] */
  float *down_w;                      /* [T, I] */
} TextLayer;

typedef struct
{
  RgModel parent;
  GPtrArray *owned;          /* every weight buffer (g_free) */

  /* vision */
  float *patch_w;            /* [V, C, P, P] */
  float *patch_b;            /* [V] */
  float *pos_emb;            /* [(S/P)^2, V] */
  VisionLayer *vision;
  float *post_ln_w, *post_ln_b;

  /* connector */
  float *mp_gate, *mp_up;    /* [Ti, V] (Ti = text intermediate) */
  float *mp_down;            /* [T, Ti] */
  float *latents;            /* [NL, T] */
  PerceiverLayer *perceiver;
  float *perceiver_norm;     /* [T] */

  /* text */
  float *embed;              /* [vocab, T] */
  TextLayer *text;
  float *norm;               /* [T] */
  float *lm_head;            /* [vocab, T] (may be embed when tied) */

  float *k_cache, *v_cache;  /* [layers, context, Hkv, D] */
} RgModelCpu;

/* ---- Loading ------------------------------------------------------------ */

typedef struct
{
  RgSnapshot *snap;
  RgModelCpu *self;
  GError *error;   /* first failure; later loads are skipped */
  GCancellable *cancellable;
  RgModelProgress progress;
  gpointer progress_data;
  guint64 done, total;  /* checkpoint bytes read so far, of all */
} Loader;

#define SHAPE1(a) 1, (const int64_t[]) { (a) }
#define SHAPE2(a, b) 2, (const int64_t[]) { (a), (b) }
#define SHAPE4(a, b, c, d) 4, (const int64_t[]) { (a), (b), (c), (d) }

static float *load (Loader *ld, guint n_dims, const int64_t *shape, const char *fmt, ...) G_GNUC_PRINTF (4, 5);

static float *
load (Loader *ld, guint n_dims, const int64_t *shape, const char *fmt, ...)
{
  g_autofree char *name = NULL;
  va_list ap;
  float *w;

  if (ld->error || g_cancellable_set_error_if_cancelled (ld->cancellable, &ld->error))
    return NULL;
  va_start (ap, fmt);
  name = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  w = rg_weights_load_f32 (ld->snap, name, n_dims, shape, &ld->error);
  if (w)
    {
      const RgTensorInfo *t = rg_snapshot_get_tensor (ld->snap, name);

      g_ptr_array_add (ld->self->owned, w);
      ld->done += t ? t->nbytes : 0;
      if (ld->progress)
        ld->progress (MIN (ld->done, ld->total), ld->total, ld->progress_data);
    }
  return w;
}

static void
load_vision (Loader *ld, const RgModelConfig *cfg)
{
  RgModelCpu *self = ld->self;
  const RgVisionConfig *vc = &cfg->vision;
  int64_t V = vc->hidden_size, Vi = vc->intermediate_size, P = vc->patch_size;
  int64_t side = vc->image_size / vc->patch_size;
  const char *pfx = "model.vision_model";

  self->patch_w = load (ld, SHAPE4 (V, vc->num_channels, P, P), "%s.embeddings.patch_embedding.weight", pfx);
  self->patch_b = load (ld, SHAPE1 (V), "%s.embeddings.patch_embedding.bias", pfx);
  self->pos_emb = load (ld, SHAPE2 (side * side, V), "%s.embeddings.position_embedding.weight", pfx);
  self->vision = g_new0 (VisionLayer, vc->num_hidden_layers);
  for (guint i = 0; i < vc->num_hidden_layers; i++)
    {
      VisionLayer *l = &self->vision[i];
      const char *lp = "model.vision_model.encoder.layers";

      l->ln1_w = load (ld, SHAPE1 (V), "%s.%u.layer_norm1.weight", lp, i);
      l->ln1_b = load (ld, SHAPE1 (V), "%s.%u.layer_norm1.bias", lp, i);
      l->q_w = load (ld, SHAPE2 (V, V), "%s.%u.self_attn.q_proj.weight", lp, i);
      l->q_b = load (ld, SHAPE1 (V), "%s.%u.self_attn.q_proj.bias", lp, i);
      l->k_w = load (ld, SHAPE2 (V, V), "%s.%u.self_attn.k_proj.weight", lp, i);
      l->k_b = load (ld, SHAPE1 (V), "%s.%u.self_attn.k_proj.bias", lp, i);
      l->v_w = load (ld, SHAPE2 (V, V), "%s.%u.self_attn.v_proj.weight", lp, i);
      l->v_b = load (ld, SHAPE1 (V), "%s.%u.self_attn.v_proj.bias", lp, i);
      l->o_w = load (ld, SHAPE2 (V, V), "%s.%u.self_attn.out_proj.weight", lp, i);
      l->o_b = load (ld, SHAPE1 (V), "%s.%u.self_attn.out_proj.bias", lp, i);
      l->ln2_w = load (ld, SHAPE1 (V), "%s.%u.layer_norm2.weight", lp, i);
      l->ln2_b = load (ld, SHAPE1 (V), "%s.%u.layer_norm2.bias", lp, i);
      l->fc1_w = load (ld, SHAPE2 (Vi, V), "%s.%u.mlp.fc1.weight", lp, i);
      l->fc1_b = load (ld, SHAPE1 (Vi), "%s.%u.mlp.fc1.bias", lp, i);
      l->fc2_w = load (ld, SHAPE2 (V, Vi), "%s.%u.mlp.fc2.weight", lp, i);
      l->fc2_b = load (ld, SHAPE1 (V), "%s.%u.mlp.fc2.bias", lp, i);
    }
  self->post_ln_w = load (ld, SHAPE1 (V), "%s.post_layernorm.weight", pfx);
  self->post_ln_b = load (ld, SHAPE1 (V), "%s.post_layernorm.bias", pfx);
}

static void
load_connector (Loader *ld, const RgModelConfig *cfg)
{
  RgModelCpu *self = ld->self;
  const RgPerceiverConfig *pc = &cfg->perceiver;
  int64_t V = cfg->vision.hidden_size, T = cfg->text.hidden_size;
  int64_t Ti = cfg->text.intermediate_size;
  int64_t q_dim = (int64_t) pc->resampler_n_heads * pc->resampler_head_dim;
  int64_t kv_dim = (int64_t) pc->num_key_value_heads * pc->resampler_head_dim;
  const char *mp = "model.connector.modality_projection";
  const char *pr = "model.connector.perceiver_resampler";

  self->mp_gate = load (ld, SHAPE2 (Ti, V), "%s.gate_proj.weight", mp);
  self->mp_up = load (ld, SHAPE2 (Ti, V), "%s.up_proj.weight", mp);
  self->mp_down = load (ld, SHAPE2 (T, Ti), "%s.down_proj.weight", mp);
  self->latents = load (ld, SHAPE2 (pc->resampler_n_latents, T), "%s.latents", pr);
  self->perceiver = g_new0 (PerceiverLayer, pc->resampler_depth);
  for (guint i = 0; i < pc->resampler_depth; i++)
    {
      PerceiverLayer *l = &self->perceiver[i];

      l->latents_norm = load (ld, SHAPE1 (T), "%s.layers.%u.input_latents_norm.weight", pr, i);
      l->context_norm = load (ld, SHAPE1 (T), "%s.layers.%u.input_context_norm.weight", pr, i);
      l->q_w = load (ld, SHAPE2 (q_dim, T), "%s.layers.%u.self_attn.q_proj.weight", pr, i);
      l->k_w = load (ld, SHAPE2 (kv_dim, T), "%s.layers.%u.self_attn.k_proj.weight", pr, i);
      l->v_w = load (ld, SHAPE2 (kv_dim, T), "%s.layers.%u.self_attn.v_proj.weight", pr, i);
      l->o_w = load (ld, SHAPE2 (T, q_dim), "%s.layers.%u.self_attn.o_proj.weight", pr, i);
      l->post_norm = load (ld, SHAPE1 (T), "%s.layers.%u.post_attention_layernorm.weight", pr, i);
      l->gate_w = load (ld, SHAPE2 (4 * T, T), "%s.layers.%u.mlp.gate_proj.weight", pr, i);
      l->up_w = load (ld, SHAPE2 (4 * T, T), "%s.layers.%u.mlp.up_proj.weight", pr, i);
      l->down_w = load (ld, SHAPE2 (T, 4 * T), "%s.layers.%u.mlp.down_proj.weight", pr, i);
    }
  self->perceiver_norm = load (ld, SHAPE1 (T), "%s.norm.weight", pr);
}

static void
load_text (Loader *ld, const RgModelConfig *cfg)
{
  RgModelCpu *self = ld->self;
  const RgTextConfig *tc = &cfg->text;
  int64_t T = tc->hidden_size, I = tc->intermediate_size, vocab = tc->vocab_size;
  int64_t q_dim = (int64_t) tc->num_attention_heads * tc->head_dim;
  int64_t kv_dim = (int64_t) tc->num_key_value_heads * tc->head_dim;
  const char *pfx = "model.text_model";

  self->embed = load (ld, SHAPE2 (vocab, T), "%s.embed_tokens.weight", pfx);
  self->text = g_new0 (TextLayer, tc->num_hidden_layers);
  for (guint i = 0; i < tc->num_hidden_layers; i++)
    {
      TextLayer *l = &self->text[i];

      l->in_norm = load (ld, SHAPE1 (T), "%s.layers.%u.input_layernorm.weight", pfx, i);
      l->q_w = load (ld, SHAPE2 (q_dim, T), "%s.layers.%u.self_attn.q_proj.weight", pfx, i);
      l->k_w = load (ld, SHAPE2 (kv_dim, T), "%s.layers.%u.self_attn.k_proj.weight", pfx, i);
      l->v_w = load (ld, SHAPE2 (kv_dim, T), "%s.layers.%u.self_attn.v_proj.weight", pfx, i);
      l->o_w = load (ld, SHAPE2 (T, q_dim), "%s.layers.%u.self_attn.o_proj.weight", pfx, i);
      l->post_norm = load (ld, SHAPE1 (T), "%s.layers.%u.post_attention_layernorm.weight", pfx, i);
      l->gate_w = load (ld, SHAPE2 (I, T), "%s.layers.%u.mlp.gate_proj.weight", pfx, i);
      l->up_w = load (ld, SHAPE2 (I, T), "%s.layers.%u.mlp.up_proj.weight", pfx, i);
      l->down_w = load (ld, SHAPE2 (T, I), "%s.layers.%u.mlp.down_proj.weight", pfx, i);
    }
  self->norm = load (ld, SHAPE1 (T), "%s.norm.weight", pfx);

  /* A tied checkpoint may omit lm_head: it is then the embedding. */
  if (rg_snapshot_get_tensor (ld->snap, "lm_head.weight") == NULL &&
      (cfg->tie_word_embeddings || tc->tie_word_embeddings))
    self->lm_head = self->embed;
  else
    self->lm_head = load (ld, SHAPE2 (vocab, T), "lm_head.weight");
}

/* ---- Vision tower ------------------------------------------------------- */

/* One pre-LN encoder layer, in place on x [NP, V]; invalid patches are
 * masked as keys only (their own rows are computed and ignored later). */
static void
vision_layer (const RgVisionConfig *vc, const VisionLayer *l, float *x,
              size_t NP, const uint8_t *key_mask)
{
  size_t V = vc->hidden_size, Vi = vc->intermediate_size;
  size_t H = vc->num_attention_heads, D = V / H;
  g_autofree float *h = g_new (float, NP * V);     /* [NP, V] */
  g_autofree float *q = g_new (float, NP * V);     /* [NP, H, D] */
  g_autofree float *k = g_new (float, NP * V);     /* [NP, H, D] */
  g_autofree float *v = g_new (float, NP * V);     /* [NP, H, D] */
  g_autofree float *f = g_new (float, NP * Vi);    /* [NP, Vi] */
  RgRefAttnParams attn = {
    .n_q = NP, .n_kv = NP, .n_heads = H, .n_kv_heads = H, .head_dim = D,
    .scale = 1.0f / sqrtf ((float) D), .key_mask = key_mask,
  };

  /* x = x + out_proj(MHA(LN1(x))) */
  rg_ref_layernorm (x, l->ln1_w, l->ln1_b, h, NP, V, vc->layer_norm_eps);
  rg_ref_linear (h, l->q_w, l->q_b, q, NP, V, V);
  rg_ref_linear (h, l->k_w, l->k_b, k, NP, V, V);
  rg_ref_linear (h, l->v_w, l->v_b, v, NP, V, V);
  rg_ref_attention (q, k, v, h, &attn);            /* h: [NP, H, D] */
  rg_ref_linear (h, l->o_w, l->o_b, q, NP, V, V);  /* q reused: [NP, V] */
  rg_ref_add (x, q, x, NP * V);

  /* x = x + fc2(gelu_tanh(fc1(LN2(x)))) */
  rg_ref_layernorm (x, l->ln2_w, l->ln2_b, h, NP, V, vc->layer_norm_eps);
  rg_ref_linear (h, l->fc1_w, l->fc1_b, f, NP, Vi, V);
  rg_ref_gelu_tanh (f, f, NP * Vi);
  rg_ref_linear (f, l->fc2_w, l->fc2_b, h, NP, V, Vi);
  rg_ref_add (x, h, x, NP * V);
}

/* ---- Connector ---------------------------------------------------------- */

/* Modality projection: c [NP, T] = down(silu(gate(x)) * up(x)), x [NP, V]. */
static void
modality_projection (RgModelCpu *self, const float *x, size_t NP, float *c)
{
  const RgModelConfig *cfg = &self->parent.config;
  size_t V = cfg->vision.hidden_size, T = cfg->text.hidden_size;
  size_t Ti = cfg->text.intermediate_size;
  g_autofree float *g = g_new (float, NP * Ti);  /* [NP, Ti] */
  g_autofree float *u = g_new (float, NP * Ti);  /* [NP, Ti] */

  rg_ref_linear (x, self->mp_gate, NULL, g, NP, Ti, V);
  rg_ref_linear (x, self->mp_up, NULL, u, NP, Ti, V);
  rg_ref_swiglu (g, u, g, NP * Ti);
  rg_ref_linear (g, self->mp_down, NULL, c, NP, T, Ti);
}

/* Perceiver resampler: NL latents cross-attend to [context, latents].
 * c [NP, T] (never updated), patch_mask [NP], out [NL, T]. */
static void
perceiver_resampler (RgModelCpu *self, const float *c, const uint8_t *patch_mask,
                     size_t NP, float *out)
{
  const RgModelConfig *cfg = &self->parent.config;
  const RgPerceiverConfig *pc = &cfg->perceiver;
  size_t T = cfg->text.hidden_size, NL = pc->resampler_n_latents;
  size_t Hq = pc->resampler_n_heads, Hkv = pc->num_key_value_heads, D = pc->resampler_head_dim;
  size_t NK = NP + NL;                                  /* keys: context then latents */
  float eps = pc->rms_norm_eps;
  g_autofree float *lat = g_memdup2 (self->latents, NL * T * sizeof (float)); /* [NL, T] */
  g_autofree float *kv_in = g_new (float, NK * T);     /* [NK, T] = [norm(c); norm(lat)] */
  g_autofree float *q = g_new (float, NL * Hq * D);    /* [NL, Hq, D] */
  g_autofree float *k = g_new (float, NK * Hkv * D);   /* [NK, Hkv, D] */
  g_autofree float *v = g_new (float, NK * Hkv * D);   /* [NK, Hkv, D] */
  g_autofree float *a = g_new (float, NL * Hq * D);    /* [NL, Hq, D] */
  g_autofree float *h = g_new (float, NL * T);         /* [NL, T] */
  g_autofree float *g = g_new (float, NL * 4 * T);     /* [NL, 4T] */
  g_autofree float *u = g_new (float, NL * 4 * T);     /* [NL, 4T] */
  g_autofree uint8_t *key_mask = g_new (uint8_t, NK);  /* [patch mask, ones(NL)] */
  float *lat_n = kv_in + NP * T;                       /* the normed latents: queries' input */
  RgRefAttnParams attn = {
    .n_q = NL, .n_kv = NK, .n_heads = Hq, .n_kv_heads = Hkv, .head_dim = D,
    .scale = 1.0f / sqrtf ((float) D), .key_mask = key_mask,
  };

  memcpy (key_mask, patch_mask, NP);
  memset (key_mask + NP, 1, NL);

  for (guint i = 0; i < pc->resampler_depth; i++)
    {
      const PerceiverLayer *l = &self->perceiver[i];

      /* lat = lat + o_proj(attn(q(norm(lat)), kv([norm(c); norm(lat)]))) */
      rg_ref_rmsnorm (c, l->context_norm, kv_in, NP, T, eps);
      rg_ref_rmsnorm (lat, l->latents_norm, lat_n, NL, T, eps);
      rg_ref_linear (lat_n, l->q_w, NULL, q, NL, Hq * D, T);
      rg_ref_linear (kv_in, l->k_w, NULL, k, NK, Hkv * D, T);
      rg_ref_linear (kv_in, l->v_w, NULL, v, NK, Hkv * D, T);
      rg_ref_attention (q, k, v, a, &attn);
      rg_ref_linear (a, l->o_w, NULL, h, NL, T, Hq * D);
      rg_ref_add (lat, h, lat, NL * T);

      /* lat = lat + down(silu(gate(norm(lat))) * up(norm(lat))) */
      rg_ref_rmsnorm (lat, l->post_norm, h, NL, T, eps);
      rg_ref_linear (h, l->gate_w, NULL, g, NL, 4 * T, T);
      rg_ref_linear (h, l->up_w, NULL, u, NL, 4 * T, T);
      rg_ref_swiglu (g, u, g, NL * 4 * T);
      rg_ref_linear (g, l->down_w, NULL, h, NL, T, 4 * T);
      rg_ref_add (lat, h, lat, NL * T);
    }
  rg_ref_rmsnorm (lat, self->perceiver_norm, out, NL, T, eps);
}

static gboolean
cpu_encode_images (RgModel *model, const RgPixelBatch *batch,
                   float *features, GError **error)
{
  RgModelCpu *self = (RgModelCpu *) model;
  const RgModelConfig *cfg = &model->config;
  const RgVisionConfig *vc = &cfg->vision;
  size_t P = vc->patch_size, C = vc->num_channels, V = vc->hidden_size;
  size_t T = cfg->text.hidden_size, NL = cfg->perceiver.resampler_n_latents;
  size_t side = vc->image_size / P;
  size_t n = batch->n, NP;
  gboolean taps = model->taps != NULL;
  g_autoptr(RgPatchGrid) grid = NULL;
  g_autofree float *x = NULL;     /* [NP, V] */
  g_autofree float *pos = NULL;   /* [NP, V] */
  g_autofree float *c = NULL;     /* [NP, T] */
  g_autofree float *tap_emb = NULL, *tap_vis = NULL, *tap_mp = NULL;

  /* Patch validity and position ids, exactly as HF (see rg-patches.h). */
  grid = rg_patch_grid_new (batch, P, side, error);
  if (grid == NULL)
    return FALSE;
  NP = (size_t) grid->rows * grid->cols;
  if (n == 0 || NP == 0)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_IMAGE,
                   "Empty pixel batch (%u images of %u x %u)", batch->n, batch->height, batch->width);
      return FALSE;
    }
  x = g_new (float, NP * V);
  pos = g_new (float, NP * V);
  c = g_new (float, NP * T);
  if (taps)
    {
      tap_emb = g_new (float, n * NP * V);
      tap_vis = g_new (float, n * NP * V);
      tap_mp = g_new (float, n * NP * T);
    }

  for (size_t s = 0; s < n; s++)
    {
      const float *pixels = batch->pixel_values + s * C * batch->height * batch->width;
      const uint8_t *patch_mask = grid->patch_mask + s * NP;   /* [NP] */
      const int32_t *pos_ids = grid->position_ids + s * NP;    /* [NP] */
      gboolean all_valid = TRUE;

      for (size_t i = 0; i < NP; i++)
        all_valid = all_valid && patch_mask[i];

      /* x [NP, V] = conv14x14(pixels) + position_embedding[pos_ids] */
      rg_ref_patch_embed (pixels, C, batch->height, batch->width,
                          self->patch_w, self->patch_b, V, P, x);
      if (!rg_ref_embedding (self->pos_emb, side * side, V, pos_ids, NP, pos))
        {
          g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_IMAGE,
                       "Vision position id outside the %zu x %zu grid", side, side);
          return FALSE;
        }
      rg_ref_add (x, pos, x, NP * V);
      if (taps)
        memcpy (tap_emb + s * NP * V, x, NP * V * sizeof (float));

      for (guint i = 0; i < vc->num_hidden_layers; i++)
        vision_layer (vc, &self->vision[i], x, NP, all_valid ? NULL : patch_mask);
      rg_ref_layernorm (x, self->post_ln_w, self->post_ln_b, x, NP, V, vc->layer_norm_eps);
      if (taps)
        memcpy (tap_vis + s * NP * V, x, NP * V * sizeof (float));

      /* features [NL, T] of this sub-image */
      modality_projection (self, x, NP, c);
      if (taps)
        memcpy (tap_mp + s * NP * T, c, NP * T * sizeof (float));
      perceiver_resampler (self, c, patch_mask, NP, features + s * NL * T);
    }

  if (taps)
    {
      rg_taps_store (model->taps, "vision_embeddings", 3, (int64_t[]) { n, NP, V }, tap_emb);
      rg_taps_store (model->taps, "vision_last_hidden_state", 3, (int64_t[]) { n, NP, V }, tap_vis);
      rg_taps_store (model->taps, "modality_projection_output", 3, (int64_t[]) { n, NP, T }, tap_mp);
      rg_taps_store (model->taps, "connector_output", 3, (int64_t[]) { n, NL, T }, features);
    }
  return TRUE;
}

/* ---- Language model ----------------------------------------------------- */

/* One Mistral decoder layer on x [L, T] at positions n_past.., appending
 * its keys/values to the cache of layer LI. */
static void
text_layer (RgModelCpu *self, guint li, float *x, size_t L)
{
  const RgTextConfig *tc = &self->parent.config.text;
  const TextLayer *l = &self->text[li];
  size_t T = tc->hidden_size, I = tc->intermediate_size;
  size_t H = tc->num_attention_heads, Hkv = tc->num_key_value_heads, D = tc->head_dim;
  size_t n_past = self->parent.n_past, ctx = self->parent.context_length;
  float *kc = self->k_cache + li * ctx * Hkv * D;  /* [ctx, Hkv, D] */
  float *vc = self->v_cache + li * ctx * Hkv * D;  /* [ctx, Hkv, D] */
  g_autofree float *h = g_new (float, L * MAX (T, H * D));  /* [L, T] */
  g_autofree float *q = g_new (float, L * H * D);           /* [L, H, D] */
  g_autofree float *a = g_new (float, L * H * D);           /* [L, H, D] */
  g_autofree float *g = g_new (float, L * I);               /* [L, I] */
  g_autofree float *u = g_new (float, L * I);               /* [L, I] */
  RgRefAttnParams attn = {
    .n_q = L, .n_kv = n_past + L, .n_heads = H, .n_kv_heads = Hkv, .head_dim = D,
    .scale = 1.0f / sqrtf ((float) D), .causal = TRUE, .q_pos0 = n_past,
    .window = tc->sliding_window,
  };

  /* x = x + o_proj(attn(rope(q), cache + rope(k), cache + v)) on RMSNorm(x) */
  rg_ref_rmsnorm (x, l->in_norm, h, L, T, tc->rms_norm_eps);
  rg_ref_linear (h, l->q_w, NULL, q, L, H * D, T);
  rg_ref_linear (h, l->k_w, NULL, kc + n_past * Hkv * D, L, Hkv * D, T);
  rg_ref_linear (h, l->v_w, NULL, vc + n_past * Hkv * D, L, Hkv * D, T);
  rg_ref_rope (q, L, H, D, n_past, tc->rope_theta);
  rg_ref_rope (kc + n_past * Hkv * D, L, Hkv, D, n_past, tc->rope_theta);
  rg_ref_attention (q, kc, vc, a, &attn);
  rg_ref_linear (a, l->o_w, NULL, h, L, T, H * D);
  rg_ref_add (x, h, x, L * T);

  /* x = x + down(silu(gate(RMSNorm(x))) * up(RMSNorm(x))) */
  rg_ref_rmsnorm (x, l->post_norm, h, L, T, tc->rms_norm_eps);
  rg_ref_linear (h, l->gate_w, NULL, g, L, I, T);
  rg_ref_linear (h, l->up_w, NULL, u, L, I, T);
  rg_ref_swiglu (g, u, g, L * I);
  rg_ref_linear (g, l->down_w, NULL, h, L, T, I);
  rg_ref_add (x, h, x, L * T);
}

static gboolean
cpu_forward (RgModel *model, const int32_t *ids, guint n,
             const float *image_features, guint n_image_rows,
             float *logits, GError **error)
{
  RgModelCpu *self = (RgModelCpu *) model;
  const RgModelConfig *cfg = &model->config;
  const RgTextConfig *tc = &cfg->text;
  size_t T = tc->hidden_size, L = n;
  g_autofree float *x = NULL;   /* [L, T] */
  guint n_image = 0;

  if (!rg_model_check_forward (model, ids, n, image_features, n_image_rows, error))
    return FALSE;

  /* x = embed(ids), image-token rows replaced in order by image features */
  x = g_new (float, L * T);
  rg_ref_embedding (self->embed, tc->vocab_size, T, ids, L, x);  /* ids checked above */
  if (image_features)
    for (size_t i = 0; i < L; i++)
      if (ids[i] == cfg->image_token_id)
        memcpy (x + i * T, image_features + (size_t) n_image++ * T, T * sizeof (float));
  if (model->taps)
    rg_taps_store (model->taps, "inputs_embeds", 2, (int64_t[]) { L, T }, x);

  for (guint i = 0; i < tc->num_hidden_layers; i++)
    text_layer (self, i, x, L);

  rg_ref_rmsnorm (x, self->norm, x, L, T, tc->rms_norm_eps);
  if (model->taps)
    rg_taps_store (model->taps, "text_last_hidden_state", 2, (int64_t[]) { L, T }, x);
  if (logits)
    rg_ref_linear (x + (L - 1) * T, self->lm_head, NULL, logits, 1, tc->vocab_size, T);

  model->n_past += n;
  return TRUE;
}

static void
cpu_free (RgModel *model)
{
  RgModelCpu *self = (RgModelCpu *) model;

  g_clear_pointer (&self->owned, g_ptr_array_unref);
  g_free (self->vision);
  g_free (self->perceiver);
  g_free (self->text);
  g_free (self->k_cache);
  g_free (self->v_cache);
  g_free (self);
}

static const RgModelVTable cpu_vtable = {
  .free = cpu_free,
  .encode_images = cpu_encode_images,
  .forward = cpu_forward,
  .truncate = rg_model_truncate_positions,
};

RgModel *
rg_model_cpu_new (RgSnapshot *snap, guint context_length, GCancellable *cancellable,
                  RgModelProgress progress, gpointer progress_data, GError **error)
{
  g_autoptr(RgModel) model = NULL;
  RgModelCpu *self;
  Loader ld = { .snap = snap, .cancellable = cancellable, .progress = progress,
                .progress_data = progress_data, .total = rg_snapshot_get_total_bytes (snap) };
  const RgTextConfig *tc;
  size_t cache_elems;

  self = g_new0 (RgModelCpu, 1);
  model = &self->parent;
  model->vtable = &cpu_vtable;
  model->config = *rg_snapshot_get_config (snap);
  model->context_length = context_length ? context_length : 4096;
  self->owned = g_ptr_array_new_with_free_func (g_free);
  tc = &model->config.text;

  if (model->config.perceiver.hidden_size != tc->hidden_size)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_UNSUPPORTED,
                   "Perceiver hidden size %u differs from the text hidden size %u",
                   model->config.perceiver.hidden_size, tc->hidden_size);
      return NULL;
    }

  ld.self = self;
  load_vision (&ld, &model->config);
  load_connector (&ld, &model->config);
  load_text (&ld, &model->config);
  if (ld.error)
    {
      g_propagate_error (error, ld.error);
      return NULL;
    }

  cache_elems = (size_t) tc->num_hidden_layers * model->context_length *
                tc->num_key_value_heads * tc->head_dim;
  self->k_cache = g_try_new0 (float, cache_elems);
  self->v_cache = g_try_new0 (float, cache_elems);
  if (self->k_cache == NULL || self->v_cache == NULL)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_OUT_OF_MEMORY,
                   "Out of memory for a KV cache of %u tokens", model->context_length);
      return NULL;
    }
  return g_steal_pointer (&model);
}
