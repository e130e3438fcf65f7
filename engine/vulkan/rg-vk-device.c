/* rg-vk-device.c: instance, device enumeration and choice, logical device.
 *
 * Every optional feature is probed and can be turned off from the
 * environment (REGARD_DISABLE_F16, REGARD_DISABLE_INT8,
 * REGARD_DISABLE_MEMORY_BUDGET, REGARD_DISABLE_SUBGROUP,
 * REGARD_DISABLE_TEXEL), so a driver bug in one path can be
 * worked around without a rebuild. */
#include "config.h"

#include "rg-vk-private.h"

#include <string.h>

gboolean
rg_vk_env_flag (const char *name)
{
  const char *v = g_getenv (name);

  return v != NULL && v[0] != '\0' && g_strcmp0 (v, "0") != 0;
}

gboolean
rg_vk_check (RgVkContext *ctx, VkResult r, const char *what, GError **error)
{
  if (r == VK_SUCCESS)
    return TRUE;
  switch (r)
    {
    case VK_ERROR_DEVICE_LOST:
      if (ctx)
        ctx->lost = TRUE;
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_DEVICE_LOST,
                   "%s: the GPU device was lost (driver reset or crash); reload the model", what);
      break;
    case VK_ERROR_OUT_OF_DEVICE_MEMORY:
    case VK_ERROR_OUT_OF_HOST_MEMORY:
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_OUT_OF_MEMORY,
                   "%s: out of %s memory", what,
                   r == VK_ERROR_OUT_OF_DEVICE_MEMORY ? "device" : "host");
      break;
    case VK_TIMEOUT:
      /* A hung submission is a lost device: its buffers may still be in
       * use, so the context is never used again (see `lost`). */
      if (ctx)
        {
          ctx->lost = TRUE;
          ctx->fence_pending = TRUE;
        }
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_DEVICE_LOST,
                   "%s: the GPU did not finish in %.3g s; treating the device as lost: reload the model",
                   what, ctx ? ctx->fence_timeout_ns / 1e9 : 0.0);
      break;
    default:
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_FAILED, "%s failed (VkResult %d)", what, (int) r);
      break;
    }
  return FALSE;
}

static const char *
type_name (VkPhysicalDeviceType t)
{
  switch (t)
    {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return "discrete";
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return "integrated";
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return "virtual";
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return "cpu";
    default: return "other";
    }
}

static int
type_rank (VkPhysicalDeviceType t)
{
  switch (t)
    {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return 4;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return 3;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return 2;
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return 1;
    default: return 0;
    }
}

static gboolean
has_extension (const VkExtensionProperties *exts, uint32_t n, const char *name)
{
  for (uint32_t i = 0; i < n; i++)
    if (strcmp (exts[i].extensionName, name) == 0)
      return TRUE;
  return FALSE;
}

static VkInstance
create_instance (GError **error)
{
  VkApplicationInfo app = {
    .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
    .pApplicationName = "Regard",
    .applicationVersion = VK_MAKE_VERSION (0, 1, 0),
    .pEngineName = "regard-engine",
    .apiVersion = VK_API_VERSION_1_2,
  };
  const char *layers[1];
  uint32_t n_layers = 0;
  VkInstanceCreateInfo ci = {
    .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
    .pApplicationInfo = &app,
  };
  VkInstance instance = VK_NULL_HANDLE;
  VkResult r;

  /* Validation layers in debug builds when they are installed (and on
   * request elsewhere); REGARD_VALIDATION=0 turns them off. */
  gboolean want_validation = REGARD_DEBUG_BUILD ? !g_str_equal (g_getenv ("REGARD_VALIDATION") ?: "1", "0")
                                                : rg_vk_env_flag ("REGARD_VALIDATION");
  if (want_validation)
    {
      uint32_t n = 0;
      g_autofree VkLayerProperties *props = NULL;

      vkEnumerateInstanceLayerProperties (&n, NULL);
      props = g_new0 (VkLayerProperties, MAX (n, 1));
      vkEnumerateInstanceLayerProperties (&n, props);
      for (uint32_t i = 0; i < n; i++)
        if (strcmp (props[i].layerName, "VK_LAYER_KHRONOS_validation") == 0)
          layers[n_layers++] = "VK_LAYER_KHRONOS_validation";
    }
  ci.enabledLayerCount = n_layers;
  ci.ppEnabledLayerNames = layers;

  r = vkCreateInstance (&ci, NULL, &instance);
  if (r != VK_SUCCESS)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_NO_DEVICE,
                   "Vulkan is not available (vkCreateInstance: %d): install a Vulkan driver "
                   "(e.g. mesa-vulkan-drivers)", (int) r);
      return VK_NULL_HANDLE;
    }
  return instance;
}

