/* tune_phase.h - a 3x3 stride-2 pad-1 convolution of an even square map
 * (iresnet's first block of a stage: 14 x 14 -> 7 x 7) by a bilinear
 * algorithm over the whole map, forward, input gradient and weight
 * gradient.  Along a side, output o = w0 x[2o-1] + w1 x[2o] + w2 x[2o+1]:
 * the odd taps (w0, w2) are a 2-tap correlation of the odd inputs, done by
 * Winograd F(m,2) in tiles of up to 4 outputs (m+1 products), the middle
 * tap a product per output: 2m+1 products per m outputs against 3m.  The
 * side's algorithm is three matrices, entries from inputs (bt), from taps
 * (g) and outputs from entries (at), and the map's is their tensor square:
 * y = at (U . V) at^T with U = g w g^T, V = bt x bt^T per filter and
 * plane, so that a convolution is one GEMM per entry over the channels
 * (256 entries per filter at 7 x 7 against 441 products directly), the
 * input gradient the GEMMs transposed, the weight gradient their adjoint. */
#ifndef TRAIN_TUNE_PHASE_H
#define TRAIN_TUNE_PHASE_H

#include <stddef.h>

#define PHASE_SIDE 16	/* the largest input side */
#define PHASE_NE 18	/* the most entries of a side (16 -> 8: 9 + 9) */

struct phase2 {
	int h, ho, ne;			/* input side, output side h / 2, entries */
	float bt[PHASE_NE][PHASE_SIDE];	/* entry i = sum bt[i][r] x[r] */
	float g[PHASE_NE][3];		/* entry i of the filter = sum g[i][k] w[k] */
	float at[PHASE_SIDE / 2][PHASE_NE];	/* output o = sum at[o][i] entry[i] */
};

/* The algorithm for an input side h; 0, or -1 when h is odd, below 2 or
 * above PHASE_SIDE. */
int phase2_init(struct phase2 *p, int h);
/* Entries of a map (ne^2) */
static inline size_t phase2_entries(const struct phase2 *p) { return (size_t)p->ne * p->ne; }

/* U[e * np + j] = entry e of filter j (np filters w[j] of 3 x 3). */
void phase2_filters(const struct phase2 *p, float *U, const float *w, size_t np);
/* dw[j] += the gradient of filter j for the gradients dU of its entries. */
void phase2_filter_grad(const struct phase2 *p, float *dw, const float *dU, size_t np);

/* V[e * C * ns + c * ns + s] = entry e of channel c of sample s, for x
 * (ns, C, h, h), on the OpenMP threads. */
void phase2_input(const struct phase2 *p, float *V, const float *x, int ns, int C);
/* The adjoint of the output transform: D (laid out as V) of dy (ns, C,
 * ho, ho). */
void phase2_grad_entries(const struct phase2 *p, float *D, const float *dy, int ns, int C);
/* y (ns, C, ho, ho) = the outputs of the entries Y (laid out as V). */
void phase2_output(const struct phase2 *p, float *y, const float *Y, int ns, int C);
/* dx (ns, C, h, h) = (acc: +=) the adjoint of phase2_input of dV. */
void phase2_input_grad(const struct phase2 *p, float *dx, int acc, const float *dV, int ns, int C);

#endif
