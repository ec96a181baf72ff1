/* onnx_impl.h - the engine's internal graph, shared by onnx_load.c (protobuf
 * to graph, checks), onnx_plan.c (shapes, folding, arena, execution) and
 * onnx_ops.c (kernels).  Not part of the API: see onnx.h. */
#ifndef ARPG_ONNX_IMPL_H
#define ARPG_ONNX_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include <blis.h>
#include "onnx.h"

#define MAXR ARPG_ONNX_MAXRANK

/* Loops the compiler vectorises are built for AVX-512, AVX2 and plain
 * x86-64 and chosen at load time (the build targets any x86-64). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
#define ONX_HOT __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define ONX_HOT
#endif
/* Vectors of 16 floats for the kernels written with GCC's vector
 * extension (one AVX-512 register; two or four in the other clones). */
#define LANES 16
typedef float v16 __attribute__((vector_size(LANES * sizeof(float))));
typedef int32_t v16i __attribute__((vector_size(LANES * sizeof(int32_t))));
/* unaligned loads and stores of a vector (macros: a function returning a
 * 64-byte vector would change ABI in the plain x86-64 clone) */
typedef float v16u __attribute__((vector_size(LANES * sizeof(float)), aligned(4), may_alias));
#define ld(p) (*(const v16u *)(p))
#define st(p, v) (*(v16u *)(p) = (v))
/* every lane f (x + 0 would not be x for x = -0, so it costs an add) */
#define splat(f) ({ float f_ = (f); (v16){ f_, f_, f_, f_, f_, f_, f_, f_, \
	f_, f_, f_, f_, f_, f_, f_, f_ }; })
/* Every tensor and every conv's unfolded matrix stays below this many
 * elements (8 GiB of floats): larger dims are refused as ARPG_ERANGE. */
#define ONX_MAX_ELEMS ((int64_t)1 << 31)
/* Inputs of a node with a variable count (Concat) at most. */
#define ONX_MAX_INPUTS 4096
/* A Softmax without an axis attribute: the opset's default. */
#define ONX_AXIS_DEFAULT 1000

enum onx_op {
	OP_CONV, OP_BN, OP_PRELU, OP_RELU, OP_ADD, OP_MUL, OP_SUB, OP_FLATTEN,
	OP_RESHAPE, OP_GEMM, OP_MATMUL, OP_GAP, OP_AVGPOOL, OP_MAXPOOL,
	OP_IDENTITY, OP_DROPOUT, OP_CONSTANT, OP_SIGMOID, OP_TRANSPOSE, OP_RESIZE,
	OP_UPSAMPLE, OP_CONCAT, OP_SOFTMAX, OP_SHAPE, OP_GATHER, OP_UNSQUEEZE, OP_SLICE,
	OP_CAST, OP_ELU, OP_LEAKYRELU, OP_LAYERNORM, OP_REDUCEMEAN, OP_COUNT
};

enum { DT_FLOAT = 1, DT_INT64 = 7 };
enum { TK_VALUE, TK_INPUT, TK_STATIC };
enum { ACT_NONE, ACT_RELU, ACT_PRELU };
enum { PAD_NOTSET, PAD_SAME_UPPER, PAD_SAME_LOWER, PAD_VALID };
/* Resize and Upsample: the interpolation, how an output coordinate maps to
 * the input (ONNX's coordinate_transformation_mode) and how nearest rounds. */
enum { RS_NEAREST, RS_LINEAR };
enum { RS_HALF_PIXEL, RS_PYTORCH_HALF_PIXEL, RS_ALIGN_CORNERS, RS_ASYMMETRIC,
       RS_TF_HALF_PIXEL_FOR_NN, RS_HALF_PIXEL_SYMMETRIC };
enum { RS_ROUND_PREFER_FLOOR, RS_ROUND_PREFER_CEIL, RS_FLOOR, RS_CEIL };

