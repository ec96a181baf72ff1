/* arpg-train - trains and evaluates the ARPGNet head over a feature cache.
 * Options only; the work is in data.c, run.c, model.c, checkpoint.c. */
#include "config.h"

#include "blis_setup.h"
#include "checkpoint.h"
#include "data.h"
#include "error.h"
#include "log.h"
#include "metrics.h"
#include "model.h"
#include "optim.h"
#include "run.h"

#include <getopt.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

enum { EXIT_USAGE = 2, MAX_VALUES = 32 };

/* An option that takes a comma list of values to sweep. */
struct sweep {
	const char *name;	/* option name, also the JSON key */
	const char *deflt;
	char sep;		/* separator of alternatives (',' or ':' for --edges) */
	int n;
	char *v[MAX_VALUES];
	char *buf;		/* owns the values */
};

enum { SW_TRS, SW_EDGES, SW_FUSION, SW_MODALITY, SW_DIM, SW_HEADS, SW_REL, SW_FUS, SW_LR,
       SW_DROPOUT, SW_SEED, SW_COUNT };

static struct sweep sweeps[SW_COUNT] = {
	[SW_TRS] = { "trs", "4", ',' },
	[SW_EDGES] = { "edges", "self,adj,sym", ':' },
	[SW_FUSION] = { "fusion", "gat", ',' },
	[SW_MODALITY] = { "modality", "both", ',' },
	[SW_DIM] = { "dim", "256", ',' },
	[SW_HEADS] = { "heads", "4", ',' },
	[SW_REL] = { "rel-layers", "2", ',' },
	[SW_FUS] = { "fusion-layers", "1", ',' },
	[SW_LR] = { "lr", "0.001", ',' },
	[SW_DROPOUT] = { "dropout", "0.1", ',' },
	[SW_SEED] = { "seed", "1", ',' },
};

struct opts {
	const char *cache, *save, *load, *resume;
	int folds, epochs, batch, frames, predict, jobs, verbosity;
	double weight_decay, clip;
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: arpg-train CACHE [options]\n"
"Trains the ARPGNet relation graph and fusion networks on an arpg-features cache;\n"
"one JSON object per epoch and split on stdout, then a summary object.\n"
"\n"
"  --epochs N            training epochs (30)\n"
"  --batch B             clips per mini-batch (32)\n"
"  --frames T            frames per clip (the cache's)\n"
"  --folds K             K-fold cross-validation grouped by subject (by clip without subjects)\n"
"  --lr X                AdamW learning rate (0.001)\n"
"  --weight-decay X      AdamW decoupled weight decay (0.0001)\n"
"  --clip X              gradient-norm clipping, 0 for none (5)\n"
"  --dropout P           dropout before and inside the classifier (0.1)\n"
"  --trs N|all           temporal response scope of the fusion graph (4)\n"
"  --edges LIST          relation graph edges: any of self,adj,sym,adj8 (self,adj,sym)\n"
"  --fusion gat|concat   fusion graph or plain concatenation (gat)\n"
"  --modality both|app|rel  branches in use (both)\n"
"  --dim D  --heads H    model width (256) and attention heads (4)\n"
"  --rel-layers L  --fusion-layers L   GAT layers per graph (2, 1)\n"
"  --seed S              initialisation, shuffling and dropout (1)\n"
"  --save MODEL          save the trained model\n"
"  --resume MODEL        continue training a saved model up to --epochs\n"
"  --load MODEL          evaluate a saved model on the cache's val split\n"
"  --predict             with --load: print clip, label, prediction, probabilities\n"
"  -j, --jobs N          threads (all cores)\n"
"  -q, --quiet  -v, --verbose   less or more on stderr\n"
"  -h, --help  -V, --version\n"
"Options marked as lists take comma lists to sweep (--trs 1,2,4,all; --edges takes\n"
"alternatives separated by ':'): every combination runs, then a table of mean and\n"
"standard deviation over seeds.  See arpg-train(1).\n");
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", arpg_progname());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'arpg-train --help'.\n");
	return EXIT_USAGE;
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

static int parse_double(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v = strtod(s, &end);

	if (!*s || *end || !(v >= lo && v <= hi))
		return -1;
	*out = v;
	return 0;
}

