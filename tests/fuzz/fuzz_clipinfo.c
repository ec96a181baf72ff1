/* Fuzz the cache's clips value parser; a parsed value must format back to
 * the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "cache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arpg_clip_info info = { 0 };
	char err[256], *line;
	size_t len;

	if (arpg_clip_info_parse(&info, data, size, err, sizeof err) == 0 &&
	    arpg_clip_info_format(&line, &len, &info) == 0) {
		/* leading zeros ("007") parse but format canonically: compare values */
		struct arpg_clip_info again = { 0 };

		if (arpg_clip_info_parse(&again, line, len, err, sizeof err) ||
		    again.frames != info.frames ||
		    memcmp(again.src, info.src, sizeof *info.src * (size_t)info.frames))
			__builtin_trap();
		arpg_clip_info_free(&again);
		free(line);
	}
	arpg_clip_info_free(&info);
	return 0;
}
