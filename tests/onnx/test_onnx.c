/* test_onnx.c - the ONNX loader's checks on models built here with
 * protobuf-c (no Python needed): a small valid Conv graph checked against a
 * naive convolution, then one defect at a time, each with its error code
 * and a message that names the culprit. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "error.h"
#include "onnx/onnx.h"
#include "onnx/onnx.pb-c.h"

/* What to break in the model below. */
enum defect { OK, TRUNCATED, WRONG_TYPE, SHORT_DATA, BAD_CHANNELS, CYCLE, MISSING_INIT,
	      HUGE_INPUT, HUGE_INIT, EXTERNAL, UNSUPPORTED_OP, DECL_MISMATCH, BAD_ATTR };

static float wdata[3 * 2 * 3 * 3], bdata[3];

/* x (1,2,5,5) -> Conv(W (3,2,3,3), B (3), pads 1, stride 2) -> Relu -> y;
 * returns a malloc'd serialized model. */
static uint8_t *build(enum defect d, size_t *len)
{
	Onnx__ModelProto mp = ONNX__MODEL_PROTO__INIT;
	Onnx__GraphProto g = ONNX__GRAPH_PROTO__INIT;
	Onnx__OperatorSetIdProto ops = ONNX__OPERATOR_SET_ID_PROTO__INIT, *opsp = &ops;
	Onnx__NodeProto conv = ONNX__NODE_PROTO__INIT, relu = ONNX__NODE_PROTO__INIT;
	Onnx__NodeProto *nodes[2] = { &conv, &relu };
	Onnx__AttributeProto pads = ONNX__ATTRIBUTE_PROTO__INIT, strides = ONNX__ATTRIBUTE_PROTO__INIT;
	Onnx__AttributeProto *attrs[2] = { &pads, &strides };
	Onnx__TensorProto w = ONNX__TENSOR_PROTO__INIT, b = ONNX__TENSOR_PROTO__INIT;
	Onnx__TensorProto *inits[2] = { &w, &b };
	Onnx__StringStringEntryProto loc = ONNX__STRING_STRING_ENTRY_PROTO__INIT, *locp = &loc;
	Onnx__ValueInfoProto xin = ONNX__VALUE_INFO_PROTO__INIT, yout = ONNX__VALUE_INFO_PROTO__INIT;
	Onnx__ValueInfoProto *ins[1] = { &xin }, *outs[1] = { &yout };
	Onnx__TypeProto xt = ONNX__TYPE_PROTO__INIT, yt = ONNX__TYPE_PROTO__INIT;
	Onnx__TypeProto__Tensor xtt = ONNX__TYPE_PROTO__TENSOR__INIT, ytt = ONNX__TYPE_PROTO__TENSOR__INIT;
	Onnx__TensorShapeProto xs = ONNX__TENSOR_SHAPE_PROTO__INIT, ys = ONNX__TENSOR_SHAPE_PROTO__INIT;
	Onnx__TensorShapeProto__Dimension xd[4], yd[4], *xdp[4], *ydp[4];
	int64_t xdims[4] = { 1, 2, 5, 5 }, ydims[4] = { 1, 3, 3, 3 };
	int64_t wd[4] = { 3, 2, 3, 3 }, bd[1] = { 3 }, pv[4] = { 1, 1, 1, 1 }, sv[2] = { 2, 2 };
	char *conv_in[3] = { "x", "W", "B" }, *conv_out[1] = { "c" };
	char *relu_in[1] = { "c" }, *relu_out[1] = { "y" };
	uint8_t *buf;
	int i;

	for (i = 0; i < 4; i++) {
		onnx__tensor_shape_proto__dimension__init(&xd[i]);
		onnx__tensor_shape_proto__dimension__init(&yd[i]);
		xd[i].value_case = yd[i].value_case =
			ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
		xd[i].dim_value = xdims[i];
		yd[i].dim_value = ydims[i];
		xdp[i] = &xd[i], ydp[i] = &yd[i];
	}
	if (d == HUGE_INPUT)
		xd[3].dim_value = (int64_t)1 << 40;
	if (d == DECL_MISMATCH)
		yd[1].dim_value = 4;
	xs.n_dim = ys.n_dim = 4;
	xs.dim = xdp, ys.dim = ydp;
	xtt.has_elem_type = ytt.has_elem_type = 1;
	xtt.elem_type = ytt.elem_type = 1;
	xtt.shape = &xs, ytt.shape = &ys;
	xt.value_case = yt.value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
	xt.tensor_type = &xtt, yt.tensor_type = &ytt;
	xin.name = "x", xin.type = &xt;
	yout.name = "y", yout.type = &yt;

	w.name = "W", w.n_dims = 4, w.dims = wd;
	w.has_data_type = 1, w.data_type = d == WRONG_TYPE ? 3 : 1;
	w.has_raw_data = 1;
	w.raw_data.data = (uint8_t *)wdata;
	w.raw_data.len = sizeof wdata - (d == SHORT_DATA ? 4 : 0);
	if (d == BAD_CHANNELS)
		wd[1] = 1, w.raw_data.len = sizeof wdata / 2;
	if (d == HUGE_INIT)
		wd[0] = (int64_t)1 << 40;
	if (d == EXTERNAL) {
		loc.key = "location", loc.value = "weights.bin";
		w.n_external_data = 1, w.external_data = &locp;
		w.has_data_location = 1;
		w.data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
	}
	b.name = "B", b.n_dims = 1, b.dims = bd;
	b.has_data_type = 1, b.data_type = 1;
	b.n_float_data = 3, b.float_data = bdata;

	pads.name = "pads", pads.has_type = 1, pads.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
	pads.n_ints = 4, pads.ints = pv;
	strides.name = "strides", strides.has_type = 1;
	strides.type = d == BAD_ATTR ? ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT
		: ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
	strides.n_ints = 2, strides.ints = sv;
	conv.name = "conv0", conv.op_type = d == UNSUPPORTED_OP ? "Softmax2d" : "Conv";
	conv.n_input = 3, conv.input = conv_in;
	if (d == MISSING_INIT)
		conv_in[2] = "bias_missing";
	conv.n_output = 1, conv.output = conv_out;
	conv.n_attribute = d == UNSUPPORTED_OP ? 0 : 2, conv.attribute = attrs;
	relu.name = "relu0", relu.op_type = "Relu";
	relu.n_input = 1, relu.input = relu_in;
	relu.n_output = 1, relu.output = relu_out;
	if (d == CYCLE)
		conv_in[0] = "y";	/* conv reads relu's output, relu reads conv's */

	g.name = "t";
	g.n_node = 2, g.node = nodes;
	g.n_initializer = 2, g.initializer = inits;
	g.n_input = 1, g.input = ins;
	g.n_output = 1, g.output = outs;
	ops.domain = "", ops.has_version = 1, ops.version = 13;
	mp.has_ir_version = 1, mp.ir_version = 7;
	mp.n_opset_import = 1, mp.opset_import = &opsp;
	mp.graph = &g;
	*len = onnx__model_proto__get_packed_size(&mp);
	buf = malloc(*len);
	onnx__model_proto__pack(&mp, buf);
	if (d == TRUNCATED)
		*len = *len * 2 / 3;
	return buf;
}

