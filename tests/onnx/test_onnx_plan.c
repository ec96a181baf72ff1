/* test_onnx_plan.c - the planner (common/onnx/onnx_plan.c): shapes
 * inferred per operator and the errors that name a disagreement, the
 * folding and fusion of batch norms, activations and residual adds (which
 * nodes are left, and results equal to the same graph run unfused), and
 * the settings: Winograd on or off, profiling levels. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "error.h"
#include "blis_setup.h"
#include "onnx/onnx_impl.h"
#include "onnx_testmodel.h"

ARPG_TEST(onnx_rejects_shape_disagreement)
{
	char err[512];

	expect_err(tm_conv_relu_try(TM_BAD_CHANNELS, err, sizeof err), ARPG_EFORMAT, err, "conv0");
	expect_err(tm_conv_relu_try(TM_DECL_MISMATCH, err, sizeof err), ARPG_EFORMAT, err,
		   "declared");
}

ARPG_TEST(onnx_rejects_huge_inputs)
{
	char err[512];

	expect_err(tm_conv_relu_try(TM_HUGE_INPUT, err, sizeof err), ARPG_ERANGE, err, "'x'");
}

/* A graph of one node "n" of op on input "a" (shape ad) and, if rb, the
 * zeros "b" (shape bd), with the attributes attrs adds. */
struct one {
	const char *op;
	int ra;
	int64_t ad[4];
	int rb;
	int64_t bd[4];
	void (*attrs)(struct tmodel *);
};

static struct tmodel *one_node(const struct one *c)
{
	static float zeros[256];
	struct tmodel *t = tm_new(13);

	tm_input(t, "a", c->ra, c->ad);
	if (c->rb)
		tm_init(t, "b", c->rb, c->bd, zeros);
	tm_node(t, c->op, "n", c->rb ? "a,b" : "a", "y");
	if (c->attrs)
		c->attrs(t);
	tm_output(t, "y", 0, NULL);
	return t;
}

static void same_upper_stride2(struct tmodel *t)
{
	static const int64_t s[2] = { 2, 2 };

	tm_string(t, "auto_pad", "SAME_UPPER");
	tm_ints(t, "strides", 2, s);
}

static void pool3_stride2_ceil(struct tmodel *t)
{
	static const int64_t k[2] = { 3, 3 }, s[2] = { 2, 2 };

	tm_ints(t, "kernel_shape", 2, k);
	tm_ints(t, "strides", 2, s);
	tm_int(t, "ceil_mode", 1);
}

static void axis2(struct tmodel *t)
{
	tm_int(t, "axis", 2);
}

static void axis5(struct tmodel *t)
{
	tm_int(t, "axis", 5);
}

static void trans_a(struct tmodel *t)
{
	tm_int(t, "transA", 1);
}

static void pads_as_kernel(struct tmodel *t)
{
	static const int64_t k[2] = { 2, 2 }, p[4] = { 2, 0, 0, 0 };

	tm_ints(t, "kernel_shape", 2, k);
	tm_ints(t, "pads", 4, p);
}

