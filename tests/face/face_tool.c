/* face_tool.c - drives shape.c and align.c over PPM images and boxes, for
 * the comparisons with dlib and OpenCV (tests/face/test_shape_dlib.sh,
 * tests/face/test_align_cv2.sh) and bench/face_landmarks.sh.
 *
 *   face_tool landmarks MODEL < LIST          per line: x0 y0 ... (floats)
 *   face_tool align MODEL SIZE OUTDIR < LIST  per line: the 5 points, M;
 *                                             OUTDIR/<line>.ppm the crop
 *   face_tool bench MODEL SIZE SECONDS < LIST landmarks + warp per second
 * LIST lines: IMAGE.ppm X Y W H (an RGB P6 PPM, the detection box).
 *   face_tool clip MODEL SIZE EQUALIZE SHEET FRAME.ppm...
 *     the whole of face.c (Debian's cascade) over the frames as one clip;
 *     per frame: detected x y w h M0..M5; SHEET (unless "-"): a PPM contact
 *     sheet of the crops, 10 per row.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "face/align.h"
#include "error.h"
#include "face/tracker.h"
#include "image.h"
#include "face/shape.h"
#include "ppm.h"

struct job {
	char path[1024];
	struct arpg_rect box;
	struct arpg_image im, grey;
	int owner;		/* 1 if this job holds the pixels (others share them) */
};

static void free_jobs(struct job *j, int n)
{
	for (int i = 0; i < n; i++)
		if (j[i].owner) {
			arpg_image_free(&j[i].im);
			arpg_image_free(&j[i].grey);
		}
	free(j);
}

