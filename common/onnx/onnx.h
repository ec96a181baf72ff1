/* onnx.h - a small ONNX inference engine for face CNNs, on BLIS.
 *
 * A model is loaded from a buffer (the ONNX protobuf), checked whole
 * (types, shapes, cycles, missing initializers, operators and attributes
 * this engine supports), then prepared for a batch size: shapes inferred,
 * batch norms folded, an arena for activations planned by liveness.  Runs
 * take float NCHW inputs for n <= the prepared batch and leave the graph
 * outputs and any tapped tensor readable until the next run.
 *
 *	arpg_onnx_load(&m, buf, len, err, errn);
 *	arpg_onnx_tap(m, "stage3_out", ...);        (optional, before prepare)
 *	arpg_onnx_set_winograd(m, mode);            (optional, before prepare)
 *	arpg_onnx_prepare(m, 8, err, errn);
 *	arpg_onnx_run(m, n, inputs, err, errn);
 *	arpg_onnx_output(m, 0, &t);
 *	arpg_onnx_free(m);
 *
 * Floats only for activations; int64 tensors are accepted as constants
 * (Reshape's shape, Resize's sizes).  Operators: Conv (depthwise ones by a
 * kernel of their own), BatchNormalization, PRelu, Relu, Sigmoid, Add, Mul,
 * Sub, Flatten, Reshape, Transpose, Concat, Softmax, Gemm, MatMul,
 * GlobalAveragePool, AveragePool, MaxPool, Resize and Upsample (nearest and
 * linear, constant scales or sizes), Identity, Dropout (inference),
 * Constant, and for arpg-train's exported head Elu, LeakyRelu,
 * LayerNormalization (constant scale and bias, its first output only) and
 * ReduceMean (axes as an attribute); default domain, opsets 1 to 21
 * (attributes of older versions that change a result are refused).
 * Every function returns 0 or a negative ARPG_E code with a message in err
 * ("node 'conv_3' (Conv): ...").  The engine keeps no state outside the
 * model and reads no environment: what may be tuned is set on the model
 * with arpg_onnx_set_*().
 */
#ifndef ARPG_ONNX_H
#define ARPG_ONNX_H

#include <stddef.h>
#include <stdint.h>

#define ARPG_ONNX_MAXRANK 8

struct arpg_onnx;

/* A view of a tensor: shape and float data (owned by the model). */
struct arpg_onnx_tensor {
	const char *name;
	int rank;
	int64_t dims[ARPG_ONNX_MAXRANK];
	const float *data;
};

/* Parses and checks an ONNX model held in buf[0..len) (the buffer may be
 * freed afterwards).  ARPG_EFORMAT: not ONNX, truncated, wrong types,
 * missing initializers, cycles, shapes that disagree; ARPG_EUNSUPPORTED: an
 * operator, attribute, type or external data this engine does not run
 * (named, with its node); ARPG_ERANGE: dims too large; ARPG_ENOMEM. */
int arpg_onnx_load(struct arpg_onnx **m, const void *buf, size_t len,
		   char *err, size_t errn);
/* Reads a file and loads it; ARPG_EIO (errno set) if unreadable. */
int arpg_onnx_load_file(struct arpg_onnx **m, const char *path, char *err, size_t errn);
void arpg_onnx_free(struct arpg_onnx *m);

/* Graph inputs (those that are not initializers) and outputs. */
int arpg_onnx_ninputs(const struct arpg_onnx *m);
int arpg_onnx_noutputs(const struct arpg_onnx *m);
/* The declared shape of input i; a dimension that is symbolic is -1. */
int arpg_onnx_input_info(const struct arpg_onnx *m, int i, const char **name,
			 int *rank, int64_t *dims);

/* Before prepare: fixes input i's shape (otherwise the declared one, with a
 * symbolic or the batch dimension taken from prepare's batch). */
int arpg_onnx_set_input_shape(struct arpg_onnx *m, int i, int rank, const int64_t *dims,
			      char *err, size_t errn);
/* Before prepare: binds input i to constant int64 or float values (e.g.
 * Reshape's shape or Resize's scales fed as an input), copied. */
int arpg_onnx_bind_int64(struct arpg_onnx *m, int i, int rank, const int64_t *dims,
			 const int64_t *vals, char *err, size_t errn);
int arpg_onnx_bind_float(struct arpg_onnx *m, int i, int rank, const int64_t *dims,
			 const float *vals, char *err, size_t errn);
/* Whether input i gives a shape (Reshape's shape; Resize's roi, scales or
 * sizes; Upsample's scales): its values must be bound before prepare. */
int arpg_onnx_input_is_param(const struct arpg_onnx *m, int i);
/* Before prepare: keeps the tensor named name (a value name, or a node name
 * for its first output) readable after each run.  ARPG_ENOENT if absent. */
int arpg_onnx_tap(struct arpg_onnx *m, const char *name, char *err, size_t errn);
/* Before prepare: finds the stride-8 feature map of a CNN with a square
 * input of side in_size (for IResNet at 112: the third stage's output,
 * 256x14x14) - the last 4-D tensor at 1/8 the input's side that every path
 * from the input passes through - and copies its name to name[0..n).
 * ARPG_ENOENT if the graph has none. */
int arpg_onnx_find_stride8(struct arpg_onnx *m, int in_size, char *name, size_t n,
			   char *err, size_t errn);

/* Caps what prepare may allocate (activation arena plus scratch) at bytes;
 * beyond it prepare fails with ARPG_ERANGE before allocating.  0 (the
 * default): 16 GiB each for the arena and the scratch.  Set after prepare,
 * it changes nothing. */
