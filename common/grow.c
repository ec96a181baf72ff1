/* grow.c - growing arrays (see grow.h). */
#include "grow.h"

#include <stdint.h>
#include <stdlib.h>

void *arpg_grow(void *array, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 16;
	void *p;

	if (need <= *cap && array)
		return array;
	while (n < need) {
		if (n > SIZE_MAX / 2)
			return NULL;
		n *= 2;
	}
	if (!size || n > SIZE_MAX / size || !(p = realloc(array, n * size)))
		return NULL;
	*cap = n;
	return p;
}
