/* test-common.h: helpers shared by the test programs.
 *
 * Fixtures are found through $REGARD_FIXTURES (set by meson to
 * tests/fixtures); comparisons report the worst element so a failure says
 * where to look. */
#pragma once

#include <glib.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

G_BEGIN_DECLS

/* Exit status meson reads as "skipped". */
#define RG_TEST_EXIT_SKIP 77

/* Absolute path of a file under the fixtures folder (tests/fixtures). */
char *rg_test_fixture_path (const char *relative);
/* A golden case's image RELATIVE to fixture MODEL_DIR, as a normalized
 * path; a JPEG is replaced by the pixels PIL decoded from it
 * (*.decoded.png): JPEG decoders differ. */
char *rg_test_case_image_path (const char *model_dir, const char *relative);

/* Asserts ERROR is DOMAIN / CODE and its message holds each substring of
 * the NULL-terminated list ARGS (the message is logged). */
void rg_test_assert_error_mentions_valist (const GError *error, GQuark domain, int code, va_list args);

/* Deletes PATH and everything below it (symlinks are removed, never
 * followed). */
void rg_test_remove_tree (const char *path);

/* Reads a whole file; aborts the test on failure. */
GBytes *rg_test_read_file (const char *path);

typedef struct
{
  double max_abs;      /* max |a - b| */
  size_t worst_index;  /* where max_abs was found */
  double nmse;         /* sum (a-b)^2 / sum b^2, as llama.cpp's test-backend-ops */
  size_t n_nonfinite;  /* elements of a that are NaN or Inf */
} RgCompare;

RgCompare rg_test_compare_f32 (const float *a, const float *b, size_t n);

/* Asserts max |a-b| <= tol, printing the worst element otherwise. */
#define rg_assert_close_f32(a, b, n, tol) \
  rg_test_assert_close_f32 (__FILE__, __LINE__, #a, a, b, n, tol)
void rg_test_assert_close_f32 (const char *file, int line, const char *what,
                               const float *a, const float *b, size_t n, double tol);

G_END_DECLS
