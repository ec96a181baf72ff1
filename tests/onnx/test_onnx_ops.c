/* test_onnx_ops.c - the operators (common/onnx/onnx_ops.c) on models built
 * here, against naive loops in double: a padded strided convolution with
 * its Relu, a batch norm whose statistics are graph inputs (applied at
 * run time, not folded), depthwise convolutions, and the operators of the
 * face detectors' heads (Transpose, Sigmoid, Resize, Concat, Softmax). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "error.h"
#include "onnx/onnx.h"
#include "onnx_testmodel.h"

ARPG_TEST(onnx_conv_relu_matches_naive)
{
	struct arpg_onnx *m = NULL;
	struct arpg_onnx_tensor t;
	float x[2 * 5 * 5];
	double ref[3 * 3 * 3];
	const float *in[1] = { x };
	char err[512];
	size_t len;
	uint8_t *buf;
	int i;

	for (i = 0; i < (int)(sizeof tm_conv_w / sizeof *tm_conv_w); i++)
		tm_conv_w[i] = (float)((i * 37 % 17) - 8) / 8;
	for (i = 0; i < 3; i++)
		tm_conv_b[i] = 0.25f * (i - 1);
	for (i = 0; i < 50; i++)
		x[i] = (float)((i * 13 % 11) - 5) / 5;
	buf = tm_conv_relu(TM_OK, &len);
	expect_int(arpg_onnx_load(&m, buf, len, err, sizeof err), 0);
	free(buf);
	if (!m)
		return;
	expect_int(arpg_onnx_prepare(m, 1, err, sizeof err), 0);
	expect_int(arpg_onnx_run(m, 1, in, err, sizeof err), 0);
	expect_int(arpg_onnx_output(m, 0, &t), 0);
	expect_int(t.rank, 4);
	expect_int(t.dims[1] * t.dims[2] * t.dims[3], 27);
	tm_conv_ref(ref, x, tm_conv_w, tm_conv_b, 1, 2, 5, 5, 3, 3, 2, 1);
	for (i = 0; i < 27; i++)
		expect_near(t.data[i], ref[i] > 0 ? ref[i] : 0, 1e-5);
	arpg_onnx_free(m);
}

ARPG_TEST(onnx_batch_norm_of_graph_inputs_matches_naive)
{
	static const int64_t xd[4] = { 1, 3, 4, 4 }, three = 3;
	static const char *const names[5] = { "x", "s", "b", "mu", "var" };
	float v[5][48];
	const float *in[5];
	struct arpg_onnx *m = NULL;
	struct arpg_onnx_tensor y;
	struct tmodel *t = tm_new(13);
	unsigned seed = 9;
	char err[512];
	int i, c, p;

	tm_input(t, "x", 4, xd);
	for (i = 1; i < 5; i++)
		tm_input(t, names[i], 1, &three);
	tm_node(t, "BatchNormalization", "bn", "x,s,b,mu,var", "y");
	tm_float(t, "epsilon", 1e-3f);
	tm_output(t, "y", 0, NULL);
	tm_random(v[0], 48, -2, 2, &seed);
	for (i = 1; i < 5; i++)
		tm_random(v[i], 3, i == 4 ? 0.5f : -1, 1.5f, &seed);
	for (i = 0; i < 5; i++)
		in[i] = v[i];
	if (tm_prepare(t, 0, &m, err, sizeof err) < 0 || arpg_onnx_run(m, 1, in, err, sizeof err) < 0 ||
	    arpg_onnx_output(m, 0, &y) < 0) {
		arpg_test_fail(__FILE__, __LINE__, "%s", err);
		arpg_onnx_free(m);
		return;
	}
	for (c = 0; c < 3; c++)
		for (p = 0; p < 16; p++) {
			double k = v[1][c] / sqrt((double)v[4][c] + 1e-3f);
			expect_near(y.data[c * 16 + p], (v[0][c * 16 + p] - v[3][c]) * k + v[2][c], 1e-5);
		}
	arpg_onnx_free(m);
}

/* y (N,M,OH,OW) = act(grouped conv(x (N,C,H,W), w (M,C/G,kh,kw)) + b) + res,
 * in double, as the ONNX operator defines it. */
struct gconv {
	int N, C, H, W, M, G, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr;
};

