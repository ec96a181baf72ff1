/* tune_backbone.h - the backbone file behind --tune-backbone: its tail
 * (tune.h) read once, what identifies the file (its SHA-256, as the
 * cache's meta backbone_sha256 records a backbone's) and the stride-8
 * node, and --export-backbone: the file written again with the tail's
 * parameters in place of the initializers they were read from.
 *
 * The tail's BatchNorm runs in inference mode and is not folded (tune.h),
 * so every parameter is one initializer's values, and the export changes
 * those bytes only: the other nodes, the frozen stages before the map and
 * the BatchNorm statistics stay the model's. */
#ifndef TRAIN_TUNE_BACKBONE_H
#define TRAIN_TUNE_BACKBONE_H

#include <stddef.h>

#include "checkpoint.h"
#include "tune.h"
#include "tune_onnx.h"

struct tune_backbone {
	struct tune *t;
	struct tune_sources src;	/* each parameter's initializer */
	char *path;			/* the ONNX file */
	char *node;			/* the stride-8 map's tensor */
	char sha[65];			/* the file's SHA-256, hex */
};

/* Reads the ONNX model at path and its tail after the tensor node, a map
 * c x h x w per sample, for up to max_n samples at once.  want_sha, when
 * not NULL, is the SHA-256 (hex) the file must have.  0 (free bb with
 * tune_backbone_free), or a negative code with the reason in err:
 * ARPG_EIO (errno), ARPG_EMISMATCH (another file than want_sha's), and
 * tune_from_onnx's codes; bb is then empty. */
int tune_backbone_open(struct tune_backbone *bb, const char *path, const char *want_sha,
		       const char *node, int c, int h, int w, int max_n, char *err, size_t errn);
void tune_backbone_free(struct tune_backbone *bb);

/* The tuned parameters of the model file ck (version 2: ck->tail) into
 * bb->t.  ck's tune.backbone_sha256 must be bb's file's and its tail of
 * bb's size.  0, or ARPG_EMISMATCH (tuned from another file, or not
 * tuned) or ARPG_EFORMAT (another size) with the reason in err. */
int tune_backbone_restore(struct tune_backbone *bb, const struct checkpoint *ck, char *err,
			  size_t errn);

/* The backbone the model file ck was tuned from, opened into bb with
 * ck's tuned parameters: the ONNX file path, or when path is NULL the one
 * ck names (tune.backbone), which must have ck's tune.backbone_sha256;
 * the map's shape is ck's cache.maps_shape.  0, or a negative code with
 * the reason in err (tune_backbone_open's and tune_backbone_restore's;
 * ARPG_EFORMAT: ck's tune keys are missing). */
int tune_backbone_load(struct tune_backbone *bb, const struct checkpoint *ck, const char *path,
		       int max_n, char *err, size_t errn);

/* Writes out: the model at bb->path (read again; it must still have
 * bb->sha) with bb->t's parameters as the values of the initializers they
 * came from.  The caller refuses out being bb->path.  0, or a negative
 * code with the reason in err: ARPG_EIO (errno set), ARPG_EMISMATCH (the
 * file changed), arpg_onnx_replace_initializers' codes. */
int tune_backbone_export(const struct tune_backbone *bb, const char *out, char *err,
			 size_t errn);

#endif
