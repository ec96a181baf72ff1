/* model.h - the ARPGNet head (DESIGN.md "arpg-train"): relation branch
 * (patch projection + node position embedding, Lr masked GAT layers, node
 * mean), appearance branch (linear), parallel fusion GAT over 2T nodes with
 * the temporal response scope mask, mean per modality, MLP classifier,
 * softmax cross-entropy.
 *
 * The contract between the trainer program (data, options, metrics,
 * checkpoints: train/main.c and friends) and the network (layers, model,
 * optimizer).  Parameters live in one contiguous float buffer and their
 * gradients in another of the same layout; the optimizer and checkpoints
 * see only those buffers.
 */
#ifndef TRAIN_MODEL_H
#define TRAIN_MODEL_H

#include <stddef.h>
#include <stdint.h>

enum edges {		/* relation graph mask, any union */
	EDGE_SELF = 1, EDGE_ADJ = 2, EDGE_SYM = 4, EDGE_ADJ8 = 8
};
enum fusion { FUSION_GAT = 0, FUSION_CONCAT = 1 };
enum modality { MOD_BOTH = 0, MOD_APP = 1, MOD_REL = 2 };

struct model_config {
	int T;			/* frames per clip */
	int G;			/* grid side; N = G*G patch nodes */
	int Dp, Da;		/* patch and appearance feature dims (from the cache) */
	int D, H;		/* model dim (256), heads (4); D % H == 0 */
	int C;			/* classes */
	int rel_layers, fusion_layers;	/* Lr (2), Lf (1) */
	int trs;		/* temporal response scope; -1 = all pairs */
	int edges;		/* enum edges bits; default SELF|ADJ|SYM */
	int fusion;		/* enum fusion */
	int modality;		/* enum modality */
	float dropout;		/* probability, applied in training only */
	/* 0: one class per clip from the means over frames; 1 (--per-frame):
	 * one class per frame from that frame's fusion nodes [u'_t; v'_t] */
	int per_frame;
};

struct model;

enum { MAX_LAYERS = 8 };

/* One GAT layer's parameters (or gradients), slices of the flat buffer. */
struct gat_w {
	float *W, *a_src, *a_dst, *ln_g, *ln_b;
};

/* Every parameter, in the order of the flat buffer (model.c's layout()):
 * Wp (Dp x D), bp (D), E (N x D), per relation layer W (D x D) and a_src,
 * a_dst, ln_g, ln_b (D each), Wa (Da x D), ba, m_a, m_r (D each), the
 * fusion layers, W1 (Din x D), b1 (D), W2 (D x C), b2 (C); Din is D per
 * modality in use.  The tensors of a branch or layer the configuration
 * lacks are NULL. */
struct slices {
	float *Wp, *bp, *E;
	struct gat_w rel[MAX_LAYERS];
	float *Wa, *ba, *m_a, *m_r;
	struct gat_w fus[MAX_LAYERS];
	float *W1, *b1, *W2, *b2;
};

/* Fills c with DESIGN.md's defaults (T 16, G 6, D 256, H 4, Lr 2, Lf 1,
 * TRS 4, edges self,adj,sym, fusion gat, modality both, dropout 0.1);
 * Dp, Da and C are left 0 for the caller (they come from the cache). */
void model_config_default(struct model_config *c);

/* Checks c (positive dims, D % H == 0, ...).  ARPG_EINVAL with the reason. */
int model_config_check(const struct model_config *c, char *err, size_t errn);

/* Creates a model for batches of up to max_batch clips, parameters
 * initialised from seed (the same seed gives the same parameters).  Every
 * buffer forward and backward use (activations, gradients, the layers'
 * scratch, the masks' neighbour lists) is allocated here, sized for
 * max_batch, so that they allocate nothing.  Returns 0 (*m set; free with
 * model_free), ARPG_EINVAL (c fails model_config_check, max_batch < 1) or
 * ARPG_ENOMEM. */
int model_create(struct model **m, const struct model_config *c,
		      int max_batch, uint64_t seed);
void model_free(struct model *m);

/* The parameter and gradient buffers (model_nparams floats each). */
size_t model_nparams(const struct model *m);
float *model_params(struct model *m);
float *model_grads(struct model *m);

/* The name of the tensor that holds parameter i of the buffer, for
 * messages ("relation GAT layer 2 W", "classifier b2"), into buf. */
void model_param_name(const struct model *m, size_t i, char *buf, size_t n);

/* A batch of B clips as the model takes it; the arrays stay the caller's
 * and must stay valid until the backward. */
struct model_batch {
	int B;			/* 1 to max_batch */
	const float *app;	/* B x T x Da */
	const float *patch;	/* B x T x N x Dp */
	/* B class indices (B x T with per_frame, -1 for a frame without a
	 * label: no loss), or NULL: no loss */
	const int *labels;
	/* mixup: the loss is lam * CE(labels) + (1 - lam) * CE(labels2);
	 * labels2 NULL: CE(labels) alone (lam unused) */
	const int *labels2;
	float lam;
	/* frame drop-out: keep (B x T, 0 or 1, at least one 1 per clip) drops
	 * the fusion graph's nodes of the frames marked 0 (no other node
	 * attends to them) and leaves them out of the means over frames;
	 * NULL keeps every frame.  labels2 and keep must be NULL with
	 * per_frame. */
	const uint8_t *keep;
};

/* The loss's class weights (C floats, copied; NULL: all 1) and label
 * smoothing eps in [0, 1): the cross-entropy of torch's
 * F.cross_entropy(logits, labels, weight, label_smoothing=eps).  The
 * default is plain cross-entropy. */
void model_set_loss(struct model *m, const float *class_weights, float smoothing);

/* Forward over the batch b.  Writes logits (B x C; B*T x C, frame-major
 * within a clip, with per_frame).  With labels, returns
 * the loss in *loss and keeps what backward needs.  train != 0 applies
 * dropout drawn from *rng (advanced), which makes a run repeatable.
 * Returns 0 or ARPG_EINVAL (B out of range; labels2 or keep with
 * per_frame). */
int model_forward(struct model *m, const struct model_batch *b, int train, uint64_t *rng,
		  float *logits, float *loss);

/* Backward of the last forward with labels: gradients of the loss are
 * ADDED to the gradient buffer (zero it first with model_zero_grads). */
int model_backward(struct model *m);
void model_zero_grads(struct model *m);
/* With dapp not NULL (max_batch x T x Da floats, the caller's), each
 * backward also writes the gradient of the loss with respect to the
 * batch's app (overwritten, not added): what a tuned backbone
 * (--tune-backbone) propagates further.  NULL (the default): none. */
void model_set_dapp(struct model *m, float *dapp);

/* The configuration the model was created with. */
const struct model_config *model_config(const struct model *m);

/* The probabilities of the last forward (B x C, or B*T x C with
 * per_frame), valid until the next. */
const float *model_probs(const struct model *m);

/* The parameter tensors of the model, slices of model_params(m), for
 * readers of the network such as the ONNX export. */
const struct slices *model_slices(const struct model *m);

/* The 0/1 masks the forward runs with: the relation graph's (N x N, every
 * row with a one) and the fusion graph's (nf x nf, nf = T times the
 * modalities in use, the appearance nodes first). */
const uint8_t *model_rel_mask(const struct model *m);
const uint8_t *model_fusion_mask(const struct model *m);

/* Adam and AdamW over the whole parameter buffer: train/optim.h. */

#endif
