/* Fuzz archive enumeration: a buffer read as an archive by libarchive, its
 * entries classified under each layout, clip data read into memory. */
#include <stdint.h>
#include <stdlib.h>

#include "dataset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int take(void *ctx, struct clip *c)
{
	(void)ctx;
	if (!c->id || !c->split || !c->label || !c->subject || (c->len && !c->data))
		__builtin_trap();
	clip_free(c);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum layout layouts[] = { LAYOUT_AFEW, LAYOUT_RML,
						    LAYOUT_DIR };
	struct dataset_sink sink = { NULL, NULL, take, NULL, NULL };
	struct dataset *ds;
	char err[512];
	long problems = 0;
	int i;

	for (i = 0; i < 3; i++) {
		if (dataset_new(&ds, layouts[i]) < 0)
			return 0;
		dataset_scan_memory(ds, "Train_fuzz.zip", data, size, &sink, &problems,
					 err, sizeof err);
		dataset_free(ds);
	}
	return 0;
}
