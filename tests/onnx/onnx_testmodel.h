/* onnx_testmodel.h - ONNX models written in C for the engine's tests (no
 * Python needed): a builder for small graphs, and one Conv -> Relu model
 * that can be broken one defect at a time.
 *
 *	struct tmodel *t = tm_new(13);
 *	tm_input(t, "x", 4, (int64_t[]){ 1, 2, 5, 5 });
 *	tm_init(t, "W", 4, (int64_t[]){ 3, 2, 3, 3 }, w);
 *	tm_node(t, "Conv", "conv0", "x,W", "y");
 *	tm_ints(t, "pads", 4, (int64_t[]){ 1, 1, 1, 1 });
 *	tm_output(t, "y", 0, NULL);
 *	buf = tm_pack(t, &len);
 *
 * Names and values are copied.  Running out of room is a mistake in the
 * test and aborts. */
#ifndef ARPG_TESTS_ONNX_TESTMODEL_H
#define ARPG_TESTS_ONNX_TESTMODEL_H

#include <stddef.h>
#include <stdint.h>

struct arpg_onnx;
struct tmodel;

/* A model importing the default domain at opset. */
struct tmodel *tm_new(int opset);
/* A float graph input or output; dims NULL: declared without a shape (an
 * output) or with rank symbolic dimensions (an input). */
void tm_input(struct tmodel *t, const char *name, int rank, const int64_t *dims);
void tm_output(struct tmodel *t, const char *name, int rank, const int64_t *dims);
/* A float or int64 initializer of prod(dims) values. */
void tm_init(struct tmodel *t, const char *name, int rank, const int64_t *dims,
	     const float *v);
void tm_init_i64(struct tmodel *t, const char *name, int rank, const int64_t *dims,
		 const int64_t *v);
/* A node: inputs and outputs comma-separated, an empty name for an absent
 * optional input ("x,,B"). */
void tm_node(struct tmodel *t, const char *op, const char *name, const char *ins,
	     const char *outs);
/* Attributes of the last node. */
void tm_int(struct tmodel *t, const char *name, int64_t v);
void tm_ints(struct tmodel *t, const char *name, int n, const int64_t *v);
void tm_float(struct tmodel *t, const char *name, float v);
void tm_string(struct tmodel *t, const char *name, const char *v);
/* The serialized model (malloc'd, *len bytes); frees t. */
uint8_t *tm_pack(struct tmodel *t, size_t *len);
/* tm_pack, then arpg_onnx_load: 0 or its error, message in err. */
int tm_load(struct tmodel *t, struct arpg_onnx **m, char *err, size_t errn);

/* n values uniform in [lo, hi) from *seed (a repeatable sequence). */
void tm_random(float *v, int64_t n, float lo, float hi, unsigned *seed);
/* y (N,M,OH,OW) = conv(x (N,C,H,W), w (M,C,k,k)) + b (M), stride st,
 * padding pad on every side, summed in double; OH = (H + 2 pad - k) / st + 1
 * and across. */
void tm_conv_ref(double *y, const float *x, const float *w, const float *b,
		 int N, int C, int H, int W, int M, int k, int st, int pad);
/* Loads t and prepares it for batch: 0 or the first error (a TAP note). */
int tm_prepare(struct tmodel *t, int batch, struct arpg_onnx **m, char *err, size_t errn);

/* x (1,2,5,5) -> Conv(W (3,2,3,3), B (3), pads 1, stride 2) -> Relu -> y,
 * whole or with one defect; tm_conv_w and tm_conv_b hold its weights. */
enum tm_defect { TM_OK, TM_TRUNCATED, TM_WRONG_TYPE, TM_SHORT_DATA, TM_BAD_CHANNELS,
		 TM_CYCLE, TM_MISSING_INIT, TM_HUGE_INPUT, TM_HUGE_INIT, TM_EXTERNAL,
		 TM_UNSUPPORTED_OP, TM_DECL_MISMATCH, TM_BAD_ATTR };
extern float tm_conv_w[3 * 2 * 3 * 3], tm_conv_b[3];
uint8_t *tm_conv_relu(enum tm_defect d, size_t *len);
/* Loads that model and prepares it for batch 0: 0 or the first error,
 * message in err (and as a TAP note). */
int tm_conv_relu_try(enum tm_defect d, char *err, size_t errn);

/* The test fails unless rc is code and msg holds word. */
#define expect_err(rc, code, msg, word) do { \
	const char *m_ = (msg); \
	expect_int(rc, code); \
	if (!strstr(m_, word)) \
		arpg_test_fail(__FILE__, __LINE__, "message \"%s\" lacks \"%s\"", m_, word); \
} while (0)

#endif
