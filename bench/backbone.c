/* bench/backbone - images/s of an ONNX CNN on arpg's engine: one model,
 * one batch size, one thread count per process (BLIS reads its set-up once).
 *
 *	bench/backbone MODEL.onnx BATCH THREADS SECONDS [--profile]
 *		       [--size WxH [FRAME.f32...]]
 *
 * prints "IMG_PER_S GFLOP_PER_S ARCH".  The input is BATCH x 3 x 112 x 112
 * of a fixed pattern, or with --size W x H (a model whose input height and
 * width are free, such as a face detector), taken in turn from the
 * FRAME.f32 files (raw floats, 3 x H x W each) when given; --profile adds
 * the time per operator
 * on stderr, and with ARPG_ONNX_PROFILE_NODES set in the environment the
 * time of every convolution.  ARPG_ONNX_WINOGRAD=0 keeps every convolution
 * on im2col, as in arpg-features; ARPG_BENCH_CPU counts CPU seconds instead
 * of wall seconds (see now). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include "blis_setup.h"
#include "onnx/onnx.h"

/* Wall time, or with ARPG_BENCH_CPU set the process's CPU time: on a
 * shared machine, where other processes take the cores for a while, it
 * compares two builds at one thread more steadily than images/s. */
static double now(void)
{
	static int cpu = -1;
	struct timespec ts;

	if (cpu < 0)
		cpu = getenv("ARPG_BENCH_CPU") != NULL;
	clock_gettime(cpu ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

int main(int argc, char **argv)
{
	struct arpg_blis_info bi;
	struct arpg_onnx *m;
	char err[512];
	const float *in[1];
	float *x;
	double t0, t, secs;
	int batch, threads, reps = 0, prof, i, a = 5, w = 112, h = 112, nframes = 0;
	char **frames = NULL;
	size_t n;

	if (argc < 5) {
		fprintf(stderr, "usage: backbone MODEL.onnx BATCH THREADS SECONDS [--profile]\n");
		return 2;
	}
	batch = atoi(argv[2]);
	threads = atoi(argv[3]);
	secs = atof(argv[4]);
	if ((prof = argc > a && !strcmp(argv[a], "--profile")))
		a++;
	if (argc > a + 1 && !strcmp(argv[a], "--size")) {
		if (sscanf(argv[a + 1], "%dx%d", &w, &h) != 2 || w < 1 || h < 1) {
			fprintf(stderr, "backbone: --size %s: give WxH\n", argv[a + 1]);
			return 2;
		}
		frames = argv + a + 2;
		nframes = argc - a - 2;
	}
	if (arpg_blis_setup(threads, 0, &bi) < 0)
		return 1;
#ifdef _OPENMP
	omp_set_num_threads(bi.threads);	/* as arpg-features: THREADS is the whole engine's */
#endif
	if (arpg_onnx_load_file(&m, argv[1], err, sizeof err) < 0) {
		fprintf(stderr, "backbone: %s\n", err);
		return 1;
	}
	arpg_onnx_set_winograd(m, arpg_onnx_winograd_parse(getenv("ARPG_ONNX_WINOGRAD")));
	if ((w != 112 || h != 112 || frames) &&
	    arpg_onnx_set_input_shape(m, 0, 4, (int64_t[]){ batch, 3, h, w }, err, sizeof err) < 0) {
		fprintf(stderr, "backbone: %s\n", err);
		return 1;
	}
	if (arpg_onnx_prepare(m, batch, err, sizeof err) < 0) {
		fprintf(stderr, "backbone: %s\n", err);
		return 1;
	}
	n = (size_t)batch * 3 * h * w;
	if (!(x = malloc((nframes > 1 ? nframes : 1) * n * sizeof *x)))
		return 1;
	for (i = 0; i < (int)n; i++)
		x[i] = (float)((i * 7919) % 255) / 127.5f - 1;
	for (i = 0; i < nframes; i++) {
		FILE *f = fopen(frames[i], "rb");
		size_t got = f ? fread(x + i * n, sizeof *x, n, f) : 0;
		if (f)
			fclose(f);
		if (got != n) {
			fprintf(stderr, "backbone: %s: not %zu floats\n", frames[i], n);
			return 1;
		}
	}
	in[0] = x;
	if (arpg_onnx_run(m, batch, in, err, sizeof err) < 0) {
		fprintf(stderr, "backbone: %s\n", err);
		return 1;
	}
	arpg_onnx_set_profile(m, !prof ? ARPG_ONNX_PROFILE_OFF : getenv("ARPG_ONNX_PROFILE_NODES")
			      ? ARPG_ONNX_PROFILE_NODES : ARPG_ONNX_PROFILE_OPS);
	t0 = now();
	do {
		in[0] = x + (nframes > 1 ? (size_t)(reps % nframes) * n : 0);
		arpg_onnx_run(m, batch, in, err, sizeof err);
		reps++;
	} while ((t = now() - t0) < secs || reps < 2);
	printf("%.2f %.1f %s\n", reps * batch / t, arpg_onnx_flops(m) * reps / t * 1e-9, bi.arch);
	if (prof)
		arpg_onnx_profile_print(m, stderr);
	arpg_onnx_free(m);
	free(x);
	return 0;
}