static void gconv_ref(double *y, const float *x, const float *w, const float *b,
		      const struct gconv *g, int relu, const float *res)
{
	int OH = (g->H + g->pt + g->pb - (g->kh - 1) * g->dh - 1) / g->sh + 1;
	int OW = (g->W + g->pl + g->pr - (g->kw - 1) * g->dw - 1) / g->sw + 1;
	int Cg = g->C / g->G, Mg = g->M / g->G, n, mo, oy, ox, c, ky, kx;

	for (n = 0; n < g->N; n++)
		for (mo = 0; mo < g->M; mo++)
			for (oy = 0; oy < OH; oy++)
				for (ox = 0; ox < OW; ox++) {
					double s = b[mo];
					int idx = ((n * g->M + mo) * OH + oy) * OW + ox;
					for (c = 0; c < Cg; c++)
						for (ky = 0; ky < g->kh; ky++)
							for (kx = 0; kx < g->kw; kx++) {
								int iy = oy * g->sh - g->pt + ky * g->dh;
								int ix = ox * g->sw - g->pl + kx * g->dw;
								int ci = mo / Mg * Cg + c;
								if (iy < 0 || iy >= g->H || ix < 0 || ix >= g->W)
									continue;
								s += (double)x[((n * g->C + ci) * g->H + iy) * g->W + ix] *
									w[((mo * Cg + c) * g->kh + ky) * g->kw + kx];
							}
					if (relu && s < 0)
						s = 0;
					y[idx] = s + (res ? res[idx] : 0);
				}
}

/* Convolution g (weights M x C/G x kh x kw) with a fused Relu, with a
 * fused residual Add, and alone (no activation: onx_pw_run's finish
 * without the select), at batch N and every smaller one, against
 * gconv_ref; ci names the case in failures. */
static void check_gconv(const struct gconv *g, size_t ci)
{
	int OH = (g->H + g->pt + g->pb - (g->kh - 1) * g->dh - 1) / g->sh + 1;
	int OW = (g->W + g->pl + g->pr - (g->kw - 1) * g->dw - 1) / g->sw + 1;
	int nx = g->N * g->C * g->H * g->W, ny = g->N * g->M * OH * OW;
	int nw = g->M * g->C / g->G * g->kh * g->kw, i, v;
	float *x = malloc(nx * sizeof *x), *w = malloc(nw * sizeof *w);
	float *b = malloc(g->M * sizeof *b), *r = malloc(ny * sizeof *r);
	double *ref = malloc(ny * sizeof *ref);
	unsigned seed = 7 + ci;

	tm_random(x, nx, -1, 1, &seed);
	tm_random(w, nw, -1, 1, &seed);
	tm_random(b, g->M, -0.5f, 0.5f, &seed);
	tm_random(r, ny, -1, 1, &seed);
	for (v = 0; v < 3; v++) {
		int resid = v == 1, relu = v < 2;
		struct tmodel *t = tm_new(13);
		struct arpg_onnx *m = NULL;
		struct arpg_onnx_tensor y;
		const float *in[2] = { x, r };
		char err[512];
		int n;
		tm_input(t, "x", 4, (int64_t[]){ g->N, g->C, g->H, g->W });
		if (resid)
			tm_input(t, "r", 4, (int64_t[]){ g->N, g->M, OH, OW });
		tm_init(t, "W", 4, (int64_t[]){ g->M, g->C / g->G, g->kh, g->kw }, w);
		tm_init(t, "B", 1, (int64_t[]){ g->M }, b);
		tm_node(t, "Conv", "conv", "x,W,B", relu ? "c" : "y");
		tm_int(t, "group", g->G);
		tm_ints(t, "strides", 2, (int64_t[]){ g->sh, g->sw });
		tm_ints(t, "dilations", 2, (int64_t[]){ g->dh, g->dw });
		tm_ints(t, "pads", 4, (int64_t[]){ g->pt, g->pl, g->pb, g->pr });
		if (relu)
			tm_node(t, "Relu", "relu", "c", resid ? "a" : "y");
		if (resid)
			tm_node(t, "Add", "add", "a,r", "y");
		tm_output(t, "y", 0, NULL);
		gconv_ref(ref, x, w, b, g, relu, resid ? r : NULL);
		if (tm_prepare(t, g->N, &m, err, sizeof err) < 0) {
			arpg_test_fail(__FILE__, __LINE__, "case %zu: %s", ci, err);
			continue;
		}
		for (n = g->N; n >= 1; n--) {
			if (arpg_onnx_run(m, n, in, err, sizeof err) < 0 ||
			    arpg_onnx_output(m, 0, &y) < 0) {
				arpg_test_fail(__FILE__, __LINE__, "case %zu: %s", ci, err);
				break;
			}
			expect_int(y.dims[2] * 1000 + y.dims[3], OH * 1000 + OW);
			for (i = 0; i < n * g->M * OH * OW; i++)
				if (fabs(y.data[i] - ref[i]) > 1e-5 * (1 + fabs(ref[i]))) {
					arpg_test_fail(__FILE__, __LINE__, "case %zu variant %d batch %d: "
						       "y[%d] = %.7g, expected %.7g", ci, v,
						       n, i, y.data[i], ref[i]);
					break;
				}
		}
		arpg_onnx_free(m);
	}
	free(x), free(w), free(b), free(r), free(ref);
}

/* Depthwise convolutions (a group per channel: their own kernel, not
 * im2col) with strides, asymmetric pads, dilations, two filters per
 * channel, a fused Relu and a fused residual Add, at batch 2 and 1. */
