/* rg-ref-ops.c: plain-C reference ops (see rg-ref-ops.h). */
#include "rg-ref-ops.h"

#include <math.h>
#include <string.h>

#include "rg-dtype.h"

/* ---- Linear algebra ---------------------------------------------------- */

void
rg_ref_linear (const float *x, const float *w, const float *bias,
               float *y, size_t M, size_t N, size_t K)
{
  for (size_t m = 0; m < M; m++)
    {
      const float *xr = x + m * K;
      for (size_t n = 0; n < N; n++)
        {
          const float *wr = w + n * K;
          double acc = bias ? bias[n] : 0.0;
          for (size_t k = 0; k < K; k++)
            acc += (double) xr[k] * wr[k];
          y[m * N + n] = (float) acc;
        }
    }
}

void
rg_ref_linear_w (const float *x, const void *w, RgDType w_dtype,
                 const float *bias, float *y, size_t M, size_t N, size_t K)
{
  g_autofree float *row = NULL;
  const uint8_t *wb = w;
  size_t row_bytes;

  if (w_dtype == RG_DTYPE_F32)
    {
      rg_ref_linear (x, w, bias, y, M, N, K);
      return;
    }
  g_return_if_fail (w_dtype == RG_DTYPE_F16 || w_dtype == RG_DTYPE_BF16);

  /* Upcast one weight row at a time: the reference never needs a full f32
   * copy of a large matrix. */
  row = g_new (float, K);
  row_bytes = K * 2;
  for (size_t n = 0; n < N; n++)
    {
      rg_dtype_to_f32 (w_dtype, wb + n * row_bytes, row, K);
      for (size_t m = 0; m < M; m++)
        {
          const float *xr = x + m * K;
          double acc = bias ? bias[n] : 0.0;
          for (size_t k = 0; k < K; k++)
            acc += (double) xr[k] * row[k];
          y[m * N + n] = (float) acc;
        }
    }
}

/* ---- Normalizations ---------------------------------------------------- */

void
rg_ref_layernorm (const float *x, const float *w, const float *b,
                  float *y, size_t rows, size_t dim, float eps)
{
  for (size_t r = 0; r < rows; r++)
    {
      const float *xr = x + r * dim;
      float *yr = y + r * dim;
      double mean = 0.0, var = 0.0;
      float inv;

      for (size_t i = 0; i < dim; i++)
        mean += xr[i];
      mean /= (double) dim;
      for (size_t i = 0; i < dim; i++)
        var += ((double) xr[i] - mean) * ((double) xr[i] - mean);
      var /= (double) dim;
      inv = (float) (1.0 / sqrt (var + (double) eps));
      for (size_t i = 0; i < dim; i++)
        {
          float v = (float) ((double) xr[i] - mean) * inv;
          yr[i] = v * w[i] + (b ? b[i] : 0.0f);
        }
    }
}

void
rg_ref_rmsnorm (const float *x, const float *w, float *y,
                size_t rows, size_t dim, float eps)
{
  for (size_t r = 0; r < rows; r++)
    {
      const float *xr = x + r * dim;
      float *yr = y + r * dim;
      double ss = 0.0;
      float inv;

      for (size_t i = 0; i < dim; i++)
        ss += (double) xr[i] * xr[i];
      inv = (float) (1.0 / sqrt (ss / (double) dim + (double) eps));
      for (size_t i = 0; i < dim; i++)
        {
          /* Normalized value rounded to f32 first, then the gain (P8). */
          float v = xr[i] * inv;
          yr[i] = w[i] * v;
        }
    }
}

/* ---- Element-wise ------------------------------------------------------ */

void
rg_ref_gelu_tanh (const float *x, float *y, size_t n)
{
  /* torch's constants: kBeta = sqrt(2) * (2/sqrt(pi)) * 0.5 = sqrt(2/pi). */
  const double beta = M_SQRT2 * M_2_SQRTPI * 0.5;
  const double kappa = 0.044715;

  for (size_t i = 0; i < n; i++)
    {
      double v = x[i];
      y[i] = (float) (0.5 * v * (1.0 + tanh (beta * (v + kappa * v * v * v))));
    }
}

void
rg_ref_gelu (const float *x, float *y, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      double v = x[i];
      y[i] = (float) (0.5 * v * (1.0 + erf (v * M_SQRT1_2)));
    }
}

void
rg_ref_quick_gelu (const float *x, float *y, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      double v = x[i];
      y[i] = (float) (v / (1.0 + exp (-1.702 * v)));
    }
}

