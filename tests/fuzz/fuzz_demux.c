/* Fuzz the decode path: a buffer through the custom AVIOContext, the
 * demuxer and the decoder, every frame converted to RGB and centre-cropped
 * (at most 8 frames, so that one input stays fast). */
#include <libavutil/log.h>
#include <stdint.h>
#include <stdlib.h>

#include "crop.h"
#include "decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct decode_options o = { 0, 8 };
	struct decoder *d = NULL;
	struct cropper *c = NULL;
	struct arpg_image rgb = { 0 }, crop = { 0 };
	double M[6];
	char err[256];
	int w, h;

	av_log_set_level(AV_LOG_QUIET);
	if (size && data[0] & 1)
		o.fps = 7.5;
	if (decoder_open(&d, data, size, &o, err, sizeof err) < 0)
		return 0;
	decoder_size(d, &w, &h);
	if ((long)w * h <= 4096 * 4096 && cropper_new(&c, 32) == 0)
		while (decoder_next(d, err, sizeof err) == 1) {
			decoder_rgb(d, &rgb);
			crop_centre(c, decoder_frame(d), &crop, M);
		}
	arpg_image_free(&rgb);
	arpg_image_free(&crop);
	cropper_free(c);
	decoder_close(d);
	return 0;
}
