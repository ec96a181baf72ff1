/* test_onnx_load.c - the ONNX loader (common/onnx/onnx_load.c): models
 * built here with one defect each, every one refused with its error code
 * and a message that names the culprit, and TensorProto files written and
 * read back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "error.h"
#include "onnx/onnx.h"
#include "onnx_testmodel.h"

#define EXPECT_DEFECT(d, code, word) do { \
	char e_[512]; \
	int rc_ = tm_conv_relu_try(d, e_, sizeof e_); \
	expect_err(rc_, code, e_, word); \
} while (0)

ARPG_TEST(onnx_loads_the_whole_model)
{
	char err[512];

	expect_int(tm_conv_relu_try(TM_OK, err, sizeof err), 0);
}

ARPG_TEST(onnx_rejects_garbage_and_truncation)
{
	struct arpg_onnx *m = NULL;
	char err[256];

	expect_int(arpg_onnx_load(&m, "\xff\xff\xff", 3, err, sizeof err), ARPG_EFORMAT);
	expect(m == NULL);
	expect_int(arpg_onnx_load(&m, "", 0, err, sizeof err), ARPG_EFORMAT);
	EXPECT_DEFECT(TM_TRUNCATED, ARPG_EFORMAT, "truncated");
}

ARPG_TEST(onnx_rejects_wrong_types)
{
	EXPECT_DEFECT(TM_WRONG_TYPE, ARPG_EUNSUPPORTED, "initializer 'W'");
	EXPECT_DEFECT(TM_SHORT_DATA, ARPG_EFORMAT, "bytes of data");
	EXPECT_DEFECT(TM_BAD_ATTR, ARPG_EFORMAT, "strides");
}

ARPG_TEST(onnx_rejects_cycles_and_missing_initializers)
{
	EXPECT_DEFECT(TM_CYCLE, ARPG_EFORMAT, "cycle");
	EXPECT_DEFECT(TM_MISSING_INIT, ARPG_EFORMAT, "bias_missing");
}

ARPG_TEST(onnx_rejects_huge_initializers_and_external_data)
{
	EXPECT_DEFECT(TM_HUGE_INIT, ARPG_ERANGE, "'W'");
	EXPECT_DEFECT(TM_EXTERNAL, ARPG_EUNSUPPORTED, "external data");
}

ARPG_TEST(onnx_names_unsupported_operator_and_node)
{
	EXPECT_DEFECT(TM_UNSUPPORTED_OP, ARPG_EUNSUPPORTED, "node 'conv0' (Softmax2d)");
}

/* x (1,4) -> y at opset through one Relu, or through the nodes brk adds. */
static int load_relu(int opset, void (*brk)(struct tmodel *), char *err, size_t errn)
{
	static const int64_t d[2] = { 1, 4 };
	struct tmodel *t = tm_new(opset);
	struct arpg_onnx *m = NULL;
	int rc;

	tm_input(t, "x", 2, d);
	tm_output(t, "y", 2, d);
	if (brk)
		brk(t);
	else
		tm_node(t, "Relu", "r", "x", "y");
	rc = tm_load(t, &m, err, errn);
	arpg_onnx_free(m);
	if (rc)
		arpg_test_note("%s", err);
	return rc;
}

static void unknown_attribute(struct tmodel *t)
{
	tm_node(t, "Relu", "r", "x", "y");
	tm_int(t, "alpha", 1);
}

static void too_many_inputs(struct tmodel *t)
{
	tm_node(t, "Relu", "r", "x,x", "y");
}

static void second_output(struct tmodel *t)
{
	tm_node(t, "Dropout", "d", "x", "y,mask");
}

static void bad_auto_pad(struct tmodel *t)
{
	static const int64_t k[2] = { 1, 1 };

	tm_node(t, "MaxPool", "p", "x", "y");
	tm_ints(t, "kernel_shape", 2, k);
	tm_string(t, "auto_pad", "SAME_MIDDLE");
}

static void pool_without_kernel(struct tmodel *t)
{
	tm_node(t, "AveragePool", "p", "x", "y");
}

static void bn_training(struct tmodel *t)
{
	tm_node(t, "BatchNormalization", "bn", "x,s,b,m,v", "y");
	tm_int(t, "training_mode", 1);
}

