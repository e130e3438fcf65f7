/* rg-devices.c: regard_list_devices () over the runtime's enumeration
 * (rg_vk_enumerate_devices), best device first in the runtime's own order
 * (rg_vk_choose_device), so the list and the engine's choice agree.
 *
 * A machine without a Vulkan loader or driver is not an error here: the
 * list is simply empty, and the caller decides what that means. */
#include "regard-engine.h"

#include "rg-vk.h"

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

static RegardDeviceInfo *
describe (const RgVkDeviceInfo *d)
{
  RegardDeviceInfo *info = g_new0 (RegardDeviceInfo, 1);

  info->name = g_strdup (d->name);
  info->type = g_strdup (d->type_name);
  info->uuid = g_strdup (d->uuid_hex);
  info->driver = g_strstrip (g_strdup_printf ("%s %s", d->driver_name, d->driver_info));
  info->vram_bytes = d->device_local_bytes;
  info->is_cpu = d->type == VK_PHYSICAL_DEVICE_TYPE_CPU;
  return info;
}

GPtrArray *
regard_list_devices (GError **error)
{
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) regard_device_info_free);
  g_autoptr(GArray) devices = rg_vk_enumerate_devices (NULL);
  g_autoptr(GArray) left = NULL;

  if (devices == NULL)
    return list;
  /* Repeatedly take the device the engine would choose among those left. */
  left = g_array_copy (devices);
  while (left->len > 0)
    {
      int best = rg_vk_choose_device (left, "", NULL, NULL);

      if (best < 0)
        break;
      g_ptr_array_add (list, describe (&g_array_index (left, RgVkDeviceInfo, best)));
      g_array_remove_index (left, (guint) best);
    }
  return list;
}
