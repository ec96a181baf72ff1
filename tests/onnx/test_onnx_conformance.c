/* test_onnx_conformance.c - the ONNX project's own backend tests (Debian's
 * libonnx-testdata: data/node, pytorch-converted, pytorch-operator) run
 * through "arpg-features onnx-run" (onnx_run_main; in process, as onnx-run
 * would, when a float input gives a shape, such as Resize's scales, which
 * must be bound as a constant) and compared with
 * the expected outputs within 1e-4 relative (max abs difference over the
 * L2 norm of the expected tensor).  Models using an operator the engine
 * does not have are counted apart; cases of a supported operator that use
 * an attribute, type or rank it refuses are skipped with the reason.  Any
 * other failure fails the test, and so does an operator of ops_required
 * with no passing case.  ARPG_ONNX_TESTDATA overrides the root. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "harness.h"
#include "error.h"
#include "blis_setup.h"
#include "onnx/onnx.h"
#include "onnx_run.h"

struct tens {
	int rank;
	int64_t dims[ARPG_ONNX_MAXRANK];
	float *f;
	int64_t *i64;
};

static int read_tensor(const char *path, struct tens *t)
{
	char err[256], *buf;
	long len;
	FILE *f = fopen(path, "rb");
	int rc;

	memset(t, 0, sizeof *t);
	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	if (!(buf = malloc(len + 1)) || fread(buf, 1, len, f) != (size_t)len) {
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	rc = arpg_onnx_tensor_read(buf, len, &t->rank, t->dims, &t->f, &t->i64, NULL, 0,
				   err, sizeof err);
	free(buf);
	return rc;
}

static int count_files(const char *dir, const char *prefix)
{
	char p[2048];
	int n = 0;
	struct stat st;

	for (;;) {
		snprintf(p, sizeof p, "%s/%s_%d.pb", dir, prefix, n);
		if (stat(p, &st))
			return n;
		n++;
	}
}

/* Operators that must each pass at least one case: the node tests named
 * test_<prefix>... (those added for the face detectors; the older ones are
 * covered by their own tests and IResNet). */
static const struct {
	const char *op, *prefix;
} ops_required[] = {
	{ "Sigmoid", "sigmoid" }, { "Transpose", "transpose" }, { "Resize", "resize" },
	{ "Upsample", "upsample" }, { "Concat", "concat" }, { "Softmax", "softmax" },
	/* those of arpg-train's exported head; LayerNormalization's node tests
	 * ask for its Mean and InvStdDev too, and are skipped (test_onnx_ops
	 * checks it) */
	{ "Elu", "elu" }, { "LeakyRelu", "leakyrelu" }, { "ReduceMean", "reduce_mean" },
};
#define NREQ (sizeof ops_required / sizeof *ops_required)

struct tally {
	int cases, passed, failed, skipped, other_op, models;
	int req_passed[NREQ];
	char reasons[64][160];
	int nreason[64], nr;
};

static void skip_reason(struct tally *ty, const char *name, const char *why)
{
	char r[160];
	const char *p = strstr(why, "): ");
	int i;

	/* group by the reason without the node name */
	snprintf(r, sizeof r, "%s", p ? p + 3 : why);
	arpg_test_note("skip %s: %s", name, why);
	for (i = 0; i < ty->nr; i++)
		if (!strcmp(ty->reasons[i], r)) {
			ty->nreason[i]++;
			return;
		}
	if (ty->nr < 64) {
		snprintf(ty->reasons[ty->nr], sizeof ty->reasons[0], "%s", r);
		ty->nreason[ty->nr++] = 1;
	}
}

/* Loads the model and binds its inputs from the set's files as onnx-run
 * does, and a float input that gives a shape as a constant (*param set
 * then); *inputs holds the float inputs' data (free each and the array).
 * 0, 1 (skip, reason in why) or a negative code. */
static int load_bound(struct arpg_onnx **mp, const char *model, const char *set, int *param,
		      float ***inputs, char *why, size_t n)
{
	struct arpg_onnx *m = NULL;
	char p[2048];
	int rc, i, k;

	*mp = NULL;
	*param = 0;
	*inputs = NULL;
	if ((rc = arpg_onnx_load_file(&m, model, why, n)) < 0)
		return rc;
	k = count_files(set, "input");
	if (k != arpg_onnx_ninputs(m)) {
		snprintf(why, n, "%d input files for %d inputs", k, arpg_onnx_ninputs(m));
		arpg_onnx_free(m);
		return 1;
	}
	if (!(*inputs = calloc(k + 1, sizeof **inputs))) {
		arpg_onnx_free(m);
		return ARPG_ENOMEM;
	}
	for (i = 0, rc = 0; i < k && rc >= 0; i++) {
		struct tens t;
		snprintf(p, sizeof p, "%s/input_%d.pb", set, i);
		if (read_tensor(p, &t) < 0) {
			snprintf(why, n, "input %d: not float or int64", i);
			arpg_onnx_free(m);
			return 1;
		}
		if (t.i64)
			rc = arpg_onnx_bind_int64(m, i, t.rank, t.dims, t.i64, why, n);
		else if (arpg_onnx_input_is_param(m, i)) {
			rc = arpg_onnx_bind_float(m, i, t.rank, t.dims, t.f, why, n);
			*param = 1;
		} else
			rc = arpg_onnx_set_input_shape(m, i, t.rank, t.dims, why, n);
		(*inputs)[i] = t.f;
		free(t.i64);
	}
	*mp = m;
	return rc < 0 ? rc : 0;
}

