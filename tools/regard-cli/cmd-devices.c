/* cmd-devices.c: regard-cli devices, the Vulkan devices and what Regard
 * would use them for: features the shaders care about, limits that split
 * weights (binding range), memory and which device is the default (and
 * why). --json prints {"devices": [...]}. */
#include "config.h"

#include <stdio.h>

#include "cli.h"
#include "rg-vk.h"

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
print_version (uint32_t v)
{
  printf ("%u.%u.%u", VK_API_VERSION_MAJOR (v), VK_API_VERSION_MINOR (v), VK_API_VERSION_PATCH (v));
}

static void
print_text (const RgVkDeviceInfo *d, gboolean is_default, const char *reason)
{
  printf ("%u: %s%s\n", d->index, d->name, is_default ? "  [default]" : "");
  printf ("    type: %s, vendor 0x%04x, device 0x%04x, Vulkan ", d->type_name, d->vendor_id, d->device_id);
  print_version (d->api_version);
  printf ("\n    driver: %s (%s), version 0x%08x\n", d->driver_name, d->driver_info, d->driver_version);
  printf ("    uuid: %s\n", d->uuid_hex);
  printf ("    memory: %.2f GiB device-local, budget %.2f GiB%s%s\n", d->device_local_bytes / 1073741824.0,
          d->budget_bytes / 1073741824.0, d->has_memory_budget ? " (VK_EXT_memory_budget)" : " (no budget extension)",
          d->unified_memory ? ", unified with the host" : "");
  printf ("    subgroup: %u lanes, arithmetic %s\n", d->subgroup_size, yes_no (d->subgroup_arithmetic));
  printf ("    features: fp16 %s, int8 %s, 16-bit storage %s, 8-bit storage %s, integer dot product %s, "
          "cooperative matrix %s\n", yes_no (d->fp16), yes_no (d->int8), yes_no (d->storage_16bit),
          yes_no (d->storage_8bit), yes_no (d->integer_dot_product), yes_no (d->cooperative_matrix));
  printf ("    limits: storage binding %.0f MiB, allocation %.0f MiB, buffer %.0f MiB, texel buffer %u elements, "
          "workgroup %u invocations, shared memory %u KiB, push constants %u bytes, workgroup count %u x %u x %u, "
          "timestamps %s\n",
          d->max_storage_buffer_range / 1048576.0, d->max_memory_allocation_size / 1048576.0,
          d->max_buffer_size / 1048576.0, d->max_texel_buffer_elements, d->max_compute_workgroup_invocations,
          d->max_compute_shared_memory / 1024, d->max_push_constants_size, d->max_compute_workgroup_count[0],
          d->max_compute_workgroup_count[1], d->max_compute_workgroup_count[2], yes_no (d->timestamps_supported));
  if (is_default && reason)
    printf ("    default because: %s\n", reason);
}

static void
print_json (const RgVkDeviceInfo *d, gboolean is_default, const char *reason)
{
  printf ("    {\"index\": %u, \"name\": ", d->index);
  cli_print_json_string (d->name);
  printf (", \"type\": ");
  cli_print_json_string (d->type_name);
  printf (", \"vendor_id\": %u, \"device_id\": %u, \"api_version\": \"%u.%u.%u\", \"driver_name\": ", d->vendor_id,
          d->device_id, VK_API_VERSION_MAJOR (d->api_version), VK_API_VERSION_MINOR (d->api_version),
          VK_API_VERSION_PATCH (d->api_version));
  cli_print_json_string (d->driver_name);
  printf (", \"driver_info\": ");
  cli_print_json_string (d->driver_info);
  printf (", \"driver_version\": %u, \"uuid\": \"%s\",\n", d->driver_version, d->uuid_hex);
  printf ("     \"device_local_bytes\": %" G_GUINT64_FORMAT ", \"budget_bytes\": %" G_GUINT64_FORMAT
          ", \"has_memory_budget\": %s, \"unified_memory\": %s,\n", d->device_local_bytes, d->budget_bytes,
          json_bool (d->has_memory_budget), json_bool (d->unified_memory));
  printf ("     \"subgroup_size\": %u, \"subgroup_arithmetic\": %s, \"fp16\": %s, \"int8\": %s, \"storage_16bit\": %s, "
          "\"storage_8bit\": %s, \"integer_dot_product\": %s, \"cooperative_matrix\": %s,\n", d->subgroup_size,
          json_bool (d->subgroup_arithmetic), json_bool (d->fp16), json_bool (d->int8), json_bool (d->storage_16bit),
          json_bool (d->storage_8bit), json_bool (d->integer_dot_product), json_bool (d->cooperative_matrix));
  printf ("     \"limits\": {\"max_storage_buffer_range\": %" G_GUINT64_FORMAT ", \"max_memory_allocation_size\": %"
          G_GUINT64_FORMAT ", \"max_buffer_size\": %" G_GUINT64_FORMAT ", \"min_storage_buffer_offset_alignment\": %"
          G_GUINT64_FORMAT ", \"max_texel_buffer_elements\": %u, \"max_compute_workgroup_invocations\": %u, "
          "\"max_compute_shared_memory\": %u, \"max_push_constants_size\": %u, \"max_compute_workgroup_count\": "
          "[%u, %u, %u], \"timestamps_supported\": %s, \"timestamp_period_ns\": %g},\n",
          d->max_storage_buffer_range, d->max_memory_allocation_size, d->max_buffer_size,
          d->min_storage_buffer_offset_alignment, d->max_texel_buffer_elements, d->max_compute_workgroup_invocations,
          d->max_compute_shared_memory, d->max_push_constants_size, d->max_compute_workgroup_count[0],
          d->max_compute_workgroup_count[1], d->max_compute_workgroup_count[2], json_bool (d->timestamps_supported),
          (double) d->timestamp_period_ns);
  printf ("     \"default\": %s", json_bool (is_default));
  if (is_default && reason)
    {
      printf (", \"default_reason\": ");
      cli_print_json_string (reason);
    }
  printf ("}");
}

int
cmd_devices (int argc, char **argv)
{
  gboolean json = FALSE;
  const GOptionEntry options[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON: {\"devices\": [...]}", NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) devices = NULL;
  g_autofree char *reason = NULL;
  int chosen = -1;

  if (!cli_parse ("devices", NULL, options, &argc, &argv))
    return 2;
  if (argc > 1)
    {
      g_printerr ("Usage: regard-cli devices [--json]\n");
      return 2;
    }
  devices = rg_vk_enumerate_devices (&error);
  if (devices == NULL)
    return cli_fail (error);
  if (devices->len > 0)
    {
      /* $REGARD_DEVICE is honoured, as by the engine; a bad selector is
       * reported but the list is still printed */
      chosen = rg_vk_choose_device (devices, NULL, &reason, &error);
      if (chosen < 0)
        g_printerr ("regard-cli: %s\n", error->message);
    }

  if (json)
    {
      printf ("{\"devices\": [");
      for (guint i = 0; i < devices->len; i++)
        {
          printf ("%s\n", i ? "," : "");
          print_json (&g_array_index (devices, RgVkDeviceInfo, i), (int) i == chosen, reason);
        }
      printf ("%s]}\n", devices->len ? "\n" : "");
      return 0;
    }
  if (devices->len == 0)
    {
      printf ("No Vulkan device found (is a Vulkan driver installed?).\n");
      return 0;
    }
  for (guint i = 0; i < devices->len; i++)
    print_text (&g_array_index (devices, RgVkDeviceInfo, i), (int) i == chosen, reason);
  return 0;
}
