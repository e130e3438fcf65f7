/* rg-vk-memory.c: device memory blocks, suballocation, uploads.
 *
 * Memory comes in a few large blocks (at most maxMemoryAllocationSize
 * each), each with one VkBuffer over the whole block; a tensor is an
 * aligned range of a block, found first-fit. Uploads go straight into the
 * block when it is host-visible (integrated GPUs, lavapipe, ReBAR) and
 * through a bounded staging buffer otherwise, so a model is never held
 * twice in RAM. */
#include "config.h"

#include "rg-vk-private.h"

#include <string.h>

#define DEFAULT_BLOCK_SIZE (256ull << 20)
#define STAGING_SIZE (32ull << 20)

static int
find_memory_type (RgVkContext *ctx, uint32_t type_bits, VkMemoryPropertyFlags want, VkMemoryPropertyFlags avoid)
{
  VkPhysicalDeviceMemoryProperties props;

  vkGetPhysicalDeviceMemoryProperties (ctx->physical, &props);
  for (uint32_t i = 0; i < props.memoryTypeCount; i++)
    {
      VkMemoryPropertyFlags f = props.memoryTypes[i].propertyFlags;

      if ((type_bits & (1u << i)) && (f & want) == want && (f & avoid) == 0)
        return (int) i;
    }
  return -1;
}

static gboolean
type_is_host_visible (RgVkContext *ctx, uint32_t index)
{
  VkPhysicalDeviceMemoryProperties props;

  vkGetPhysicalDeviceMemoryProperties (ctx->physical, &props);
  return (props.memoryTypes[index].propertyFlags &
          (VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT)) ==
         (VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
}

static const VkBufferUsageFlags buffer_usage =
  VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
  VK_BUFFER_USAGE_TRANSFER_DST_BIT | VK_BUFFER_USAGE_UNIFORM_TEXEL_BUFFER_BIT |
  VK_BUFFER_USAGE_STORAGE_TEXEL_BUFFER_BIT;

/* Creates a buffer of SIZE bound to fresh memory of type TYPE_INDEX. */
static gboolean
create_buffer_memory (RgVkContext *ctx, uint64_t size, VkBufferUsageFlags usage, uint32_t type_index,
                      VkBuffer *buffer, VkDeviceMemory *memory, void **mapped, GError **error)
{
  VkBufferCreateInfo bci = {
    .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
    .size = size,
    .usage = usage,
    .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
  };
  VkMemoryRequirements req;
  VkMemoryAllocateInfo mai = { .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO };
  VkResult r;

  *buffer = VK_NULL_HANDLE;
  *memory = VK_NULL_HANDLE;
  *mapped = NULL;
  r = vkCreateBuffer (ctx->device, &bci, NULL, buffer);
  if (!rg_vk_check (ctx, r, "vkCreateBuffer", error))
    return FALSE;
  vkGetBufferMemoryRequirements (ctx->device, *buffer, &req);
  if (!(req.memoryTypeBits & (1u << type_index)))
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_FAILED, "no compatible memory type for buffers");
      vkDestroyBuffer (ctx->device, *buffer, NULL);
      *buffer = VK_NULL_HANDLE;
      return FALSE;
    }
  mai.allocationSize = req.size;
  mai.memoryTypeIndex = type_index;
  r = vkAllocateMemory (ctx->device, &mai, NULL, memory);
  if (r != VK_SUCCESS)
    {
      rg_vk_check (ctx, r, "vkAllocateMemory", error);
      vkDestroyBuffer (ctx->device, *buffer, NULL);
      *buffer = VK_NULL_HANDLE;
      return FALSE;
    }
  vkBindBufferMemory (ctx->device, *buffer, *memory, 0);
  if (type_is_host_visible (ctx, type_index))
    {
      r = vkMapMemory (ctx->device, *memory, 0, VK_WHOLE_SIZE, 0, mapped);
      if (r != VK_SUCCESS)
        *mapped = NULL;
    }
  return TRUE;
}

