/* detect_tool.c - drives detector.c over PPM images, for the comparisons
 * with numpy ports of the reference decoders (tests/face/detector_ref.sh)
 * and for looking at what a model finds.
 *
 *   detect_tool MODEL [-s DET_SIZE] [-t SCORE] [-r RAWDIR] IMAGE.ppm...
 *
 * Per image, a line "IMAGE N INW INH IW IH" (N faces; the model's input
 * and the frame's part of it), then N lines "score x y w h k0x k0y ...
 * k4x k4y" in the image's pixels, best first.  With -r, the model's raw
 * outputs of each image go to RAWDIR/NAME.K.f32 (NAME the image's file
 * name, K the output's index; raw floats).  Exit status 1 on an error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "face/detector.h"
#include "image.h"
#include "onnx/onnx.h"
#include "ppm.h"

static int write_raw(const struct arpg_onnx *m, const char *dir, const char *image)
{
	const char *base = strrchr(image, '/');
	int k;

	base = base ? base + 1 : image;
	for (k = 0; k < arpg_onnx_noutputs(m); k++) {
		struct arpg_onnx_tensor t;
		char path[2048];
		size_t n = 1;
		FILE *f;
		int i;
		arpg_onnx_output(m, k, &t);
		for (i = 0; i < t.rank; i++)
			n *= (size_t)t.dims[i];
		snprintf(path, sizeof path, "%s/%s.%d.f32", dir, base, k);
		if (!(f = fopen(path, "wb")) || fwrite(t.data, sizeof *t.data, n, f) != n) {
			if (f)
				fclose(f);
			return -1;
		}
		if (fclose(f))
			return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct arpg_detector_options o = { 0 };
	struct arpg_detector *d = NULL;
	struct arpg_detector_session *s = NULL;
	const char *raw = NULL;
	char err[1024];
	int i = 2, rc = 0, sw = 0, sh = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: detect_tool MODEL [-s DET_SIZE] [-t SCORE] [-r RAWDIR] "
			"IMAGE.ppm...\n");
		return 2;
	}
	for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if (!strcmp(argv[i], "-s"))
			o.det_size = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "-t"))
			o.score = (float)atof(argv[i + 1]);
		else if (!strcmp(argv[i], "-r"))
			raw = argv[i + 1];
		else
			return 2;
	}
	o.threads = 1;
	if (arpg_detector_load(&d, argv[1], &o, err, sizeof err) < 0) {
		fprintf(stderr, "detect_tool: %s\n", err);
		return 1;
	}
	fprintf(stderr, "detect_tool: %s\n", arpg_detector_describe(d));
	for (; i < argc && !rc; i++) {
		struct arpg_image im = { 0 };
		struct arpg_face_det *f = NULL;
		int n, k, j, w, h, iw, ih;
		if (ppm_read(argv[i], &im) < 0) {
			fprintf(stderr, "detect_tool: %s: not a P6 PPM\n", argv[i]);
			rc = 1;
			break;
		}
		if (im.w != sw || im.h != sh) {
			arpg_detector_session_free(s);
			s = NULL;
			sw = im.w, sh = im.h;
		}
		if ((!s && arpg_detector_session_new(&s, d, im.w, im.h, err, sizeof err) < 0) ||
		    (n = arpg_detector_detect(s, &im, &f, err, sizeof err)) < 0) {
			fprintf(stderr, "detect_tool: %s: %s\n", argv[i], err);
			arpg_image_free(&im);
			rc = 1;
			break;
		}
		arpg_detector_session_input(s, &w, &h, &iw, &ih);
		printf("%s %d %d %d %d %d\n", argv[i], n, w, h, iw, ih);
		for (k = 0; k < n; k++) {
			printf("%.9g", f[k].score);
			for (j = 0; j < 4; j++)
				printf(" %.9g", f[k].box[j]);
			for (j = 0; j < 10; j++)
				printf(" %.9g", f[k].kps[j]);
			putchar('\n');
		}
		if (raw && write_raw(arpg_detector_session_engine(s), raw, argv[i]) < 0) {
			fprintf(stderr, "detect_tool: cannot write raw outputs into %s\n", raw);
			rc = 1;
		}
		free(f);
		arpg_image_free(&im);
	}
	arpg_detector_session_free(s);
	arpg_detector_free(d);
	return rc;
}
