/* tune.h - the backbone's tail as trainer layers (arpg-train
 * --tune-backbone): what an iresnet computes after its stride-8 map (stage
 * 4's residual blocks, BatchNorm, flatten, the fully connected layer, the
 * features BatchNorm1d), forward and backward over one parameter buffer.
 *
 * A tail is a list of operations on values: value 0 is the input map (n,
 * C, H, W), each operation writes one new value, the last value is the
 * embedding (n, E).  Values are kept in C order per sample, samples one
 * after another; a 4-d value is read as (n, C*H*W) by a fully connected
 * layer (flatten and inference-mode dropout are no-ops).
 *
 * BatchNorm runs in inference mode with its running statistics frozen
 * (constants, not parameters), its weight and bias trained: exactly
 * PyTorch's model.eval() fine-tuning, so that the golden tests compare
 * parameter for parameter and the export writes the same BatchNormalization
 * nodes back.  Folding each BatchNorm into its convolution would save a
 * pass over the maps but change what Adam updates (the product of the
 * convolution and the scale, not each), and iresnet's bn1 precedes its
 * convolution across a residual, where it cannot fold into one.
 *
 * Parameters are laid out in the order the operations were added, each
 * operation's in the order of its PyTorch module: convolution weight
 * (Cout, Cin, k, k) then bias; BatchNorm weight then bias; PReLU slope (C);
 * fully connected weight (E, D) then bias.  Constants: each BatchNorm's
 * running mean then running variance, in operation order.
 */
#ifndef TRAIN_TUNE_H
#define TRAIN_TUNE_H

#include <stddef.h>

/* The most floats of a convolution's im2col columns (64 MB; cols and dcols
 * each): the samples of one GEMM are as many as fit (at least one). */
#define TUNE_COLS_MAX ((size_t)16 << 20)
/* Samples per backward pass (tune_backward): the gradients of the values
 * are kept for this many, the values themselves for max_n (about 3.6 MB
 * each for an iresnet50's stage 4). */
#define TUNE_BWD_N 64

enum tune_kind { TUNE_CONV, TUNE_BN, TUNE_PRELU, TUNE_ADD, TUNE_FC };

struct tune_op {
	int kind;		/* enum tune_kind */
	int in, in2, out;	/* values: input, second input (add), output */
	int k, stride, pad;	/* conv: square kernel, stride, padding */
	int bias;		/* conv, fc: has a bias */
	size_t w, b;		/* parameter offsets: conv/fc weight and bias, BN
				 * weight and bias, PReLU slope (w) */
	size_t stat;		/* constants offset: BN mean (C), then var (C) */
	float eps;		/* BN */
};

/* A Winograd convolution's transformed filters, forward [0] and input
 * gradient [1], kept while the filters equal the copy they were made from:
 * the backward's passes and the evaluation's forwards reuse them, where a
 * transform per call took 10 % of an epoch. */
#define TUNE_TILE_PHASE 1
struct tune_wino {
	float *U[2];
	size_t nU[2];
	int m[2];		/* their tile size, 0 when not made;
				 * TUNE_TILE_PHASE: U[0] holds the stride-2
				 * convolution's entries (tune_phase.h) */
	float *w;		/* the filters they were made from */
	float *dU;		/* the stride-2 convolution's gradient of its
				 * filters' entries, summed over a backward's
				 * passes (dU_live) and turned into dW once at
				 * its end */
	size_t ndU;
	int dU_live;
};

struct tune_val {
	int c, h, w;		/* per sample; an embedding is (E, 1, 1) */
	size_t off;		/* into the activations, in floats (max_n samples) */
	size_t doff;		/* into their gradients (bwd_n samples) */
};

struct tune {
	int nops, nvals;
	struct tune_op *ops;
	struct tune_val *vals;
	size_t nparams, nconsts;
	float *params, *grads, *consts;	/* one allocation each */
	int max_n;			/* samples per forward */
	float *act;			/* every value of max_n samples */
	size_t nact;
	int bwd_n;			/* samples per backward pass */
	float *dact;			/* every value's gradient of bwd_n samples */
	size_t ndact;
	unsigned char *dset;		/* per value: its gradient written in this
					 * backward pass (else not yet, and not zero) */
	float *cols, *dcols;		/* im2col scratch of a chunk of samples; the
					 * Winograd weight gradient's too */
	float *ycols;			/* a convolution's (Cout, chunk*P) output or dy */
	size_t ncols;
	int wino;			/* largest Winograd tile of the 3x3 stride-1
					 * convolutions: 4, 2, or 0 (im2col only) */
	struct tune_wino *wc;		/* per operation: its transformed filters */
	float *wscr;			/* Winograd scratch, grown to the largest run */
	size_t nwscr;
	int failed;			/* a builder call ran out of memory */
};

/* A new tail whose input map is c x h x w; NULL without memory. */
struct tune *tune_new(int c, int h, int w);
/* The builder: each adds an operation on value `in` (and in2) and returns
 * its output value (-1 when out of memory or the shapes do not fit: the
 * tail is then unusable, tune_finish says so).  conv: cout filters of k x
 * k, stride, zero padding pad; bn: per channel, eps; prelu: a slope per
 * channel; add: in + in2, same shape; fc: E outputs of the whole value
 * flattened. */
int tune_conv(struct tune *t, int in, int cout, int k, int stride, int pad, int bias);
int tune_bn(struct tune *t, int in, float eps);
int tune_prelu(struct tune *t, int in);
int tune_add(struct tune *t, int in, int in2);
int tune_fc(struct tune *t, int in, int E, int bias);
/* Allocates the parameters, gradients and constants (zeroed) and the
 * activations of max_n samples.  The last value added is the output.  0,
 * ARPG_ENOMEM, or ARPG_EINVAL when a builder call failed. */
int tune_finish(struct tune *t, int max_n);
void tune_free(struct tune *t);

/* An iresnet's tail (arcface_torch's iresnet.py after layer3): blocks
 * IBasicBlocks of c channels from a map cin x h x w (the first with stride
 * 2 and the 1x1 downsample), BatchNorm, flatten, fc to emb, BatchNorm1d;
 * eps 1e-5.  0, ARPG_ENOMEM or ARPG_EINVAL. */
int tune_build_iresnet(struct tune **t, int blocks, int cin, int c, int h, int w, int emb,
		       int max_n);

/* The output's size per sample (E) and the input's (C*H*W). */
int tune_out_dim(const struct tune *t);
size_t tune_in_dim(const struct tune *t);

/* maps (n, C, H, W), n <= max_n  ->  emb (n, E); keeps every value for
 * the backward.  maps may be tune_input(t), then it is not copied. */
void tune_forward(struct tune *t, const float *maps, int n, float *emb);
/* Where the input map of max_n samples is kept: the maps can be read
 * there instead of copied (valid until tune_free). */
float *tune_input(struct tune *t);
/* Adds the gradients of the parameters for demb (n, E) of the last
 * forward's n samples, bwd_n at a time; the input map gets none. */
void tune_backward(struct tune *t, const float *demb, int n);
void tune_zero_grads(struct tune *t);

/* The reference convolution in plain loops: x (Cin, H, W) -> y (Cout, Ho,
 * Wo), w (Cout, Cin, k, k), b (Cout) or NULL; for the tests. */
void conv_naive(float *y, const float *x, const float *w, const float *b, int cin, int h,
		int wd, int cout, int k, int stride, int pad);

#endif