gboolean
rg_vk_memory_init (RgVkContext *ctx, GError **error)
{
  VkBufferCreateInfo bci = {
    .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
    .size = 4096,
    .usage = buffer_usage,
  };
  VkBuffer probe;
  VkMemoryRequirements req;
  int t;

  ctx->orphan_pools = g_array_new (FALSE, FALSE, sizeof (VkDescriptorPool));
  ctx->orphan_views = g_array_new (FALSE, FALSE, sizeof (VkBufferView));

  if (!rg_vk_check (ctx, vkCreateBuffer (ctx->device, &bci, NULL, &probe), "vkCreateBuffer", error))
    return FALSE;
  vkGetBufferMemoryRequirements (ctx->device, probe, &req);
  vkDestroyBuffer (ctx->device, probe, NULL);

  t = find_memory_type (ctx, req.memoryTypeBits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, 0);
  if (t < 0)
    t = find_memory_type (ctx, req.memoryTypeBits, 0, 0);
  if (t < 0)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_NO_DEVICE, "%s offers no memory for storage buffers",
                   ctx->info.name);
      return FALSE;
    }
  ctx->device_type_index = (uint32_t) t;
  ctx->blocks_host_visible = type_is_host_visible (ctx, ctx->device_type_index);

  t = find_memory_type (ctx, req.memoryTypeBits,
                        VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT |
                        VK_MEMORY_PROPERTY_HOST_CACHED_BIT, 0);
  if (t < 0)
    t = find_memory_type (ctx, req.memoryTypeBits,
                          VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT, 0);
  if (t < 0 && !ctx->blocks_host_visible)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_NO_DEVICE, "%s offers no host-visible memory",
                   ctx->info.name);
      return FALSE;
    }
  ctx->host_type_index = t < 0 ? ctx->device_type_index : (uint32_t) t;

  /* every buffer can be bound as storage and viewed as texels */
  ctx->alignment = MAX (256, MAX (ctx->info.min_storage_buffer_offset_alignment,
                                  ctx->info.min_texel_buffer_offset_alignment));
  ctx->block_size = MIN (DEFAULT_BLOCK_SIZE, ctx->info.max_memory_allocation_size);
  ctx->blocks = g_ptr_array_new ();
  return TRUE;
}

static void
block_free (RgVkContext *ctx, RgVkBlock *block)
{
  if (block->mapped)
    vkUnmapMemory (ctx->device, block->memory);
  vkDestroyBuffer (ctx->device, block->buffer, NULL);
  vkFreeMemory (ctx->device, block->memory, NULL);
  g_list_free_full (block->free_ranges, g_free);
  g_free (block);
}

void
rg_vk_destroy_orphans (RgVkContext *ctx)
{
  if (ctx->orphan_pools)
    {
      for (guint i = 0; i < ctx->orphan_pools->len; i++)
        vkDestroyDescriptorPool (ctx->device, g_array_index (ctx->orphan_pools, VkDescriptorPool, i), NULL);
      g_array_set_size (ctx->orphan_pools, 0);
    }
  if (ctx->orphan_views)
    {
      for (guint i = 0; i < ctx->orphan_views->len; i++)
        vkDestroyBufferView (ctx->device, g_array_index (ctx->orphan_views, VkBufferView, i), NULL);
      g_array_set_size (ctx->orphan_views, 0);
    }
}

void
rg_vk_memory_fini (RgVkContext *ctx)
{
  rg_vk_destroy_orphans (ctx);
  g_clear_pointer (&ctx->orphan_pools, g_array_unref);
  g_clear_pointer (&ctx->orphan_views, g_array_unref);
  if (ctx->blocks)
    {
      for (guint i = 0; i < ctx->blocks->len; i++)
        block_free (ctx, g_ptr_array_index (ctx->blocks, i));
      g_ptr_array_free (ctx->blocks, TRUE);
      ctx->blocks = NULL;
    }
  if (ctx->staging_mapped)
    vkUnmapMemory (ctx->device, ctx->staging_memory);
  if (ctx->staging)
    vkDestroyBuffer (ctx->device, ctx->staging, NULL);
  if (ctx->staging_memory)
    vkFreeMemory (ctx->device, ctx->staging_memory, NULL);
}