ARPG_TEST(onnx_depthwise_conv_matches_naive)
{
	static const struct gconv cases[] = {
		{ 2, 4, 7, 9, 8, 4, 3, 3, 2, 2, 1, 1, 1, 0, 1, 2 },
		{ 2, 3, 8, 6, 3, 3, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2 },
		{ 2, 5, 6, 11, 5, 5, 3, 5, 1, 2, 1, 1, 1, 2, 0, 1 },
		{ 2, 1, 5, 5, 1, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1 },
		/* 3x3, stride 1 (YuNet's): the fused rows, wide enough for
		 * vectors and a tail, with edges of every padding */
		{ 1, 3, 6, 37, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1 },
		{ 1, 2, 4, 9, 2, 2, 3, 3, 1, 1, 1, 1, 0, 2, 2, 0 },
		{ 1, 2, 5, 3, 2, 2, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0 },
		{ 1, 2, 3, 2, 2, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1 },
		/* rows of whole vectors, read in place (dw3_direct): one
		 * vector both first and last, then first, middle and last */
		{ 1, 2, 5, 16, 2, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1 },
		{ 2, 3, 6, 48, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1 },
	};
	size_t ci;

	for (ci = 0; ci < sizeof cases / sizeof *cases; ci++)
		check_gconv(&cases[ci], ci);
}

/* Convolutions with few output channels (onnx_pw.c's register tiles
 * rather than BLIS): YuNet's pointwise convs and heads, and its first
 * 3x3 stride-2 conv through im2col; channel counts that leave partial
 * tiles, columns that leave partial vectors, groups, batch 2 and 1. */
ARPG_TEST(onnx_small_conv_matches_naive)
{
	static const struct gconv cases[] = {
		{ 1, 16, 5, 21, 16, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0 },
		{ 2, 7, 9, 9, 11, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0 },
		{ 1, 64, 3, 50, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0 },
		{ 1, 64, 15, 20, 64, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0 },
		{ 1, 8, 6, 10, 6, 2, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0 },
		{ 1, 3, 20, 33, 16, 1, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1 },
		/* rows split by vectors and the rest one by one */
		{ 1, 3, 9, 75, 16, 1, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1 },
		{ 2, 5, 7, 8, 4, 1, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0 },
		{ 1, 4, 3, 4, 5, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0 },
	};
	size_t ci;

	for (ci = 0; ci < sizeof cases / sizeof *cases; ci++)
		check_gconv(&cases[ci], 100 + ci);
}

/* A 3x3 depthwise conv, its Relu and a MaxPool 2x2 stride 2 (YuNet's
 * downsampling, fused into the conv: its rows pooled as they are made)
 * on maps of even and odd sizes, padded and not, at batch 2 and 1. */
ARPG_TEST(onnx_depthwise_relu_maxpool_matches_naive)
{
	static const struct gconv cases[] = {
		{ 2, 3, 8, 37, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1 },
		{ 2, 2, 7, 9, 2, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1 },
		{ 2, 4, 9, 12, 4, 4, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0 },
		{ 1, 2, 7, 32, 2, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1 },	/* dw3_direct */
		/* dw3_direct_pool: one vector, pairs and a last single vector */
		{ 2, 2, 6, 16, 2, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1 },
		{ 1, 3, 9, 48, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1 },
		{ 2, 2, 8, 80, 2, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1 },
		{ 1, 2, 5, 64, 2, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1 },
	};
	size_t ci;

	for (ci = 0; ci < sizeof cases / sizeof *cases; ci++) {
		const struct gconv *g = &cases[ci];
		int OH = g->H + g->pt + g->pb - 2, OW = g->W + g->pl + g->pr - 2;
		int PH = OH / 2, PW = OW / 2, nx = g->N * g->C * g->H * g->W, i, n, py, px;
		float *x = malloc(nx * sizeof *x), w[4 * 9], b[4];
		double *ref = malloc(g->N * g->M * OH * OW * sizeof *ref);
		struct tmodel *t = tm_new(13);
		struct arpg_onnx *m = NULL;
		struct arpg_onnx_tensor y;
		const float *in[1] = { x };
		unsigned seed = 31 + ci;
		char err[512];

		tm_random(x, nx, -1, 1, &seed);
		tm_random(w, g->M * 9, -1, 1, &seed);
		tm_random(b, g->M, -0.5f, 0.5f, &seed);
		tm_input(t, "x", 4, (int64_t[]){ g->N, g->C, g->H, g->W });
		tm_init(t, "W", 4, (int64_t[]){ g->M, 1, 3, 3 }, w);
		tm_init(t, "B", 1, (int64_t[]){ g->M }, b);
		tm_node(t, "Conv", "dw", "x,W,B", "c");
		tm_int(t, "group", g->G);
		tm_ints(t, "pads", 4, (int64_t[]){ g->pt, g->pl, g->pb, g->pr });
		tm_node(t, "Relu", "relu", "c", "a");
		tm_node(t, "MaxPool", "pool", "a", "y");
		tm_ints(t, "kernel_shape", 2, (int64_t[]){ 2, 2 });
		tm_ints(t, "strides", 2, (int64_t[]){ 2, 2 });
		tm_output(t, "y", 0, NULL);
		gconv_ref(ref, x, w, b, g, 1, NULL);
		if (tm_prepare(t, g->N, &m, err, sizeof err) < 0) {
			arpg_test_fail(__FILE__, __LINE__, "case %zu: %s", ci, err);
			goto next;
		}
		for (n = g->N; n >= 1; n--) {
			if (arpg_onnx_run(m, n, in, err, sizeof err) < 0 ||
			    arpg_onnx_output(m, 0, &y) < 0) {
				arpg_test_fail(__FILE__, __LINE__, "case %zu: %s", ci, err);
				break;
			}
			expect_int(y.dims[2] * 1000 + y.dims[3], PH * 1000 + PW);
			for (i = 0; i < n * g->M; i++)
				for (py = 0; py < PH; py++)
					for (px = 0; px < PW; px++) {
						const double *r = ref + (i * OH + 2 * py) * OW + 2 * px;
						double e = fmax(fmax(r[0], r[1]), fmax(r[OW], r[OW + 1]));
						float v = y.data[(i * PH + py) * PW + px];

						if (fabs(v - e) > 1e-5) {
							arpg_test_fail(__FILE__, __LINE__, "case %zu batch %d: "
								       "plane %d (%d,%d) = %.7g, expected %.7g",
								       ci, n, i, py, px, v, e);
							goto next;
						}
					}
		}
next:
		arpg_onnx_free(m);
		free(x), free(ref);
	}
}

