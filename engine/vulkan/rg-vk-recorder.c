/* rg-vk-recorder.c: recording dispatches into one command buffer.
 *
 * A whole forward step is recorded, then submitted once. Between two
 * dispatches a compute->compute memory barrier makes the previous writes
 * visible: ops in a transformer are almost always dependent, so tracking
 * finer hazards would buy little.
 *
 * With REGARD_PROFILE=1 a timestamp follows every dispatch; the time
 * between consecutive timestamps is charged to the op. */
#include "config.h"

#include "rg-vk-private.h"

#include <string.h>

#define SETS_PER_POOL 512
#define MAX_QUERIES 8192

struct _RgVkRecorder
{
  RgVkContext *ctx;                 /* borrowed */
  VkCommandBuffer cb;
  gboolean recording;
  GArray *pools;                    /* VkDescriptorPool */
  guint sets_in_pool;               /* sets taken from the last pool */
  GError *error;                    /* first recording error (owned) */
  GPtrArray *scratch;               /* RgVkBuffer* freed after submit (owned) */
  guint n_dispatches;

  /* profiling */
  VkQueryPool queries;
  guint n_queries;
  GPtrArray *query_ops;             /* op name per timestamp (static strings) */
  GArray *query_work;               /* double[2] flops, bytes per timestamp */
};

RgVkRecorder *
rg_vk_recorder_new (RgVkContext *ctx)
{
  RgVkRecorder *rec = g_new0 (RgVkRecorder, 1);

  rec->ctx = ctx;
  rec->pools = g_array_new (FALSE, FALSE, sizeof (VkDescriptorPool));
  rec->scratch = g_ptr_array_new_with_free_func ((GDestroyNotify) rg_vk_buffer_free);
  rec->query_ops = g_ptr_array_new_with_free_func (g_free);
  rec->query_work = g_array_new (FALSE, FALSE, sizeof (double) * 2);
  return rec;
}

static void
reset_state (RgVkRecorder *rec)
{
  RgVkContext *ctx = rec->ctx;

  /* After a timeout the submission may still run: its descriptor pools
   * go to the context, its command buffer stays in the command pool, both
   * destroyed once the GPU is done (rg_vk_context_free). */
  for (guint i = 0; i < rec->pools->len; i++)
    {
      VkDescriptorPool pool = g_array_index (rec->pools, VkDescriptorPool, i);
      if (ctx->lost)
        g_array_append_val (ctx->orphan_pools, pool);
      else
        vkDestroyDescriptorPool (ctx->device, pool, NULL);
    }
  g_array_set_size (rec->pools, 0);
  rec->sets_in_pool = 0;
  if (rec->cb != VK_NULL_HANDLE)
    {
      if (!ctx->lost)
        vkFreeCommandBuffers (ctx->device, ctx->command_pool, 1, &rec->cb);
      rec->cb = VK_NULL_HANDLE;
    }
  rec->recording = FALSE;
  rec->n_dispatches = 0;
  rec->n_queries = 0;
  g_ptr_array_set_size (rec->query_ops, 0);
  g_array_set_size (rec->query_work, 0);
  g_clear_error (&rec->error);
  g_ptr_array_set_size (rec->scratch, 0);
}

void
rg_vk_recorder_free (RgVkRecorder *rec)
{
  if (rec == NULL)
    return;
  reset_state (rec);
  if (rec->queries && !rec->ctx->lost)
    vkDestroyQueryPool (rec->ctx->device, rec->queries, NULL);
  g_array_free (rec->pools, TRUE);
  g_ptr_array_free (rec->scratch, TRUE);
  g_ptr_array_free (rec->query_ops, TRUE);
  g_array_free (rec->query_work, TRUE);
  g_free (rec);
}

RgVkContext *
rg_vk_recorder_get_context (RgVkRecorder *rec)
{
  return rec->ctx;
}

void
rg_vk_recorder_take_error (RgVkRecorder *rec, GError *error)
{
  if (rec->error == NULL)
    rec->error = error;
  else
    g_error_free (error);
}

void
rg_vk_recorder_keep_buffer (RgVkRecorder *rec, RgVkBuffer *buf)
{
  g_ptr_array_add (rec->scratch, buf);
}

gboolean
rg_vk_recorder_has_error (RgVkRecorder *rec)
{
  return rec->error != NULL;
}

guint
rg_vk_recorder_get_n_dispatches (RgVkRecorder *rec)
{
  return rec->n_dispatches;
}

