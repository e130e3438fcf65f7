/* rg-vk.h: the Vulkan compute runtime.
 *
 *   RgVkContext   instance, the chosen physical device, one compute queue,
 *                 the memory blocks, pipelines and the pipeline cache.
 *   RgVkBuffer    a suballocated range of device memory (a tensor's storage).
 *   RgVkRecorder  one command buffer being recorded: a sequence of dispatches
 *                 (with barriers between them) submitted once and waited for.
 *
 * Usage:
 *
 *   RgVkContext *ctx = rg_vk_context_new (NULL, &error);
 *   RgVkBuffer *a = rg_vk_buffer_new (ctx, "a", n * 4, &error);
 *   rg_vk_buffer_upload (a, 0, host, n * 4, &error);
 *   RgVkRecorder *rec = rg_vk_recorder_new (ctx);
 *   rg_vk_dispatch (rec, "add_f32", ...);       // see rg-ops.h for typed ops
 *   rg_vk_recorder_submit (rec, &error);        // one submit, fence wait
 *   rg_vk_recorder_free (rec);
 *
 * Recording never fails loudly: the first error (pipeline creation, a
 * binding beyond maxStorageBufferRange, ...) is kept by the recorder and
 * returned by rg_vk_recorder_submit (), which then submits nothing.
 *
 * Threads: a context and everything made from it belong to one thread at a
 * time (the engine thread). */
#pragma once

#include <gio/gio.h>
#include <stdint.h>
#include <stdio.h>
#include <vulkan/vulkan.h>

G_BEGIN_DECLS

/* Descriptor bindings every pipeline shares (one set layout): storage
 * buffers at 0..7, uniform texel buffers (RGBA32UI: four words a fetch) at 8..11. */
#define RG_VK_MAX_BINDINGS 8
#define RG_VK_TEXEL_BINDING0 8
#define RG_VK_MAX_TEXELS 4
/* Push constants every op may use; each op's struct asserts its size. */
#define RG_VK_MAX_PUSH_BYTES 128
/* Specialization constants (ids 0..3): id 0 is the workgroup size. */
#define RG_VK_MAX_SPEC 4

typedef struct
{
  guint index;                 /* in vkEnumeratePhysicalDevices order */
  char name[VK_MAX_PHYSICAL_DEVICE_NAME_SIZE];
  VkPhysicalDeviceType type;
  const char *type_name;       /* "discrete", "integrated", "virtual", "cpu", "other" */
  uint32_t vendor_id;
  uint32_t device_id;
  uint32_t api_version;
  uint32_t driver_version;
  char driver_name[VK_MAX_DRIVER_NAME_SIZE];
  char driver_info[VK_MAX_DRIVER_INFO_SIZE];
  uint8_t uuid[VK_UUID_SIZE];
  char uuid_hex[2 * VK_UUID_SIZE + 1];

  /* memory */
  uint64_t device_local_bytes; /* sum of device-local heaps */
  uint64_t budget_bytes;       /* VK_EXT_memory_budget, else device_local_bytes */
  gboolean has_memory_budget;
  gboolean unified_memory;     /* every device-local type is also host-visible */

  /* limits */
  uint64_t max_storage_buffer_range;
  uint64_t max_memory_allocation_size;
  uint64_t max_buffer_size;
  uint64_t min_storage_buffer_offset_alignment;
  uint64_t min_texel_buffer_offset_alignment;
  uint32_t max_compute_workgroup_count[3];
  uint32_t max_compute_workgroup_invocations;
  uint32_t max_compute_shared_memory;
  uint32_t max_push_constants_size;
  uint32_t max_texel_buffer_elements;
  float timestamp_period_ns;
  gboolean timestamps_supported;

  /* features (after the REGARD_DISABLE_* switches) */
  uint32_t subgroup_size;
  gboolean subgroup_arithmetic;
  gboolean fp16;               /* shaderFloat16 */
  gboolean storage_16bit;      /* storageBuffer16BitAccess */
  gboolean int8;               /* shaderInt8 */
  gboolean storage_8bit;       /* storageBuffer8BitAccess */
  gboolean integer_dot_product;
  gboolean cooperative_matrix;
} RgVkDeviceInfo;

/* All physical devices, best first is NOT implied: index order. Features
 * honour the REGARD_DISABLE_* switches. Returns an empty array when there
 * is no Vulkan loader or device. */
GArray *rg_vk_enumerate_devices (GError **error); /* of RgVkDeviceInfo */

/* Picks a device: SELECTOR (index, name substring or UUID; NULL falls back
 * to $REGARD_DEVICE, "" means no preference) or the best type (discrete > integrated > virtual >
 * cpu, then the largest device-local memory). REASON (may be NULL) gets a
 * sentence saying why. Returns the position in DEVICES or -1 with ERROR. */
int rg_vk_choose_device (GArray *devices, const char *selector, char **reason, GError **error);

typedef struct _RgVkContext RgVkContext;
typedef struct _RgVkBuffer RgVkBuffer;
typedef struct _RgVkRecorder RgVkRecorder;

RgVkContext *rg_vk_context_new (const char *device_selector, GError **error);
void rg_vk_context_free (RgVkContext *ctx);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RgVkContext, rg_vk_context_free)

const RgVkDeviceInfo *rg_vk_context_get_info (RgVkContext *ctx);
const char *rg_vk_context_get_choice_reason (RgVkContext *ctx);
/* TRUE once the device was lost, or a fence wait timed out (which counts
 * as lost: the work may still be running): every later call fails, and the
 * context must be freed and created again (reload the model). */
