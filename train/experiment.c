/* experiment.c - training runs over a sweep and folds, and saved models'
 * evaluation and predictions (see experiment.h). */
#include "experiment.h"
#include "checkpoint.h"
#include "cli.h"
#include "error.h"
#include "export.h"
#include "fileio.h"
#include "frames.h"
#include "lock.h"
#include "log.h"
#include "metrics.h"
#include "model.h"
#include "optim.h"
#include "progress.h"
#include "run.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- output ---- */

static void print_confusion(FILE *f, const struct dataset *ds, const long *cm)
{
	fprintf(f, "\"labels\":[");
	for (int i = 0; i < ds->C; i++) {
		if (i)
			fputc(',', f);
		json_string(f, ds->labels[i]);
	}
	fprintf(f, "],\"confusion\":[");
	for (int i = 0; i < ds->C; i++) {
		fprintf(f, "%s[", i ? "," : "");
		for (int j = 0; j < ds->C; j++)
			fprintf(f, "%s%ld", j ? "," : "", cm[i * ds->C + j]);
		fputc(']', f);
	}
	fputc(']', f);
}

/* Each class's F1, "f1_class":[...], then a comma. */
static void print_class_f1(FILE *f, const struct dataset *ds, const long *cm)
{
	fprintf(f, "\"f1_class\":[");
	for (int c = 0; c < ds->C; c++)
		fprintf(f, "%s%.6f", c ? "," : "", metrics_class_f1(cm, ds->C, c));
	fprintf(f, "],");
}

static void print_metrics(FILE *f, const char *name, int epoch, const struct metrics *m)
{
	fprintf(f, "\"%s\":{\"epoch\":%d,\"n\":%ld,\"loss\":%.6f,\"war\":%.6f,\"uar\":%.6f,\"f1\":%.6f}",
		name, epoch, m->n, m->loss, m->war, m->uar, m->f1);
}

/* Human-readable confusion matrix on stderr. */
static void show_confusion(const struct dataset *ds, const long *cm)
{
	if (arpg_verbosity() < ARPG_NORMAL)
		return;
	fprintf(stderr, "%-12s", "true\\pred");
	for (int j = 0; j < ds->C; j++)
		fprintf(stderr, " %8.8s", ds->labels[j]);
	fputc('\n', stderr);
	for (int i = 0; i < ds->C; i++) {
		fprintf(stderr, "%-12.12s", ds->labels[i]);
		for (int j = 0; j < ds->C; j++)
			fprintf(stderr, " %8ld", cm[i * ds->C + j]);
		fputc('\n', stderr);
	}
}

/* ---- saved models ---- */

/* Refuses a model trained on a cache whose meta differs from ds's (labels
 * too when labels is not 0): 0 or ARPG_EMISMATCH, reported. */
static int check_meta(const struct checkpoint *ck, const struct dataset *ds,
		      const char *model, const char *cache, int labels)
{
	const char *key = checkpoint_meta_mismatch(ck, &ds->meta, labels), *mv, *cv;
	char ckey[64];

	if (!key)
		return 0;
	snprintf(ckey, sizeof ckey, "cache.%s", key);
	mv = arpg_kv_get(&ck->settings, ckey);
	cv = arpg_kv_get(&ds->meta, key);
	if (!strcmp(key, "grid")) {
		mv = arpg_kv_get(&ck->settings, "model.G");
		arpg_error("%s: the model was trained on grid %s, but %s holds grid %s: extract "
			   "features with that grid, or train a new model", model, mv ? mv : "",
			   cache, cv ? cv : "");
		return ARPG_EMISMATCH;
	}
	arpg_error("%s: the model was trained on a cache with %s \"%s\", but %s has "
		   "\"%s\": extract features the same way, or train a new model",
		   model, key, mv ? mv : "", cache, cv ? cv : "");
	return ARPG_EMISMATCH;
}

/* Reports a file that could not be used (a model file checkpoint_load
 * refused, a backbone that cannot be read or written), err saying why:
 * rc, returned. */
static int report_load(const char *path, int rc, const char *err)
{
	if (rc == ARPG_EIO)	/* "input/output error" would hide a missing file */
		arpg_error("%s: %s", path, err);
	else
		arpg_report(path, rc, err);
	return rc;
}

/* The index of a[0..n)'s first NaN or infinity, or n; n when a is NULL. */
static size_t first_nonfinite(const float *a, size_t n)
{
	size_t i = 0;

	while (a && i < n && isfinite(a[i]))
		i++;
	return a ? i : n;
}

/* Refuses a model file whose parameters (or optimizer moments), of the
 * head or of a tuned backbone tail, hold NaN or Inf, naming the tensor (as
 * m lays them out) or the tail's index: 0 or ARPG_ENUMERIC, reported. */
static int check_finite(const struct checkpoint *ck, const struct model *m, const char *path)
{
	const float *head[] = { ck->params, ck->m, ck->v };
	const float *tail[] = { ck->tail.params, ck->tail.m, ck->tail.v };
	static const char *const what[] = { "", " (its optimizer's first moment)",
					    " (its optimizer's second moment)" };

	for (int a = 0; a < 3; a++) {
		size_t i = first_nonfinite(head[a], ck->n), j = first_nonfinite(tail[a], ck->tail.n);
		char name[96];
		float x;

		if (i < ck->n) {
			model_param_name(m, i, name, sizeof name);
			x = head[a][i];
		} else if (j < ck->tail.n) {
			snprintf(name, sizeof name, "the tuned backbone's parameter %zu", j);
			x = tail[a][j];
		} else {
			continue;
		}
		arpg_error("%s: %s%s holds %s: the model is not usable (it was saved after "
			   "training diverged, or written by another program)", path, name,
			   what[a], isnan(x) ? "NaN" : "an infinity");
		return ARPG_ENUMERIC;
	}
	return 0;
}

/* The model file path, checked whole, as a model for batches of up to
 * batch clips: its file into ck, its network with the file's parameters
 * into *m.  0, or a negative code, reported; *m and ck are for the caller
 * to free either way. */
static int open_model(const char *path, int batch, struct checkpoint *ck, struct model **m)
{
	struct model_config c;
	char err[512] = "";
	int rc;

	if ((rc = checkpoint_load(ck, path, err, sizeof err)) < 0)
		return report_load(path, rc, err);
	if ((rc = checkpoint_config(ck, &c)) < 0) {
		arpg_error("%s: the model's settings are incomplete or invalid: the file is not a "
			   "model saved by arpg-train", path);
		return rc;
	}
	if ((rc = model_create(m, &c, batch, 0)) < 0)
		return arpg_report(path, rc, NULL);
	if (ck->n != model_nparams(*m)) {
		arpg_error("%s: %zu parameters, but its settings make a model of %zu: the file is "
			   "damaged", path, ck->n, model_nparams(*m));
		return ARPG_EFORMAT;
	}
	if ((rc = check_finite(ck, *m, path)) < 0)
		return rc;
	memcpy(model_params(*m), ck->params, sizeof(float) * ck->n);
	return 0;
}

/* A model whose backbone tail was tuned (--tune-backbone) runs it over
 * the stride-8 maps of the backbone it was tuned from: refuses a cache
 * without them, saying what to do.  0 or ARPG_EMISMATCH, reported. */
