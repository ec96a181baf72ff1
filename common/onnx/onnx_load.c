/* onnx_load.c - ONNX protobuf to the engine's graph, with every check that
 * can be made before shapes are known: types, initializer sizes, external
 * data, supported operators and attributes, undefined names, cycles. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include "onnx_impl.h"
#include "onnx/onnx.pb-c.h"
#include "error.h"
#include "grow.h"
#include "fileio.h"

const char *const onx_op_names[OP_COUNT] = {
	"Conv", "BatchNormalization", "PRelu", "Relu", "Add", "Mul", "Sub", "Flatten",
	"Reshape", "Gemm", "MatMul", "GlobalAveragePool", "AveragePool", "MaxPool",
	"Identity", "Dropout", "Constant", "Sigmoid", "Transpose", "Resize", "Upsample",
	"Concat", "Softmax", "Shape", "Gather", "Unsqueeze", "Slice", "Cast", "Elu",
	"LeakyRelu", "LayerNormalization", "ReduceMean"
};

static uint32_t hash_str(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

/* Names are found through an open-addressing table of tensor indices
 * (m->hash, m->hash_n slots, a power of two, at most half full). */
int onx_find(const struct arpg_onnx *m, const char *name)
{
	uint32_t h;

	if (!m->hash_n)
		return -1;
	for (h = hash_str(name) & (m->hash_n - 1); m->hash[h] >= 0; h = (h + 1) & (m->hash_n - 1))
		if (!strcmp(m->t[m->hash[h]].name, name))
			return m->hash[h];
	return -1;
}

static int hash_insert(struct arpg_onnx *m, int ti)
{
	uint32_t h;
	int i;

	if (2 * (m->nt + 1) > m->hash_n) {
		int n = m->hash_n ? 2 * m->hash_n : 256;
		int *nh = malloc(n * sizeof *nh);
		if (!nh)
			return ARPG_ENOMEM;
		free(m->hash);
		m->hash = nh;
		m->hash_n = n;
		for (i = 0; i < n; i++)
			nh[i] = -1;
		for (i = 0; i < m->nt; i++)
			if (i != ti)
				hash_insert(m, i);
	}
	for (h = hash_str(m->t[ti].name) & (m->hash_n - 1); m->hash[h] >= 0;
	     h = (h + 1) & (m->hash_n - 1))
		;
	m->hash[h] = ti;
	return 0;
}

const char *onx_nodelabel(const struct onx_node *n, char *buf, size_t bn)
{
	snprintf(buf, bn, "node '%s' (%s)", n->name, n->opname);
	return buf;
}

int64_t onx_numel(const struct onx_tensor *t)
{
	int64_t k = 1;
	int i;

	for (i = 0; i < t->rank; i++)
		k *= t->dims[i];
	return k;
}

static int add_tensor(struct arpg_onnx *m, const char *name, int kind)
{
	struct onx_tensor *t;

	if (ARPG_GROW(m->t, &m->ncap_t, (size_t)m->nt + 1) < 0)
		return ARPG_ENOMEM;
	t = &m->t[m->nt];
	memset(t, 0, sizeof *t);
	if (!(t->name = strdup(name ? name : "")))
		return ARPG_ENOMEM;
	t->kind = kind;
	t->dtype = DT_FLOAT;
	t->producer = -1;
	m->nt++;
	if (hash_insert(m, m->nt - 1) < 0)
		return ARPG_ENOMEM;
	return m->nt - 1;
}

static const char *dtype_name(int dt)
{
	static const char *const n[] = { "undefined", "float", "uint8", "int8", "uint16",
		"int16", "int32", "int64", "string", "bool", "float16", "double", "uint32",
		"uint64", "complex64", "complex128", "bfloat16" };
	return dt >= 0 && dt < (int)(sizeof n / sizeof *n) ? n[dt] : "unknown";
}

/* Converts a TensorProto into shape and data (float or int64, malloc'd). */
static int tensor_from_proto(const Onnx__TensorProto *p, const char *what, int *rank,
			     int64_t *dims, float **f, int64_t **i64, char *err, size_t errn)
{
	int64_t n = 1;
	size_t i, es;
	int dt = p->has_data_type ? p->data_type : 0;

	*f = NULL;
	*i64 = NULL;
	if (p->n_external_data || (p->has_data_location &&
				   p->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL))
		return arpg_errf(err, errn, ARPG_EUNSUPPORTED,
				 "%s: external data (weights in a separate file) is not supported: "
				 "re-save the model with the data inside (onnx.save_model(m, path, "
				 "save_as_external_data=False))", what);
	if (p->n_dims > MAXR)
		return arpg_errf(err, errn, ARPG_EUNSUPPORTED, "%s: rank %zu (at most %d)",
				 what, p->n_dims, MAXR);
	*rank = (int)p->n_dims;
	for (i = 0; i < p->n_dims; i++) {
		if (p->dims[i] < 0)
			return arpg_errf(err, errn, ARPG_EFORMAT, "%s: negative dimension %lld",
					 what, (long long)p->dims[i]);
		if (p->dims[i] >= ONX_MAX_ELEMS || (n *= p->dims[i]) >= ONX_MAX_ELEMS)
			return arpg_errf(err, errn, ARPG_ERANGE, "%s: dimensions too large", what);
		dims[i] = p->dims[i];
	}
	if (dt != DT_FLOAT && dt != DT_INT64 && dt != 6)
		return arpg_errf(err, errn, dt ? ARPG_EUNSUPPORTED : ARPG_EFORMAT,
				 "%s: data type %s (%d): only float and int64 are supported",
				 what, dtype_name(dt), dt);
	es = dt == DT_FLOAT || dt == 6 ? 4 : 8;
	if (p->has_raw_data) {
		if (p->raw_data.len != (size_t)n * es)
			return arpg_errf(err, errn, ARPG_EFORMAT,
					 "%s: %zu bytes of data for %lld elements of %s",
					 what, p->raw_data.len, (long long)n, dtype_name(dt));
	} else {
		size_t have = dt == DT_FLOAT ? p->n_float_data : dt == 6 ? p->n_int32_data
			: p->n_int64_data;
		if (have != (size_t)n)
			return arpg_errf(err, errn, ARPG_EFORMAT,
					 "%s: %zu values for %lld elements of %s", what, have,
					 (long long)n, dtype_name(dt));
	}
	if (dt == DT_FLOAT) {
		if (!(*f = malloc((n ? n : 1) * sizeof **f)))
			return ARPG_ENOMEM;
		if (n && p->has_raw_data)	/* an empty tensor may have no data pointer */
			memcpy(*f, p->raw_data.data, n * 4);
		else if (n)
			memcpy(*f, p->float_data, n * 4);
	} else {
		if (!(*i64 = malloc((n ? n : 1) * sizeof **i64)))
			return ARPG_ENOMEM;
		for (i = 0; i < (size_t)n; i++) {
			if (dt == DT_INT64 && p->has_raw_data)
				memcpy(&(*i64)[i], p->raw_data.data + 8 * i, 8);
			else if (dt == DT_INT64)
				(*i64)[i] = p->int64_data[i];
			else if (p->has_raw_data) {
				int32_t v;
				memcpy(&v, p->raw_data.data + 4 * i, 4);
				(*i64)[i] = v;
			} else
				(*i64)[i] = p->int32_data[i];
		}
	}
	return 0;
}

