/* Fuzz the reader of Aff-Wild2's expression annotation files: no crash,
 * and a parsed file holds labels of -1 to 7, labelled counting the others. */
#include <stdint.h>
#include <stdlib.h>
#include "abaw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct abaw_labels a;
	char err[256];
	long labelled = 0;

	if (abaw_parse(&a, (const char *)data, size, err, sizeof err) == 0) {
		if (a.n < 1)
			__builtin_trap();
		for (long i = 0; i < a.n; i++) {
			if (a.label[i] < -1 || a.label[i] >= ABAW_CLASSES)
				__builtin_trap();
			labelled += a.label[i] >= 0;
		}
		if (labelled != a.labelled)
			__builtin_trap();
		abaw_labels_free(&a);
	}
	return 0;
}