static gboolean
ensure_recording (RgVkRecorder *rec)
{
  RgVkContext *ctx = rec->ctx;
  VkCommandBufferAllocateInfo ai = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
    .commandPool = ctx->command_pool,
    .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
    .commandBufferCount = 1,
  };
  VkCommandBufferBeginInfo bi = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
    .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT,
  };
  GError *error = NULL;

  if (rec->recording)
    return TRUE;
  if (rec->error)
    return FALSE;
  if (ctx->lost)
    {
      rg_vk_recorder_take_error (rec, g_error_new (REGARD_ERROR, REGARD_ERROR_DEVICE_LOST,
                                                   "the GPU device was lost"));
      return FALSE;
    }
  if (!rg_vk_check (ctx, vkAllocateCommandBuffers (ctx->device, &ai, &rec->cb), "vkAllocateCommandBuffers", &error))
    {
      rec->cb = VK_NULL_HANDLE;
      rg_vk_recorder_take_error (rec, error);
      return FALSE;
    }
  vkBeginCommandBuffer (rec->cb, &bi);
  rec->recording = TRUE;

  if (ctx->profiling)
    {
      if (rec->queries == VK_NULL_HANDLE)
        {
          VkQueryPoolCreateInfo qci = {
            .sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
            .queryType = VK_QUERY_TYPE_TIMESTAMP,
            .queryCount = MAX_QUERIES,
          };
          if (vkCreateQueryPool (ctx->device, &qci, NULL, &rec->queries) != VK_SUCCESS)
            rec->queries = VK_NULL_HANDLE;
        }
      if (rec->queries)
        {
          double zero[2] = { 0, 0 };

          vkCmdResetQueryPool (rec->cb, rec->queries, 0, MAX_QUERIES);
          vkCmdWriteTimestamp (rec->cb, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, rec->queries, 0);
          g_ptr_array_add (rec->query_ops, NULL);
          g_array_append_val (rec->query_work, zero);
          rec->n_queries = 1;
        }
    }
  return TRUE;
}

static VkDescriptorSet
allocate_set (RgVkRecorder *rec)
{
  RgVkContext *ctx = rec->ctx;
  VkDescriptorSetAllocateInfo ai = {
    .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
    .descriptorSetCount = 1,
    .pSetLayouts = &ctx->set_layout,
  };
  VkDescriptorSet set;
  GError *error = NULL;

  if (rec->pools->len == 0 || rec->sets_in_pool == SETS_PER_POOL)
    {
      VkDescriptorPoolSize sizes[2] = {
        { VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, SETS_PER_POOL * RG_VK_MAX_BINDINGS },
        { VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER, SETS_PER_POOL * RG_VK_MAX_TEXELS },
      };
      VkDescriptorPoolCreateInfo pci = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
        .maxSets = SETS_PER_POOL,
        .poolSizeCount = 2,
        .pPoolSizes = sizes,
      };
      VkDescriptorPool pool;

      if (!rg_vk_check (ctx, vkCreateDescriptorPool (ctx->device, &pci, NULL, &pool), "vkCreateDescriptorPool", &error))
        {
          rg_vk_recorder_take_error (rec, error);
          return VK_NULL_HANDLE;
        }
      g_array_append_val (rec->pools, pool);
      rec->sets_in_pool = 0;
    }
  ai.descriptorPool = g_array_index (rec->pools, VkDescriptorPool, rec->pools->len - 1);
  if (!rg_vk_check (ctx, vkAllocateDescriptorSets (ctx->device, &ai, &set), "vkAllocateDescriptorSets", &error))
    {
      rg_vk_recorder_take_error (rec, error);
      return VK_NULL_HANDLE;
    }
  rec->sets_in_pool++;
  return set;
}

static void
compute_barrier (VkCommandBuffer cb)
{
  VkMemoryBarrier mb = {
    .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
    .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
    .dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT |
                     VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
  };

  vkCmdPipelineBarrier (cb,
                        VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                        VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                        0, 1, &mb, 0, NULL, 0, NULL);
}

static void
write_timestamp (RgVkRecorder *rec, const char *op, double flops, double bytes)
{
  double work[2] = { flops, bytes };

  if (rec->queries == VK_NULL_HANDLE || rec->n_queries >= MAX_QUERIES)
    return;
  vkCmdWriteTimestamp (rec->cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, rec->queries, rec->n_queries);
  g_ptr_array_add (rec->query_ops, g_strdup (op));
  g_array_append_val (rec->query_work, work);
  rec->n_queries++;
}

