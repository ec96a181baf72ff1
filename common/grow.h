/* grow.h - arrays that grow as items arrive, with the size arithmetic
 * checked, so that every growing array of the project reads the same:
 *
 *	if (ARPG_GROW(rows, &cap, n + 1) < 0)
 *		return ARPG_ENOMEM;
 *	rows[n++] = row;
 */
#ifndef ARPG_GROW_H
#define ARPG_GROW_H

#include <stddef.h>
#include "error.h"

/* Returns array (a malloc'd block of *cap items of size bytes each, or NULL
 * with *cap 0) made to hold at least need >= 1 items: when it is short,
 * its capacity doubles (from 16 items) until need fits, the block is
 * reallocated and *cap updated.  New items are not initialised.  Returns
 * NULL when memory is short or the byte count would overflow; array and
 * *cap are then unchanged (the caller still owns and frees array). */
void *arpg_grow(void *array, size_t *cap, size_t need, size_t size);

/* arpg_grow on the array lvalue `array` (a pointer of any item type, size
 * from its type): 0 with array and *cap updated, or ARPG_ENOMEM with both
 * unchanged. */
#define ARPG_GROW(array, cap, need) __extension__ ({				\
	__typeof__(array) grown_ = arpg_grow((array), (cap), (need), sizeof *(array)); \
	if (grown_)							\
		(array) = grown_;					\
	grown_ ? 0 : ARPG_ENOMEM; })

#endif