static int read_jobs(struct job **out)
{
	struct job *j = NULL;
	int n = 0, cap = 0, k;
	char line[1200];

	while (fgets(line, sizeof line, stdin)) {
		struct job t;
		memset(&t, 0, sizeof t);
		if (sscanf(line, "%1023s %d %d %d %d", t.path, &t.box.x, &t.box.y, &t.box.w,
			   &t.box.h) != 5)
			continue;
		if (n == cap && !(j = realloc(j, sizeof *j * (size_t)(cap = cap ? 2 * cap : 16))))
			return -1;
		j[n] = t;
		for (k = 0; k < n; k++)
			if (!strcmp(j[k].path, t.path))
				break;
		if (k < n) {
			/* share the pixels of an image already read */
			j[n].im = j[k].im;
			j[n].grey = j[k].grey;
		} else {
			size_t i, np;
			j[n].owner = 1;
			if (ppm_read(t.path, &j[n].im) < 0) {
				fprintf(stderr, "face_tool: %s: not a P6 PPM\n", t.path);
				return -1;
			}
			if (arpg_image_alloc(&j[n].grey, j[n].im.w, j[n].im.h, 1) < 0)
				return -1;
			np = (size_t)j[n].im.w * j[n].im.h;
			for (i = 0; i < np; i++)
				j[n].grey.px[i] = (uint8_t)(((unsigned)j[n].im.px[3 * i] +
							     j[n].im.px[3 * i + 1] +
							     j[n].im.px[3 * i + 2]) / 3);
		}
		n++;
	}
	*out = j;
	return n;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int clip(int argc, char **argv)
{
	struct arpg_face_options o;
	struct arpg_face_models *fm = NULL;
	struct arpg_image *frames, *crops, sheet;
	struct arpg_frame_row *out;
	int n = argc - 6, size = atoi(argv[3]), i, k, rc, found;
	char err[512];

	arpg_face_options_default(&o);
	o.landmarks = argv[2];
	o.equalize = atoi(argv[4]);
	if ((rc = arpg_face_models_load(&fm, &o, err, sizeof err)) < 0) {
		fprintf(stderr, "face_tool: %s: %s\n", arpg_strerror(rc), err);
		return 1;
	}
	frames = calloc((size_t)n, sizeof *frames);
	crops = calloc((size_t)n, sizeof *crops);
	out = calloc((size_t)n, sizeof *out);
	if (!frames || !crops || !out)
		return 1;
	for (i = 0; i < n; i++)
		if (ppm_read(argv[6 + i], &frames[i]) < 0) {
			fprintf(stderr, "face_tool: %s: not a P6 PPM\n", argv[6 + i]);
			return 1;
		}
	if ((found = arpg_face_align_clip(fm, frames, n, size, 0, crops, out, NULL, 0)) < 0) {
		fprintf(stderr, "face_tool: %s\n", arpg_strerror(found));
		return 1;
	}
	for (i = 0; i < n; i++) {
		printf("%d %g %g %g %g", out[i].detected, out[i].box[0], out[i].box[1],
		       out[i].box[2], out[i].box[3]);
		for (k = 0; k < 6; k++)
			printf(" %.17g", out[i].M[k]);
		printf("\n");
	}
	if (strcmp(argv[5], "-")) {
		int cols = n < 10 ? n : 10, rows = (n + 9) / 10, y;
		if (arpg_image_alloc(&sheet, cols * size, rows * size, 3) < 0)
			return 1;
		for (i = 0; i < n; i++)
			for (y = 0; y < size; y++)
				memcpy(sheet.px + ((size_t)(i / 10 * size + y) * sheet.w +
						   (size_t)(i % 10) * size) * 3,
				       crops[i].px + (size_t)y * size * 3, (size_t)size * 3);
		if (ppm_write(argv[5], &sheet) < 0)
			return 1;
		arpg_image_free(&sheet);
	}
	for (i = 0; i < n; i++) {
		arpg_image_free(&frames[i]);
		arpg_image_free(&crops[i]);
	}
	free(frames);
	free(crops);
	free(out);
	arpg_face_models_free(fm);
	fprintf(stderr, "face_tool: %d of %d frames with a face\n", found, n);
	return 0;
}

int main(int argc, char **argv)
{
	struct arpg_shape_predictor *sp = NULL;
	struct job *jobs = NULL;
	char err[512];
	float xy[2 * 200];
	int n, i, k, rc;

	if (argc < 3) {
		fprintf(stderr, "usage: face_tool landmarks|align|bench MODEL [ARGS] < LIST\n");
		return 2;
	}
	if (!strcmp(argv[1], "clip") && argc >= 7)
		return clip(argc, argv);
	if ((rc = arpg_shape_load(&sp, argv[2], err, sizeof err)) < 0) {
		fprintf(stderr, "face_tool: %s: %s\n", arpg_strerror(rc), err);
		return 1;
	}
	if (arpg_shape_points(sp) > 200 || (n = read_jobs(&jobs)) < 0)
		return 1;
	if (!strcmp(argv[1], "landmarks")) {
		for (i = 0; i < n; i++) {
			struct job *j = &jobs[i];
			if (arpg_shape_predict(sp, j->grey.px, j->grey.w, j->grey.h, j->grey.w,
					       &j->box, xy) < 0)
				return 1;
			for (k = 0; k < 2 * arpg_shape_points(sp); k++)
				printf("%s%.4f", k ? " " : "", xy[k]);
			printf("\n");
		}
	} else if (!strcmp(argv[1], "align") && argc == 5) {
		int size = atoi(argv[3]);
		for (i = 0; i < n; i++) {
			struct job *j = &jobs[i];
			struct arpg_image crop;
			double five[10], M[6];
			char path[2048];
			if (arpg_shape_predict(sp, j->grey.px, j->grey.w, j->grey.h, j->grey.w,
					       &j->box, xy) < 0)
				return 1;
			arpg_align_five(five, xy);
			if (arpg_align_transform(M, xy, size) < 0 ||
			    arpg_align_warp(&crop, &j->im, M, size) < 0)
				return 1;
			for (k = 0; k < 10; k++)
				printf("%.17g ", five[k]);
			for (k = 0; k < 6; k++)
				printf("%s%.17g", k ? " " : "", M[k]);
			printf("\n");
			snprintf(path, sizeof path, "%s/%d.ppm", argv[4], i);
			if (ppm_write(path, &crop) < 0)
				return 1;
			arpg_image_free(&crop);
		}
	} else if (!strcmp(argv[1], "bench") && argc == 5) {
		int size = atoi(argv[3]);
		double secs = atof(argv[4]), t0 = now(), el, tl = 0, tw = 0;
		long cnt = 0;
		do {
			for (i = 0; i < n; i++) {
				struct job *j = &jobs[i];
				struct arpg_image crop;
				double M[6], t1 = now(), t2;
				arpg_shape_predict(sp, j->grey.px, j->grey.w, j->grey.h, j->grey.w,
						   &j->box, xy);
				t2 = now();
				if (arpg_align_transform(M, xy, size) == 0 &&
				    arpg_align_warp(&crop, &j->im, M, size) == 0)
					arpg_image_free(&crop);
				tl += t2 - t1;
				tw += now() - t2;
				cnt++;
			}
			el = now() - t0;
		} while (el < secs);
		printf("faces/s %.1f landmarks_us %.1f warp_us %.1f\n", cnt / el, 1e6 * tl / cnt,
		       1e6 * tw / cnt);
	} else {
		fprintf(stderr, "face_tool: unknown command %s\n", argv[1]);
		return 2;
	}
	free_jobs(jobs, n);
	arpg_shape_free(sp);
	return 0;
}
