#version 450
// Selection over a vector in one workgroup.
//   ARGMAX: out_idx[0] = index of the largest value (ties: lowest index;
//           NaN never wins).
//   TOPK:   the k largest in descending order (ties: lower index first),
//           found as k successive maxima below the previous one in the
//           order (value desc, index asc).
#include "common.glsl"

layout(binding = 0) readonly buffer X { float x[]; };
layout(binding = 1) writeonly buffer Idx { uint out_idx[]; };
layout(binding = 2) writeonly buffer Val { float out_val[]; };

layout(push_constant) uniform Push
{
  uint n;
  uint k;
} p;

shared float best_v[256];
shared uint best_i[256];

// (v, i) ranks before (w, j)?
bool better(float v, uint i, float w, uint j)
{
  return v > w || (v == w && i < j);
}

void main()
{
  uint t = gl_LocalInvocationID.x;
  float prev_v = 0.0;
  uint prev_i = 0xffffffffu;
  bool have_prev = false;
#ifdef TOPK
  uint rounds = p.k;
#else
  uint rounds = 1u;
#endif
  for (uint round = 0; round < rounds; round++)
    {
      float bv = 0.0;
      uint bi = 0xffffffffu;
      for (uint e = t; e < p.n; e += WG_SIZE)
        {
          float v = x[e];
          if (isnan(v))
            continue;
          if (have_prev && !better(prev_v, prev_i, v, e))
            continue; // already taken
          if (bi == 0xffffffffu || better(v, e, bv, bi))
            {
              bv = v;
              bi = e;
            }
        }
      best_v[t] = bv;
      best_i[t] = bi;
      barrier();
      for (uint s = WG_SIZE / 2; s > 0; s >>= 1)
        {
          if (t < s)
            {
              uint j = best_i[t + s];
              if (j != 0xffffffffu && (best_i[t] == 0xffffffffu || better(best_v[t + s], j, best_v[t], best_i[t])))
                {
                  best_v[t] = best_v[t + s];
                  best_i[t] = j;
                }
            }
          barrier();
        }
      prev_v = best_v[0];
      prev_i = best_i[0];
      have_prev = true;
      if (t == 0)
        {
          out_idx[round] = prev_i == 0xffffffffu ? 0u : prev_i;
#ifdef TOPK
          out_val[round] = prev_v;
#endif
        }
      barrier();
    }
}
