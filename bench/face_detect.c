/* face_detect.c - runs arpg_cascade_detect over a stream of grey frames.
 *
 *	face_detect [-c CASCADE] [-s SCALE] [-n NEIGHBORS] [-m MINSIZE] [-M MAXSIZE]
 *		    [-j THREADS] [-r REPEAT] [-q] [FILE|-]
 *
 * Input: binary PGM images (P5, maxval 255) one after another, as netpbm
 * streams allow.  Output on stdout, one line per frame, in input order:
 *	INDEX COUNT x y w h x y w h ...
 * On stderr: frames, seconds of detection (decoding excluded) and frames
 * per second.  With -j N, N threads take frames in turn (frame-level
 * parallelism, as arpg-preprocess spreads work); -r repeats the timed run
 * and keeps the fastest; -q prints no boxes.  The reference test
 * (tests/face/cascade_opencv.py) and the benchmark (bench/face_detect.py) use it.
 */
#include "config.h"

#include <getopt.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "face/cascade.h"
#include "error.h"

struct frame {
	int w, h;
	uint8_t *px;
	int n;
	struct arpg_rect *r;
	int rc;
};

struct job {
	const struct arpg_cascade *c;
	struct frame *f;
	int nframes, tid, nthreads;
	struct arpg_cascade_params p;
};

static int read_token(FILE *in, int *v)
{
	int ch, n = 0, got = 0;

	for (;;) {
		ch = getc(in);
		if (ch == '#') {
			while (ch != '\n' && ch != EOF)
				ch = getc(in);
			continue;
		}
		if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r')
			continue;
		break;
	}
	while (ch >= '0' && ch <= '9') {
		if (n > 100000000)
			return -1;
		n = n * 10 + (ch - '0');
		got = 1;
		ch = getc(in);
	}
	if (!got)
		return -1;
	*v = n;
	return 0;	/* the single whitespace after maxval is consumed here */
}

/* 1: a frame read, 0: end of input, -1: malformed. */
static int read_pgm(FILE *in, struct frame *f)
{
	int a = getc(in), b, maxval;

	if (a == EOF)
		return 0;
	b = getc(in);
	if (a != 'P' || b != '5' || read_token(in, &f->w) || read_token(in, &f->h) ||
	    read_token(in, &maxval) || maxval != 255 || f->w < 1 || f->h < 1 ||
	    (size_t)f->w * f->h > ((size_t)1 << 28))
		return -1;
	f->px = malloc((size_t)f->w * f->h);
	if (!f->px || fread(f->px, 1, (size_t)f->w * f->h, in) != (size_t)f->w * f->h)
		return -1;
	return 1;
}

static void *worker(void *arg)
{
	struct job *j = arg;
	int i;

	for (i = j->tid; i < j->nframes; i += j->nthreads) {
		struct frame *f = &j->f[i];

		free(f->r);
		f->r = NULL;
		f->n = arpg_cascade_detect(j->c, f->px, f->w, f->h, f->w, &j->p, &f->r);
		f->rc = f->n < 0 ? f->n : 0;
	}
	return NULL;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	const char *cpath = "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml";
	struct job jobs[64];
	pthread_t th[64];
	struct arpg_cascade *c = NULL;
	struct frame *f = NULL;
	int nf = 0, cap = 0, nthreads = 1, repeat = 1, quiet = 0, opt, i, k, t, rc, status = 0;
	struct arpg_cascade_params p;
	double best = 0;
	char err[256];
	FILE *in = stdin;

	arpg_cascade_params_default(&p);
	p.min_size = 30;
	while ((opt = getopt(argc, argv, "c:s:n:m:M:j:r:q")) != -1) {
		switch (opt) {
		case 'c': cpath = optarg; break;
		case 's': p.scale_factor = atof(optarg); break;
		case 'n': p.min_neighbors = atoi(optarg); break;
		case 'm': p.min_size = atoi(optarg); break;
		case 'M': p.max_size = atoi(optarg); break;
		case 'j': nthreads = atoi(optarg); break;
		case 'r': repeat = atoi(optarg); break;
		case 'q': quiet = 1; break;
		default:
			fprintf(stderr, "usage: face_detect [-c CASCADE] [-s SCALE] [-n NEIGHBORS] "
				"[-m MINSIZE] [-M MAXSIZE] [-j THREADS] [-r REPEAT] [-q] [FILE|-]\n");
			return 2;
		}
	}
	if (nthreads < 1 || nthreads > 64 || repeat < 1 || arpg_cascade_params_check(&p) < 0) {
		fprintf(stderr, "face_detect: bad -j, -r, -s, -n, -m or -M\n");
		return 2;
	}
	if (optind < argc && strcmp(argv[optind], "-") && !(in = fopen(argv[optind], "rb"))) {
		perror(argv[optind]);
		return 1;
	}
	if ((rc = arpg_cascade_load(&c, cpath, err, sizeof err)) < 0) {
		fprintf(stderr, "face_detect: %s: %s: %s\n", cpath, arpg_strerror(rc), err);
		return 1;
	}
	for (;;) {
		if (nf == cap) {
			struct frame *q;

			cap = cap ? cap * 2 : 64;
			q = realloc(f, sizeof *q * (size_t)cap);
			if (!q) {
				fprintf(stderr, "face_detect: out of memory\n");
				return 1;
			}
			f = q;
		}
		memset(&f[nf], 0, sizeof f[nf]);
		rc = read_pgm(in, &f[nf]);
		if (rc == 0)
			break;
		if (rc < 0) {
			fprintf(stderr, "face_detect: frame %d: not a binary 8-bit PGM\n", nf);
			return 1;
		}
		nf++;
	}
	for (k = 0; k < repeat; k++) {
		double t0 = now(), dt;

		for (t = 0; t < nthreads; t++) {
			jobs[t] = (struct job){ c, f, nf, t, nthreads, p };
			if (nthreads > 1)
				pthread_create(&th[t], NULL, worker, &jobs[t]);
			else
				worker(&jobs[t]);
		}
		if (nthreads > 1)
			for (t = 0; t < nthreads; t++)
				pthread_join(th[t], NULL);
		dt = now() - t0;
		if (k == 0 || dt < best)
			best = dt;
	}
	for (i = 0; i < nf; i++) {
		if (f[i].rc < 0) {
			fprintf(stderr, "face_detect: frame %d: %s\n", i, arpg_strerror(f[i].rc));
			status = 1;
			continue;
		}
		if (quiet)
			continue;
		printf("%d %d", i, f[i].n);
		for (k = 0; k < f[i].n; k++)
			printf(" %d %d %d %d", f[i].r[k].x, f[i].r[k].y, f[i].r[k].w, f[i].r[k].h);
		printf("\n");
	}
	fprintf(stderr, "face_detect: %d frames in %.3f s: %.2f frames/s (%d threads)\n", nf, best,
		best > 0 ? nf / best : 0, nthreads);
	for (i = 0; i < nf; i++) {
		free(f[i].px);
		free(f[i].r);
	}
	free(f);
	arpg_cascade_free(c);
	if (in != stdin)
		fclose(in);
	if (fclose(stdout))
		status = 1;
	return status;
}
