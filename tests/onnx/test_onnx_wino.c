/* test_onnx_wino.c - the Winograd F(4x4,3x3) and F(2x2,3x3) convolutions
 * of the ONNX engine (common/onnx/onnx_wino.c) against a direct convolution
 * in double:
 * shapes that leave partial tiles and partial 16-channel blocks, uneven
 * padding, the pre-activation affine, bias, PReLU and the residual, a
 * batch that takes more than one round of transforms, and the same bits
 * on one thread as on two; and the GEMM on packed filters (onx_pk_gemm)
 * that the im2col convolutions share the micro-kernel code with. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "blis_setup.h"
#include "onnx/onnx_impl.h"

struct conv {
	int64_t N, C, M, H, W, pt, pl, pb, pr;
	int act, pre, res;
};

static float *randn(int64_t n, unsigned *seed, float scale)
{
	float *f = malloc(n * sizeof *f);
	int64_t i;

	for (i = 0; i < n; i++) {
		*seed = *seed * 1103515245u + 12345u;
		f[i] = scale * (((*seed >> 8) & 0xffff) / 32768.0f - 1);
	}
	return f;
}

/* max |y - direct| / max |direct| over the output, for nthreads 1 and 2,
 * and whether the two runs agree bit for bit */
static double check(const struct conv *cv, int tile, int *same)
{
	unsigned seed = 12345u + (unsigned)(cv->C * 31 + cv->M);
	int64_t OH = cv->H + cv->pt + cv->pb - 2, OW = cv->W + cv->pl + cv->pr - 2;
	int64_t ny = cv->N * cv->M * OH * OW, n, k, c, oy, ox, ky, kx;
	float *x = randn(cv->N * cv->C * cv->H * cv->W, &seed, 1);
	float *w = randn(cv->M * cv->C * 9, &seed, 1 / sqrtf(9.0f * cv->C));
	float *b = randn(cv->M, &seed, 0.5f), *slope = randn(cv->M, &seed, 0.3f);
	float *ps = randn(cv->C, &seed, 1), *pt = randn(cv->C, &seed, 0.5f);
	float *res = randn(ny, &seed, 1), *y1 = malloc(ny * sizeof *y1), *y2 = malloc(ny * sizeof *y2);
	float *U = onx_wino_weights(w, cv->M, cv->C, tile);
	size_t ns = onx_wino_scratch(cv->C, cv->M, OH, OW, cv->N, tile, 2);
	float *scratch = aligned_alloc(64, (ns + 16) * sizeof *scratch);
	struct onx_wino_args a = {
		.x = x, .N = cv->N, .C = cv->C, .H = cv->H, .W = cv->W, .m = tile, .U = U, .M = cv->M,
		.OH = OH, .OW = OW, .pt = cv->pt, .pl = cv->pl,
		.pre_s = cv->pre ? ps : NULL, .pre_t = cv->pre ? pt : NULL, .b = b,
		.slope = slope, .res = cv->res ? res : NULL, .act = cv->act, .y = y1,
	};
	double maxerr = 0, maxref = 0;

	onx_wino_run(&a, scratch, 1);
	a.y = y2;
	onx_wino_run(&a, scratch, 2);
	*same = memcmp(y1, y2, ny * sizeof *y1) == 0;
	for (n = 0; n < cv->N; n++)
		for (k = 0; k < cv->M; k++)
			for (oy = 0; oy < OH; oy++)
				for (ox = 0; ox < OW; ox++) {
					int64_t o = ((n * cv->M + k) * OH + oy) * OW + ox;
					double acc = b[k];
					for (c = 0; c < cv->C; c++)
						for (ky = 0; ky < 3; ky++)
							for (kx = 0; kx < 3; kx++) {
								int64_t iy = oy - cv->pt + ky, ix = ox - cv->pl + kx;
								double v;
								if (iy < 0 || iy >= cv->H || ix < 0 || ix >= cv->W)
									continue;
								v = x[((n * cv->C + c) * cv->H + iy) * cv->W + ix];
								if (cv->pre)
									v = v * ps[c] + pt[c];
								acc += v * w[((k * cv->C + c) * 3 + ky) * 3 + kx];
							}
					if (cv->act == ACT_RELU && acc < 0)
						acc = 0;
					if (cv->act == ACT_PRELU && acc < 0)
						acc *= slope[k];
					if (cv->res)
						acc += res[o];
					if (fabs(y1[o] - acc) > maxerr)
						maxerr = fabs(y1[o] - acc);
					if (fabs(acc) > maxref)
						maxref = fabs(acc);
				}
	free(x), free(w), free(b), free(slope), free(ps), free(pt), free(res);
	free(y1), free(y2), free(U), free(scratch);
	return maxerr / maxref;
}

