/* rg-ops-image-attention.c: cross-attention to one image per query
 * (IDEFICS1's gated blocks), shaders/image_attention.comp. */
#include "config.h"

#include "rg-ops.h"

#define WG 64u
#define MAX_DIMS_PER_INVOCATION 4u   /* as in the shader */

/* Mirrors `Push` in shaders/image_attention.comp. */
typedef struct
{
  uint32_t n_q, n_heads, head_dim, seq, n_images;
  float scale;
} ImageAttnPush;
G_STATIC_ASSERT (sizeof (ImageAttnPush) == 24);

void
rg_op_image_attention (RgVkRecorder *rec, RgVkBuffer *out, const RgVkBuffer *q,
                       const RgVkBuffer *k, const RgVkBuffer *v, const RgVkBuffer *image_index,
                       uint32_t n_q, uint32_t n_heads, uint32_t head_dim, uint32_t seq,
                       uint32_t n_images, float scale)
{
  RgVkContext *ctx = rg_vk_recorder_get_context (rec);
  uint64_t row = (uint64_t) n_heads * head_dim, q_elems = n_q * row, kv_elems = (uint64_t) n_images * seq * row;
  ImageAttnPush push = { n_q, n_heads, head_dim, seq, n_images, scale };
  RgVkBinding bindings[5] = {
    rg_vk_bind (q), rg_vk_bind (k ? k : q), rg_vk_bind (v ? v : q), rg_vk_bind (image_index), rg_vk_bind (out),
  };
  RgVkDispatch d = {
    .shader = "image_attention_f32",
    .spec = { WG },
    .n_spec = 1,
    .bindings = bindings,
    .n_bindings = 5,
    .push = &push,
    .push_size = sizeof push,
    .flops = 4.0 * (double) n_q * n_heads * seq * head_dim,
    .bytes = 4.0 * (double) (2 * q_elems + 2 * (uint64_t) n_q * seq * row),
  };

  if (q_elems == 0)
    return;
  if (head_dim > WG * MAX_DIMS_PER_INVOCATION || q_elems > G_MAXUINT32 || kv_elems > G_MAXUINT32)
    {
      rg_vk_recorder_take_error (rec, g_error_new (G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                                   "image_attention: %u queries, %u x %u images, head_dim %u",
                                                   n_q, n_images, seq, head_dim));
      return;
    }
  if (!rg_op_check_size (rec, d.shader, q, q_elems * 4) ||
      (kv_elems && (!rg_op_check_size (rec, d.shader, k, kv_elems * 4) ||
                    !rg_op_check_size (rec, d.shader, v, kv_elems * 4))) ||
      !rg_op_check_size (rec, d.shader, image_index, (uint64_t) n_q * 4) ||
      !rg_op_check_size (rec, d.shader, out, q_elems * 4))
    return;
  rg_vk_groups_1d (ctx, (uint64_t) n_q * n_heads, d.groups);
  rg_vk_dispatch (rec, &d);
}