struct onx_tensor {
	char *name;
	int kind;		/* TK_* */
	int dtype;		/* DT_FLOAT or DT_INT64 */
	int rank;
	int64_t dims[MAXR];	/* current shape (prepared, or of the last run) */
	int batched;		/* dims[0] is the batch */
	float *f;		/* TK_STATIC float data (owned) */
	int64_t *i64;		/* TK_STATIC int64 data (owned) */
	int producer;		/* node index, -1 for inputs and statics */
	int keep;		/* graph output or tap: never reused */
	int is_output;
	int has_decl, decl_rank;	/* shape declared in the file (-1 dims symbolic) */
	int64_t decl[MAXR];
	int set_shape;		/* input shape fixed by arpg_onnx_set_input_shape */
	int birth, death;	/* positions in the schedule */
	size_t off;		/* arena offset, floats */
	size_t cap;		/* floats at the prepared batch */
	float *data;		/* during and after a run */
};

struct onx_node {
	char *name;
	const char *opname;
	int op;			/* enum onx_op */
	int nin, nout;
	int *in;		/* nin tensor indices (at least 5 slots), -1 for an
				 * absent optional input */
	int out[3];
	int dead;		/* folded into a neighbour */

	/* attributes */
	int64_t kernel[2], stride[2], dil[2], pad[4];	/* pad: top, left, bottom, right */
	int has_kernel, auto_pad, group, ceil_mode, count_include_pad;
	float alpha, beta, eps;
	int trans_a, trans_b, axis, allowzero;
	int64_t *shape_attr;	/* Reshape-1 "shape" (unused past opset 5) */
	int nshape_attr;
	int64_t perm[MAXR];	/* Transpose: output axis i is input axis perm[i] */
	int nperm;		/* 0: the axes reversed */
	int rs_mode, rs_coord, rs_nearest;	/* Resize, Upsample: RS_* */
	float *rs_scales;	/* Upsample-7: its scales attribute (owned) */
	int nrs_scales;
	double rs_scale[MAXR];	/* prepared: output over input length per axis */
	int64_t axes[MAXR];	/* Unsqueeze-1 to 11: its axes attribute */
	int naxes;		/* their count (0: from the second input) */
	int cast_to;		/* Cast: the ONNX data type of the output */
	int keepdims;		/* ReduceMean: keep the reduced axes as 1 */

	/* prepared (Conv, Gemm, BN) */
	float *w, *b;		/* Conv: M x K, Gemm: N x K (owned) */
	float *pre_s, *pre_t;	/* Conv: per input channel affine, in im2col */
	float *wino;		/* Conv 3x3 stride 1: Winograd weights (m+2)^2 x C x M */
	int wino_m;		/* their output tile size, 4 or 2 */
	float *pk;		/* Conv by im2col: the filters packed (onx_pk_weights) */
	float *bn_s, *bn_t;	/* BN: per channel affine when static */
	int act;		/* ACT_* applied in the epilogue */
	float *slope;		/* ACT_PRELU: per output channel (owned) */
	int res;		/* tensor added in the epilogue, -1 */
	int pool2;		/* Conv: a MaxPool 2x2 stride 2 after the activation
				 * (a 3x3 stride-1 depthwise conv's; out_final is the
				 * pool's output, out[0] keeps the conv's shape) */
	int out_final;		/* tensor the node writes (after fusion) */
	int pre_pw;		/* Conv: a depthwise 3x3 that computes its input, the
				 * output of this 1x1 conv node (dead), band by band
				 * (onx_pw_dw_*); -1 for none */
	double flops;
	double t_sec;
	long calls;
};

struct arpg_onnx {
	struct onx_tensor *t;
	int nt;
	size_t ncap_t;
	int *hash, hash_n;	/* name -> tensor index (onnx_load.c) */
	struct onx_node *nodes;
	int nn;
	int *order;		/* topological order of node indices */
	int *inputs, ninputs;	/* graph inputs (tensor indices) */
	int *outputs, noutputs;
	int opset;
	int prepared, batch, cur_batch;
	int decl_batch;		/* declared leading dim of batched inputs */
	float *arena;
	size_t arena_n;
	size_t mem_limit;	/* bytes prepare may allocate (0: 16 GiB each for arena and scratch) */
	float *scratch;		/* im2col and temporaries, per thread */
	size_t scratch_n, scratch_per_thread;
	int nthreads;		/* threads of a conv (OpenMP) */
	int want_threads;	/* arpg_onnx_set_threads (0: OpenMP's default) */
	rntm_t rntm1;		/* BLIS on one thread, for GEMMs inside our OpenMP threads
				 * (set by onx_ops_init) */
	int winograd;		/* ARPG_ONNX_WINOGRAD_* (arpg_onnx_set_winograd) */
	int profile;		/* ARPG_ONNX_PROFILE_* (arpg_onnx_set_profile) */
};

