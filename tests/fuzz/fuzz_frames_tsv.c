/* Fuzz the frames.tsv reader: any bytes give 0, ARPG_EFORMAT or
 * ARPG_ENOMEM, and on success the flags agree with the counts and the
 * labels are -1 or class indices. */
#include <stdint.h>
#include <stdlib.h>
#include "error.h"
#include "frames_tsv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arpg_frames_tsv ft;
	char err[256];
	long i, ones = 0;
	int rc = arpg_frames_tsv_parse(&ft, data, size, err, sizeof err);

	if (rc != 0 && rc != ARPG_EFORMAT && rc != ARPG_ENOMEM)
		__builtin_trap();
	for (i = 0; rc == 0 && i < ft.n; i++) {
		if (ft.detected[i] != 0 && ft.detected[i] != 1)
			__builtin_trap();
		ones += ft.detected[i];
	}
	if (rc == 0 && (ft.faces > ft.rows || ones > ft.faces || (ft.rows && ft.n < 1)))
		__builtin_trap();
	/* a label column: a label per frame, -1 or below the class count */
	for (i = 0; rc == 0 && (ft.cols & ARPG_FRAMES_TSV_LABEL) && ft.rows && i < ft.n; i++)
		if (!ft.labels || !ft.label_classes || ft.labels[i] < -1)
			__builtin_trap();
	arpg_frames_tsv_free(&ft);
	return 0;
}