static int sweep_set(struct sweep *sw, const char *arg)
{
	char *copy = strdup(arg), *p = copy, *q;

	if (!copy)
		return -1;
	free(sw->buf);
	sw->buf = copy;
	sw->n = 0;
	do {
		if ((q = strchr(p, sw->sep)))
			*q = 0;
		if (!*p || sw->n == MAX_VALUES)
			return -1;
		sw->v[sw->n++] = p;
		p = q ? q + 1 : NULL;
	} while (p);
	return 0;
}

/* At exit, so that every path out of main (usage errors too) frees them. */
static void free_sweeps(void)
{
	for (int i = 0; i < SW_COUNT; i++) {
		free(sweeps[i].buf);
		sweeps[i].buf = NULL;
	}
}

static int parse_edges(const char *s, int *out)
{
	char buf[128], *tok, *save = NULL;
	int e = 0;

	if (strlen(s) >= sizeof buf)
		return -1;
	strcpy(buf, s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "self")) e |= EDGE_SELF;
		else if (!strcmp(tok, "adj")) e |= EDGE_ADJ;
		else if (!strcmp(tok, "sym")) e |= EDGE_SYM;
		else if (!strcmp(tok, "adj8")) e |= EDGE_ADJ8;
		else return -1;
	}
	*out = e;
	return e ? 0 : -1;
}

/* Fills c (and lr, seed) from value k[i] of every sweep.  Returns 0 or
 * the index of the sweep whose value is bad. */
static int combo_config(const int *k, struct model_config *c, double *lr, uint64_t *seed)
{
	double d;
	int v;

	model_config_default(c);
#define VAL(i) sweeps[i].v[k[i]]
	if (!strcmp(VAL(SW_TRS), "all")) c->trs = -1;
	else if (parse_int(VAL(SW_TRS), 0, 100000, &c->trs)) return SW_TRS + 1;
	if (parse_edges(VAL(SW_EDGES), &c->edges)) return SW_EDGES + 1;
	if (!strcmp(VAL(SW_FUSION), "gat")) c->fusion = FUSION_GAT;
	else if (!strcmp(VAL(SW_FUSION), "concat")) c->fusion = FUSION_CONCAT;
	else return SW_FUSION + 1;
	if (!strcmp(VAL(SW_MODALITY), "both")) c->modality = MOD_BOTH;
	else if (!strcmp(VAL(SW_MODALITY), "app")) c->modality = MOD_APP;
	else if (!strcmp(VAL(SW_MODALITY), "rel")) c->modality = MOD_REL;
	else return SW_MODALITY + 1;
	if (parse_int(VAL(SW_DIM), 1, 65536, &c->D)) return SW_DIM + 1;
	if (parse_int(VAL(SW_HEADS), 1, 1024, &c->H)) return SW_HEADS + 1;
	if (parse_int(VAL(SW_REL), 0, 8, &c->rel_layers)) return SW_REL + 1;
	if (parse_int(VAL(SW_FUS), 0, 8, &c->fusion_layers)) return SW_FUS + 1;
	if (parse_double(VAL(SW_LR), 1e-12, 10, lr)) return SW_LR + 1;
	if (parse_double(VAL(SW_DROPOUT), 0, 0.99, &d)) return SW_DROPOUT + 1;
	c->dropout = (float)d;
	if (parse_int(VAL(SW_SEED), 0, 2147483647, &v)) return SW_SEED + 1;
	*seed = (uint64_t)v;
#undef VAL
	return 0;
}

/* "name":value, the value a JSON number when it reads as one. */
static void json_setting(FILE *f, int i, const char *v)
{
	char *end;

	json_string(f, sweeps[i].name);
	fputc(':', f);
	strtod(v, &end);
	if (*v && !*end && i != SW_EDGES)
		fputs(v, f);
	else
		json_string(f, v);
}

