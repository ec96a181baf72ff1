/* layers.c - forward and backward of the head's layers. */
#include "layers.h"

#include <blis.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void gemm(int m, int n, int k, const float *A, int rsa, int csa, const float *B, int rsb,
	  int csb, float beta, float *C, int ldc)
{
	float one = 1.0f;

	if (m == 0 || n == 0)
		return;
	bli_sgemm(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, m, n, k, &one, (float *)A, rsa, csa,
		  (float *)B, rsb, csb, &beta, C, ldc, 1);
}

void gemm_naive(int m, int n, int k, const float *A, int rsa, int csa, const float *B,
		int rsb, int csb, float beta, float *C, int ldc)
{
	int i, j, p;

	for (i = 0; i < m; i++)
		for (j = 0; j < n; j++) {
			float s = 0;

			for (p = 0; p < k; p++)
				s += A[(long)i * rsa + (long)p * csa] * B[(long)p * rsb + (long)j * csb];
			C[(long)i * ldc + j] = (beta == 0 ? 0 : beta * C[(long)i * ldc + j]) + s;
		}
}

void linear_fwd(float *y, const float *x, const float *w, const float *b, int n, int D, int E)
{
	long i;
	int e;

	gemm(n, E, D, x, D, 1, w, E, 1, 0.0f, y, E);
	if (b) {
#pragma omp parallel for schedule(static) private(e)
		for (i = 0; i < n; i++)
			for (e = 0; e < E; e++)
				y[i * E + e] += b[e];
	}
}

void linear_bwd(float *dx, float *dw, float *db, const float *dy, const float *x,
		const float *w, int n, int D, int E)
{
	long i;
	int e;

	if (dx)		/* dx (n,D) += dy (n,E) w^T (E,D) */
		gemm(n, D, E, dy, E, 1, w, 1, E, 1.0f, dx, D);
	/* dw (D,E) += x^T (D,n) dy (n,E) */
	gemm(D, E, n, x, 1, D, dy, E, 1, 1.0f, dw, E);
	if (db)
		for (i = 0; i < n; i++)
			for (e = 0; e < E; e++)
				db[e] += dy[i * E + e];
}

void elu_fwd(float *y, const float *x, long n)
{
	long i;

#pragma omp parallel for schedule(static)
	for (i = 0; i < n; i++)
		y[i] = x[i] > 0 ? x[i] : expm1f(x[i]);
}

void elu_bwd(float *dx, const float *dy, const float *x, long n)
{
	long i;

#pragma omp parallel for schedule(static)
	for (i = 0; i < n; i++)
		dx[i] += x[i] > 0 ? dy[i] : dy[i] * expf(x[i]);
}

void layernorm_fwd(float *y, float *mean, float *rstd, const float *x, const float *g,
		   const float *b, int n, int D)
{
	long i;

#pragma omp parallel for schedule(static)
	for (i = 0; i < n; i++) {
		const float *xi = x + i * D;
		float *yi = y + i * D;
		double s = 0, ss = 0;
		float m, r;
		int d;

		for (d = 0; d < D; d++)
			s += xi[d];
		m = (float)(s / D);
		for (d = 0; d < D; d++)
			ss += (double)(xi[d] - m) * (xi[d] - m);
		r = (float)(1.0 / sqrt(ss / D + 1e-5));
		for (d = 0; d < D; d++)
			yi[d] = (xi[d] - m) * r * g[d] + b[d];
		mean[i] = m;
		rstd[i] = r;
	}
}

void layernorm_bwd(float *dx, float *dg, float *db, const float *dy, const float *x,
		   const float *mean, const float *rstd, const float *g, int n, int D)
{
	long i;
	int d;

#pragma omp parallel for schedule(static) private(d)
	for (i = 0; i < n; i++) {
		const float *xi = x + i * D, *dyi = dy + i * D;
		float *dxi = dx + i * D, m = mean[i], r = rstd[i];
		double sum_dxh = 0, sum_dxh_xh = 0;
		float a, c;

		for (d = 0; d < D; d++) {
			float xh = (xi[d] - m) * r, dxh = dyi[d] * g[d];

			sum_dxh += dxh;
			sum_dxh_xh += (double)dxh * xh;
		}
		a = (float)(sum_dxh / D);
		c = (float)(sum_dxh_xh / D);
		for (d = 0; d < D; d++) {
			float xh = (xi[d] - m) * r;

			dxi[d] += r * (dyi[d] * g[d] - a - xh * c);
		}
	}
	/* column sums in row order: the same result for any thread count */
#pragma omp parallel for schedule(static) private(i)
	for (d = 0; d < D; d++) {
		float sg = 0, sb = 0;

		for (i = 0; i < n; i++) {
			float v = dy[i * D + d];

			sg += v * (x[i * D + d] - mean[i]) * rstd[i];
			sb += v;
		}
		dg[d] += sg;
		db[d] += sb;
	}
}

