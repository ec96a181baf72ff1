/* model.c - PLACEHOLDER until the network lands (issue 8): the defaults
 * and the checks are real; creating a model is refused. */
#include "model.h"
#include "error.h"

#include <string.h>

void arpg_model_config_default(struct arpg_model_config *c)
{
	memset(c, 0, sizeof *c);
	c->T = 16;
	c->G = 6;
	c->D = 256;
	c->H = 4;
	c->rel_layers = 2;
	c->fusion_layers = 1;
	c->trs = 4;
	c->edges = ARPG_EDGE_SELF | ARPG_EDGE_ADJ | ARPG_EDGE_SYM;
	c->fusion = ARPG_FUSION_GAT;
	c->modality = ARPG_MOD_BOTH;
	c->dropout = 0.1f;
}

int arpg_model_config_check(const struct arpg_model_config *c, char *err, size_t errn)
{
	if (c->T < 1 || c->G < 1 || c->Dp < 1 || c->Da < 1 || c->D < 1 || c->H < 1 || c->C < 2)
		return arpg_errf(err, errn, ARPG_EINVAL, "dimensions must be positive, classes >= 2");
	if (c->D % c->H)
		return arpg_errf(err, errn, ARPG_EINVAL, "--dim %d is not a multiple of --heads %d",
				 c->D, c->H);
	return 0;
}

int arpg_model_create(struct arpg_model **m, const struct arpg_model_config *c,
		      int max_batch, uint64_t seed)
{
	(void)c, (void)max_batch, (void)seed;
	*m = NULL;
	return ARPG_EUNSUPPORTED;
}

void arpg_model_free(struct arpg_model *m) { (void)m; }
size_t arpg_model_nparams(const struct arpg_model *m) { (void)m; return 0; }
float *arpg_model_params(struct arpg_model *m) { (void)m; return NULL; }
float *arpg_model_grads(struct arpg_model *m) { (void)m; return NULL; }

int arpg_model_forward(struct arpg_model *m, int B, const float *app, const float *patch,
		       const int *labels, int train, uint64_t *rng, float *logits, float *loss)
{
	(void)m, (void)B, (void)app, (void)patch, (void)labels, (void)train, (void)rng;
	(void)logits, (void)loss;
	return ARPG_EUNSUPPORTED;
}

int arpg_model_backward(struct arpg_model *m) { (void)m; return ARPG_EUNSUPPORTED; }
void arpg_model_zero_grads(struct arpg_model *m) { (void)m; }
