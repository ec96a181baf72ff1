/* tune_wgrad.h - the weight gradient of a 3x3 stride-1 pad-1 convolution
 * by Winograd F(m x m, 3x3), m = 4 or 2, the adjoint of the forward that
 * common/onnx/onnx_wino.c runs: the forward is, tile by tile, y = At (U .
 * V) A with V = Bt d B and U = G g Gt, so dU = the sum over tiles of V .
 * (A dy At), a GEMM per transform entry over the tiles, and dg = Gt dU G.
 * (m+2)^2 / 9 times fewer multiply-adds per tile than im2col, whose tiles
 * are single outputs: at 7 x 7, 3.1 times fewer for m = 4 (four tiles of
 * 16 outputs for 49), 1.7 for m = 2. */
#ifndef TRAIN_TUNE_WGRAD_H
#define TRAIN_TUNE_WGRAD_H

#include <stddef.h>

/* Floats of the transformed tiles per sample (vd), and of the transformed
 * gradient of the filters (du), for these shapes. */
size_t wgrad_sample_floats(int c, int h, int w, int cout, int m);
size_t wgrad_fixed_floats(int c, int cout, int m);
/* dW (cout, c, 3, 3) += the gradient of the filters for x (n, c, h, w) and
 * dy (n, cout, h, w), k samples at a time (k >= 1): du holds
 * wgrad_fixed_floats, vd k x wgrad_sample_floats.  The transforms run on
 * the OpenMP threads, and so do the GEMMs (one each, on one thread);
 * the result does not depend on their number. */
void wgrad_conv3x3(float *dW, const float *x, const float *dy, int n, int c, int h, int w,
		   int cout, int m, float *du, float *vd, int k);

#endif