ARPG_TEST(onnx_infers_shapes_per_operator)
{
	static const struct {
		struct one c;
		int rank;
		int64_t dims[4];
	} cases[] = {
		{ { "Conv", 4, { 1, 2, 7, 7 }, 4, { 4, 2, 3, 3 }, same_upper_stride2 }, 4, { 1, 4, 4, 4 } },
		{ { "MaxPool", 4, { 1, 1, 6, 6 }, 0, { 0 }, pool3_stride2_ceil }, 4, { 1, 1, 3, 3 } },
		{ { "AveragePool", 4, { 1, 1, 6, 6 }, 0, { 0 }, pool3_stride2_ceil }, 4, { 1, 1, 3, 3 } },
		{ { "Flatten", 4, { 2, 3, 4, 5 }, 0, { 0 }, axis2 }, 2, { 6, 20 } },
		{ { "MatMul", 2, { 3, 4 }, 1, { 4 }, NULL }, 1, { 3 } },
		{ { "MatMul", 3, { 2, 3, 4 }, 2, { 4, 5 }, NULL }, 3, { 2, 3, 5 } },
		{ { "Gemm", 2, { 4, 3 }, 2, { 4, 5 }, trans_a }, 2, { 3, 5 } },
		{ { "GlobalAveragePool", 4, { 2, 3, 4, 5 }, 0, { 0 }, NULL }, 4, { 2, 3, 1, 1 } },
		{ { "Add", 3, { 2, 3, 1 }, 1, { 4 }, NULL }, 3, { 2, 3, 4 } },
		{ { "PRelu", 3, { 2, 3, 4 }, 2, { 3, 1 }, NULL }, 3, { 2, 3, 4 } },
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct arpg_onnx *m = NULL;
		struct arpg_onnx_tensor y;
		char err[512];
		int k;
		if (tm_prepare(one_node(&cases[i].c), 0, &m, err, sizeof err) == 0 &&
		    arpg_onnx_output(m, 0, &y) == 0) {
			if (y.rank != cases[i].rank)
				arpg_test_fail(__FILE__, __LINE__, "%s: rank %d, expected %d",
					       cases[i].c.op, y.rank, cases[i].rank);
			for (k = 0; k < y.rank && k < cases[i].rank; k++)
				if (y.dims[k] != cases[i].dims[k])
					arpg_test_fail(__FILE__, __LINE__, "%s: dimension %d is "
						       "%lld, expected %lld", cases[i].c.op, k,
						       (long long)y.dims[k],
						       (long long)cases[i].dims[k]);
		} else
			arpg_test_fail(__FILE__, __LINE__, "%s: %s", cases[i].c.op, err);
		arpg_onnx_free(m);
	}
}

ARPG_TEST(onnx_names_shape_errors_per_operator)
{
	static const struct {
		struct one c;
		int code;
		const char *msg;
	} cases[] = {
		{ { "Conv", 3, { 1, 2, 7 }, 3, { 4, 2, 3 }, NULL }, ARPG_EUNSUPPORTED,
		  "node 'n' (Conv): input 1x2x7, weight 4x2x3: only 2-D convolutions (4-D "
		  "tensors) are supported" },
		{ { "Conv", 4, { 1, 2, 2, 2 }, 4, { 4, 2, 3, 3 }, NULL }, ARPG_EFORMAT,
		  "node 'n' (Conv): kernel 4x2x3x3 larger than the padded input 1x2x2x2" },
		{ { "MaxPool", 4, { 1, 1, 6, 6 }, 0, { 0 }, pads_as_kernel }, ARPG_EFORMAT,
		  "node 'n' (MaxPool): pads must be smaller than the kernel" },
		{ { "Flatten", 2, { 2, 3 }, 0, { 0 }, axis5 }, ARPG_EFORMAT,
		  "node 'n' (Flatten): axis 5 for rank 2" },
		{ { "MatMul", 2, { 3, 4 }, 2, { 5, 6 }, NULL }, ARPG_EFORMAT,
		  "node 'n' (MatMul): 3x4 and 5x6 do not agree" },
		{ { "Gemm", 2, { 2, 3 }, 2, { 4, 5 }, NULL }, ARPG_EFORMAT,
		  "node 'n' (Gemm): A 2x3 and B 4x5 do not agree" },
		{ { "Add", 2, { 2, 3 }, 1, { 4 }, NULL }, ARPG_EFORMAT,
		  "node 'n' (Add): shapes 2x3 and 4 do not broadcast" },
		{ { "PRelu", 2, { 2, 3 }, 1, { 5 }, NULL }, ARPG_EFORMAT,
		  "node 'n' (PRelu): slope 5 does not broadcast to input 2x3" },
		{ { "GlobalAveragePool", 2, { 2, 3 }, 0, { 0 }, NULL }, ARPG_EFORMAT,
		  "node 'n' (GlobalAveragePool): input 2x3 has no spatial dimensions" },
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct arpg_onnx *m = NULL;
		char err[512];
		int rc = tm_prepare(one_node(&cases[i].c), 0, &m, err, sizeof err);
		expect_err(rc, cases[i].code, err, cases[i].msg);
		arpg_onnx_free(m);
	}
}

