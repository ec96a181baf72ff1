/* Fuzz the frames.tsv parser of arpg-features: any bytes give 0 or
 * ARPG_EFORMAT, and on success every flag is '0' or '1'. */
#include <stdint.h>
#include <stdlib.h>
#include "error.h"
#include "frames_tsv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char flags[40], err[256];
	int i, n = size ? 1 + data[0] % 40 : 1;
	int rc = frames_tsv_parse(flags, n, (const char *)data, size, err, sizeof err);

	if (rc != 0 && rc != ARPG_EFORMAT)
		__builtin_trap();
	for (i = 0; rc == 0 && i < n; i++)
		if (flags[i] != '0' && flags[i] != '1')
			__builtin_trap();
	return 0;
}
