/* gen-checkpoint: a random-weight IDEFICS2 or SmolVLM snapshot from shapes
 * alone, so speed can be measured without downloading the model.
 *
 *   gen-checkpoint --out DIR [--preset tiny|0.85b|8b|smolvlm-256m|smolvlm-500m]
 *                  [--vision-layers N] [--text-layers N] [--fixture DIR]
 *
 * 0.85b: Mistral shape hidden 2048, 16 layers, 32 heads, 8 KV heads, MLP
 * 5632 (llama.cpp's usual 0.85B benchmark shape) with idefics2-8b's SigLIP
 * and a perceiver sized to it; 8b: idefics2-8b's own shapes.
 * smolvlm-256m / smolvlm-500m: HuggingFaceTB/SmolVLM-256M/-500M-Instruct's
 * shapes (IDEFICS3: SigLIP 768 x 12 layers, patch 16 on 512 x 512, pixel
 * shuffle by 4 into 64 tokens; Llama 576 x 30 layers, 9 heads, 3 KV heads,
 * MLP 1536 / 960 x 32 layers, 15 heads, 5 KV heads, MLP 2560; vocab
 * 49280; reference idefics3-smolvlm.md section 2) with SmolVLM's real
 * processor sizes (longest edge 2048, tiles of 512). Weights are
 * bf16 uniform in +-0.035 (std 0.02, transformers' initializer_range),
 * norm gains 1, biases 0, written as safetensors shards of about 1 GB with
 * model.safetensors.index.json; the tokenizer and processor files are
 * copied from the fixture model. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "rg-dtype.h"
#include "rg-safetensors.h"

typedef struct
{
  guint V, Vi, v_layers, v_heads;
  guint T, I, t_layers, heads, kv_heads, head_dim, vocab;
  guint p_depth, p_heads, p_head_dim, p_kv_heads, n_latents;
  guint idefics3;            /* 0: IDEFICS2; else the pixel shuffle factor */
} Shapes;

/* IDEFICS3 presets' vision grid: patch 16 on 512 x 512 */
#define SMOL_PATCH 16
#define SMOL_IMAGE 512

typedef struct
{
  char *name;
  guint n_dims;
  int64_t shape[4];
  int kind;          /* 0 random, 1 ones, 2 zeros */
  guint shard;
} Spec;

static GPtrArray *specs;

static void
add (int kind, const char *name, guint n_dims, int64_t d0, int64_t d1, int64_t d2, int64_t d3)
{
  Spec *s = g_new0 (Spec, 1);

  s->name = g_strdup (name);
  s->n_dims = n_dims;
  s->shape[0] = d0;
  s->shape[1] = d1;
  s->shape[2] = d2;
  s->shape[3] = d3;
  s->kind = kind;
  g_ptr_array_add (specs, s);
}

#define MAT(name, r, c) add (0, name, 2, r, c, 0, 0)
#define ONES(name, n) add (1, name, 1, n, 0, 0, 0)
#define ZEROS(name, n) add (2, name, 1, n, 0, 0, 0)

static uint64_t
n_elements (const Spec *s)
{
  uint64_t n = 1;

  for (guint i = 0; i < s->n_dims; i++)
    n *= (uint64_t) s->shape[i];
  return n;
}

