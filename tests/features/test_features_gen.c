/* test_features_gen.c - writes small synthetic clips for the arpg-features
 * tests and benchmark: DIR/clipNNNN/NNNNNN.png (112x112 RGB), frames.tsv,
 * and DIR/manifest.tsv.
 *
 *   test_features_gen DIR NCLIPS NFRAMES [SEED]
 *
 * Clip i: label = AFEW's labels in turn, split val when i % 3 == 2 else
 * train, subject s(i%4+1); frame f has no face when f % 5 == 3.  Images are
 * a deterministic pattern (gradients, an ellipse, noise) of clip, frame
 * and seed.  NFRAMES may be "i" for a varying count: 3 + i % 7.
 */
#include "error.h"
#include "frames_tsv.h"
#include "image.h"
#include "manifest.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const labels[7] = { "Angry", "Disgust", "Fear", "Happy", "Neutral", "Sad",
				       "Surprise" };

static unsigned lcg(unsigned *s)
{
	*s = *s * 1664525u + 1013904223u;
	return *s >> 8;
}

static void draw(struct arpg_image *im, int clip, int frame, unsigned seed)
{
	unsigned s = seed * 7919u + (unsigned)clip * 104729u + (unsigned)frame * 31u + 1;
	double cx = 56 + 20 * sin(clip + 0.3 * frame), cy = 56 + 15 * cos(0.7 * clip);
	double ax = 20 + clip % 13, ay = 28 + frame % 9;
	int x, y, ch;

	for (y = 0; y < im->h; y++)
		for (x = 0; x < im->w; x++) {
			double dx = (x - cx) / ax, dy = (y - cy) / ay;
			int inside = dx * dx + dy * dy < 1;

			for (ch = 0; ch < 3; ch++) {
				int v = (x * (ch + 1 + clip % 3) + y * (3 - ch) + frame * 5) % 200;

				v += inside ? 55 : 0;
				v += (int)(lcg(&s) % 16);
				im->px[(y * im->w + x) * 3 + ch] = (unsigned char)(v > 255 ? 255 : v);
			}
		}
}

int main(int argc, char **argv)
{
	struct arpg_image im = { 0 };
	struct arpg_manifest_row r;
	char path[4096], id[64];
	FILE *man, *tsv;
	int nclips, nframes, i, f, k, vary, faces;
	unsigned seed;

	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: test_features_gen DIR NCLIPS NFRAMES|i [SEED]\n");
		return 2;
	}
	nclips = atoi(argv[2]);
	vary = !strcmp(argv[3], "i");
	nframes = vary ? 0 : atoi(argv[3]);
	seed = argc > 4 ? (unsigned)atoi(argv[4]) : 1;
	mkdir(argv[1], 0777);
	snprintf(path, sizeof path, "%s/manifest.tsv", argv[1]);
	if (!(man = fopen(path, "w")) || arpg_image_alloc(&im, 112, 112, 3) < 0) {
		perror(path);
		return 1;
	}
	arpg_manifest_write_header(man);
	for (i = 0; i < nclips; i++) {
		int n = vary ? 3 + i % 7 : nframes;

		snprintf(id, sizeof id, "clip%04d", i);
		snprintf(path, sizeof path, "%s/%s", argv[1], id);
		mkdir(path, 0777);
		snprintf(path, sizeof path, "%s/%s/frames.tsv", argv[1], id);
		if (!(tsv = fopen(path, "w"))) {
			perror(path);
			return 1;
		}
		arpg_frames_tsv_write_header(tsv, ARPG_FRAMES_TSV_BASE);
		for (f = faces = 0; f < n; f++) {
			fprintf(tsv, "%d\t%d\t10\t10\t90\t90", f, f % 5 != 3);
			for (k = 0; k < 136 + 6; k++)
				fprintf(tsv, "\t%d", k);
			fprintf(tsv, "\n");
			faces += f % 5 != 3;
			draw(&im, i, f, seed);
			snprintf(path, sizeof path, "%s/%s/%06d.png", argv[1], id, f);
			if (arpg_png_write(&im, path, 1) < 0) {
				perror(path);
				return 1;
			}
		}
		fclose(tsv);
		snprintf(path, sizeof path, "%s/%s", argv[1], id);
		memset(&r, 0, sizeof r);
		r.clip_id = id;
		r.split = i % 3 == 2 ? "val" : "train";
		r.label = (char *)labels[i % 7];
		snprintf(path + 2048, 64, "s%d", i % 4 + 1);
		r.subject = path + 2048;
		r.frames = n;
		r.faces = faces;
		r.path = path;
		arpg_manifest_write_row(man, &r);
	}
	arpg_image_free(&im);
	return fclose(man) ? 1 : 0;
}
