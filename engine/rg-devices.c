/* rg-devices.c: regard_list_devices () with a plain Vulkan enumeration.
 *
 * A machine without a Vulkan loader or driver is not an error here: the
 * list is simply empty, and the caller decides what that means. */
#include "regard-engine.h"

#include <string.h>
#include <vulkan/vulkan.h>

void
regard_device_info_free (RegardDeviceInfo *info)
{
  if (!info)
    return;
  g_free (info->name);
  g_free (info->type);
  g_free (info->uuid);
  g_free (info->driver);
  g_free (info);
}

static const char *
type_name (VkPhysicalDeviceType type)
{
  switch (type)
    {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return "discrete";
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return "integrated";
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return "virtual";
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return "cpu";
    case VK_PHYSICAL_DEVICE_TYPE_OTHER:
    case VK_PHYSICAL_DEVICE_TYPE_MAX_ENUM:
    default: return "other";
    }
}

static int
compare_devices (gconstpointer a, gconstpointer b)
{
  const RegardDeviceInfo *x = *(RegardDeviceInfo * const *) a;
  const RegardDeviceInfo *y = *(RegardDeviceInfo * const *) b;
  /* discrete > integrated > virtual > other > cpu, as RegardEngineParams. */
  static const char *order[] = { "discrete", "integrated", "virtual", "other", "cpu" };
  int rx = 0, ry = 0;

  for (guint i = 0; i < G_N_ELEMENTS (order); i++)
    {
      if (g_str_equal (x->type, order[i]))
        rx = (int) i;
      if (g_str_equal (y->type, order[i]))
        ry = (int) i;
    }
  if (rx != ry)
    return rx - ry;
  /* More device memory first within a type. */
  return (x->vram_bytes < y->vram_bytes) - (x->vram_bytes > y->vram_bytes);
}

static RegardDeviceInfo *
describe (VkPhysicalDevice dev, guint32 instance_version)
{
  VkPhysicalDeviceProperties2 props2 = { VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2 };
  VkPhysicalDeviceIDProperties id_props = { VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_ID_PROPERTIES };
  VkPhysicalDeviceDriverProperties driver_props = { VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES };
  VkPhysicalDeviceMemoryProperties mem;
  RegardDeviceInfo *info = g_new0 (RegardDeviceInfo, 1);
  GString *uuid = g_string_new (NULL);
  gboolean have_12 = FALSE;

  vkGetPhysicalDeviceProperties (dev, &props2.properties);
  /* Driver properties are core in 1.2 (device and instance). */
  have_12 = instance_version >= VK_API_VERSION_1_2
            && props2.properties.apiVersion >= VK_API_VERSION_1_2;
  props2.pNext = &id_props;
  if (have_12)
    id_props.pNext = &driver_props;
  if (instance_version >= VK_API_VERSION_1_1)
    vkGetPhysicalDeviceProperties2 (dev, &props2);

  info->name = g_strndup (props2.properties.deviceName, VK_MAX_PHYSICAL_DEVICE_NAME_SIZE);
  info->type = g_strdup (type_name (props2.properties.deviceType));
  info->is_cpu = props2.properties.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU;

  for (guint i = 0; i < VK_UUID_SIZE; i++)
    g_string_append_printf (uuid, "%02x", id_props.deviceUUID[i]);
  info->uuid = g_string_free (uuid, FALSE);

  if (have_12)
    info->driver = g_strdup_printf ("%.*s %.*s",
                                    VK_MAX_DRIVER_NAME_SIZE, driver_props.driverName,
                                    VK_MAX_DRIVER_INFO_SIZE, driver_props.driverInfo);
  else
    info->driver = g_strdup_printf ("driver 0x%08x", props2.properties.driverVersion);
  g_strstrip (info->driver);

  vkGetPhysicalDeviceMemoryProperties (dev, &mem);
  for (guint i = 0; i < mem.memoryHeapCount; i++)
    if (mem.memoryHeaps[i].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT)
      info->vram_bytes += mem.memoryHeaps[i].size;
  return info;
}

GPtrArray *
regard_list_devices (GError **error)
{
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) regard_device_info_free);
  VkApplicationInfo app = { VK_STRUCTURE_TYPE_APPLICATION_INFO };
  VkInstanceCreateInfo ci = { VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO };
  VkInstance instance = VK_NULL_HANDLE;
  guint32 version = VK_API_VERSION_1_0;
  guint32 n = 0;
  VkPhysicalDevice *devs;

  /* vkEnumerateInstanceVersion is 1.1; a 1.0 loader lacks it. */
  {
    PFN_vkEnumerateInstanceVersion enum_version =
      (PFN_vkEnumerateInstanceVersion) vkGetInstanceProcAddr (NULL, "vkEnumerateInstanceVersion");
    if (enum_version == NULL || enum_version (&version) != VK_SUCCESS)
      version = VK_API_VERSION_1_0;
  }

  app.pApplicationName = "regard";
  app.apiVersion = version >= VK_API_VERSION_1_2 ? VK_API_VERSION_1_2 : version;
  ci.pApplicationInfo = &app;
  if (vkCreateInstance (&ci, NULL, &instance) != VK_SUCCESS)
    return list;

  if (vkEnumeratePhysicalDevices (instance, &n, NULL) != VK_SUCCESS || n == 0)
    {
      vkDestroyInstance (instance, NULL);
      return list;
    }
  devs = g_new0 (VkPhysicalDevice, n);
  if (vkEnumeratePhysicalDevices (instance, &n, devs) >= VK_SUCCESS)
    for (guint i = 0; i < n; i++)
      g_ptr_array_add (list, describe (devs[i], app.apiVersion));
  g_free (devs);
  vkDestroyInstance (instance, NULL);

  g_ptr_array_sort (list, compare_devices);
  return list;
}
