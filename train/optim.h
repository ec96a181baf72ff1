/* optim.h - Adam and AdamW over one flat parameter buffer, with
 * gradient-norm clipping, as torch.optim.Adam, torch.optim.AdamW and
 * torch.nn.utils.clip_grad_norm_ do them; and the learning-rate schedules.
 */
#ifndef TRAIN_OPTIM_H
#define TRAIN_OPTIM_H

#include <stddef.h>

enum optimizer {
	OPT_ADAM = 0,		/* weight decay as an L2 term added to the gradient */
	OPT_ADAMW = 1		/* decoupled weight decay */
};

struct adam {
	int kind;		/* enum optimizer */
	float lr, beta1, beta2, eps, weight_decay;
	long step;		/* steps taken */
	size_t n;
	float *m, *v;		/* first and second moments, n each */
};

/* Sets kind and PyTorch's defaults (lr 1e-3, betas 0.9/0.999, eps 1e-8,
 * weight decay 0; the caller sets lr and weight_decay from the options) and
 * allocates zeroed moments for n params.  0 or ARPG_ENOMEM. */
int adam_init(struct adam *o, int kind, size_t n);
void adam_free(struct adam *o);

/* One step over p with gradients g, as torch does it.  Adam:
 * g += wd * p, then p -= lr * m_hat / (sqrt(v_hat) + eps).  AdamW:
 * p *= 1 - lr * wd first, then the same update from g alone.  g is left
 * alone either way. */
void adam_step(struct adam *o, float *p, const float *g);

/* "adam" or "adamw"; and back: the kind, or -1. */
const char *optimizer_name(int kind);
int optimizer_parse(const char *name);

/* Scales g so that its L2 norm is at most max_norm (max_norm <= 0: no
 * clipping).  Returns the norm before clipping (summed in double);
 * a NaN or Inf norm is returned unchanged and g left alone. */
double clip_grad_norm(float *g, size_t n, double max_norm);

/* The learning rate over a run of `epochs` epochs of `steps` optimizer
 * steps each.  After `warmup` epochs of linear warm-up (step s of the
 * warm-up's S: lr * (s + 1) / S), the schedule: constant; step (lr *
 * gamma^floor(epoch / every), epochs counted from 0 and warm-up
 * included); cosine (lr * (1 + cos(pi * s / S)) / 2 over the S steps
 * after the warm-up, s from 0). */
enum lr_schedule { SCHED_CONSTANT = 0, SCHED_STEP = 1, SCHED_COSINE = 2 };

struct lr_plan {
	int schedule;		/* enum lr_schedule */
	double lr;		/* the base rate */
	int epochs, steps;	/* of the run; steps per epoch >= 1 */
	int warmup;		/* epochs, 0 for none */
	int every;		/* step: epochs between decays (>= 1) */
	double gamma;		/* step: the factor */
};

/* The rate of step `step` (0-based) of epoch `epoch` (0-based). */
double lr_at(const struct lr_plan *p, int epoch, int step);

/* "constant", "step", "cosine"; and back: the schedule, or -1. */
const char *schedule_name(int s);
int schedule_parse(const char *name);

#endif
