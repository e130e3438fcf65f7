#version 450
// matmul_cpu.comp: the prefill matmul of CPU devices (lavapipe). A
// subgroup computes a tile of NM rows of x by RPS weight rows; each lane
// takes whole blocks of 32 columns (like matvec_subgroup.comp) and the
// tile's sums are reduced with subgroupAdd once at the end. So each weight
// block is fetched and converted once per NM rows of x, and each texel of
// x once per RPS weight rows, where the mat-vec slices re-read the weights
// every 8 rows. Per weight row the block is converted a word (4 weights)
// at a time and multiplied into NM independent sums held in registers;
// the tile's running totals are touched once per block. Weights and x
// come through texels (W_TEXEL only); K need not be a multiple of 32 for
// plain types (the last block is masked), only of their texel.
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#include "matvec.glsl"

#ifndef W_TEXEL
#error "matmul_cpu.comp reads weights and x as texels"
#endif

#if defined(W_F32)
#define TEXELS_PER_BLOCK 8u   // 4 weights per texel
#elif defined(W_QUANT)
#define TEXELS_PER_BLOCK W_ROW_TEXELS
#else
#define TEXELS_PER_BLOCK 4u   // 8 halves per texel
#endif

// 4 weights of word I (0..7) of a row's block: q8 bytes, q4 nibbles
// (elements 4i.. of the low or high half), halves or floats.
vec4 block_word(uvec4 q[TEXELS_PER_BLOCK], uint i)
{
#if defined(W_Q8_0)
  int w = int(q[i >> 2][i & 3u]);
  return vec4(bitfieldExtract(w, 0, 8), bitfieldExtract(w, 8, 8), bitfieldExtract(w, 16, 8), w >> 24);
#elif defined(W_Q4_0)
  uint w = q[0][i & 3u] >> (i >= 4u ? 4u : 0u);
  return vec4(ivec4(w & 15u, (w >> 8) & 15u, (w >> 16) & 15u, (w >> 24) & 15u) - 8);
#elif defined(W_F32)
  return uintBitsToFloat(q[i]);
#elif defined(W_F16)
  uvec2 h = uvec2(q[i >> 1][(i & 1u) * 2u], q[i >> 1][(i & 1u) * 2u + 1u]);
  return vec4(unpackHalf2x16(h.x), unpackHalf2x16(h.y));
#else
  uvec2 h = uvec2(q[i >> 1][(i & 1u) * 2u], q[i >> 1][(i & 1u) * 2u + 1u]);
  return uintBitsToFloat(uvec4(h.x << 16, h.x & 0xffff0000u, h.y << 16, h.y & 0xffff0000u));
#endif
}

void main()
{
  const uint E = 32u / TEXELS_PER_BLOCK;   // weights per texel
  uint t = gl_SubgroupInvocationID;
  uint tiles_m = (p.M + NM - 1u) / NM;
  uint tile = group_index();
  // row tiles of x vary fastest: neighbouring workgroups (on the device's
  // threads) share weight rows, which stay in cache
  uint m0 = (tile % tiles_m) * NM;
  uint r0 = ((tile / tiles_m) * gl_NumSubgroups + gl_SubgroupID) * RPS;
  uint nb = r0 < p.n_rows ? (p.K + 31u) / 32u : 0u;
#if !defined(W_QUANT)
  uint row_texels = p.K / E;
#endif
  float acc[RPS][NM];

  [[unroll]] for (uint rr = 0; rr < RPS; rr++)
    [[unroll]] for (uint m = 0; m < NM; m++)
      acc[rr][m] = 0.0;
  for (uint b = t; b < nb; b += gl_SubgroupSize)
    {
      uint k0 = b * 32u;
      vec4 xv[NM][8];

      [[unroll]] for (uint m = 0; m < NM; m++)
        {
          uint row = min(m0 + m, p.M - 1u);   // rows past the end: computed, never stored
          [[unroll]] for (uint i = 0u; i < 8u; i++)
#if defined(W_QUANT)
            xv[m][i] = load_x4(row * p.K + k0 + 4u * i);
#else
            xv[m][i] = k0 + 4u * i < p.K ? load_x4(row * p.K + k0 + 4u * i) : vec4(0.0);
#endif
        }
      [[unroll]] for (uint g = 0; g < RPS / 8u; g++)
        {
          // rows past the end read the last group (a copy, never stored)
          uint first = min(r0 + 8u * g, (p.n_rows - 1u) & ~7u);
          uvec4 q[8][TEXELS_PER_BLOCK];
#if defined(W_QUANT)
          uint unit = w_unit(first, b);
          uvec4 scales = w_word4(unit + W_UNIT_TEXELS - 1u);
#endif
          // the group's fetches first, so that their cache misses overlap
          [[unroll]] for (uint j = 0; j < 8u; j++)
            [[unroll]] for (uint h = 0; h < TEXELS_PER_BLOCK; h++)
#if defined(W_QUANT)
              q[j][h] = w_word4(unit + j * W_ROW_TEXELS + h);
#else
              // the last block of a row may be partial: x is zero there
              q[j][h] = w_word4(min(first + j, p.n_rows - 1u) * row_texels
                                + min(b * TEXELS_PER_BLOCK + h, row_texels - 1u));
#endif
          [[unroll]] for (uint j = 0; j < 8u; j++)
            {
              float s[NM];
              [[unroll]] for (uint m = 0; m < NM; m++)
                s[m] = 0.0;
              [[unroll]] for (uint i = 0u; i < 8u; i++)
                {
                  vec4 v = block_word(q[j], i);
                  [[unroll]] for (uint m = 0; m < NM; m++)
                    s[m] += dot(v, xv[m][i]);
                }
#if defined(W_QUANT)
              float d = w_unit_scale(scales, j);
#else
              float d = 1.0;
#endif
              [[unroll]] for (uint m = 0; m < NM; m++)
                acc[8u * g + j][m] += s[m] * d;
            }
        }
    }
  [[unroll]] for (uint m = 0; m < NM; m++)
    [[unroll]] for (uint rr = 0; rr < RPS; rr++)
      {
        float v = subgroupAdd(acc[rr][m]);
        if (t == 0u && r0 + rr < p.n_rows && m0 + m < p.M)
          store_y(m0 + m, r0 + rr, v);
      }
}