static int check_tuned_cache(const struct experiment *e, const struct checkpoint *ck,
			     const struct dataset *ds)
{
	const char *sha = arpg_kv_get(&ck->settings, "tune.backbone_sha256");
	const char *named = arpg_kv_get(&ck->settings, "tune.backbone");
	const char *node = arpg_kv_get(&ck->settings, "tune.node");
	const char *maps = arpg_kv_get(&ds->meta, "maps");
	const char *csha = arpg_kv_get(&ds->meta, "backbone_sha256");
	const char *why;

	if (!ck->tail.n)
		return 0;
	if (!sha || !csha || strcmp(sha, csha))
		why = "was made with another backbone";
	else if (!maps || !strcmp(maps, "no"))
		why = "holds no maps";
	else
		return 0;
	arpg_error("%s: its backbone's layers after %s were tuned (--tune-backbone); they run "
		   "over the maps of a cache made with arpg-features -b %s --maps, and %s %s: "
		   "make such a cache, or write the tuned backbone with arpg-train --load %s "
		   "--export-backbone TUNED.onnx, re-run arpg-features -b TUNED.onnx and train "
		   "on that cache", e->load, node ? node : "?", named ? named : "?", e->cache, why,
		   e->load);
	return ARPG_EMISMATCH;
}

/* The model of --load, ready to run on ds, and its file (for run.epoch);
 * ds's classes become the model's (its clips' labels found by name, so
 * that a cache of unlabelled clips, or of some of the classes, works).
 * 0, or a negative code, reported; *m and ck are for the caller to free
 * either way. */
static int open_saved(const struct experiment *e, struct dataset *ds, struct checkpoint *ck,
		      struct model **m)
{
	const char *labels;
	char err[512] = "";
	int rc, pf;

	if ((rc = open_model(e->load, e->batch, ck, m)) < 0)
		return rc;
	if ((rc = check_tuned_cache(e, ck, ds)) < 0 ||
	    (rc = check_meta(ck, ds, e->load, e->cache, 0)) < 0)
		return rc;
	pf = model_config(*m)->per_frame;
	if (!(labels = arpg_kv_get(&ck->settings, pf ? "cache.frame_labels" : "cache.labels"))) {
		arpg_error("%s: the model's settings lack cache.%slabels: the file is not a model "
			   "saved by arpg-train", e->load, pf ? "frame_" : "");
		return ARPG_EFORMAT;
	}
	if ((rc = dataset_relabel(ds, labels, err, sizeof err)) < 0)
		return arpg_report(e->cache, rc, err);
	if (ds->C != model_config(*m)->C) {
		arpg_error("%s: %d labels, but its settings make a model of %d classes: the file is "
			   "damaged", e->load, ds->C, model_config(*m)->C);
		return ARPG_EFORMAT;
	}
	return 0;
}

/* A clip with a label, or with frame labels (--per-frame). */
static int labelled(const struct clip_data *c)
{
	return c->label >= 0 || c->frame_labels;
}

/* 1 when paths a and b name the same existing file. */
static int same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

int experiment_export(const struct experiment *e)
{
	struct checkpoint ck = { 0 };
	struct model *m = NULL;
	char err[512] = "";
	int rc;

	if ((rc = open_model(e->load, 1, &ck, &m)) < 0)
		goto out;
	if (model_config(m)->per_frame) {
		arpg_error("%s: a per-frame model (--per-frame): --export-onnx writes the "
			   "clip-level head only", e->load);
		rc = ARPG_EINVAL;
		goto out;
	}
	if (same_file(e->load, e->export_onnx)) {
		arpg_error("%s: that is the model file itself: export to another path",
			   e->export_onnx);
		rc = ARPG_EEXIST;
		goto out;
	}
	rc = export_onnx(m, arpg_kv_get(&ck.settings, "cache.labels"), e->export_onnx, err,
			 sizeof err);
	if (rc == ARPG_EIO)
		arpg_error("%s: cannot write it: %s", e->export_onnx, strerror(errno));
	else if (rc < 0)
		arpg_report(e->export_onnx, rc, err);
	else
		arpg_info("wrote %s (ONNX opset %d) from %s", e->export_onnx, EXPORT_OPSET, e->load);
out:
	model_free(m);
	checkpoint_free(&ck);
	return rc < 0 ? ARPG_EXIT_FAILURE : ARPG_EXIT_OK;
}

/* --export-backbone: the tuned backbone bb written to e->export_backbone,
 * never over the model it came from.  0, or a negative code, reported. */
static int export_backbone(const struct experiment *e, const struct tune_backbone *bb)
{
	char err[512] = "";
	int rc;

	if (same_file(bb->path, e->export_backbone)) {
		arpg_error("%s: that is the backbone the model is tuned from: export to another "
			   "path", e->export_backbone);
		return ARPG_EEXIST;
	}
	if ((rc = tune_backbone_export(bb, e->export_backbone, err, sizeof err)) < 0)
		return report_load(e->export_backbone, rc, err);
	arpg_info("wrote %s: %s with the tuned layers after %s", e->export_backbone, bb->path,
		  bb->node);
	return 0;
}

int experiment_export_backbone(const struct experiment *e)
{
	struct checkpoint ck = { 0 };
	struct tune_backbone bb = { 0 };
	char err[1024] = "";
	int rc;

	if ((rc = checkpoint_load(&ck, e->load, err, sizeof err)) < 0) {
		report_load(e->load, rc, err);
		goto out;
	}
	if ((rc = tune_backbone_load(&bb, &ck, e->tune_backbone, 1, err, sizeof err)) < 0) {
		report_load(e->load, rc, err);
		goto out;
	}
	rc = export_backbone(e, &bb);
out:
	tune_backbone_free(&bb);
	checkpoint_free(&ck);
	return rc < 0 ? ARPG_EXIT_FAILURE : ARPG_EXIT_OK;
}

/* The clips a saved model runs on, into idx (*n): all with --predict,
 * else split val; each must hold T frames (in a cache of fixed frames).
 * 0, or a negative code, reported. */
static int saved_clips(const struct experiment *e, const struct dataset *ds, int T, int *idx,
		       int *n)
{
	*n = 0;
	for (int i = 0; i < ds->nclips; i++)
		if (e->predict || (!strcmp(ds->clips[i].split, "val") && labelled(&ds->clips[i])))
			idx[(*n)++] = i;
	if (!*n) {
		arpg_error("%s: no labelled clips in split val to evaluate on (use --predict to "
			   "predict every clip, labelled or not)%s", e->cache,
			   !T && !arpg_kv_get(&ds->meta, "frame_labels") ?
			   "; the model classifies frames, and the cache has no per-frame labels" : "");
		return ARPG_ENOENT;
	}
	for (int i = 0; i < *n && T; i++)
		if (ds->clips[idx[i]].T < T && ds->frames) {
			arpg_error("%s: clip %s holds %d frames, the model takes %d", e->cache,
				   ds->clips[idx[i]].id, ds->clips[idx[i]].T, T);
			return ARPG_EFORMAT;
		}
	return 0;
}

/* --predict: a header, then clip, split, label, prediction, probabilities. */
static void print_predictions(const struct dataset *ds, const int *idx, int n,
			      const float *probs)
{
	printf("clip_id\tsplit\tlabel\tpredicted");
	for (int j = 0; j < ds->C; j++)
		printf("\tp_%s", ds->labels[j]);
	printf("\n");
	for (int i = 0; i < n; i++) {
		const struct clip_data *cl = &ds->clips[idx[i]];
		const float *p = probs + (size_t)i * ds->C;
		int k = 0;

		for (int j = 1; j < ds->C; j++)
			if (p[j] > p[k])
				k = j;
		printf("%s\t%s\t%s\t%s", cl->id, cl->split, cl->label >= 0 ? ds->labels[cl->label] : "",
		       ds->labels[k]);
		for (int j = 0; j < ds->C; j++)
			printf("\t%.6f", p[j]);
		printf("\n");
	}
}