ARPG_TEST(onnx_reshape_takes_zero_and_minus_one)
{
	static const int64_t x[3] = { 2, 3, 4 }, two = 2;
	static const int64_t keep_rest[2] = { 0, -1 }, two_neg[2] = { -1, -1 };
	struct arpg_onnx *m = NULL;
	struct arpg_onnx_tensor y;
	struct tmodel *t = tm_new(13);
	char err[512];

	tm_input(t, "x", 3, x);
	tm_init_i64(t, "s", 1, &two, keep_rest);
	tm_node(t, "Reshape", "r", "x,s", "y");
	tm_output(t, "y", 0, NULL);
	if (tm_prepare(t, 0, &m, err, sizeof err) == 0 && arpg_onnx_output(m, 0, &y) == 0) {
		expect_int(y.rank, 2);
		expect_int(y.dims[0], 2);
		expect_int(y.dims[1], 12);
	} else
		arpg_test_fail(__FILE__, __LINE__, "%s", err);
	arpg_onnx_free(m);
	m = NULL;
	t = tm_new(13);
	tm_input(t, "x", 3, x);
	tm_init_i64(t, "s", 1, &two, two_neg);
	tm_node(t, "Reshape", "r", "x,s", "y");
	tm_output(t, "y", 0, NULL);
	expect_err(tm_prepare(t, 0, &m, err, sizeof err), ARPG_EFORMAT, err,
		   "node 'r' (Reshape): two -1 in the shape");
	arpg_onnx_free(m);
}

/* F.interpolate(a, size=b.shape[2:]) as PyTorch exports it: Shape,
 * Gather, Unsqueeze, Concat, Cast and a Slice of another Shape give
 * Resize its sizes, computed when the shapes are (batch 2, then a run of
 * 1); the shape nodes are dead for the run, and the result is a nearest
 * upsampling.  On a tensor that is not a shape, Gather is refused. */
ARPG_TEST(onnx_computes_shapes_of_exported_resizes)
{
	static const int64_t ad[4] = { 1, 1, 2, 3 }, bd[4] = { 1, 1, 4, 6 }, one = 1;
	static const int64_t i2 = 2, i3 = 3, s0 = 0, s2 = 2, ax0 = 0;
	static const float roi0 = 0;
	struct arpg_onnx *m = NULL;
	struct arpg_onnx_tensor y;
	struct tmodel *t = tm_new(11);
	float a[2 * 6], b[2 * 24] = { 0 };
	const float *in[2] = { a, b };
	char err[512];
	int i, k, ok = 1;

	for (i = 0; i < 12; i++)
		a[i] = (float)i;
	tm_input(t, "a", 4, ad);
	tm_input(t, "b", 4, bd);
	tm_init_i64(t, "i2", 0, NULL, &i2);
	tm_init_i64(t, "i3", 0, NULL, &i3);
	tm_init_i64(t, "s0", 1, &one, &s0);
	tm_init_i64(t, "s2", 1, &one, &s2);
	tm_init_i64(t, "ax0", 1, &one, &ax0);
	tm_init(t, "roi", 1, &one, &roi0);
	tm_node(t, "Shape", "sh", "b", "shp");
	tm_node(t, "Gather", "g2", "shp,i2", "h");
	tm_int(t, "axis", 0);
	tm_node(t, "Gather", "g3", "shp,i3", "w");
	tm_node(t, "Unsqueeze", "u2", "h", "h1");
	tm_ints(t, "axes", 1, &ax0);
	tm_node(t, "Unsqueeze", "u3", "w", "w1");
	tm_ints(t, "axes", 1, &ax0);
	tm_node(t, "Concat", "hw", "h1,w1", "hw");
	tm_int(t, "axis", 0);
	tm_node(t, "Cast", "c", "hw", "hwl");
	tm_int(t, "to", 7);
	tm_node(t, "Shape", "sha", "a", "sha");
	tm_node(t, "Slice", "nc", "sha,s0,s2,ax0", "nc");
	tm_node(t, "Concat", "sz", "nc,hwl", "sizes");
	tm_int(t, "axis", 0);
	tm_node(t, "Resize", "up", "a,roi,,sizes", "y");
	tm_string(t, "coordinate_transformation_mode", "asymmetric");
	tm_string(t, "nearest_mode", "floor");
	tm_output(t, "y", 0, NULL);
	if (tm_prepare(t, 2, &m, err, sizeof err) < 0) {
		arpg_test_fail(__FILE__, __LINE__, "%s", err);
		goto out;
	}
	for (i = k = 0; i < m->nn; i++)
		k += !m->nodes[i].dead;
	expect_int(k, 1);	/* the Resize alone */
	for (k = 1; k <= 2; k++) {
		if (arpg_onnx_run(m, k, in, err, sizeof err) < 0 ||
		    arpg_onnx_output(m, 0, &y) < 0) {
			arpg_test_fail(__FILE__, __LINE__, "%s", err);
			goto out;
		}
		expect_int(y.rank, 4);
		expect_int(y.dims[0], k);
		expect_int(y.dims[2], 4);
		expect_int(y.dims[3], 6);
		for (i = 0; i < k * 24; i++)
			ok &= y.data[i] == a[(i / 24) * 6 + (i % 24) / 12 * 3 + (i % 6) / 2];
		expect_int(ok, 1);
	}
	arpg_onnx_free(m);
	m = NULL;
	t = tm_new(11);
	tm_input(t, "a", 4, ad);
	tm_init_i64(t, "i2", 0, NULL, &i2);
	tm_node(t, "Gather", "g", "a,i2", "y");
	tm_output(t, "y", 0, NULL);
	expect_err(tm_prepare(t, 1, &m, err, sizeof err), ARPG_EUNSUPPORTED, err,
		   "node 'g' (Gather): 'a' is not a shape");
out:
	arpg_onnx_free(m);
}

