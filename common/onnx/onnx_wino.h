/* onnx_wino.h - the engine's Winograd 3x3 convolutions (onnx_wino.c) for
 * layers whose filters change between runs (arpg-train --tune-backbone):
 * the filters are transformed into a buffer the caller owns, as often as
 * they change, instead of once at prepare.  Stride 1, padding 1, output
 * the size of the input.  Results do not depend on the thread count. */
#ifndef ARPG_ONNX_WINO_H
#define ARPG_ONNX_WINO_H

#include <stddef.h>
#include <stdint.h>

/* The filter transforms G (a x 3, a = m + 2) of F(4x4,3x3) and F(2x2,3x3):
 * U = G g Gt.  Their rows are the interpolation points 0, -1 (scaled by
 * -1/6), 1, 2, -2 (scaled by 1/24) and infinity for m = 4; 0, 1, -1 and
 * infinity for m = 2.  The trainer's weight gradient (train/tune_wgrad.c)
 * is their adjoint, so both read these. */
extern const double arpg_wino_G4[6][3], arpg_wino_G2[4][3];

/* The output tile size that pays for n images of OH x OW outputs: 4
 * (F(4x4,3x3)), 2 (F(2x2,3x3)) or 0 (im2col is faster). */
int arpg_wino_tile(int64_t OH, int64_t OW, int64_t n);
/* Floats of the transformed filters of M outputs and C inputs, tile m;
 * their buffer must be 64-byte aligned (the BLIS micro-kernel's panels). */
size_t arpg_wino_filters_floats(int64_t M, int64_t C, int m);
/* U = the transformed filters of the convolution of C inputs to M outputs
 * with filters w (M x C x 3 x 3), packed; flip: whose filters are the
 * input gradient's of w (C x M x 3 x 3): w'[o][c] = w[c][o] turned 180
 * degrees.  0 or ARPG_ENOMEM (a few floats per thread). */
int arpg_wino_filters(float *U, const float *w, int64_t M, int64_t C, int m, int flip);
/* Floats of scratch arpg_wino_conv needs for N images of C x H x W to M. */
size_t arpg_wino_scratch(int64_t C, int64_t M, int64_t H, int64_t W, int64_t N, int m,
			 int nthreads);

struct arpg_wino_conv {
	const float *x;		/* (N, C, H, W) */
	int64_t N, C, H, W, M;
	int m;			/* tile size U was made for */
	const float *U;		/* arpg_wino_filters(, M, C, m, ) */
	const float *b, *res;	/* bias (M) and residual (N, M, H, W), or NULL */
	float *y;		/* (N, M, H, W); may be res */
};
/* y = conv3x3(x) + b + res on nthreads OpenMP threads (not from inside a
 * parallel region). */
void arpg_wino_conv(const struct arpg_wino_conv *c, float *scratch, int nthreads);

#endif