static void free_inputs(float **in, int n)
{
	int i;

	for (i = 0; in && i < n; i++)
		free(in[i]);
	free(in);
}

/* Loads, binds and prepares: 0 (runnable through onnx-run), 3 (runnable
 * in process: a float input gives a shape), 1 (skip, reason in why), 2
 * (operator not supported), -1 (failure, why). */
static int classify(const char *model, const char *set, char *why, size_t n)
{
	struct arpg_onnx *m = NULL;
	float **in = NULL;
	int rc, param;

	rc = load_bound(&m, model, set, &param, &in, why, n);
	free_inputs(in, count_files(set, "input"));
	if (rc == 1)
		return 1;
	if (rc == ARPG_EUNSUPPORTED && strstr(why, "is not supported by arpg"))
		return 2;
	if (rc < 0) {
		arpg_onnx_free(m);
		return rc == ARPG_EUNSUPPORTED ? 1 : -1;
	}
	rc = arpg_onnx_prepare(m, 0, why, n);
	arpg_onnx_free(m);
	if (rc == ARPG_EUNSUPPORTED)
		return 1;
	return rc < 0 ? -1 : param ? 3 : 0;
}

/* Runs a case in process as onnx-run would, the outputs written to
 * out/output_N.pb: 0, or -1 with why. */
static int run_in_process(const char *model, const char *set, const char *out, char *why,
			  size_t n)
{
	struct arpg_onnx *m = NULL;
	float **in = NULL;
	char p[256];
	int rc, param, i;

	if ((rc = load_bound(&m, model, set, &param, &in, why, n)) == 0 &&
	    (rc = arpg_onnx_prepare(m, 0, why, n)) == 0 &&
	    (rc = arpg_onnx_run(m, 1, (const float *const *)in, why, n)) == 0 &&
	    (rc = mkdir(out, 0777)) == 0)
		for (i = 0; i < arpg_onnx_noutputs(m) && rc == 0; i++) {
			struct arpg_onnx_tensor t;
			arpg_onnx_output(m, i, &t);
			snprintf(p, sizeof p, "%s/output_%d.pb", out, i);
			rc = arpg_onnx_tensor_write(p, t.name, t.rank, t.dims, t.data);
		}
	free_inputs(in, count_files(set, "input"));
	arpg_onnx_free(m);
	if (rc && !why[0])
		snprintf(why, n, "cannot write %s", out);
	return rc ? -1 : 0;
}

static int compare(const char *got, const char *want, char *why, size_t n)
{
	struct tens g, w;
	int64_t k, cnt = 1;
	double mx = 0, nn = 0;
	int i, rc = 0;

	if (read_tensor(want, &w) < 0 || !w.f) {
		free(w.f), free(w.i64);
		snprintf(why, n, "expected output is not float");
		return 1;
	}
	if (read_tensor(got, &g) < 0 || !g.f) {
		snprintf(why, n, "%s: missing or unreadable", got);
		rc = -1;
		goto out;
	}
	if (g.rank != w.rank) {
		snprintf(why, n, "rank %d, expected %d", g.rank, w.rank);
		rc = -1;
		goto out;
	}
	for (i = 0; i < w.rank; i++) {
		if (g.dims[i] != w.dims[i]) {
			snprintf(why, n, "dim %d is %lld, expected %lld", i, (long long)g.dims[i],
				 (long long)w.dims[i]);
			rc = -1;
			goto out;
		}
		cnt *= w.dims[i];
	}
	for (k = 0; k < cnt; k++) {
		double d = fabs((double)g.f[k] - w.f[k]);
		if (isnan(w.f[k]) != isnan(g.f[k]) ||
		    (isinf(w.f[k]) && g.f[k] != w.f[k]))
			d = INFINITY;
		else if (isnan(w.f[k]) || isinf(w.f[k]))
			d = 0;
		else
			nn += (double)w.f[k] * w.f[k];
		if (!(d <= mx))
			mx = d;
	}
	if (!(mx <= 1e-4 * sqrt(nn) + 1e-6)) {
		snprintf(why, n, "max abs diff %.3g, norm %.3g", mx, sqrt(nn));
		rc = -1;
	}
out:
	free(g.f), free(g.i64), free(w.f), free(w.i64);
	return rc;
}