/* load + prepare: 0 or the first error, message in err */
static int try(enum defect d, char *err, size_t errn)
{
	struct arpg_onnx *m = NULL;
	size_t len;
	uint8_t *buf = build(d, &len);
	int rc;

	err[0] = 0;
	rc = arpg_onnx_load(&m, buf, len, err, errn);
	free(buf);
	if (rc == 0)
		rc = arpg_onnx_prepare(m, 0, err, errn);
	arpg_onnx_free(m);
	if (rc)
		arpg_test_note("%s", err);
	return rc;
}

#define EXPECT_ERR(d, code, word) do { \
	char e_[512]; \
	expect_int(try(d, e_, sizeof e_), code); \
	if (!strstr(e_, word)) \
		arpg_test_fail(__FILE__, __LINE__, "message \"%s\" lacks \"%s\"", e_, word); \
} while (0)

ARPG_TEST(onnx_conv_relu_matches_naive)
{
	struct arpg_onnx *m = NULL;
	struct arpg_onnx_tensor t;
	float x[2 * 5 * 5];
	const float *in[1] = { x };
	char err[512];
	size_t len;
	uint8_t *buf;
	int i, o, oy, ox, c, ky, kx;

	for (i = 0; i < (int)(sizeof wdata / sizeof *wdata); i++)
		wdata[i] = (float)((i * 37 % 17) - 8) / 8;
	for (i = 0; i < 3; i++)
		bdata[i] = 0.25f * (i - 1);
	for (i = 0; i < 50; i++)
		x[i] = (float)((i * 13 % 11) - 5) / 5;
	buf = build(OK, &len);
	expect_int(arpg_onnx_load(&m, buf, len, err, sizeof err), 0);
	free(buf);
	if (!m)
		return;
	expect_int(arpg_onnx_prepare(m, 1, err, sizeof err), 0);
	expect_int(arpg_onnx_run(m, 1, in, err, sizeof err), 0);
	expect_int(arpg_onnx_output(m, 0, &t), 0);
	expect_int(t.rank, 4);
	expect_int(t.dims[1] * t.dims[2] * t.dims[3], 27);
	for (o = 0; o < 3; o++)
		for (oy = 0; oy < 3; oy++)
			for (ox = 0; ox < 3; ox++) {
				double acc = bdata[o];
				for (c = 0; c < 2; c++)
					for (ky = 0; ky < 3; ky++)
						for (kx = 0; kx < 3; kx++) {
							int iy = oy * 2 - 1 + ky, ix = ox * 2 - 1 + kx;
							if (iy < 0 || iy >= 5 || ix < 0 || ix >= 5)
								continue;
							acc += wdata[((o * 2 + c) * 3 + ky) * 3 + kx] *
								x[(c * 5 + iy) * 5 + ix];
						}
				expect_near(t.data[(o * 3 + oy) * 3 + ox], acc > 0 ? acc : 0, 1e-5);
			}
	arpg_onnx_free(m);
}

