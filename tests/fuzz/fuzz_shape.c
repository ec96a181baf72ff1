/* Fuzz the dlib shape_predictor parser (plain and bzip2), and run a parsed
 * model once on a small image, so that every index it accepted is used. */
#include <stdint.h>
#include <stdlib.h>
#include "face/shape.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t img[32 * 24];
	struct arpg_shape_predictor *sp;
	struct arpg_rect box = { 4, 3, 20, 18 };
	char err[256];
	float *xy;
	size_t i;

	if (arpg_shape_parse(&sp, data, size, err, sizeof err) < 0)
		return 0;
	for (i = 0; i < sizeof img; i++)
		img[i] = (uint8_t)(i * 37);
	xy = malloc(2 * sizeof *xy * (size_t)arpg_shape_points(sp));
	if (xy && arpg_shape_predict(sp, img, 32, 24, 32, &box, xy) != 0)
		__builtin_trap();
	free(xy);
	arpg_shape_free(sp);
	return 0;
}
