/* Fuzz the manifest parser and stream reader. */
#include <stdio.h>
#include <stdint.h>
#include "manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arpg_manifest_row r = { 0 };
	struct arpg_manifest_reader rd;
	char err[256];
	FILE *f;
	int rc, guard = 0;

	arpg_manifest_parse(&r, (const char *)data, size, err, sizeof err);
	if (size && (f = fmemopen((void *)data, size, "r"))) {
		arpg_manifest_reader_init(&rd, f, "fuzz");
		while ((rc = arpg_manifest_next(&rd, &r)) != 0 && rc != -2 && guard++ < 100000)
			if (rc == 1 && !r.clip_id[0])
				__builtin_trap();
		arpg_manifest_reader_free(&rd);
		fclose(f);
	}
	arpg_manifest_row_free(&r);
	return 0;
}