gboolean rg_vk_context_is_lost (RgVkContext *ctx);
/* How long a submission may run before it counts as a lost device.
 * Default: $REGARD_GPU_TIMEOUT_MS, else 600 s. Tests shorten it. */
void rg_vk_context_set_fence_timeout (RgVkContext *ctx, uint64_t timeout_ns);
/* Bytes allocated in device memory right now. */
uint64_t rg_vk_context_get_allocated_bytes (RgVkContext *ctx);

/* ---- Memory ------------------------------------------------------------ */

/* A device buffer range of SIZE bytes. NAME (copied) appears in errors and
 * must say what the tensor is. Contents are undefined. */
RgVkBuffer *rg_vk_buffer_new (RgVkContext *ctx, const char *name, uint64_t size, GError **error);
void rg_vk_buffer_free (RgVkBuffer *buf);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RgVkBuffer, rg_vk_buffer_free)

uint64_t rg_vk_buffer_get_size (const RgVkBuffer *buf);
const char *rg_vk_buffer_get_name (const RgVkBuffer *buf);

/* Host <-> device copies, staged in bounded chunks (or direct when the
 * memory is host-visible). Synchronous. */
gboolean rg_vk_buffer_upload (RgVkBuffer *buf, uint64_t offset, const void *data, uint64_t size, GError **error);
gboolean rg_vk_buffer_download (RgVkBuffer *buf, uint64_t offset, void *data, uint64_t size, GError **error);
gboolean rg_vk_buffer_fill_zero (RgVkBuffer *buf, GError **error);

/* A range of a buffer bound to one descriptor. */
typedef struct
{
  const RgVkBuffer *buffer;
  uint64_t offset;   /* bytes, multiple of min_storage_buffer_offset_alignment */
  uint64_t range;    /* bytes; 0: to the end of the buffer */
} RgVkBinding;

static inline RgVkBinding
rg_vk_bind (const RgVkBuffer *buf)
{
  RgVkBinding b = { buf, 0, 0 };
  return b;
}

/* ---- Recording --------------------------------------------------------- */

RgVkRecorder *rg_vk_recorder_new (RgVkContext *ctx);
void rg_vk_recorder_free (RgVkRecorder *rec);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RgVkRecorder, rg_vk_recorder_free)

RgVkContext *rg_vk_recorder_get_context (RgVkRecorder *rec);

/* Records the error if none is recorded yet (takes ownership). */
void rg_vk_recorder_take_error (RgVkRecorder *rec, GError *error);
gboolean rg_vk_recorder_has_error (RgVkRecorder *rec);

typedef struct
{
  const char *shader;                  /* embedded SPIR-V name, e.g. "add_f32" */
  uint32_t spec[RG_VK_MAX_SPEC];       /* spec[0]: workgroup size x */
  guint n_spec;
  const RgVkBinding *bindings;         /* binding i -> bindings[i] */
  guint n_bindings;
  /* binding RG_VK_TEXEL_BINDING0 + i -> the whole 16-byte texels of
   * texels[i], read as RGBA32UI (weights and activations on devices
   * where that is faster) */
  const RgVkBuffer *const *texels;
  guint n_texels;
  const void *push;
  guint push_size;
  uint32_t groups[3];                  /* workgroup counts (each >= 1) */
  /* For REGARD_PROFILE: work done, to report GFLOP/s and GB/s. */
  double flops;
  double bytes;
} RgVkDispatch;

/* Records one dispatch followed by a compute->compute barrier. Group counts
 * beyond maxComputeWorkGroupCount are an error: use rg_vk_groups_1d (). */
void rg_vk_dispatch (RgVkRecorder *rec, const RgVkDispatch *d);

/* Spreads N_GROUPS workgroups over x and y within the device limits;
 * shaders rebuild the linear id with group_index () (common.glsl). */
void rg_vk_groups_1d (RgVkContext *ctx, uint64_t n_groups, uint32_t groups[3]);

/* Records a buffer copy (with barriers). */
void rg_vk_copy (RgVkRecorder *rec, const RgVkBuffer *dst, uint64_t dst_offset,
                 const RgVkBuffer *src, uint64_t src_offset, uint64_t size);

/* The recorder frees BUF after the next submit (scratch memory of an op). */
void rg_vk_recorder_keep_buffer (RgVkRecorder *rec, RgVkBuffer *buf);

/* Submits everything recorded and waits (with a timeout). The recorder can
 * be reused afterwards: it starts empty again. */
gboolean rg_vk_recorder_submit (RgVkRecorder *rec, GError **error);
guint rg_vk_recorder_get_n_dispatches (RgVkRecorder *rec);

/* Whether ops read weights through uniform texel buffers: on by default
 * on CPU devices (lavapipe reads texel buffers ~14x faster than storage
 * buffers), off elsewhere; $REGARD_DISABLE_TEXEL turns it off, tests flip
 * it to cover both paths. */
gboolean rg_vk_context_get_texel_weights (RgVkContext *ctx);
void rg_vk_context_set_texel_weights (RgVkContext *ctx, gboolean enabled);
/* Largest buffer a texel binding can cover, in bytes. */
uint64_t rg_vk_context_get_max_texel_bytes (RgVkContext *ctx);

/* ---- Profiling (REGARD_PROFILE=1) -------------------------------------- */

gboolean rg_vk_context_profiling (RgVkContext *ctx);
void rg_vk_context_print_profile (RgVkContext *ctx, FILE *out);
void rg_vk_context_reset_profile (RgVkContext *ctx);

/* Environment switch: TRUE when $NAME is set to a non-empty value other
 * than "0". */
gboolean rg_vk_env_flag (const char *name);

G_END_DECLS
