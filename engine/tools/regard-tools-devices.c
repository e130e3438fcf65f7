/* regard-tools-devices.c: regard_devices_report, the Vulkan devices and
 * what Regard would use them for: features the shaders care about, limits
 * that split weights (binding range), memory and which device is the
 * default (and why). */
#include "config.h"

#include "regard-tools.h"
#include "rg-vk.h"

static void
json_string (GString *s, const char *str)
{
  g_string_append_c (s, '"');
  for (const char *p = str ? str : ""; *p; p++)
    {
      unsigned char c = (unsigned char) *p;

      if (c == '"' || c == '\\')
        g_string_append_printf (s, "\\%c", c);
      else if (c < 0x20)
        g_string_append_printf (s, "\\u%04x", c);
      else
        g_string_append_c (s, (char) c);
    }
  g_string_append_c (s, '"');
}

static const char *
yes_no (gboolean b)
{
  return b ? "yes" : "no";
}

static const char *
json_bool (gboolean b)
{
  return b ? "true" : "false";
}

static void
print_version (GString *s, uint32_t v)
{
  g_string_append_printf (s, "%u.%u.%u", VK_API_VERSION_MAJOR (v), VK_API_VERSION_MINOR (v), VK_API_VERSION_PATCH (v));
}

static void
print_text (GString *s, const RgVkDeviceInfo *d, gboolean is_default, const char *reason)
{
  g_string_append_printf (s, "%u: %s%s\n", d->index, d->name, is_default ? "  [default]" : "");
  g_string_append_printf (s, "    type: %s, vendor 0x%04x, device 0x%04x, Vulkan ", d->type_name, d->vendor_id, d->device_id);
  print_version (s, d->api_version);
  g_string_append_printf (s, "\n    driver: %s (%s), version 0x%08x\n", d->driver_name, d->driver_info, d->driver_version);
  g_string_append_printf (s, "    uuid: %s\n", d->uuid_hex);
  g_string_append_printf (s, "    memory: %.2f GiB device-local, budget %.2f GiB%s%s\n", d->device_local_bytes / 1073741824.0,
          d->budget_bytes / 1073741824.0, d->has_memory_budget ? " (VK_EXT_memory_budget)" : " (no budget extension)",
          d->unified_memory ? ", unified with the host" : "");
  g_string_append_printf (s, "    subgroup: %u lanes, arithmetic %s\n", d->subgroup_size, yes_no (d->subgroup_arithmetic));
  g_string_append_printf (s, "    features: fp16 %s, int8 %s, 16-bit storage %s, 8-bit storage %s, integer dot product %s, "
          "cooperative matrix %s\n", yes_no (d->fp16), yes_no (d->int8), yes_no (d->storage_16bit),
          yes_no (d->storage_8bit), yes_no (d->integer_dot_product), yes_no (d->cooperative_matrix));
  g_string_append_printf (s, "    limits: storage binding %.0f MiB, allocation %.0f MiB, buffer %.0f MiB, texel buffer %u elements, "
          "workgroup %u invocations, shared memory %u KiB, push constants %u bytes, workgroup count %u x %u x %u, "
          "timestamps %s\n",
          d->max_storage_buffer_range / 1048576.0, d->max_memory_allocation_size / 1048576.0,
          d->max_buffer_size / 1048576.0, d->max_texel_buffer_elements, d->max_compute_workgroup_invocations,
          d->max_compute_shared_memory / 1024, d->max_push_constants_size, d->max_compute_workgroup_count[0],
          d->max_compute_workgroup_count[1], d->max_compute_workgroup_count[2], yes_no (d->timestamps_supported));
  if (is_default && reason)
    g_string_append_printf (s, "    default because: %s\n", reason);
}