/* onnx_load.c */
extern const char *const onx_op_names[OP_COUNT];
int onx_find(const struct arpg_onnx *m, const char *name);
const char *onx_nodelabel(const struct onx_node *n, char *buf, size_t bn);
int64_t onx_numel(const struct onx_tensor *t);

/* onnx_plan.c */
int onx_infer(struct arpg_onnx *m, int batch, int check_decl, char *err, size_t errn);
/* numpy broadcasting of shapes a (rank ra) and b (rank rb) into o (rank
 * *ro); 0, or -1 if they do not agree. */
int onx_broadcast(int ra, const int64_t *a, int rb, const int64_t *b, int *ro, int64_t *o);
/* MatMul's operands a and b (rank 1 or more) as matrices or stacks of
 * matrices, as numpy.matmul takes them: ad (rank ra) is a's shape with a
 * vector made a row (1,K), bd (rank rb) b's with a vector made a column
 * (K,1).  ad and bd hold MAXR dimensions. */
void onx_matmul_dims(int64_t *ad, int *ra, int64_t *bd, int *rb, const struct onx_tensor *a,
		     const struct onx_tensor *b);

/* onnx_ops.c: one kernel per op, on the shapes in m->t[]. */
int onx_exec(struct arpg_onnx *m, struct onx_node *n, char *err, size_t errn);
size_t onx_scratch_need(const struct arpg_onnx *m, const struct onx_node *n);
/* Whether conv n runs its im2col GEMMs on packed filters (n->pk, made by
 * prepare after the Winograd choice): ungrouped, static filters of 32 or
 * more outputs and 64 or more inputs, not Winograd, not onx_pw_run's. */
int onx_conv_packs(const struct arpg_onnx *m, const struct onx_node *n);
/* A batch norm of C channels as y = x*s[c] + t[c]: s = scale / sqrt(var +
 * eps), t = bias - mean * s, in double then rounded. */
void onx_bn_affine(float *s, float *t, const float *scale, const float *bias,
		   const float *mean, const float *var, float eps, int64_t C);
/* Sets up what the kernels keep in the model (m->rntm1); prepare calls it. */
void onx_ops_init(struct arpg_onnx *m);

/* onnx_wino.c: a 3x3 stride-1 dilation-1 ungrouped convolution by
 * Winograd F(m x m,3x3), m = 4 or 2.  y (N,M,OH,OW) = act(conv(pre(x)) + b) + res, where
 * pre is the per-input-channel affine x*pre_s + pre_t inside the image
 * (the padding stays zero), act is ACT_NONE, ACT_RELU or ACT_PRELU with
 * slope[M], and b, pre_s, pre_t and res may be NULL. */
struct onx_wino_args {
	const float *x;
	int64_t N, C, H, W;
	int m;			/* output tile size, 4 or 2 */
	const float *U;		/* onx_wino_weights(, m) of the M x C x 3 x 3 filters */
	int64_t M, OH, OW;	/* OH = H + pad top + pad bottom - 2, and across */
	int64_t pt, pl;		/* padding at the top and the left */
	const float *pre_s, *pre_t, *b, *slope, *res;
	int act;
	float *y;
	int64_t i0;		/* (internal) first image of the chunk */
};
/* Whether a batch of n images of OH x OW outputs has enough m x m tiles
 * for the GEMMs to beat im2col: their rows are the tiles, and each weight
 * ((m+2)^2/9 times as many as im2col's) is used once per tile. */
int onx_wino_pays(int64_t OH, int64_t OW, int64_t n, int m);
/* The tile size to use for that batch: 4 if it pays, else 2 if that
 * pays, else 0 (im2col). */
int onx_wino_tile(int64_t OH, int64_t OW, int64_t n);
/* The transformed filters, (m+2)^2 matrices of C x M, packed into the
 * panels of the BLIS micro-kernel in use; free() them.  NULL when out of
 * memory. */