static void
query_device (VkInstance instance, VkPhysicalDevice pd, guint index, RgVkDeviceInfo *info)
{
  VkPhysicalDeviceVulkan12Properties p12 = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_PROPERTIES };
  VkPhysicalDeviceVulkan11Properties p11 = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_PROPERTIES, .pNext = &p12 };
  VkPhysicalDeviceProperties2 props = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2, .pNext = &p11 };
  VkPhysicalDeviceVulkan12Features f12 = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES };
  VkPhysicalDeviceVulkan11Features f11 = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES, .pNext = &f12 };
  VkPhysicalDeviceFeatures2 feats = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2, .pNext = &f11 };
  VkPhysicalDeviceMemoryBudgetPropertiesEXT budget = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_BUDGET_PROPERTIES_EXT };
  VkPhysicalDeviceMemoryProperties2 mem = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_PROPERTIES_2 };
  VkPhysicalDeviceMaintenance3Properties m3 = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_3_PROPERTIES };
  VkPhysicalDeviceProperties2 props_m3 = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2, .pNext = &m3 };
  uint32_t n_ext = 0;
  g_autofree VkExtensionProperties *exts = NULL;
  const VkPhysicalDeviceLimits *lim;
  gboolean all_device_local_visible = TRUE;
  gboolean any_device_local = FALSE;
  uint32_t nq = 0;
  g_autofree VkQueueFamilyProperties *qf = NULL;

  memset (info, 0, sizeof *info);
  vkEnumerateDeviceExtensionProperties (pd, NULL, &n_ext, NULL);
  exts = g_new0 (VkExtensionProperties, MAX (n_ext, 1));
  vkEnumerateDeviceExtensionProperties (pd, NULL, &n_ext, exts);

  vkGetPhysicalDeviceProperties2 (pd, &props);
  vkGetPhysicalDeviceProperties2 (pd, &props_m3);
  vkGetPhysicalDeviceFeatures2 (pd, &feats);
  lim = &props.properties.limits;

  info->index = index;
  g_strlcpy (info->name, props.properties.deviceName, sizeof info->name);
  info->type = props.properties.deviceType;
  info->type_name = type_name (info->type);
  info->vendor_id = props.properties.vendorID;
  info->device_id = props.properties.deviceID;
  info->api_version = props.properties.apiVersion;
  info->driver_version = props.properties.driverVersion;
  g_strlcpy (info->driver_name, p12.driverName, sizeof info->driver_name);
  g_strlcpy (info->driver_info, p12.driverInfo, sizeof info->driver_info);
  memcpy (info->uuid, p11.deviceUUID, VK_UUID_SIZE);
  for (int i = 0; i < VK_UUID_SIZE; i++)
    g_snprintf (info->uuid_hex + 2 * i, 3, "%02x", info->uuid[i]);

  info->max_storage_buffer_range = lim->maxStorageBufferRange;
  info->max_memory_allocation_size = m3.maxMemoryAllocationSize;
  info->max_buffer_size = m3.maxMemoryAllocationSize; /* maintenance4's maxBufferSize is 1.3-only */
  info->min_storage_buffer_offset_alignment = lim->minStorageBufferOffsetAlignment;
  info->min_texel_buffer_offset_alignment = lim->minTexelBufferOffsetAlignment;
  memcpy (info->max_compute_workgroup_count, lim->maxComputeWorkGroupCount, sizeof info->max_compute_workgroup_count);
  info->max_compute_workgroup_invocations = lim->maxComputeWorkGroupInvocations;
  info->max_compute_shared_memory = lim->maxComputeSharedMemorySize;
  info->max_push_constants_size = lim->maxPushConstantsSize;
  info->max_texel_buffer_elements = lim->maxTexelBufferElements;
  info->timestamp_period_ns = lim->timestampPeriod;

  vkGetPhysicalDeviceQueueFamilyProperties (pd, &nq, NULL);
  qf = g_new0 (VkQueueFamilyProperties, MAX (nq, 1));
  vkGetPhysicalDeviceQueueFamilyProperties (pd, &nq, qf);
  for (uint32_t i = 0; i < nq; i++)
    if ((qf[i].queueFlags & VK_QUEUE_COMPUTE_BIT) && qf[i].timestampValidBits > 0)
      info->timestamps_supported = TRUE;

  info->subgroup_size = p11.subgroupSize;
  info->subgroup_arithmetic = (p11.subgroupSupportedStages & VK_SHADER_STAGE_COMPUTE_BIT) &&
                              (p11.subgroupSupportedOperations & VK_SUBGROUP_FEATURE_ARITHMETIC_BIT) &&
                              p11.subgroupSize >= 1 && p11.subgroupSize <= 64 &&
                              !rg_vk_env_flag ("REGARD_DISABLE_SUBGROUP");
  info->fp16 = f12.shaderFloat16 && !rg_vk_env_flag ("REGARD_DISABLE_F16");
  info->storage_16bit = f11.storageBuffer16BitAccess && !rg_vk_env_flag ("REGARD_DISABLE_F16");
  info->int8 = f12.shaderInt8 && !rg_vk_env_flag ("REGARD_DISABLE_INT8");
  info->storage_8bit = f12.storageBuffer8BitAccess && !rg_vk_env_flag ("REGARD_DISABLE_INT8");
  /* Reported by `regard-cli devices`; no kernel uses them yet. */
  info->integer_dot_product = has_extension (exts, n_ext, "VK_KHR_shader_integer_dot_product");
  info->cooperative_matrix = has_extension (exts, n_ext, "VK_KHR_cooperative_matrix");
  info->has_memory_budget = has_extension (exts, n_ext, VK_EXT_MEMORY_BUDGET_EXTENSION_NAME) &&
                            !rg_vk_env_flag ("REGARD_DISABLE_MEMORY_BUDGET");

  if (info->has_memory_budget)
    mem.pNext = &budget;
  vkGetPhysicalDeviceMemoryProperties2 (pd, &mem);
  for (uint32_t h = 0; h < mem.memoryProperties.memoryHeapCount; h++)
    if (mem.memoryProperties.memoryHeaps[h].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT)
      {
        info->device_local_bytes += mem.memoryProperties.memoryHeaps[h].size;
        info->budget_bytes += info->has_memory_budget ? budget.heapBudget[h]
                                                      : mem.memoryProperties.memoryHeaps[h].size;
      }
  for (uint32_t t = 0; t < mem.memoryProperties.memoryTypeCount; t++)
    {
      VkMemoryPropertyFlags f = mem.memoryProperties.memoryTypes[t].propertyFlags;

      if (f & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT)
        {
          any_device_local = TRUE;
          if (!(f & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT))
            all_device_local_visible = FALSE;
        }
    }
  info->unified_memory = any_device_local && all_device_local_visible;
  (void) instance;
}