int arpg_onnx_tensor_read(const void *buf, size_t len, int *rank, int64_t *dims,
			  float **f, int64_t **i64, char *name, size_t namen,
			  char *err, size_t errn)
{
	Onnx__TensorProto *p = onnx__tensor_proto__unpack(NULL, len, buf);
	int rc;

	*f = NULL;
	*i64 = NULL;
	if (!p)
		return arpg_errf(err, errn, ARPG_EFORMAT,
				 "not a serialized TensorProto (protobuf parse failed)");
	rc = tensor_from_proto(p, "tensor", rank, dims, f, i64, err, errn);
	if (name && namen)
		snprintf(name, namen, "%s", p->name ? p->name : "");
	onnx__tensor_proto__free_unpacked(p, NULL);
	return rc;
}

int arpg_onnx_tensor_write(const char *path, const char *name, int rank,
			   const int64_t *dims, const float *data)
{
	Onnx__TensorProto p = ONNX__TENSOR_PROTO__INIT;
	int64_t n = 1, d[MAXR];
	uint8_t *buf;
	size_t len;
	FILE *fp;
	int i, rc = 0;

	for (i = 0; i < rank; i++)
		n *= d[i] = dims[i];
	p.n_dims = rank;
	p.dims = d;
	p.has_data_type = 1;
	p.data_type = DT_FLOAT;
	p.name = (char *)name;
	p.has_raw_data = 1;
	p.raw_data.len = n * 4;
	p.raw_data.data = (uint8_t *)data;
	len = onnx__tensor_proto__get_packed_size(&p);
	if (!(buf = malloc(len ? len : 1)))
		return ARPG_ENOMEM;
	onnx__tensor_proto__pack(&p, buf);
	if (!(fp = fopen(path, "wb")))
		rc = ARPG_EIO;
	else {
		if (fwrite(buf, 1, len, fp) != len)
			rc = ARPG_EIO;
		if (fclose(fp))
			rc = ARPG_EIO;
	}
	free(buf);
	return rc;
}

static const Onnx__AttributeProto *attr(const Onnx__NodeProto *np, const char *name)
{
	size_t i;

	for (i = 0; i < np->n_attribute; i++)
		if (np->attribute[i]->name && !strcmp(np->attribute[i]->name, name))
			return np->attribute[i];
	return NULL;
}

/* Checks an attribute's declared type (absent type: older files, trusted). */
static int attr_is(const Onnx__AttributeProto *a, Onnx__AttributeProto__AttributeType ty)
{
	return !a->has_type || a->type == ty;
}

#define ATTR_BAD(a, want) arpg_errf(err, errn, ARPG_EFORMAT, "%s: attribute '%s' is not %s", \
				    lab, (a)->name, want)

static int get_int(const Onnx__NodeProto *np, const char *name, int64_t def, int64_t *v,
		   const char *lab, char *err, size_t errn)
{
	const Onnx__AttributeProto *a = attr(np, name);

	*v = def;
	if (!a)
		return 0;
	if (!attr_is(a, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT))
		return ATTR_BAD(a, "an int");
	*v = a->i;
	return 0;
}

static int get_float(const Onnx__NodeProto *np, const char *name, float def, float *v,
		     const char *lab, char *err, size_t errn)
{
	const Onnx__AttributeProto *a = attr(np, name);

	*v = def;
	if (!a)
		return 0;
	if (!attr_is(a, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT))
		return ATTR_BAD(a, "a float");
	*v = a->f;
	return 0;
}

/* Reads an INTS attribute of n values (n = 0: any count up to max) into v;
 * returns the count, or a negative code. */
static int get_ints(const Onnx__NodeProto *np, const char *name, int n, int max, int64_t *v,
		    const char *lab, char *err, size_t errn)
{
	const Onnx__AttributeProto *a = attr(np, name);
	size_t i;

	if (!a)
		return 0;
	if (!attr_is(a, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS))
		return ATTR_BAD(a, "a list of ints");
	if ((n && a->n_ints != (size_t)n) || a->n_ints > (size_t)max)
		return arpg_errf(err, errn, ARPG_EUNSUPPORTED,
				 "%s: attribute '%s' has %zu values (%s %d: only 2-D "
				 "convolutions and pools are supported)", lab, name, a->n_ints,
				 n ? "expected" : "at most", n ? n : max);
	for (i = 0; i < a->n_ints; i++)
		v[i] = a->ints[i];
	return (int)a->n_ints;
}

/* Reads a STRING attribute into v[0..n) (NUL-terminated; def when absent);
 * a longer value is refused as unknown. */
static int get_string(const Onnx__NodeProto *np, const char *name, const char *def, char *v,
		      size_t n, const char *lab, char *err, size_t errn)
{
	const Onnx__AttributeProto *a = attr(np, name);

	snprintf(v, n, "%s", def);
	if (!a)
		return 0;
	if (!attr_is(a, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING))
		return ATTR_BAD(a, "a string");
	/* an empty string may come with no data pointer at all */
	if (a->s.len >= n || (a->s.len && memchr(a->s.data, 0, a->s.len)))
		return arpg_errf(err, errn, ARPG_EUNSUPPORTED, "%s: %s '%.*s' is not supported",
				 lab, name, (int)(a->s.len < 64 ? a->s.len : 64),
				 (const char *)a->s.data);
	if (a->s.len)
		memcpy(v, a->s.data, a->s.len);
	v[a->s.len] = 0;
	return 0;
}

