#version 450
// out[i, d] = table[ids[i] - id0, d] for ids inside this chunk's rows
// [row0, row0 + n_rows) (id0: the first id of the table, > 0 for the added
// tokens' table of a decoupled vocabulary); the first chunk also zeroes
// rows of invalid ids unless keep_others (the rows of the other table).
#include "common.glsl"


layout(binding = 0) readonly buffer Ids { int ids[]; };
layout(binding = 2) writeonly buffer O { float o[]; };

layout(push_constant) uniform Push
{
  uint n;          // ids
  uint dim;
  uint row0;
  uint n_rows;     // rows in this chunk
  uint total_rows; // rows of the whole table
  int id0;
  uint keep_others;
} p;

#define WEIGHT_BINDING 1
#define W_COLS (p.dim)
#include "weights.glsl"

void main()
{
  uint e = global_index();
  if (e >= p.n * p.dim)
    return;
  uint i = e / p.dim, d = e % p.dim;
  int id = ids[i] - p.id0;
  if (id >= int(p.row0) && id < int(p.row0 + p.n_rows))
    o[e] = load_w(uint(id - int(p.row0)) * p.dim + d);
  else if (p.keep_others == 0u && p.row0 == 0u && (id < 0 || id >= int(p.total_rows)))
    o[e] = 0.0;
}