/* First fit in BLOCK; returns the offset or G_MAXUINT64. */
static uint64_t
block_take (RgVkBlock *block, uint64_t size, uint64_t alignment)
{
  for (GList *l = block->free_ranges; l; l = l->next)
    {
      RgVkRange *r = l->data;
      uint64_t start = (r->offset + alignment - 1) / alignment * alignment;
      uint64_t pad = start - r->offset;

      if (r->size >= pad + size)
        {
          uint64_t end = start + size;
          uint64_t range_end = r->offset + r->size;

          /* keep the (rare) alignment gap in front as a free range */
          if (pad > 0)
            {
              RgVkRange *front = g_new (RgVkRange, 1);

              front->offset = r->offset;
              front->size = pad;
              block->free_ranges = g_list_insert_before (block->free_ranges, l, front);
            }
          if (end < range_end)
            {
              r->offset = end;
              r->size = range_end - end;
            }
          else
            {
              g_free (r);
              block->free_ranges = g_list_delete_link (block->free_ranges, l);
            }
          block->n_live++;
          return start;
        }
    }
  return G_MAXUINT64;
}

static gint
range_cmp (gconstpointer a, gconstpointer b)
{
  const RgVkRange *x = a, *y = b;

  return x->offset < y->offset ? -1 : x->offset > y->offset;
}

static void
block_give_back (RgVkBlock *block, uint64_t offset, uint64_t size)
{
  RgVkRange *r = g_new (RgVkRange, 1);
  GList *l;

  r->offset = offset;
  r->size = size;
  block->free_ranges = g_list_insert_sorted (block->free_ranges, r, range_cmp);
  block->n_live--;

  /* coalesce neighbours */
  l = block->free_ranges;
  while (l && l->next)
    {
      RgVkRange *a = l->data, *b = l->next->data;

      if (a->offset + a->size == b->offset)
        {
          a->size += b->size;
          g_free (b);
          block->free_ranges = g_list_delete_link (block->free_ranges, l->next);
        }
      else
        l = l->next;
    }
}

static RgVkBlock *
block_new (RgVkContext *ctx, uint64_t size, GError **error)
{
  RgVkBlock *block = g_new0 (RgVkBlock, 1);
  RgVkRange *all = g_new (RgVkRange, 1);

  if (!create_buffer_memory (ctx, size, buffer_usage, ctx->device_type_index,
                             &block->buffer, &block->memory, &block->mapped, error))
    {
      g_free (block);
      g_free (all);
      return NULL;
    }
  block->size = size;
  all->offset = 0;
  all->size = size;
  block->free_ranges = g_list_append (NULL, all);
  return block;
}

RgVkBuffer *
rg_vk_buffer_new (RgVkContext *ctx, const char *name, uint64_t size, GError **error)
{
  uint64_t reserved;
  RgVkBuffer *buf;
  RgVkBlock *block = NULL;
  uint64_t offset = G_MAXUINT64;
  g_autoptr(GError) local_error = NULL;

  if (ctx->lost)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_DEVICE_LOST, "the GPU device was lost");
      return NULL;
    }
  if (size == 0)
    size = 4; /* a valid, empty binding */
  reserved = (size + ctx->alignment - 1) / ctx->alignment * ctx->alignment;
  if (reserved > ctx->info.max_memory_allocation_size)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_OUT_OF_MEMORY,
                   "tensor '%s' needs %" G_GUINT64_FORMAT " bytes in one piece, more than this device "
                   "allows in one allocation (%" G_GUINT64_FORMAT " bytes)",
                   name, size, ctx->info.max_memory_allocation_size);
      return NULL;
    }

  for (guint i = 0; i < ctx->blocks->len && offset == G_MAXUINT64; i++)
    {
      block = g_ptr_array_index (ctx->blocks, i);
      offset = block_take (block, reserved, ctx->alignment);
    }
  if (offset == G_MAXUINT64)
    {
      block = block_new (ctx, MAX (reserved, ctx->block_size), &local_error);
      if (block == NULL && reserved < ctx->block_size)
        {
          /* a smaller block may still fit when memory is tight */
          g_clear_error (&local_error);
          block = block_new (ctx, reserved, &local_error);
        }
      if (block == NULL)
        {
          g_set_error (error, REGARD_ERROR, REGARD_ERROR_OUT_OF_MEMORY,
                       "out of GPU memory allocating tensor '%s' (%" G_GUINT64_FORMAT " bytes; %"
                       G_GUINT64_FORMAT " bytes already allocated, device-local memory %" G_GUINT64_FORMAT
                       " bytes): %s",
                       name, size, ctx->allocated, ctx->info.device_local_bytes, local_error->message);
          return NULL;
        }
      g_ptr_array_add (ctx->blocks, block);
      offset = block_take (block, reserved, ctx->alignment);
      g_assert (offset != G_MAXUINT64);
    }

  buf = g_new0 (RgVkBuffer, 1);
  buf->ctx = ctx;
  buf->name = g_strdup (name);
  buf->block = block;
  buf->offset = offset;
  buf->size = size;
  buf->reserved = reserved;
  ctx->allocated += reserved;
  return buf;
}

