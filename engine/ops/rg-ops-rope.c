/* rg-ops-rope.c: rotate_half rotary position embedding (shaders/rope.comp),
 * reading the cos/sin table of rg_rope_table_new (), and the store of new
 * k (rotated) and v rows into an f32 or f16 KV cache. */
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
  uint32_t cache_offset;
  uint32_t kv_f16;
} RopePush;
G_STATIC_ASSERT (sizeof (RopePush) == 28);

void
rg_op_rope (RgVkRecorder *rec, RgVkBuffer *x, const RgVkBuffer *cos_sin,
            uint32_t L, uint32_t n_heads, uint32_t head_dim, uint32_t pos0)
{
  rg_op_rope_kv (rec, x, n_heads, NULL, NULL, NULL, NULL, 0, 0, FALSE, cos_sin, L, head_dim, pos0);
}

static void
rope_error (RgVkRecorder *rec, const char *what)
{
  rg_vk_recorder_take_error (rec, g_error_new (REGARD_ERROR, REGARD_ERROR_FAILED, "rope_f32: %s", what));
}

void
rg_op_rope_kv (RgVkRecorder *rec, RgVkBuffer *q, uint32_t n_heads,
               const RgVkBuffer *k, const RgVkBuffer *v, RgVkBuffer *k_cache, RgVkBuffer *v_cache,
               uint64_t cache_offset, uint32_t k_heads, gboolean kv_f16,
               const RgVkBuffer *cos_sin, uint32_t L, uint32_t head_dim, uint32_t pos0)
{
  RgVkContext *ctx = rg_vk_recorder_get_context (rec);
  uint32_t wg = rg_op_default_wg (rec);
  gboolean has_kv = k != NULL && k_heads > 0;
  uint64_t nq = (uint64_t) L * n_heads * head_dim;
  uint64_t nk = has_kv ? (uint64_t) L * k_heads * head_dim : 0;
  uint64_t elem = kv_f16 ? 2 : 4, per = kv_f16 ? 2 : 1;
  /* q pairs, k pairs (two per invocation for halves), v elements (two for halves) */
  uint64_t n_inv = nq / 2 + nk / 2 / per + nk / per;
  RopePush push = { L, n_heads, head_dim, pos0, has_kv ? k_heads : 0, (uint32_t) cache_offset, kv_f16 != FALSE };
  RgVkBinding bindings[6] = {
    rg_vk_bind (q), rg_vk_bind (cos_sin),
    rg_vk_bind (has_kv ? k : q), rg_vk_bind (has_kv ? v : q),
    rg_vk_bind (has_kv ? k_cache : q), rg_vk_bind (has_kv ? v_cache : q),
  };
  RgVkDispatch d = {
    .shader = "rope_f32",
    .spec = { wg },
    .n_spec = 1,
    .bindings = bindings,
    .n_bindings = 6,
    .push = &push,
    .push_size = sizeof push,
    .flops = 3.0 * (double) (nq + nk),
    .bytes = 12.0 * (double) (nq + nk) + (4.0 + elem) * (double) nk,
  };

  if (nq + nk == 0)
    return;
  if (head_dim % 2 != 0 || nq + 2 * nk > G_MAXUINT32 || cache_offset + nk > G_MAXUINT32 ||
      (uint64_t) pos0 + L > G_MAXUINT32 / head_dim)
    {
      rg_vk_recorder_take_error (rec, g_error_new (REGARD_ERROR, REGARD_ERROR_FAILED,
                                                   "rope_f32: invalid shape L=%u heads=%u+%u head_dim=%u pos0=%u",
                                                   L, n_heads, k_heads, head_dim, pos0));
      return;
    }
  if (has_kv && (v == NULL || k_cache == NULL || v_cache == NULL))
    {
      rope_error (rec, "k needs v and both caches");
      return;
    }
  if (has_kv && kv_f16 && (head_dim % 4 != 0 || cache_offset % 2 != 0))
    {
      rope_error (rec, "an f16 cache needs head_dim % 4 == 0 and an even offset");
      return;
    }
  if (has_kv && (k == q || v == q || k_cache == q || v_cache == q || k_cache == v_cache))
    {
      rope_error (rec, "q, k, v and the caches must be different buffers");
      return;
    }
  if (!rg_op_check_size (rec, "rope_f32", q, nq * 4) ||
      (has_kv && !rg_op_check_size (rec, "rope_f32", k, nk * 4)) ||
      (has_kv && !rg_op_check_size (rec, "rope_f32", v, nk * 4)) ||
      (has_kv && !rg_op_check_size (rec, "rope_f32", k_cache, (cache_offset + nk) * elem)) ||
      (has_kv && !rg_op_check_size (rec, "rope_f32", v_cache, (cache_offset + nk) * elem)) ||
      !rg_op_check_size (rec, "rope_f32", cos_sin, ((uint64_t) pos0 + L) * head_dim * 4))
    return;
  rg_vk_groups_1d (ctx, (n_inv + wg - 1) / wg, d.groups);
  rg_vk_dispatch (rec, &d);
}
