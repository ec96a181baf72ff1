/* Fuzz archive enumeration: a buffer read as an archive by libarchive, its
 * entries classified under each layout, clip data read into memory. */
#include <stdint.h>
#include <stdlib.h>

#include "dataset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int take(void *ctx, struct arpg_clip *c)
{
	(void)ctx;
	if (!c->id || !c->split || !c->label || !c->subject || (c->len && !c->data))
		__builtin_trap();
	arpg_clip_free(c);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum arpg_layout layouts[] = { ARPG_LAYOUT_AFEW, ARPG_LAYOUT_RML,
						    ARPG_LAYOUT_DIR };
	struct arpg_dataset_sink sink = { NULL, NULL, take, NULL };
	struct arpg_dataset *ds;
	char err[512];
	long problems = 0;
	int i;

	for (i = 0; i < 3; i++) {
		if (arpg_dataset_new(&ds, layouts[i]) < 0)
			return 0;
		arpg_dataset_scan_memory(ds, "Train_fuzz.zip", data, size, &sink, &problems,
					 err, sizeof err);
		arpg_dataset_free(ds);
	}
	return 0;
}