/* MaxPool 2x2 stride 2 (YuNet's downsampling, its own kernel): the max
 * of each window, a NaN wherever the window holds one, an odd last
 * row and column left out, across rows long enough for vectors. */
/* x (N,K,H,W) -> 1x1 Conv -> "mid" (N,M,H,W) -> depthwise 3x3 Conv padded 1
 * -> Relu [-> MaxPool 2x2], prepared for batch N on th threads; with tap,
 * "mid" is kept, which keeps the 1x1 conv a node of its own. */
static struct arpg_onnx *pw_dw_model(int N, int K, int M, int H, int W, int pool, int th,
				     int tap, const float *w1, const float *b1, const float *w2,
				     const float *b2, char *err, size_t errn)
{
	struct tmodel *t = tm_new(13);
	struct arpg_onnx *m = NULL;

	tm_input(t, "x", 4, (int64_t[]){ N, K, H, W });
	tm_init(t, "W1", 4, (int64_t[]){ M, K, 1, 1 }, w1);
	tm_init(t, "B1", 1, (int64_t[]){ M }, b1);
	tm_init(t, "W2", 4, (int64_t[]){ M, 1, 3, 3 }, w2);
	tm_init(t, "B2", 1, (int64_t[]){ M }, b2);
	tm_node(t, "Conv", "pw", "x,W1,B1", "mid");
	tm_node(t, "Conv", "dw", "mid,W2,B2", "c");
	tm_int(t, "group", M);
	tm_ints(t, "pads", 4, (int64_t[]){ 1, 1, 1, 1 });
	tm_node(t, "Relu", "relu", "c", pool ? "a" : "y");
	if (pool) {
		tm_node(t, "MaxPool", "pool", "a", "y");
		tm_ints(t, "kernel_shape", 2, (int64_t[]){ 2, 2 });
		tm_ints(t, "strides", 2, (int64_t[]){ 2, 2 });
	}
	tm_output(t, "y", 0, NULL);
	if (tm_load(t, &m, err, errn) < 0 || (tap && arpg_onnx_tap(m, "mid", err, errn) < 0) ||
	    arpg_onnx_set_threads(m, th) < 0) {
		arpg_onnx_free(m);
		return NULL;
	}
	return m;
}

/* The 1x1 conv fused into the depthwise conv (bands of rows, the halo
 * moved between bands, rows split between threads, an odd last row under
 * a pool) gives the bits the two nodes give apart, at every batch size. */