/* --load without --predict: the metrics on split val, as one JSON line. */
static void print_eval(const struct experiment *e, const struct dataset *ds, const long *cm,
		       double loss, int epoch, int per_frame)
{
	struct metrics mt;

	metrics_from_confusion(&mt, cm, ds->C);
	mt.loss = loss;
	printf("{\"summary\":\"eval\",\"model\":");
	json_string(stdout, e->load);
	printf(",");
	print_metrics(stdout, "val", epoch, &mt);
	printf(",");
	if (per_frame)
		print_class_f1(stdout, ds, cm);
	print_confusion(stdout, ds, cm);
	printf("}\n");
	arpg_note("%s on %s: WAR %.1f%% UAR %.1f%% F1 %.1f%% over %ld %s", e->load,
		  e->cache, 100 * mt.war, 100 * mt.uar, 100 * mt.f1, mt.n,
		  per_frame ? "labelled frames" : "clips");
	show_confusion(ds, cm);
}

/* The exit status of a run stopped by a signal: 128 + its number. */
static int signal_status(const struct experiment *e)
{
	return 128 + *e->stop;
}

static const char *signal_name(int sig)
{
	return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : sig == SIGHUP ? "SIGHUP" :
	       "a signal";
}

/* --predict with a per-frame model: frames_eval's visitor. */
struct frame_out {
	const struct experiment *e;
	const struct dataset *ds;
};

/* The name of a clip's ABAW file: its clip id without the split and the
 * empty label that arpg-preprocess -l affwild2 puts first
 * ("train__video1_left": "video1_left", the annotation file's name), else
 * the whole id. */
static const char *abaw_name(const struct clip_data *c)
{
	size_t n = strlen(c->split);

	if (!strncmp(c->id, c->split, n) && !strncmp(c->id + n, "__", 2) && c->id[n + 2])
		return c->id + n + 2;
	return c->id;
}

/* A clip's ABAW file, DIR/<abaw_name>.txt: the class names joined by
 * commas, then the class index of every frame, a line each.  0 or
 * ARPG_EIO, reported. */
static int write_abaw(const char *dir, const struct dataset *ds, const struct clip_data *c,
		      const float *probs)
{
	char *buf = NULL, path[4096];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc;

	if (!f)
		return arpg_report(dir, ARPG_ENOMEM, NULL);
	for (int k = 0; k < ds->C; k++)
		fprintf(f, "%s%s", k ? "," : "", ds->labels[k]);
	fputc('\n', f);
	for (int t = 0; t < c->T; t++) {
		fprintf(f, "%d\n", metrics_argmax(probs + (size_t)t * ds->C, ds->C));
	}
	fclose(f);
	snprintf(path, sizeof path, "%s/%s.txt", dir, abaw_name(c));
	if ((rc = arpg_write_file_atomic(path, buf, len)) < 0)
		arpg_error("%s: cannot write it: %s", path, strerror(errno));
	free(buf);
	return rc;
}

/* A line per frame: clip, split, frame, label, prediction, probabilities;
 * and the clip's ABAW file with --abaw-dir. */
static int print_frames(void *ctx, const struct clip_data *c, const float *probs)
{
	const struct frame_out *fo = ctx;
	const struct dataset *ds = fo->ds;

	for (int t = 0; t < c->T; t++) {
		const float *p = probs + (size_t)t * ds->C;
		int k = metrics_argmax(p, ds->C), y = c->frame_labels ? c->frame_labels[t] : -1;

		printf("%s\t%s\t%d\t%s\t%s", c->id, c->split, t, y >= 0 ? ds->labels[y] : "",
		       ds->labels[k]);
		for (int j = 0; j < ds->C; j++)
			printf("\t%.6f", p[j]);
		printf("\n");
	}
	if (fo->e->abaw_dir)
		return write_abaw(fo->e->abaw_dir, ds, c, probs) < 0 ? ARPG_EIO : 0;
	return 0;
}

/* --load of a per-frame model on clips idx[0..n): the metrics over their
 * labelled frames, or with --predict a line per frame.  0, or a negative
 * code, reported. */
static int run_saved_frames(const struct experiment *e, const struct dataset *ds,
			    struct model *m, const int *idx, int n, int epoch)
{
	struct frame_out fo = { e, ds };
	long *cm = calloc((size_t)ds->C * ds->C, sizeof *cm), nframes = 0, total = 0;
	double loss = 0, t0 = arpg_now();
	char err[1024] = "";
	struct arpg_progress prog;
	int rc;

	if (!cm)
		return arpg_report(e->load, ARPG_ENOMEM, NULL);
	if (e->abaw_dir && arpg_mkdir_p(e->abaw_dir) < 0) {
		arpg_error("%s: cannot make the folder: %s", e->abaw_dir, strerror(errno));
		free(cm);
		return ARPG_EIO;
	}
	if (e->predict) {
		printf("clip_id\tsplit\tframe\tlabel\tpredicted");
		for (int j = 0; j < ds->C; j++)
			printf("\tp_%s", ds->labels[j]);
		printf("\n");
	}
	for (int i = 0; i < n; i++)
		total += ds->clips[idx[i]].T;
	arpg_progress_start(&prog, "frames", total);
	rc = frames_eval(m, ds, e->cache, idx, n, e->batch, cm, &loss, &nframes,
			 e->predict ? print_frames : NULL, &fo, &prog, e->stop, err, sizeof err);
	arpg_progress_finish(&prog);
	if (rc == ARPG_EINTR)
		arpg_error("stopped by %s", signal_name(*e->stop));
	else if (rc < 0 && rc != ARPG_EIO)
		arpg_report(e->cache, rc, err);
	else if (rc == 0 && !e->predict)
		print_eval(e, ds, cm, loss, epoch, 1);
	if (rc == 0)
		arpg_info("%ld frames through the model (windows overlap) in %.1f s: %.0f "
			  "frames/s", nframes, arpg_now() - t0, nframes / fmax(arpg_now() - t0, 1e-9));
	free(cm);
	return rc;
}

/* The tuned tail of the saved model ck (--load), over the maps of ds's
 * cache: read from --tune-backbone's file, or the one ck names, with ck's
 * parameters.  0, or a negative code, reported. */
static int open_saved_tail(const struct experiment *e, const struct checkpoint *ck,
			   const struct dataset *ds, struct model *m, int T, struct tune_run **tune)
{
	const char *path = e->tune_backbone ? e->tune_backbone :
			   arpg_kv_get(&ck->settings, "tune.backbone");
	char err[1024] = "";
	int rc;

	if (!path) {
		arpg_error("%s: a tuned model without tune.backbone: the file is not a model saved "
			   "by arpg-train", e->load);
		return ARPG_EFORMAT;
	}
	/* evaluation only (no backward, so no dapp is written): a batch of one
	 * clip, so that its forward keeps one clip's values, not a batch's */
	if ((rc = tune_run_open(tune, path, e->cache, ds, m, 1, T, 0, err, sizeof err)) < 0) {
		if (!e->tune_backbone && rc == ARPG_EIO)
			arpg_error("%s: the backbone it was tuned from, %s, cannot be read (%s): "
				   "give it with --tune-backbone FILE.onnx", e->load, path, err);
		else
			arpg_report(path, rc, err);
		return rc;
	}
	if ((rc = tune_run_restore(*tune, ck, 0, err, sizeof err)) < 0)
		return arpg_report(e->load, rc, err);
	return 0;
}