void
rg_vk_buffer_free (RgVkBuffer *buf)
{
  RgVkContext *ctx;

  if (buf == NULL)
    return;
  ctx = buf->ctx;
  /* While lost, the GPU may still read or write this range: only the
   * bookkeeping goes; views and blocks wait for rg_vk_context_free (). */
  if (buf->texel_view != VK_NULL_HANDLE)
    {
      if (ctx->lost)
        g_array_append_val (ctx->orphan_views, buf->texel_view);
      else
        vkDestroyBufferView (ctx->device, buf->texel_view, NULL);
    }
  block_give_back (buf->block, buf->offset, buf->reserved);
  ctx->allocated -= buf->reserved;
  /* give empty blocks back to the driver so unloading frees VRAM */
  if (buf->block->n_live == 0 && !ctx->lost)
    {
      g_ptr_array_remove (ctx->blocks, buf->block);
      block_free (ctx, buf->block);
    }
  g_free (buf->name);
  g_free (buf);
}

uint64_t
rg_vk_buffer_get_size (const RgVkBuffer *buf)
{
  return buf->size;
}

const char *
rg_vk_buffer_get_name (const RgVkBuffer *buf)
{
  return buf->name;
}

gboolean
rg_vk_wait_fence (RgVkContext *ctx, GError **error)
{
  VkResult r = vkWaitForFences (ctx->device, 1, &ctx->fence, VK_TRUE, ctx->fence_timeout_ns);

  /* A timeout marks the context lost (rg_vk_check); the fence stays
   * unsignalled-and-pending and is not reset. */
  if (!rg_vk_check (ctx, r, "waiting for the GPU", error))
    return FALSE;
  vkResetFences (ctx->device, 1, &ctx->fence);
  return TRUE;
}

gboolean
rg_vk_run_once (RgVkContext *ctx, void (*record) (VkCommandBuffer cb, gpointer data),
                gpointer data, GError **error)
{
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
  VkSubmitInfo si = { .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .commandBufferCount = 1 };
  VkCommandBuffer cb;
  gboolean ok;

  if (!rg_vk_check (ctx, vkAllocateCommandBuffers (ctx->device, &ai, &cb), "vkAllocateCommandBuffers", error))
    return FALSE;
  vkBeginCommandBuffer (cb, &bi);
  record (cb, data);
  vkEndCommandBuffer (cb);
  si.pCommandBuffers = &cb;
  ok = rg_vk_check (ctx, vkQueueSubmit (ctx->queue, 1, &si, ctx->fence), "vkQueueSubmit", error) &&
       rg_vk_wait_fence (ctx, error);
  /* A command buffer that may still run goes with the pool, later. */
  if (!ctx->lost)
    vkFreeCommandBuffers (ctx->device, ctx->command_pool, 1, &cb);
  return ok;
}

static gboolean
ensure_staging (RgVkContext *ctx, GError **error)
{
  if (ctx->staging != VK_NULL_HANDLE)
    return TRUE;
  ctx->staging_size = STAGING_SIZE;
  if (!create_buffer_memory (ctx, ctx->staging_size,
                             VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                             ctx->host_type_index, &ctx->staging, &ctx->staging_memory,
                             &ctx->staging_mapped, error))
    return FALSE;
  if (ctx->staging_mapped == NULL)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_FAILED, "cannot map the staging buffer");
      return FALSE;
    }
  return TRUE;
}

