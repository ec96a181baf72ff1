/* tune_onnx.h - the backbone's tail (tune.h) read from an ONNX model: the
 * nodes after the stride-8 map become the operations, their initializers
 * the parameters and constants. */
#ifndef TRAIN_TUNE_ONNX_H
#define TRAIN_TUNE_ONNX_H

#include <stddef.h>
#include "onnx/onnx.h"
#include "tune.h"

/* Builds *t from the nodes of m (as loaded, not prepared) that depend on
 * the tensor named from, a map c x h x w per sample, up to the graph's
 * first output: Conv (one group, no dilation, square kernel, even padding),
 * BatchNormalization, PRelu, Add of two such values, Gemm (alpha and beta
 * 1), and Flatten, Reshape, Dropout and Identity as no-ops.  The
 * parameters and constants are the initializers' values.  Returns 0, or
 * ARPG_EUNSUPPORTED (a node of another kind, or of another form, named in
 * err), ARPG_EFORMAT (a weight of the wrong shape, the output not reached),
 * ARPG_ENOMEM. */
int tune_from_onnx(struct tune **t, const struct arpg_onnx *m, const char *from, int c, int h,
		   int w, int max_n, char *err, size_t errn);

#endif
