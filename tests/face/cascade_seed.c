/* cascade_seed.c - loading the fuzz corpus's cascades in tests. */
#include <stdio.h>

#include "cascade_seed.h"
#include "error.h"
#include "harness.h"

int seed_load(struct arpg_cascade **c, const char *name, char *err, size_t errn)
{
	char path[1024];

	snprintf(path, sizeof path, "%s/tests/fuzz/corpus/cascade/%s", arpg_test_srcdir(), name);
	return arpg_cascade_load(c, path, err, errn);
}

struct arpg_cascade *seed(const char *name)
{
	struct arpg_cascade *c;
	char err[256];
	int rc = seed_load(&c, name, err, sizeof err);

	if (rc < 0) {
		arpg_test_fail(__FILE__, __LINE__, "%s: %s: %s", name, arpg_strerror(rc), err);
		return NULL;
	}
	return c;
}