static void
plan (const Shapes *x)
{
  char n[256];
  const char *vp = "model.vision_model.encoder.layers";
  const char *pp = "model.connector.perceiver_resampler";
  guint patch = x->idefics3 ? SMOL_PATCH : 14;
  guint side = x->idefics3 ? SMOL_IMAGE / SMOL_PATCH : 980 / 14;

  add (0, "model.vision_model.embeddings.patch_embedding.weight", 4, x->V, 3, patch, patch);
  ZEROS ("model.vision_model.embeddings.patch_embedding.bias", x->V);
  MAT ("model.vision_model.embeddings.position_embedding.weight", side * side, x->V);
  for (guint i = 0; i < x->v_layers; i++)
    {
      static const char *proj[] = { "q_proj", "k_proj", "v_proj", "out_proj" };
      for (guint j = 0; j < 4; j++)
        {
          g_snprintf (n, sizeof n, "%s.%u.self_attn.%s.weight", vp, i, proj[j]); MAT (n, x->V, x->V);
          g_snprintf (n, sizeof n, "%s.%u.self_attn.%s.bias", vp, i, proj[j]); ZEROS (n, x->V);
        }
      g_snprintf (n, sizeof n, "%s.%u.layer_norm1.weight", vp, i); ONES (n, x->V);
      g_snprintf (n, sizeof n, "%s.%u.layer_norm1.bias", vp, i); ZEROS (n, x->V);
      g_snprintf (n, sizeof n, "%s.%u.layer_norm2.weight", vp, i); ONES (n, x->V);
      g_snprintf (n, sizeof n, "%s.%u.layer_norm2.bias", vp, i); ZEROS (n, x->V);
      g_snprintf (n, sizeof n, "%s.%u.mlp.fc1.weight", vp, i); MAT (n, x->Vi, x->V);
      g_snprintf (n, sizeof n, "%s.%u.mlp.fc1.bias", vp, i); ZEROS (n, x->Vi);
      g_snprintf (n, sizeof n, "%s.%u.mlp.fc2.weight", vp, i); MAT (n, x->V, x->Vi);
      g_snprintf (n, sizeof n, "%s.%u.mlp.fc2.bias", vp, i); ZEROS (n, x->V);
    }
  ONES ("model.vision_model.post_layernorm.weight", x->V);
  ZEROS ("model.vision_model.post_layernorm.bias", x->V);

  if (x->idefics3)
    {
      /* pixel shuffle, then one bias-free linear */
      MAT ("model.connector.modality_projection.proj.weight", x->T, x->V * x->idefics3 * x->idefics3);
      goto text;
    }
  MAT ("model.connector.modality_projection.gate_proj.weight", x->I, x->V);
  MAT ("model.connector.modality_projection.up_proj.weight", x->I, x->V);
  MAT ("model.connector.modality_projection.down_proj.weight", x->T, x->I);
  MAT ("model.connector.perceiver_resampler.latents", x->n_latents, x->T);
  for (guint i = 0; i < x->p_depth; i++)
    {
      g_snprintf (n, sizeof n, "%s.layers.%u.input_latents_norm.weight", pp, i); ONES (n, x->T);
      g_snprintf (n, sizeof n, "%s.layers.%u.input_context_norm.weight", pp, i); ONES (n, x->T);
      g_snprintf (n, sizeof n, "%s.layers.%u.self_attn.q_proj.weight", pp, i); MAT (n, x->p_heads * x->p_head_dim, x->T);
      g_snprintf (n, sizeof n, "%s.layers.%u.self_attn.k_proj.weight", pp, i); MAT (n, x->p_kv_heads * x->p_head_dim, x->T);
      g_snprintf (n, sizeof n, "%s.layers.%u.self_attn.v_proj.weight", pp, i); MAT (n, x->p_kv_heads * x->p_head_dim, x->T);
      g_snprintf (n, sizeof n, "%s.layers.%u.self_attn.o_proj.weight", pp, i); MAT (n, x->T, x->p_heads * x->p_head_dim);
      g_snprintf (n, sizeof n, "%s.layers.%u.post_attention_layernorm.weight", pp, i); ONES (n, x->T);
      g_snprintf (n, sizeof n, "%s.layers.%u.mlp.gate_proj.weight", pp, i); MAT (n, 4 * x->T, x->T);
      g_snprintf (n, sizeof n, "%s.layers.%u.mlp.up_proj.weight", pp, i); MAT (n, 4 * x->T, x->T);
      g_snprintf (n, sizeof n, "%s.layers.%u.mlp.down_proj.weight", pp, i); MAT (n, x->T, 4 * x->T);
    }
  ONES ("model.connector.perceiver_resampler.norm.weight", x->T);

text:

  MAT ("model.text_model.embed_tokens.weight", x->vocab, x->T);
  for (guint i = 0; i < x->t_layers; i++)
    {
      const char *tp = "model.text_model.layers";
      g_snprintf (n, sizeof n, "%s.%u.input_layernorm.weight", tp, i); ONES (n, x->T);
      g_snprintf (n, sizeof n, "%s.%u.self_attn.q_proj.weight", tp, i); MAT (n, x->heads * x->head_dim, x->T);
      g_snprintf (n, sizeof n, "%s.%u.self_attn.k_proj.weight", tp, i); MAT (n, x->kv_heads * x->head_dim, x->T);
      g_snprintf (n, sizeof n, "%s.%u.self_attn.v_proj.weight", tp, i); MAT (n, x->kv_heads * x->head_dim, x->T);
      g_snprintf (n, sizeof n, "%s.%u.self_attn.o_proj.weight", tp, i); MAT (n, x->T, x->heads * x->head_dim);
      g_snprintf (n, sizeof n, "%s.%u.post_attention_layernorm.weight", tp, i); ONES (n, x->T);
      g_snprintf (n, sizeof n, "%s.%u.mlp.gate_proj.weight", tp, i); MAT (n, x->I, x->T);
      g_snprintf (n, sizeof n, "%s.%u.mlp.up_proj.weight", tp, i); MAT (n, x->I, x->T);
      g_snprintf (n, sizeof n, "%s.%u.mlp.down_proj.weight", tp, i); MAT (n, x->T, x->I);
    }
  ONES ("model.text_model.norm.weight", x->T);
  MAT ("lm_head.weight", x->vocab, x->T);
}

