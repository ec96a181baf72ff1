/* harness.h - a small TAP test harness for C unit tests.
 *
 *	ARPG_TEST(manifest_rejects_short_line)
 *	{
 *		struct arpg_manifest_row r = { 0 };
 *		expect_int(arpg_manifest_parse(&r, "a\tb", 3, NULL, 0), ARPG_EFORMAT);
 *	}
 *
 * Tests register themselves (a constructor per test, so no list to keep);
 * link harness.c, which has main.  Each test runs in a fresh temporary
 * directory, removed when it passes and kept, with its name printed, when it
 * fails.  Output is TAP for automake's tap-driver.sh.  A test may skip with
 * skip("reason").  Arguments name tests to run (default: all).
 */
#ifndef ARPG_HARNESS_H
#define ARPG_HARNESS_H

#include <stddef.h>

typedef void (*arpg_test_fn)(void);
void arpg_test_register(const char *name, arpg_test_fn fn);

#define ARPG_TEST(name) \
	static void test_##name(void); \
	__attribute__((constructor)) static void register_##name(void) \
	{ arpg_test_register(#name, test_##name); } \
	static void test_##name(void)

/* Record a failure (the test goes on, so one run shows every mismatch). */
void arpg_test_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Mark the current test skipped with a reason (call, then return). */
void arpg_test_skip(const char *reason);
/* Print a TAP diagnostic line ("# ..."). */
void arpg_test_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The source directory (top_srcdir from the environment, or "."). */
const char *arpg_test_srcdir(void);
/* The Python of the reference scripts: $PYTHON3, else Debian's
 * /usr/bin/python3 (the first python3 on PATH may be another). */
const char *arpg_test_python(void);
/* 1 when that Python imports torch and onnx (the PyTorch references). */
int arpg_test_have_torch(void);
/* Writes len bytes to path; returns 0 or -1. */
int arpg_test_write_file(const char *path, const void *buf, size_t len);

#define expect(cond) \
	do { if (!(cond)) arpg_test_fail(__FILE__, __LINE__, "expected %s", #cond); } while (0)
#define expect_int(got, want) \
	do { long long g_ = (long long)(got), w_ = (long long)(want); \
	     if (g_ != w_) arpg_test_fail(__FILE__, __LINE__, "%s is %lld, expected %lld", \
					  #got, g_, w_); } while (0)
#define expect_str(got, want) \
	do { const char *g_ = (got), *w_ = (want); \
	     if (!g_ || strcmp(g_, w_)) arpg_test_fail(__FILE__, __LINE__, \
			"%s is \"%s\", expected \"%s\"", #got, g_ ? g_ : "(null)", w_); } while (0)
#define expect_near(got, want, tol) \
	do { double g_ = (got), w_ = (want); \
	     if (!(fabs(g_ - w_) <= (tol))) arpg_test_fail(__FILE__, __LINE__, \
			"%s is %.9g, expected %.9g within %g", #got, g_, w_, (double)(tol)); } while (0)
#define skip(reason) do { arpg_test_skip(reason); return; } while (0)

#endif
