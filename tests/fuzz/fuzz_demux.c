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
	struct arpg_decode_options o = { 0, 8 };
	struct arpg_decoder *d = NULL;
	struct arpg_cropper *c = NULL;
	struct arpg_image rgb = { 0 }, crop = { 0 };
	double M[6];
	char err[256];
	int w, h;

	av_log_set_level(AV_LOG_QUIET);
	if (size && data[0] & 1)
		o.fps = 7.5;
	if (arpg_decoder_open(&d, data, size, &o, err, sizeof err) < 0)
		return 0;
	arpg_decoder_size(d, &w, &h);
	if ((long)w * h <= 4096 * 4096 && arpg_cropper_new(&c, 32) == 0)
		while (arpg_decoder_next(d, err, sizeof err) == 1) {
			arpg_decoder_rgb(d, &rgb);
			arpg_crop_centre(c, arpg_decoder_frame(d), &crop, M);
		}
	arpg_image_free(&rgb);
	arpg_image_free(&crop);
	arpg_cropper_free(c);
	arpg_decoder_close(d);
	return 0;
}
