/* sample.c - frame sampling and clip sharding (see sample.h). */
#include "sample.h"
#include "error.h"

#include <errno.h>
#include <stdlib.h>

int sample_frames(int *idx, int n, int T)
{
	int i;

	if (T <= 0) {
		for (i = 0; i < n; i++)
			idx[i] = i;
		return n;
	}
	/* floor((i + 0.5) * n / T) = floor((2i + 1) * n / 2T), exactly */
	for (i = 0; i < T; i++)
		idx[i] = (int)(((2LL * i + 1) * n) / (2LL * T));
	return T;
}

unsigned long long fnv1a64(const char *s)
{
	unsigned long long h = 14695981039346656037ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

int shard_parse(const char *s, int *k, int *n)
{
	char *end;
	long a, b;

	errno = 0;
	a = strtol(s, &end, 10);
	if (errno || end == s || *end != '/' || a < 0)
		return ARPG_EINVAL;
	s = end + 1;
	b = strtol(s, &end, 10);
	if (errno || end == s || *end || b < 1 || b > 1000000 || a >= b)
		return ARPG_EINVAL;
	*k = (int)a;
	*n = (int)b;
	return 0;
}
