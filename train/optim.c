/* optim.c - Adam, AdamW, gradient-norm clipping, learning-rate schedules. */
#include "optim.h"
#include "error.h"
#include "layers.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const OPTIMIZERS[] = { "adam", "adamw" };
static const char *const SCHEDULES[] = { "constant", "step", "cosine" };

int adam_init(struct adam *o, int kind, size_t n)
{
	o->kind = kind;
	o->lr = 1e-3f;
	o->beta1 = 0.9f;
	o->beta2 = 0.999f;
	o->eps = 1e-8f;
	o->weight_decay = 0;
	o->step = 0;
	o->n = n;
	o->m = calloc(n ? n : 1, sizeof *o->m);
	o->v = calloc(n ? n : 1, sizeof *o->v);
	if (!o->m || !o->v) {
		adam_free(o);
		return ARPG_ENOMEM;
	}
	return 0;
}

void adam_free(struct adam *o)
{
	free(o->m);
	free(o->v);
	o->m = o->v = NULL;
}

/* Adam's constants for one step. */
struct adam_k {
	float b1, b2, l2, decay, step_size, bc2_sqrt, eps;
};

/* Adam's update of p[i0..i1) and the moments from g, in vectors: the
 * arrays are distinct, which the struct's pointers did not tell the
 * compiler, and libmodel builds without errno for the square root (with
 * it the loop ran a value at a time).  Adam adds l2 * p to the gradient
 * (its decay is 1); AdamW decays p (its l2 is 0). */
HOT static void adam_range(float *restrict p, const float *restrict g, float *restrict m,
			   float *restrict v, long i0, long i1, const struct adam_k *k)
{
	float b1 = k->b1, b2 = k->b2, l2 = k->l2, decay = k->decay, step_size = k->step_size;
	float bc2_sqrt = k->bc2_sqrt, eps = k->eps;

#pragma omp simd
	for (long i = i0; i < i1; i++) {
		float gi = g[i] + l2 * p[i], mi, vi;

		mi = m[i] = b1 * m[i] + (1 - b1) * gi;
		vi = v[i] = b2 * v[i] + (1 - b2) * gi * gi;
		p[i] = p[i] * decay - step_size * mi / (sqrtf(vi) / bc2_sqrt + eps);
	}
}

/* Elementwise work in blocks of 4096 values, spread over the threads. */
enum { ADAM_BLOCK = 4096 };

void adam_step(struct adam *o, float *p, const float *g)
{
	long b, n = (long)o->n, nb = (n + ADAM_BLOCK - 1) / ADAM_BLOCK;
	struct adam_k k = { .b1 = o->beta1, .b2 = o->beta2, .eps = o->eps };

	o->step++;
	/* AdamW decays the parameters; Adam adds wd * p to the gradient */
	k.decay = o->kind == OPT_ADAMW ? 1.0f - o->lr * o->weight_decay : 1.0f;
	k.l2 = o->kind == OPT_ADAMW ? 0.0f : o->weight_decay;
	/* torch: step_size = lr / bc1; denom = sqrt(v) / sqrt(bc2) + eps */
	k.step_size = (float)(o->lr / (1.0 - pow(k.b1, (double)o->step)));
	k.bc2_sqrt = (float)sqrt(1.0 - pow(k.b2, (double)o->step));
#pragma omp parallel for schedule(static) if (n > 262144)
	for (b = 0; b < nb; b++)
		adam_range(p, g, o->m, o->v, b * ADAM_BLOCK, b + 1 < nb ? (b + 1) * ADAM_BLOCK : n, &k);
}

static int find(const char *const *names, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return i;
	return -1;
}

const char *optimizer_name(int kind)
{
	return kind == OPT_ADAMW ? "adamw" : "adam";
}

int optimizer_parse(const char *name)
{
	return find(OPTIMIZERS, 2, name);
}

const char *schedule_name(int s)
{
	return s >= 0 && s < 3 ? SCHEDULES[s] : "constant";
}

int schedule_parse(const char *name)
{
	return find(SCHEDULES, 3, name);
}

/* clip_grad_norm's sum of squares in at most NORM_PARTS blocks of at
 * least NORM_BLOCK values, whose sums (each in its order, vectorised) are
 * added in block order: the blocks depend on n only, so the norm is the
 * same for any thread count, and the threads share the pass (a serial
 * pass, one chain of double adds, was the step's longest serial part). */
enum { NORM_PARTS = 256, NORM_BLOCK = 16384 };

double clip_grad_norm(float *g, size_t n, double max_norm)
{
	double part[NORM_PARTS], ss = 0, norm;
	size_t bs = (n + NORM_PARTS - 1) / NORM_PARTS > NORM_BLOCK ?
		    (n + NORM_PARTS - 1) / NORM_PARTS : NORM_BLOCK;
	long nb = (long)((n + bs - 1) / bs), b;

#pragma omp parallel for schedule(static) if (nb > 1)
	for (b = 0; b < nb; b++) {
		size_t i0 = (size_t)b * bs, i1 = i0 + bs < n ? i0 + bs : n;
		double s = 0;

#pragma omp simd reduction(+:s)
		for (size_t i = i0; i < i1; i++)
			s += (double)g[i] * g[i];
		part[b] = s;
	}
	for (b = 0; b < nb; b++)
		ss += part[b];
	norm = sqrt(ss);
	if (max_norm > 0 && isfinite(norm) && norm > max_norm) {
		float scale = (float)(max_norm / (norm + 1e-6));

#pragma omp parallel for schedule(static) if (n > 262144)
		for (b = 0; b < (long)n; b++)
			g[b] *= scale;
	}
	return norm;
}

double lr_at(const struct lr_plan *p, int epoch, int step)
{
	long warm = (long)p->warmup * p->steps, s = (long)epoch * p->steps + step;
	long total = (long)p->epochs * p->steps;

	if (s < warm)
		return p->lr * (double)(s + 1) / (double)warm;
	switch (p->schedule) {
	case SCHED_STEP:
		return p->lr * pow(p->gamma, epoch / (p->every > 0 ? p->every : 1));
	case SCHED_COSINE:
		if (total <= warm)
			return p->lr;
		return p->lr * 0.5 * (1 + cos(M_PI * (double)(s - warm) / (double)(total - warm)));
	default:
		return p->lr;
	}
}