GArray *
rg_vk_enumerate_devices (GError **error)
{
  GArray *out = g_array_new (FALSE, TRUE, sizeof (RgVkDeviceInfo));
  g_autoptr(GError) local_error = NULL;
  VkInstance instance = create_instance (&local_error);
  uint32_t n = 0;
  g_autofree VkPhysicalDevice *pds = NULL;

  if (instance == VK_NULL_HANDLE)
    return out; /* no loader or driver: no devices, not an error */
  vkEnumeratePhysicalDevices (instance, &n, NULL);
  pds = g_new0 (VkPhysicalDevice, MAX (n, 1));
  vkEnumeratePhysicalDevices (instance, &n, pds);
  for (uint32_t i = 0; i < n; i++)
    {
      RgVkDeviceInfo info;

      query_device (instance, pds[i], i, &info);
      g_array_append_val (out, info);
    }
  vkDestroyInstance (instance, NULL);
  return out;
}

static gboolean
uuid_matches (const RgVkDeviceInfo *info, const char *selector)
{
  char hex[2 * VK_UUID_SIZE + 1];
  guint n = 0;

  for (const char *p = selector; *p && n < sizeof hex - 1; p++)
    if (g_ascii_isxdigit (*p))
      hex[n++] = g_ascii_tolower (*p);
    else if (*p != '-')
      return FALSE;
  hex[n] = '\0';
  return n == 2 * VK_UUID_SIZE && strcmp (hex, info->uuid_hex) == 0;
}

