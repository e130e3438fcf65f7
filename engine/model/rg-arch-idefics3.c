/* rg-arch-idefics3.c: IDEFICS3 (SmolVLM v1, Idefics3-8B-Llama3) as data
 * (see rg-arch.h; reference: shared/reference/idefics3-smolvlm.md).
 *
 * Vision tower: IDEFICS2's SigLIP NaViT code (patch embedding + position
 * embedding, pre-LN encoder layers, post layernorm); every frame is the
 * full N x N grid, so position ids are 0..N^2-1 and no patch is masked
 * (the same patch grid code computes both). Connector: pixel shuffle by s
 * (s x s blocks of patches, read row by row, become one row of V s^2
 * channels), then one bias-free linear to the text width. Llama decoder
 * with a KV cache (no sliding window), final norm and lm_head (the
 * embedding when the top-level config ties them and lm_head is absent).
 * Shapes: V = vision hidden, T = text hidden, NP = N^2 patches, NL =
 * (N/s)^2 image tokens per frame, L = new tokens. */
#include "rg-arch-llama.h"
#include "rg-arch-siglip.h"

#include "regard-error.h"

/* ---- Weights ------------------------------------------------------------ */

enum
{
  W_NONE,
  RG_SIGLIP_WEIGHT_SLOTS,
  W_PROJ,
  W_EMBED,
  RG_LLAMA_WEIGHT_SLOTS,
  W_NORM, W_LM_HEAD,
  W_N
};

static const RgArchWeight weights[W_N] = {
  RG_SIGLIP_WEIGHTS,

  [W_PROJ] = { "model.connector.modality_projection.proj.weight", RG_DIM_NONE,
               MAT (RG_DIM_T, RG_DIM_V_SHUFFLED, RG_QUANT_NEVER) },

  /* the mixed 4-bit format keeps lm_head, the embedding and k/v at 8 bits
   * (see rg-arch-idefics2.c) */
  [W_EMBED] = { "model.text_model.embed_tokens.weight", RG_DIM_NONE, MAT (RG_DIM_VOCAB, RG_DIM_T, RG_QUANT_8BIT) },
  RG_LLAMA_WEIGHTS ("model.text_model.layers.%u.", RG_QUANT_8BIT),
  [W_NORM] = { "model.text_model.norm.weight", RG_DIM_NONE, VEC1 (RG_DIM_T) },
  /* tied (top-level tie_word_embeddings, reference pitfall 15): absent, the embedding */
  [W_LM_HEAD] = { "lm_head.weight", RG_DIM_NONE, MAT (RG_DIM_VOCAB, RG_DIM_T, RG_QUANT_8BIT), .tied_to = W_EMBED },
};

/* ---- Activations -------------------------------------------------------- */

enum
{
  B_NONE,
  /* encode */
  RG_SIGLIP_INPUT_SLOTS, B_FEATURES,
  RG_SIGLIP_SCRATCH_SLOTS,
  B_SHUFFLED,                                     /* [NL, V s^2] */
  /* forward */
  B_IDS, B_IMAGE_FEATURES, B_IMAGE_ROWS, B_LOGITS, RG_LLAMA_BUFFER_SLOTS,
  B_N
};

static const RgArchBuffer buffers[B_N] = {
  RG_SIGLIP_BUFFERS,
  [B_FEATURES] = { "image features", RG_ROLE_FEATURES, RG_ROWS_SUB_IMAGES_LATENTS, RG_DIM_T },
  [B_SHUFFLED] = { "pixel shuffle", RG_ROLE_SCRATCH, RG_ROWS_LATENTS, RG_DIM_V_SHUFFLED },

  [B_IDS] = { "token ids", RG_ROLE_TOKEN_IDS, RG_ROWS_TOKENS, RG_DIM_ONE },
  [B_IMAGE_FEATURES] = { "image features", RG_ROLE_IMAGE_FEATURES, RG_ROWS_IMAGE_TOKENS, RG_DIM_T },
  [B_IMAGE_ROWS] = { "image rows", RG_ROLE_IMAGE_ROWS, RG_ROWS_IMAGE_TOKENS, RG_DIM_ONE },
  [B_LOGITS] = { "logits", RG_ROLE_LOGITS, RG_ROWS_ONE, RG_DIM_VOCAB },
  RG_LLAMA_BUFFERS,
};