static void run_case(const struct conv *cv)
{
	struct arpg_blis_info bi;
	int tile;

	arpg_blis_setup(0, 0, &bi);
	for (tile = 2; tile <= 4; tile += 2) {
		int same;
		double e = check(cv, tile, &same);
		arpg_test_note("F(%dx%d) N %lld C %lld M %lld %lldx%lld pads %lld,%lld,%lld,%lld: "
			       "rel err %.3g", tile, tile, (long long)cv->N, (long long)cv->C,
			       (long long)cv->M, (long long)cv->H, (long long)cv->W, (long long)cv->pt,
			       (long long)cv->pl, (long long)cv->pb, (long long)cv->pr, e);
		/* F(4x4,3x3) rounds more than a direct sum (transform entries up
		 * to 8 and 1/6): about 1e-6 here, 1e-7 for im2col */
		expect(e < 1e-5);
		expect(same);
	}
}

ARPG_TEST(winograd_partial_tiles_and_channel_blocks_match_direct_conv)
{
	/* 12x10 outputs: partial tiles down and across; 20 and 19 channels:
	 * partial vector blocks; uneven padding; everything in the epilogue */
	struct conv cv = { 3, 20, 19, 13, 9, 1, 2, 0, 1, ACT_PRELU, 1, 1 };

	run_case(&cv);
}

ARPG_TEST(winograd_plain_and_relu_match_direct_conv)
{
	struct conv plain = { 1, 16, 32, 6, 5, 1, 1, 1, 1, ACT_NONE, 0, 0 };
	struct conv relu = { 2, 48, 16, 7, 7, 0, 0, 2, 2, ACT_RELU, 0, 1 };

	run_case(&plain);
	run_case(&relu);
}

ARPG_TEST(winograd_deep_input_in_several_depth_blocks_matches_direct_conv)
{
	/* 401 input channels: more than one depth block of the micro-kernel
	 * (KC is 384 for skx, 256 for haswell), the last a partial vector;
	 * 45 output channels: a partial panel of MR; 13x11 outputs: partial
	 * panels of NR tiles (F(2x2): 2 x 42 tiles) */
	struct conv cv = { 2, 401, 45, 13, 11, 1, 1, 1, 1, ACT_PRELU, 1, 1 };

	run_case(&cv);
}

ARPG_TEST(winograd_batch_in_several_rounds_matches_direct_conv)
{
	/* IResNet's 56x56 stage: its filters are few, so a round is one
	 * image (round_floats); at 28x28 with 96 channels, up to 3 images
	 * (F(4x4); 1 for F(2x2)), so 5 images take rounds of 3 + 2 */
	struct conv cv = { 5, 64, 64, 56, 56, 1, 1, 1, 1, ACT_PRELU, 1, 1 };
	struct conv mid = { 5, 96, 96, 28, 28, 1, 1, 1, 1, ACT_PRELU, 1, 1 };

	run_case(&cv);
	run_case(&mid);
}

/* F(4x4) from 48 tiles, or from fewer that fill whole B panels of the
 * micro-kernel in use (16 tiles on zen3 and haswell, 12 on skx) */
