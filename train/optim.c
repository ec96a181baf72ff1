/* optim.c - AdamW and gradient-norm clipping. */
#include "optim.h"
#include "error.h"

#include <math.h>
#include <stdlib.h>

int adamw_init(struct adamw *o, size_t n)
{
	o->lr = 1e-3f;
	o->beta1 = 0.9f;
	o->beta2 = 0.999f;
	o->eps = 1e-8f;
	o->weight_decay = 1e-4f;
	o->step = 0;
	o->n = n;
	o->m = calloc(n ? n : 1, sizeof *o->m);
	o->v = calloc(n ? n : 1, sizeof *o->v);
	if (!o->m || !o->v) {
		adamw_free(o);
		return ARPG_ENOMEM;
	}
	return 0;
}

void adamw_free(struct adamw *o)
{
	free(o->m);
	free(o->v);
	o->m = o->v = NULL;
}

void adamw_step(struct adamw *o, float *p, const float *g)
{
	long i, n = (long)o->n;
	float b1 = o->beta1, b2 = o->beta2, decay, step_size, bc2_sqrt;

	o->step++;
	decay = 1.0f - o->lr * o->weight_decay;
	/* torch: step_size = lr / bc1; denom = sqrt(v) / sqrt(bc2) + eps */
	step_size = (float)(o->lr / (1.0 - pow(b1, (double)o->step)));
	bc2_sqrt = (float)sqrt(1.0 - pow(b2, (double)o->step));
#pragma omp parallel for schedule(static)
	for (i = 0; i < n; i++) {
		float gi = g[i], m, v;

		p[i] *= decay;
		m = o->m[i] = b1 * o->m[i] + (1 - b1) * gi;
		v = o->v[i] = b2 * o->v[i] + (1 - b2) * gi * gi;
		p[i] -= step_size * m / (sqrtf(v) / bc2_sqrt + o->eps);
	}
}

double clip_grad_norm(float *g, size_t n, double max_norm)
{
	double ss = 0, norm;
	size_t i;

	for (i = 0; i < n; i++)
		ss += (double)g[i] * g[i];
	norm = sqrt(ss);
	if (max_norm > 0 && isfinite(norm) && norm > max_norm) {
		float scale = (float)(max_norm / (norm + 1e-6));

		for (i = 0; i < n; i++)
			g[i] *= scale;
	}
	return norm;
}