/* Attention logits of one graph and head: s_dst (n) and s_src (n). */
static void scores(float *s_dst, float *s_src, const float *z, const float *a_src,
		   const float *a_dst, int n, int D, int dh, int h)
{
	int i, k;

	for (i = 0; i < n; i++) {
		const float *zi = z + (long)i * D + h * dh;
		float sd = 0, ss = 0;

		for (k = 0; k < dh; k++) {
			sd += a_dst[h * dh + k] * zi[k];
			ss += a_src[h * dh + k] * zi[k];
		}
		s_dst[i] = sd;
		s_src[i] = ss;
	}
}

void gat_attn_fwd(float *o, float *att, const float *z, const float *a_src,
		  const float *a_dst, const uint8_t *mask, int graphs, int n, int D, int H)
{
	int dh = D / H;
	long g;

#pragma omp parallel for schedule(static)
	for (g = 0; g < graphs; g++) {
		const float *zg = z + g * n * D;
		float *og = o + g * n * D, s_dst[n], s_src[n];
		int h, i, j, k;

		for (h = 0; h < H; h++) {
			float *ag = att + ((g * H + h) * n) * (long)n;

			scores(s_dst, s_src, zg, a_src, a_dst, n, D, dh, h);
			for (i = 0; i < n; i++) {
				float *ai = ag + (long)i * n, mx = -INFINITY, sum = 0;
				float *oi = og + (long)i * D + h * dh;

				for (j = 0; j < n; j++) {
					float e = s_dst[i] + s_src[j];

					e = e > 0 ? e : 0.2f * e;
					ai[j] = e;
					if (mask[i * n + j] && e > mx)
						mx = e;
				}
				for (j = 0; j < n; j++) {
					ai[j] = mask[i * n + j] ? expf(ai[j] - mx) : 0.0f;
					sum += ai[j];
				}
				for (k = 0; k < dh; k++)
					oi[k] = 0;
				for (j = 0; j < n; j++) {
					const float *zj = zg + (long)j * D + h * dh;
					float a = ai[j] /= sum;

					if (a != 0)
						for (k = 0; k < dh; k++)
							oi[k] += a * zj[k];
				}
			}
		}
	}
}

void gat_attn_bwd(float *dz, float *da_src, float *da_dst, const float *do_,
		  const float *z, const float *att, const float *a_src, const float *a_dst,
		  const uint8_t *mask, int graphs, int n, int D, int H)
{
	int dh = D / H;
	long rows = (long)graphs * n, g, r;
	float *ds = malloc(sizeof *ds * rows * H * 2);	/* ds_dst, ds_src per row, head */
	int h, k;

#pragma omp parallel for schedule(static)
	for (g = 0; g < graphs; g++) {
		const float *zg = z + g * n * D, *dog = do_ + g * n * D;
		float *dzg = dz + g * n * D, s_dst[n], s_src[n], dalpha[n], col[n];
		int hh, i, j, kk;

		for (hh = 0; hh < H; hh++) {
			const float *ag = att + ((g * H + hh) * n) * (long)n;
			float *dsd = ds + (g * n) * H * 2, *dss;

			scores(s_dst, s_src, zg, a_src, a_dst, n, D, dh, hh);
			for (j = 0; j < n; j++)
				col[j] = 0;
			for (i = 0; i < n; i++) {
				const float *ai = ag + (long)i * n;
				const float *doi = dog + (long)i * D + hh * dh;
				float dot = 0, rowsum = 0;

				for (j = 0; j < n; j++) {
					const float *zj = zg + (long)j * D + hh * dh;
					float *dzj = dzg + (long)j * D + hh * dh, s = 0;

					if (ai[j] == 0) {
						dalpha[j] = 0;
						continue;
					}
					for (kk = 0; kk < dh; kk++) {
						s += doi[kk] * zj[kk];
						dzj[kk] += ai[j] * doi[kk];
					}
					dalpha[j] = s;
					dot += ai[j] * s;
				}
				for (j = 0; j < n; j++) {
					float de, pre;

					if (!mask[i * n + j])
						continue;
					de = ai[j] * (dalpha[j] - dot);
					pre = s_dst[i] + s_src[j];
					de *= pre > 0 ? 1.0f : 0.2f;
					rowsum += de;
					col[j] += de;
				}
				dsd[((long)i * H + hh) * 2] = rowsum;
			}
			dss = ds + (g * n) * H * 2;
			for (j = 0; j < n; j++)
				dss[((long)j * H + hh) * 2 + 1] = col[j];
			/* dz from the scores: s_dst = a_dst . z, s_src = a_src . z */
			for (i = 0; i < n; i++) {
				float *dzi = dzg + (long)i * D + hh * dh;
				float a = dsd[((long)i * H + hh) * 2], b = dss[((long)i * H + hh) * 2 + 1];

				for (kk = 0; kk < dh; kk++)
					dzi[kk] += a * a_dst[hh * dh + kk] + b * a_src[hh * dh + kk];
			}
		}
	}
	/* parameter gradients in row order: deterministic for any thread count */
	for (h = 0; h < H; h++)
		for (k = 0; k < dh; k++) {
			float sd = 0, ss = 0;

			for (r = 0; r < rows; r++) {
				float zv = z[r * D + h * dh + k];

				sd += ds[(r * H + h) * 2] * zv;
				ss += ds[(r * H + h) * 2 + 1] * zv;
			}
			da_dst[h * dh + k] += sd;
			da_src[h * dh + k] += ss;
		}
	free(ds);
}