typedef struct
{
  VkBuffer src, dst;
  VkBufferCopy region;
} CopyJob;

static void
record_copy (VkCommandBuffer cb, gpointer data)
{
  CopyJob *job = data;
  VkMemoryBarrier mb = {
    .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
    .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
    .dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
  };

  vkCmdPipelineBarrier (cb, VK_PIPELINE_STAGE_ALL_COMMANDS_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT,
                        0, 1, &mb, 0, NULL, 0, NULL);
  vkCmdCopyBuffer (cb, job->src, job->dst, 1, &job->region);
}

static gboolean
check_range (RgVkBuffer *buf, uint64_t offset, uint64_t size, GError **error)
{
  if (buf->ctx->lost)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_DEVICE_LOST, "the GPU device was lost");
      return FALSE;
    }
  if (offset > buf->size || size > buf->size - offset)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_FAILED,
                   "copy of %" G_GUINT64_FORMAT " bytes at %" G_GUINT64_FORMAT " is outside tensor '%s' (%"
                   G_GUINT64_FORMAT " bytes)", size, offset, buf->name, buf->size);
      return FALSE;
    }
  return TRUE;
}

gboolean
rg_vk_buffer_upload (RgVkBuffer *buf, uint64_t offset, const void *data, uint64_t size, GError **error)
{
  RgVkContext *ctx = buf->ctx;
  uint64_t done = 0;

  if (!check_range (buf, offset, size, error))
    return FALSE;
  if (buf->block->mapped)
    {
      memcpy ((char *) buf->block->mapped + buf->offset + offset, data, size);
      return TRUE;
    }
  if (!ensure_staging (ctx, error))
    return FALSE;
  while (done < size)
    {
      uint64_t n = MIN (size - done, ctx->staging_size);
      CopyJob job = {
        .src = ctx->staging,
        .dst = buf->block->buffer,
        .region = { 0, buf->offset + offset + done, n },
      };

      memcpy (ctx->staging_mapped, (const char *) data + done, n);
      if (!rg_vk_run_once (ctx, record_copy, &job, error))
        return FALSE;
      done += n;
    }
  return TRUE;
}

gboolean
rg_vk_buffer_download (RgVkBuffer *buf, uint64_t offset, void *data, uint64_t size, GError **error)
{
  RgVkContext *ctx = buf->ctx;
  uint64_t done = 0;

  if (!check_range (buf, offset, size, error))
    return FALSE;
  if (buf->block->mapped)
    {
      memcpy (data, (const char *) buf->block->mapped + buf->offset + offset, size);
      return TRUE;
    }
  if (!ensure_staging (ctx, error))
    return FALSE;
  while (done < size)
    {
      uint64_t n = MIN (size - done, ctx->staging_size);
      CopyJob job = {
        .src = buf->block->buffer,
        .dst = ctx->staging,
        .region = { buf->offset + offset + done, 0, n },
      };

      if (!rg_vk_run_once (ctx, record_copy, &job, error))
        return FALSE;
      memcpy ((char *) data + done, ctx->staging_mapped, n);
      done += n;
    }
  return TRUE;
}

typedef struct
{
  VkBuffer buffer;
  uint64_t offset, size;
} FillJob;

static void
record_fill (VkCommandBuffer cb, gpointer data)
{
  FillJob *job = data;

  vkCmdFillBuffer (cb, job->buffer, job->offset, job->size, 0);
}

gboolean
rg_vk_buffer_fill_zero (RgVkBuffer *buf, GError **error)
{
  FillJob job = { buf->block->buffer, buf->offset, buf->reserved };

  if (!check_range (buf, 0, 0, error))
    return FALSE;
  if (buf->block->mapped)
    {
      memset ((char *) buf->block->mapped + buf->offset, 0, buf->size);
      return TRUE;
    }
  return rg_vk_run_once (buf->ctx, record_fill, &job, error);
}
