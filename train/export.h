/* export.h - the ARPGNet head as a standard ONNX graph (arpg-train
 * --export-onnx), for onnxruntime, Netron and deployment outside arpg.
 *
 * The graph is the model's forward in inference mode (no dropout, every
 * frame kept), opset 17, operators of the default domain only: MatMul,
 * Add, Transpose, Reshape, Concat, LeakyRelu, Softmax, Elu,
 * LayerNormalization, ReduceMean, Identity; all of them run on arpg's
 * engine too (common/onnx).  The relation and fusion masks
 * are constants added to the attention scores (0 on an edge, -1e9 off
 * one: exp underflows to 0 there, and every row of both masks has an
 * edge, so no row is empty).
 *
 *   inputs   app    float [B, T, Da]     the clips' appearance features
 *            patch  float [B, T, N, Dp]  their patch features, N = G*G
 *   outputs  logits         float [B, C]
 *            probabilities  float [B, C]  softmax of the logits
 *
 * B is symbolic; T, N, Da, Dp and C are the model's.  The model's
 * metadata_props hold "labels" (the class names in output order, comma
 * separated), "frames", "grid" and "producer".  With --modality app the
 * input patch is absent, with --modality rel the input app.
 */
#ifndef TRAIN_EXPORT_H
#define TRAIN_EXPORT_H

#include <stddef.h>

#include "model.h"

enum { EXPORT_OPSET = 17 };

/* Writes m's graph to path atomically (path.tmp, renamed).  labels: the
 * comma list of class names for the metadata (NULL: none).  Returns 0,
 * ARPG_ENOMEM, ARPG_EIO (errno set) or ARPG_EFULL; err says what. */
int export_onnx(const struct model *m, const char *labels, const char *path, char *err,
		size_t errn);

#endif