ARPG_TEST(onnx_rejects_garbage_and_truncation)
{
	struct arpg_onnx *m = NULL;
	char err[256];

	expect_int(arpg_onnx_load(&m, "\xff\xff\xff", 3, err, sizeof err), ARPG_EFORMAT);
	expect(m == NULL);
	expect_int(arpg_onnx_load(&m, "", 0, err, sizeof err), ARPG_EFORMAT);
	EXPECT_ERR(TRUNCATED, ARPG_EFORMAT, "truncated");
}

ARPG_TEST(onnx_rejects_wrong_types)
{
	EXPECT_ERR(WRONG_TYPE, ARPG_EUNSUPPORTED, "initializer 'W'");
	EXPECT_ERR(SHORT_DATA, ARPG_EFORMAT, "bytes of data");
	EXPECT_ERR(BAD_ATTR, ARPG_EFORMAT, "strides");
}

ARPG_TEST(onnx_rejects_shape_disagreement)
{
	EXPECT_ERR(BAD_CHANNELS, ARPG_EFORMAT, "conv0");
	EXPECT_ERR(DECL_MISMATCH, ARPG_EFORMAT, "declared");
}

ARPG_TEST(onnx_rejects_cycles_and_missing_initializers)
{
	EXPECT_ERR(CYCLE, ARPG_EFORMAT, "cycle");
	EXPECT_ERR(MISSING_INIT, ARPG_EFORMAT, "bias_missing");
}

ARPG_TEST(onnx_rejects_huge_dims_and_external_data)
{
	EXPECT_ERR(HUGE_INPUT, ARPG_ERANGE, "'x'");
	EXPECT_ERR(HUGE_INIT, ARPG_ERANGE, "'W'");
	EXPECT_ERR(EXTERNAL, ARPG_EUNSUPPORTED, "external data");
}

ARPG_TEST(onnx_names_unsupported_operator_and_node)
{
	EXPECT_ERR(UNSUPPORTED_OP, ARPG_EUNSUPPORTED, "node 'conv0' (Softmax2d)");
}

ARPG_TEST(onnx_tensor_roundtrip)
{
	float v[6] = { 1, -2, 3.5f, 0, 1e-3f, 7 }, *f = NULL;
	int64_t d[2] = { 2, 3 }, d2[ARPG_ONNX_MAXRANK], *i64 = NULL;
	char err[256], name[32], buf[256];
	FILE *fp;
	size_t n;
	int rank = 0;

	expect_int(arpg_onnx_tensor_write("t.pb", "tt", 2, d, v), 0);
	fp = fopen("t.pb", "rb");
	n = fp ? fread(buf, 1, sizeof buf, fp) : 0;
	if (fp)
		fclose(fp);
	expect_int(arpg_onnx_tensor_read(buf, n, &rank, d2, &f, &i64, name, sizeof name,
					 err, sizeof err), 0);
	expect_int(rank, 2);
	expect_int(d2[1], 3);
	expect_str(name, "tt");
	expect(f && !memcmp(f, v, sizeof v));
	free(f);
	free(i64);
}