/* ---- fusion ---- */

static int live_nodes(const struct arpg_onnx *m)
{
	int i, n = 0;

	for (i = 0; i < m->nn; i++)
		n += !m->nodes[i].dead && m->nodes[i].op != OP_CONSTANT;
	return n;
}

/* Runs t on batch 2 of x; copies output 0 to y (n floats).  Returns the
 * live node count, or -1. */
static int run2(struct tmodel *t, const float *x, float *y, size_t n)
{
	struct arpg_onnx *m = NULL;
	struct arpg_onnx_tensor o;
	const float *in[1] = { x };
	char err[512];
	int live = -1;

	if (tm_prepare(t, 2, &m, err, sizeof err) == 0 &&
	    arpg_onnx_run(m, 2, in, err, sizeof err) == 0 && arpg_onnx_output(m, 0, &o) == 0) {
		memcpy(y, o.data, n * sizeof *y);
		live = live_nodes(m);
	} else
		arpg_test_fail(__FILE__, __LINE__, "%s", err);
	arpg_onnx_free(m);
	return live;
}

static double max_rel_diff(const float *a, const float *b, size_t n)
{
	double d = 0, r = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (fabs(a[i] - b[i]) > d)
			d = fabs(a[i] - b[i]);
		if (fabs(b[i]) > r)
			r = fabs(b[i]);
	}
	return d / (r + 1e-30);
}

static void batch_norm(struct tmodel *t, const char *name, const char *in, const char *out,
		       int64_t C, unsigned *seed)
{
	float s[64], b[64], mu[64], var[64];
	char p[4][32], ins[160];
	int k;

	tm_random(s, C, 0.5f, 1.5f, seed);
	tm_random(b, C, -0.5f, 0.5f, seed);
	tm_random(mu, C, -0.5f, 0.5f, seed);
	tm_random(var, C, 0.5f, 1.5f, seed);
	for (k = 0; k < 4; k++)
		snprintf(p[k], sizeof p[k], "%s_%d", name, k);
	tm_init(t, p[0], 1, &C, s);
	tm_init(t, p[1], 1, &C, b);
	tm_init(t, p[2], 1, &C, mu);
	tm_init(t, p[3], 1, &C, var);
	snprintf(ins, sizeof ins, "%s,%s,%s,%s,%s", in, p[0], p[1], p[2], p[3]);
	tm_node(t, "BatchNormalization", name, ins, out);
}

static void conv(struct tmodel *t, const char *name, const char *in, const char *out,
		 int64_t M, int64_t C, int64_t k, unsigned *seed)
{
	float w[8 * 8 * 9], b[8];
	int64_t wd[4] = { M, C, k, k }, pad = (k - 1) / 2, pads[4] = { pad, pad, pad, pad };
	char wn[32], bn[32], ins[100];

	tm_random(w, M * C * k * k, -0.3f, 0.3f, seed);
	tm_random(b, M, -0.2f, 0.2f, seed);
	snprintf(wn, sizeof wn, "%s_w", name);
	snprintf(bn, sizeof bn, "%s_b", name);
	tm_init(t, wn, 4, wd, w);
	tm_init(t, bn, 1, &M, b);
	snprintf(ins, sizeof ins, "%s,%s,%s", in, wn, bn);
	tm_node(t, "Conv", name, ins, out);
	tm_ints(t, "pads", 4, pads);
}

