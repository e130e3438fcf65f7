/* rg-ops-rope.c: rotate_half rotary position embedding (shaders/rope.comp),
 * reading the cos/sin table of rg_rope_table_new (). */
#include "config.h"

#include "rg-ops.h"
#include "regard-engine.h"

/* Mirrors `Push` in shaders/rope.comp. */
typedef struct
{
  uint32_t L;
  uint32_t n_heads;
  uint32_t head_dim;
  uint32_t pos0;
} RopePush;
G_STATIC_ASSERT (sizeof (RopePush) == 16);

void
rg_op_rope (RgVkRecorder *rec, RgVkBuffer *x, const RgVkBuffer *cos_sin,
            uint32_t L, uint32_t n_heads, uint32_t head_dim, uint32_t pos0)
{
  RgVkContext *ctx = rg_vk_recorder_get_context (rec);
  uint32_t wg = rg_op_default_wg (rec);
  uint64_t n = (uint64_t) L * n_heads * head_dim;
  uint64_t n_pairs = n / 2;
  RopePush push = { L, n_heads, head_dim, pos0 };
  RgVkBinding bindings[2] = { rg_vk_bind (x), rg_vk_bind (cos_sin) };
  RgVkDispatch d = {
    .shader = "rope_f32",
    .spec = { wg },
    .n_spec = 1,
    .bindings = bindings,
    .n_bindings = 2,
    .push = &push,
    .push_size = sizeof push,
    .flops = 3.0 * (double) n,
    .bytes = 12.0 * (double) n,
  };

  if (n == 0)
    return;
  if (head_dim % 2 != 0 || n > G_MAXUINT32 || (uint64_t) pos0 + L > G_MAXUINT32 / head_dim)
    {
      rg_vk_recorder_take_error (rec, g_error_new (REGARD_ERROR, REGARD_ERROR_FAILED,
                                                   "rope_f32: invalid shape L=%u heads=%u head_dim=%u pos0=%u",
                                                   L, n_heads, head_dim, pos0));
      return;
    }
  if (!rg_op_check_size (rec, "rope_f32", x, n * 4) ||
      !rg_op_check_size (rec, "rope_f32", cos_sin, ((uint64_t) pos0 + L) * head_dim * 4))
    return;
  rg_vk_groups_1d (ctx, (n_pairs + wg - 1) / wg, d.groups);
  rg_vk_dispatch (rec, &d);
}
