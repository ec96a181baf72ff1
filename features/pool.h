/* pool.h - adaptive average pooling of a feature map to a G x G grid,
 * exactly as PyTorch's nn.AdaptiveAvgPool2d((G, G)) computes it.
 *
 * Output cell (i, j) averages input rows [floor(i*H/G), ceil((i+1)*H/G))
 * and columns [floor(j*W/G), ceil((j+1)*W/G)).  When G does not divide H
 * the bins are uneven and may overlap; when G > H input rows repeat.
 */
#ifndef FEATURES_POOL_H
#define FEATURES_POOL_H

/* in (C, H, W)  out (C, G, G); H, W, G >= 1.  Sums in double. */
void pool_adaptive_avg(float *out, const float *in, int C, int H, int W, int G);

/* The same, written node-major: out (G*G, C), node = row*G + col, the
 * layout of a cache's patch record. */
void pool_adaptive_avg_nodes(float *out, const float *in, int C, int H, int W, int G);

/* The bin [*start, *end) of output index i of G over an axis of n. */
void pool_bin(int i, int n, int G, int *start, int *end);

#endif