static char *
config_json_idefics3 (const Shapes *x)
{
  return g_strdup_printf (
    "{\n  \"architectures\": [\"Idefics3ForConditionalGeneration\"],\n  \"model_type\": \"idefics3\",\n"
    "  \"image_token_id\": 49190,\n  \"scale_factor\": %u,\n  \"use_cache\": true,\n"
    "  \"tie_word_embeddings\": false,\n  \"torch_dtype\": \"bfloat16\",\n  \"vocab_size\": %u,\n"
    "  \"vision_config\": {\"model_type\": \"idefics3_vision\", \"hidden_size\": %u, \"intermediate_size\": %u,"
    " \"num_hidden_layers\": %u, \"num_attention_heads\": %u, \"num_channels\": 3, \"image_size\": %u,"
    " \"patch_size\": %u, \"hidden_act\": \"gelu_pytorch_tanh\", \"layer_norm_eps\": 1e-06,"
    " \"max_image_size\": {\"longest_edge\": %u}, \"size\": {\"longest_edge\": %u}},\n"
    "  \"text_config\": {\"model_type\": \"llama\", \"vocab_size\": %u, \"hidden_size\": %u,"
    " \"intermediate_size\": %u, \"num_hidden_layers\": %u, \"num_attention_heads\": %u,"
    " \"num_key_value_heads\": %u, \"head_dim\": %u, \"hidden_act\": \"silu\", \"max_position_embeddings\": 8192,"
    " \"rms_norm_eps\": 1e-05, \"pad_token_id\": 2, \"attention_bias\": false, \"mlp_bias\": false,"
    " \"rope_scaling\": null, \"tie_word_embeddings\": false, \"rope_theta\": 100000.0}\n}\n",
    x->idefics3, x->vocab, x->V, x->Vi, x->v_layers, x->v_heads, SMOL_IMAGE, SMOL_PATCH, SMOL_IMAGE,
    4 * SMOL_IMAGE, x->vocab, x->T, x->I, x->t_layers, x->heads, x->kv_heads, x->head_dim);
}