void mean_fwd(float *y, const float *x, int groups, int n, int D)
{
	long g;

#pragma omp parallel for schedule(static)
	for (g = 0; g < groups; g++) {
		int i, d;

		for (d = 0; d < D; d++) {
			float s = 0;

			for (i = 0; i < n; i++)
				s += x[(g * n + i) * D + d];
			y[g * D + d] = s / n;
		}
	}
}

void mean_bwd(float *dx, const float *dy, int groups, int n, int D)
{
	long g;

#pragma omp parallel for schedule(static)
	for (g = 0; g < groups; g++) {
		int i, d;

		for (i = 0; i < n; i++)
			for (d = 0; d < D; d++)
				dx[(g * n + i) * D + d] += dy[g * D + d] / n;
	}
}

double xent_fwd(float *probs, const float *logits, const int *labels, int B, int C)
{
	double loss = 0;
	int b, c;

	for (b = 0; b < B; b++) {
		const float *l = logits + (long)b * C;
		float *p = probs + (long)b * C, mx = l[0];
		double sum = 0;

		for (c = 1; c < C; c++)
			if (l[c] > mx)
				mx = l[c];
		for (c = 0; c < C; c++)
			sum += exp((double)l[c] - mx);
		for (c = 0; c < C; c++)
			p[c] = (float)(exp((double)l[c] - mx) / sum);
		if (labels)
			loss += -((double)l[labels[b]] - mx - log(sum));
	}
	return loss / B;
}

void xent_bwd(float *dlogits, const float *probs, const int *labels, int B, int C)
{
	int b, c;

	for (b = 0; b < B; b++)
		for (c = 0; c < C; c++)
			dlogits[(long)b * C + c] +=
				(probs[(long)b * C + c] - (c == labels[b] ? 1.0f : 0.0f)) / B;
}

void dropout_fwd(float *y, float *keep, const float *x, long n, float p, uint64_t *rng)
{
	float scale = 1.0f / (1.0f - p);
	long i;

	for (i = 0; i < n; i++) {
		keep[i] = rng_uniform(rng) < p ? 0.0f : scale;
		y[i] = x[i] * keep[i];
	}
}

void dropout_bwd(float *dx, const float *dy, const float *keep, long n)
{
	long i;

	for (i = 0; i < n; i++)
		dx[i] += dy[i] * keep[i];
}

void posenc(float *pe, int T, int D)
{
	int t, i;

	for (t = 0; t < T; t++)
		for (i = 0; i < D; i += 2) {
			double f = t / pow(10000.0, (double)i / D);

			pe[t * D + i] = (float)sin(f);
			if (i + 1 < D)
				pe[t * D + i + 1] = (float)cos(f);
		}
}

uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

double rng_uniform(uint64_t *s)
{
	return (rng_next(s) >> 11) * (1.0 / 9007199254740992.0);
}

double rng_normal(uint64_t *s)
{
	double u = rng_uniform(s), v = rng_uniform(s);

	return sqrt(-2.0 * log(1.0 - u)) * cos(2 * M_PI * v);
}
