/* grow.h - arrays that grow as items arrive, with the size arithmetic
 * checked, so that every growing array of the project reads the same:
 *
 *	struct row *more = arpg_grow(rows, &cap, n + 1, sizeof *rows);
 *
 *	if (!more)
 *		return ARPG_ENOMEM;
 *	rows = more;
 *	rows[n++] = row;
 */
#ifndef ARPG_GROW_H
#define ARPG_GROW_H

#include <stddef.h>

/* Returns array (a malloc'd block of *cap items of size bytes each, or NULL
 * with *cap 0) made to hold at least need >= 1 items: when it is short,
 * its capacity doubles (from 16 items) until need fits, the block is
 * reallocated and *cap updated.  New items are not initialised.  Returns
 * NULL when memory is short or the byte count would overflow; array and
 * *cap are then unchanged (the caller still owns and frees array). */
void *arpg_grow(void *array, size_t *cap, size_t need, size_t size);

#endif