/* The settings object of a run, as JSON (malloc'd). */
static char *settings_json(const int *k, const struct opts *o, int T)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fprintf(f, "{\"frames\":%d,\"epochs\":%d,\"batch\":%d", T, o->epochs, o->batch);
	for (int i = 0; i < SW_COUNT; i++) {
		const char *v = sweeps[i].v[k[i]];

		fprintf(f, ",");
		json_setting(f, i, v);
	}
	fprintf(f, ",\"weight_decay\":%g,\"clip\":%g}", o->weight_decay, o->clip);
	fclose(f);
	return buf;
}

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

static int check_meta(const struct checkpoint *ck, const struct dataset *ds,
		      const char *model, const char *cache)
{
	const char *key = checkpoint_meta_mismatch(ck, &ds->meta), *mv, *cv;
	char ckey[64];

	if (!key)
		return 0;
	snprintf(ckey, sizeof ckey, "cache.%s", key);
	mv = arpg_kv_get(&ck->settings, ckey);
	cv = arpg_kv_get(&ds->meta, key);
	arpg_error("%s: the model was trained on a cache with %s \"%s\", but %s has "
		   "\"%s\": extract features the same way, or train a new model",
		   model, key, mv ? mv : "", cache, cv ? cv : "");
	return ARPG_EMISMATCH;
}

/* --load [--predict]: evaluates or predicts with a saved model. */
static int run_saved(const struct opts *o, const struct dataset *ds)
{
	struct checkpoint ck;
	struct model_config c;
	struct model *m = NULL;
	char err[512] = "";
	int rc, T, n = 0, *idx = NULL;
	float *probs = NULL;
	long *cm = NULL;
	double loss = 0;

	if ((rc = checkpoint_load(&ck, o->load, err, sizeof err)) < 0) {
		arpg_report(o->load, rc, err);
		return 1;
	}
	if (checkpoint_config(&ck, &c) < 0) {
		arpg_error("%s: the model's settings are incomplete or invalid: the file is not a "
			   "model saved by arpg-train", o->load);
		goto fail;
	}
	T = c.T;
	if (check_meta(&ck, ds, o->load, o->cache) < 0)
		goto fail;
	if ((rc = model_create(&m, &c, o->batch, 0)) < 0 || ck.n != model_nparams(m)) {
		arpg_error("%s: %zu parameters, but its settings make a model of %zu: the file is "
			   "damaged", o->load, ck.n, m ? model_nparams(m) : 0);
		goto fail;
	}
	memcpy(model_params(m), ck.params, sizeof(float) * ck.n);
	idx = malloc(sizeof(int) * ds->nclips);
	probs = malloc(sizeof(float) * ds->nclips * ds->C);
	cm = calloc((size_t)ds->C * ds->C, sizeof *cm);
	if (!idx || !probs || !cm) {
		arpg_report(o->load, ARPG_ENOMEM, NULL);
		goto fail;
	}
	for (int i = 0; i < ds->nclips; i++)
		if (o->predict || !strcmp(ds->clips[i].split, "val"))
			idx[n++] = i;
	if (!n) {
		arpg_error("%s: no clips in split val to evaluate on (use --predict for all clips)",
			   o->cache);
		goto fail;
	}
	for (int i = 0; i < n; i++)
		if (ds->clips[idx[i]].T < T && ds->frames) {
			arpg_error("%s: clip %s holds %d frames, the model takes %d", o->cache,
				   ds->clips[idx[i]].id, ds->clips[idx[i]].T, T);
			goto fail;
		}
	if ((rc = run_eval(m, ds, idx, n, T, o->batch, cm, &loss, probs)) < 0) {
		arpg_report(o->load, rc, NULL);
		goto fail;
	}
	if (o->predict) {
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
	} else {
		struct metrics mt;

		metrics_from_confusion(&mt, cm, ds->C);
		mt.loss = loss;
		printf("{\"summary\":\"eval\",\"model\":");
		json_string(stdout, o->load);
		printf(",");
		print_metrics(stdout, "val", checkpoint_epoch(&ck), &mt);
		printf(",");
		print_confusion(stdout, ds, cm);
		printf("}\n");
		arpg_note("%s on %s: WAR %.1f%% UAR %.1f%% F1 %.1f%% over %ld clips", o->load,
			  o->cache, 100 * mt.war, 100 * mt.uar, 100 * mt.f1, mt.n);
		show_confusion(ds, cm);
	}
	fflush(stdout);
	rc = ferror(stdout) ? 1 : 0;
	if (rc)
		arpg_error("standard output: write error");
	free(idx);
	free(probs);
	free(cm);
	model_free(m);
	checkpoint_free(&ck);
	return rc;
fail:
	free(idx);
	free(probs);
	free(cm);
	model_free(m);
	checkpoint_free(&ck);
	return 1;
}