void arpg_onnx_set_memory_limit(struct arpg_onnx *m, size_t bytes);

/* Before prepare: how 3x3 convolutions of stride 1, dilation 1, one group,
 * constant weights and 16 or more input and output channels run.
 * ARPG_ONNX_WINOGRAD_AUTO (the default): by Winograd F(4x4) or F(2x2)
 * where the prepared batch has enough output tiles for it to pay, else
 * unfolded into a GEMM (im2col) as every other convolution; a run of fewer
 * images than prepared goes back to im2col where the tiles no longer pay.
 * ARPG_ONNX_WINOGRAD_OFF: always im2col, as a check on Winograd's rounding
 * or to save the memory of its transformed filters.  ARPG_EINVAL for
 * another mode or once the model is prepared (the plan stays as it was). */
enum { ARPG_ONNX_WINOGRAD_OFF = 0, ARPG_ONNX_WINOGRAD_AUTO = 1 };
int arpg_onnx_set_winograd(struct arpg_onnx *m, int mode);
/* The mode a value of the environment variable ARPG_ONNX_WINOGRAD asks for,
 * so that every program reads it alike: OFF when it reads as the number 0
 * by atoi ("0", also text that is no number), AUTO when unset (NULL),
 * empty or any other number.  The engine itself reads no environment. */
int arpg_onnx_winograd_parse(const char *value);

/* Before prepare: the threads a run splits its work over, n >= 1 (0, the
 * default: OpenMP's, omp_get_max_threads() at prepare), for callers that
 * run several models side by side.  ARPG_EINVAL once prepared. */
int arpg_onnx_set_threads(struct arpg_onnx *m, int n);

/* Infers shapes for batch (the leading dimension of every batched input),
 * folds and fuses, plans the arena.  May be called once. */
int arpg_onnx_prepare(struct arpg_onnx *m, int batch, char *err, size_t errn);

/* Runs n <= batch items: inputs[i] holds input i (float, C order, the
 * prepared shape with the batch dimension n).  Returns 0, or ARPG_EINVAL /
 * ARPG_ENUMERIC with detail. */
int arpg_onnx_run(struct arpg_onnx *m, int n, const float *const *inputs,
		  char *err, size_t errn);

/* After a run: output i, or a tapped tensor by name (ARPG_ENOENT). */
int arpg_onnx_output(const struct arpg_onnx *m, int i, struct arpg_onnx_tensor *t);
int arpg_onnx_get(const struct arpg_onnx *m, const char *name, struct arpg_onnx_tensor *t);

/* Multiply-adds of Conv, Gemm and MatMul at the prepared batch, times 2
 * (FLOPs), for benchmarks. */
double arpg_onnx_flops(const struct arpg_onnx *m);

/* Bytes of the activation arena and scratch planned by prepare. */
size_t arpg_onnx_arena_bytes(const struct arpg_onnx *m);

/* Times the runs that follow, at any time: ARPG_ONNX_PROFILE_OFF (the
 * default) times nothing; ARPG_ONNX_PROFILE_OPS adds up each node's time;
 * ARPG_ONNX_PROFILE_NODES as OPS, and arpg_onnx_profile_print also lists
 * every convolution that ran (shape, kernel, stride, time per call,
 * GFLOP/s).  ARPG_EINVAL for another level. */
enum { ARPG_ONNX_PROFILE_OFF = 0, ARPG_ONNX_PROFILE_OPS = 1, ARPG_ONNX_PROFILE_NODES = 2 };
int arpg_onnx_set_profile(struct arpg_onnx *m, int level);
/* Prints the time of the timed runs to f (a FILE *): per convolution at
 * ARPG_ONNX_PROFILE_NODES, then per operator type with its share. */
void arpg_onnx_profile_print(const struct arpg_onnx *m, void *FILE_f);

/* The graph as loaded (before prepare: nothing folded or fused), node by
 * node in topological order (onnx_graph.c): the operator type, the tensor
 * names of inputs and outputs (NULL for an absent optional one), the
 * attributes the engine parsed (those the operator does not have are
 * their defaults).  Names point into the model. */
enum { ARPG_ONNX_NODE_MAXIN = 8 };
struct arpg_onnx_node {
	const char *op, *name;
	int nin, nout;
	const char *in[ARPG_ONNX_NODE_MAXIN], *out[3];
	int64_t kernel[2], stride[2], dil[2], pad[4];	/* pad: top, left, bottom, right */
	int has_kernel, auto_pad, group;		/* auto_pad: other than NOTSET */
	float eps, alpha, beta;
	int trans_a, trans_b, axis;
};
int arpg_onnx_nnodes(const struct arpg_onnx *m);
/* Node i (0 <= i < nnodes) in topological order; 0 or ARPG_EINVAL. */
int arpg_onnx_node_info(const struct arpg_onnx *m, int i, struct arpg_onnx_node *n);
/* A static float tensor (an initializer, or a Constant's value) by name;
 * 0, or ARPG_ENOENT when name is no such tensor. */
int arpg_onnx_static(const struct arpg_onnx *m, const char *name, struct arpg_onnx_tensor *t);

/* Serialized TensorProto I/O (onnx-run and tests): reads a float or int64
 * tensor (*f or *i64 malloc'd, the other NULL); writes a float tensor. */
int arpg_onnx_tensor_read(const void *buf, size_t len, int *rank, int64_t *dims,
			  float **f, int64_t **i64, char *name, size_t namen,
			  char *err, size_t errn);
int arpg_onnx_tensor_write(const char *path, const char *name, int rank,
			   const int64_t *dims, const float *data);

#endif