/* x (N,8,6,6) -> BN -> Conv 3x3 pad 1 -> BN -> PRelu -> + x -> BN -> Conv
 * 1x1 -> GlobalAveragePool -> Flatten -> Gemm (5) -> BN -> y (N,5).  With
 * kept, every intermediate value is also a graph output, which keeps each
 * node apart. */
static struct tmodel *fusable(int kept)
{
	static const char *const values[] = { "a", "c", "d", "e", "f", "h", "g", "p", "q", "r" };
	int64_t x[4] = { 2, 8, 6, 6 }, sd[3] = { 8, 1, 1 }, gd[2] = { 5, 8 }, five = 5;
	float slope[8], gw[40], gb[5];
	struct tmodel *t = tm_new(13);
	unsigned seed = 7;
	size_t i;

	tm_input(t, "x", 4, x);
	tm_output(t, "y", 0, NULL);
	for (i = 0; kept && i < sizeof values / sizeof *values; i++)
		tm_output(t, values[i], 0, NULL);
	batch_norm(t, "bn0", "x", "a", 8, &seed);
	conv(t, "conv1", "a", "c", 8, 8, 3, &seed);
	batch_norm(t, "bn1", "c", "d", 8, &seed);
	tm_random(slope, 8, 0.05f, 0.3f, &seed);
	tm_init(t, "slope", 3, sd, slope);
	tm_node(t, "PRelu", "prelu", "d,slope", "e");
	tm_node(t, "Add", "add", "e,x", "f");
	batch_norm(t, "bn2", "f", "h", 8, &seed);
	conv(t, "conv2", "h", "g", 8, 8, 1, &seed);
	tm_node(t, "GlobalAveragePool", "gap", "g", "p");
	tm_node(t, "Flatten", "flat", "p", "q");
	tm_random(gw, 40, -0.5f, 0.5f, &seed);
	tm_random(gb, 5, -0.5f, 0.5f, &seed);
	tm_init(t, "gw", 2, gd, gw);
	tm_init(t, "gb", 1, &five, gb);
	tm_node(t, "Gemm", "gemm", "q,gw,gb", "r");
	tm_int(t, "transB", 1);
	batch_norm(t, "bn3", "r", "y", 5, &seed);
	return t;
}

ARPG_TEST(onnx_fuses_batch_norms_activation_and_residual)
{
	float x[2 * 8 * 6 * 6], fused[10], apart[10];
	unsigned seed = 3;
	double e;

	tm_random(x, sizeof x / sizeof *x, -1, 1, &seed);
	/* left: conv1 (with bn0 inside its im2col, bn1 in its weights, the
	 * PRelu and the add in its epilogue), conv2 (bn2 in its weights: no
	 * padding), the pool, the flatten, the gemm (bn3 in its weights) */
	expect_int(run2(fusable(0), x, fused, 10), 5);
	expect_int(run2(fusable(1), x, apart, 10), 11);
	e = max_rel_diff(fused, apart, 10);
	arpg_test_note("fused against apart: max difference %.3g of the largest value", e);
	expect(e < 1e-5);
}

/* x (N,8,6,6) -> Conv 3x3 -> Relu -> BN -> y: the Relu goes into the conv
 * first, after which the BN can no longer fold into its weights. */
static struct tmodel *relu_then_bn(int kept)
{
	int64_t x[4] = { 2, 8, 6, 6 };
	struct tmodel *t = tm_new(13);
	unsigned seed = 11;

	tm_input(t, "x", 4, x);
	tm_output(t, "y", 0, NULL);
	if (kept) {
		tm_output(t, "c", 0, NULL);
		tm_output(t, "d", 0, NULL);
	}
	conv(t, "conv", "x", "c", 8, 8, 3, &seed);
	tm_node(t, "Relu", "relu", "c", "d");
	batch_norm(t, "bn", "d", "y", 8, &seed);
	return t;
}