/* Assigns clips to folds: by subject when the labelled clips have
 * subjects (sorted subject names, subject i to fold i mod K), else clip by
 * clip in id order.  Returns the number of groups, or -1 if some labelled
 * clips have a subject and others not. */
static int assign_folds(const struct dataset *ds, int K, int *fold)
{
	const char **subj = malloc(sizeof *subj * ds->nclips);
	int ns = 0, with = 0, without = 0;

	for (int i = 0; i < ds->nclips; i++) {
		fold[i] = -1;
		if (ds->clips[i].label < 0)
			continue;
		if (*ds->clips[i].subject)
			with++;
		else
			without++;
	}
	if (with && without) {
		free(subj);
		return -1;
	}
	if (!with) {		/* clip by clip: ids are sorted (LMDB key order) */
		int k = 0;

		free(subj);
		for (int i = 0; i < ds->nclips; i++)
			if (ds->clips[i].label >= 0)
				fold[i] = k++ % K;
		return k;
	}
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
	/* sort subject names (insertion: a handful of speakers) */
	for (int i = 1; i < ns; i++)
		for (int j = i; j > 0 && strcmp(subj[j - 1], subj[j]) > 0; j--) {
			const char *t = subj[j];

			subj[j] = subj[j - 1];
			subj[j - 1] = t;
		}
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

static int distinct_labels(const struct dataset *ds, const int *idx, int n)
{
	int seen[256] = { 0 }, k = 0;

	for (int i = 0; i < n; i++) {
		int y = ds->clips[idx[i]].label;

		if (y >= 0 && y < 256 && !seen[y]++)
			k++;
	}
	return k;
}

/* One row of the sweep table: the runs of one setting over seeds. */
struct table_row {
	int key[SW_COUNT];	/* value indices; the seed index ignored */
	int n;
	double war[MAX_VALUES], uar[MAX_VALUES], f1[MAX_VALUES];
};

static void mean_std(const double *v, int n, double *mean, double *sd)
{
	double s = 0, ss = 0;

	for (int i = 0; i < n; i++)
		s += v[i];
	*mean = n ? s / n : 0;
	for (int i = 0; i < n; i++)
		ss += (v[i] - *mean) * (v[i] - *mean);
	*sd = n > 1 ? sqrt(ss / (n - 1)) : 0;
}

static void print_table(struct table_row *rows, int nrows)
{
	int show = arpg_verbosity() >= ARPG_NORMAL;

	if (show) {
		fprintf(stderr, "\n");
		for (int i = 0; i < SW_COUNT; i++)
			if (sweeps[i].n > 1 && i != SW_SEED)
				fprintf(stderr, "%-14s ", sweeps[i].name);
		fprintf(stderr, "runs  WAR%%          UAR%%          F1%%\n");
	}
	printf("{\"table\":[");
	for (int r = 0; r < nrows; r++) {
		double wm, ws, um, us, fm, fs;

		mean_std(rows[r].war, rows[r].n, &wm, &ws);
		mean_std(rows[r].uar, rows[r].n, &um, &us);
		mean_std(rows[r].f1, rows[r].n, &fm, &fs);
		printf("%s{", r ? "," : "");
		for (int i = 0, first = 1; i < SW_COUNT; i++) {
			if (i == SW_SEED)
				continue;
			printf("%s", first ? "" : ",");
			first = 0;
			json_setting(stdout, i, sweeps[i].v[rows[r].key[i]]);
		}
		printf(",\"runs\":%d,\"war_mean\":%.6f,\"war_std\":%.6f,\"uar_mean\":%.6f,"
		       "\"uar_std\":%.6f,\"f1_mean\":%.6f,\"f1_std\":%.6f}", rows[r].n, wm, ws, um, us, fm, fs);
		if (show) {
			for (int i = 0; i < SW_COUNT; i++)
				if (sweeps[i].n > 1 && i != SW_SEED)
					fprintf(stderr, "%-14s ", sweeps[i].v[rows[r].key[i]]);
			fprintf(stderr, "%4d  %5.2f +- %5.2f  %5.2f +- %5.2f  %5.2f +- %5.2f\n", rows[r].n,
				100 * wm, 100 * ws, 100 * um, 100 * us, 100 * fm, 100 * fs);
		}
	}
	printf("]}\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "folds", required_argument, NULL, 'F' }, { "epochs", required_argument, NULL, 'E' },
		{ "batch", required_argument, NULL, 'B' }, { "frames", required_argument, NULL, 'T' },
		{ "lr", required_argument, NULL, 1000 + SW_LR },
		{ "trs", required_argument, NULL, 1000 + SW_TRS },
		{ "edges", required_argument, NULL, 1000 + SW_EDGES },
		{ "fusion", required_argument, NULL, 1000 + SW_FUSION },
		{ "modality", required_argument, NULL, 1000 + SW_MODALITY },
		{ "dim", required_argument, NULL, 1000 + SW_DIM },
		{ "heads", required_argument, NULL, 1000 + SW_HEADS },
		{ "rel-layers", required_argument, NULL, 1000 + SW_REL },
		{ "fusion-layers", required_argument, NULL, 1000 + SW_FUS },
		{ "dropout", required_argument, NULL, 1000 + SW_DROPOUT },
		{ "seed", required_argument, NULL, 1000 + SW_SEED },
		{ "weight-decay", required_argument, NULL, 'W' }, { "clip", required_argument, NULL, 'C' },
		{ "save", required_argument, NULL, 'S' }, { "load", required_argument, NULL, 'L' },
		{ "resume", required_argument, NULL, 'R' }, { "predict", no_argument, NULL, 'P' },
		{ "jobs", required_argument, NULL, 'j' }, { "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' }, { "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' }, { NULL, 0, NULL, 0 }
	};
	struct opts o = { .epochs = 30, .batch = 32, .verbosity = ARPG_NORMAL, .weight_decay = 1e-4,
			  .clip = 5.0 };
	struct dataset ds;
	struct arpg_blis_info blis;
	char err[1024] = "";
	int c, rc, status = 0, k[SW_COUNT] = { 0 }, ncombos = 1, T, *fold = NULL;
	struct table_row *rows = NULL;
	int nrows = 0;

	arpg_log_init("arpg-train", ARPG_NORMAL);
	atexit(free_sweeps);
	for (int i = 0; i < SW_COUNT; i++)
		sweep_set(&sweeps[i], sweeps[i].deflt);
	while ((c = getopt_long(argc, argv, "j:qvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'F':
			if (parse_int(optarg, 2, 1000, &o.folds))
				return usage_error("--folds: '%s' is not a number from 2 to 1000", optarg);
			break;
		case 'E':
			if (parse_int(optarg, 1, 1000000, &o.epochs))
				return usage_error("--epochs: '%s' is not a positive number", optarg);
			break;
		case 'B':
			if (parse_int(optarg, 1, 65536, &o.batch))
				return usage_error("--batch: '%s' is not a positive number", optarg);
			break;
		case 'T':
			if (parse_int(optarg, 1, 4096, &o.frames))
				return usage_error("--frames: '%s' is not a number from 1 to 4096", optarg);
			break;
		case 'W':
			if (parse_double(optarg, 0, 10, &o.weight_decay))
				return usage_error("--weight-decay: '%s' is not a number from 0 to 10", optarg);
			break;
		case 'C':
			if (parse_double(optarg, 0, 1e9, &o.clip))
				return usage_error("--clip: '%s' is not a number >= 0", optarg);
			break;
		case 'S': o.save = optarg; break;
		case 'L': o.load = optarg; break;
		case 'R': o.resume = optarg; break;
		case 'P': o.predict = 1; break;
		case 'j':
			if (parse_int(optarg, 1, 1024, &o.jobs))
				return usage_error("-j: '%s' is not a positive number", optarg);
			break;
		case 'q': o.verbosity = ARPG_QUIET; break;
		case 'v': o.verbosity++; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("arpg-train %s\n", PACKAGE_VERSION); return 0;
		default:
			if (c >= 1000 && c < 1000 + SW_COUNT) {
				if (sweep_set(&sweeps[c - 1000], optarg))
					return usage_error("--%s: bad list '%s' (an empty value, or more than 32)",
							   sweeps[c - 1000].name, optarg);
				break;
			}
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	arpg_log_init("arpg-train", o.verbosity);
	if (optind != argc - 1) {
		if (optind >= argc)
			return usage_error("%s", "a CACHE directory is needed");
		return usage_error("one CACHE only; '%s' is extra", argv[optind + 1]);
	}
	o.cache = argv[optind];
	for (int i = 0; i < SW_COUNT; i++)
		ncombos *= sweeps[i].n;
	/* every value of every list must parse before any work starts */
	for (int i = 0; i < SW_COUNT; i++)
		for (int j = 0; j < sweeps[i].n; j++) {
			int kk[SW_COUNT] = { 0 }, bad;
			struct model_config cc;
			double lr;
			uint64_t seed;

			kk[i] = j;
			if ((bad = combo_config(kk, &cc, &lr, &seed)))
				return usage_error("--%s: bad value '%s'; see --help",
						   sweeps[bad - 1].name, sweeps[bad - 1].v[kk[bad - 1]]);
		}
	if (o.predict && !o.load)
		return usage_error("%s", "--predict needs --load MODEL");
	if ((o.save || o.resume) && (ncombos > 1 || o.folds))
		return usage_error("%s", "--save and --resume take a single run (no lists, no --folds)");
	if (o.load && (o.save || o.resume || o.folds))
		return usage_error("%s", "--load evaluates a saved model; it does not train");
	if ((rc = arpg_blis_setup(o.jobs, 0, &blis)) < 0) {
		arpg_error("ARPG_BLIS_ARCH: this BLIS has no kernel set named '%s'", blis.arch);
		return EXIT_USAGE;
	}
#ifdef _OPENMP
	omp_set_num_threads(blis.threads);
#endif
	arpg_info("BLIS kernels %s (chosen by %s), %d thread%s", blis.arch, blis.chosen_by,
		  blis.threads, blis.threads > 1 ? "s" : "");

	if ((rc = dataset_load(&ds, o.cache, err, sizeof err)) < 0) {
		arpg_report(o.cache, rc, err);
		return 1;
	}
	arpg_info("%s: %d clips, %d classes, grid %d, app %d, patch %d, frames %s", o.cache,
		  ds.nclips, ds.C, ds.G, ds.Da, ds.Dp, ds.frames ? arpg_kv_get(&ds.meta, "frames") : "all");
	if (o.load) {
		status = run_saved(&o, &ds);
		dataset_free(&ds);
		return status;
	}
	T = o.frames ? o.frames : ds.frames ? ds.frames : 16;
	if (ds.frames && T > ds.frames) {
		arpg_error("%s: --frames %d is more than the %d frames per clip the cache holds: use "
			   "--frames %d or less, or extract with arpg-features --frames %d", o.cache, T,
			   ds.frames, ds.frames, T);
		dataset_free(&ds);
		return 1;
	}
	if (ds.C < 2) {
		arpg_error("%s: meta lists %d label: training needs at least 2 classes", o.cache, ds.C);
		dataset_free(&ds);
		return 1;
	}
	if (o.folds) {
		int groups;

		fold = malloc(sizeof(int) * ds.nclips);
		if (!fold || (groups = assign_folds(&ds, o.folds, fold)) < 0) {
			arpg_error("%s: some clips have a subject and others not: --folds groups by "
				   "subject and needs all or none", o.cache);
			status = 1;
			goto out;
		}
		if (groups < o.folds) {
			arpg_error("%s: --folds %d, but there are only %d %s", o.cache, o.folds, groups,
				   *ds.clips[0].subject ? "subjects" : "labelled clips");
			status = 1;
			goto out;
		}
	}
	rows = calloc((size_t)ncombos, sizeof *rows);
	if (!rows) {
		arpg_report(o.cache, ARPG_ENOMEM, NULL);
		status = 1;
		goto out;
	}

	for (int combo = 0; combo < ncombos; combo++) {
		struct model_config cfg;
		double lr;
		uint64_t seed;
		char *settings;
		int nf = o.folds ? o.folds : 1;
		double war_sum = 0, uar_sum = 0, f1_sum = 0;
		long *cm_sum = calloc((size_t)ds.C * ds.C, sizeof *cm_sum);
		int r;

		/* decode the combination: seeds vary fastest */
		for (int i = SW_COUNT - 1, rest = combo; i >= 0; i--) {
			k[i] = rest % sweeps[i].n;
			rest /= sweeps[i].n;
		}
		combo_config(k, &cfg, &lr, &seed);
		cfg.T = T;
		cfg.G = ds.G;
		cfg.Dp = ds.Dp;
		cfg.Da = ds.Da;
		cfg.C = ds.C;
		if ((rc = model_config_check(&cfg, err, sizeof err)) < 0) {
			free(cm_sum);
			arpg_error("%s", err);
			status = EXIT_USAGE;
			goto out;
		}
		settings = settings_json(k, &o, T);
		for (int f = 0; f < nf; f++) {
			int *tr = malloc(sizeof(int) * ds.nclips), *va = malloc(sizeof(int) * ds.nclips);
			int ntr = 0, nva = 0;
			struct model *m = NULL;
			struct adamw opt = { 0 };
			struct run_result res = { 0 };
			struct run_opts ro = { .epochs = o.epochs, .batch = o.batch, .T = T,
				.clip = (float)o.clip, .seed = seed, .run_no = combo + 1,
				.nruns = ncombos, .fold_no = o.folds ? f + 1 : 0, .nfolds = o.folds,
				.settings_json = settings, .out = stdout };

			if (!tr || !va || !settings || !cm_sum) {
				free(tr);
				free(va);
				arpg_report(o.cache, ARPG_ENOMEM, NULL);
				status = 1;
				break;
			}
			for (int i = 0; i < ds.nclips; i++) {
				const struct clip_data *cl = &ds.clips[i];

				if (cl->label < 0)
					continue;
				if (o.folds ? fold[i] != f : !strcmp(cl->split, "train"))
					tr[ntr++] = i;
				else if (o.folds ? 1 : !strcmp(cl->split, "val"))
					va[nva++] = i;
			}
			rc = 0;
			if (!ntr) {
				arpg_error("%s: no labelled clips in split train%s", o.cache,
					   o.folds ? " of this fold" : ": the cache needs train and val clips, or use --folds K");
				rc = 1;
			} else if (!nva) {
				arpg_error("%s: no labelled clips in split val: evaluate with --folds K, or "
					   "extract a val split", o.cache);
				rc = 1;
			} else if (distinct_labels(&ds, tr, ntr) < 2) {
				arpg_error("%s: the training clips hold a single class (%s): nothing to learn",
					   o.cache, ds.labels[ds.clips[tr[0]].label]);
				rc = 1;
			}
			if (!rc && (rc = model_create(&m, &cfg, o.batch, seed)) == 0)
				rc = adamw_init(&opt, model_nparams(m));
			if (rc < 0)
				arpg_report(o.cache, rc, NULL);
			if (!rc && o.resume) {
				struct checkpoint rk;
				struct model_config rc_cfg;

				if ((rc = checkpoint_load(&rk, o.resume, err, sizeof err)) < 0) {
					arpg_report(o.resume, rc, err);
				} else if (checkpoint_config(&rk, &rc_cfg) < 0 ||
					   rk.n != model_nparams(m) || !rk.has_opt ||
					   !checkpoint_same_network(&rc_cfg, &cfg)) {
					arpg_error("%s: its settings or size differ from this run's: resume "
						   "with the options it was trained with", o.resume);
					rc = 1;
				} else if ((rc = check_meta(&rk, &ds, o.resume, o.cache)) == 0) {
					memcpy(model_params(m), rk.params, sizeof(float) * rk.n);
					memcpy(opt.m, rk.m, sizeof(float) * rk.n);
					memcpy(opt.v, rk.v, sizeof(float) * rk.n);
					opt.step = rk.step;
					ro.start_epoch = checkpoint_epoch(&rk);
				}
				checkpoint_free(&rk);
			}
			if (!rc) {
				opt.lr = (float)lr;
				opt.weight_decay = (float)o.weight_decay;
				rc = run_train(m, &opt, &ds, &ro, tr, ntr, va, nva, &res, err, sizeof err);
				if (rc < 0)
					arpg_report(o.cache, rc, err);
			}
			if (!rc) {
				printf("{\"summary\":\"%s\",\"run\":%d,", o.folds ? "fold" : "run", combo + 1);
				if (o.folds)
					printf("\"fold\":%d,", f + 1);
				printf("\"train_clips\":%d,\"val_clips\":%d,", ntr, nva);
				print_metrics(stdout, "best", res.best_epoch, &res.best);
				printf(",");
				print_metrics(stdout, "final", res.final_epoch, &res.final);
				printf(",");
				print_confusion(stdout, &ds, res.confusion);
				printf(",\"settings\":%s}\n", settings);
				fflush(stdout);
				war_sum += res.final.war;
				uar_sum += res.final.uar;
				f1_sum += res.final.f1;
				for (int i = 0; i < ds.C * ds.C; i++)
					cm_sum[i] += res.confusion[i];
				if (!o.folds)
					show_confusion(&ds, res.confusion);
			}
			if (!rc && o.save) {
				struct arpg_kv kv = ARPG_KV_INIT;
				struct checkpoint_run run = { res.final_epoch, seed, lr };

				if ((rc = checkpoint_settings(&kv, &cfg, &run, &ds.meta)) == 0)
					rc = checkpoint_save(o.save, &kv, model_params(m),
							     model_nparams(m), &opt);
				if (rc < 0)
					arpg_report(o.save, rc, NULL);
				else
					arpg_info("saved the model to %s", o.save);
				arpg_kv_free(&kv);
			}
			free(res.confusion);
			adamw_free(&opt);
			model_free(m);
			free(tr);
			free(va);
			if (rc) {
				status = 1;
				break;
			}
		}
		if (!status && o.folds) {
			struct metrics all;

			metrics_from_confusion(&all, cm_sum, ds.C);
			printf("{\"summary\":\"folds\",\"run\":%d,\"folds\":%d,\"mean\":{\"war\":%.6f,"
			       "\"uar\":%.6f,\"f1\":%.6f},\"pooled\":{\"war\":%.6f,\"uar\":%.6f,\"f1\":%.6f},",
			       combo + 1, nf, war_sum / nf, uar_sum / nf, f1_sum / nf, all.war, all.uar, all.f1);
			print_confusion(stdout, &ds, cm_sum);
			printf(",\"settings\":%s}\n", settings);
			fflush(stdout);
			arpg_note("%d folds: mean WAR %.1f%% UAR %.1f%% F1 %.1f%%", nf, 100 * war_sum / nf,
				  100 * uar_sum / nf, 100 * f1_sum / nf);
			show_confusion(&ds, cm_sum);
		}
		free(cm_sum);
		free(settings);
		if (status)
			goto out;
		/* the table groups runs that differ only in their seed */
		for (r = 0; r < nrows; r++) {
			int same = 1;

			for (int i = 0; i < SW_COUNT; i++)
				if (i != SW_SEED && rows[r].key[i] != k[i])
					same = 0;
			if (same)
				break;
		}
		if (r == nrows) {
			memcpy(rows[r].key, k, sizeof k);
			nrows++;
		}
		rows[r].war[rows[r].n] = war_sum / nf;
		rows[r].uar[rows[r].n] = uar_sum / nf;
		rows[r].f1[rows[r].n] = f1_sum / nf;
		rows[r].n++;
	}
	if (ncombos > 1)
		print_table(rows, nrows);
out:
	free(rows);
	free(fold);
	dataset_free(&ds);
	if (fflush(stdout) || ferror(stdout)) {
		arpg_error("standard output: write error");
		status = 1;
	}
	return status;
}
