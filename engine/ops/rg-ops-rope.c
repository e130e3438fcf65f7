/* rg-ops-rope.c: rotate_half rotary position embedding (shaders/rope.comp),
 * reading the cos/sin table of rg_rope_table_new (). */
#include "config.h"

#include "rg-ops.h"
#include "regard-error.h"

/* Mirrors `Push` in shaders/rope.comp. */
typedef struct
{
  uint32_t L;
  uint32_t n_heads;
  uint32_t head_dim;
  uint32_t pos0;
  uint32_t k_heads;
  uint32_t k_offset;
} RopePush;
G_STATIC_ASSERT (sizeof (RopePush) == 24);

void
rg_op_rope (RgVkRecorder *rec, RgVkBuffer *x, const RgVkBuffer *cos_sin,
            uint32_t L, uint32_t n_heads, uint32_t head_dim, uint32_t pos0)
{
  rg_op_rope_qk (rec, x, n_heads, NULL, 0, 0, cos_sin, L, head_dim, pos0);
}

void
rg_op_rope_qk (RgVkRecorder *rec, RgVkBuffer *q, uint32_t n_heads,
               RgVkBuffer *k, uint64_t k_offset, uint32_t k_heads,
               const RgVkBuffer *cos_sin, uint32_t L, uint32_t head_dim, uint32_t pos0)
{
  RgVkContext *ctx = rg_vk_recorder_get_context (rec);
  uint32_t wg = rg_op_default_wg (rec);
  uint64_t nq = (uint64_t) L * n_heads * head_dim;
  uint64_t nk = k ? (uint64_t) L * k_heads * head_dim : 0;
  uint64_t n_pairs = (nq + nk) / 2;
  RopePush push = { L, n_heads, head_dim, pos0, k ? k_heads : 0, (uint32_t) k_offset };
  RgVkBinding bindings[3] = { rg_vk_bind (q), rg_vk_bind (cos_sin), rg_vk_bind (k ? k : q) };
  RgVkDispatch d = {
    .shader = "rope_f32",
    .spec = { wg },
    .n_spec = 1,
    .bindings = bindings,
    .n_bindings = 3,
    .push = &push,
    .push_size = sizeof push,
    .flops = 3.0 * (double) (nq + nk),
    .bytes = 12.0 * (double) (nq + nk),
  };

  if (nq + nk == 0)
    return;
  if (head_dim % 2 != 0 || nq + nk > G_MAXUINT32 || k_offset + nk > G_MAXUINT32 ||
      (uint64_t) pos0 + L > G_MAXUINT32 / head_dim)
    {
      rg_vk_recorder_take_error (rec, g_error_new (REGARD_ERROR, REGARD_ERROR_FAILED,
                                                   "rope_f32: invalid shape L=%u heads=%u+%u head_dim=%u pos0=%u",
                                                   L, n_heads, k_heads, head_dim, pos0));
      return;
    }
  if (k == q && nk > 0)
    {
      rg_vk_recorder_take_error (rec, g_error_new (REGARD_ERROR, REGARD_ERROR_FAILED,
                                                   "rope_f32: q and k must be different buffers"));
      return;
    }
  if (!rg_op_check_size (rec, "rope_f32", q, nq * 4) ||
      (k && !rg_op_check_size (rec, "rope_f32", k, (k_offset + nk) * 4)) ||
      !rg_op_check_size (rec, "rope_f32", cos_sin, ((uint64_t) pos0 + L) * head_dim * 4))
    return;
  rg_vk_groups_1d (ctx, (n_pairs + wg - 1) / wg, d.groups);
  rg_vk_dispatch (rec, &d);
}
