/* harness.c - main for C unit tests: runs registered tests, prints TAP. */
#include "harness.h"

#define _XOPEN_SOURCE_EXTRA 1
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { MAX_TESTS = 1024 };

static struct { const char *name; arpg_test_fn fn; } tests[MAX_TESTS];
static int ntests, failures, skipped;
static char skip_reason[256];

void arpg_test_register(const char *name, arpg_test_fn fn)
{
	if (ntests == MAX_TESTS) {
		fprintf(stderr, "harness: more than %d tests\n", MAX_TESTS);
		abort();
	}
	tests[ntests].name = name;
	tests[ntests++].fn = fn;
}

/* Prints prefix and the formatted text as TAP diagnostics: every line of
 * it behind "# ", so that a message with newlines cannot pass for a test
 * line. */
static void diag(const char *prefix, const char *fmt, va_list ap)
{
	char text[8192];
	const char *p = text, *nl;

	vsnprintf(text, sizeof text, fmt, ap);
	printf("# %s", prefix);
	while ((nl = strchr(p, '\n'))) {
		printf("%.*s\n# ", (int)(nl - p), p);
		p = nl + 1;
	}
	printf("%s\n", p);
	fflush(stdout);
}

void arpg_test_fail(const char *file, int line, const char *fmt, ...)
{
	char where[300];
	va_list ap;

	snprintf(where, sizeof where, "%s:%d: ", file, line);
	va_start(ap, fmt);
	diag(where, fmt, ap);
	va_end(ap);
	failures++;
}

void arpg_test_skip(const char *reason)
{
	skipped = 1;
	snprintf(skip_reason, sizeof skip_reason, "%s", reason);
}

void arpg_test_note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag("", fmt, ap);
	va_end(ap);
}

const char *arpg_test_srcdir(void)
{
	const char *s = getenv("top_srcdir");

	return s && *s ? s : ".";
}

const char *arpg_test_python(void)
{
	const char *p = getenv("PYTHON3");

	return p && *p ? p : "/usr/bin/python3";
}

int arpg_test_have_torch(void)
{
	char cmd[512];

	snprintf(cmd, sizeof cmd, "%s -c 'import torch, onnx' >/dev/null 2>&1", arpg_test_python());
	return system(cmd) == 0;
}

int arpg_test_write_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	int ok;

	if (!f)
		return -1;
	ok = fwrite(buf, 1, len, f) == len;
	return fclose(f) == 0 && ok ? 0 : -1;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static int selected(const char *name, int argc, char **argv)
{
	int i;

	if (argc < 2)
		return 1;
	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], name))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	char cwd[4096], dir[4200];
	int i, n = 0, bad = 0, before;
	const char *tmp = getenv("TMPDIR");

	if (!getcwd(cwd, sizeof cwd))
		return 99;
	for (i = 0; i < ntests; i++)
		n += selected(tests[i].name, argc, argv);
	printf("1..%d\n", n);
	fflush(stdout);
	n = 0;
	for (i = 0; i < ntests; i++) {
		if (!selected(tests[i].name, argc, argv))
			continue;
		snprintf(dir, sizeof dir, "%s/arpg-test-%s-XXXXXX", tmp && *tmp ? tmp : "/tmp",
			 tests[i].name);
		if (!mkdtemp(dir) || chdir(dir)) {
			printf("Bail out! cannot make a temporary directory %s\n", dir);
			return 99;
		}
		before = failures;
		skipped = 0;
		tests[i].fn();
		if (chdir(cwd))
			return 99;
		n++;
		if (failures != before) {
			printf("not ok %d - %s\n# kept the test's directory %s\n", n, tests[i].name, dir);
			bad++;
		} else {
			if (skipped)
				printf("ok %d - %s # SKIP %s\n", n, tests[i].name, skip_reason);
			else
				printf("ok %d - %s\n", n, tests[i].name);
			nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
		}
		fflush(stdout);
	}
	return bad ? 1 : 0;
}
