/* test_onnx_iresnet.c - the ONNX engine against PyTorch on an
 * InsightFace-structure IResNet-18 with random weights and batch-norm
 * statistics, generated at test time by tests/onnx/make_iresnet.py in
 * Debian's python3-torch: exported at opset 11 (batch norms folded by the
 * exporter; run with Winograd off, so every conv is im2col) and
 * opset 13 (batch norms kept as nodes, so the engine folds them; the 3x3
 * stride-1 convs of batch 8 go through Winograd, as by default, which
 * the test tells by im2col's embeddings differing in the last bits),
 * batch 8 and batch 1, the embedding and the automatically found
 * stride-8 tap (the third stage, 256x14x14) within 1e-4 relative. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "error.h"
#include "blis_setup.h"
#include "onnx/onnx.h"

struct ref {
	int rank;
	int64_t dims[ARPG_ONNX_MAXRANK];
	float *f;
};

static int read_ref(const char *path, struct ref *r)
{
	char err[256], *buf;
	int64_t *i64 = NULL;
	long len;
	FILE *f = fopen(path, "rb");
	int rc;

	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = malloc(len + 1);
	if (!buf || fread(buf, 1, len, f) != (size_t)len) {
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	rc = arpg_onnx_tensor_read(buf, len, &r->rank, r->dims, &r->f, &i64, NULL, 0,
				   err, sizeof err);
	free(buf);
	free(i64);
	if (rc < 0)
		arpg_test_note("%s: %s", path, err);
	return rc < 0 || !r->f ? -1 : 0;
}

/* max over items of max|got - want| / ||want|| */
static double rel_err(const float *got, const struct ref *want, int n)
{
	size_t per = 1, i;
	double worst = 0;
	int k;

	for (k = 1; k < want->rank; k++)
		per *= want->dims[k];
	for (k = 0; k < n; k++) {
		double mx = 0, nn = 0;
		for (i = 0; i < per; i++) {
			double w = want->f[k * per + i], d = fabs(got[k * per + i] - w);
			if (!(d <= mx))
				mx = d;
			nn += w * w;
		}
		mx /= sqrt(nn) + 1e-30;
		if (!(mx <= worst))
			worst = mx;
	}
	return worst;
}

/* Whether the model at path, run on batch 8 with every conv unfolded into
 * a GEMM (ARPG_ONNX_WINOGRAD_OFF), gives other bits than emb: Winograd
 * rounds differently, so this tells that the default run took it. */
static int differs_from_im2col(const char *path, const float *in, const float *emb)
{
	struct arpg_onnx *m = NULL;
	struct arpg_onnx_tensor t;
	const float *inputs[1] = { in };
	char err[512];
	int differs = 0;

	if (arpg_onnx_load_file(&m, path, err, sizeof err) < 0 ||
	    arpg_onnx_set_winograd(m, ARPG_ONNX_WINOGRAD_OFF) < 0 ||
	    arpg_onnx_prepare(m, 8, err, sizeof err) < 0 ||
	    arpg_onnx_run(m, 8, inputs, err, sizeof err) < 0)
		arpg_test_fail(__FILE__, __LINE__, "im2col run: %s", err);
	else if (arpg_onnx_output(m, 0, &t) == 0)
		differs = memcmp(t.data, emb, sizeof *emb * 8 * 512) != 0;
	arpg_onnx_free(m);
	return differs;
}