static char *
config_json (const Shapes *x)
{
  if (x->idefics3)
    return config_json_idefics3 (x);
  return g_strdup_printf (
    "{\n  \"architectures\": [\"Idefics2ForConditionalGeneration\"],\n  \"model_type\": \"idefics2\",\n"
    "  \"image_token_id\": 32001,\n  \"use_cache\": true,\n  \"tie_word_embeddings\": false,\n"
    "  \"torch_dtype\": \"bfloat16\",\n"
    "  \"vision_config\": {\"model_type\": \"idefics2_vision\", \"hidden_size\": %u, \"intermediate_size\": %u,"
    " \"num_hidden_layers\": %u, \"num_attention_heads\": %u, \"num_channels\": 3, \"image_size\": 980,"
    " \"patch_size\": 14, \"hidden_act\": \"gelu_pytorch_tanh\", \"layer_norm_eps\": 1e-06},\n"
    "  \"perceiver_config\": {\"model_type\": \"idefics2_perceiver\", \"hidden_act\": \"silu\", \"hidden_size\": %u,"
    " \"rms_norm_eps\": 1e-06, \"resampler_n_latents\": %u, \"resampler_depth\": %u, \"resampler_n_heads\": %u,"
    " \"resampler_head_dim\": %u, \"num_key_value_heads\": %u},\n"
    "  \"text_config\": {\"model_type\": \"mistral\", \"vocab_size\": %u, \"hidden_size\": %u,"
    " \"intermediate_size\": %u, \"num_hidden_layers\": %u, \"num_attention_heads\": %u,"
    " \"num_key_value_heads\": %u, \"head_dim\": %u, \"hidden_act\": \"silu\", \"max_position_embeddings\": 32768,"
    " \"rms_norm_eps\": 1e-05, \"pad_token_id\": 0, \"bos_token_id\": 1, \"eos_token_id\": 2,"
    " \"tie_word_embeddings\": false, \"rope_theta\": 10000.0, \"sliding_window\": 4096}\n}\n",
    x->V, x->Vi, x->v_layers, x->v_heads, x->T, x->n_latents, x->p_depth, x->p_heads, x->p_head_dim,
    x->p_kv_heads, x->vocab, x->T, x->I, x->t_layers, x->heads, x->kv_heads, x->head_dim);
}

static guint32 rng = 0x9e3779b9u;

static void
fill (const Spec *s, uint16_t *out, uint64_t n)
{
  for (uint64_t i = 0; i < n; i++)
    {
      if (s->kind == 0)
        {
          rng ^= rng << 13;
          rng ^= rng >> 17;
          rng ^= rng << 5;
          out[i] = rg_f32_to_bf16 (((float) (rng >> 8) / 16777216.0f - 0.5f) * 0.0693f);
        }
      else
        out[i] = s->kind == 1 ? 0x3F80 : 0;
    }
}