/* --load [--predict]: evaluates or predicts with a saved model.  Returns
 * the exit status. */
static int run_saved(const struct experiment *e, struct dataset *ds)
{
	struct checkpoint ck = { 0 };
	struct model *m = NULL;
	struct tune_run *tune = NULL;
	const struct dataset *eds = ds;	/* the tuned tail's vectors with a tuned model */
	int rc, T, n = 0, *idx = NULL;
	float *probs = NULL;
	long *cm = NULL;
	double loss = 0;
	char err[1024] = "";

	if ((rc = open_saved(e, ds, &ck, &m)) < 0)
		goto out;
	T = model_config(m)->T;
	idx = malloc(sizeof(int) * ds->nclips);
	probs = malloc(sizeof(float) * ds->nclips * ds->C);
	cm = calloc((size_t)ds->C * ds->C, sizeof *cm);
	if (!idx || !probs || !cm) {
		rc = arpg_report(e->load, ARPG_ENOMEM, NULL);
		goto out;
	}
	if ((rc = saved_clips(e, ds, model_config(m)->per_frame ? 0 : T, idx, &n)) < 0)
		goto out;
	if (model_config(m)->per_frame) {
		rc = run_saved_frames(e, ds, m, idx, n, checkpoint_epoch(&ck));
		goto out;
	}
	if (e->tune_backbone && !ck.tail.n) {
		arpg_error("%s: the model was trained without --tune-backbone: load it without",
			   e->load);
		rc = ARPG_EMISMATCH;
		goto out;
	}
	if (ck.tail.n && (rc = open_saved_tail(e, &ck, ds, m, T, &tune)) < 0)
		goto out;
	if (tune && (rc = tune_run_eval_set(tune, ds, idx, n, &eds, err, sizeof err)) < 0) {
		arpg_report(e->cache, rc, err);
		goto out;
	}
	if ((rc = run_eval(m, eds, idx, n, T, e->batch, cm, &loss, probs, e->stop)) < 0) {
		if (rc == ARPG_EINTR)
			arpg_error("stopped by %s", signal_name(*e->stop));
		else
			arpg_report(e->load, rc, NULL);
		goto out;
	}
	if (e->predict)
		print_predictions(ds, idx, n, probs);
	else
		print_eval(e, ds, cm, loss, checkpoint_epoch(&ck), 0);
	fflush(stdout);
out:
	free(idx);
	free(probs);
	free(cm);
	tune_run_free(tune);
	model_free(m);
	checkpoint_free(&ck);
	return rc == ARPG_EINTR ? signal_status(e) : rc < 0 ? ARPG_EXIT_FAILURE : ARPG_EXIT_OK;
}

/* ---- folds and splits ---- */

/* Sorted, distinct subjects of the labelled clips into subj; their number. */
static int sorted_subjects(const struct dataset *ds, const char **subj)
{
	int ns = 0;

	for (int i = 0; i < ds->nclips; i++) {
		int j;

		if (ds->clips[i].label < 0)
			continue;
		for (j = 0; j < ns; j++)
			if (!strcmp(subj[j], ds->clips[i].subject))
				break;
		if (j == ns)
			subj[ns++] = ds->clips[i].subject;
	}
	/* insertion sort: a handful of speakers */
	for (int i = 1; i < ns; i++)
		for (int j = i; j > 0 && strcmp(subj[j - 1], subj[j]) > 0; j--) {
			const char *t = subj[j];

			subj[j] = subj[j - 1];
			subj[j - 1] = t;
		}
	return ns;
}

int assign_folds(const struct dataset *ds, int K, int *fold)
{
	const char **subj;
	int ns, with = 0, without = 0, k = 0;

	for (int i = 0; i < ds->nclips; i++) {
		fold[i] = -1;
		if (!labelled(&ds->clips[i]))
			continue;
		if (*ds->clips[i].subject)
			with++;
		else
			without++;
	}
	if (with && without)
		return -1;
	if (!with) {		/* clip by clip: ids are sorted (LMDB key order) */
		for (int i = 0; i < ds->nclips; i++)
			if (ds->clips[i].label >= 0)
				fold[i] = k++ % K;
		return k;
	}
	if (!(subj = malloc(sizeof *subj * ds->nclips)))
		return ARPG_ENOMEM;
	ns = sorted_subjects(ds, subj);
	for (int i = 0; i < ds->nclips; i++) {
		if (ds->clips[i].label < 0)
			continue;
		for (int j = 0; j < ns; j++)
			if (!strcmp(subj[j], ds->clips[i].subject))
				fold[i] = j % K;
	}
	free(subj);
	return ns;
}

void split_clips(const struct dataset *ds, const int *fold, int f, int *tr, int *ntr, int *va,
		 int *nva)
{
	*ntr = *nva = 0;
	for (int i = 0; i < ds->nclips; i++) {
		const struct clip_data *cl = &ds->clips[i];

		if (!labelled(cl))
			continue;
		if (fold ? fold[i] != f : !strcmp(cl->split, "train"))
			tr[(*ntr)++] = i;
		else if (fold || !strcmp(cl->split, "val"))
			va[(*nva)++] = i;
	}
}

/* The folds of --folds into *fold (malloc'd).  Returns the exit status. */
static int make_folds(const struct experiment *e, const struct dataset *ds, int **fold)
{
	int groups;

	if (!(*fold = malloc(sizeof(int) * ds->nclips)) ||
	    (groups = assign_folds(ds, e->folds, *fold)) == ARPG_ENOMEM) {
		arpg_report(e->cache, ARPG_ENOMEM, NULL);
		return ARPG_EXIT_FAILURE;
	}
	if (groups < 0) {
		arpg_error("%s: some clips have a subject and others not: --folds groups by "
			   "subject and needs all or none", e->cache);
		return ARPG_EXIT_FAILURE;
	}
	if (groups < e->folds) {
		arpg_error("%s: --folds %d, but there are only %d %s", e->cache, e->folds, groups,
			   *ds->clips[0].subject ? "subjects" : "labelled clips");
		return ARPG_EXIT_FAILURE;
	}
	return ARPG_EXIT_OK;
}

static int distinct_labels(const struct dataset *ds, const int *idx, int n, int *first)
{
	int seen[256] = { 0 }, k = 0;

	for (int i = 0; i < n; i++) {
		const struct clip_data *c = &ds->clips[idx[i]];

		for (int t = 0; t < (c->frame_labels ? c->T : 1); t++) {
			int y = c->frame_labels ? c->frame_labels[t] : c->label;

			if (y >= 0 && y < 256 && !seen[y]++ && !k++)
				*first = y;
		}
	}
	return k;
}

/* ---- training ---- */

/* One combination of the sweep: what it trains and where it stands. */
struct combo {
	const struct experiment *e;
	const struct dataset *ds;
	const int *fold;	/* NULL without --folds */
	struct model_config cfg;
	struct train_config t;
	int run_no, nruns;	/* 1-based */
	char *settings;		/* its JSON settings object */
};

/* What a combination's folds add up: the best and final metrics, and the
 * confusion matrices of the final epochs. */
