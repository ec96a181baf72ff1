/* onnx_build.h - writes ONNX models: a small graph builder for programs
 * that export what they trained (arpg-train --export-onnx), kept apart
 * from the engine (onnx.h), which reads and runs them.
 *
 *	arpg_onnx_build_new(&b, "arpgnet_head", 17);
 *	x = arpg_onnx_build_input(b, "app", 3, (int64_t[]){ -1, 16, 512 });
 *	w = arpg_onnx_build_float(b, "Wa", 2, (int64_t[]){ 512, 256 }, data);
 *	y = arpg_onnx_build_op(b, "MatMul", "a", NULL, 0, 2, x, w);
 *	arpg_onnx_build_output(b, y, "logits", 2, (int64_t[]){ -1, 7 });
 *	rc = arpg_onnx_build_write(b, "head.onnx", err, sizeof err);
 *	arpg_onnx_build_free(b);
 *
 * Every function that adds to the graph returns the name of the value it
 * made (owned by b), or NULL once any call has failed: the first error is
 * kept and arpg_onnx_build_write reports it, so that a caller chains calls
 * and checks once.  A NULL name given as an input is that earlier error
 * carried on.  Nothing is checked against ONNX's operator schemas: the
 * caller writes standard operators as their specification says.
 */
#ifndef ARPG_ONNX_BUILD_H
#define ARPG_ONNX_BUILD_H

#include <stddef.h>
#include <stdint.h>

struct arpg_onnx_build;

/* A node attribute: an int, a float, a string or a list of ints, by kind. */
enum { ARPG_ONNX_ATTR_INT, ARPG_ONNX_ATTR_FLOAT, ARPG_ONNX_ATTR_STRING, ARPG_ONNX_ATTR_INTS };
struct arpg_onnx_attr {
	const char *name;
	int kind;
	int64_t i;
	float f;
	const char *s;
	const int64_t *ints;	/* nints values */
	int nints;
};

/* A new empty model named name, importing the default domain at opset
 * (ir_version 8).  0 (*b set), ARPG_EINVAL (opset < 1), ARPG_ENOMEM. */
int arpg_onnx_build_new(struct arpg_onnx_build **b, const char *name, int opset);
void arpg_onnx_build_free(struct arpg_onnx_build *b);

/* A graph input of element type float and shape dims[0..rank); a dim of
 * -1 is symbolic, named "B" (a batch of any size). */
const char *arpg_onnx_build_input(struct arpg_onnx_build *b, const char *name, int rank,
				  const int64_t *dims);

/* Makes value the graph output named name, of float type and shape dims
 * (-1 as for inputs), through an Identity node.  0, or the sticky error. */
int arpg_onnx_build_output(struct arpg_onnx_build *b, const char *value, const char *name,
			   int rank, const int64_t *dims);

/* A constant (an initializer) named name, of shape dims[0..rank) (rank 0:
 * a scalar), its values copied.  The caller keeps names unique. */
const char *arpg_onnx_build_float(struct arpg_onnx_build *b, const char *name, int rank,
				  const int64_t *dims, const float *data);
const char *arpg_onnx_build_int64(struct arpg_onnx_build *b, const char *name, int rank,
				  const int64_t *dims, const int64_t *data);

/* A node of op_type (default domain) on nin inputs (names, in order; "" for
 * an optional input left out) with nattrs attributes, and one output,
 * named hint_K (K a counter, so that names are unique). */
const char *arpg_onnx_build_op(struct arpg_onnx_build *b, const char *op_type,
			       const char *hint, const struct arpg_onnx_attr *attrs, int nattrs,
			       int nin, ...);

/* A key and value in the model's metadata_props (labels, provenance). */
int arpg_onnx_build_meta(struct arpg_onnx_build *b, const char *key, const char *value);

/* Packs the model and writes it to path atomically (path.tmp, renamed).
 * 0; the first error of the building (ARPG_ENOMEM, ARPG_EINVAL with what
 * in err); ARPG_EIO (errno set) or ARPG_EFULL from the write. */
int arpg_onnx_build_write(struct arpg_onnx_build *b, const char *path, char *err,
			  size_t errn);

/* New values for one float initializer of a model: the tensor named name
 * takes the n values of data. */
struct arpg_onnx_replace {
	const char *name;
	const float *data;
	size_t n;
};

/* Writes to path (atomically, as arpg_onnx_build_write) the ONNX model
 * buf[0..len) with the initializers repl[0..nrepl) name holding their new
 * values as raw little-endian data, and every other byte of meaning as it
 * was: the model is unpacked and packed again by protobuf-c, which keeps
 * the fields onnx.proto's subset does not name and packs them back (after
 * the named ones of the same message).  0; ARPG_EFORMAT with what in err
 * (not an ONNX model, no initializer of that name, another element
 * count); ARPG_EUNSUPPORTED (an initializer that is not float32, or held
 * in an external file); ARPG_ENOMEM; ARPG_EIO (errno set) or ARPG_EFULL
 * from the write. */
int arpg_onnx_replace_initializers(const void *buf, size_t len,
				   const struct arpg_onnx_replace *repl, int nrepl,
				   const char *path, char *err, size_t errn);

#endif
