/* test_onnx_ops.c - the operators (common/onnx/onnx_ops.c) on models built
 * here, against naive loops in double: a padded strided convolution with
 * its Relu, and a batch norm whose statistics are graph inputs (applied at
 * run time, not folded). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "error.h"
#include "onnx/onnx.h"
#include "onnx_testmodel.h"

ARPG_TEST(onnx_conv_relu_matches_naive)
{
	struct arpg_onnx *m = NULL;
	struct arpg_onnx_tensor t;
	float x[2 * 5 * 5];
	double ref[3 * 3 * 3];
	const float *in[1] = { x };
	char err[512];
	size_t len;
	uint8_t *buf;
	int i;

	for (i = 0; i < (int)(sizeof tm_conv_w / sizeof *tm_conv_w); i++)
		tm_conv_w[i] = (float)((i * 37 % 17) - 8) / 8;
	for (i = 0; i < 3; i++)
		tm_conv_b[i] = 0.25f * (i - 1);
	for (i = 0; i < 50; i++)
		x[i] = (float)((i * 13 % 11) - 5) / 5;
	buf = tm_conv_relu(TM_OK, &len);
	expect_int(arpg_onnx_load(&m, buf, len, err, sizeof err), 0);
	free(buf);
	if (!m)
		return;
	expect_int(arpg_onnx_prepare(m, 1, err, sizeof err), 0);
	expect_int(arpg_onnx_run(m, 1, in, err, sizeof err), 0);
	expect_int(arpg_onnx_output(m, 0, &t), 0);
	expect_int(t.rank, 4);
	expect_int(t.dims[1] * t.dims[2] * t.dims[3], 27);
	tm_conv_ref(ref, x, tm_conv_w, tm_conv_b, 1, 2, 5, 5, 3, 3, 2, 1);
	for (i = 0; i < 27; i++)
		expect_near(t.data[i], ref[i] > 0 ? ref[i] : 0, 1e-5);
	arpg_onnx_free(m);
}

ARPG_TEST(onnx_batch_norm_of_graph_inputs_matches_naive)
{
	static const int64_t xd[4] = { 1, 3, 4, 4 }, three = 3;
	static const char *const names[5] = { "x", "s", "b", "mu", "var" };
	float v[5][48];
	const float *in[5];
	struct arpg_onnx *m = NULL;
	struct arpg_onnx_tensor y;
	struct tmodel *t = tm_new(13);
	unsigned seed = 9;
	char err[512];
	int i, c, p;

	tm_input(t, "x", 4, xd);
	for (i = 1; i < 5; i++)
		tm_input(t, names[i], 1, &three);
	tm_node(t, "BatchNormalization", "bn", "x,s,b,mu,var", "y");
	tm_float(t, "epsilon", 1e-3f);
	tm_output(t, "y", 0, NULL);
	tm_random(v[0], 48, -2, 2, &seed);
	for (i = 1; i < 5; i++)
		tm_random(v[i], 3, i == 4 ? 0.5f : -1, 1.5f, &seed);
	for (i = 0; i < 5; i++)
		in[i] = v[i];
	if (tm_prepare(t, 0, &m, err, sizeof err) < 0 || arpg_onnx_run(m, 1, in, err, sizeof err) < 0 ||
	    arpg_onnx_output(m, 0, &y) < 0) {
		arpg_test_fail(__FILE__, __LINE__, "%s", err);
		arpg_onnx_free(m);
		return;
	}
	for (c = 0; c < 3; c++)
		for (p = 0; p < 16; p++) {
			double k = v[1][c] / sqrt((double)v[4][c] + 1e-3f);
			expect_near(y.data[c * 16 + p], (v[0][c * 16 + p] - v[3][c]) * k + v[2][c], 1e-5);
		}
	arpg_onnx_free(m);
}
