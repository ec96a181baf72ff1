/* checkpoint.h - a trained model in one file.
 *
 * Layout (little-endian; the frame and the settings are read by
 * common/model_file.h, which arpg-predict shares):
 *   "ARPGCKPT"  u32 version (1)  u32 text length L
 *   L bytes of text: "key\tvalue\n" lines, the settings
 *   u64 n  n float32 parameters (model_params order)
 *   u32 has_optimizer  [u64 step, n float32 first moments, n second moments]
 *   version 2 only (--tune-backbone): the backbone's tail, as the head:
 *     u64 tn  tn float32 parameters (train/tune.h's order)
 *     u32 has_optimizer  [u64 step, tn first moments, tn second moments]
 *   32 bytes: SHA-256 of everything before them
 *
 * A model trained without --tune-backbone is written as version 1, as it
 * always was; one with a tuned tail as version 2, which older programs
 * refuse by its version instead of misreading it.  Its settings add
 * tune.backbone (the ONNX file's path as given), tune.backbone_sha256 (the
 * file's SHA-256, which identifies it: the tail's structure and its frozen
 * BatchNorm statistics are read from it again), tune.node (the stride-8
 * map's tensor) and tune.lr (--lr-backbone), after run.version.
 *
 * The settings, in this order: the model (model.T ... model.dropout, one
 * table in checkpoint.c writes and reads them), the run (run.epoch,
 * run.seed, run.lr, run.optimizer, run.weight_decay, run.settings: the
 * run's JSON settings object as its JSON lines print it, run.version), and
 * the meta of the cache the model was trained on (cache.KEY for every meta
 * key, in the cache's key order).  Files written before run.optimizer
 * existed lack it and the two after it; they were trained with AdamW.
 */
#ifndef TRAIN_CHECKPOINT_H
#define TRAIN_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "kv.h"
#include "model.h"
#include "optim.h"

/* A model file read back. */
struct checkpoint {
	struct arpg_kv settings;	/* the text block, in file order */
	size_t n;
	float *params;		/* n */
	int has_opt;
	long step;
	float *m, *v;		/* n each; NULL without optimizer state */
	struct checkpoint_arrays {	/* version 2: the tuned tail; n 0 without */
		size_t n;
		float *params;
		int has_opt;
		long step;
		float *m, *v;
	} tail;
};

/* What a training run records beside the model. */
struct checkpoint_run {
	int epoch;		/* epochs done */
	uint64_t seed;
	double lr;
	int optimizer;		/* enum optimizer */
	double weight_decay;
	const char *settings;	/* JSON object, one line; NULL: not written */
};

/* Sets, in file order, c's model settings, run's, run.version (this
 * program's version) and cache.KEY for every key of meta (a meta key is
 * cut to 293 bytes).  settings is normally empty.  Returns 0 or
 * ARPG_ENOMEM. */
int checkpoint_settings(struct arpg_kv *settings, const struct model_config *c,
			const struct checkpoint_run *run, const struct arpg_kv *meta);

/* Writes a model file to path (to path.tmp, then renamed): settings in
 * their order, the n parameters, and when opt is not NULL its step and
 * moments (n each).  Returns 0, ARPG_ENOMEM, or ARPG_EIO with errno. */
int checkpoint_save(const char *path, const struct arpg_kv *settings, const float *params,
		    size_t n, const struct adam *opt);

/* checkpoint_save, and a tuned tail (version 2): its tn parameters
 * tparams and, when topt is not NULL, its Adam's step and moments.  The
 * settings hold the tune.* keys (checkpoint_tune_settings). */
int checkpoint_save_tuned(const char *path, const struct arpg_kv *settings,
			  const float *params, size_t n, const struct adam *opt,
			  const float *tparams, size_t tn, const struct adam *topt);

/* Adds the tune.* settings of a tuned run: the backbone's path and
 * SHA-256 (hex), the stride-8 node, the learning rate.  0 or ARPG_ENOMEM. */
int checkpoint_tune_settings(struct arpg_kv *settings, const char *backbone, const char *sha,
			     const char *node, double lr);

/* Parses a model file held in buf[0..len) into ck.  Returns 0 (free ck
 * with checkpoint_free), or ARPG_EFORMAT with the reason in err (not a
 * checkpoint, another version, truncated, the checksum does not match, a
 * damaged settings block, sizes that do not fit), ARPG_ENOMEM; ck is then
 * empty. */
int checkpoint_parse(struct checkpoint *ck, const void *buf, size_t len,
		     char *err, size_t errn);
/* Reads and parses the file path: checkpoint_parse's results, or ARPG_EIO
 * when it cannot be read (err says why: "cannot read it: No such file or
 * directory"). */
int checkpoint_load(struct checkpoint *ck, const char *path, char *err, size_t errn);

/* Frees what ck holds; ck is empty afterwards. */
void checkpoint_free(struct checkpoint *ck);

/* Reads ck's model settings into c: every model.* key that is a whole
 * number must be there, model.dropout may be missing (the default then).
 * Returns 0, or ARPG_EFORMAT when a key is missing or not a number, or the
 * settings fail model_config_check (not a model arpg-train saved). */
int checkpoint_config(const struct checkpoint *ck, struct model_config *c);

/* NULL when a and b describe the same network (every model setting that
 * shapes it, all but dropout, is equal); else what sets the first that
 * differs, for a message ("--dim", "the cache's grid"), its value in a
 * into *va and in b into *vb. */
const char *checkpoint_network_diff(const struct model_config *a, const struct model_config *b,
				   int *va, int *vb);

/* The first of the cache meta keys a model depends on (backbone,
 * backbone_sha256, patch_node, grid, app_dim, patch_dim, labels) whose
 * value in ck (cache.KEY) differs from meta's, a key present in only one
 * of them included; NULL when all agree.  grid agrees when meta's grid
 * list holds the model's grid (model.G), whatever else either lists.
 * labels 0 leaves labels out (a saved model maps a cache's labels by
 * name: dataset_relabel). */
const char *checkpoint_meta_mismatch(const struct checkpoint *ck, const struct arpg_kv *meta,
				     int labels);

/* run.epoch of ck as atoi reads it, 0 when absent. */
int checkpoint_epoch(const struct checkpoint *ck);

/* The optimizer ck was trained with (enum optimizer): run.optimizer, or
 * OPT_ADAMW when the file has no such key (it predates the key, and
 * arpg-train then had AdamW only); -1 for a name this program does not
 * know. */
int checkpoint_optimizer(const struct checkpoint *ck);

#endif