ARPG_TEST(onnx_relu_fused_first_keeps_the_next_batch_norm_apart)
{
	float x[2 * 8 * 6 * 6], fused[2 * 8 * 6 * 6], apart[2 * 8 * 6 * 6];
	size_t n = sizeof x / sizeof *x;
	unsigned seed = 5;
	double e;

	tm_random(x, n, -1, 1, &seed);
	expect_int(run2(relu_then_bn(0), x, fused, n), 2);
	expect_int(run2(relu_then_bn(1), x, apart, n), 3);
	e = max_rel_diff(fused, apart, n);
	arpg_test_note("fused against apart: max difference %.3g of the largest value", e);
	expect(e < 1e-5);
}

/* ---- settings ---- */

/* x (2,16,12,12) -> Conv 3x3 pad 1 (16 outputs) -> y: enough channels and
 * tiles at batch 2 for Winograd; w and b its weights. */
static float wino_w[16 * 16 * 9], wino_b[16];

static struct tmodel *wino_conv(void)
{
	int64_t x[4] = { 2, 16, 12, 12 }, wd[4] = { 16, 16, 3, 3 }, sixteen = 16;
	int64_t pads[4] = { 1, 1, 1, 1 };
	struct tmodel *t = tm_new(13);
	unsigned seed = 13;

	tm_random(wino_w, 16 * 16 * 9, -0.2f, 0.2f, &seed);
	tm_random(wino_b, 16, -0.2f, 0.2f, &seed);
	tm_input(t, "x", 4, x);
	tm_init(t, "w", 4, wd, wino_w);
	tm_init(t, "b", 1, &sixteen, wino_b);
	tm_node(t, "Conv", "conv", "x,w,b", "y");
	tm_ints(t, "pads", 4, pads);
	tm_output(t, "y", 0, NULL);
	return t;
}

/* max |y - direct conv| over max |direct| */
static double wino_conv_error(const float *x, const float *y)
{
	static double ref[2 * 16 * 12 * 12];
	double d = 0, r = 0;
	int i;

	tm_conv_ref(ref, x, wino_w, wino_b, 2, 16, 12, 12, 16, 3, 1, 1);
	for (i = 0; i < 2 * 16 * 12 * 12; i++) {
		if (fabs(y[i] - ref[i]) > d)
			d = fabs(y[i] - ref[i]);
		if (fabs(ref[i]) > r)
			r = fabs(ref[i]);
	}
	return d / r;
}

/* Runs wino_conv on x with the Winograd mode; y gets the output.  Returns
 * whether prepare gave the conv Winograd filters, or -1. */
static int run_wino_mode(int mode, const float *x, float *y)
{
	struct arpg_onnx *m = NULL;
	struct arpg_onnx_tensor o;
	const float *in[1] = { x };
	char err[512];
	int took = -1, i;

	if (tm_load(wino_conv(), &m, err, sizeof err) == 0 &&
	    arpg_onnx_set_winograd(m, mode) == 0 && arpg_onnx_prepare(m, 2, err, sizeof err) == 0 &&
	    arpg_onnx_run(m, 2, in, err, sizeof err) == 0 && arpg_onnx_output(m, 0, &o) == 0) {
		memcpy(y, o.data, 2 * 16 * 12 * 12 * sizeof *y);
		for (i = 0, took = 0; i < m->nn; i++)
			took |= m->nodes[i].wino != NULL;
	} else
		arpg_test_fail(__FILE__, __LINE__, "mode %d: %s", mode, err);
	arpg_onnx_free(m);
	return took;
}

ARPG_TEST(onnx_winograd_off_keeps_im2col)
{
	static float x[2 * 16 * 12 * 12], auto_y[2 * 16 * 12 * 12], off_y[2 * 16 * 12 * 12];
	struct arpg_blis_info bi;
	unsigned seed = 17;
	double ea, eo;

	arpg_blis_setup(1, 0, &bi);
	tm_random(x, sizeof x / sizeof *x, -1, 1, &seed);
	expect_int(run_wino_mode(ARPG_ONNX_WINOGRAD_AUTO, x, auto_y), 1);
	expect_int(run_wino_mode(ARPG_ONNX_WINOGRAD_OFF, x, off_y), 0);
	ea = wino_conv_error(x, auto_y);
	eo = wino_conv_error(x, off_y);
	arpg_test_note("against a direct conv: Winograd %.3g, im2col %.3g", ea, eo);
	expect(ea < 1e-5);
	expect(eo < 1e-5);
	/* Winograd rounds otherwise than the GEMM */
	expect(memcmp(auto_y, off_y, sizeof auto_y) != 0);
}