int
rg_vk_choose_device (GArray *devices, const char *selector, char **reason, GError **error)
{
  int best = -1;

  if (devices->len == 0)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_NO_DEVICE,
                   "No Vulkan device found: install a Vulkan driver for your GPU "
                   "(or mesa-vulkan-drivers to run on the CPU)");
      return -1;
    }
  if (selector == NULL)
    selector = g_getenv ("REGARD_DEVICE");

  if (selector != NULL && selector[0] != '\0')
    {
      char *end = NULL;
      guint64 idx = g_ascii_strtoull (selector, &end, 10);

      if (end != selector && *end == '\0')
        {
          if (idx < devices->len)
            {
              if (reason)
                *reason = g_strdup_printf ("device %u chosen by index (\"%s\")", (guint) idx, selector);
              return (int) idx;
            }
        }
      for (guint i = 0; i < devices->len; i++)
        if (uuid_matches (&g_array_index (devices, RgVkDeviceInfo, i), selector))
          {
            if (reason)
              *reason = g_strdup_printf ("device chosen by UUID %s", selector);
            return (int) i;
          }
      for (guint i = 0; i < devices->len; i++)
        {
          g_autofree char *name = g_ascii_strdown (g_array_index (devices, RgVkDeviceInfo, i).name, -1);
          g_autofree char *sel = g_ascii_strdown (selector, -1);

          if (strstr (name, sel) != NULL)
            {
              if (reason)
                *reason = g_strdup_printf ("device chosen by name (\"%s\")", selector);
              return (int) i;
            }
        }
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_NO_DEVICE,
                   "No Vulkan device matches \"%s\" (give an index, a name or a UUID; "
                   "'regard-cli devices' lists them)", selector);
      return -1;
    }

  for (guint i = 0; i < devices->len; i++)
    {
      const RgVkDeviceInfo *d = &g_array_index (devices, RgVkDeviceInfo, i);
      const RgVkDeviceInfo *b = best >= 0 ? &g_array_index (devices, RgVkDeviceInfo, best) : NULL;

      if (b == NULL || type_rank (d->type) > type_rank (b->type) ||
          (type_rank (d->type) == type_rank (b->type) && d->device_local_bytes > b->device_local_bytes))
        best = (int) i;
    }
  if (reason)
    {
      const RgVkDeviceInfo *b = &g_array_index (devices, RgVkDeviceInfo, best);

      if (b->type == VK_PHYSICAL_DEVICE_TYPE_CPU)
        *reason = g_strdup_printf ("%s is a CPU implementation of Vulkan, chosen because no GPU "
                                   "with a Vulkan driver was found", b->name);
      else
        *reason = g_strdup_printf ("%s chosen as the best %s GPU of %u device(s)",
                                   b->name, b->type_name, devices->len);
    }
  return best;
}

