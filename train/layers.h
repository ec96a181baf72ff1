/* layers.h - the layers of the ARPGNet head, each a forward and a backward
 * function side by side.
 *
 * Conventions: arguments are (outputs, inputs, weights, dims); matrices are
 * row-major; d-prefixed gradients ACCUMULATE (+=), so callers zero them once
 * per step; what a forward saves for its backward is an explicit argument.
 */
#ifndef TRAIN_LAYERS_H
#define TRAIN_LAYERS_H

#include <stddef.h>
#include <stdint.h>

/* HOT: a function compiled for AVX-512, AVX2+FMA and plain x86-64 and
 * picked at load time (GCC's target_clones): the build targets any
 * x86-64, the machines have AVX-512.  Plain under clang and ASan, which
 * the fuzz and sanitizer builds use. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
#define HOT __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define HOT
#endif

/* C (m x n, row stride ldc) = beta * C + op(A) op(B), through BLIS.  A is
 * addressed with strides (rsa, csa), B with (rsb, csb): a transpose is a
 * swap of strides, never a copy. */
void gemm(int m, int n, int k, const float *A, int rsa, int csa, const float *B, int rsb,
	  int csb, float beta, float *C, int ldc);
/* gemm on the calling thread only, without BLIS's threads: for GEMMs
 * inside an OpenMP region, each thread on its own rows of C.  The same
 * bits as gemm: BLIS sums each element over k alike however the rows are
 * shared (and its small-matrix kernels, which block differently, are not
 * used here). */
void gemm1(int m, int n, int k, const float *A, int rsa, int csa, const float *B, int rsb,
	   int csb, float beta, float *C, int ldc);
/* gemm with C's columns shared among the OpenMP threads, each share by
 * gemm1: for a C of few rows and a long k (a weight's gradient), where
 * BLIS's small-matrix kernels ran at four fifths of its large ones' speed
 * (74 against 90 GFLOP/s for 256 x 256 over 18432 rows on a Zen 4 core)
 * and BLIS's own threads would meet at a barrier per block of k.  Not
 * inside a parallel region.  The same bits at any thread count. */
void gemm_cols(int m, int n, int k, const float *A, int rsa, int csa, const float *B, int rsb,
	       int csb, float beta, float *C, int ldc);
/* gemm with C's rows shared among the OpenMP threads in shares of at
 * least ROWS_SHARE rows, taken as threads come free, each by gemm1; with
 * bias (n floats, or NULL), C's rows of a share get bias added after its
 * GEMM.  Rather than gemm's threads: BLIS's barriers spin without end,
 * and on a core another process keeps busy a thread waits there for one
 * the scheduler has put aside.  Not inside a parallel region.  The same
 * bits at any thread count. */
void gemm_rows(int m, int n, int k, const float *A, int rsa, int csa, const float *B,
	       int rsb, int csb, float beta, float *C, int ldc, const float *bias);
/* The same with plain loops: the reference the tests compare gemm to. */
void gemm_naive(int m, int n, int k, const float *A, int rsa, int csa, const float *B,
		int rsb, int csb, float beta, float *C, int ldc);

/* x (n,D)  w (D,E)  b (E) or NULL  ->  y (n,E) = x w + b */
void linear_fwd(float *y, const float *x, const float *w, const float *b, int n, int D, int E);
/* dx may be NULL (input needs no gradient); db may be NULL when b was.
 * y's and dx's GEMMs are gemm_rows, dw's is gemm_cols. */
void linear_bwd(float *dx, float *dw, float *db, const float *dy, const float *x,
		const float *w, int n, int D, int E);

/* ELU (alpha 1), elementwise over n values. */
void elu_fwd(float *y, const float *x, long n);
void elu_bwd(float *dx, const float *dy, const float *x, long n);

/* The end of a GAT layer, fused per row: y = x + ELU(o) (saved), x_out =
 * LayerNorm(y) (over D, eps 1e-5) with mean and rstd saved.  Backward: dx_in += d(x), do_ =
 * d(o) (overwritten, not accumulated), dg and db accumulated; dx_out holds
 * rows / share rows, each the gradient of share consecutive output rows
 * (share 1: a row each); work is gat_out_bwd_work(rows, D) floats of
 * scratch (its previous contents do not matter). */
void gat_out_fwd(float *x_out, float *y, float *mean, float *rstd, const float *o,
		 const float *x, const float *g, const float *b, long rows, int D);
void gat_out_bwd(float *dx_in, float *do_, float *dg, float *db, const float *dx_out,
		 const float *y, const float *o, const float *mean, const float *rstd,
		 const float *g, long rows, int D, int share, float *work);