struct fold_sums {
	struct sweep_result sum;
	long *cm;		/* C x C */
};

/* Clips enough to train on and evaluate?  0, or a negative code, reported. */
static int check_split(const struct combo *r, const int *tr, int ntr, int nva)
{
	const char *cache = r->e->cache;
	int first = 0;

	if (!ntr) {
		arpg_error("%s: no labelled clips in split train%s", cache,
			   r->fold ? " of this fold" : ": the cache needs train and val clips, or use --folds K");
		return ARPG_ENOENT;
	}
	if (!nva) {
		arpg_error("%s: no labelled clips in split val: evaluate with --folds K, or "
			   "extract a val split", cache);
		return ARPG_ENOENT;
	}
	if (distinct_labels(r->ds, tr, ntr, &first) < 2) {
		arpg_error("%s: the training clips hold a single class (%s): nothing to learn",
			   cache, r->ds->labels[first]);
		return ARPG_EFORMAT;
	}
	return 0;
}

/* --resume of a tuned model: the tail's parameters and Adam into tune,
 * which a tuned model needs and an untuned one must not have.  0, or a
 * negative code, reported. */
static int resume_tail(const struct checkpoint *ck, struct tune_run *tune, const char *path)
{
	char err[512] = "";
	int rc;

	if (ck->tail.n && !tune) {
		arpg_error("%s: its backbone's tail was tuned: resume with --tune-backbone %s",
			   path, arpg_kv_get(&ck->settings, "tune.backbone") ?
			   arpg_kv_get(&ck->settings, "tune.backbone") : "MODEL.onnx");
		return ARPG_EMISMATCH;
	}
	if (!tune)
		return 0;
	if ((rc = tune_run_restore(tune, ck, 1, err, sizeof err)) < 0)
		return arpg_report(path, rc, err);
	return 0;
}

/* --resume: m's parameters, opt's state and *start_epoch from the saved
 * model, which must be of the same network and cache.  0, or a negative
 * code, reported. */
static int resume(const struct combo *r, struct model *m, struct adam *opt,
		  struct tune_run *tune, int *start_epoch)
{
	const char *path = r->e->resume, *setting;
	struct checkpoint ck;
	struct model_config c;
	char err[1024] = "";
	int rc, vsaved, vrun, done, kind;

	if ((rc = checkpoint_load(&ck, path, err, sizeof err)) < 0)
		return report_load(path, rc, err);
	done = checkpoint_epoch(&ck);
	kind = checkpoint_optimizer(&ck);
	if (checkpoint_config(&ck, &c) < 0) {
		arpg_error("%s: the model's settings are incomplete or invalid: the file is not a "
			   "model saved by arpg-train", path);
		rc = ARPG_EFORMAT;
	} else if ((setting = checkpoint_network_diff(&c, &r->cfg, &vsaved, &vrun))) {
		arpg_error("%s: it was trained with %s %d, this run has %d: resume with the "
			   "options it was trained with", path, setting, vsaved, vrun);
		rc = ARPG_EMISMATCH;
	} else if (ck.n != model_nparams(m)) {
		arpg_error("%s: %zu parameters, but its settings make a model of %zu: the file is "
			   "damaged", path, ck.n, model_nparams(m));
		rc = ARPG_EFORMAT;
	} else if (kind != r->t.optimizer) {
		arpg_error("%s: the model was trained with %s: resume with --optimizer %s", path,
			   kind < 0 ? "an optimizer this arpg-train does not know" :
			   optimizer_name(kind), kind < 0 ? "of its version" : optimizer_name(kind));
		rc = ARPG_EMISMATCH;
	} else if (!ck.has_opt) {
		arpg_error("%s: the file holds no optimizer state, so training cannot go on "
			   "exactly: train anew, or evaluate it with --load", path);
		rc = ARPG_EMISMATCH;
	} else if (done >= r->e->epochs) {
		arpg_error("%s: trained for %d epochs already, and --epochs %d counts from the "
			   "start: give --epochs more than %d, or evaluate it with --load", path,
			   done, r->e->epochs, done);
		rc = ARPG_EMISMATCH;
	} else if ((rc = check_meta(&ck, r->ds, path, r->e->cache, 1)) == 0 &&
		   (rc = check_finite(&ck, m, path)) == 0 &&
		   (rc = resume_tail(&ck, tune, path)) == 0) {
		memcpy(model_params(m), ck.params, sizeof(float) * ck.n);
		memcpy(opt->m, ck.m, sizeof(float) * ck.n);
		memcpy(opt->v, ck.v, sizeof(float) * ck.n);
		opt->step = ck.step;
		*start_epoch = done;
	}
	checkpoint_free(&ck);
	return rc;
}

/* What a checkpoint of a --tune-backbone run holds beside the head: the
 * backbone file, the tail's parameters and its Adam. */
struct tail_state {
	const struct tune_backbone *bb;
	const float *params;
	const struct adam *opt;
};

/* The tune.* settings of tail into kv: the backbone's path made absolute
 * where it resolves, so that --load finds it from another directory. */
static int tail_settings(struct arpg_kv *kv, const struct tail_state *tail, double lr)
{
	char *abs = realpath(tail->bb->path, NULL);
	int rc = checkpoint_tune_settings(kv, abs ? abs : tail->bb->path, tail->bb->sha,
					  tail->bb->node, lr);

	free(abs);
	return rc;
}

/* --save: parameters params (opt->n of them) and the optimizer state
 * after epoch epoch, and the tuned tail (NULL: none), atomically (a crash
 * leaves the old file or the new one).  0 or a negative code, reported. */
static int save(const struct combo *r, const float *params, const struct adam *opt,
		const struct tail_state *tail, int epoch)
{
	struct arpg_kv kv = ARPG_KV_INIT;
	struct checkpoint_run run = { epoch, r->t.seed, r->t.lr, r->t.optimizer,
				      r->e->weight_decay, r->settings };
	int rc;

	if ((rc = checkpoint_settings(&kv, &r->cfg, &run, &r->ds->meta)) == 0 && tail)
		rc = tail_settings(&kv, tail, r->e->lr_backbone);
	if (rc == 0)
		rc = checkpoint_save_tuned(r->e->save, &kv, params, opt->n, opt,
					   tail ? tail->params : NULL, tail ? tail->opt->n : 0,
					   tail ? tail->opt : NULL);
	if (rc < 0)
		arpg_report(r->e->save, rc, NULL);
	else
		arpg_info("saved the model after epoch %d to %s", epoch, r->e->save);
	arpg_kv_free(&kv);
	return rc;
}

/* With --save, the state after the last finished epoch, which a run
 * stopped by a signal in the middle of the next one saves. */
struct snapshot {
	const struct combo *r;
	struct model *m;
	const struct adam *opt;		/* the live optimizer */
	float *params;
	struct adam state;		/* its copy; state.n 0 without --save */
	int epoch;			/* the last finished */
	int taken;			/* whether state holds an epoch of this run */
	int save_failed;		/* a --save-every save failed (reported) */
	struct tune_run *tune;		/* the tuned tail, or NULL */
	float *tparams;			/* its parameters' copy */
	struct adam tstate;		/* its Adam's copy */
};

