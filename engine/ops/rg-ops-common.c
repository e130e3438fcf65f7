/* rg-ops-common.c: GPU weights, uploads and helpers shared by the ops. */
#include "config.h"

#include "rg-ops.h"
#include "regard-error.h"

#include <math.h>
#include <string.h>

uint64_t
rg_gpu_weight_row_bytes (const RgGpuWeight *w)
{
  uint64_t bytes = 0;

  rg_dtype_bytes_checked (w->dtype, w->cols, &bytes);
  return bytes;
}

RgGpuWeight *
rg_gpu_weight_new (RgVkContext *ctx, const char *name, RgDType dtype,
                   uint32_t rows, uint32_t cols, uint64_t max_chunk_bytes, GError **error)
{
  const RgVkDeviceInfo *info = rg_vk_context_get_info (ctx);
  g_autoptr(RgGpuWeight) w = g_new0 (RgGpuWeight, 1);
  uint64_t row_bytes, limit;
  gboolean quant = rg_dtype_traits (dtype)->block_elems > 1;
  const char *env;

  w->name = g_strdup (name);
  w->dtype = dtype;
  w->rows = rows;
  w->cols = cols;
  if (rows == 0 || cols == 0 || !rg_dtype_bytes_checked (dtype, cols, &row_bytes))
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_INVALID_MODEL,
                   "weight '%s': %u x %u is not a valid %s matrix", name, rows, cols, rg_dtype_name (dtype));
      return NULL;
    }

  /* a chunk is bound whole, as storage or as texels */
  limit = MIN (info->max_storage_buffer_range, info->max_memory_allocation_size);
  limit = MIN (limit, rg_vk_context_get_max_texel_bytes (ctx));
  if (max_chunk_bytes > 0)
    limit = MIN (limit, max_chunk_bytes);
  env = g_getenv ("REGARD_MAX_BINDING_BYTES");
  if (env != NULL && g_ascii_strtoull (env, NULL, 10) > 0)
    limit = MIN (limit, g_ascii_strtoull (env, NULL, 10));
  /* shaders address 16-bit weights through 32-bit words, and read them
   * as 16-byte texels: keep chunks whole texels */
  limit &= ~(uint64_t) 15;
  if (row_bytes > limit)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_UNSUPPORTED,
                   "weight '%s': one row (%" G_GUINT64_FORMAT " bytes) exceeds the device's binding limit (%"
                   G_GUINT64_FORMAT " bytes)", name, row_bytes, limit);
      return NULL;
    }
  w->rows_per_chunk = (uint32_t) MIN ((uint64_t) rows, limit / row_bytes);
  /* an odd number of 16-bit rows of odd width would split a word */
  while (w->rows_per_chunk < rows && (w->rows_per_chunk * row_bytes) % 4 != 0)
    w->rows_per_chunk--;
  /* quantized rows are stored in groups of RG_QUANT_GROUP_ROWS (padded
   * at the end), which never straddle chunks */
  if (quant && w->rows_per_chunk % RG_QUANT_GROUP_ROWS != 0)
    w->rows_per_chunk = MIN ((uint64_t) w->rows_per_chunk,
                             (limit / row_bytes) / RG_QUANT_GROUP_ROWS * RG_QUANT_GROUP_ROWS);
  if (w->rows_per_chunk == 0)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_UNSUPPORTED,
                   "weight '%s' cannot be split across bindings of %" G_GUINT64_FORMAT " bytes", name, limit);
      return NULL;
    }
  w->n_chunks = (rows + w->rows_per_chunk - 1) / w->rows_per_chunk;
  w->chunks = g_new0 (RgVkBuffer *, w->n_chunks);
  for (guint i = 0; i < w->n_chunks; i++)
    {
      uint32_t r0 = i * w->rows_per_chunk;
      uint32_t n = MIN (w->rows_per_chunk, rows - r0);
      g_autofree char *chunk_name = w->n_chunks > 1 ? g_strdup_printf ("%s[chunk %u]", name, i) : g_strdup (name);

      uint64_t stored_rows = quant ? (n + RG_QUANT_GROUP_ROWS - 1) / RG_QUANT_GROUP_ROWS * RG_QUANT_GROUP_ROWS : n;

      /* round up to whole 16-byte texels (four words) for the readers */
      w->chunks[i] = rg_vk_buffer_new (ctx, chunk_name, (stored_rows * row_bytes + 15) & ~(uint64_t) 15, error);
      if (w->chunks[i] == NULL)
        return NULL;
    }
  return g_steal_pointer (&w);
}

