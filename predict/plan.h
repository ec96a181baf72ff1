/* plan.h - what a model's settings say to run: the options of
 * arpg-preprocess and arpg-features that remake the crops and the features
 * the model was trained on.
 *
 * The model's settings (common/model_file.h) hold the meta of its cache as
 * cache.KEY: cache.preprocess (arpg-preprocess's settings, as each clip's
 * origin.tsv records them), cache.backbone (hog, or the ONNX file's name)
 * and cache.backbone_sha256, cache.patch_node, cache.frames, cache.dtype,
 * cache.input (the backbone's input normalisation); the grid is model.G.
 */
#ifndef PREDICT_PLAN_H
#define PREDICT_PLAN_H

#include <stddef.h>

#include "kv.h"
#include "spawn.h"

/* Appends to a the arpg-preprocess options that settings ("size=112
 * fps=0 max-frames=0 align=1 cascade=default ...", origin.tsv's words)
 * stand for.  Returns 0, or ARPG_EFORMAT with the reason in err (a word
 * that is not KEY=VALUE, a key this program does not know). */
int plan_preprocess(struct args *a, const char *settings, char *err, size_t errn);

/* Appends to a the arpg-features options (without -o and the manifest)
 * that make a cache the model of settings takes: -b backbone (the file
 * to give, or "hog"), --grid, --frames, --dtype, --patch-node, --mean,
 * --std, --bgr, and --maps for a tuned model.  Returns 0, or ARPG_EFORMAT with the missing or bad key
 * in err. */
int plan_features(struct args *a, const struct arpg_kv *settings, const char *backbone,
		  char *err, size_t errn);

/* The SHA-256 of the file path in hex into hex (65 bytes); 0 or ARPG_EIO
 * (errno set). */
int plan_sha256(const char *path, char hex[65]);

#endif
