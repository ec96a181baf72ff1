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

/* Where the tail's parameters come from: floats off .. off + n of the
 * parameters are the initializer name's, transposed when rows > 0 (a Gemm
 * weight (rows, cols) without transB is the tail's (cols, rows)).  The
 * constants (BatchNorm statistics) are frozen and not listed. */
struct tune_source {
	char *name;
	size_t off, n;
	int rows, cols;
};
struct tune_sources {
	struct tune_source *v;
	int n;
};

/* tune_from_onnx, and each parameter's initializer into *src (free it
 * with tune_sources_free; empty on failure). */
int tune_from_onnx_sources(struct tune **t, struct tune_sources *src, const struct arpg_onnx *m,
			   const char *from, int c, int h, int w, int max_n, char *err,
			   size_t errn);
void tune_sources_free(struct tune_sources *s);

#endif