ARPG_TEST(winograd_tile_size_follows_the_number_of_tiles)
{
	int64_t nr = bli_cntx_get_blksz_def_dt(BLIS_FLOAT, BLIS_NR, bli_gks_query_cntx());

	expect_int(onx_wino_tile(28, 28, 1), 4);	/* 49 4x4 tiles */
	expect_int(onx_wino_tile(14, 14, 8), 4);	/* 128 */
	expect_int(onx_wino_tile(14, 14, 1), 16 % nr ? 2 : 4);	/* 16; 49 2x2 tiles */
	expect_int(onx_wino_tile(7, 7, 8), 32 % nr ? 2 : 4);	/* 32; 128 */
	expect_int(onx_wino_tile(7, 7, 5), 20 % nr ? 2 : 4);	/* 20; 80 */
	expect_int(onx_wino_tile(10, 10, 1), 2);	/* 9, less than a panel; 25 */
	expect_int(onx_wino_tile(7, 7, 1), 2);		/* 4; 16 */
	expect_int(onx_wino_tile(5, 5, 1), 0);		/* 4; 9: im2col */
	expect(onx_wino_pays(14, 14, 1, 4) == !(16 % nr));
	expect(!onx_wino_pays(7, 7, 1, 4));
	expect(!onx_wino_pays(6, 6, 1, 2));		/* 9 */
}

/* onx_pk_gemm (C = A B with A packed once) against a sum in double, on
 * strided B and C, at M, N and K that leave partial panels and depth
 * blocks; and each output's bits the same when a call covers only some
 * of the columns, or (onx_pk_gemm_rows) of the rows: a thread's share of
 * a convolution */
static void pk_case(int64_t M, int64_t N, int64_t K)
{
	unsigned seed = 777u + (unsigned)(M * 7 + N * 3 + K);
	int64_t rsb = N + 3, rsc = N + 5, i, j, k, h = N / 3;
	float *w = randn(M * K, &seed, 1), *B = randn(K * rsb, &seed, 1);
	float *C = malloc(M * rsc * sizeof *C), *C2 = malloc(M * rsc * sizeof *C2);
	float *C3 = malloc(M * rsc * sizeof *C3);
	int64_t q = onx_pk_mr(), r = M / q / 2 * q;	/* the split of exec_conv */
	float *A = onx_pk_weights(w, M, K);
	float *Bp = aligned_alloc(64, (onx_pk_scratch(K, N) + 16) * sizeof *Bp);
	double maxerr = 0, maxref = 0;
	int same = 1;

	onx_pk_gemm(A, M, N, K, B, rsb, C, rsc, Bp);
	/* the columns in two calls, split off a panel boundary */
	onx_pk_gemm(A, M, h, K, B, rsb, C2, rsc, Bp);
	onx_pk_gemm(A, M, N - h, K, B + h, rsb, C2 + h, rsc, Bp);
	/* the rows in two calls, split on a panel boundary; rows the first
	 * leaves are NaN until the second */
	for (i = 0; i < M * rsc; i++)
		C3[i] = NAN;
	onx_pk_gemm_rows(A, M, 0, r, N, K, B, rsb, C3, rsc, Bp);
	for (j = 0; j < N; j++)
		same &= r == M || isnan(C3[r * rsc + j]);
	onx_pk_gemm_rows(A, M, r, M - r, N, K, B, rsb, C3 + r * rsc, rsc, Bp);
	for (i = 0; i < M; i++)
		for (j = 0; j < N; j++) {
			double acc = 0;
			for (k = 0; k < K; k++)
				acc += (double)w[i * K + k] * B[k * rsb + j];
			if (fabs(C[i * rsc + j] - acc) > maxerr)
				maxerr = fabs(C[i * rsc + j] - acc);
			if (fabs(acc) > maxref)
				maxref = fabs(acc);
			same &= C[i * rsc + j] == C2[i * rsc + j] && C[i * rsc + j] == C3[i * rsc + j];
		}
	arpg_test_note("packed GEMM M %lld N %lld K %lld: rel err %.3g", (long long)M,
		       (long long)N, (long long)K, maxerr / maxref);
	expect(maxerr / maxref < 1e-5);
	expect(same);
	free(w), free(B), free(C), free(C2), free(C3), free(A), free(Bp);
}

ARPG_TEST(packed_filter_gemm_matches_a_double_sum_in_any_split)
{
	struct arpg_blis_info bi;

	arpg_blis_setup(0, 0, &bi);
	pk_case(45, 37, 601);	/* partial A and B panels, 2-3 depth blocks */
	pk_case(512, 49, 4608);	/* iresnet50's last stride-2 conv at batch 1 */
	pk_case(32, 1, 64);	/* one column */
}