ARPG_TEST(onnx_pointwise_into_depthwise_equals_unfused)
{
	static const struct { int N, K, M, H, W, pool, th; } cases[] = {
		{ 2, 8, 64, 13, 300, 1, 2 },	/* bands of 4 rows */
		{ 2, 8, 64, 13, 300, 0, 1 },
		{ 1, 5, 16, 23, 40, 0, 2 },
		{ 3, 3, 7, 9, 17, 1, 2 },
		{ 1, 5, 16, 11, 48, 1, 2 },	/* rows read in place */
		{ 2, 4, 8, 7, 16, 0, 1 },
	};
	size_t ci;

	for (ci = 0; ci < sizeof cases / sizeof *cases; ci++) {
		int N = cases[ci].N, K = cases[ci].K, M = cases[ci].M, H = cases[ci].H;
		int W = cases[ci].W, pool = cases[ci].pool, th = cases[ci].th, n;
		size_t nx = (size_t)N * K * H * W;
		float *x = malloc(nx * sizeof *x), *w1 = malloc(M * K * sizeof *w1);
		float *b1 = malloc(M * sizeof *b1), *w2 = malloc(M * 9 * sizeof *w2);
		float *b2 = malloc(M * sizeof *b2);
		const float *in[1] = { x };
		struct arpg_onnx *m[2] = { NULL, NULL };
		unsigned seed = 7 + ci;
		char err[512];
		int k;

		tm_random(x, nx, -1, 1, &seed);
		tm_random(w1, M * K, -1, 1, &seed);
		tm_random(b1, M, -0.5f, 0.5f, &seed);
		tm_random(w2, M * 9, -1, 1, &seed);
		tm_random(b2, M, -0.5f, 0.5f, &seed);
		for (k = 0; k < 2; k++) {
			m[k] = pw_dw_model(N, K, M, H, W, pool, th, k, w1, b1, w2, b2, err,
					   sizeof err);
			if (!m[k] || arpg_onnx_prepare(m[k], N, err, sizeof err) < 0) {
				arpg_test_fail(__FILE__, __LINE__, "case %zu: %s", ci, err);
				goto next;
			}
		}
		for (n = N; n >= 1; n--) {
			struct arpg_onnx_tensor y[2];

			for (k = 0; k < 2; k++)
				if (arpg_onnx_run(m[k], n, in, err, sizeof err) < 0 ||
				    arpg_onnx_output(m[k], 0, &y[k]) < 0) {
					arpg_test_fail(__FILE__, __LINE__, "case %zu: %s", ci, err);
					goto next;
				}
			expect_int(y[0].dims[2] * 1000 + y[0].dims[3],
				   pool ? H / 2 * 1000 + W / 2 : H * 1000 + W);
			if (memcmp(y[0].data, y[1].data,
				   (size_t)n * M * y[0].dims[2] * y[0].dims[3] * sizeof *y[0].data))
				arpg_test_fail(__FILE__, __LINE__, "case %zu batch %d: fused and "
					       "unfused outputs differ", ci, n);
		}
next:
		arpg_onnx_free(m[0]);
		arpg_onnx_free(m[1]);
		free(x), free(w1), free(b1), free(w2), free(b2);
	}
}

/* An Add after a depthwise conv with its pool fused is not folded into
 * the conv (whose pooled rows take no residual): x -> dw conv -> Relu ->
 * MaxPool -> + r gives the pool plus r. */
ARPG_TEST(onnx_add_after_a_fused_pool_is_kept)
{
	float x[2 * 4 * 4], r[2 * 2 * 2], w[2 * 9] = { 0 }, b[2] = { 0.25f, -0.5f };
	const float *in[2] = { x, r };
	struct tmodel *t = tm_new(13);
	struct arpg_onnx *m = NULL;
	struct arpg_onnx_tensor y;
	unsigned seed = 3;
	char err[512];
	int i;

	tm_random(x, 32, -1, 1, &seed);
	tm_random(r, 8, -1, 1, &seed);
	tm_input(t, "x", 4, (int64_t[]){ 1, 2, 4, 4 });
	tm_input(t, "r", 4, (int64_t[]){ 1, 2, 2, 2 });
	tm_init(t, "W", 4, (int64_t[]){ 2, 1, 3, 3 }, w);
	tm_init(t, "B", 1, (int64_t[]){ 2 }, b);
	tm_node(t, "Conv", "dw", "x,W,B", "c");
	tm_int(t, "group", 2);
	tm_ints(t, "pads", 4, (int64_t[]){ 1, 1, 1, 1 });
	tm_node(t, "Relu", "relu", "c", "a");
	tm_node(t, "MaxPool", "pool", "a", "p");
	tm_ints(t, "kernel_shape", 2, (int64_t[]){ 2, 2 });
	tm_ints(t, "strides", 2, (int64_t[]){ 2, 2 });
	tm_node(t, "Add", "add", "p,r", "y");
	tm_output(t, "y", 0, NULL);
	if (tm_prepare(t, 0, &m, err, sizeof err) < 0 || arpg_onnx_run(m, 1, in, err, sizeof err) < 0 ||
	    arpg_onnx_output(m, 0, &y) < 0) {
		arpg_test_fail(__FILE__, __LINE__, "%s", err);
		arpg_onnx_free(m);
		return;
	}
	/* zero weights: the pooled map is relu(bias) per channel */
	for (i = 0; i < 8; i++)
		expect_int(y.data[i] == (i < 4 ? 0.25f : 0) + r[i], 1);
	arpg_onnx_free(m);
}

