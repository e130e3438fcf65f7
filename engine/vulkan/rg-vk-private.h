/* rg-vk-private.h: the runtime's structs, shared by its own files only. */
#pragma once

#include "rg-vk.h"
#include "regard-error.h"

typedef struct
{
  VkDeviceMemory memory;
  VkBuffer buffer;          /* covers the whole block */
  uint64_t size;
  void *mapped;             /* non-NULL when host-visible */
  GList *free_ranges;       /* RgVkRange*, sorted by offset */
  guint n_live;             /* allocations inside */
} RgVkBlock;

typedef struct
{
  uint64_t offset;
  uint64_t size;
} RgVkRange;

struct _RgVkBuffer
{
  RgVkContext *ctx;         /* borrowed */
  char *name;
  RgVkBlock *block;         /* borrowed from ctx->blocks */
  uint64_t offset;          /* in the block */
  uint64_t size;            /* requested bytes */
  uint64_t reserved;        /* bytes taken from the block (aligned) */
  VkBufferView texel_view;  /* R32_UINT view of the whole buffer, made on first use */
};

typedef struct
{
  char *key;                /* shader name + spec constants */
  VkPipeline pipeline;
} RgVkPipeline;

typedef struct
{
  char *op;
  guint64 count;
  double total_ns;
  double flops;
  double bytes;
} RgVkProfileEntry;

struct _RgVkContext
{
  VkInstance instance;
  VkPhysicalDevice physical;
  VkDevice device;
  VkQueue queue;
  uint32_t queue_family;
  RgVkDeviceInfo info;
  char *choice_reason;
  /* Set on VK_ERROR_DEVICE_LOST and on a fence wait that timed out. From
   * then on nothing is submitted, and nothing the GPU may still use (command
   * buffers, descriptor pools, buffer views, memory blocks) is destroyed
   * before rg_vk_context_free () has seen the fence signal. */
  gboolean lost;
  gboolean fence_pending;          /* a submission never seen to finish */
  uint64_t fence_timeout_ns;
  GArray *orphan_pools;            /* VkDescriptorPool of abandoned recordings */
  GArray *orphan_views;            /* VkBufferView of buffers freed while lost */

  /* memory */
  uint32_t device_type_index;      /* memory type for blocks */
  uint32_t host_type_index;        /* host-visible type for staging */
  gboolean blocks_host_visible;
  GPtrArray *blocks;               /* RgVkBlock* (owned) */
  uint64_t block_size;             /* default block size */
  uint64_t alignment;
  uint64_t allocated;

  /* staging for non-host-visible memory */
  VkBuffer staging;
  VkDeviceMemory staging_memory;
  void *staging_mapped;
  uint64_t staging_size;

  /* transfers and submissions */
  VkCommandPool command_pool;
  VkFence fence;

  /* pipelines */
  VkDescriptorSetLayout set_layout;
  VkPipelineLayout pipeline_layout;
  VkPipelineCache pipeline_cache;
  char *pipeline_cache_path;
  GHashTable *pipelines;           /* key -> RgVkPipeline* */
  GHashTable *modules;             /* shader name -> VkShaderModule */

  gboolean texel_weights;

  /* profiling */
  gboolean profiling;
  GHashTable *profile;             /* op -> RgVkProfileEntry* */

  PFN_vkGetPhysicalDeviceMemoryProperties2 get_memory_properties2;
};

/* rg-vk-device.c */
gboolean rg_vk_check (RgVkContext *ctx, VkResult r, const char *what, GError **error);

/* rg-vk-pipeline.c */
gboolean rg_vk_pipelines_init (RgVkContext *ctx, GError **error);
void rg_vk_pipelines_fini (RgVkContext *ctx);
VkPipeline rg_vk_pipeline_get (RgVkContext *ctx, const char *shader,
                               const uint32_t *spec, guint n_spec, GError **error);

/* rg-vk-memory.c */
gboolean rg_vk_memory_init (RgVkContext *ctx, GError **error);
void rg_vk_memory_fini (RgVkContext *ctx);
/* One-shot command buffer for transfers. */
gboolean rg_vk_run_once (RgVkContext *ctx, void (*record) (VkCommandBuffer cb, gpointer data),
                         gpointer data, GError **error);
gboolean rg_vk_wait_fence (RgVkContext *ctx, GError **error);
/* Destroys what was abandoned while the device was lost (the GPU is done
 * with it: the fence signalled or the device is really lost). */
void rg_vk_destroy_orphans (RgVkContext *ctx);

/* rg-vk-recorder.c */
void rg_vk_profile_add (RgVkContext *ctx, const char *op, double ns, double flops, double bytes);