static void run_dir(const char *root, struct tally *ty)
{
	struct dirent **ents = NULL;
	int ne = scandir(root, &ents, NULL, alphasort), e;

	for (e = 0; e < ne; e++) {
		const char *name = ents[e]->d_name;
		char dir[1400], model[1500], set[1500], why[600], out[64], *argv[32];
		int s, r, k, j;
		if (strncmp(name, "test_", 5)) {
			free(ents[e]);
			continue;
		}
		snprintf(dir, sizeof dir, "%s/%s", root, name);
		snprintf(model, sizeof model, "%s/model.onnx", dir);
		ty->models++;
		for (s = 0;; s++) {
			struct stat st;
			snprintf(set, sizeof set, "%s/test_data_set_%d", dir, s);
			if (stat(set, &st))
				break;
			why[0] = 0;
			r = classify(model, set, why, sizeof why);
			if (r == 2) {
				ty->other_op++;
				break;
			}
			if (r == 1) {
				ty->skipped++;
				skip_reason(ty, name, why);
				continue;
			}
			ty->cases++;
			if (r < 0) {
				ty->failed++;
				arpg_test_note("FAIL %s/%d: %s", name, s, why);
				continue;
			}
			snprintf(out, sizeof out, "out_%d", ty->cases);
			if (r == 3) {
				if (run_in_process(model, set, out, why, sizeof why) < 0) {
					ty->failed++;
					arpg_test_note("FAIL %s/%d: %s", name, s, why);
					continue;
				}
				goto compare;
			}
			k = count_files(set, "input");
			argv[0] = "onnx-run", argv[1] = model, argv[2] = "-o", argv[3] = out;
			for (j = 0; j < k && j < 24; j++) {
				argv[4 + j] = malloc(2048);
				snprintf(argv[4 + j], 2048, "%s/input_%d.pb", set, j);
			}
			argv[4 + j] = NULL;
			r = onnx_run_main(4 + j, argv);
			for (j = 0; j < k && j < 24; j++)
				free(argv[4 + j]);
			if (r) {
				ty->failed++;
				arpg_test_note("FAIL %s/%d: onnx-run exit status %d", name, s, r);
				continue;
			}
compare:
			for (j = 0, r = 0; j < count_files(set, "output") && r >= 0; j++) {
				char g[128], w[2048];
				snprintf(g, sizeof g, "%s/output_%d.pb", out, j);
				snprintf(w, sizeof w, "%s/output_%d.pb", set, j);
				r = compare(g, w, why, sizeof why);
			}
			if (r < 0) {
				ty->failed++;
				arpg_test_note("FAIL %s/%d: output %d: %s", name, s, j - 1, why);
			} else if (r > 0) {
				ty->cases--;
				ty->skipped++;
				skip_reason(ty, name, why);
			} else {
				size_t q;
				ty->passed++;
				for (q = 0; q < NREQ; q++)
					if (!strncmp(name + 5, ops_required[q].prefix,
						     strlen(ops_required[q].prefix)))
						ty->req_passed[q]++;
			}
		}
		free(ents[e]);
	}
	free(ents);
}

ARPG_TEST(onnx_backend_node_tests)
{
	static const char *const sub[] = { "node", "pytorch-converted", "pytorch-operator" };
	const char *root = getenv("ARPG_ONNX_TESTDATA");
	struct arpg_blis_info bi;
	struct tally ty;
	char dir[1024];
	struct stat st;
	int i, any = 0;

	if (!root)
		root = "/usr/share/libonnx-testdata/data";
	memset(&ty, 0, sizeof ty);
	arpg_blis_setup(1, 0, &bi);
	for (i = 0; i < 3; i++) {
		snprintf(dir, sizeof dir, "%s/%s", root, sub[i]);
		if (stat(dir, &st))
			continue;
		any = 1;
		run_dir(dir, &ty);
	}
	if (!any)
		skip("no ONNX test data (Debian: libonnx-testdata)");
	for (i = 0; i < ty.nr; i++)
		arpg_test_note("skipped %3d: %s", ty.nreason[i], ty.reasons[i]);
	arpg_test_note("%d models, %d using operators the engine does not have; "
		       "cases run %d, passed %d, failed %d, skipped %d",
		       ty.models, ty.other_op, ty.cases, ty.passed, ty.failed, ty.skipped);
	for (i = 0; i < (int)NREQ; i++) {
		arpg_test_note("%-10s %3d cases passed", ops_required[i].op, ty.req_passed[i]);
		if (!ty.req_passed[i])
			arpg_test_fail(__FILE__, __LINE__, "no case of %s passed", ops_required[i].op);
	}
	expect_int(ty.failed, 0);
	expect(ty.passed > 50);
}