ARPG_TEST(onnx_maxpool_2x2_matches_naive)
{
	enum { C = 3, H = 9, W = 41, OH = H / 2, OW = W / 2 };
	static float x[C * H * W];
	struct tmodel *t = tm_new(13);
	struct arpg_onnx *m = NULL;
	struct arpg_onnx_tensor y;
	const float *in[1] = { x };
	unsigned seed = 3;
	char err[512];

	tm_random(x, C * H * W, -2, 2, &seed);
	x[1 * H * W + 2 * W + 7] = NAN;		/* window (1, 3) of channel 1 */
	x[2 * H * W + 5 * W + 40] = NAN;	/* the last column: outside every window */
	tm_input(t, "x", 4, (int64_t[]){ 1, C, H, W });
	tm_node(t, "MaxPool", "mp", "x", "y");
	tm_ints(t, "kernel_shape", 2, (int64_t[]){ 2, 2 });
	tm_ints(t, "strides", 2, (int64_t[]){ 2, 2 });
	tm_output(t, "y", 0, NULL);
	if (tm_prepare(t, 1, &m, err, sizeof err) < 0 || arpg_onnx_run(m, 1, in, err, sizeof err) < 0 ||
	    arpg_onnx_output(m, 0, &y) < 0) {
		arpg_test_fail(__FILE__, __LINE__, "%s", err);
		arpg_onnx_free(m);
		return;
	}
	expect_int(y.dims[2] * 1000 + y.dims[3], OH * 1000 + OW);
	for (int c = 0; c < C; c++)
		for (int oy = 0; oy < OH; oy++)
			for (int ox = 0; ox < OW; ox++) {
				const float *p = x + c * H * W + 2 * oy * W + 2 * ox;
				float want = fmaxf(fmaxf(p[0], p[1]), fmaxf(p[W], p[W + 1]));
				float got = y.data[(c * OH + oy) * OW + ox];
				int nan = p[0] != p[0] || p[1] != p[1] || p[W] != p[W] || p[W + 1] != p[W + 1];

				if (nan ? got == got : got != want) {
					arpg_test_fail(__FILE__, __LINE__, "y[%d,%d,%d] = %g, expected %g",
						       c, oy, ox, got, nan ? NAN : want);
					c = C, oy = OH;
					break;
				}
			}
	arpg_onnx_free(m);
}

/* YuNet's head as the model has it: Conv -> Transpose (0,2,3,1) ->
 * Reshape (1,-1,C) -> Sigmoid; and its upsampling: Resize-11 with an
 * empty roi, scales (1,1,2,2), nearest, asymmetric, floor. */
ARPG_TEST(onnx_transpose_reshape_sigmoid_resize_as_yunet)
{
	static const float scales[4] = { 1, 1, 2, 2 };
	static const int64_t shp[3] = { 1, -1, 3 };
	struct tmodel *t = tm_new(11);
	struct arpg_onnx *m = NULL;
	struct arpg_onnx_tensor y, u;
	float x[3 * 4 * 5];
	const float *in[1] = { x };
	unsigned seed = 3;
	char err[512];
	int c, i, j;

	tm_random(x, 60, -6, 6, &seed);
	tm_input(t, "x", 4, (int64_t[]){ 1, 3, 4, 5 });
	tm_init(t, "roi", 1, (int64_t[]){ 0 }, scales);
	tm_init(t, "scales", 1, (int64_t[]){ 4 }, scales);
	tm_init_i64(t, "shape", 1, (int64_t[]){ 3 }, shp);
	tm_node(t, "Transpose", "tr", "x", "t");
	tm_ints(t, "perm", 4, (int64_t[]){ 0, 2, 3, 1 });
	tm_node(t, "Reshape", "rs", "t,shape", "r");
	tm_node(t, "Sigmoid", "sg", "r", "y");
	tm_node(t, "Resize", "up", "x,roi,scales", "u");
	tm_string(t, "coordinate_transformation_mode", "asymmetric");
	tm_string(t, "mode", "nearest");
	tm_string(t, "nearest_mode", "floor");
	tm_output(t, "y", 0, NULL);
	tm_output(t, "u", 0, NULL);
	if (tm_prepare(t, 1, &m, err, sizeof err) < 0 || arpg_onnx_run(m, 1, in, err, sizeof err) < 0) {
		arpg_test_fail(__FILE__, __LINE__, "%s", err);
		arpg_onnx_free(m);
		return;
	}
	arpg_onnx_output(m, 0, &y);
	arpg_onnx_output(m, 1, &u);
	expect_int(y.rank, 3);
	expect_int(y.dims[1], 20);
	expect_int(u.dims[2] * 100 + u.dims[3], 810);
	for (i = 0; i < 20; i++)
		for (c = 0; c < 3; c++)
			expect_near(y.data[i * 3 + c], 1 / (1 + exp(-(double)x[c * 20 + i])), 1e-6);
	for (c = 0; c < 3; c++)
		for (i = 0; i < 8; i++)
			for (j = 0; j < 10; j++)
				expect_near(u.data[(c * 8 + i) * 10 + j], x[(c * 4 + i / 2) * 5 + j / 2], 0);
	arpg_onnx_free(m);
}

/* The same passes on tensors large enough to be shared among threads
 * (shares that are not whole planes or rows): Resize (1,1,2,2) -> Add ->
 * Sigmoid -> Transpose (0,2,3,1) -> Reshape, against the formula, and the
 * same bits at 1 and 2 threads. */