/* The index of s in the NULL-terminated list names, or -1. */
static int word_index(const char *s, const char *const *names)
{
	int i;

	for (i = 0; names[i]; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}

static int parse_window(const Onnx__NodeProto *np, struct onx_node *n, const char *lab,
			char *err, size_t errn)
{
	const Onnx__AttributeProto *a;
	int64_t v;
	int rc, i;

	n->stride[0] = n->stride[1] = n->dil[0] = n->dil[1] = 1;
	if ((rc = get_ints(np, "kernel_shape", 2, 2, n->kernel, lab, err, errn)) < 0)
		return rc;
	n->has_kernel = rc == 2;
	if ((rc = get_ints(np, "strides", 2, 2, n->stride, lab, err, errn)) < 0 ||
	    (rc = get_ints(np, "dilations", 2, 2, n->dil, lab, err, errn)) < 0 ||
	    (rc = get_ints(np, "pads", 4, 4, n->pad, lab, err, errn)) < 0)
		return rc;
	/* ONNX orders pads as begins then ends: top, left, bottom, right. */
	for (i = 0; i < 2; i++)
		if (n->stride[i] < 1 || n->stride[i] > 65536 || n->dil[i] < 1 || n->dil[i] > 65536)
			return arpg_errf(err, errn, ARPG_EFORMAT,
					 "%s: strides and dilations must be 1 to 65536", lab);
	for (i = 0; i < 4; i++)
		if (n->pad[i] < 0 || n->pad[i] > 65536)
			return arpg_errf(err, errn, ARPG_EFORMAT, "%s: pads must be 0 to 65536",
					 lab);
	if (n->has_kernel && (n->kernel[0] < 1 || n->kernel[1] < 1 ||
			      n->kernel[0] > 65536 || n->kernel[1] > 65536))
		return arpg_errf(err, errn, ARPG_EFORMAT, "%s: kernel_shape must be 1 to 65536",
				 lab);
	if ((a = attr(np, "auto_pad"))) {
		char s[16] = "";
		if (!attr_is(a, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING))
			return ATTR_BAD(a, "a string");
		if (a->s.len && a->s.len < sizeof s)
			memcpy(s, a->s.data, a->s.len);
		if (!strcmp(s, "NOTSET"))
			n->auto_pad = PAD_NOTSET;
		else if (!strcmp(s, "SAME_UPPER"))
			n->auto_pad = PAD_SAME_UPPER;
		else if (!strcmp(s, "SAME_LOWER"))
			n->auto_pad = PAD_SAME_LOWER;
		else if (!strcmp(s, "VALID"))
			n->auto_pad = PAD_VALID;
		else
			return arpg_errf(err, errn, ARPG_EFORMAT, "%s: auto_pad '%.*s' is unknown",
					 lab, (int)a->s.len, (const char *)a->s.data);
	}
	if ((rc = get_int(np, "group", 1, &v, lab, err, errn)) < 0)
		return rc;
	if (v < 1 || v > INT_MAX)
		return arpg_errf(err, errn, ARPG_EFORMAT, "%s: group %lld", lab, (long long)v);
	n->group = (int)v;
	if ((rc = get_int(np, "ceil_mode", 0, &v, lab, err, errn)) < 0)
		return rc;
	n->ceil_mode = v != 0;
	if ((rc = get_int(np, "count_include_pad", 0, &v, lab, err, errn)) < 0)
		return rc;
	n->count_include_pad = v != 0;
	if ((rc = get_int(np, "storage_order", 0, &v, lab, err, errn)) < 0)
		return rc;
	return 0;
}

/* Constant: the value becomes a static tensor now. */
static int parse_constant(struct arpg_onnx *m, const Onnx__NodeProto *np, struct onx_tensor *t,
			  const char *lab, char *err, size_t errn)
{
	const Onnx__AttributeProto *a;
	size_t i;
	int rc;

	if ((a = attr(np, "value"))) {
		if (!attr_is(a, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR) || !a->t)
			return ATTR_BAD(a, "a tensor");
		rc = tensor_from_proto(a->t, lab, &t->rank, t->dims, &t->f, &t->i64, err, errn);
		t->dtype = t->f ? DT_FLOAT : DT_INT64;
	} else if ((a = attr(np, "value_float"))) {
		t->rank = 0;
		if (!(t->f = malloc(sizeof *t->f)))
			return ARPG_ENOMEM;
		t->f[0] = a->f;
		rc = 0;
	} else if ((a = attr(np, "value_int"))) {
		t->rank = 0;
		t->dtype = DT_INT64;
		if (!(t->i64 = malloc(sizeof *t->i64)))
			return ARPG_ENOMEM;
		t->i64[0] = a->i;
		rc = 0;
	} else if ((a = attr(np, "value_floats"))) {
		t->rank = 1;
		t->dims[0] = a->n_floats;
		if (!(t->f = malloc((a->n_floats + 1) * sizeof *t->f)))
			return ARPG_ENOMEM;
		for (i = 0; i < a->n_floats; i++)
			t->f[i] = a->floats[i];
		rc = 0;
	} else if ((a = attr(np, "value_ints"))) {
		t->rank = 1;
		t->dims[0] = a->n_ints;
		t->dtype = DT_INT64;
		if (!(t->i64 = malloc((a->n_ints + 1) * sizeof *t->i64)))
			return ARPG_ENOMEM;
		for (i = 0; i < a->n_ints; i++)
			t->i64[i] = a->ints[i];
		rc = 0;
	} else
		return arpg_errf(err, errn, ARPG_EFORMAT, "%s: no value", lab);
	(void)m;
	t->kind = TK_STATIC;
	return rc;
}

/* Attributes of the operators that have more than the window's. */
static int parse_bn(const Onnx__NodeProto *np, struct onx_node *n, const char *lab,
		    char *err, size_t errn)
{
	int64_t v;
	int rc;

	if ((rc = get_float(np, "epsilon", 1e-5f, &n->eps, lab, err, errn)) < 0)
		return rc;
	if ((rc = get_int(np, "spatial", 1, &v, lab, err, errn)) < 0)
		return rc;
	if (!v)
		return arpg_errf(err, errn, ARPG_EUNSUPPORTED, "%s: spatial=0", lab);
	if ((rc = get_int(np, "training_mode", 0, &v, lab, err, errn)) < 0)
		return rc;
	if (v)
		return arpg_errf(err, errn, ARPG_EUNSUPPORTED,
				 "%s: training_mode=1 (only inference)", lab);
	return 0;
}

/* AveragePool and MaxPool: a window, whose kernel must be given. */
static int parse_pool(const Onnx__NodeProto *np, struct onx_node *n, const char *lab,
		      char *err, size_t errn)
{
	int rc;

	if ((rc = parse_window(np, n, lab, err, errn)) < 0)
		return rc;
	if (!n->has_kernel)
		return arpg_errf(err, errn, ARPG_EFORMAT, "%s: no kernel_shape", lab);
	return 0;
}

/* Reshape: the shape is the second input, or before opset 5 an attribute. */
static int parse_reshape(const Onnx__NodeProto *np, struct onx_node *n, const char *lab,
			 char *err, size_t errn)
{
	int64_t v;
	int rc;

	if ((rc = get_int(np, "allowzero", 0, &v, lab, err, errn)) < 0)
		return rc;
	n->allowzero = v != 0;
	if (attr(np, "shape")) {
		int64_t s[MAXR];
		if ((rc = get_ints(np, "shape", 0, MAXR, s, lab, err, errn)) < 0)
			return rc;
		if (!(n->shape_attr = malloc((rc + 1) * sizeof *s)))
			return ARPG_ENOMEM;
		memcpy(n->shape_attr, s, rc * sizeof *s);
		n->nshape_attr = rc;
	} else if (np->n_input < 2 || !np->input[1][0])
		return arpg_errf(err, errn, ARPG_EFORMAT, "%s: no shape", lab);
	return 0;
}

static int parse_gemm(const Onnx__NodeProto *np, struct onx_node *n, const char *lab,
		      char *err, size_t errn)
{
	int64_t v;
	int rc;

	if ((rc = get_float(np, "alpha", 1, &n->alpha, lab, err, errn)) < 0 ||
	    (rc = get_float(np, "beta", 1, &n->beta, lab, err, errn)) < 0)
		return rc;
	if ((rc = get_int(np, "transA", 0, &v, lab, err, errn)) < 0)
		return rc;
	n->trans_a = v != 0;
	if ((rc = get_int(np, "transB", 0, &v, lab, err, errn)) < 0)
		return rc;
	n->trans_b = v != 0;
	return 0;
}

static int parse_dropout(const Onnx__NodeProto *np, struct onx_node *n, const char *lab,
			 char *err, size_t errn)
{
	int64_t v;
	int rc;

	if ((rc = get_int(np, "is_test", 1, &v, lab, err, errn)) < 0)
		return rc;
	if (!v)
		return arpg_errf(err, errn, ARPG_EUNSUPPORTED, "%s: is_test=0 (training)", lab);
	return 0;
}

/* Transpose: perm, a permutation of 0..n-1 (its rank is checked against
 * the input's when shapes are known). */
static int parse_transpose(const Onnx__NodeProto *np, struct onx_node *n, const char *lab,
			   char *err, size_t errn)
{
	int rc, i, j;

	if ((rc = get_ints(np, "perm", 0, MAXR, n->perm, lab, err, errn)) < 0)
		return rc;
	n->nperm = rc;
	for (i = 0; i < n->nperm; i++) {
		for (j = 0; j < i && n->perm[j] != n->perm[i]; j++)
			;
		if (n->perm[i] < 0 || n->perm[i] >= n->nperm || j < i)
			return arpg_errf(err, errn, ARPG_EFORMAT, "%s: perm is not a permutation",
					 lab);
	}
	return 0;
}

/* Resize (opsets 10 to 19) and Upsample (7 to 9): nearest or linear, the
 * coordinate modes and rounding of nearest; what would change the result
 * otherwise (cubic, tf_crop_and_resize, antialias, exclude_outside, axes,
 * an aspect-keeping policy) is refused. */
static int parse_resize(const Onnx__NodeProto *np, struct onx_node *n, const char *lab,
			char *err, size_t errn)
{
	static const char *const modes[] = { "nearest", "linear", NULL };
	static const char *const coords[] = { "half_pixel", "pytorch_half_pixel",
		"align_corners", "asymmetric", "tf_half_pixel_for_nn", "half_pixel_symmetric",
		NULL };
	static const char *const rounds[] = { "round_prefer_floor", "round_prefer_ceil",
		"floor", "ceil", NULL };
	int up = !strcmp(np->op_type, "Upsample");
	char s[32];
	int64_t v;
	size_t i;
	int rc;

	if ((rc = get_string(np, "mode", "nearest", s, sizeof s, lab, err, errn)) < 0)
		return rc;
	if (up && !strcmp(s, "bilinear"))
		snprintf(s, sizeof s, "linear");
	if ((n->rs_mode = word_index(s, modes)) < 0)
		return arpg_errf(err, errn, ARPG_EUNSUPPORTED,
				 "%s: mode '%s' (only nearest and linear are supported)", lab, s);
	/* Upsample maps an output coordinate x to x / scale and truncates */
	if ((rc = get_string(np, "coordinate_transformation_mode", up ? "asymmetric" : "half_pixel",
			     s, sizeof s, lab, err, errn)) < 0)
		return rc;
	if ((n->rs_coord = word_index(s, coords)) < 0)
		return arpg_errf(err, errn, ARPG_EUNSUPPORTED,
				 "%s: coordinate_transformation_mode '%s' is not supported", lab, s);
	if ((rc = get_string(np, "nearest_mode", up ? "floor" : "round_prefer_floor", s, sizeof s,
			     lab, err, errn)) < 0)
		return rc;
	if ((n->rs_nearest = word_index(s, rounds)) < 0)
		return arpg_errf(err, errn, ARPG_EUNSUPPORTED, "%s: nearest_mode '%s' is unknown",
				 lab, s);
	if ((rc = get_string(np, "keep_aspect_ratio_policy", "stretch", s, sizeof s, lab, err,
			     errn)) < 0)
		return rc;
	if (strcmp(s, "stretch"))
		return arpg_errf(err, errn, ARPG_EUNSUPPORTED,
				 "%s: keep_aspect_ratio_policy '%s' (only stretch)", lab, s);
	if ((rc = get_int(np, "exclude_outside", 0, &v, lab, err, errn)) < 0)
		return rc;
	if (v)
		return arpg_errf(err, errn, ARPG_EUNSUPPORTED, "%s: exclude_outside=1", lab);
	if ((rc = get_int(np, "antialias", 0, &v, lab, err, errn)) < 0)
		return rc;
	if (v)
		return arpg_errf(err, errn, ARPG_EUNSUPPORTED, "%s: antialias=1", lab);
	if (attr(np, "axes"))
		return arpg_errf(err, errn, ARPG_EUNSUPPORTED, "%s: the axes attribute", lab);
	if (up && attr(np, "scales")) {
		const Onnx__AttributeProto *a = attr(np, "scales");
		if (!attr_is(a, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS))
			return ATTR_BAD(a, "a list of floats");
		if (!a->n_floats || a->n_floats > MAXR)
			return arpg_errf(err, errn, ARPG_EFORMAT, "%s: %zu scales", lab, a->n_floats);
		if (!(n->rs_scales = malloc(a->n_floats * sizeof *n->rs_scales)))
			return ARPG_ENOMEM;
		for (i = 0; i < a->n_floats; i++)
			n->rs_scales[i] = a->floats[i];
		n->nrs_scales = (int)a->n_floats;
	} else if (up && np->n_input < 2)
		return arpg_errf(err, errn, ARPG_EFORMAT, "%s: no scales", lab);
	return 0;
}

/* Unsqueeze before opset 13: its axes attribute (later, the second input,
 * read with the shapes); their range is checked against the rank then. */
static int parse_unsqueeze(const Onnx__NodeProto *np, struct onx_node *n, const char *lab,
			   char *err, size_t errn)
{
	int rc;

	if ((rc = get_ints(np, "axes", 0, MAXR, n->axes, lab, err, errn)) < 0)
		return rc;
	n->naxes = rc;
	if (!n->naxes && np->n_input < 2)
		return arpg_errf(err, errn, ARPG_EFORMAT, "%s: no axes", lab);
	return 0;
}

/* Cast: to, the output's data type; the engine casts shapes (int64) to
 * int64 only, which is all that exporters make of them. */
static int parse_cast(const Onnx__NodeProto *np, struct onx_node *n, const char *lab,
		      char *err, size_t errn)
{
	int64_t v;
	int rc;

	if (!attr(np, "to"))
		return arpg_errf(err, errn, ARPG_EFORMAT, "%s: no 'to'", lab);
	if ((rc = get_int(np, "to", 0, &v, lab, err, errn)) < 0)
		return rc;
	if (v != DT_INT64)
		return arpg_errf(err, errn, ARPG_EUNSUPPORTED, "%s: a cast to data type %lld "
				 "(only to int64, of shapes)", lab, (long long)v);
	n->cast_to = (int)v;
	return 0;
}

/* Elu and LeakyRelu: alpha (1 and 0.01 when absent). */
static int parse_alpha(const Onnx__NodeProto *np, struct onx_node *n, const char *lab,
		       char *err, size_t errn)
{
	return get_float(np, "alpha", strcmp(np->op_type, "Elu") ? 0.01f : 1.0f, &n->alpha, lab,
			 err, errn);
}

/* LayerNormalization: axis (-1), epsilon (1e-5), the mean and variance
 * in float (stash_type 1, the only one). */
static int parse_layernorm(const Onnx__NodeProto *np, struct onx_node *n, const char *lab,
			   char *err, size_t errn)
{
	int64_t v;
	int rc;

	if ((rc = get_int(np, "axis", -1, &v, lab, err, errn)) < 0 ||
	    (rc = get_float(np, "epsilon", 1e-5f, &n->eps, lab, err, errn)) < 0)
		return rc;
	if (v < -MAXR || v > MAXR)
		return arpg_errf(err, errn, ARPG_EFORMAT, "%s: axis %lld", lab, (long long)v);
	n->axis = (int)v;
	if ((rc = get_int(np, "stash_type", 1, &v, lab, err, errn)) < 0)
		return rc;
	if (v != 1)
		return arpg_errf(err, errn, ARPG_EUNSUPPORTED, "%s: stash_type %lld (only 1, float)",
				 lab, (long long)v);
	return 0;
}

/* ReduceMean: axes as an attribute (opsets up to 17), keepdims (1); all
 * axes when none are given.  The axes input of opset 18 is refused. */
static int parse_reducemean(const Onnx__NodeProto *np, struct onx_node *n, const char *lab,
			    char *err, size_t errn)
{
	int64_t v;
	int rc;

	if (np->n_input > 1)
		return arpg_errf(err, errn, ARPG_EUNSUPPORTED, "%s: axes as an input (only the "
				 "attribute of opsets up to 17)", lab);
	if ((rc = get_ints(np, "axes", 0, MAXR, n->axes, lab, err, errn)) < 0)
		return rc;
	n->naxes = rc;
	if ((rc = get_int(np, "keepdims", 1, &v, lab, err, errn)) < 0)
		return rc;
	n->keepdims = v != 0;
	return 0;
}

/* Flatten, Concat, Softmax and Gather: axis (Flatten's default is 1, Concat must
 * give it, Softmax's default depends on the opset and is resolved with the
 * shapes: ONX_AXIS_DEFAULT); its range is checked against the rank then. */
static int parse_axis(const Onnx__NodeProto *np, struct onx_node *n, const char *lab,
		      char *err, size_t errn)
{
	int flatten = !strcmp(np->op_type, "Flatten"), gather = !strcmp(np->op_type, "Gather");
	int64_t v;
	int rc;

	if (!strcmp(np->op_type, "Concat") && !attr(np, "axis"))
		return arpg_errf(err, errn, ARPG_EFORMAT, "%s: no axis", lab);
	if ((rc = get_int(np, "axis", flatten ? 1 : gather ? 0 : ONX_AXIS_DEFAULT, &v, lab, err,
			  errn)) < 0)
		return rc;
	if (v != ONX_AXIS_DEFAULT && (v < -MAXR || v > MAXR))
		return arpg_errf(err, errn, ARPG_EFORMAT, "%s: axis %lld", lab, (long long)v);
	n->axis = (int)v;
	return 0;
}

/* What the loader checks of each operator: the attributes it may carry
 * (anything else is refused, so that a semantic this engine ignores cannot
 * pass silently), how many inputs and outputs it has (only the first
 * output is computed), and the function that reads its attributes (none:
 * it has none that matter, or Constant's value, read by parse_constant). */
typedef int (*parse_fn)(const Onnx__NodeProto *np, struct onx_node *n, const char *lab,
			char *err, size_t errn);
static const struct {
	const char *attrs;
	int minin, maxin, maxout;
	parse_fn parse;
} op_spec[OP_COUNT] = {
	[OP_CONV] = { "auto_pad dilations group kernel_shape pads strides", 2, 3, 1,
		      parse_window },
	[OP_BN] = { "epsilon momentum spatial training_mode is_test", 5, 5, 5, parse_bn },
	[OP_PRELU] = { "", 2, 2, 1, NULL },
	[OP_RELU] = { "", 1, 1, 1, NULL },
	[OP_ADD] = { "broadcast", 2, 2, 1, NULL },
	[OP_MUL] = { "broadcast", 2, 2, 1, NULL },
	[OP_SUB] = { "broadcast", 2, 2, 1, NULL },
	[OP_FLATTEN] = { "axis", 1, 1, 1, parse_axis },
	[OP_RESHAPE] = { "allowzero shape", 1, 2, 1, parse_reshape },
	[OP_GEMM] = { "alpha beta transA transB broadcast", 2, 3, 1, parse_gemm },
	[OP_MATMUL] = { "", 2, 2, 1, NULL },
	[OP_GAP] = { "", 1, 1, 1, NULL },
	[OP_AVGPOOL] = { "auto_pad ceil_mode count_include_pad kernel_shape pads strides "
			 "dilations", 1, 1, 1, parse_pool },
	[OP_MAXPOOL] = { "auto_pad ceil_mode dilations kernel_shape pads storage_order strides",
			 1, 1, 2, parse_pool },
	[OP_IDENTITY] = { "", 1, 1, 1, NULL },
	[OP_DROPOUT] = { "ratio seed is_test", 1, 3, 2, parse_dropout },
	[OP_CONSTANT] = { "value value_float value_floats value_int value_ints", 0, 0, 1, NULL },
	[OP_SIGMOID] = { "", 1, 1, 1, NULL },
	[OP_TRANSPOSE] = { "perm", 1, 1, 1, parse_transpose },
	[OP_RESIZE] = { "antialias axes coordinate_transformation_mode cubic_coeff_a "
			"exclude_outside extrapolation_value keep_aspect_ratio_policy mode "
			"nearest_mode", 1, 4, 1, parse_resize },
	[OP_UPSAMPLE] = { "mode scales", 1, 2, 1, parse_resize },
	[OP_CONCAT] = { "axis", 1, ONX_MAX_INPUTS, 1, parse_axis },
	[OP_SOFTMAX] = { "axis", 1, 1, 1, parse_axis },
	/* shape arithmetic, computed when the shapes are (onnx_plan.c) */
	[OP_SHAPE] = { "", 1, 1, 1, NULL },
	[OP_GATHER] = { "axis", 2, 2, 1, parse_axis },
	[OP_UNSQUEEZE] = { "axes", 1, 2, 1, parse_unsqueeze },
	[OP_SLICE] = { "", 3, 5, 1, NULL },
	[OP_CAST] = { "to saturate", 1, 1, 1, parse_cast },
	[OP_ELU] = { "alpha", 1, 1, 1, parse_alpha },
	[OP_LEAKYRELU] = { "alpha", 1, 1, 1, parse_alpha },
	[OP_LAYERNORM] = { "axis epsilon stash_type", 2, 3, 3, parse_layernorm },
	[OP_REDUCEMEAN] = { "axes keepdims", 1, 2, 1, parse_reducemean },
};

/* The operator named op_type (NULL: none), or OP_COUNT. */
static int op_of(const char *op_type)
{
	int op;

	for (op = 0; op < OP_COUNT; op++)
		if (op_type && !strcmp(op_type, onx_op_names[op]))
			break;
	return op;
}

/* Every attribute of np is one op may carry, by a whole word of its list
 * (an empty name would match everywhere, up to and past the NUL). */
static int check_attr_names(const Onnx__NodeProto *np, int op, const char *lab,
			    char *err, size_t errn)
{
	const char *allowed = op_spec[op].attrs;
	size_t i;

	for (i = 0; i < np->n_attribute; i++) {
		const char *an = np->attribute[i]->name ? np->attribute[i]->name : "";
		size_t l = strlen(an);
		const char *s = l ? strstr(allowed, an) : NULL;

		while (s && ((s != allowed && s[-1] != ' ') || (s[l] && s[l] != ' ')))
			s = strstr(s + 1, an);
		if (!l || !s)
			return arpg_errf(err, errn, ARPG_EUNSUPPORTED,
					 "%s: attribute '%s' is not supported", lab, an);
		if (np->attribute[i]->ref_attr_name)
			return arpg_errf(err, errn, ARPG_EUNSUPPORTED,
					 "%s: attribute references are not supported", lab);
	}
	return 0;
}

/* The counts of inputs and outputs, the required inputs and the output
 * named (an empty name marks an absent optional input), and no output past
 * the first that something reads. */
static int check_arity(const Onnx__NodeProto *np, int op, const char *lab,
		       char *err, size_t errn)
{
	int minin = op_spec[op].minin, maxin = op_spec[op].maxin, maxout = op_spec[op].maxout;
	size_t i;

	if (np->n_input < (size_t)minin || np->n_input > (size_t)maxin)
		return arpg_errf(err, errn, ARPG_EFORMAT, "%s: %zu inputs (expected %d to %d)",
				 lab, np->n_input, minin, maxin);
	if (np->n_output < 1 || np->n_output > (size_t)maxout)
		return arpg_errf(err, errn, ARPG_EFORMAT, "%s: %zu outputs (expected 1 to %d)",
				 lab, np->n_output, maxout);
	for (i = 1; i < np->n_output; i++)
		if (np->output[i][0])
			return arpg_errf(err, errn, ARPG_EUNSUPPORTED,
					 "%s: output %zu ('%s') is only computed in training or "
					 "for indices, which is not supported", lab, i, np->output[i]);
	for (i = 0; i < (size_t)minin; i++)
		if (!np->input[i][0])
			return arpg_errf(err, errn, ARPG_EFORMAT,
					 "%s: required input %zu has no name", lab, i);
	return 0;
}

/* Node ni from np: its name ("#ni" when it has none), operator, arity and
 * attributes; inputs and output are bound to tensors later (build). */
static int parse_node(struct arpg_onnx *m, int ni, const Onnx__NodeProto *np,
		      char *err, size_t errn)
{
	struct onx_node *n = &m->nodes[ni];
	char lab[300];
	int rc, op = op_of(np->op_type), i;

	n->res = -1;
	n->pre_pw = -1;
	if (np->name && np->name[0])
		n->name = strdup(np->name);
	else if (asprintf(&n->name, "#%d", ni) < 0)
		n->name = NULL;
	if (!n->name)
		return ARPG_ENOMEM;
	n->opname = op < OP_COUNT ? onx_op_names[op] : "?";
	snprintf(lab, sizeof lab, "node '%s' (%s)", n->name,
		 np->op_type ? np->op_type : "no op_type");
	if (np->domain && np->domain[0] && strcmp(np->domain, "ai.onnx"))
		return arpg_errf(err, errn, ARPG_EUNSUPPORTED,
				 "%s: operator domain '%s' is not supported", lab, np->domain);
	if (op == OP_COUNT)
		return arpg_errf(err, errn, ARPG_EUNSUPPORTED,
				 "%s: operator %s is not supported by arpg's ONNX engine", lab,
				 np->op_type ? np->op_type : "(none)");
	n->op = op;
	if ((rc = check_attr_names(np, op, lab, err, errn)) < 0 ||
	    (rc = check_arity(np, op, lab, err, errn)) < 0)
		return rc;
	n->nin = (int)np->n_input;
	n->nout = 1;
	if (!(n->in = malloc((n->nin > 5 ? n->nin : 5) * sizeof *n->in)))
		return ARPG_ENOMEM;
	for (i = 0; i < (n->nin > 5 ? n->nin : 5); i++)
		n->in[i] = -1;
	n->out[1] = n->out[2] = -1;
	if (!np->output[0][0])
		return arpg_errf(err, errn, ARPG_EFORMAT, "%s: output has no name", lab);
	return op_spec[op].parse ? op_spec[op].parse(np, n, lab, err, errn) : 0;
}

/* Kahn's algorithm over producer -> consumer edges (a consumer list per
 * node, CSR); a leftover node is on a cycle (or downstream of one). */
static int toposort(struct arpg_onnx *m, char *err, size_t errn)
{
	int *indeg = calloc(m->nn + 1, sizeof *indeg), *queue = m->order;
	int *start = calloc(m->nn + 2, sizeof *start), *cons = NULL, *fill = NULL;
	int head = 0, tail = 0, i, j, k, rc = 0;

	if (!indeg || !start)
		goto nomem;
	for (i = 0; i < m->nn; i++)
		for (j = 0; j < m->nodes[i].nin; j++) {
			int ti = m->nodes[i].in[j];
			if (ti >= 0 && m->t[ti].producer >= 0) {
				indeg[i]++;
				start[m->t[ti].producer + 1]++;
			}
		}
	for (i = 0; i < m->nn; i++)
		start[i + 1] += start[i];
	if (!(cons = malloc((start[m->nn] + 1) * sizeof *cons)) ||
	    !(fill = calloc(m->nn + 1, sizeof *fill)))
		goto nomem;
	for (i = 0; i < m->nn; i++)
		for (j = 0; j < m->nodes[i].nin; j++) {
			int ti = m->nodes[i].in[j];
			if (ti >= 0 && m->t[ti].producer >= 0) {
				int p = m->t[ti].producer;
				cons[start[p] + fill[p]++] = i;
			}
		}
	for (i = 0; i < m->nn; i++)
		if (!indeg[i])
			queue[tail++] = i;
	while (head < tail) {
		int p = queue[head++];
		for (k = start[p]; k < start[p + 1]; k++)
			if (!--indeg[cons[k]])
				queue[tail++] = cons[k];
	}
	if (tail < m->nn) {
		char lab[300];
		for (k = 0; k < m->nn && !indeg[k]; k++)
			;
		rc = arpg_errf(err, errn, ARPG_EFORMAT, "the graph has a cycle through %s",
			       onx_nodelabel(&m->nodes[k], lab, sizeof lab));
	}
	goto out;
nomem:
	rc = ARPG_ENOMEM;
out:
	free(indeg);
	free(start);
	free(cons);
	free(fill);
	return rc;
}

static void read_decl(struct onx_tensor *t, const Onnx__ValueInfoProto *vi)
{
	const Onnx__TensorShapeProto *s;
	size_t i;

	if (!vi->type || vi->type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ||
	    !vi->type->tensor_type || !(s = vi->type->tensor_type->shape) || s->n_dim > MAXR)
		return;
	t->has_decl = 1;
	t->decl_rank = (int)s->n_dim;
	for (i = 0; i < s->n_dim; i++)
		t->decl[i] = s->dim[i]->value_case ==
			ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE &&
			s->dim[i]->dim_value >= 0 ? s->dim[i]->dim_value : -1;
}

static int vi_elem_type(const Onnx__ValueInfoProto *vi)
{
	if (!vi->type || vi->type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ||
	    !vi->type->tensor_type)
		return -1;
	return vi->type->tensor_type->has_elem_type ? vi->type->tensor_type->elem_type : 0;
}

/* The default domain's opset (m->opset), then every operator known before
 * anything else is checked: a model this engine cannot run says so by
 * name first. */
static int check_opset_and_operators(struct arpg_onnx *m, const Onnx__ModelProto *mp,
				     char *err, size_t errn)
{
	const Onnx__GraphProto *g = mp->graph;
	size_t i;

	m->opset = -1;
	for (i = 0; i < mp->n_opset_import; i++) {
		const char *d = mp->opset_import[i]->domain;
		if (!d || !d[0] || !strcmp(d, "ai.onnx"))
			m->opset = (int)mp->opset_import[i]->version;
	}
	if (!g)
		return arpg_errf(err, errn, ARPG_EFORMAT, "not an ONNX model: no graph");
	for (i = 0; i < g->n_node; i++) {
		const Onnx__NodeProto *np = g->node[i];
		if (op_of(np->op_type) == OP_COUNT ||
		    (np->domain && np->domain[0] && strcmp(np->domain, "ai.onnx")))
			return arpg_errf(err, errn, ARPG_EUNSUPPORTED,
					 "node '%s' (%s): operator %s%s%s is not supported by arpg's "
					 "ONNX engine", np->name ? np->name : "",
					 np->op_type ? np->op_type : "",
					 np->domain && np->domain[0] ? np->domain : "",
					 np->domain && np->domain[0] ? "." : "",
					 np->op_type ? np->op_type : "(none)");
	}
	if (m->opset < 0 && mp->n_opset_import == 0)
		m->opset = 1;
	if (m->opset < 1 || m->opset > 21)
		return arpg_errf(err, errn, ARPG_EUNSUPPORTED,
				 "opset %d of the default domain: opsets 1 to 21 are supported",
				 m->opset);
	if (g->n_node > 1000000 || g->n_initializer > 1000000 || g->n_input > 100000)
		return arpg_errf(err, errn, ARPG_ERANGE, "too many nodes");
	return 0;
}

/* The initializers, as static tensors with their data. */
static int add_initializers(struct arpg_onnx *m, const Onnx__GraphProto *g,
			    char *err, size_t errn)
{
	char what[300];
	size_t i;
	int rc, ti;

	for (i = 0; i < g->n_initializer; i++) {
		const Onnx__TensorProto *p = g->initializer[i];
		struct onx_tensor *t;
		if (!p->name || !p->name[0])
			return arpg_errf(err, errn, ARPG_EFORMAT, "initializer %zu has no name", i);
		if (onx_find(m, p->name) >= 0)
			return arpg_errf(err, errn, ARPG_EFORMAT, "initializer '%s' is defined twice",
					 p->name);
		if ((ti = add_tensor(m, p->name, TK_STATIC)) < 0)
			return ti;
		t = &m->t[ti];
		snprintf(what, sizeof what, "initializer '%s'", p->name);
		if ((rc = tensor_from_proto(p, what, &t->rank, t->dims, &t->f, &t->i64, err, errn)))
			return rc;
		t->dtype = t->f ? DT_FLOAT : DT_INT64;
	}
	return 0;
}

/* The graph inputs that are not initializers (m->inputs), each with its
 * declared type and shape. */
static int add_graph_inputs(struct arpg_onnx *m, const Onnx__GraphProto *g,
			    char *err, size_t errn)
{
	size_t i;
	int ti;

	for (i = 0; i < g->n_input; i++) {
		const Onnx__ValueInfoProto *vi = g->input[i];
		int et = vi_elem_type(vi);
		if (!vi->name || !vi->name[0])
			return arpg_errf(err, errn, ARPG_EFORMAT, "graph input %zu has no name", i);
		if ((ti = onx_find(m, vi->name)) >= 0) {
			if (m->t[ti].kind == TK_STATIC)
				continue;	/* IR < 4 lists initializers as inputs */
			return arpg_errf(err, errn, ARPG_EFORMAT, "graph input '%s' is listed twice",
					 vi->name);
		}
		if (et != DT_FLOAT && et != DT_INT64)
			return arpg_errf(err, errn, et == 0 ? ARPG_EFORMAT : ARPG_EUNSUPPORTED,
					 "graph input '%s' has type %s: only float (and int64 "
					 "bound as a constant) inputs are supported", vi->name,
					 et < 0 ? "(not a tensor)" : dtype_name(et));
		if ((ti = add_tensor(m, vi->name, TK_INPUT)) < 0)
			return ti;
		m->t[ti].dtype = et;
		read_decl(&m->t[ti], vi);
		if (!m->t[ti].has_decl)
			return arpg_errf(err, errn, ARPG_EFORMAT, "graph input '%s' has no shape",
					 vi->name);
		m->inputs[m->ninputs++] = ti;
	}
	return 0;
}

/* The nodes and the values they write; a Constant's value becomes a static
 * tensor and the node is dead.  Outputs first, so that the nodes may be
 * listed in any order: link_node_inputs binds the inputs after. */
static int add_nodes(struct arpg_onnx *m, const Onnx__GraphProto *g, char *err, size_t errn)
{
	char what[300];
	size_t i;
	int rc, ti;

	for (i = 0; i < g->n_node; i++) {
		const Onnx__NodeProto *np = g->node[i];
		struct onx_node *n = &m->nodes[i];
		m->nn = (int)i + 1;
		if ((rc = parse_node(m, (int)i, np, err, errn)) < 0)
			return rc;
		if (onx_find(m, np->output[0]) >= 0)
			return arpg_errf(err, errn, ARPG_EFORMAT,
					 "value '%s' is defined twice (node '%s' and before)",
					 np->output[0], n->name);
		if ((ti = add_tensor(m, np->output[0], TK_VALUE)) < 0)
			return ti;
		n->out[0] = n->out_final = ti;
		m->t[ti].producer = (int)i;
		if (n->op == OP_CONSTANT) {
			snprintf(what, sizeof what, "node '%s' (Constant)", n->name);
			if ((rc = parse_constant(m, np, &m->t[ti], what, err, errn)) < 0)
				return rc;
			m->t[ti].producer = -1;
			n->dead = 1;
		}
	}
	return 0;
}

/* Each node input to the tensor of that name. */
static int link_node_inputs(struct arpg_onnx *m, const Onnx__GraphProto *g,
			    char *err, size_t errn)
{
	size_t i, j;
	int ti;

	for (i = 0; i < g->n_node; i++) {
		const Onnx__NodeProto *np = g->node[i];
		struct onx_node *n = &m->nodes[i];
		for (j = 0; j < np->n_input; j++) {
			if (!np->input[j][0])
				continue;	/* an absent optional input */
			if ((ti = onx_find(m, np->input[j])) < 0) {
				char lab[300];
				return arpg_errf(err, errn, ARPG_EFORMAT,
						 "%s: input '%s' is not defined (no initializer, "
						 "graph input or node output has that name)",
						 onx_nodelabel(n, lab, sizeof lab), np->input[j]);
			}
			n->in[j] = ti;
		}
	}
	return 0;
}

/* The graph outputs (m->outputs, kept), then the shapes value_info
 * declares for other values. */
static int add_graph_outputs(struct arpg_onnx *m, const Onnx__GraphProto *g,
			     char *err, size_t errn)
{
	size_t i;
	int ti;

	for (i = 0; i < g->n_output; i++) {
		const Onnx__ValueInfoProto *vi = g->output[i];
		if (!vi->name || (ti = onx_find(m, vi->name)) < 0)
			return arpg_errf(err, errn, ARPG_EFORMAT,
					 "graph output '%s' is not computed by any node",
					 vi->name ? vi->name : "");
		if (m->t[ti].kind == TK_VALUE)
			read_decl(&m->t[ti], vi);
		m->t[ti].keep = m->t[ti].is_output = 1;
		m->outputs[m->noutputs++] = ti;
	}
	if (!m->noutputs)
		return arpg_errf(err, errn, ARPG_EFORMAT, "the graph has no outputs");
	for (i = 0; i < g->n_value_info; i++) {
		const Onnx__ValueInfoProto *vi = g->value_info[i];
		if (vi->name && (ti = onx_find(m, vi->name)) >= 0 && m->t[ti].kind == TK_VALUE &&
		    !m->t[ti].is_output)
			read_decl(&m->t[ti], vi);
	}
	return 0;
}

/* The engine's graph from the model, checked, in topological order. */
static int build(struct arpg_onnx *m, const Onnx__ModelProto *mp, char *err, size_t errn)
{
	const Onnx__GraphProto *g = mp->graph;
	int rc;

	if ((rc = check_opset_and_operators(m, mp, err, errn)) < 0 ||
	    (rc = add_initializers(m, g, err, errn)) < 0)
		return rc;
	if (!(m->inputs = malloc((g->n_input + 1) * sizeof *m->inputs)) ||
	    !(m->outputs = malloc((g->n_output + 1) * sizeof *m->outputs)))
		return ARPG_ENOMEM;
	if ((rc = add_graph_inputs(m, g, err, errn)) < 0)
		return rc;
	if (g->n_node && !(m->nodes = calloc(g->n_node, sizeof *m->nodes)))
		return ARPG_ENOMEM;
	if (!(m->order = calloc(g->n_node + 1, sizeof *m->order)))
		return ARPG_ENOMEM;
	if ((rc = add_nodes(m, g, err, errn)) < 0 || (rc = link_node_inputs(m, g, err, errn)) < 0 ||
	    (rc = add_graph_outputs(m, g, err, errn)) < 0)
		return rc;
	return toposort(m, err, errn);
}

int arpg_onnx_load(struct arpg_onnx **mp, const void *buf, size_t len, char *err, size_t errn)
{
	Onnx__ModelProto *p;
	struct arpg_onnx *m;
	int rc;

	*mp = NULL;
	if (len == 0)
		return arpg_errf(err, errn, ARPG_EFORMAT, "empty file");
	if (!(p = onnx__model_proto__unpack(NULL, len, buf)))
		return arpg_errf(err, errn, ARPG_EFORMAT,
				 "not an ONNX model, or truncated (protobuf parse failed)");
	if (!(m = calloc(1, sizeof *m))) {
		onnx__model_proto__free_unpacked(p, NULL);
		return ARPG_ENOMEM;
	}
	m->winograd = ARPG_ONNX_WINOGRAD_AUTO;
	rc = build(m, p, err, errn);
	onnx__model_proto__free_unpacked(p, NULL);
	if (rc < 0) {
		if (rc == ARPG_ENOMEM)
			arpg_errf(err, errn, rc, "out of memory loading the model");
		arpg_onnx_free(m);
		return rc;
	}
	*mp = m;
	return 0;
}

int arpg_onnx_load_file(struct arpg_onnx **m, const char *path, char *err, size_t errn)
{
	void *buf;
	size_t n;
	int rc;

	*m = NULL;
	if ((rc = arpg_read_file(path, 0, &buf, &n)) < 0)
		return arpg_errf(err, errn, rc, "%s: %s", path,
				 rc == ARPG_EIO ? strerror(errno) : arpg_strerror(rc));
	rc = arpg_onnx_load(m, buf, n, err, errn);
	free(buf);
	return rc;
}

void arpg_onnx_free(struct arpg_onnx *m)
{
	int i;

	if (!m)
		return;
	for (i = 0; i < m->nt; i++) {
		free(m->t[i].name);
		free(m->t[i].f);
		free(m->t[i].i64);
	}
	for (i = 0; i < m->nn; i++) {
		struct onx_node *n = &m->nodes[i];
		free(n->name);
		free(n->shape_attr);
		free(n->in);
		free(n->rs_scales);
		free(n->w);
		free(n->b);
		free(n->pre_s);
		free(n->pre_t);
		free(n->wino);
		free(n->pk);
		free(n->bn_s);
		free(n->bn_t);
		free(n->slope);
	}
	free(m->t);
	free(m->hash);
	free(m->nodes);
	free(m->order);
	free(m->inputs);
	free(m->outputs);
	free(m->arena);
	free(m->scratch);
	free(m);
}