/* BUF as RGBA32UI texels (16 bytes: one fetch reads four words), all its
 * whole texels; the view lives as long as BUF. */
static VkBufferView
texel_view (RgVkRecorder *rec, const char *shader, const RgVkBuffer *cbuf)
{
  RgVkContext *ctx = rec->ctx;
  RgVkBuffer *buf = (RgVkBuffer *) cbuf;   /* the view is a cache, not a change */
  uint64_t texels = buf->size / 16;
  VkBufferViewCreateInfo ci = { .sType = VK_STRUCTURE_TYPE_BUFFER_VIEW_CREATE_INFO };
  GError *error = NULL;

  if (buf->texel_view != VK_NULL_HANDLE)
    return buf->texel_view;
  if (texels == 0 || texels > ctx->info.max_texel_buffer_elements)
    {
      rg_vk_recorder_take_error (rec, g_error_new (REGARD_ERROR, REGARD_ERROR_FAILED,
                                                   "%s: tensor '%s' (%" G_GUINT64_FORMAT " bytes) does not fit a "
                                                   "texel buffer (%u texels of 16 bytes)", shader, buf->name,
                                                   buf->size, ctx->info.max_texel_buffer_elements));
      return VK_NULL_HANDLE;
    }
  ci.buffer = buf->block->buffer;
  ci.format = VK_FORMAT_R32G32B32A32_UINT;
  ci.offset = buf->offset;
  ci.range = texels * 16;
  if (!rg_vk_check (ctx, vkCreateBufferView (ctx->device, &ci, NULL, &buf->texel_view), "vkCreateBufferView", &error))
    {
      buf->texel_view = VK_NULL_HANDLE;
      rg_vk_recorder_take_error (rec, error);
      return VK_NULL_HANDLE;
    }
  return buf->texel_view;
}

void
rg_vk_groups_1d (RgVkContext *ctx, uint64_t n_groups, uint32_t groups[3])
{
  uint64_t max_x = ctx->info.max_compute_workgroup_count[0];
  uint64_t y;

  if (n_groups == 0)
    n_groups = 1;
  if (n_groups <= max_x)
    {
      groups[0] = (uint32_t) n_groups;
      groups[1] = 1;
    }
  else
    {
      /* group_index () = y * num_x + x may overrun n_groups: shaders bound
       * their work by element counts, never by the grid. */
      y = (n_groups + max_x - 1) / max_x;
      groups[0] = (uint32_t) ((n_groups + y - 1) / y);
      groups[1] = (uint32_t) y;
    }
  groups[2] = 1;
}