ARPG_TEST(onnx_elementwise_passes_on_two_threads_match_one)
{
	enum { N = 2, C = 5, H = 37, W = 41, NX = N * C * H * W, NY = 4 * NX };
	static const float scales[4] = { 1, 1, 2, 2 };
	static const int64_t shp[3] = { N, -1, C };
	float *x = malloc(NX * sizeof *x), *s = malloc(NY * sizeof *s);
	float *y1 = malloc(NY * sizeof *y1);
	struct arpg_onnx *m = NULL;
	unsigned seed = 11;
	char err[512];
	int th, n, c, i, j;

	tm_random(x, NX, -4, 4, &seed);
	tm_random(s, NY, -4, 4, &seed);
	for (th = 1; th <= 2; th++) {
		struct tmodel *t = tm_new(11);
		const float *in[2] = { x, s };
		struct arpg_onnx_tensor y;

		tm_input(t, "x", 4, (int64_t[]){ N, C, H, W });
		tm_input(t, "s", 4, (int64_t[]){ N, C, 2 * H, 2 * W });
		tm_init(t, "roi", 1, (int64_t[]){ 0 }, scales);
		tm_init(t, "scales", 1, (int64_t[]){ 4 }, scales);
		tm_init_i64(t, "shape", 1, (int64_t[]){ 3 }, shp);
		tm_node(t, "Resize", "up", "x,roi,scales", "u");
		tm_string(t, "coordinate_transformation_mode", "asymmetric");
		tm_string(t, "mode", "nearest");
		tm_string(t, "nearest_mode", "floor");
		tm_node(t, "Add", "add", "u,s", "a");
		tm_node(t, "Sigmoid", "sg", "a", "g");
		tm_node(t, "Transpose", "tr", "g", "t");
		tm_ints(t, "perm", 4, (int64_t[]){ 0, 2, 3, 1 });
		tm_node(t, "Reshape", "rs", "t,shape", "y");
		tm_output(t, "y", 0, NULL);
		m = NULL;
		if (tm_load(t, &m, err, sizeof err) < 0 || arpg_onnx_set_threads(m, th) < 0 ||
		    arpg_onnx_prepare(m, N, err, sizeof err) < 0 ||
		    arpg_onnx_run(m, N, in, err, sizeof err) < 0) {
			arpg_test_fail(__FILE__, __LINE__, "%d threads: %s", th, err);
			break;
		}
		arpg_onnx_output(m, 0, &y);
		expect_int(y.dims[1], 4 * H * W);
		if (th == 1) {
			for (n = 0; n < N; n++)
				for (c = 0; c < C; c++)
					for (i = 0; i < 2 * H; i++)
						for (j = 0; j < 2 * W; j++) {
							size_t o = ((size_t)(n * 2 * H + i) * 2 * W + j) *
								C + c;
							double v = x[((n * C + c) * H + i / 2) * W + j / 2] +
								(double)s[((n * C + c) * 2 * H + i) * 2 * W + j];

							expect_near(y.data[o], 1 / (1 + exp(-v)), 1e-6);
						}
			memcpy(y1, y.data, NY * sizeof *y1);
		} else if (memcmp(y1, y.data, NY * sizeof *y1))
			arpg_test_fail(__FILE__, __LINE__, "2 threads differ from 1");
		arpg_onnx_free(m);
		m = NULL;
	}
	arpg_onnx_free(m);
	free(x), free(s), free(y1);
}

/* Resize linear by sizes, half_pixel, against the formula; Concat on the
 * last axis; Softmax over an axis (opset 13) and over the flattened tail
 * (opset 11). */