static int snapshot_init(struct snapshot *s, const struct combo *r, struct model *m,
			 const struct adam *opt, struct tune_run *tune, int epoch)
{
	memset(s, 0, sizeof *s);
	s->r = r;
	s->m = m;
	s->opt = opt;
	s->tune = tune;
	s->epoch = epoch;
	if (!r->e->save)
		return 0;
	if (adam_init(&s->state, opt->kind, opt->n) < 0 ||
	    !(s->params = malloc(sizeof(float) * opt->n)))
		return ARPG_ENOMEM;
	if (tune && (adam_init(&s->tstate, OPT_ADAM, tune_run_optimizer(tune)->n) < 0 ||
		     !(s->tparams = malloc(sizeof(float) * s->tstate.n))))
		return ARPG_ENOMEM;
	return 0;
}

static void snapshot_free(struct snapshot *s)
{
	adam_free(&s->state);
	free(s->params);
	adam_free(&s->tstate);
	free(s->tparams);
}

/* The tail the snapshot holds, into *ts: ts, or NULL untuned. */
static const struct tail_state *snapshot_tail(const struct snapshot *s, struct tail_state *ts)
{
	if (!s->tune)
		return NULL;
	*ts = (struct tail_state){ tune_run_backbone(s->tune), s->tparams, &s->tstate };
	return ts;
}

/* Copies the live optimizer from into to (same kind and size). */
static void adam_copy(struct adam *to, const struct adam *from)
{
	memcpy(to->m, from->m, sizeof(float) * from->n);
	memcpy(to->v, from->v, sizeof(float) * from->n);
	to->step = from->step;
}

/* run_opts.epoch_end: keeps the state of a finished epoch, and saves it
 * every --save-every epochs. */
static int snapshot_take(void *ctx, int epoch)
{
	struct snapshot *s = ctx;
	const struct experiment *e = s->r->e;
	struct tail_state ts;

	if (!e->save)
		return 0;
	memcpy(s->params, model_params(s->m), sizeof(float) * s->opt->n);
	adam_copy(&s->state, s->opt);
	if (s->tune) {
		memcpy(s->tparams, tune_run_tail(s->tune)->params, sizeof(float) * s->tstate.n);
		adam_copy(&s->tstate, tune_run_optimizer(s->tune));
	}
	s->epoch = epoch;
	s->taken = 1;
	if (e->save_every && epoch % e->save_every == 0 && epoch < e->epochs) {
		int rc = save(s->r, s->params, &s->state, snapshot_tail(s, &ts), epoch);

		s->save_failed = rc < 0;
		return rc;
	}
	return 0;
}

/* A run stopped by a signal in epoch s->epoch + 1: saves the last
 * finished epoch with --save, and says what happened. */
static void snapshot_stopped(struct snapshot *s)
{
	const struct experiment *e = s->r->e;
	const char *sig = signal_name(*e->stop);
	struct tail_state ts;

	if (!e->save)
		arpg_error("stopped by %s in epoch %d of %d; nothing saved (no --save)", sig,
			   s->epoch + 1, e->epochs);
	else if (!s->taken)
		arpg_error("stopped by %s in epoch %d of %d, before it finished: %s %s", sig,
			   s->epoch + 1, e->epochs, e->save,
			   e->resume && !strcmp(e->resume, e->save) ? "is as it was" : "not written");
	else if (save(s->r, s->params, &s->state, snapshot_tail(s, &ts), s->epoch) == 0)
		arpg_error("stopped by %s in epoch %d of %d: saved the model after epoch %d to "
			   "%s; go on with --resume %s", sig, s->epoch + 1, e->epochs, s->epoch,
			   e->save, e->save);
}

/* The summary line of a run or fold (f, with --folds). */
static void print_run(const struct combo *r, int f, int ntr, int nva,
		      const struct run_result *res)
{
	printf("{\"summary\":\"%s\",\"run\":%d,", r->fold ? "fold" : "run", r->run_no);
	if (r->fold)
		printf("\"fold\":%d,", f + 1);
	printf("\"train_clips\":%d,\"val_clips\":%d,", ntr, nva);
	print_metrics(stdout, "best", res->best_epoch, &res->best);
	printf(",");
	print_metrics(stdout, "final", res->final_epoch, &res->final);
	printf(",");
	print_confusion(stdout, r->ds, res->confusion);
	printf(",\"settings\":%s}\n", r->settings);
	fflush(stdout);
}

/* Trains and evaluates fold f of a combination (the one run without
 * --folds), adding its best and final metrics to sum.  0, or a negative code,
 * reported. */
static int run_fold(const struct combo *r, int f, struct fold_sums *sum)
{
	const struct experiment *e = r->e;
	const struct dataset *ds = r->ds;
	int *tr = malloc(sizeof(int) * ds->nclips), *va = malloc(sizeof(int) * ds->nclips);
	int ntr, nva, rc;
	struct model *m = NULL;
	struct adam opt = { 0 };
	struct run_result res = { 0 };
	struct snapshot snap = { 0 };
	struct run_opts ro = { .epochs = e->epochs, .batch = e->batch, .T = r->cfg.T,
		.clip = (float)e->clip, .seed = r->t.seed, .run_no = r->run_no, .nruns = r->nruns,
		.fold_no = r->fold ? f + 1 : 0, .nfolds = e->folds, .settings_json = r->settings,
		.out = stdout, .stop = e->stop, .epoch_end = snapshot_take, .ctx = &snap,
		.per_frame = r->cfg.per_frame, .cache = e->cache };
	float *cw = NULL;
	char err[1024] = "";

	if (!tr || !va) {
		rc = arpg_report(e->cache, ARPG_ENOMEM, NULL);
		goto out;
	}
	split_clips(ds, r->fold, f, tr, &ntr, va, &nva);
	if ((rc = check_split(r, tr, ntr, nva)) < 0)
		goto out;
	if ((rc = model_create(&m, &r->cfg, e->batch, r->t.seed)) == 0)
		rc = adam_init(&opt, r->t.optimizer, model_nparams(m));
	if (rc == 0 && r->t.class_weights != CW_NONE &&
	    (rc = (cw = malloc(sizeof *cw * ds->C)) ? 0 : ARPG_ENOMEM) == 0)
		rc = class_weights(cw, r->t.class_weights, ds, tr, ntr);
	if (rc < 0) {
		arpg_report(e->cache, rc, NULL);
		goto out;
	}
	if (e->tune_backbone && (r->t.augment & (AUG_JITTER | AUG_FLIP | AUG_MIXUP))) {
		rc = arpg_report(e->tune_backbone, ARPG_EUNSUPPORTED, "--tune-backbone takes the "
				 "middle frames of each clip: give --augment none or drop (jitter, "
				 "flip and mixup are not done with a tuned backbone yet)");
		goto out;
	}
	if (e->tune_backbone && (rc = tune_run_open(&ro.tune, e->tune_backbone, e->cache, ds, m,
						    e->batch, r->cfg.T, e->lr_backbone, err,
						    sizeof err)) < 0) {
		arpg_report(e->tune_backbone, rc, err);
		goto out;
	}
	if (e->resume && (rc = resume(r, m, &opt, ro.tune, &ro.start_epoch)) < 0)
		goto out;
	model_set_loss(m, cw, r->t.smoothing);
	opt.lr = (float)r->t.lr;
	opt.weight_decay = (float)e->weight_decay;
	ro.augment = r->t.augment;
	ro.drop_frames = e->drop_frames;
	ro.mixup_alpha = e->mixup_alpha;
	ro.plan = (struct lr_plan){ .schedule = r->t.schedule, .lr = r->t.lr,
				    .warmup = e->warmup, .every = e->step_every,
				    .gamma = e->step_gamma };
	if ((rc = snapshot_init(&snap, r, m, &opt, ro.tune, ro.start_epoch)) < 0) {
		arpg_report(e->save, rc, NULL);
		goto out;
	}
	if ((rc = run_train(m, &opt, ds, &ro, tr, ntr, va, nva, &res, err, sizeof err)) < 0) {
		if (rc == ARPG_EINTR)
			snapshot_stopped(&snap);
		else if (!snap.save_failed)	/* else reported */
			arpg_report(e->cache, rc, err);
		goto out;
	}
	print_run(r, f, ntr, nva, &res);
	sum->sum.best_epoch += res.best_epoch;
	sum->sum.best_war += res.best.war;
	sum->sum.best_uar += res.best.uar;
	sum->sum.best_f1 += res.best.f1;
	sum->sum.final_war += res.final.war;
	sum->sum.final_uar += res.final.uar;
	sum->sum.final_f1 += res.final.f1;
	for (int i = 0; i < ds->C * ds->C; i++)
		sum->cm[i] += res.confusion[i];
	if (!r->fold)
		show_confusion(ds, res.confusion);
	if (e->save) {
		struct tail_state ts = { ro.tune ? tune_run_backbone(ro.tune) : NULL,
					 ro.tune ? tune_run_tail(ro.tune)->params : NULL,
					 ro.tune ? tune_run_optimizer(ro.tune) : NULL };

		rc = save(r, model_params(m), &opt, ro.tune ? &ts : NULL, res.final_epoch);
	}
	if (!rc && e->export_backbone)
		rc = export_backbone(e, tune_run_backbone(ro.tune));
out:
	tune_run_free(ro.tune);
	snapshot_free(&snap);
	free(cw);
	free(res.confusion);
	adam_free(&opt);
	model_free(m);
	free(tr);
	free(va);
	return rc;
}

