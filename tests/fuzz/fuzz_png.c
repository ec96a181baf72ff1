/* Fuzz PNG decoding through libpng, as gray, RGB and native. */
#include <stdint.h>
#include "image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arpg_image im;
	char err[256];
	int c;

	for (c = 0; c <= 3; c += (c ? 2 : 1))
		if (arpg_png_decode(&im, data, size, c, err, sizeof err) == 0) {
			if (im.w <= 0 || im.h <= 0 || !im.px)
				__builtin_trap();
			arpg_image_free(&im);
		}
	return 0;
}
