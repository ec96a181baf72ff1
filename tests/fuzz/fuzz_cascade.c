/* Fuzz the cascade XML parser; a cascade that parses runs a detection on a
 * small image (all window positions, one scale and a few more). */
#include <stdint.h>
#include <stdlib.h>
#include "face/cascade.h"
#include "error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arpg_cascade *c;
	struct arpg_rect *r = NULL;
	struct arpg_cascade_params p = { .scale_factor = 1.1, .min_size = 1 };
	uint8_t img[40 * 36];
	char err[256];
	int i, n;

	if (arpg_cascade_parse(&c, data, size, err, sizeof err) < 0)
		return 0;
	for (i = 0; i < (int)sizeof img; i++)
		img[i] = (uint8_t)((i * 7 + (i / 40) * 13) ^ (i % 40 < 20 ? 0x55 : 0));
	n = arpg_cascade_detect(c, img, 40, 36, 40, &p, &r);
	if (n < 0 && n != ARPG_ENOMEM && n != ARPG_ERANGE)
		__builtin_trap();
	free(r);
	arpg_cascade_free(c);
	return 0;
}
