/* The whole network against the PyTorch reference (tests/train/golden/): logits,
 * loss, every gradient, and two Adam or AdamW steps with clipping, for each
 * ablation path and each training piece (class weights, label smoothing,
 * mixup, frame drop-out). */
#include "harness.h"
#include "golden.h"
#include "error.h"
#include "layers.h"
#include "model.h"
#include "optim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct golden_case {
	struct golden gold;	/* the case line and its arrays */
	struct model_config c;
	int B;
	int opt;		/* enum optimizer */
	double wd, ls;		/* weight decay, label smoothing */
};

static int parse_edges(const char *s)
{
	int e = 0;

	if (strstr(s, "self"))
		e |= EDGE_SELF;
	if (strstr(s, "adj8"))
		e |= EDGE_ADJ8;
	if (strstr(s, "adj,") || (strlen(s) >= 3 && !strcmp(s + strlen(s) - 3, "adj")))
		e |= EDGE_ADJ;
	if (strstr(s, "sym"))
		e |= EDGE_SYM;
	return e;
}

static void parse_case_line(struct golden_case *g)
{
	char *save = NULL, buf[400], *tok;

	model_config_default(&g->c);
	g->c.dropout = 0;
	g->opt = OPT_ADAMW;
	g->wd = 1e-4;
	g->ls = 0;
	snprintf(buf, sizeof buf, "%s", g->gold.line);
	for (tok = strtok_r(buf, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
		char *eq = strchr(tok, '=');
		const char *k = tok, *v;

		if (!eq)
			continue;
		*eq = 0;
		v = eq + 1;
		if (!strcmp(k, "B")) g->B = atoi(v);
		else if (!strcmp(k, "T")) g->c.T = atoi(v);
		else if (!strcmp(k, "G")) g->c.G = atoi(v);
		else if (!strcmp(k, "Dp")) g->c.Dp = atoi(v);
		else if (!strcmp(k, "Da")) g->c.Da = atoi(v);
		else if (!strcmp(k, "D")) g->c.D = atoi(v);
		else if (!strcmp(k, "H")) g->c.H = atoi(v);
		else if (!strcmp(k, "C")) g->c.C = atoi(v);
		else if (!strcmp(k, "Lr")) g->c.rel_layers = atoi(v);
		else if (!strcmp(k, "Lf")) g->c.fusion_layers = atoi(v);
		else if (!strcmp(k, "trs")) g->c.trs = atoi(v);
		else if (!strcmp(k, "edges")) g->c.edges = parse_edges(v);
		else if (!strcmp(k, "fusion")) g->c.fusion = !strcmp(v, "concat") ? FUSION_CONCAT : FUSION_GAT;
		else if (!strcmp(k, "modality"))
			g->c.modality = !strcmp(v, "app") ? MOD_APP : !strcmp(v, "rel") ? MOD_REL : MOD_BOTH;
		else if (!strcmp(k, "opt")) g->opt = optimizer_parse(v);
		else if (!strcmp(k, "wd")) g->wd = atof(v);
		else if (!strcmp(k, "ls")) g->ls = atof(v);
		else if (!strcmp(k, "pf")) g->c.per_frame = atoi(v);
	}
}

static const struct golden_arr *find(const struct golden_case *g, const char *name)
{
	return golden_find(&g->gold, name);
}

/* Reads the next case; 1, 0 at the end, -1 on a malformed file. */
static int read_case(FILE *f, struct golden_case *g)
{
	int r = golden_read(f, &g->gold);

	if (r == 1)
		parse_case_line(g);
	return r;
}

#define TOL 1e-5

/* Replays the golden file tests/train/golden/NAME, which must hold at
 * least min_cases cases. */
static void replay_golden(const char *name, int min_cases)
{
	char path[4096];
	struct golden_case g;
	FILE *f;
	int ncase = 0, r;

	snprintf(path, sizeof path, "%s/tests/train/golden/%s", arpg_test_srcdir(), name);
	if (!(f = fopen(path, "r"))) {
		arpg_test_fail(__FILE__, __LINE__, "cannot open %s", path);
		return;
	}
	while ((r = read_case(f, &g)) == 1) {
		const struct golden_arr *p0 = find(&g, "params"), *app = find(&g, "app"),
				 *patch = find(&g, "patch"), *lab = find(&g, "labels"),
				 *logit = find(&g, "logits"), *loss = find(&g, "loss"),
				 *grads = find(&g, "grads"), *s1 = find(&g, "step1"),
				 *s2 = find(&g, "step2"), *wts = find(&g, "weights"),
				 *lab2 = find(&g, "labels2"), *lam = find(&g, "lam"),
				 *keep = find(&g, "keep");
		struct model *m = NULL;
		struct adam opt;
		float *fapp, *fpatch, logits[256], l = 0, *delta, w[16];
		int labels[64], labels2[64];
		uint8_t kp[256];
		double e, errs[5] = { 0 };	/* logits, loss, gradients, steps 1 and 2 */

		ncase++;
		if (!p0 || !app || !patch || !lab || !logit || !loss || !grads || !s1 || !s2) {
			arpg_test_fail(__FILE__, __LINE__, "case %d incomplete", ncase);
			golden_free(&g.gold);
			break;
		}
		expect_int(model_create(&m, &g.c, g.B, 1), 0);
		if (!m)
			break;
		expect_int((long)model_nparams(m), p0->n);
		if ((long)model_nparams(m) != p0->n) {
			model_free(m);
			golden_free(&g.gold);
			continue;
		}
		for (long i = 0; i < p0->n; i++)
			model_params(m)[i] = (float)p0->v[i];
		for (long b = 0; b < lab->n && b < 64; b++) {
			labels[b] = (int)lab->v[b];
			labels2[b] = lab2 ? (int)lab2->v[b] : 0;
		}
		for (int c = 0; wts && c < g.c.C; c++)
			w[c] = (float)wts->v[c];
		for (long i = 0; keep && i < keep->n && i < 256; i++)
			kp[i] = (uint8_t)keep->v[i];
		model_set_loss(m, wts ? w : NULL, (float)g.ls);
		fapp = golden_f32(app);
		fpatch = golden_f32(patch);
		adam_init(&opt, g.opt, p0->n);
		opt.lr = 1e-3f;
		opt.weight_decay = (float)g.wd;
		for (int step = 0; step < 2; step++) {
			const struct golden_arr *want = step ? s2 : s1;
			const double *prev = step ? s1->v : p0->v;
			struct model_batch mb = { .B = g.B, .app = fapp, .patch = fpatch, .labels = labels,
						  .labels2 = lab2 ? labels2 : NULL,
						  .lam = lam ? (float)lam->v[0] : 1.0f,
						  .keep = keep ? kp : NULL };

			model_zero_grads(m);
			expect_int(model_forward(m, &mb, 0, NULL, logits, &l), 0);
			expect_int(model_backward(m), 0);
			if (step == 0) {
				e = errs[0] = golden_relerr(logits, logit->v, logit->n);
				if (!(e <= TOL))
					arpg_test_fail(__FILE__, __LINE__, "case %d (%s): logits rel. error %.3g",
						       ncase, g.gold.line, e);
				errs[1] = fabs(l - loss->v[0]) / fabs(loss->v[0]);
				expect_near(l, loss->v[0], TOL * fabs(loss->v[0]));
				e = errs[2] = golden_relerr(model_grads(m), grads->v, grads->n);
				if (!(e <= TOL))
					arpg_test_fail(__FILE__, __LINE__, "case %d (%s): gradient rel. error %.3g",
						       ncase, g.gold.line, e);
			}
			clip_grad_norm(model_grads(m), p0->n, 0.05);
			adam_step(&opt, model_params(m), model_grads(m));
			/* Compare the update, which is small next to the parameters.
			 * A gradient that is zero in exact arithmetic (an attention
			 * vector under a mask that joins every pair: softmax is
			 * shift-invariant) is rounding noise on both sides, which
			 * Adam scales to +-lr: there only the size of the step is
			 * checked. */
			delta = malloc(sizeof *delta * p0->n);
			{
				double *wd = malloc(sizeof *wd * p0->n), gmax = 0;

				for (long i = 0; i < p0->n; i++)
					gmax = fmax(gmax, fabs(grads->v[i]));
				for (long i = 0; i < p0->n; i++) {
					delta[i] = (float)(model_params(m)[i] - prev[i]);
					wd[i] = want->v[i] - prev[i];
					if (fabs(grads->v[i]) < 1e-6 * gmax) {
						expect(fabs(delta[i]) <= 1.01e-3 + 1e-6);
						delta[i] = (float)wd[i];
					}
				}
				e = errs[3 + step] = golden_relerr(delta, wd, p0->n);
				free(wd);
			}
			free(delta);
			/* the update is a difference of float32 numbers near 1: allow
			 * for their rounding (2^-24 of the parameters, relative to lr) */
			if (!(e <= 1e-3))
				arpg_test_fail(__FILE__, __LINE__, "case %d (%s): %s step %d rel. error %.3g",
					       ncase, g.gold.line, optimizer_name(g.opt), step + 1, e);
		}
		arpg_test_note("case %d:%s", ncase, g.gold.line);
		arpg_test_note("  rel. errors: logits %.2g, loss %.2g, gradients %.2g, %s steps %.2g %.2g",
			       errs[0], errs[1], errs[2], optimizer_name(g.opt), errs[3], errs[4]);
		adam_free(&opt);
		free(fapp);
		free(fpatch);
		model_free(m);
		golden_free(&g.gold);
	}
	fclose(f);
	if (r < 0)
		arpg_test_fail(__FILE__, __LINE__, "%s: malformed after case %d", path, ncase);
	expect(ncase >= min_cases);
}

ARPG_TEST(model_matches_pytorch_reference)
{
	replay_golden("train.golden", 11);
}

/* --per-frame: a class per frame from its fusion nodes, frames labelled
 * -1 without loss, plain and class-weighted cross-entropy. */
ARPG_TEST(per_frame_model_matches_pytorch_reference)
{
	replay_golden("perframe.golden", 5);
}

ARPG_TEST(learning_rate_schedules_follow_their_formulas)
{
	/* 10 epochs of 4 steps, 2 of them warm-up */
	struct lr_plan p = { .schedule = SCHED_CONSTANT, .lr = 0.01, .epochs = 10, .steps = 4,
			     .warmup = 2, .every = 3, .gamma = 0.5 };

	/* linear warm-up over 8 steps, then the base rate */
	expect_near(lr_at(&p, 0, 0), 0.01 / 8, 1e-15);
	expect_near(lr_at(&p, 1, 3), 0.01, 1e-15);
	expect_near(lr_at(&p, 2, 0), 0.01, 0);
	expect_near(lr_at(&p, 9, 3), 0.01, 0);
	/* step: halved at epochs 3, 6 and 9 (0-based, warm-up included) */
	p.schedule = SCHED_STEP;
	expect_near(lr_at(&p, 0, 2), 0.01 * 3 / 8, 1e-15);
	expect_near(lr_at(&p, 2, 3), 0.01, 1e-15);
	expect_near(lr_at(&p, 3, 0), 0.005, 1e-15);
	expect_near(lr_at(&p, 8, 3), 0.0025, 1e-15);
	expect_near(lr_at(&p, 9, 0), 0.00125, 1e-15);
	/* cosine over the 32 steps after the warm-up: the full rate at its
	 * first, half at its middle, near 0 at its last */
	p.schedule = SCHED_COSINE;
	expect_near(lr_at(&p, 2, 0), 0.01, 1e-15);
	expect_near(lr_at(&p, 6, 0), 0.005, 1e-15);
	expect_near(lr_at(&p, 9, 3), 0.01 * 0.5 * (1 + cos(M_PI * 31 / 32)), 1e-15);
	/* without warm-up the first step has the full rate */
	p.warmup = 0;
	p.schedule = SCHED_CONSTANT;
	expect_near(lr_at(&p, 0, 0), 0.01, 0);
	expect_int(schedule_parse("cosine"), SCHED_COSINE);
	expect_int(schedule_parse("linear"), -1);
	expect_str(schedule_name(SCHED_STEP), "step");
	expect_int(optimizer_parse("adamw"), OPT_ADAMW);
	expect_str(optimizer_name(OPT_ADAM), "adam");
}