static void output_twice(struct tmodel *t)
{
	tm_node(t, "Relu", "r1", "x", "y");
	tm_node(t, "Relu", "r2", "x", "y");
}

static void undefined_input(struct tmodel *t)
{
	tm_node(t, "Add", "a", "x,z", "y");
}

ARPG_TEST(onnx_rejects_bad_nodes_by_name)
{
	static const struct {
		void (*brk)(struct tmodel *);
		int code;
		const char *msg;
	} cases[] = {
		{ unknown_attribute, ARPG_EUNSUPPORTED,
		  "node 'r' (Relu): attribute 'alpha' is not supported" },
		{ too_many_inputs, ARPG_EFORMAT, "node 'r' (Relu): 2 inputs (expected 1 to 1)" },
		{ second_output, ARPG_EUNSUPPORTED, "output 1 ('mask') is only computed in training" },
		{ bad_auto_pad, ARPG_EFORMAT, "node 'p' (MaxPool): auto_pad 'SAME_MIDDLE' is unknown" },
		{ pool_without_kernel, ARPG_EFORMAT, "node 'p' (AveragePool): no kernel_shape" },
		{ bn_training, ARPG_EUNSUPPORTED, "training_mode=1 (only inference)" },
		{ output_twice, ARPG_EFORMAT, "value 'y' is defined twice (node 'r2' and before)" },
		{ undefined_input, ARPG_EFORMAT, "node 'a' (Add): input 'z' is not defined" },
	};
	char err[512];
	size_t i;

	expect_int(load_relu(13, NULL, err, sizeof err), 0);
	for (i = 0; i < sizeof cases / sizeof *cases; i++)
		expect_err(load_relu(13, cases[i].brk, err, sizeof err), cases[i].code, err,
			   cases[i].msg);
}

ARPG_TEST(onnx_rejects_opsets_out_of_range)
{
	char err[512];

	expect_int(load_relu(1, NULL, err, sizeof err), 0);
	expect_int(load_relu(21, NULL, err, sizeof err), 0);
	expect_err(load_relu(22, NULL, err, sizeof err), ARPG_EUNSUPPORTED, err,
		   "opset 22 of the default domain: opsets 1 to 21 are supported");
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

/* The new operators' attributes and inputs that the engine refuses, by
 * name, at load or prepare. */
ARPG_TEST(onnx_refuses_what_resize_and_transpose_do_not_run)
{
	static const float sc[4] = { 1, 1, 2, 2 };
	static const int64_t sz[4] = { 1, 1, 4, 4 };
	static const struct {
		const char *op, *ins, *attr, *val;
		int code;
		const char *word;
	} cases[] = {
		{ "Resize", "x,roi,sc", "mode", "cubic", ARPG_EUNSUPPORTED, "cubic" },
		{ "Resize", "x,roi,sc", "coordinate_transformation_mode", "tf_crop_and_resize",
		  ARPG_EUNSUPPORTED, "tf_crop_and_resize" },
		{ "Resize", "x,roi,sc,sz", NULL, NULL, ARPG_EFORMAT, "both" },
		{ "Resize", "x,roi", NULL, NULL, ARPG_EFORMAT, "neither" },
		{ "Resize", "x,roi,x", NULL, NULL, ARPG_EUNSUPPORTED, "constant" },
		{ "Transpose", "x", "perm", NULL, ARPG_EFORMAT, "permutation" },
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct tmodel *t = tm_new(13);
		struct arpg_onnx *m = NULL;
		char err[512] = "";
		int rc;
		tm_input(t, "x", 4, (int64_t[]){ 1, 1, 2, 2 });
		tm_init(t, "roi", 1, (int64_t[]){ 0 }, sc);
		tm_init(t, "sc", 1, (int64_t[]){ 4 }, sc);
		tm_init_i64(t, "sz", 1, (int64_t[]){ 4 }, sz);
		tm_node(t, cases[i].op, "n", cases[i].ins, "y");
		if (cases[i].val)
			tm_string(t, cases[i].attr, cases[i].val);
		else if (cases[i].attr)
			tm_ints(t, cases[i].attr, 4, (int64_t[]){ 0, 1, 1, 3 });
		tm_output(t, "y", 0, NULL);
		rc = tm_prepare(t, 1, &m, err, sizeof err);
		expect_err(rc, cases[i].code, err, cases[i].word);
		arpg_onnx_free(m);
	}
}
