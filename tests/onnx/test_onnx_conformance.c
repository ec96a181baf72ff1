/* test_onnx_conformance.c - the ONNX project's own backend tests (Debian's
 * libonnx-testdata: data/node, pytorch-converted, pytorch-operator) run
 * through "arpg-features onnx-run" (onnx_run_main) and compared with
 * the expected outputs within 1e-4 relative (max abs difference over the
 * L2 norm of the expected tensor).  Models using an operator the engine
 * does not have are counted apart; cases of a supported operator that use
 * an attribute, type or rank it refuses are skipped with the reason.  Any
 * other failure fails the test.  ARPG_ONNX_TESTDATA overrides the root. */
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

struct tally {
	int cases, passed, failed, skipped, other_op, models;
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

/* Loads, binds and prepares as onnx-run does: 0 (runnable), 1 (skip, reason
 * in why), 2 (operator not supported), -1 (failure, why). */
static int classify(const char *model, const char *set, char *why, size_t n)
{
	struct arpg_onnx *m = NULL;
	char p[2048];
	int rc, i, k;

	rc = arpg_onnx_load_file(&m, model, why, n);
	if (rc == ARPG_EUNSUPPORTED && strstr(why, "is not supported by arpg"))
		return 2;
	if (rc < 0)
		return rc == ARPG_EUNSUPPORTED ? 1 : -1;
	k = count_files(set, "input");
	if (k != arpg_onnx_ninputs(m)) {
		snprintf(why, n, "%d input files for %d inputs", k, arpg_onnx_ninputs(m));
		arpg_onnx_free(m);
		return 1;
	}
	for (i = 0; i < k; i++) {
		struct tens t;
		snprintf(p, sizeof p, "%s/input_%d.pb", set, i);
		if ((rc = read_tensor(p, &t)) < 0) {
			snprintf(why, n, "input %d: not float or int64", i);
			arpg_onnx_free(m);
			return 1;
		}
		rc = t.i64 ? arpg_onnx_bind_int64(m, i, t.rank, t.dims, t.i64, why, n)
			: arpg_onnx_set_input_shape(m, i, t.rank, t.dims, why, n);
		free(t.f);
		free(t.i64);
		if (rc < 0)
			break;
	}
	if (rc >= 0)
		rc = arpg_onnx_prepare(m, 0, why, n);
	arpg_onnx_free(m);
	if (rc == ARPG_EUNSUPPORTED)
		return 1;
	return rc < 0 ? -1 : 0;
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
			k = count_files(set, "input");
			snprintf(out, sizeof out, "out_%d", ty->cases);
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
			} else
				ty->passed++;
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
	expect_int(ty.failed, 0);
	expect(ty.passed > 50);
}