static void check(const char *dir, int opset, int preserve, int winograd)
{
	char cmd[1024], path[512], err[512], tap[256] = "";
	struct arpg_onnx *m = NULL;
	struct arpg_onnx_tensor t;
	struct ref in = { 0 }, out = { 0 }, st = { 0 }, in1 = { 0 }, out1 = { 0 }, st1 = { 0 };
	const float *inputs[1];
	double e;
	int rc;

	snprintf(cmd, sizeof cmd, "%s %s/tests/onnx/make_iresnet.py %s --opset %d %s",
		 arpg_test_python(), arpg_test_srcdir(), dir, opset, preserve ? "--preserve-bn" : "");
	if (system(cmd)) {
		arpg_test_fail(__FILE__, __LINE__, "%s failed", cmd);
		return;
	}
#define RD(name, r) snprintf(path, sizeof path, "%s/" name, dir); \
	if (read_ref(path, r) < 0) { arpg_test_fail(__FILE__, __LINE__, "cannot read %s", path); \
		goto out; }
	RD("input.pb", &in);
	RD("output.pb", &out);
	RD("stage3.pb", &st);
	RD("input1.pb", &in1);
	RD("output1.pb", &out1);
	RD("stage31.pb", &st1);
	snprintf(path, sizeof path, "%s/model.onnx", dir);
	if ((rc = arpg_onnx_load_file(&m, path, err, sizeof err)) < 0) {
		arpg_test_fail(__FILE__, __LINE__, "load: %s", err);
		goto out;
	}
	expect_int(arpg_onnx_set_winograd(m, winograd), 0);
	rc = arpg_onnx_find_stride8(m, 112, tap, sizeof tap, err, sizeof err);
	expect_int(rc, 0);
	arpg_test_note("opset %d%s: stride-8 tap found: %s", opset,
		       preserve ? " (batch norms as nodes)" : "", tap);
	expect_str(tap, "/layer3/layer3.1/Add_output_0");
	if ((rc = arpg_onnx_tap(m, tap, err, sizeof err)) < 0 ||
	    (rc = arpg_onnx_prepare(m, 8, err, sizeof err)) < 0) {
		arpg_test_fail(__FILE__, __LINE__, "prepare: %s", err);
		goto out;
	}
	inputs[0] = in.f;
	if ((rc = arpg_onnx_run(m, 8, inputs, err, sizeof err)) < 0) {
		arpg_test_fail(__FILE__, __LINE__, "run: %s", err);
		goto out;
	}
	arpg_onnx_output(m, 0, &t);
	expect_int(t.rank, 2);
	expect_int(t.dims[0], 8);
	expect_int(t.dims[1], 512);
	e = rel_err(t.data, &out, 8);
	arpg_test_note("opset %d batch 8: embedding rel err %.3g", opset, e);
	expect(e < 1e-4);
	expect_int(arpg_onnx_get(m, tap, &t), 0);
	expect_int(t.dims[1] * t.dims[2] * t.dims[3], 256 * 14 * 14);
	e = rel_err(t.data, &st, 8);
	arpg_test_note("opset %d batch 8: stride-8 map rel err %.3g", opset, e);
	expect(e < 1e-4);
	if (winograd == ARPG_ONNX_WINOGRAD_AUTO) {
		arpg_onnx_output(m, 0, &t);
		expect(differs_from_im2col(path, in.f, t.data));
	}
	inputs[0] = in1.f;
	if ((rc = arpg_onnx_run(m, 1, inputs, err, sizeof err)) < 0) {
		arpg_test_fail(__FILE__, __LINE__, "run: %s", err);
		goto out;
	}
	arpg_onnx_output(m, 0, &t);
	expect_int(t.dims[0], 1);
	e = rel_err(t.data, &out1, 1);
	arpg_test_note("opset %d batch 1: embedding rel err %.3g", opset, e);
	expect(e < 1e-4);
	expect_int(arpg_onnx_get(m, tap, &t), 0);
	e = rel_err(t.data, &st1, 1);
	arpg_test_note("opset %d batch 1: stride-8 map rel err %.3g", opset, e);
	expect(e < 1e-4);
out:
	arpg_onnx_free(m);
	free(in.f), free(out.f), free(st.f), free(in1.f), free(out1.f), free(st1.f);
}

ARPG_TEST(iresnet18_opset11_matches_pytorch)
{
	struct arpg_blis_info bi;

	if (!arpg_test_have_torch())
		skip("python3 has no torch and onnx (Debian: python3-torch python3-onnx)");
	arpg_blis_setup(0, 0, &bi);
	check("m11", 11, 0, ARPG_ONNX_WINOGRAD_OFF);
}

ARPG_TEST(iresnet18_opset13_bn_nodes_matches_pytorch)
{
	struct arpg_blis_info bi;

	if (!arpg_test_have_torch())
		skip("python3 has no torch and onnx (Debian: python3-torch python3-onnx)");
	arpg_blis_setup(0, 0, &bi);
	check("m13", 13, 1, ARPG_ONNX_WINOGRAD_AUTO);
}