void
rg_vk_dispatch (RgVkRecorder *rec, const RgVkDispatch *d)
{
  RgVkContext *ctx = rec->ctx;
  VkDescriptorBufferInfo infos[RG_VK_MAX_BINDINGS];
  VkBufferView views[RG_VK_MAX_TEXELS];
  VkWriteDescriptorSet writes[RG_VK_MAX_BINDINGS + RG_VK_MAX_TEXELS];
  VkDescriptorSet set;
  VkPipeline pipeline;
  GError *error = NULL;

  if (!ensure_recording (rec))
    return;
  g_return_if_fail (d->n_bindings <= RG_VK_MAX_BINDINGS);
  g_return_if_fail (d->n_texels <= RG_VK_MAX_TEXELS);
  g_return_if_fail (d->push_size <= RG_VK_MAX_PUSH_BYTES);

  for (guint i = 0; i < 3; i++)
    if (d->groups[i] == 0 || d->groups[i] > ctx->info.max_compute_workgroup_count[i])
      {
        rg_vk_recorder_take_error (rec, g_error_new (REGARD_ERROR, REGARD_ERROR_FAILED,
                                                     "%s: %u workgroups in dimension %u (device limit %u)",
                                                     d->shader, d->groups[i], i,
                                                     ctx->info.max_compute_workgroup_count[i]));
        return;
      }

  pipeline = rg_vk_pipeline_get (ctx, d->shader, d->spec, d->n_spec, &error);
  if (pipeline == VK_NULL_HANDLE)
    {
      rg_vk_recorder_take_error (rec, error);
      return;
    }

  for (guint i = 0; i < d->n_bindings; i++)
    {
      const RgVkBinding *b = &d->bindings[i];
      const RgVkBuffer *buf = b->buffer;
      uint64_t range;

      if (buf == NULL)
        {
          rg_vk_recorder_take_error (rec, g_error_new (REGARD_ERROR, REGARD_ERROR_FAILED,
                                                       "%s: binding %u has no buffer", d->shader, i));
          return;
        }
      if (b->offset > buf->size || b->offset % ctx->info.min_storage_buffer_offset_alignment != 0)
        {
          rg_vk_recorder_take_error (rec, g_error_new (REGARD_ERROR, REGARD_ERROR_FAILED,
                                                       "%s: binding of '%s' at offset %" G_GUINT64_FORMAT
                                                       " is out of range or misaligned",
                                                       d->shader, buf->name, b->offset));
          return;
        }
      range = b->range ? b->range : buf->size - b->offset;
      if (range > buf->size - b->offset)
        {
          rg_vk_recorder_take_error (rec, g_error_new (REGARD_ERROR, REGARD_ERROR_FAILED,
                                                       "%s: binding of '%s' runs past its end",
                                                       d->shader, buf->name));
          return;
        }
      if (range > ctx->info.max_storage_buffer_range)
        {
          rg_vk_recorder_take_error (rec, g_error_new (REGARD_ERROR, REGARD_ERROR_OUT_OF_MEMORY,
                                                       "%s: tensor '%s' binds %" G_GUINT64_FORMAT " bytes, "
                                                       "more than this device's maxStorageBufferRange (%"
                                                       G_GUINT64_FORMAT ")",
                                                       d->shader, buf->name, range,
                                                       ctx->info.max_storage_buffer_range));
          return;
        }
      infos[i] = (VkDescriptorBufferInfo) { buf->block->buffer, buf->offset + b->offset, range };
      writes[i] = (VkWriteDescriptorSet) {
        .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
        .dstBinding = i,
        .descriptorCount = 1,
        .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
        .pBufferInfo = &infos[i],
      };
    }

  for (guint i = 0; i < d->n_texels; i++)
    {
      views[i] = texel_view (rec, d->shader, d->texels[i]);
      if (views[i] == VK_NULL_HANDLE)
        return;
      writes[d->n_bindings + i] = (VkWriteDescriptorSet) {
        .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
        .dstBinding = RG_VK_TEXEL_BINDING0 + i,
        .descriptorCount = 1,
        .descriptorType = VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER,
        .pTexelBufferView = &views[i],
      };
    }

  set = allocate_set (rec);
  if (set == VK_NULL_HANDLE)
    return;
  for (guint i = 0; i < d->n_bindings + d->n_texels; i++)
    writes[i].dstSet = set;
  vkUpdateDescriptorSets (ctx->device, d->n_bindings + d->n_texels, writes, 0, NULL);

  vkCmdBindPipeline (rec->cb, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline);
  vkCmdBindDescriptorSets (rec->cb, VK_PIPELINE_BIND_POINT_COMPUTE, ctx->pipeline_layout, 0, 1, &set, 0, NULL);
  if (d->push_size > 0)
    vkCmdPushConstants (rec->cb, ctx->pipeline_layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, d->push_size, d->push);
  vkCmdDispatch (rec->cb, d->groups[0], d->groups[1], d->groups[2]);
  write_timestamp (rec, d->shader, d->flops, d->bytes);
  compute_barrier (rec->cb);
  rec->n_dispatches++;
}

void
rg_vk_copy (RgVkRecorder *rec, const RgVkBuffer *dst, uint64_t dst_offset,
            const RgVkBuffer *src, uint64_t src_offset, uint64_t size)
{
  VkBufferCopy region;

  if (!ensure_recording (rec))
    return;
  if (src_offset > src->size || size > src->size - src_offset ||
      dst_offset > dst->size || size > dst->size - dst_offset)
    {
      rg_vk_recorder_take_error (rec, g_error_new (REGARD_ERROR, REGARD_ERROR_FAILED,
                                                   "copy of %" G_GUINT64_FORMAT " bytes from '%s' to '%s' "
                                                   "is out of range", size, src->name, dst->name));
      return;
    }
  if (size == 0)
    return;
  region = (VkBufferCopy) { src->offset + src_offset, dst->offset + dst_offset, size };
  vkCmdCopyBuffer (rec->cb, src->block->buffer, dst->block->buffer, 1, &region);
  write_timestamp (rec, "copy", 0, 2.0 * size);
  compute_barrier (rec->cb);
}

