// Workgroup-wide reductions through shared memory (no subgroup ops, so any
// device and any WG_SIZE, power of two or not). Include after common.glsl.
// Every invocation of the workgroup must call them (they hold barriers) and
// every invocation gets the result.
#ifndef REGARD_REDUCE_GLSL
#define REGARD_REDUCE_GLSL

shared float reduce_buf[WG_SIZE];

#define REDUCE_BODY(OP)                                   \
  uint t = gl_LocalInvocationID.x;                        \
  reduce_buf[t] = v;                                      \
  barrier();                                              \
  /* fold the upper part onto the lower: any WG_SIZE */   \
  uint n = WG_SIZE;                                       \
  while (n > 1) {                                         \
    uint half_n = (n + 1) / 2;                            \
    if (t < n - half_n)                                   \
      reduce_buf[t] = OP(reduce_buf[t], reduce_buf[t + half_n]); \
    barrier();                                            \
    n = half_n;                                           \
  }                                                       \
  float r = reduce_buf[0];                                \
  barrier(); /* reduce_buf is reused by the next call */  \
  return r;

float reduce_add_(float a, float b) { return a + b; }

float wg_sum(float v) { REDUCE_BODY(reduce_add_) }
float wg_max(float v) { REDUCE_BODY(max) }

#endif
