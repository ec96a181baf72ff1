/* pool.c - adaptive average pooling (see pool.h). */
#include "pool.h"

void pool_bin(int i, int n, int G, int *start, int *end)
{
	long long a = (long long)i * n, b = (long long)(i + 1) * n;

	*start = (int)(a / G);
	*end = (int)((b + G - 1) / G);
}

/* One output value: the mean of plane p (H, W) over the bin. */
static float cell_mean(const float *p, int W, int r0, int r1, int c0, int c1)
{
	double s = 0;
	int r, c;

	for (r = r0; r < r1; r++)
		for (c = c0; c < c1; c++)
			s += p[(long)r * W + c];
	return (float)(s / ((double)(r1 - r0) * (c1 - c0)));
}

void pool_adaptive_avg(float *out, const float *in, int C, int H, int W, int G)
{
	int ch, i, j, r0, r1, c0, c1;

	for (ch = 0; ch < C; ch++) {
		const float *p = in + (long)ch * H * W;

		for (i = 0; i < G; i++) {
			pool_bin(i, H, G, &r0, &r1);
			for (j = 0; j < G; j++) {
				pool_bin(j, W, G, &c0, &c1);
				out[((long)ch * G + i) * G + j] = cell_mean(p, W, r0, r1, c0, c1);
			}
		}
	}
}

void pool_adaptive_avg_nodes(float *out, const float *in, int C, int H, int W, int G)
{
	int ch, i, j, r0, r1, c0, c1;

	for (i = 0; i < G; i++) {
		pool_bin(i, H, G, &r0, &r1);
		for (j = 0; j < G; j++) {
			pool_bin(j, W, G, &c0, &c1);
			for (ch = 0; ch < C; ch++)
				out[((long)i * G + j) * C + ch] =
					cell_mean(in + (long)ch * H * W, W, r0, r1, c0, c1);
		}
	}
}