/* ---- Ops ---------------------------------------------------------------- */

static const RgArchOp vision_embed[] = { RG_SIGLIP_EMBED_OPS };
static const RgArchOp vision_layer[] = { RG_SIGLIP_LAYER_OPS };

/* post layernorm; connector: this frame's NL feature rows =
 * proj(pixel_shuffle(x)), written straight into its rows of the output */
static const RgArchOp vision_post[] = {
  RG_SIGLIP_POST_OPS,
  { RG_OP_PIXEL_SHUFFLE, .out = R (B_SHUFFLED), .in = R (B_X), .rows = RG_ROWS_LATENTS, .cols = RG_DIM_V,
    .head_dim = RG_DIM_SCALE },
  { RG_OP_TAP, .in = R (B_SHUFFLED), .rows = RG_ROWS_LATENTS, .cols = RG_DIM_V_SHUFFLED,
    .name = "pixel_shuffle_output" },
  { RG_OP_LINEAR, .out = RAT (B_FEATURES, RG_ROWS_SUB_IMAGE), .in = R (B_SHUFFLED), .w = W_PROJ,
    .rows = RG_ROWS_LATENTS },
};

static const RgArchOp text_embed[] = { RG_LLAMA_EMBED_IMAGE_ROWS_OPS };

/* Llama: no sliding window (T_WINDOW stays 0) */
static const RgArchOp text_layer[] = { RG_LLAMA_LAYER_OPS };
static const RgArchOp text_head[] = { RG_LLAMA_HEAD_OPS };

static const RgArchBlock encode_blocks[] = {
  BLOCK ("vision embeddings", vision_embed, RG_DIM_NONE),
  BLOCK ("vision encoder layer", vision_layer, RG_DIM_V_LAYERS),
  BLOCK ("vision post-layernorm, pixel shuffle, projection", vision_post, RG_DIM_NONE),
};

static const RgArchBlock forward_blocks[] = {
  BLOCK ("token embeddings", text_embed, RG_DIM_NONE),
  BLOCK ("text decoder layer", text_layer, RG_DIM_T_LAYERS),
  BLOCK ("final norm, lm_head", text_head, RG_DIM_NONE),
};

/* ---- Dims --------------------------------------------------------------- */

static gboolean
resolve (const RgModelConfig *cfg, RgArchDims *dims, GError **error)
{
  const RgVisionConfig *vc = &cfg->vision;
  const RgTextConfig *tc = &cfg->text;
  uint64_t *d = dims->d, side = vc->image_size / vc->patch_size, s = cfg->connector.scale_factor;
  uint64_t ss;

  if (s == 0 || side % s != 0 || (side / s) * (side / s) != cfg->image_seq_len)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL,
                   "config.json: scale_factor %" G_GUINT64_FORMAT " does not fit the %" G_GUINT64_FORMAT
                   " patches per side", s, side);
      return FALSE;
    }
  rg_arch_resolve_vision (vc, dims);
  d[RG_DIM_NL] = cfg->image_seq_len;
  d[RG_DIM_SCALE] = s;
  return rg_arch_mul (side, side, &d[RG_DIM_V_POSITIONS], "the vision position grid", error) &&
         rg_arch_mul (s, s, &ss, "the pixel shuffle block", error) &&
         rg_arch_mul (vc->hidden_size, ss, &d[RG_DIM_V_SHUFFLED], "the pixel shuffle width", error) &&
         rg_arch_resolve_llama (tc, dims, error);
}

const RgArch rg_arch_idefics3 = {
  .name = "idefics3",
  .resolve = resolve,
  .weights = weights,
  .n_weights = W_N,
  .buffers = buffers,
  .n_buffers = B_N,
  .encode = { encode_blocks, G_N_ELEMENTS (encode_blocks) },
  .forward = { forward_blocks, G_N_ELEMENTS (forward_blocks) },
};