void
rg_gpu_weight_free (RgGpuWeight *w)
{
  if (w == NULL)
    return;
  for (guint i = 0; w->chunks && i < w->n_chunks; i++)
    rg_vk_buffer_free (w->chunks[i]);
  g_free (w->chunks);
  g_free (w->name);
  g_free (w);
}

/* Block-quantized rows go to the GPU regrouped (the blocks' bytes are
 * unchanged): rows in groups of RG_QUANT_GROUP_ROWS, and for each group
 * and block column one unit holding the 8 rows' values of that block
 * (32 bytes each for Q8_0, 16 for Q4_0) followed by their 8 f16 scales
 * (16 bytes). A mat-vec then reads each unit as one run of 16-byte texels,
 * and one fetch brings the scales of 8 rows (see shaders/weights.glsl). */
static uint64_t
quant_unit_bytes (const RgGpuWeight *w)
{
  uint32_t block_bytes = rg_dtype_traits (w->dtype)->block_bytes;

  return RG_QUANT_GROUP_ROWS * (uint64_t) block_bytes;
}

/* Rows [in_chunk, in_chunk + n) of chunk CHUNK from ggml blocks at SRC.
 * Groups only partly covered are read back and patched, so rows may come
 * in any slices. */
static gboolean
upload_quant_rows (RgGpuWeight *w, guint chunk, uint32_t in_chunk, uint32_t n, const guint8 *src, GError **error)
{
  const uint32_t G = RG_QUANT_GROUP_ROWS;
  uint32_t nb = w->cols / 32;
  uint32_t block_bytes = rg_dtype_traits (w->dtype)->block_bytes;
  uint32_t value_bytes = block_bytes - 2;
  uint64_t unit = quant_unit_bytes (w), group_bytes = unit * nb;
  uint32_t g0 = in_chunk / G, g1 = (in_chunk + n + G - 1) / G;
  uint64_t n_bytes = (uint64_t) (g1 - g0) * group_bytes;
  g_autofree guint8 *buf = g_malloc0 (n_bytes);
  RgVkBuffer *dst = w->chunks[chunk];

  /* partly covered first and last groups keep their other rows */
  if (in_chunk % G != 0 &&
      !rg_vk_buffer_download (dst, g0 * group_bytes, buf, group_bytes, error))
    return FALSE;
  if ((in_chunk + n) % G != 0 && (g1 - 1 > g0 || in_chunk % G == 0) &&
      !rg_vk_buffer_download (dst, (uint64_t) (g1 - 1) * group_bytes, buf + n_bytes - group_bytes, group_bytes, error))
    return FALSE;
  for (uint32_t r = 0; r < n; r++)
    {
      uint32_t row = in_chunk + r, j = row % G;
      guint8 *group = buf + (uint64_t) (row / G - g0) * group_bytes;

      for (uint32_t b = 0; b < nb; b++)
        {
          const guint8 *blk = src + ((size_t) r * nb + b) * block_bytes;
          guint8 *u = group + b * unit;

          memcpy (u + j * value_bytes, blk + 2, value_bytes);
          memcpy (u + G * value_bytes + j * 2, blk, 2);
        }
    }
  return rg_vk_buffer_upload (dst, g0 * group_bytes, buf, n_bytes, error);
}