static gboolean
create_device (RgVkContext *ctx, GError **error)
{
  uint32_t nq = 0;
  g_autofree VkQueueFamilyProperties *qf = NULL;
  float priority = 1.0f;
  VkDeviceQueueCreateInfo qci = { .sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO };
  VkPhysicalDeviceVulkan12Features f12 = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES };
  VkPhysicalDeviceVulkan11Features f11 = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES, .pNext = &f12 };
  VkPhysicalDeviceFeatures2 feats = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2, .pNext = &f11 };
  const char *exts[4];
  uint32_t n_exts = 0;
  VkDeviceCreateInfo dci = { .sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO };
  int family = -1;

  vkGetPhysicalDeviceQueueFamilyProperties (ctx->physical, &nq, NULL);
  qf = g_new0 (VkQueueFamilyProperties, MAX (nq, 1));
  vkGetPhysicalDeviceQueueFamilyProperties (ctx->physical, &nq, qf);
  /* Prefer a compute queue without graphics (async compute), else any. */
  for (uint32_t i = 0; i < nq && family < 0; i++)
    if ((qf[i].queueFlags & VK_QUEUE_COMPUTE_BIT) && !(qf[i].queueFlags & VK_QUEUE_GRAPHICS_BIT))
      family = (int) i;
  for (uint32_t i = 0; i < nq && family < 0; i++)
    if (qf[i].queueFlags & VK_QUEUE_COMPUTE_BIT)
      family = (int) i;
  if (family < 0)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_NO_DEVICE,
                   "%s has no compute queue", ctx->info.name);
      return FALSE;
    }
  ctx->queue_family = (uint32_t) family;
  if (qf[family].timestampValidBits == 0)
    ctx->info.timestamps_supported = FALSE;

  qci.queueFamilyIndex = ctx->queue_family;
  qci.queueCount = 1;
  qci.pQueuePriorities = &priority;

  f11.storageBuffer16BitAccess = ctx->info.storage_16bit;
  f12.shaderFloat16 = ctx->info.fp16;
  f12.shaderInt8 = ctx->info.int8;
  f12.storageBuffer8BitAccess = ctx->info.storage_8bit;
  if (ctx->info.has_memory_budget)
    exts[n_exts++] = VK_EXT_MEMORY_BUDGET_EXTENSION_NAME;

  dci.pNext = &feats;
  dci.queueCreateInfoCount = 1;
  dci.pQueueCreateInfos = &qci;
  dci.enabledExtensionCount = n_exts;
  dci.ppEnabledExtensionNames = exts;
  if (!rg_vk_check (ctx, vkCreateDevice (ctx->physical, &dci, NULL, &ctx->device), "vkCreateDevice", error))
    return FALSE;
  vkGetDeviceQueue (ctx->device, ctx->queue_family, 0, &ctx->queue);
  return TRUE;
}

RgVkContext *
rg_vk_context_new (const char *device_selector, GError **error)
{
  g_autoptr(GArray) devices = NULL;
  RgVkContext *ctx;
  uint32_t n = 0;
  g_autofree VkPhysicalDevice *pds = NULL;
  int chosen;
  VkCommandPoolCreateInfo pci = { .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO };
  VkFenceCreateInfo fci = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };

  devices = rg_vk_enumerate_devices (error);
  if (devices == NULL)
    return NULL;

  ctx = g_new0 (RgVkContext, 1);
  chosen = rg_vk_choose_device (devices, device_selector, &ctx->choice_reason, error);
  if (chosen < 0)
    {
      rg_vk_context_free (ctx);
      return NULL;
    }
  ctx->info = g_array_index (devices, RgVkDeviceInfo, chosen);
  g_debug ("Vulkan device: %s (%s); %s", ctx->info.name, ctx->info.driver_info, ctx->choice_reason);

  ctx->instance = create_instance (error);
  if (ctx->instance == VK_NULL_HANDLE)
    {
      rg_vk_context_free (ctx);
      return NULL;
    }
  vkEnumeratePhysicalDevices (ctx->instance, &n, NULL);
  pds = g_new0 (VkPhysicalDevice, MAX (n, 1));
  vkEnumeratePhysicalDevices (ctx->instance, &n, pds);
  if ((uint32_t) chosen >= n)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_NO_DEVICE, "the Vulkan device list changed");
      rg_vk_context_free (ctx);
      return NULL;
    }
  ctx->physical = pds[chosen];

  if (!create_device (ctx, error))
    {
      rg_vk_context_free (ctx);
      return NULL;
    }

  pci.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
  pci.queueFamilyIndex = ctx->queue_family;
  if (!rg_vk_check (ctx, vkCreateCommandPool (ctx->device, &pci, NULL, &ctx->command_pool), "vkCreateCommandPool", error) ||
      !rg_vk_check (ctx, vkCreateFence (ctx->device, &fci, NULL, &ctx->fence), "vkCreateFence", error) ||
      !rg_vk_memory_init (ctx, error) ||
      !rg_vk_pipelines_init (ctx, error))
    {
      rg_vk_context_free (ctx);
      return NULL;
    }

  /* $REGARD_TEXEL_WEIGHTS=0/1 forces either path (the tests run both) */
  ctx->texel_weights = ctx->info.type == VK_PHYSICAL_DEVICE_TYPE_CPU && !rg_vk_env_flag ("REGARD_DISABLE_TEXEL");
  if (g_getenv ("REGARD_TEXEL_WEIGHTS") != NULL)
    ctx->texel_weights = rg_vk_env_flag ("REGARD_TEXEL_WEIGHTS");
  ctx->profiling = rg_vk_env_flag ("REGARD_PROFILE") && ctx->info.timestamps_supported;
  /* Generous: a long prefill on a CPU device takes minutes. A hung GPU is
   * reported instead of freezing the engine thread forever. */
  ctx->fence_timeout_ns = 600ull * 1000 * 1000 * 1000;
  if (g_getenv ("REGARD_GPU_TIMEOUT_MS") != NULL)
    ctx->fence_timeout_ns = g_ascii_strtoull (g_getenv ("REGARD_GPU_TIMEOUT_MS"), NULL, 10) * 1000000ull;
  ctx->profile = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  return ctx;
}

