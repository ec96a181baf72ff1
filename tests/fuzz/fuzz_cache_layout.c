/* Fuzz the reader of a cache's layout from its meta: the input is meta
 * text, "key<TAB>value" lines, as arpg-features info prints them without
 * its "meta" column.  A layout read must be consistent. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "cache.h"
#include "kv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arpg_kv meta = ARPG_KV_INIT;
	struct arpg_cache_layout l;
	char *text = malloc(size + 1), *line, *save = NULL, err[256];

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *tab = strchr(line, '\t');

		if (tab) {
			*tab = 0;
			arpg_kv_set(&meta, line, tab + 1);
		}
	}
	if (arpg_cache_layout_read(&l, &meta, err, sizeof err) == 0) {
		int nodes = 0, off = 0;

		if (l.ngrids < 1 || l.ngrids > ARPG_CACHE_MAX_GRIDS || (l.views != 1 && l.views != 2))
			__builtin_trap();
		for (int i = 0; i < l.ngrids; i++) {
			if (l.grids[i] < 1 || l.grids[i] > ARPG_CACHE_MAX_GRID ||
			    arpg_cache_grid_offset(&l, l.grids[i]) != off)
				__builtin_trap();
			off += l.grids[i] * l.grids[i];
			nodes += l.grids[i] * l.grids[i];
		}
		if (nodes != l.nodes)
			__builtin_trap();
	}
	arpg_kv_free(&meta);
	free(text);
	return 0;
}