/* The mean of a combination's folds: sum divided by the number of folds. */
static struct sweep_result fold_mean(const struct fold_sums *sum, int nf)
{
	struct sweep_result m = sum->sum;

	m.best_epoch /= nf;
	m.best_war /= nf;
	m.best_uar /= nf;
	m.best_f1 /= nf;
	m.final_war /= nf;
	m.final_uar /= nf;
	m.final_f1 /= nf;
	return m;
}

/* The summary of a combination's folds: the means over folds of the best
 * and of the final epochs, and the final epochs pooled. */
static void print_folds(const struct combo *r, const struct fold_sums *sum)
{
	const struct dataset *ds = r->ds;
	int nf = r->e->folds;
	struct sweep_result m = fold_mean(sum, nf);
	struct metrics all;

	metrics_from_confusion(&all, sum->cm, ds->C);
	printf("{\"summary\":\"folds\",\"run\":%d,\"folds\":%d,\"best_mean\":{\"epoch\":%.6g,"
	       "\"war\":%.6f,\"uar\":%.6f,\"f1\":%.6f},\"final_mean\":{\"war\":%.6f,\"uar\":%.6f,"
	       "\"f1\":%.6f},\"pooled\":{\"war\":%.6f,\"uar\":%.6f,\"f1\":%.6f},", r->run_no, nf,
	       m.best_epoch, m.best_war, m.best_uar, m.best_f1, m.final_war, m.final_uar,
	       m.final_f1, all.war, all.uar, all.f1);
	print_confusion(stdout, ds, sum->cm);
	printf(",\"settings\":%s}\n", r->settings);
	fflush(stdout);
	arpg_note("%d folds: mean of the final epochs WAR %.1f%% UAR %.1f%% F1 %.1f%%; of the "
		  "best epochs WAR %.1f%% UAR %.1f%%", nf, 100 * m.final_war, 100 * m.final_uar,
		  100 * m.final_f1, 100 * m.best_war, 100 * m.best_uar);
	show_confusion(ds, sum->cm);
}

/* The settings object of a run, as JSON (malloc'd), or NULL. */
static char *settings_json(const struct experiment *e, const struct sweep *sw, const int *k,
			   int T)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	unsigned aug = 0;

	if (!f)
		return NULL;
	fprintf(f, "{\"frames\":%d,\"epochs\":%d,\"batch\":%d,", T, e->epochs, e->batch);
	sweep_json(f, sw, k, 1);
	fprintf(f, ",\"weight_decay\":%g,\"clip\":%g,\"warmup\":%d", e->weight_decay, e->clip,
		e->warmup);
	if (e->per_frame)
		fprintf(f, ",\"per_frame\":true");
	if (!strcmp(sw->opt[SW_SCHEDULE].v[k[SW_SCHEDULE]], "step"))
		fprintf(f, ",\"step_every\":%d,\"step_gamma\":%g", e->step_every, e->step_gamma);
	if (augment_parse(sw->opt[SW_AUGMENT].v[k[SW_AUGMENT]], &aug) == 0) {
		if (aug & AUG_DROP)
			fprintf(f, ",\"drop_frames\":%g", e->drop_frames);
		if (aug & AUG_MIXUP)
			fprintf(f, ",\"mixup_alpha\":%g", e->mixup_alpha);
	}
	fputc('}', f);
	fclose(f);
	return buf;
}

/* Runs combination combo of the sweep (its folds with --folds) and adds
 * it to the table.  Returns the exit status. */
static int train_combo(const struct experiment *e, const struct sweep *sw,
		       const struct dataset *ds, const int *fold, int T, long combo,
		       struct sweep_table *table)
{
	struct combo r = { .e = e, .ds = ds, .fold = fold, .run_no = (int)combo + 1,
			   .nruns = (int)sweep_count(sw) };
	struct fold_sums sum = { 0 };
	int k[SW_COUNT], nf = e->folds ? e->folds : 1, rc = 0;
	char err[1024] = "";

	sweep_combo(sw, combo, k);
	sweep_config(sw, k, &r.cfg, &r.t);
	r.cfg.T = T;
	r.cfg.G = ds->G;
	r.cfg.Dp = ds->Dp;
	r.cfg.Da = ds->Da;
	r.cfg.C = ds->C;
	r.cfg.per_frame = e->per_frame;
	if (model_config_check(&r.cfg, err, sizeof err) < 0) {
		arpg_error("%s", err);
		return ARPG_EXIT_USAGE;
	}
	r.settings = settings_json(e, sw, k, T);
	sum.cm = calloc((size_t)ds->C * ds->C, sizeof *sum.cm);
	if (!r.settings || !sum.cm)
		rc = arpg_report(e->cache, ARPG_ENOMEM, NULL);
	for (int f = 0; f < nf && !rc; f++)
		rc = run_fold(&r, f, &sum);
	if (!rc && fold)
		print_folds(&r, &sum);
	if (!rc) {
		struct sweep_result m = fold_mean(&sum, nf);

		if ((rc = sweep_table_add(table, k, &m)) < 0)
			arpg_report(e->cache, rc, NULL);
	}
	free(sum.cm);
	free(r.settings);
	return rc == ARPG_EINTR ? signal_status(e) : rc < 0 ? ARPG_EXIT_FAILURE : ARPG_EXIT_OK;
}

/* Frames per clip without --frames: 16, or all a cache holds when it holds
 * fewer.  A cache that holds more lets the temporal jitter choose. */
enum { DEFAULT_FRAMES = 16 };