void
rg_ref_relu (const float *x, float *y, size_t n)
{
  for (size_t i = 0; i < n; i++)
    y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

void
rg_ref_tanh_gate_add (const float *x, const float *alpha, size_t n_alpha,
                      const int32_t *row_index, float *out, size_t rows, size_t cols)
{
  for (size_t r = 0; r < rows; r++)
    {
      if (row_index && row_index[r] < 0)
        continue;
      for (size_t c = 0; c < cols; c++)
        {
          float g = (float) tanh ((double) alpha[n_alpha == 1 ? 0 : c]);
          out[r * cols + c] += g * x[r * cols + c];
        }
    }
}

static inline float
silu1 (float v)
{
  return (float) ((double) v / (1.0 + exp (-(double) v)));
}

void
rg_ref_swiglu (const float *gate, const float *up, float *out, size_t n)
{
  for (size_t i = 0; i < n; i++)
    out[i] = silu1 (gate[i]) * up[i];
}

void
rg_ref_add (const float *a, const float *b, float *out, size_t n)
{
  for (size_t i = 0; i < n; i++)
    out[i] = a[i] + b[i];
}

/* ---- Rotary position embedding ----------------------------------------- */

void
rg_ref_rope_inv_freq (size_t head_dim, float theta, float *inv_freq)
{
  /* Every step in float32, as torch: (float) arange / dim, pow, 1.0 / x. */
  for (size_t k = 0; k < head_dim / 2; k++)
    {
      float e = (float) (2 * k) / (float) head_dim;
      inv_freq[k] = 1.0f / powf (theta, e);
    }
}

void
rg_ref_round_f16 (float *x, size_t n)
{
  for (size_t i = 0; i < n; i++)
    x[i] = rg_f16_to_f32 (rg_f32_to_f16 (x[i]));
}

void
rg_ref_rope (float *x, size_t L, size_t n_heads, size_t head_dim,
             size_t pos0, float theta)
{
  size_t half = head_dim / 2;
  g_autofree float *inv_freq = g_new (float, half);
  g_autofree float *c = g_new (float, half);
  g_autofree float *s = g_new (float, half);

  rg_ref_rope_inv_freq (head_dim, theta, inv_freq);
  for (size_t i = 0; i < L; i++)
    {
      for (size_t k = 0; k < half; k++)
        {
          float a = (float) (pos0 + i) * inv_freq[k]; /* f32 angle, as HF */
          c[k] = cosf (a);
          s[k] = sinf (a);
        }
      for (size_t h = 0; h < n_heads; h++)
        {
          float *xh = x + (i * n_heads + h) * head_dim;
          for (size_t k = 0; k < half; k++)
            {
              float x0 = xh[k], x1 = xh[k + half];
              xh[k] = x0 * c[k] - x1 * s[k];
              xh[k + half] = x1 * c[k] + x0 * s[k];
            }
        }
    }
}

/* ---- Attention --------------------------------------------------------- */

static gboolean
key_visible (const RgRefAttnParams *p, size_t qpos, size_t j)
{
  if (p->key_mask && !p->key_mask[j])
    return FALSE;
  if (p->causal)
    {
      if (j > qpos)
        return FALSE;
      if (p->window > 0 && j + p->window <= qpos)
        return FALSE;
    }
  return TRUE;
}

void
rg_ref_attention (const float *q, const float *k, const float *v,
                  float *out, const RgRefAttnParams *p)
{
  size_t D = p->head_dim;
  size_t group;
  g_autofree double *scores = NULL;  /* [Lk]: one row at a time */
  g_autofree double *acc = NULL;     /* [D] */

  g_return_if_fail (p->n_kv_heads > 0 && p->n_heads % p->n_kv_heads == 0);
  group = p->n_heads / p->n_kv_heads;
  scores = g_new (double, MAX (p->n_kv, 1));
  acc = g_new (double, MAX (D, 1));

  for (size_t i = 0; i < p->n_q; i++)
    {
      size_t qpos = p->q_pos0 + i;
      for (size_t h = 0; h < p->n_heads; h++)
        {
          const float *qh = q + (i * p->n_heads + h) * D;
          size_t kvh = h / group;
          float *oh = out + (i * p->n_heads + h) * D;
          double max = -INFINITY, sum = 0.0;

          for (size_t j = 0; j < p->n_kv; j++)
            {
              const float *kj = k + (j * p->n_kv_heads + kvh) * D;
              double dot = 0.0;

              if (!key_visible (p, qpos, j))
                {
                  scores[j] = -INFINITY;
                  continue;
                }
              for (size_t d = 0; d < D; d++)
                dot += (double) qh[d] * kj[d];
              scores[j] = dot * p->scale;
              max = MAX (max, scores[j]);
            }

          memset (acc, 0, D * sizeof (double));
          if (max == -INFINITY)
            {
              /* No visible key: define the row as zeros. */
              memset (oh, 0, D * sizeof (float));
              continue;
            }
          for (size_t j = 0; j < p->n_kv; j++)
            {
              const float *vj = v + (j * p->n_kv_heads + kvh) * D;
              double e;

              if (scores[j] == -INFINITY)
                continue;
              e = exp (scores[j] - max);
              sum += e;
              for (size_t d = 0; d < D; d++)
                acc[d] += e * vj[d];
            }
          for (size_t d = 0; d < D; d++)
            oh[d] = (float) (acc[d] / sum);
        }
    }
}

void
rg_ref_image_attention (const float *q, const float *k, const float *v,
                        const int32_t *image_index, float *out, size_t n_q,
                        size_t n_heads, size_t head_dim, size_t seq, float scale)
{
  size_t row = n_heads * head_dim;

  for (size_t i = 0; i < n_q; i++)
    {
      size_t img = (size_t) image_index[i];
      RgRefAttnParams p = {
        .n_q = 1, .n_kv = seq, .n_heads = n_heads, .n_kv_heads = n_heads,
        .head_dim = head_dim, .scale = scale,
      };

      if (image_index[i] < 0 || seq == 0)
        {
          memset (out + i * row, 0, row * sizeof (float));
          continue;
        }
      rg_ref_attention (q + i * row, k + img * seq * row, v + img * seq * row, out + i * row, &p);
    }
}

/* ---- Gathers and convolutions ------------------------------------------ */

gboolean
rg_ref_embedding (const float *table, size_t n_rows, size_t dim,
                  const int32_t *ids, size_t n, float *out)
{
  for (size_t i = 0; i < n; i++)
    {
      if (ids[i] < 0 || (size_t) ids[i] >= n_rows)
        return FALSE;
      memcpy (out + i * dim, table + (size_t) ids[i] * dim, dim * sizeof (float));
    }
  return TRUE;
}

void
rg_ref_embedding_range (const float *table, size_t n_rows, size_t dim, int32_t id0,
                        const int32_t *ids, size_t n, float *out)
{
  for (size_t i = 0; i < n; i++)
    {
      int64_t r = (int64_t) ids[i] - id0;

      if (r >= 0 && (uint64_t) r < n_rows)
        memcpy (out + i * dim, table + (size_t) r * dim, dim * sizeof (float));
    }
}

void
rg_ref_pixel_shuffle (const float *in, size_t gh, size_t gw, size_t D, size_t s, float *out)
{
  size_t ow = gw / s;

  for (size_t y = 0; y < gh; y++)
    for (size_t x = 0; x < gw; x++)
      {
        size_t u = (y / s) * ow + x / s;
        size_t c = (y % s) * s * D + (x % s) * D;

        memcpy (out + u * s * s * D + c, in + (y * gw + x) * D, D * sizeof (float));
      }
}

void
rg_ref_patch_embed (const float *pixels, size_t C, size_t H, size_t W,
                    const float *weight, const float *bias, size_t V,
                    size_t P, float *out)
{
  size_t gh = H / P, gw = W / P;

  for (size_t r = 0; r < gh; r++)
    for (size_t c = 0; c < gw; c++)
      {
        float *o = out + (r * gw + c) * V;
        for (size_t v = 0; v < V; v++)
          {
            const float *wv = weight + v * C * P * P;
            double acc = bias ? bias[v] : 0.0;
            for (size_t ch = 0; ch < C; ch++)
              for (size_t i = 0; i < P; i++)
                {
                  const float *px = pixels + (ch * H + r * P + i) * W + c * P;
                  const float *wr = wv + (ch * P + i) * P;
                  for (size_t j = 0; j < P; j++)
                    acc += (double) px[j] * wr[j];
                }
            o[v] = (float) acc;
          }
      }
}

/* ---- Sampling helpers -------------------------------------------------- */

size_t
rg_ref_argmax (const float *x, size_t n)
{
  size_t best = 0;

  for (size_t i = 1; i < n; i++)
    if (x[i] > x[best] || (isnan (x[best]) && !isnan (x[i])))
      best = i;
  return best;
}

void
rg_ref_topk (const float *x, size_t n, size_t k, int32_t *idx, float *values)
{
  size_t filled = 0;

  /* Insertion into a sorted list of K: strictly greater moves up, so equal
   * values keep index order. */
  for (size_t i = 0; i < n; i++)
    {
      size_t pos;

      if (isnan (x[i]))
        continue;
      if (filled == k && !(x[i] > x[idx[k - 1]]))
        continue;
      pos = filled < k ? filled++ : k - 1;
      while (pos > 0 && x[i] > x[idx[pos - 1]])
        {
          idx[pos] = idx[pos - 1];
          pos--;
        }
      idx[pos] = (int32_t) i;
    }
  /* Fewer than K non-NaN values: pad with the NaN indices in order. */
  for (size_t i = 0; i < n && filled < k; i++)
    if (isnan (x[i]))
      idx[filled++] = (int32_t) i;
  if (values)
    for (size_t j = 0; j < k; j++)
      values[j] = x[idx[j]];
}
