#version 450
// attention_combine.comp: merges the key ranges (splits) that
// attention.comp or attention_decode.comp wrote as partials (attention.glsl).
#include "attention.glsl"

// One invocation per output element (query i, head h, d): the splits'
// partials rescaled to the common max, summed, normalized.
void main()
{
  uint idx = global_index();
  uint n_rows_all = p.n_q * p.n_heads;
  if (idx >= n_rows_all * HD)
    return;
  uint row = idx / HD;
  float m = NEG_INF;
  for (uint s = 0; s < p.n_split; s++)
    m = max(m, part_ml[(s * n_rows_all + row) * 2]);
  float l = 0.0;
  float acc = 0.0;
  if (m != NEG_INF) {
    for (uint s = 0; s < p.n_split; s++) {
      float ms = part_ml[(s * n_rows_all + row) * 2];
      if (ms == NEG_INF)
        continue;  // this range saw no key
      float w = exp(ms - m);
      l += part_ml[(s * n_rows_all + row) * 2 + 1] * w;
      acc += part_o[s * n_rows_all * HD + idx] * w;
    }
  }
  o[idx] = l > 0.0 ? acc / l : 0.0;
}