int
main (int argc, char **argv)
{
  g_autofree char *out = NULL, *fixture = NULL, *preset = NULL;
  int vision_layers = -1, text_layers = -1;
  const GOptionEntry options[] = {
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Snapshot folder to write", "DIR" },
    { "preset", 'p', 0, G_OPTION_ARG_STRING, &preset, "tiny, 0.85b (default), 8b, smolvlm-256m or smolvlm-500m", "NAME" },
    { "vision-layers", 0, 0, G_OPTION_ARG_INT, &vision_layers, "Override the vision tower's depth", "N" },
    { "text-layers", 0, 0, G_OPTION_ARG_INT, &text_layers, "Override the decoder's depth", "N" },
    { "fixture", 0, 0, G_OPTION_ARG_FILENAME, &fixture, "Folder to copy tokenizer/processor files from", "DIR" },
    { NULL }
  };
  static const char *side_files[] = {
    "chat_template.json", "generation_config.json", "preprocessor_config.json", "processor_config.json",
    "special_tokens_map.json", "tokenizer.json", "tokenizer_config.json",
  };
  g_autoptr(GOptionContext) octx = g_option_context_new ("- random-weight IDEFICS2 or SmolVLM snapshot");
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) index = g_string_new (NULL);
  g_autofree char *config = NULL;
  Shapes x;
  guint n_shards = 1;
  uint64_t shard_bytes = 0, total = 0;

  g_option_context_add_main_entries (octx, options, NULL);
  if (!g_option_context_parse (octx, &argc, &argv, &error) || out == NULL)
    {
      g_printerr ("gen-checkpoint: %s\n", error ? error->message : "--out DIR is required");
      return 2;
    }
  if (preset == NULL || g_str_equal (preset, "0.85b"))
    x = (Shapes) { 1152, 4304, 27, 16, 2048, 5632, 16, 32, 8, 64, 32003, 3, 16, 96, 4, 64 };
  else if (g_str_equal (preset, "8b"))
    x = (Shapes) { 1152, 4304, 27, 16, 4096, 14336, 32, 32, 8, 128, 32003, 3, 16, 96, 4, 64 };
  else if (g_str_equal (preset, "tiny"))
    x = (Shapes) { 32, 37, 2, 4, 64, 112, 2, 4, 2, 16, 32003, 2, 4, 8, 2, 64 };
  else if (g_str_equal (preset, "smolvlm-256m"))
    x = (Shapes) { 768, 3072, 12, 12, 576, 1536, 30, 9, 3, 64, 49280, .n_latents = 64, .idefics3 = 4 };
  else if (g_str_equal (preset, "smolvlm-500m"))
    x = (Shapes) { 768, 3072, 12, 12, 960, 2560, 32, 15, 5, 64, 49280, .n_latents = 64, .idefics3 = 4 };
  else
    {
      g_printerr ("gen-checkpoint: unknown preset '%s' (tiny, 0.85b, 8b, smolvlm-256m, smolvlm-500m)\n", preset);
      return 2;
    }
  if (vision_layers >= 1)
    x.v_layers = (guint) vision_layers;
  if (text_layers >= 1)
    x.t_layers = (guint) text_layers;
  if (fixture == NULL)
    fixture = g_strdup (g_getenv ("REGARD_FIXTURES") ? g_getenv ("REGARD_FIXTURES") : "tests/fixtures");
  if (!g_str_has_suffix (fixture, "idefics2-tiny") && !g_str_has_suffix (fixture, "smolvlm-tiny"))
    {
      char *t = g_build_filename (fixture, x.idefics3 ? "smolvlm-tiny" : "idefics2-tiny", NULL);
      g_free (fixture);
      fixture = t;
    }

  specs = g_ptr_array_new ();
  plan (&x);
  /* shards of about 1 GB, whole tensors */
  for (guint i = 0; i < specs->len; i++)
    {
      Spec *s = specs->pdata[i];
      uint64_t b = n_elements (s) * 2;

      if (shard_bytes > 0 && shard_bytes + b > (1ull << 30))
        {
          n_shards++;
          shard_bytes = 0;
        }
      s->shard = n_shards;
      shard_bytes += b;
      total += b;
    }

  if (g_mkdir_with_parents (out, 0755) != 0)
    {
      g_printerr ("gen-checkpoint: cannot create %s\n", out);
      return 1;
    }
  g_string_append_printf (index, "{\n  \"metadata\": {\"total_size\": %" G_GUINT64_FORMAT "},\n  \"weight_map\": {", total);
  for (guint shard = 1; shard <= n_shards; shard++)
    {
      g_autofree char *fname = g_strdup_printf ("model-%05u-of-%05u.safetensors", shard, n_shards);
      g_autofree char *path = g_build_filename (out, fname, NULL);
      g_autoptr(GArray) tw = g_array_new (FALSE, TRUE, sizeof (RgTensorWrite));
      g_autoptr(GPtrArray) bufs = g_ptr_array_new_with_free_func (g_free);

      for (guint i = 0; i < specs->len; i++)
        {
          Spec *s = specs->pdata[i];
          RgTensorWrite w = { 0 };
          uint64_t n = n_elements (s);
          uint16_t *data;

          if (s->shard != shard)
            continue;
          data = g_malloc (n * 2);
          fill (s, data, n);
          g_ptr_array_add (bufs, data);
          w.name = s->name;
          w.dtype = RG_DTYPE_BF16;
          w.n_dims = s->n_dims;
          memcpy (w.shape, s->shape, sizeof s->shape);
          w.data = data;
          g_array_append_val (tw, w);
          g_string_append_printf (index, "%s\n    \"%s\": \"%s\"", index->str[index->len - 1] == '{' ? "" : ",",
                                  s->name, fname);
        }
      if (!rg_safetensors_write (path, (RgTensorWrite *) tw->data, tw->len, &error))
        {
          g_printerr ("gen-checkpoint: %s\n", error->message);
          return 1;
        }
      g_print ("%s: %u tensors\n", path, tw->len);
    }
  g_string_append (index, "\n  }\n}\n");
  config = config_json (&x);
  {
    g_autofree char *ip = g_build_filename (out, "model.safetensors.index.json", NULL);
    g_autofree char *cp = g_build_filename (out, "config.json", NULL);

    if (!g_file_set_contents (ip, index->str, -1, &error) || !g_file_set_contents (cp, config, -1, &error))
      {
        g_printerr ("gen-checkpoint: %s\n", error->message);
        return 1;
      }
  }
  for (guint i = 0; i < G_N_ELEMENTS (side_files); i++)
    {
      g_autofree char *src = g_build_filename (fixture, side_files[i], NULL);
      g_autofree char *dst = g_build_filename (out, side_files[i], NULL);
      g_autofree char *contents = NULL;
      gsize len;

      if (!g_file_get_contents (src, &contents, &len, &error) || !g_file_set_contents (dst, contents, len, &error))
        {
          g_printerr ("gen-checkpoint: %s\n", error->message);
          return 1;
        }
    }
  if (x.idefics3)
    {
      /* the fixture's processor sizes are shrunk 4x: SmolVLM's own */
      g_autofree char *pp = g_build_filename (out, "preprocessor_config.json", NULL);
      g_autofree char *rp = g_build_filename (out, "processor_config.json", NULL);
      g_autofree char *pre = g_strdup_printf (
        "{\n  \"do_convert_rgb\": true,\n  \"do_image_splitting\": true,\n  \"do_normalize\": true,\n"
        "  \"do_pad\": true,\n  \"do_rescale\": true,\n  \"do_resize\": true,\n"
        "  \"image_mean\": [0.5, 0.5, 0.5],\n  \"image_processor_type\": \"Idefics3ImageProcessor\",\n"
        "  \"image_std\": [0.5, 0.5, 0.5],\n  \"max_image_size\": {\"longest_edge\": %u},\n"
        "  \"processor_class\": \"Idefics3Processor\",\n  \"resample\": 1,\n"
        "  \"rescale_factor\": 0.00392156862745098,\n  \"size\": {\"longest_edge\": %u}\n}\n",
        SMOL_IMAGE, 4 * SMOL_IMAGE);
      g_autofree char *proc = g_strdup_printf ("{\n  \"image_seq_len\": %u,\n  \"processor_class\": \"Idefics3Processor\"\n}\n",
                                               (SMOL_IMAGE / SMOL_PATCH / x.idefics3) * (SMOL_IMAGE / SMOL_PATCH / x.idefics3));

      if (!g_file_set_contents (pp, pre, -1, &error) || !g_file_set_contents (rp, proc, -1, &error))
        {
          g_printerr ("gen-checkpoint: %s\n", error->message);
          return 1;
        }
    }
  g_print ("%s: %.2f GB of bf16 weights, %u tensors, %u shards\n", out, total / 1e9, specs->len, n_shards);
  return 0;
}