/* gat_out_bwd in pieces, for a caller that shares the rows among its own
 * threads: work zeroed (gat_out_bwd_work floats), then gat_out_bwd_part on
 * rows r0..r1 (all arrays as for gat_out_bwd, not offset), each block of
 * gat_out_bwd_block() rows by one thread in row order, then
 * gat_out_bwd_finish adds the blocks' dg and db in block order: the same
 * bits as gat_out_bwd. */
int gat_out_bwd_block(void);
void gat_out_bwd_part(float *dx_in, float *do_, const float *dx_out, const float *y,
		      const float *o, const float *mean, const float *rstd, const float *g,
		      long r0, long r1, int D, int share, float *work);
void gat_out_bwd_finish(float *dg, float *db, long rows, int D, const float *work);
/* gat_out_fwd followed by mean_fwd over groups of n rows, without the
 * rows of x_out: x_mean (groups, D).  Its backward is gat_out_bwd with
 * dx_out = mean_fwd's output gradient / n and share n (the gradient of the
 * mean reaches each of a group's n rows alike). */
void gat_out_mean_fwd(float *x_mean, float *y, float *mean, float *rstd, const float *o,
		      const float *x, const float *g, const float *b, int groups, int n, int D);
/* gat_out_fwd and gat_out_mean_fwd on the calling thread only (inside a
 * parallel region, on a share of the rows or groups). */
void gat_out_fwd_seq(float *x_out, float *y, float *mean, float *rstd, const float *o,
		     const float *x, const float *g, const float *b, long rows, int D);
void gat_out_mean_fwd_seq(float *x_mean, float *y, float *mean, float *rstd, const float *o,
			  const float *x, const float *g, const float *b, int groups, int n, int D);
/* The scratch floats gat_out_bwd needs for rows rows of D: a partial dg and
 * db per block of rows, added in block order. */
size_t gat_out_bwd_work(long rows, int D);

/* A graph's 0/1 mask (n x n) as neighbour lists: row i is joined to the
 * columns idx[start[i]..start[i+1]), in column order; nnz = start[n] is the
 * number of ones.  The same pairs by column: column j is joined to the rows
 * tidx[tstart[j]..tstart[j+1]), in row order, and tpos names each pair's
 * place in the row lists (its weight's index).  Built once per mask, so
 * that attention allocates nothing when it runs. */
struct gat_nbrs {
	int n, nnz;
	int *start, *idx;	/* n + 1 and nnz ints */
	int *tstart, *tidx, *tpos;	/* n + 1, nnz and nnz ints */
};

/* Builds nb from mask (n x n, n >= 1).  Returns 0 or ARPG_ENOMEM (nb is
 * then empty); free with gat_nbrs_free (also on an empty nb). */
int gat_nbrs_init(struct gat_nbrs *nb, const uint8_t *mask, int n);
void gat_nbrs_free(struct gat_nbrs *nb);

/* Masked multi-head graph attention core over `graphs` independent graphs
 * of n = nb->n nodes each (rows graph-major), H heads of dh = D/H:
 *   s_dst[i,h] = a_dst[h] . z[i,h], s_src[j,h] = a_src[h] . z[j,h]
 *   e_ij = LeakyReLU_0.2(s_dst[i] + s_src[j]),  alpha = softmax_j over the j joined to i
 *   o[i,h] = sum_j alpha_ij z[j,h]
 * z, o (graphs*n, D); nb the mask shared by all graphs, every row joined to
 * at least one node; att (graphs, H, nb->nnz) saves alpha for backward:
 * the weights of the joined pairs, in row-major mask order; sc (graphs, 2,
 * n, H) saves s_dst and s_src, which the backward reads rather than
 * computing again.  keep (graphs x
 * n, or NULL: all kept) drops nodes from a graph: no other node attends to
 * a dropped node (the pair's weight is 0), so every node joined to itself
 * keeps at least that pair.  The backward needs no keep: the zero weights
 * carry it.  The backward's work is gat_attn_work(graphs, n, H) floats of
 * scratch; its previous contents do not matter. */
void gat_attn_fwd(float *o, float *att, float *sc, const float *z, const float *a_src,
		  const float *a_dst, const struct gat_nbrs *nb, const uint8_t *keep, int graphs,
		  int D, int H);
void gat_attn_bwd(float *dz, float *da_src, float *da_dst, const float *do_,
		  const float *z, const float *att, const float *sc, const float *a_src,
		  const float *a_dst, const struct gat_nbrs *nb, int graphs, int D, int H,
		  float *work);