float *onx_wino_weights(const float *w, int64_t M, int64_t C, int m);
/* Floats of scratch onx_wino_run needs for this shape, batch, tile and threads. */
size_t onx_wino_scratch(int64_t C, int64_t M, int64_t OH, int64_t OW, int64_t N, int m,
			int nthreads);
/* Runs on nthreads OpenMP threads (the caller must not be inside a
 * parallel region); the result does not depend on the thread count. */
void onx_wino_run(const struct onx_wino_args *a, float *scratch, int nthreads);

/* onnx_wino.c: GEMMs on BLIS's micro-kernel with A packed once (the
 * filters of an im2col convolution).  onx_pk_weights packs w (M x K,
 * row-major) into onx_pk_floats(M, K) floats (free() them; NULL when out
 * of memory); onx_pk_gemm computes C (M x N, rows rsc apart) = A B, B
 * (K x N) rows rsb apart, on this thread, with Bp 64-byte aligned scratch
 * of onx_pk_scratch(K, N) floats.  An output's bits do not depend on N or
 * on which columns the call covers. */
size_t onx_pk_floats(int64_t M, int64_t K);
float *onx_pk_weights(const float *w, int64_t M, int64_t K);
size_t onx_pk_scratch(int64_t K, int64_t N);
void onx_pk_gemm(const float *Ap, int64_t M, int64_t N, int64_t K, const float *B, int64_t rsb,
		 float *C, int64_t rsc, float *Bp);
/* Rows [m0, m0 + mn) of that product into C (row m0's at C), m0 a
 * multiple of onx_pk_mr(), the micro-kernel's rows: the same bits as
 * onx_pk_gemm gives them, so that threads can split the rows. */
void onx_pk_gemm_rows(const float *Ap, int64_t M, int64_t m0, int64_t mn, int64_t N, int64_t K,
		      const float *B, int64_t rsb, float *C, int64_t rsc, float *Bp);
/* Fills Bp with depth block [pc, pc + kc) of an N-column B, packed:
 * panels of NR columns, kc rows of PNR floats each (onx_pk_put_row). */
typedef void onx_pk_pack_fn(void *ctx, float *Bp, int64_t pc, int64_t kc, int64_t N,
			    int64_t NR, int64_t PNR);
/* onx_pk_gemm_rows with B's blocks packed by pack(ctx, ...) instead of
 * copied: an im2col straight into the panels.  The same bits. */
void onx_pk_gemm_packed(const float *Ap, int64_t M, int64_t m0, int64_t mn, int64_t N,
			int64_t K, onx_pk_pack_fn *pack, void *ctx, float *C, int64_t rsc,
			float *Bp);
/* row (N floats) as a row of the depth block of kc rows whose first
 * panel's row is at bp */
void onx_pk_put_row(float *bp, const float *row, int64_t N, int64_t kc, int64_t NR, int64_t PNR);
int64_t onx_pk_mr(void);

/* onnx_pw.c: y (M, n; rows ys apart) = act(w (M,K) x (K, n; rows xs apart)
 * + b) + res (M, n; rows ys apart), on this thread, for convolutions with
 * few output channels.  act is ACT_NONE, ACT_RELU or ACT_PRELU with
 * slope[M]; b, slope (unless ACT_PRELU) and res may be NULL; y aliases
 * neither x nor res. */
struct onx_pw_args {
	const float *w, *x, *b, *slope, *res;
	float *y;
	int64_t M, K, n, xs, ys;
	const int64_t *koff;	/* row k of x at x + koff[k] rather than k * xs */
	int act;
};
void onx_pw_run(const struct onx_pw_args *a);
/* Whether onx_pw_run beats BLIS for a product of M rows of K (direct:
 * the conv's input rows are read in place, else they are unfolded). */
int onx_pw_pays(int64_t M, int64_t K, int direct);

/* onnx_ops.c: a 1x1 conv (onx_pw_run) and the depthwise 3x3 conv that
 * reads its output, run together in bands of rows.  Whether the pair of
 * nodes pw -> dw can run so (the planner's test; shapes inferred): */
int onx_pw_dw_fits(const struct arpg_onnx *m, const struct onx_node *pw,
		   const struct onx_node *dw);

#endif