gboolean
rg_gpu_weight_upload_rows (RgGpuWeight *w, uint32_t row0, uint32_t n_rows, const void *data, GError **error)
{
  uint64_t row_bytes = rg_gpu_weight_row_bytes (w);
  gboolean quant = rg_dtype_traits (w->dtype)->block_elems > 1;
  const char *src = data;

  if (row0 > w->rows || n_rows > w->rows - row0)
    {
      g_set_error (error, REGARD_ERROR, REGARD_ERROR_FAILED, "weight '%s': rows %u..%u out of range",
                   w->name, row0, row0 + n_rows);
      return FALSE;
    }
  while (n_rows > 0)
    {
      guint chunk = row0 / w->rows_per_chunk;
      uint32_t in_chunk = row0 - chunk * w->rows_per_chunk;
      uint32_t n = MIN (n_rows, w->rows_per_chunk - in_chunk);

      if (quant ? !upload_quant_rows (w, chunk, in_chunk, n, (const guint8 *) src, error)
                : !rg_vk_buffer_upload (w->chunks[chunk], in_chunk * row_bytes, src, n * row_bytes, error))
        return FALSE;
      src += n * row_bytes;
      row0 += n;
      n_rows -= n;
    }
  return TRUE;
}

RgVkBuffer *
rg_gpu_upload_f32 (RgVkContext *ctx, const char *name, const float *data, uint64_t n, GError **error)
{
  g_autoptr(RgVkBuffer) buf = rg_vk_buffer_new (ctx, name, n * sizeof (float), error);

  if (buf == NULL || !rg_vk_buffer_upload (buf, 0, data, n * sizeof (float), error))
    return NULL;
  return g_steal_pointer (&buf);
}

float *
rg_rope_table_new (uint32_t n_positions, uint32_t head_dim, float theta)
{
  uint32_t h = head_dim / 2;
  float *table = g_new (float, (size_t) n_positions * head_dim);
  g_autofree float *inv_freq = g_new (float, h);

  /* transformers: 1.0 / (base ** (arange(0, dim, 2).float() / dim)) in f32 */
  for (uint32_t k = 0; k < h; k++)
    inv_freq[k] = 1.0f / powf (theta, (float) (2 * k) / (float) head_dim);
  for (uint32_t p = 0; p < n_positions; p++)
    for (uint32_t k = 0; k < h; k++)
      {
        float a = (float) p * inv_freq[k];

        table[(size_t) p * head_dim + k] = cosf (a);
        table[(size_t) p * head_dim + h + k] = sinf (a);
      }
  return table;
}

gboolean
rg_op_check_size (RgVkRecorder *rec, const char *op, const RgVkBuffer *buf, uint64_t bytes)
{
  if (buf == NULL)
    {
      rg_vk_recorder_take_error (rec, g_error_new (REGARD_ERROR, REGARD_ERROR_FAILED, "%s: missing buffer", op));
      return FALSE;
    }
  if (rg_vk_buffer_get_size (buf) < bytes)
    {
      rg_vk_recorder_take_error (rec, g_error_new (REGARD_ERROR, REGARD_ERROR_FAILED,
                                                   "%s: tensor '%s' has %" G_GUINT64_FORMAT " bytes, needs %"
                                                   G_GUINT64_FORMAT, op, rg_vk_buffer_get_name (buf),
                                                   rg_vk_buffer_get_size (buf), bytes));
      return FALSE;
    }
  return TRUE;
}

uint32_t
rg_op_default_wg (RgVkRecorder *rec)
{
  const RgVkDeviceInfo *info = rg_vk_context_get_info (rg_vk_recorder_get_context (rec));

  return MIN (256u, info->max_compute_workgroup_invocations);
}

uint32_t
rg_op_row_wg (RgVkRecorder *rec, uint32_t row_len)
{
  const RgVkDeviceInfo *info = rg_vk_context_get_info (rg_vk_recorder_get_context (rec));
  /* an invocation costs far more on a CPU device: give each more work */
  uint32_t per_thread = info->type == VK_PHYSICAL_DEVICE_TYPE_CPU ? 16 : 4;
  uint32_t max_wg = rg_op_default_wg (rec);
  uint32_t wg = MAX (info->subgroup_size, 1u);

  while (wg < max_wg && wg * per_thread < row_len)
    wg *= 2;
  return MIN (wg, max_wg);
}

const char *
rg_op_weight_suffix (RgDType dtype)
{
  switch (dtype)
    {
    case RG_DTYPE_F32: return "f32";
    case RG_DTYPE_F16: return "f16";
    case RG_DTYPE_BF16: return "bf16";
    case RG_DTYPE_Q8_0: return "q8_0";
    case RG_DTYPE_Q4_0: return "q4_0";
    default: return "unsupported";
    }
}