/* 1 when some combination of the sweep augments with what (enum augment). */
static int some_augment(const struct sweep *sw, unsigned what)
{
	for (int i = 0; i < sw->opt[SW_AUGMENT].n; i++) {
		unsigned a = 0;

		if (augment_parse(sw->opt[SW_AUGMENT].v[i], &a) == 0 && (a & what))
			return 1;
	}
	return 0;
}

/* Trains combinations from to to - 1 of the sweep (those of one grid, on
 * ds) into table; warn: say what the cache cannot do for them.  Returns
 * the exit status. */
static int train_sweep(const struct experiment *e, const struct sweep *sw,
		       const struct dataset *ds, long from, long to, int warn,
		       struct sweep_table *table)
{
	int T = e->frames ? e->frames : ds->frames && ds->frames < DEFAULT_FRAMES ? ds->frames
										: DEFAULT_FRAMES;
	int status = ARPG_EXIT_OK, *fold = NULL;

	if (e->per_frame && (some_augment(sw, AUG_DROP) || some_augment(sw, AUG_MIXUP))) {
		arpg_error("--per-frame: --augment drop and mixup work on whole clips, not on "
			   "windows labelled frame by frame: use none, jitter or flip");
		return ARPG_EXIT_USAGE;
	}
	if (ds->frames && T > ds->frames && !e->per_frame) {
		arpg_error("%s: --frames %d is more than the %d frames per clip the cache holds: use "
			   "--frames %d or less, or extract with arpg-features --frames %d", e->cache, T,
			   ds->frames, ds->frames, T);
		return ARPG_EXIT_FAILURE;
	}
	if (e->per_frame && ds->C == 0) {
		arpg_error("%s: --per-frame, but the cache has no per-frame labels (meta "
			   "frame_labels): it holds a class per clip, for arpg-train without "
			   "--per-frame", e->cache);
		return ARPG_EXIT_FAILURE;
	}
	if (ds->C == 0 && arpg_kv_get(&ds->meta, "frame_labels")) {
		arpg_error("%s: its clips have no labels, but their frames do (meta "
			   "frame_labels): train with --per-frame", e->cache);
		return ARPG_EXIT_FAILURE;
	}
	if (ds->C == 0) {
		arpg_error("%s: its clips have no labels: train on labelled clips, and predict "
			   "these with --load MODEL --predict", e->cache);
		return ARPG_EXIT_FAILURE;
	}
	if (ds->C < 2) {
		arpg_error("%s: meta lists %d label: training needs at least 2 classes", e->cache,
			   ds->C);
		return ARPG_EXIT_FAILURE;
	}
	if (warn && ds->frames == T && some_augment(sw, AUG_JITTER) && !e->per_frame)
		arpg_warn("%s holds %d frames per clip, as many as a clip takes: the temporal "
			  "jitter has no other frames to choose, and every epoch sees the same; "
			  "extract with arpg-features --frames %d or more for it", e->cache, T,
			  2 * T);
	if (e->folds)
		status = make_folds(e, ds, &fold);
	for (long combo = from; combo < to && !status; combo++)
		status = train_combo(e, sw, ds, fold, T, combo, table);
	free(fold);
	return status;
}

/* The grid of a saved model (--load), to load of the cache, and whether
 * it is a per-frame model: 0 when the file does not say (it is then
 * refused when opened). */
static int saved_grid(const char *path, int *per_frame)
{
	struct checkpoint ck;
	struct model_config c;
	char err[256];
	int G = 0;

	*per_frame = 0;
	if (checkpoint_load(&ck, path, err, sizeof err) < 0)
		return 0;
	if (checkpoint_config(&ck, &c) == 0) {
		G = c.G;
		*per_frame = c.per_frame;
	}
	checkpoint_free(&ck);
	return G;
}

int experiment_run(const struct experiment *e, const struct sweep *sw0)
{
	/* a copy whose grid "first" becomes the cache's first grid; the
	 * values still point into sw0's buffers */
	struct sweep sw = *sw0;
	const struct sweep_list *grids = &sw0->opt[SW_GRID];
	struct sweep_table table = { 0 };
	struct arpg_lock *lock = NULL;
	long n = sweep_count(sw0), per = n / grids->n;
	char first[16];
	int status = ARPG_EXIT_OK;

	if (e->export_backbone && e->tune_backbone && same_file(e->tune_backbone,
								 e->export_backbone)) {
		arpg_error("%s: --export-backbone would write over the backbone --tune-backbone "
			   "reads: export to another path", e->export_backbone);
		return ARPG_EXIT_FAILURE;
	}
	if (e->save) {	/* held until the model is written: one trainer per file */
		char err[512] = "";
		int rc = arpg_lock_take(&lock, e->save, 0, "arpg-train", ARPG_LOCK_REFUSE, err,
					sizeof err);

		if (rc < 0) {
			arpg_error("%s: %s", e->save, err);
			return ARPG_EXIT_FAILURE;
		}
	}
	for (int g = 0; g < (e->load ? 1 : grids->n) && status == ARPG_EXIT_OK; g++) {
		const char *v = grids->v[g];
		struct dataset_want w = { .grid = strcmp(v, SWEEP_FIRST_GRID) ? atoi(v) : 0,
					  .mirror = !e->load && some_augment(sw0, AUG_FLIP),
					  .per_frame = e->per_frame };
		struct dataset ds;
		char err[1024] = "";
		int rc;

		if (e->load)
			w.grid = saved_grid(e->load, &w.per_frame);
		if (e->load && e->per_frame && !w.per_frame) {
			arpg_error("%s: --per-frame, but the model classifies whole clips: load it "
				   "without --per-frame", e->load);
			status = ARPG_EXIT_FAILURE;
			break;
		}
		if (e->load && e->abaw_dir && !w.per_frame) {
			arpg_error("%s: --abaw-dir writes a class per frame, but the model classifies "
				   "whole clips", e->load);
			status = ARPG_EXIT_FAILURE;
			break;
		}
		/* per frame, the features are read from the cache as they are
		 * needed, the training clips' from a snapshot checked once
		 * (train/frames.h) */
		if (w.per_frame)
			w.features = e->load ? FEAT_NONE : FEAT_TRAIN;
		if ((rc = dataset_load(&ds, e->cache, &w, err, sizeof err)) < 0) {
			arpg_report(e->cache, rc, err);
			status = ARPG_EXIT_FAILURE;
			break;
		}
		if (!strcmp(v, SWEEP_FIRST_GRID)) {
			snprintf(first, sizeof first, "%d", ds.G);
			sw.opt[SW_GRID].v[g] = first;
		}
		arpg_info("%s: %d clips, %d classes, grid %d of %s, app %d, patch %d, frames %s%s",
			  e->cache, ds.nclips, ds.C, ds.G, arpg_kv_get(&ds.meta, "grid"), ds.Da, ds.Dp,
			  ds.frames ? arpg_kv_get(&ds.meta, "frames") : "all",
			  ds.mirrored ? ", mirrored views" : "");
		status = e->load ? run_saved(e, &ds)
				 : train_sweep(e, &sw, &ds, g * per, (g + 1) * per, g == 0, &table);
		dataset_free(&ds);
	}
	if (!e->load && status == ARPG_EXIT_OK && n > 1)
		sweep_table_print(&table, &sw, stdout,
				  arpg_verbosity() >= ARPG_NORMAL ? stderr : NULL);
	sweep_table_free(&table);
	arpg_lock_release(lock);
	return status;
}