void
rg_vk_context_free (RgVkContext *ctx)
{
  if (ctx == NULL)
    return;
  if (ctx->device != VK_NULL_HANDLE && ctx->fence_pending)
    {
      /* A submission timed out: wait for it once more (at least 10 s) before
       * anything it uses is destroyed. A device that stays hung is left
       * alone (leaked) rather than freed under the GPU's feet. */
      VkResult r = vkWaitForFences (ctx->device, 1, &ctx->fence, VK_TRUE,
                                    MAX (ctx->fence_timeout_ns, 10ull * 1000 * 1000 * 1000));
      if (r == VK_TIMEOUT)
        {
          g_warning ("The GPU is still busy with a submission that timed out; leaking its device");
          g_free (ctx->choice_reason);
          g_free (ctx);
          return;
        }
    }
  if (ctx->device != VK_NULL_HANDLE)
    {
      vkDeviceWaitIdle (ctx->device);
      rg_vk_destroy_orphans (ctx);
      if (ctx->profiling && g_hash_table_size (ctx->profile) > 0)
        rg_vk_context_print_profile (ctx, stderr);
      rg_vk_pipelines_fini (ctx);
      rg_vk_memory_fini (ctx);
      if (ctx->fence)
        vkDestroyFence (ctx->device, ctx->fence, NULL);
      if (ctx->command_pool)
        vkDestroyCommandPool (ctx->device, ctx->command_pool, NULL);
      vkDestroyDevice (ctx->device, NULL);
    }
  if (ctx->instance != VK_NULL_HANDLE)
    vkDestroyInstance (ctx->instance, NULL);
  if (ctx->profile)
    {
      GHashTableIter it;
      gpointer v;

      g_hash_table_iter_init (&it, ctx->profile);
      while (g_hash_table_iter_next (&it, NULL, &v))
        g_free (((RgVkProfileEntry *) v)->op);
      g_hash_table_destroy (ctx->profile);
    }
  g_free (ctx->choice_reason);
  g_free (ctx);
}

const RgVkDeviceInfo *
rg_vk_context_get_info (RgVkContext *ctx)
{
  return &ctx->info;
}

const char *
rg_vk_context_get_choice_reason (RgVkContext *ctx)
{
  return ctx->choice_reason;
}

void
rg_vk_context_set_fence_timeout (RgVkContext *ctx, uint64_t timeout_ns)
{
  ctx->fence_timeout_ns = timeout_ns;
}

gboolean
rg_vk_context_is_lost (RgVkContext *ctx)
{
  return ctx->lost;
}

uint64_t
rg_vk_context_get_allocated_bytes (RgVkContext *ctx)
{
  return ctx->allocated;
}

gboolean
rg_vk_context_get_texel_weights (RgVkContext *ctx)
{
  return ctx->texel_weights;
}

void
rg_vk_context_set_texel_weights (RgVkContext *ctx, gboolean enabled)
{
  ctx->texel_weights = enabled;
}

uint64_t
rg_vk_context_get_max_texel_bytes (RgVkContext *ctx)
{
  return (uint64_t) ctx->info.max_texel_buffer_elements * 16;
}
