/* Fuzz the CNN face detectors' loading and decoding (common/face/
 * detector.c, yunet.c, scrfd.c): a buffer as a model; when it is
 * recognised as YuNet or SCRFD (64 pixels for SCRFD's letterbox), detect on
 * a 40x24 frame of a fixed pattern, so that the outputs, whatever the
 * graph made of them, go through the decoders and the suppression. */
#include <stdint.h>
#include <stdlib.h>
#include "face/detector.h"
#include "image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arpg_detector_options o = { .det_size = 64, .score = 0.05f, .threads = 1 };
	struct arpg_detector *d = NULL;
	struct arpg_detector_session *s = NULL;
	struct arpg_face_det *faces = NULL;
	struct arpg_image im = { 0 };
	uint8_t px[40 * 24 * 3];
	char err[512];
	int i;

	if (arpg_detector_load_buffer(&d, "fuzz", data, size, &o, err, sizeof err) < 0)
		return 0;
	for (i = 0; i < (int)sizeof px; i++)
		px[i] = (uint8_t)(i * 37);
	im.w = 40, im.h = 24, im.c = 3, im.px = px;
	if (arpg_detector_session_new(&s, d, im.w, im.h, err, sizeof err) == 0)
		arpg_detector_detect(s, &im, &faces, err, sizeof err);
	free(faces);
	arpg_detector_session_free(s);
	arpg_detector_free(d);
	return 0;
}
