/* test_preprocess_framemd5 FILE [FPS [MAX]] - prints the MD5 of every frame
 * decode.c gives for FILE, as full-size RGB24, one per line: the test
 * compares them with "ffmpeg -i FILE -f framemd5 -pix_fmt rgb24 -".
 * Exit 0, or 1 with the reason on stderr. */
#include <libavutil/log.h>
#include <libavutil/md5.h>
#include <stdio.h>
#include <stdlib.h>

#include "decode.h"
#include "error.h"

int main(int argc, char **argv)
{
	struct decode_options o = { 0, 0 };
	struct decoder *d = NULL;
	struct arpg_image im = { 0 };
	char err[512] = "";
	unsigned char *buf = NULL, md5[16];
	size_t len = 0, cap = 0, got;
	FILE *f;
	int r, i;

	if (argc < 2 || !(f = fopen(argv[1], "rb"))) {
		fprintf(stderr, "usage: test_preprocess_framemd5 FILE [FPS [MAX]]\n");
		return 1;
	}
	if (argc > 2)
		o.fps = atof(argv[2]);
	if (argc > 3)
		o.max_frames = atol(argv[3]);
	do {
		if (len == cap && !(buf = realloc(buf, cap = cap ? 2 * cap : 1 << 16)))
			return 1;
		got = fread(buf + len, 1, cap - len, f);
		len += got;
	} while (got);
	fclose(f);
	av_log_set_level(AV_LOG_QUIET);
	if ((r = decoder_open(&d, buf, len, &o, err, sizeof err)) < 0) {
		fprintf(stderr, "%s: %s: %s\n", argv[1], arpg_strerror(r), err);
		return 1;
	}
	while ((r = decoder_next(d, err, sizeof err)) == 1) {
		if (decoder_rgb(d, &im) < 0)
			return 1;
		av_md5_sum(md5, im.px, (size_t)im.w * (size_t)im.h * 3);
		for (i = 0; i < 16; i++)
			printf("%02x", md5[i]);
		putchar('\n');
	}
	if (r < 0) {
		fprintf(stderr, "%s: %s: %s\n", argv[1], arpg_strerror(r), err);
		return 1;
	}
	arpg_image_free(&im);
	decoder_close(d);
	free(buf);
	return fclose(stdout) ? 1 : 0;
}