/* gat_attn_fwd on the calling thread only (arrays offset to a share of
 * the graphs). */
void gat_attn_fwd_seq(float *o, float *att, float *sc, const float *z, const float *a_src,
		      const float *a_dst, const struct gat_nbrs *nb, const uint8_t *keep,
		      int graphs, int D, int H);
/* gat_attn_bwd in pieces, for a caller that shares the graphs among its
 * own threads: gat_attn_bwd_graphs on graphs g0..g1 of the `graphs` (arrays
 * not offset; dz and the score gradients in work), then, once all are done,
 * gat_attn_bwd_params for da_src and da_dst: the same bits as
 * gat_attn_bwd. */
void gat_attn_bwd_graphs(float *dz, const float *do_, const float *z, const float *att,
			 const float *sc, const float *a_src, const float *a_dst,
			 const struct gat_nbrs *nb, long g0, long g1, int graphs, int D, int H,
			 float *work);
/* Or, in the caller's threads: da_src, da_dst += the sums of graphs g0..g1
 * alone (their score gradients done), rows in order, on the calling
 * thread; the caller adds such partials in an order of its own. */
void gat_attn_bwd_params_rows(float *da_src, float *da_dst, const float *z, long g0, long g1,
			      int n, int D, int H, const float *work);
void gat_attn_bwd_params(float *da_src, float *da_dst, const float *z, int graphs, int n, int D,
			 int H, const float *work);
/* The scratch floats of attention's backward over graphs graphs of n nodes
 * and H heads: per graph the gradients of the scores (n x H x 2) and
 * n x H more. */
size_t gat_attn_work(int graphs, int n, int H);

/* Mean over groups: x (groups, n, D) -> y (groups, D). */
void mean_fwd(float *y, const float *x, int groups, int n, int D);
void mean_bwd(float *dx, const float *dy, int groups, int n, int D);

/* Mean over the kept rows of groups: x (groups, n, D), keep (groups, n)
 * -> y (groups, D) = sum_i keep_i x_i / sum_i keep_i (0 for a group with
 * none kept). */
void mean_keep_fwd(float *y, const float *x, const uint8_t *keep, int groups, int n, int D);
void mean_keep_bwd(float *dx, const float *dy, const uint8_t *keep, int groups, int n, int D);

/* Class weights and label smoothing of the cross-entropy, as
 * torch.nn.functional.cross_entropy's weight and label_smoothing. */
struct xent_opts {
	const float *w;		/* C weights, or NULL: all 1 */
	float smoothing;	/* eps in [0, 1) */
};

/* Softmax cross-entropy over B rows of C logits; probs (B,C) saved.  A
 * row labelled -1 carries no loss (torch's ignore_index=-1): the sums
 * below run over the labelled rows only.  With
 * o NULL the mean over rows of -log p[y]; else, with z = sum_b w[y_b],
 *   (sum_b (1 - eps) w[y_b] (-log p_b[y_b]) + eps/C sum_c w[c] (-log p_b[c])) / z
 * (0 when z is 0).  Returns the loss, computed in double; labels NULL:
 * only the probabilities, and 0.  The backward adds scale times the
 * gradient to dlogits (scale: mixup's share of these labels). */
double xent_fwd(float *probs, const float *logits, const int *labels,
		const struct xent_opts *o, int B, int C);
void xent_bwd(float *dlogits, const float *probs, const int *labels, const struct xent_opts *o,
	      float scale, int B, int C);

/* Inverted dropout: keep[i] = 0 or 1/(1-p) drawn from *rng; y = x * keep. */
void dropout_fwd(float *y, float *keep, const float *x, long n, float p, uint64_t *rng);
void dropout_bwd(float *dx, const float *dy, const float *keep, long n);

/* Sinusoidal position encoding: pe (T, D), pe[t,2i] = sin(t / 10000^(2i/D)),
 * pe[t,2i+1] = cos(...). */
void posenc(float *pe, int T, int D);

/* A small deterministic generator (splitmix64) for init, dropout, jitter. */
uint64_t rng_next(uint64_t *s);
/* Uniform in [0, 1). */
double rng_uniform(uint64_t *s);
/* Standard normal (Box-Muller). */
double rng_normal(uint64_t *s);
/* Beta(a, b), a and b > 0, as X / (X + Y) of two gamma variates
 * (Marsaglia and Tsang's method; for a shape below 1, Gamma(shape + 1)
 * times U^(1/shape)). */
double rng_beta(uint64_t *s, double a, double b);

#endif
