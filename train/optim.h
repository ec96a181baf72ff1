/* optim.h - AdamW over one flat parameter buffer, with gradient-norm
 * clipping, as torch.optim.AdamW and torch.nn.utils.clip_grad_norm_ do it. */
#ifndef TRAIN_OPTIM_H
#define TRAIN_OPTIM_H

#include <stddef.h>

struct adamw {
	float lr, beta1, beta2, eps, weight_decay;
	long step;		/* steps taken */
	size_t n;
	float *m, *v;		/* first and second moments, n each */
};

/* Sets PyTorch's defaults except weight decay 1e-4 (DESIGN.md): lr 1e-3,
 * betas 0.9/0.999, eps 1e-8, and allocates zeroed moments for n params. */
int adamw_init(struct adamw *o, size_t n);
void adamw_free(struct adamw *o);

/* One step: p -= lr * (m_hat / (sqrt(v_hat) + eps) + wd * p), with the
 * decoupled decay applied first as PyTorch does (p *= 1 - lr * wd). */
void adamw_step(struct adamw *o, float *p, const float *g);

/* Scales g so that its L2 norm is at most max_norm (max_norm <= 0: no
 * clipping).  Returns the norm before clipping (summed in double);
 * a NaN or Inf norm is returned unchanged and g left alone. */
double clip_grad_norm(float *g, size_t n, double max_norm);

#endif
