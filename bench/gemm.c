/* bench/gemm - sgemm GFLOP/s on the shapes arpg uses, with libarpg's BLIS
 * set-up against BLIS left to pick its own kernels, 1 and 2 threads, in one
 * run.  BLIS reads its kernel choice once per process, so each setting runs
 * in a child process (this program re-executed with --child).
 *
 *	bench/gemm [SECONDS_PER_CASE]
 */
#include "blis_setup.h"
#include "progress.h"

#include <blis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const int shapes[][3] = {	/* M N K */
	{ 18432, 256, 256 },	/* patch projection: B*T*N nodes x Dp -> D */
	{ 4096, 576, 64 },	/* conv as GEMM: 64->64 3x3 at 56x56 region */
	{ 512, 256, 512 },	/* appearance projection: B*T x Da -> D */
	{ 12544, 256, 2304 },	/* iresnet stage-3 3x3 conv at 14x14, batch 64 */
};
enum { NSHAPES = sizeof shapes / sizeof shapes[0] };

/* Runs every shape with the current process's BLIS; prints "arch g1 g2 ...". */
static int child(int threads, int keep, double seconds)
{
	struct arpg_blis_info info;
	int s;

	if (arpg_blis_setup(threads, keep, &info) < 0)
		return 1;
	printf("%s", info.arch);
	for (s = 0; s < NSHAPES; s++) {
		int m = shapes[s][0], n = shapes[s][1], k = shapes[s][2], reps = 0;
		float *a = malloc(sizeof *a * m * k), *b = malloc(sizeof *b * k * n),
		      *c = malloc(sizeof *c * m * n), one = 1, zero = 0;
		double t0, t;
		long i;

		for (i = 0; i < (long)m * k; i++)
			a[i] = (float)(i % 17) * 0.01f;
		for (i = 0; i < (long)k * n; i++)
			b[i] = (float)(i % 13) * 0.01f;
		bli_sgemm(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, m, n, k, &one, a, k, 1, b, n, 1,
			  &zero, c, n, 1);	/* warm-up */
		t0 = arpg_now();
		do {
			bli_sgemm(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, m, n, k, &one, a, k, 1, b,
				  n, 1, &zero, c, n, 1);
			reps++;
		} while ((t = arpg_now() - t0) < seconds);
		printf(" %.1f", 2.0 * m * n * k * reps / t * 1e-9);
		free(a);
		free(b);
		free(c);
	}
	printf("\n");
	return 0;
}

int main(int argc, char **argv)
{
	double seconds = 1.0, g[2][2][NSHAPES];
	char arch[2][2][32], cmd[4200], line[512];
	int th, keep, s;

	if (argc == 5 && !strcmp(argv[1], "--child"))
		return child(atoi(argv[2]), atoi(argv[3]), atof(argv[4]));
	if (argc > 1)
		seconds = atof(argv[1]);
	unsetenv("BLIS_ARCH_TYPE");
	unsetenv("ARPG_BLIS_ARCH");
	printf("sgemm GFLOP/s, %.1f s per case; CPU: %s\n", seconds,
	       arpg_cpu_intel_avx512() ? "Intel with AVX-512 (arpg selects skx)"
	       : arpg_cpu_amd_avx512_unknown() ? "AMD with AVX-512, newer than this BLIS knows (arpg selects skx)"
	       : "BLIS's own choice kept");
	for (th = 1; th <= 2; th++)
		for (keep = 0; keep <= 1; keep++) {
			FILE *p;
			char *tok;

			snprintf(cmd, sizeof cmd, "'%s' --child %d %d %g", argv[0], th, keep, seconds);
			if (!(p = popen(cmd, "r")) || !fgets(line, sizeof line, p)) {
				fprintf(stderr, "gemm: child failed\n");
				return 1;
			}
			pclose(p);
			tok = strtok(line, " \n");
			snprintf(arch[th - 1][keep], 32, "%s", tok);
			for (s = 0; s < NSHAPES; s++)
				g[th - 1][keep][s] = atof(strtok(NULL, " \n"));
		}
	printf("%-18s %7s  %-8s %8s  %-8s %8s  %6s\n", "M x N x K", "threads", "arpg", "GFLOP/s",
	       "BLIS", "GFLOP/s", "ratio");
	for (th = 1; th <= 2; th++)
		for (s = 0; s < NSHAPES; s++) {
			char shape[32];

			snprintf(shape, sizeof shape, "%dx%dx%d", shapes[s][0], shapes[s][1],
				 shapes[s][2]);
			printf("%-18s %7d  %-8s %8.1f  %-8s %8.1f  %5.2fx\n", shape, th,
			       arch[th - 1][0], g[th - 1][0][s], arch[th - 1][1], g[th - 1][1][s],
			       g[th - 1][0][s] / g[th - 1][1][s]);
		}
	return 0;
}
