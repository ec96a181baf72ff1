/* run.c - the training loop of one run or fold. */
#include "run.h"
#include "text.h"
#include "error.h"
#include "frames.h"
#include "layers.h"
#include "log.h"
#include "progress.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void json_string(FILE *f, const char *s)
{
	arpg_json_string(f, s);
}

/* A batch's buffers; those of mixup (mixed inputs, the partners and
 * their labels) and of frame drop-out (the frames kept) only when aug
 * asks for them, else NULL. */
struct batch_buf {
	float *app, *patch, *logits;
	int *labels, *sel;
	float *app2, *patch2;	/* mixup: the mixed inputs */
	int *perm, *labels2;	/* mixup: each clip's partner and its label */
	uint8_t *keep;		/* frame drop-out: B x T */
};

/* rows: the classifier's rows per clip (T with --per-frame, else 1). */
static int batch_alloc(struct batch_buf *b, const struct dataset *ds, int B, int T, int rows,
		       unsigned aug)
{
	size_t na = (size_t)B * T * ds->Da, np = (size_t)B * T * ds->N * ds->Dp;

	memset(b, 0, sizeof *b);
	b->app = malloc(sizeof(float) * na);
	b->patch = malloc(sizeof(float) * np);
	b->logits = malloc(sizeof(float) * B * rows * ds->C);
	b->labels = malloc(sizeof(int) * B * rows);
	b->sel = malloc(sizeof(int) * B);
	if (!b->app || !b->patch || !b->logits || !b->labels || !b->sel)
		return ARPG_ENOMEM;
	if ((aug & AUG_MIXUP) &&
	    (!(b->app2 = malloc(sizeof(float) * na)) || !(b->patch2 = malloc(sizeof(float) * np)) ||
	     !(b->perm = malloc(sizeof(int) * B)) || !(b->labels2 = malloc(sizeof(int) * B))))
		return ARPG_ENOMEM;
	if ((aug & AUG_DROP) && !(b->keep = malloc((size_t)B * T)))
		return ARPG_ENOMEM;
	return 0;
}

static void batch_free(struct batch_buf *b)
{
	free(b->app);
	free(b->patch);
	free(b->logits);
	free(b->labels);
	free(b->sel);
	free(b->app2);
	free(b->patch2);
	free(b->perm);
	free(b->labels2);
	free(b->keep);
}

int run_eval(struct model *m, const struct dataset *ds, const int *idx, int n,
		  int T, int batch, long *cm, double *loss, float *probs,
		  const volatile sig_atomic_t *stop)
{
	struct batch_buf b;
	double sum = 0;
	long counted = 0;
	int rc = 0, C = ds->C;

	if ((rc = batch_alloc(&b, ds, batch, T, 1, 0)) < 0)
		goto out;
	for (int s = 0; s < n; s += batch) {
		int B = n - s < batch ? n - s : batch, nl = 0;
		struct model_batch mb = { .B = B, .app = b.app, .patch = b.patch };
		const float *p;

		if (stop && *stop) {
			rc = ARPG_EINTR;
			goto out;
		}
		dataset_batch(ds, idx + s, B, T, 0, 0, NULL, b.app, b.patch, b.labels);
		if ((rc = model_forward(m, &mb, 0, NULL, b.logits, NULL)) < 0)
			goto out;
		p = model_probs(m);
		for (int i = 0; i < B; i++) {
			int y = b.labels[i];

			if (probs)
				memcpy(probs + (size_t)(s + i) * C, p + (size_t)i * C, sizeof(float) * C);
			if (y < 0)
				continue;
			nl++;
			sum += -log(fmax(p[(size_t)i * C + y], 1e-30));
			if (cm)
				cm[y * C + metrics_argmax(b.logits + (size_t)i * C, C)]++;
		}
		counted += nl;
	}
	if (loss)
		*loss = counted ? sum / counted : 0;
out:
	batch_free(&b);
	return rc;
}

/* An epoch's line of a split; with --per-frame (cm not NULL) n counts
 * labelled frames, and the line adds each class's F1 and the frames run
 * through the model (windows x T: frames per second = frames / seconds). */
