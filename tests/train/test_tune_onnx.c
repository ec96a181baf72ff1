/* The backbone's tail read from ONNX (train/tune_onnx.c) against PyTorch:
 * InsightFace-structure IResNets with random weights, made at test time by
 * tests/onnx/make_iresnet.py (Debian's python3-torch; skipped without it).
 * From PyTorch's own stage-3 map (stage3.pb), the tail's forward gives
 * PyTorch's embedding (output.pb) within 1e-4: an iresnet18 exported at
 * opset 11 (the exporter folds the batch norms after convolutions: convs
 * with a bias), and a three-block stage 4 (an iresnet50's) at opset 13 with
 * every batch norm a node.  Layers the tail cannot train are refused,
 * named. */
#include "harness.h"
#include "error.h"
#include "onnx/onnx.h"
#include "tune.h"
#include "tune_onnx.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static float *read_pb(const char *path, int *rank, int64_t *dims)
{
	char err[256];
	void *buf = NULL;
	size_t len = 0;
	float *f = NULL;
	int64_t *i64 = NULL;
	FILE *fp = fopen(path, "rb");
	long n;

	if (!fp)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	if (n > 0 && (buf = malloc((size_t)n)) && fread(buf, 1, (size_t)n, fp) == (size_t)n)
		len = (size_t)n;
	fclose(fp);
	if (len && arpg_onnx_tensor_read(buf, len, rank, dims, &f, &i64, NULL, 0, err,
					 sizeof err) < 0)
		f = NULL;
	free(buf);
	free(i64);
	return f;
}

static void check(const char *dir, const char *layers, int opset, int preserve, int blocks)
{
	char cmd[1024], path[600], err[512], tap[256] = "";
	struct arpg_onnx *m = NULL;
	struct tune *t = NULL;
	float *st = NULL, *out = NULL, *emb = NULL;
	int rs, ro, n, nconv = 0;
	int64_t ds[8], dout[8];
	double md = 0, mw = 0;

	snprintf(cmd, sizeof cmd, "%s %s/tests/onnx/make_iresnet.py %s --layers %s --opset %d "
		 "--batch 3 %s", arpg_test_python(), arpg_test_srcdir(), dir, layers, opset,
		 preserve ? "--preserve-bn" : "");
	if (system(cmd)) {
		arpg_test_fail(__FILE__, __LINE__, "%s failed", cmd);
		return;
	}
	snprintf(path, sizeof path, "%s/stage3.pb", dir);
	st = read_pb(path, &rs, ds);
	snprintf(path, sizeof path, "%s/output.pb", dir);
	out = read_pb(path, &ro, dout);
	snprintf(path, sizeof path, "%s/model.onnx", dir);
	if (!st || !out || rs != 4 || ro != 2) {
		arpg_test_fail(__FILE__, __LINE__, "%s: no stage3.pb or output.pb", dir);
		goto out;
	}
	n = (int)ds[0];
	if (arpg_onnx_load_file(&m, path, err, sizeof err) < 0 ||
	    arpg_onnx_find_stride8(m, 112, tap, sizeof tap, err, sizeof err) < 0 ||
	    tune_from_onnx(&t, m, tap, (int)ds[1], (int)ds[2], (int)ds[3], n, err,
			   sizeof err) < 0) {
		arpg_test_fail(__FILE__, __LINE__, "%s: %s", dir, err);
		goto out;
	}
	for (int i = 0; i < t->nops; i++)
		nconv += t->ops[i].kind == TUNE_CONV;
	expect_int(nconv, 2 * blocks + 1);
	expect_int(tune_out_dim(t), (int)dout[1]);
	emb = malloc(sizeof *emb * (size_t)n * dout[1]);
	tune_forward(t, st, n, emb);
	for (long i = 0; i < n * dout[1]; i++) {
		md = fmax(md, fabs(emb[i] - out[i]));
		mw = fmax(mw, fabs(out[i]));
	}
	arpg_test_note("%s (layers %s, opset %d%s): %d ops, %zu parameters, embedding rel. "
		       "error %.2g", dir, layers, opset, preserve ? ", batch norms as nodes" : "",
		       t->nops, t->nparams, md / mw);
	expect(md / mw < 1e-4);
out:
	free(st);
	free(out);
	free(emb);
	tune_free(t);
	arpg_onnx_free(m);
}

ARPG_TEST(tune_onnx_iresnet18_opset11_matches_pytorch)
{
	if (!arpg_test_have_torch())
		skip("python3 has no torch and onnx (Debian: python3-torch python3-onnx)");
	check("r18", "2,2,2,2", 11, 0, 2);
}

ARPG_TEST(tune_onnx_iresnet50_stage4_bn_nodes_matches_pytorch)
{
	if (!arpg_test_have_torch())
		skip("python3 has no torch and onnx (Debian: python3-torch python3-onnx)");
	check("r50", "1,1,1,3", 13, 1, 3);
}