ARPG_TEST(onnx_winograd_setting_is_refused_after_prepare)
{
	struct arpg_onnx *m = NULL;
	char err[512];
	int i, took = 0;

	if (tm_load(wino_conv(), &m, err, sizeof err) < 0) {
		arpg_test_fail(__FILE__, __LINE__, "%s", err);
		return;
	}
	expect_int(arpg_onnx_set_winograd(m, 2), ARPG_EINVAL);
	expect_int(arpg_onnx_set_winograd(m, -1), ARPG_EINVAL);
	expect_int(arpg_onnx_prepare(m, 2, err, sizeof err), 0);
	expect_int(arpg_onnx_set_winograd(m, ARPG_ONNX_WINOGRAD_OFF), ARPG_EINVAL);
	/* the plan made by prepare stays */
	for (i = 0; i < m->nn; i++)
		took |= m->nodes[i].wino != NULL;
	expect(took);
	arpg_onnx_free(m);
}

ARPG_TEST(onnx_winograd_parse_reads_values_as_atoi)
{
	expect_int(arpg_onnx_winograd_parse(NULL), ARPG_ONNX_WINOGRAD_AUTO);
	expect_int(arpg_onnx_winograd_parse(""), ARPG_ONNX_WINOGRAD_AUTO);
	expect_int(arpg_onnx_winograd_parse("1"), ARPG_ONNX_WINOGRAD_AUTO);
	expect_int(arpg_onnx_winograd_parse("-1"), ARPG_ONNX_WINOGRAD_AUTO);
	expect_int(arpg_onnx_winograd_parse("0"), ARPG_ONNX_WINOGRAD_OFF);
	expect_int(arpg_onnx_winograd_parse("00"), ARPG_ONNX_WINOGRAD_OFF);
	expect_int(arpg_onnx_winograd_parse("off"), ARPG_ONNX_WINOGRAD_OFF);
}

/* What arpg_onnx_profile_print writes after a run at level. */
static void profile_at(int level, char *out, size_t n)
{
	static float x[2 * 16 * 12 * 12];
	const float *in[1] = { x };
	struct arpg_onnx *m = NULL;
	char err[512];
	FILE *f = tmpfile();
	char *line, *end;
	size_t k = 0;

	out[0] = 0;
	if (!f || tm_prepare(wino_conv(), 2, &m, err, sizeof err) < 0) {
		arpg_test_fail(__FILE__, __LINE__, "%s", f ? err : "tmpfile");
		goto out;
	}
	expect_int(arpg_onnx_set_profile(m, level), 0);
	expect_int(arpg_onnx_run(m, 2, in, err, sizeof err), 0);
	arpg_onnx_profile_print(m, f);
	rewind(f);
	k = fread(out, 1, n - 1, f);
	out[k] = 0;
	for (line = out; line < out + k; line = end + 1) {
		if (!(end = strchr(line, '\n')))
			end = out + k;
		arpg_test_note("level %d: %.*s", level, (int)(end - line), line);
	}
out:
	if (f)
		fclose(f);
	arpg_onnx_free(m);
}

ARPG_TEST(onnx_profile_levels)
{
	struct arpg_onnx *m = NULL;
	char err[512], out[1024];

	profile_at(ARPG_ONNX_PROFILE_OFF, out, sizeof out);
	expect_str(out, "");
	profile_at(ARPG_ONNX_PROFILE_OPS, out, sizeof out);
	expect(strstr(out, "Conv") != NULL);
	expect(strstr(out, "conv ") == NULL);
	profile_at(ARPG_ONNX_PROFILE_NODES, out, sizeof out);
	expect(strstr(out, "conv ") != NULL);
	expect(strstr(out, "GFLOP/s") != NULL);
	if (tm_load(wino_conv(), &m, err, sizeof err) == 0) {
		expect_int(arpg_onnx_set_profile(m, 3), ARPG_EINVAL);
		expect_int(arpg_onnx_set_profile(m, -1), ARPG_EINVAL);
	}
	arpg_onnx_free(m);
}