static void print_line(const struct run_opts *o, int epoch, const char *split,
		       const struct metrics *mt, double seconds, const long *cm, int C,
		       long frames)
{
	FILE *f = o->out;

	if (!f)
		return;
	fprintf(f, "{\"run\":%d,", o->run_no);
	if (o->nfolds)
		fprintf(f, "\"fold\":%d,", o->fold_no);
	fprintf(f, "\"epoch\":%d,\"split\":\"%s\",\"n\":%ld,\"loss\":%.6f,\"war\":%.6f,"
		"\"uar\":%.6f,\"f1\":%.6f,", epoch, split, mt->n, mt->loss, mt->war, mt->uar, mt->f1);
	if (cm) {
		fprintf(f, "\"f1_class\":[");
		for (int c = 0; c < C; c++)
			fprintf(f, "%s%.6f", c ? "," : "", metrics_class_f1(cm, C, c));
		fprintf(f, "],\"frames\":%ld,", frames);
	}
	fprintf(f, "\"seconds\":%.3f,\"settings\":%s}\n", seconds, o->settings_json);
	fflush(f);
}

int augment_parse(const char *s, unsigned *aug)
{
	static const char *const names[] = { "jitter", "flip", "drop", "mixup" };
	unsigned a = 0;

	if (!strcmp(s, "none")) {
		*aug = 0;
		return 0;
	}
	for (const char *p = s, *q; ; p = q + 1) {
		size_t len, i;

		q = strchr(p, ',');
		len = q ? (size_t)(q - p) : strlen(p);
		for (i = 0; i < sizeof names / sizeof *names; i++)
			if (len == strlen(names[i]) && !strncmp(p, names[i], len))
				break;
		if (i == sizeof names / sizeof *names)
			return ARPG_EINVAL;	/* an unknown or empty name */
		a |= 1u << i;
		if (!q)
			break;
	}
	*aug = a;
	return 0;
}

uint64_t run_epoch_rng(uint64_t seed, int epoch)
{
	uint64_t rng = seed * 0x9e3779b97f4a7c15ull + 0x7261696e + (uint64_t)epoch * 0xbf58476d1ce4e5b9ull;

	rng_next(&rng);
	return rng;
}

static void shuffle(int *v, int n, uint64_t *rng)
{
	for (int i = n - 1; i > 0; i--) {
		int j = (int)(rng_next(rng) % (uint64_t)(i + 1)), t = v[i];

		v[i] = v[j];
		v[j] = t;
	}
}

int class_weights(float *w, int cw, const struct dataset *ds, const int *idx, int n)
{
	int C = ds->C, nl = 0;
	long *count;

	for (int c = 0; c < C; c++)
		w[c] = 1;
	if (cw != CW_BALANCED)
		return 0;
	if (!(count = calloc((size_t)C, sizeof *count)))
		return ARPG_ENOMEM;
	for (int i = 0; i < n; i++) {
		const struct clip_data *c = &ds->clips[idx[i]];

		/* a clip's label, or each of its frames' */
		for (int t = 0; t < (c->frame_labels ? c->T : 1); t++) {
			int y = c->frame_labels ? c->frame_labels[t] : c->label;

			if (y >= 0 && y < C) {
				count[y]++;
				nl++;
			}
		}
	}
	for (int c = 0; c < C; c++)
		w[c] = count[c] ? (float)((double)nl / ((double)C * count[c])) : 0.0f;
	free(count);
	return 0;
}

/* y[b] = lam x[b] + (1 - lam) x[perm[b]] over B rows of n floats. */
static void mix_rows(float *y, const float *x, const int *perm, float lam, int B, size_t n)
{
	for (int b = 0; b < B; b++) {
		const float *xa = x + (size_t)b * n, *xb = x + (size_t)perm[b] * n;
		float *yb = y + (size_t)b * n;

		for (size_t i = 0; i < n; i++)
			yb[i] = lam * xa[i] + (1 - lam) * xb[i];
	}
}

/* mixup over the batch in b: lam ~ Beta(alpha, alpha), each clip's partner
 * a random permutation of the batch; sets mb's inputs to the mixed ones
 * and its second labels. */
static void mixup(struct batch_buf *b, struct model_batch *mb, const struct dataset *ds,
		  int T, double alpha, uint64_t *rng)
{
	int B = mb->B;

	mb->lam = (float)rng_beta(rng, alpha, alpha);
	for (int i = 0; i < B; i++)
		b->perm[i] = i;
	shuffle(b->perm, B, rng);
	mix_rows(b->app2, b->app, b->perm, mb->lam, B, (size_t)T * ds->Da);
	mix_rows(b->patch2, b->patch, b->perm, mb->lam, B, (size_t)T * ds->N * ds->Dp);
	for (int i = 0; i < B; i++)
		b->labels2[i] = b->labels[b->perm[i]];
	mb->app = b->app2;
	mb->patch = b->patch2;
	mb->labels2 = b->labels2;
}