static void
print_json (GString *s, const RgVkDeviceInfo *d, gboolean is_default, const char *reason)
{
  g_string_append_printf (s, "    {\"index\": %u, \"name\": ", d->index);
  json_string (s, d->name);
  g_string_append_printf (s, ", \"type\": ");
  json_string (s, d->type_name);
  g_string_append_printf (s, ", \"vendor_id\": %u, \"device_id\": %u, \"api_version\": \"%u.%u.%u\", \"driver_name\": ", d->vendor_id,
          d->device_id, VK_API_VERSION_MAJOR (d->api_version), VK_API_VERSION_MINOR (d->api_version),
          VK_API_VERSION_PATCH (d->api_version));
  json_string (s, d->driver_name);
  g_string_append_printf (s, ", \"driver_info\": ");
  json_string (s, d->driver_info);
  g_string_append_printf (s, ", \"driver_version\": %u, \"uuid\": \"%s\",\n", d->driver_version, d->uuid_hex);
  g_string_append_printf (s, "     \"device_local_bytes\": %" G_GUINT64_FORMAT ", \"budget_bytes\": %" G_GUINT64_FORMAT
          ", \"has_memory_budget\": %s, \"unified_memory\": %s,\n", d->device_local_bytes, d->budget_bytes,
          json_bool (d->has_memory_budget), json_bool (d->unified_memory));
  g_string_append_printf (s, "     \"subgroup_size\": %u, \"subgroup_arithmetic\": %s, \"fp16\": %s, \"int8\": %s, \"storage_16bit\": %s, "
          "\"storage_8bit\": %s, \"integer_dot_product\": %s, \"cooperative_matrix\": %s,\n", d->subgroup_size,
          json_bool (d->subgroup_arithmetic), json_bool (d->fp16), json_bool (d->int8), json_bool (d->storage_16bit),
          json_bool (d->storage_8bit), json_bool (d->integer_dot_product), json_bool (d->cooperative_matrix));
  g_string_append_printf (s, "     \"limits\": {\"max_storage_buffer_range\": %" G_GUINT64_FORMAT ", \"max_memory_allocation_size\": %"
          G_GUINT64_FORMAT ", \"max_buffer_size\": %" G_GUINT64_FORMAT ", \"min_storage_buffer_offset_alignment\": %"
          G_GUINT64_FORMAT ", \"max_texel_buffer_elements\": %u, \"max_compute_workgroup_invocations\": %u, "
          "\"max_compute_shared_memory\": %u, \"max_push_constants_size\": %u, \"max_compute_workgroup_count\": "
          "[%u, %u, %u], \"timestamps_supported\": %s, \"timestamp_period_ns\": %g},\n",
          d->max_storage_buffer_range, d->max_memory_allocation_size, d->max_buffer_size,
          d->min_storage_buffer_offset_alignment, d->max_texel_buffer_elements, d->max_compute_workgroup_invocations,
          d->max_compute_shared_memory, d->max_push_constants_size, d->max_compute_workgroup_count[0],
          d->max_compute_workgroup_count[1], d->max_compute_workgroup_count[2], json_bool (d->timestamps_supported),
          (double) d->timestamp_period_ns);
  g_string_append_printf (s, "     \"default\": %s", json_bool (is_default));
  if (is_default && reason)
    {
      g_string_append_printf (s, ", \"default_reason\": ");
      json_string (s, reason);
    }
  g_string_append_printf (s, "}");
}

char *
regard_devices_report (gboolean json, char **warning, GError **error)
{
  g_autoptr(GArray) devices = rg_vk_enumerate_devices (error);
  g_autoptr(GError) choose_error = NULL;
  g_autofree char *reason = NULL;
  GString *s;
  int chosen = -1;

  if (devices == NULL)
    return NULL;
  if (devices->len > 0)
    {
      /* $REGARD_DEVICE is honoured, as by the engine; a bad selector is
       * reported but the list is still printed */
      chosen = rg_vk_choose_device (devices, NULL, &reason, &choose_error);
      if (chosen < 0 && warning)
        *warning = g_strdup (choose_error->message);
    }
  s = g_string_new (NULL);
  if (json)
    {
      g_string_append (s, "{\"devices\": [");
      for (guint i = 0; i < devices->len; i++)
        {
          g_string_append (s, i ? ",\n" : "\n");
          print_json (s, &g_array_index (devices, RgVkDeviceInfo, i), (int) i == chosen, reason);
        }
      g_string_append (s, devices->len ? "\n]}\n" : "]}\n");
      return g_string_free (s, FALSE);
    }
  if (devices->len == 0)
    g_string_append (s, "No Vulkan device found (is a Vulkan driver installed?).\n");
  for (guint i = 0; i < devices->len; i++)
    print_text (s, &g_array_index (devices, RgVkDeviceInfo, i), (int) i == chosen, reason);
  return g_string_free (s, FALSE);
}
