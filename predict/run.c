/* run.c - an arpg-predict run (see run.h). */
#include "config.h"
#include "run.h"
#include "cli.h"
#include "error.h"
#include "inputs.h"
#include "log.h"
#include "model_file.h"
#include "output.h"
#include "plan.h"
#include "spawn.h"

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct run {
	const struct predict_opts *o;
	struct arpg_kv settings;	/* the model's */
	char work[PATH_MAX];		/* the private folder, or --keep's */
	char backbone[PATH_MAX + 512];	/* -b for arpg-features */
	long failures;			/* inputs or stages that failed in part */
};

/* What kind of file a model that is not one is, for the message. */
static const char *kind_of(const char *path)
{
	unsigned char b[8] = { 0 };
	FILE *f = fopen(path, "rb");
	size_t n = f ? fread(b, 1, sizeof b, f) : 0;

	if (f)
		fclose(f);
	if (n >= 8 && !memcmp(b, "\x89PNG\r\n\x1a\n", 8))
		return "a PNG image";
	/* an ONNX ModelProto begins with ir_version (field 1, varint) */
	if (n >= 2 && b[0] == 0x08 && b[1] < 0x20)
		return "an ONNX model, perhaps (arpg-train --export-onnx writes those)";
	if (n >= 4 && !memcmp(b, "ARPT", 4))
		return "an arpg tensor record";
	return NULL;
}

/* The model's settings into r.  0 or 1 (reported). */
static int read_model(struct run *r)
{
	const char *path = r->o->model, *kind, *classes;
	char err[512] = "";
	int rc;

	rc = arpg_model_file_settings(&r->settings, path, err, sizeof err);
	/* a per-frame model's classes are its cache's frame_labels */
	classes = rc == 0 && arpg_kv_get(&r->settings, "model.per_frame") ? "cache.frame_labels" :
									  "cache.labels";
	if (rc == 0 && arpg_kv_get(&r->settings, "model.G") && arpg_kv_get(&r->settings, classes))
		return 0;
	if (rc == 0)
		arpg_error("%s: its settings lack model.G or %s: not a model arpg-train saved",
			   path, classes);
	else if (rc == ARPG_EFORMAT && (kind = kind_of(path)))
		arpg_error("%s: %s, not a model: -m takes the file arpg-train --save wrote", path,
			   kind);
	else
		arpg_report(path, rc, err);
	return 1;
}

/* The preprocess settings to remake the crops with: --preprocess, or the
 * model's.  NULL when there are none (reported). */
static const char *preprocess_settings(const struct run *r)
{
	const char *set = r->o->preprocess ? r->o->preprocess :
			  arpg_kv_get(&r->settings, "cache.preprocess");
	static const char how[] = "pass --preprocess 'SETTINGS', the settings line of the "
				  "origin.tsv in the folder of any clip it was trained on "
				  "(OUT/CLIP_ID/origin.tsv of arpg-preprocess -o OUT), such as "
				  "--preprocess 'size=112 fps=0 max-frames=0 align=1 cascade=default "
				  "landmarks=default equalize=0 scale-factor=1.1 min-neighbors=3 "
				  "min-size=30 smooth=0'";

	if (!set)
		arpg_error("%s: the model does not record how its faces were cropped (it was "
			   "trained on a cache made before arpg-features recorded meta "
			   "preprocess): %s", r->o->model, how);
	else if (!strcmp(set, "mixed"))
		arpg_error("%s: the model was trained on clips cropped with different settings "
			   "(meta preprocess \"mixed\"): %s", r->o->model, how);
	return set && strcmp(set, "mixed") ? set : NULL;
}

/* -b for arpg-features into r->backbone: hog, or the model's ONNX file (-b
 * FILE, else NAME beside the model or in the current folder) with its
 * SHA-256 checked, linked into the work folder under the name the model
 * knows it by (the cache's meta records the file's name).  0 or 1. */