/* Frame drop-out: round(frac T) frames of each clip (at most T - 1),
 * drawn without replacement, are marked 0 in keep (B x T).  0 when none
 * are dropped (keep unused). */
static int drop_frames(uint8_t *keep, int B, int T, double frac, uint64_t *rng)
{
	int k = (int)floor(frac * T + 0.5), order[4096];

	if (k > T - 1)
		k = T - 1;
	if (k <= 0)
		return 0;
	for (int b = 0; b < B; b++) {
		uint8_t *kb = keep + (size_t)b * T;

		for (int t = 0; t < T; t++) {
			order[t] = t;
			kb[t] = 1;
		}
		for (int i = 0; i < k; i++) {	/* the first k of a partial shuffle */
			int j = i + (int)(rng_next(rng) % (uint64_t)(T - i)), x = order[i];

			order[i] = order[j];
			order[j] = x;
			kb[order[i]] = 0;
		}
	}
	return 1;
}

int run_train(struct model *m, struct adam *opt, const struct dataset *ds,
		   const struct run_opts *o, const int *train, int ntrain, const int *val,
		   int nval, struct run_result *res, char *err, size_t errn)
{
	int C = ds->C, rc, epoch, pf = o->per_frame, rows = pf ? o->T : 1;
	struct batch_buf b;
	int *order = malloc(sizeof(int) * (ntrain ? ntrain : 1));
	long maxw = pf ? frames_max_windows(ds, train, ntrain, o->T) : 0, nunits = ntrain;
	struct window *win = pf ? malloc(sizeof *win * (maxw ? maxw : 1)) : NULL;
	long *cm = calloc((size_t)C * C, sizeof *cm), *cm_train = calloc((size_t)C * C, sizeof *cm);
	uint64_t rng;
	size_t np = model_nparams(m);
	char where[64] = "";
	struct lr_plan plan = o->plan;

	plan.epochs = o->epochs;
	plan.steps = ntrain ? (ntrain + o->batch - 1) / o->batch : 1;
	if (pf) {	/* the windows of phase 0, about an epoch's */
		long w = 0;

		for (int i = 0; i < ntrain; i++)
			w += (ds->clips[train[i]].T + o->T - 1) / o->T;
		plan.steps = w ? (int)((w + o->batch - 1) / o->batch) : 1;
	}
	memset(res, 0, sizeof *res);
	res->best.war = -1;
	res->final_epoch = o->start_epoch;
	if ((rc = batch_alloc(&b, ds, o->batch, o->T, rows, o->augment)) < 0 || !order || !cm ||
	    !cm_train || (pf && !win)) {
		rc = ARPG_ENOMEM;
		goto out;
	}
	if (o->nfolds)
		snprintf(where, sizeof where, "fold %d/%d ", o->fold_no, o->nfolds);
	if (o->nruns > 1) {
		size_t l = strlen(where);

		snprintf(where + l, sizeof where - l, "run %d/%d ", o->run_no, o->nruns);
	}
	for (epoch = o->start_epoch + 1; epoch <= o->epochs; epoch++) {
		double t0 = arpg_now(), t_train, t_eval, loss_sum = 0, vloss = 0;
		long nloss = 0, vframes = 0;
		struct metrics tm, vm;

		rng = run_epoch_rng(o->seed, epoch);
		memset(cm_train, 0, sizeof *cm_train * C * C);
		if (pf) {
			nunits = frames_train_windows(ds, train, ntrain, o->T, &rng, win);
		} else {
			memcpy(order, train, sizeof(int) * ntrain);
			shuffle(order, ntrain, &rng);
		}
		for (long s = 0; s < nunits; s += o->batch) {
			int B = nunits - s < o->batch ? (int)(nunits - s) : o->batch;
			struct model_batch mb = { .B = B, .app = b.app, .patch = b.patch,
						  .labels = b.labels };
			float loss;

			if (o->stop && *o->stop) {
				rc = ARPG_EINTR;
				goto out;
			}
			if (pf)
				frames_batch(ds, win + s, B, o->T, (o->augment & AUG_FLIP) != 0, &rng,
					     b.app, b.patch, b.labels);
			else
				dataset_batch(ds, order + s, B, o->T, (o->augment & AUG_JITTER) != 0,
					      (o->augment & AUG_FLIP) != 0, &rng, b.app, b.patch,
					      b.labels);
			if (o->tune && (rc = tune_run_batch(o->tune, ds, order + s, B, b.app, err,
							    errn)) < 0)
				goto out;
			if (o->augment & AUG_MIXUP)
				mixup(&b, &mb, ds, o->T, o->mixup_alpha, &rng);
			if ((o->augment & AUG_DROP) && drop_frames(b.keep, B, o->T, o->drop_frames, &rng))
				mb.keep = b.keep;
			model_zero_grads(m);
			if ((rc = model_forward(m, &mb, 1, &rng, b.logits, &loss)) < 0)
				goto out;
			if (!isfinite(loss)) {
				rc = arpg_errf(err, errn, ARPG_ENUMERIC,
					       "%sepoch %d: the loss became %s at %s %ld of %ld: training "
					       "diverged (try a lower --lr)", where, epoch,
					       isnan(loss) ? "NaN" : "infinite", pf ? "window" : "clip",
					       s + 1, nunits);
				goto out;
			}
			if ((rc = model_backward(m)) < 0)
				goto out;
			clip_grad_norm(model_grads(m), np, o->clip);
			opt->lr = (float)lr_at(&plan, epoch - 1, (int)(s / o->batch < plan.steps ?
								      s / o->batch : plan.steps - 1));
			adam_step(opt, model_params(m), model_grads(m));
			if (o->tune)
				tune_run_step(o->tune);
			{
				int nl = 0;	/* the labelled rows: the loss is their mean */

				for (int i = 0; i < B * rows; i++)
					if (b.labels[i] >= 0) {
						cm_train[b.labels[i] * C +
							 metrics_argmax(b.logits + (size_t)i * C, C)]++;
						nl++;
					}
				loss_sum += (double)loss * nl;
				nloss += nl;
			}
		}
		metrics_from_confusion(&tm, cm_train, C);
		tm.loss = nloss ? loss_sum / nloss : 0;
		t_train = arpg_now() - t0;
		t0 = arpg_now();
		memset(cm, 0, sizeof *cm * C * C);
		memset(&vm, 0, sizeof vm);
		if (nval) {
			if (pf)
				rc = frames_eval(m, ds, o->cache, val, nval, o->batch, cm, &vloss,
						 &vframes, NULL, NULL, NULL, o->stop, err, errn);
			else if (o->tune) {
				const struct dataset *tds;

				if ((rc = tune_run_eval_set(o->tune, ds, val, nval, &tds, err, errn)) == 0)
					rc = run_eval(m, tds, val, nval, o->T, o->batch, cm, &vloss, NULL,
						      o->stop);
			} else {
				rc = run_eval(m, ds, val, nval, o->T, o->batch, cm, &vloss, NULL,
					      o->stop);
			}
			if (rc < 0)
				goto out;
			metrics_from_confusion(&vm, cm, C);
			vm.loss = vloss;
		}
		t_eval = arpg_now() - t0;
		print_line(o, epoch, "train", &tm, t_train, pf ? cm_train : NULL, C,
			   nunits * o->T);
		if (nval)
			print_line(o, epoch, "val", &vm, t_eval, pf ? cm : NULL, C, vframes);
		if (nval)
			arpg_note("%sepoch %d/%d: loss %.4f, train WAR %.1f%%, val loss %.4f WAR %.1f%% "
				  "UAR %.1f%% F1 %.1f%% (%.1f s)", where, epoch, o->epochs, tm.loss,
				  100 * tm.war, vm.loss, 100 * vm.war, 100 * vm.uar, 100 * vm.f1,
				  t_train + t_eval);
		else
			arpg_note("%sepoch %d/%d: loss %.4f, train WAR %.1f%% (%.1f s)", where, epoch,
				  o->epochs, tm.loss, 100 * tm.war, t_train);
		res->final = vm;
		res->train_final = tm;
		res->final_epoch = epoch;
		/* the best epoch: by WAR, or by macro-F1 (the ABAW score) per frame */
		if (nval && (pf ? vm.f1 > res->best.f1 || res->best_epoch == 0 : vm.war > res->best.war)) {
			res->best = vm;
			res->best_epoch = epoch;
		}
		if (o->epoch_end && (rc = o->epoch_end(o->ctx, epoch)) < 0)
			goto out;
	}
	res->confusion = cm;
	cm = NULL;
	rc = 0;
out:
	batch_free(&b);
	free(order);
	free(win);
	free(cm);
	free(cm_train);
	return rc;
}