static void
collect_profile (RgVkRecorder *rec)
{
  RgVkContext *ctx = rec->ctx;
  g_autofree uint64_t *ts = NULL;

  if (rec->queries == VK_NULL_HANDLE || rec->n_queries < 2)
    return;
  ts = g_new0 (uint64_t, rec->n_queries);
  if (vkGetQueryPoolResults (ctx->device, rec->queries, 0, rec->n_queries, rec->n_queries * sizeof (uint64_t),
                             ts, sizeof (uint64_t), VK_QUERY_RESULT_64_BIT) != VK_SUCCESS)
    return;
  for (guint i = 1; i < rec->n_queries; i++)
    {
      const double *work = (const double *) (void *) (rec->query_work->data + i * sizeof (double) * 2);
      double ns = (double) (ts[i] - ts[i - 1]) * ctx->info.timestamp_period_ns;

      rg_vk_profile_add (ctx, g_ptr_array_index (rec->query_ops, i), ns, work[0], work[1]);
    }
}

gboolean
rg_vk_recorder_submit (RgVkRecorder *rec, GError **error)
{
  RgVkContext *ctx = rec->ctx;
  VkSubmitInfo si = { .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .commandBufferCount = 1 };
  gboolean ok;

  if (rec->error)
    {
      g_propagate_error (error, g_steal_pointer (&rec->error));
      reset_state (rec);
      return FALSE;
    }
  if (!rec->recording)
    return TRUE; /* nothing recorded */
  vkEndCommandBuffer (rec->cb);
  si.pCommandBuffers = &rec->cb;
  ok = rg_vk_check (ctx, vkQueueSubmit (ctx->queue, 1, &si, ctx->fence), "vkQueueSubmit", error) &&
       rg_vk_wait_fence (ctx, error);
  if (ok && ctx->profiling)
    collect_profile (rec);
  reset_state (rec);
  return ok;
}

/* ---- profile table ----------------------------------------------------- */

gboolean
rg_vk_context_profiling (RgVkContext *ctx)
{
  return ctx->profiling;
}

void
rg_vk_profile_add (RgVkContext *ctx, const char *op, double ns, double flops, double bytes)
{
  RgVkProfileEntry *e = g_hash_table_lookup (ctx->profile, op);

  if (e == NULL)
    {
      e = g_new0 (RgVkProfileEntry, 1);
      e->op = g_strdup (op);
      g_hash_table_insert (ctx->profile, e->op, e);
    }
  e->count++;
  e->total_ns += ns;
  e->flops += flops;
  e->bytes += bytes;
}

static gint
entry_cmp (gconstpointer a, gconstpointer b)
{
  const RgVkProfileEntry *x = *(RgVkProfileEntry **) a, *y = *(RgVkProfileEntry **) b;

  return x->total_ns < y->total_ns ? 1 : x->total_ns > y->total_ns ? -1 : 0;
}

void
rg_vk_context_print_profile (RgVkContext *ctx, FILE *out)
{
  g_autoptr(GPtrArray) entries = g_ptr_array_new ();
  GHashTableIter it;
  gpointer v;

  g_hash_table_iter_init (&it, ctx->profile);
  while (g_hash_table_iter_next (&it, NULL, &v))
    g_ptr_array_add (entries, v);
  g_ptr_array_sort (entries, entry_cmp);
  fprintf (out, "%-28s %8s %12s %12s %10s %10s\n", "op", "count", "total ms", "mean us", "GFLOP/s", "GB/s");
  for (guint i = 0; i < entries->len; i++)
    {
      RgVkProfileEntry *e = g_ptr_array_index (entries, i);
      double s = e->total_ns * 1e-9;

      fprintf (out, "%-28s %8" G_GUINT64_FORMAT " %12.3f %12.1f %10.2f %10.2f\n",
               e->op, e->count, e->total_ns * 1e-6, e->total_ns * 1e-3 / (double) e->count,
               s > 0 ? e->flops / s * 1e-9 : 0.0, s > 0 ? e->bytes / s * 1e-9 : 0.0);
    }
}

void
rg_vk_context_reset_profile (RgVkContext *ctx)
{
  GHashTableIter it;
  gpointer v;

  g_hash_table_iter_init (&it, ctx->profile);
  while (g_hash_table_iter_next (&it, NULL, &v))
    {
      RgVkProfileEntry *e = v;

      e->count = 0;
      e->total_ns = e->flops = e->bytes = 0;
    }
}