static int find_backbone(struct run *r)
{
	const char *name = arpg_kv_get(&r->settings, "cache.backbone");
	const char *sum = arpg_kv_get(&r->settings, "cache.backbone_sha256");
	char cand[2 * PATH_MAX], dir[PATH_MAX], hex[65], abs[PATH_MAX], *slash;

	/* arpg-features records a file name, never a path */
	if (!name || !sum || !*name || strchr(name, '/') || !strcmp(name, "..")) {
		arpg_error("%s: the model's settings lack cache.backbone or cache.backbone_sha256, "
			   "or name no file: not a model arpg-train saved", r->o->model);
		return 1;
	}
	if (!strcmp(name, "hog")) {
		if (r->o->backbone && strcmp(r->o->backbone, "hog")) {
			arpg_error("-b %s: the model was trained on the built-in hog features, not "
				   "a backbone file", r->o->backbone);
			return 1;
		}
		snprintf(r->backbone, sizeof r->backbone, "hog");
		return 0;
	}
	if (r->o->backbone) {
		snprintf(cand, sizeof cand, "%s", r->o->backbone);
	} else {
		snprintf(dir, sizeof dir, "%s", r->o->model);
		slash = strrchr(dir, '/');
		snprintf(cand, sizeof cand, "%s/%s", slash ? (*slash = 0, dir) : ".", name);
		if (access(cand, R_OK) < 0)
			snprintf(cand, sizeof cand, "%s", name);
		if (access(cand, R_OK) < 0) {
			arpg_error("%s: its backbone %s is neither beside it nor in the current "
				   "folder: give the file with -b FILE (its SHA-256 must be %s)",
				   r->o->model, name, sum);
			return 1;
		}
	}
	if (plan_sha256(cand, hex) < 0)
		return arpg_report(cand, ARPG_EIO, strerror(errno)) < 0;
	if (strcmp(hex, sum)) {
		arpg_error("%s: SHA-256 %s, but the model was trained with a %s of SHA-256 %s: "
			   "not the same backbone", cand, hex, name, sum);
		return 1;
	}
	snprintf(r->backbone, sizeof r->backbone, "%s/backbone", r->work);
	if (!realpath(cand, abs) || (mkdir(r->backbone, 0777) < 0 && errno != EEXIST) ||
	    (size_t)snprintf(r->backbone, sizeof r->backbone, "%s/backbone/%.255s", r->work, name) >=
		    sizeof r->backbone || symlink(abs, r->backbone) < 0)
		return arpg_report(r->backbone, ARPG_EIO, strerror(errno)) < 0;
	return 0;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* The work folder: --keep DIR (made; refused when it holds anything),
 * else a new one under $TMPDIR.  0 or 1 (reported). */
static int make_work(struct run *r)
{
	const char *tmp = getenv("TMPDIR");

	if (r->o->keep) {
		snprintf(r->work, sizeof r->work, "%s", r->o->keep);
		if (mkdir(r->work, 0777) < 0 && (errno != EEXIST || rmdir(r->work) < 0 ||
						  mkdir(r->work, 0777) < 0)) {
			arpg_error("--keep %s: %s (it must be a new or an empty folder)", r->work,
				   strerror(errno));
			r->work[0] = 0;
			return 1;
		}
		return 0;
	}
	snprintf(r->work, sizeof r->work, "%s/arpg-predict.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(r->work)) {
		arpg_report(r->work, ARPG_EIO, strerror(errno));
		r->work[0] = 0;
		return 1;
	}
	arpg_info("working in %s", r->work);
	return 0;
}

/* The options all three programs take: -j, -q, -v. */
static void common_args(const struct run *r, struct args *a)
{
	char j[16];

	if (r->o->jobs) {
		snprintf(j, sizeof j, "%d", r->o->jobs);
		args_opt(a, "-j", j);
	}
	if (r->o->verbosity == ARPG_QUIET)
		args_add(a, "-q");
	for (int v = ARPG_NORMAL; v < r->o->verbosity; v++)
		args_add(a, "-v");
}

/* Runs stage a (a->v[0] its program) with stdout to out; partial: its
 * exit status 1 means some clips failed and the others go on.  Returns
 * its exit status, or -1 when it could not run (reported). */
static int stage(struct run *r, struct args *a, const char *out, int partial)
{
	char path[PATH_MAX], err[PATH_MAX + 100] = "";
	int status;

	if (a->overflow) {
		arpg_report(a->v[0], ARPG_ENOMEM, "too many arguments");
		return -1;
	}
	spawn_find(path, sizeof path, a->v[0]);
	arpg_info("running %s", path);
	if (arpg_verbosity() >= ARPG_DEBUG)
		for (int i = 1; i < a->n; i++)
			arpg_debug("  %s", a->v[i]);
	if ((status = spawn_run(path, a->v, out, err, sizeof err)) < 0) {
		arpg_error("%s%s", err, status == ARPG_ENOENT ? " (it is looked for beside "
			   "arpg-predict, then on PATH)" : "");
		return -1;
	}
	if (status != 0 && status < 128 && !*r->o->stop) {
		arpg_error("%s: exit status %d%s", a->v[0], status, status == 1 && partial ?
			   ": some clips failed (said above); the others go on" : "");
		r->failures++;
	}
	return status;
}

/* arpg-preprocess over the list of videos and over the dataset inputs, into
 * WORK/faces.  0, or 1: nothing to go on with. */
static int run_preprocess(struct run *r, const char *settings)
{
	struct args datasets = { 0 }, a = { 0 };
	char path[PATH_MAX + 64], faces[PATH_MAX + 32], err[512];
	long nlist = 0;
	int rc = 1, status = 0;
	FILE *f;

	snprintf(path, sizeof path, "%s/inputs.tsv", r->work);
	snprintf(faces, sizeof faces, "%s/faces", r->work);
	if (!(f = fopen(path, "w"))) {
		arpg_report(path, ARPG_EIO, strerror(errno));
		return 1;
	}
	fputs("path\tlabel\tsplit\tsubject\n", f);
	if (inputs_sort(r->o->inputs, r->o->ninputs, r->o->layout != NULL, f, &nlist, &datasets,
			&r->failures) < 0 || fclose(f) != 0) {
		if (f)
			arpg_report(path, ARPG_EIO, strerror(errno));
		goto out;
	}
	for (int pass = 0; pass < 2 && status >= 0 && status < 2 && !*r->o->stop; pass++) {
		if (pass == 0 ? !nlist : !datasets.n)
			continue;
		args_add(&a, "arpg-preprocess");
		args_opt(&a, "-l", pass == 0 ? "list" : r->o->layout ? r->o->layout : "dir");
		args_opt(&a, "-o", faces);
		if (plan_preprocess(&a, settings, err, sizeof err) < 0) {
			arpg_error("%s: %s", r->o->preprocess ? "--preprocess" : r->o->model, err);
			goto out;
		}
		common_args(r, &a);
		if (pass == 0)
			args_add(&a, path);
		for (int i = 0; pass == 1 && i < datasets.n; i++)
			args_add(&a, datasets.v[i]);
		status = stage(r, &a, NULL, 1);
		args_free(&a);
	}
	if (status < 0 || status >= 2) {
		if (status == 2)
			arpg_error("arpg-preprocess refused the options made from the settings "
				   "'%s'", settings);
		goto out;
	}
	snprintf(path, sizeof path, "%s/manifest.tsv", faces);
	if (access(path, R_OK) < 0) {
		arpg_error("no clip to predict: %s", nlist || datasets.n ? "arpg-preprocess made "
			   "none" : "no input holds a video");
		r->failures++;
		goto out;
	}
	rc = 0;
out:
	args_free(&a);
	args_free(&datasets);
	return rc;
}

/* arpg-features into WORK/cache, then arpg-train --predict into
 * WORK/predictions.tsv.  0, or 1: no predictions. */
static int run_model(struct run *r)
{
	struct args a = { 0 };
	char p[PATH_MAX + 32], err[512];
	int status;

	args_add(&a, "arpg-features");
	if (plan_features(&a, &r->settings, r->backbone, err, sizeof err) < 0) {
		arpg_error("%s: %s: not a model arpg-train saved", r->o->model, err);
		args_free(&a);
		return 1;
	}
	snprintf(p, sizeof p, "%s/cache", r->work);
	args_opt(&a, "-o", p);
	common_args(r, &a);
	snprintf(p, sizeof p, "%s/faces/manifest.tsv", r->work);
	args_add(&a, p);
	status = stage(r, &a, NULL, 1);
	args_free(&a);
	snprintf(p, sizeof p, "%s/cache/data.mdb", r->work);
	if (status < 0 || status >= 2 || access(p, R_OK) < 0 || *r->o->stop)
		return 1;

	args_add(&a, "arpg-train");
	snprintf(p, sizeof p, "%s/cache", r->work);
	args_add(&a, p);
	args_opt(&a, "--load", r->o->model);
	args_add(&a, "--predict");
	common_args(r, &a);
	snprintf(p, sizeof p, "%s/predictions.tsv", r->work);
	status = stage(r, &a, p, 0);
	args_free(&a);
	return status != 0;
}

int predict_run(const struct predict_opts *o, int *stdout_gone)
{
	struct run r = { .o = o };
	const char *settings;
	char err[PATH_MAX + 100], preds[PATH_MAX + 32], faces[PATH_MAX + 32];
	int status = ARPG_EXIT_FAILURE;
	long n;

	if (read_model(&r))
		goto out;
	if (o->per_frame && !arpg_kv_get(&r.settings, "model.per_frame")) {
		arpg_error("--per-frame: %s is an ARPGNet head, which predicts a clip from all "
			   "its frames at once: it has no per-frame probabilities (models "
			   "arpg-train --per-frame trained have them)", o->model);
		status = ARPG_EXIT_USAGE;
		goto out;
	}
	if (!(settings = preprocess_settings(&r)) || make_work(&r) || find_backbone(&r) ||
	    run_preprocess(&r, settings) || *o->stop || run_model(&r) || *o->stop)
		goto out;
	snprintf(preds, sizeof preds, "%s/predictions.tsv", r.work);
	snprintf(faces, sizeof faces, "%s/faces", r.work);
	if ((n = output_predictions(stdout, preds, faces, o->json, o->per_frame, err,
				     sizeof err)) < 0) {
		if (n == ARPG_EPIPE_QUIET)
			*stdout_gone = 1;
		else
			arpg_report("arpg-train's predictions", (int)n, err);
		status = n == ARPG_EPIPE_QUIET ? ARPG_EXIT_OK : ARPG_EXIT_FAILURE;
		goto out;
	}
	arpg_note("%ld clip%s predicted%s", n, n == 1 ? "" : "s",
		  r.failures ? "; some inputs or clips failed (said above)" : "");
	status = r.failures ? ARPG_EXIT_FAILURE : ARPG_EXIT_OK;
out:
	if (*o->stop) {
		arpg_error("stopped by signal %d", (int)*o->stop);
		status = 128 + *o->stop;
	}
	if (r.work[0] && !o->keep)
		nftw(r.work, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	else if (r.work[0])
		arpg_info("the work is kept in %s", r.work);
	arpg_kv_free(&r.settings);
	return status;
}