ARPG_TEST(onnx_resize_linear_concat_softmax_match_naive)
{
	static const int64_t sizes[4] = { 1, 2, 5, 7 };
	static const float scales[1] = { 0 };
	float x[2 * 3 * 4];
	const float *in[1] = { x };
	unsigned seed = 5;
	int opset;

	tm_random(x, 24, -3, 3, &seed);
	for (opset = 11; opset <= 13; opset += 2) {
		struct tmodel *t = tm_new(opset);
		struct arpg_onnx *m = NULL;
		struct arpg_onnx_tensor r, c, s;
		char err[512];
		int p, i, j, k;
		tm_input(t, "x", 4, (int64_t[]){ 1, 2, 3, 4 });
		tm_init(t, "roi", 1, (int64_t[]){ 0 }, scales);
		tm_init(t, "sc", 1, (int64_t[]){ 0 }, scales);
		tm_init_i64(t, "sizes", 1, (int64_t[]){ 4 }, sizes);
		tm_node(t, "Resize", "rz", "x,roi,sc,sizes", "r");
		tm_string(t, "mode", "linear");
		tm_node(t, "Concat", "cat", "x,x", "c");
		tm_int(t, "axis", -1);
		tm_node(t, "Softmax", "sm", "x", "s");
		tm_int(t, "axis", 2);
		tm_output(t, "r", 0, NULL);
		tm_output(t, "c", 0, NULL);
		tm_output(t, "s", 0, NULL);
		if (tm_prepare(t, 1, &m, err, sizeof err) < 0 ||
		    arpg_onnx_run(m, 1, in, err, sizeof err) < 0) {
			arpg_test_fail(__FILE__, __LINE__, "opset %d: %s", opset, err);
			arpg_onnx_free(m);
			continue;
		}
		arpg_onnx_output(m, 0, &r);
		arpg_onnx_output(m, 1, &c);
		arpg_onnx_output(m, 2, &s);
		for (p = 0; p < 2; p++)
			for (i = 0; i < 5; i++)
				for (j = 0; j < 7; j++) {
					double fy = (i + 0.5) * 3 / 5 - 0.5, fx = (j + 0.5) * 4 / 7 - 0.5;
					int y0, x0, y1, x1;
					const float *pl = x + p * 12;
					fy = fy < 0 ? 0 : fy, fx = fx < 0 ? 0 : fx;
					y0 = (int)fy, x0 = (int)fx;
					y1 = y0 + 1 < 3 ? y0 + 1 : 2, x1 = x0 + 1 < 4 ? x0 + 1 : 3;
					fy -= y0, fx -= x0;
					expect_near(r.data[(p * 5 + i) * 7 + j],
						    (1 - fy) * ((1 - fx) * pl[y0 * 4 + x0] + fx * pl[y0 * 4 + x1]) +
						    fy * ((1 - fx) * pl[y1 * 4 + x0] + fx * pl[y1 * 4 + x1]), 1e-5);
				}
		expect_int(c.dims[3], 8);
		for (i = 0; i < 6; i++)
			for (j = 0; j < 8; j++)
				expect_near(c.data[i * 8 + j], x[i * 4 + j % 4], 0);
		/* opset 13: over axis 2 (3 values 4 apart); 11: over the last 12 */
		for (p = 0; p < 2; p++)
			for (k = 0; k < (opset == 13 ? 4 : 1); k++) {
				double sum = 0, mx = -1e30;
				int len = opset == 13 ? 3 : 12, st = opset == 13 ? 4 : 1;
				const float *v = x + p * 12 + k;
				for (i = 0; i < len; i++)
					mx = v[i * st] > mx ? v[i * st] : mx;
				for (i = 0; i < len; i++)
					sum += exp(v[i * st] - mx);
				for (i = 0; i < len; i++)
					expect_near(s.data[p * 12 + k + i * st], exp(v[i * st] - mx) / sum, 1e-6);
			}
		arpg_onnx_free(m);
	}
}

/* LayerNormalization (opset 17) over the last axis and over the last two,
 * against the formula in double; the node tests of libonnx-testdata all
 * ask for the Mean and InvStdDev outputs, which the engine does not
 * compute. */
ARPG_TEST(onnx_layernorm_against_the_formula)
{
	for (int axis = -1; axis >= -2; axis--) {
		struct tmodel *t = tm_new(17);
		struct arpg_onnx *m = NULL;
		struct arpg_onnx_tensor y;
		float x[2 * 3 * 4], g[12], b[12];
		const float *in[1] = { x };
		int len = axis == -1 ? 4 : 12;
		unsigned seed = 5;
		char err[512];

		tm_random(x, 24, -3, 3, &seed);
		tm_random(g, 12, 0.5f, 2, &seed);
		tm_random(b, 12, -1, 1, &seed);
		tm_input(t, "x", 3, (int64_t[]){ 2, 3, 4 });
		tm_init(t, "g", axis == -1 ? 1 : 2, axis == -1 ? (int64_t[]){ 4 } : (int64_t[]){ 3, 4 }, g);
		tm_init(t, "b", axis == -1 ? 1 : 2, axis == -1 ? (int64_t[]){ 4 } : (int64_t[]){ 3, 4 }, b);
		tm_node(t, "LayerNormalization", "ln", "x,g,b", "y");
		tm_int(t, "axis", axis);
		tm_float(t, "epsilon", 1e-3f);
		tm_output(t, "y", 0, NULL);
		if (tm_prepare(t, 2, &m, err, sizeof err) < 0 ||
		    arpg_onnx_run(m, 2, in, err, sizeof err) < 0) {
			arpg_test_fail(__FILE__, __LINE__, "%s", err);
			arpg_onnx_free(m);
			return;
		}
		arpg_onnx_output(m, 0, &y);
		for (int r = 0; r < 24 / len; r++) {
			double s = 0, ss = 0, mean;

			for (int k = 0; k < len; k++)
				s += x[r * len + k];
			mean = s / len;
			for (int k = 0; k < len; k++)
				ss += (x[r * len + k] - mean) * (x[r * len + k] - mean);
			for (int k = 0; k < len; k++)
				expect_near(y.data[r * len + k],
					    (x[r * len + k] - mean) / sqrt(ss / len + 1e-3) * g[k] + b[k],
					    1e-5);
		}
		arpg_onnx_free(m);
	}
}
