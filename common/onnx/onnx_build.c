/* onnx_build.c - ONNX models written through protobuf-c.
 *
 * The model is held as protobuf-c messages from the start, every block
 * malloc'd (strings, arrays, sub-messages, tensor bytes), so that
 * protobuf_c_message_free_unpacked, which frees a message the way unpack
 * allocates one, frees it whole. */
#include "onnx_build.h"
#include "error.h"
#include "fileio.h"
#include "grow.h"
#include "le.h"
#include "onnx/onnx.pb-c.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { IR_VERSION = 8, DT_FLOAT = 1, DT_INT64 = 7 };

struct arpg_onnx_build {
	Onnx__ModelProto *model;
	Onnx__GraphProto *graph;
	/* capacities of the graph's growing arrays and the model's metadata */
	size_t node_cap, init_cap, input_cap, output_cap, meta_cap;
	long counter;		/* for node output names */
	int rc;			/* the first error, or 0 */
	char err[256];
};

/* Records the first error; returns NULL for the callers' convenience. */
static void *fail(struct arpg_onnx_build *b, int rc, const char *what)
{
	if (!b->rc) {
		b->rc = rc;
		snprintf(b->err, sizeof b->err, "%s", what);
	}
	return NULL;
}

static void *zalloc(struct arpg_onnx_build *b, size_t size)
{
	void *p = calloc(1, size);

	return p ? p : fail(b, ARPG_ENOMEM, "out of memory");
}

static char *dup_str(struct arpg_onnx_build *b, const char *s)
{
	char *d = strdup(s);

	return d ? d : fail(b, ARPG_ENOMEM, "out of memory");
}

/* Appends item to the pointer array *arr of *n items (capacity *cap). */
static int append(struct arpg_onnx_build *b, void ***arr, size_t *n, size_t *cap, void *item)
{
	if (!item || ARPG_GROW(*arr, cap, *n + 1) < 0) {
		if (item)
			fail(b, ARPG_ENOMEM, "out of memory");
		return -1;
	}
	(*arr)[(*n)++] = item;
	return 0;
}

int arpg_onnx_build_new(struct arpg_onnx_build **bp, const char *name, int opset)
{
	struct arpg_onnx_build *b;
	Onnx__OperatorSetIdProto *os;

	*bp = NULL;
	if (opset < 1)
		return ARPG_EINVAL;
	if (!(b = calloc(1, sizeof *b)))
		return ARPG_ENOMEM;
	b->model = zalloc(b, sizeof *b->model);
	b->graph = zalloc(b, sizeof *b->graph);
	os = zalloc(b, sizeof *os);
	if (b->model)
		onnx__model_proto__init(b->model);
	if (!b->model || !b->graph || !os) {
		free(os);
		free(b->graph);
		b->graph = NULL;
		arpg_onnx_build_free(b);
		return ARPG_ENOMEM;
	}
	onnx__graph_proto__init(b->graph);
	onnx__operator_set_id_proto__init(os);
	b->model->graph = b->graph;
	b->model->has_ir_version = 1;
	b->model->ir_version = IR_VERSION;
	os->domain = dup_str(b, "");
	os->has_version = 1;
	os->version = opset;
	b->model->producer_name = dup_str(b, "arpg");
	b->graph->name = dup_str(b, name);
	if (!(b->model->opset_import = zalloc(b, sizeof *b->model->opset_import)))
		free(os);
	else
		b->model->opset_import[b->model->n_opset_import++] = os;
	if (b->rc) {
		arpg_onnx_build_free(b);
		return ARPG_ENOMEM;
	}
	*bp = b;
	return 0;
}

void arpg_onnx_build_free(struct arpg_onnx_build *b)
{
	if (!b)
		return;
	if (b->model)
		protobuf_c_message_free_unpacked(&b->model->base, NULL);
	free(b);
}

/* A float tensor type of shape dims (-1: the symbolic "B"). */
static Onnx__TypeProto *tensor_type(struct arpg_onnx_build *b, int rank, const int64_t *dims)
{
	Onnx__TypeProto *t = zalloc(b, sizeof *t);
	Onnx__TypeProto__Tensor *tt = zalloc(b, sizeof *tt);
	Onnx__TensorShapeProto *sh = zalloc(b, sizeof *sh);
	Onnx__TensorShapeProto__Dimension **dim = zalloc(b, sizeof *dim * (rank ? rank : 1));

	if (!t || !tt || !sh || !dim) {
		free(t);
		free(tt);
		free(sh);
		free(dim);
		return NULL;
	}
	onnx__type_proto__init(t);
	onnx__type_proto__tensor__init(tt);
	onnx__tensor_shape_proto__init(sh);
	t->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
	t->tensor_type = tt;
	tt->has_elem_type = 1;
	tt->elem_type = DT_FLOAT;
	tt->shape = sh;
	sh->dim = dim;
	for (int i = 0; i < rank; i++) {
		Onnx__TensorShapeProto__Dimension *d = zalloc(b, sizeof *d);

		if (!d)
			break;
		onnx__tensor_shape_proto__dimension__init(d);
		if (dims[i] < 0) {
			d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
			d->dim_param = dup_str(b, "B");
		} else {
			d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
			d->dim_value = dims[i];
		}
		dim[sh->n_dim++] = d;
	}
	return t;	/* complete, or freed whole with the model after an error */
}

static Onnx__ValueInfoProto *value_info(struct arpg_onnx_build *b, const char *name, int rank,
					const int64_t *dims)
{
	Onnx__ValueInfoProto *v = zalloc(b, sizeof *v);

	if (!v)
		return NULL;
	onnx__value_info_proto__init(v);
	v->name = dup_str(b, name);
	v->type = tensor_type(b, rank, dims);
	return v;
}

const char *arpg_onnx_build_input(struct arpg_onnx_build *b, const char *name, int rank,
				  const int64_t *dims)
{
	Onnx__GraphProto *g = b->graph;
	Onnx__ValueInfoProto *v;

	if (b->rc)
		return NULL;
	v = value_info(b, name, rank, dims);
	if (append(b, (void ***)&g->input, &g->n_input, &b->input_cap, v) < 0) {
		if (v)
			protobuf_c_message_free_unpacked(&v->base, NULL);
		return NULL;
	}
	return b->rc ? NULL : v->name;
}

int arpg_onnx_build_output(struct arpg_onnx_build *b, const char *value, const char *name,
			   int rank, const int64_t *dims)
{
	Onnx__GraphProto *g = b->graph;
	Onnx__ValueInfoProto *v;
	const char *out;

	if (b->rc || !value)
		return b->rc ? b->rc : ARPG_EINVAL;
	/* the node's output gets the output's name: Identity renames */
	if (!(out = arpg_onnx_build_op(b, "Identity", name, NULL, 0, 1, value)))
		return b->rc;
	free(g->node[g->n_node - 1]->output[0]);
	g->node[g->n_node - 1]->output[0] = NULL;
	if (!(g->node[g->n_node - 1]->output[0] = dup_str(b, name)))
		return b->rc;
	v = value_info(b, name, rank, dims);
	if (append(b, (void ***)&g->output, &g->n_output, &b->output_cap, v) < 0 && v)
		protobuf_c_message_free_unpacked(&v->base, NULL);
	return b->rc;
}

/* An initializer of type dt, n values of esize bytes copied from data. */
static const char *initializer(struct arpg_onnx_build *b, const char *name, int rank,
			       const int64_t *dims, const void *data, int dt, size_t esize)
{
	Onnx__GraphProto *g = b->graph;
	Onnx__TensorProto *t;
	size_t n = 1;

	if (b->rc)
		return NULL;
	if (!(t = zalloc(b, sizeof *t)))
		return NULL;
	onnx__tensor_proto__init(t);
	if (append(b, (void ***)&g->initializer, &g->n_initializer, &b->init_cap, t) < 0) {
		free(t);
		return NULL;
	}
	t->name = dup_str(b, name);
	t->has_data_type = 1;
	t->data_type = dt;
	if (rank && !(t->dims = zalloc(b, sizeof *t->dims * rank)))
		return NULL;
	for (int i = 0; i < rank; i++)
		n *= (size_t)(t->dims[t->n_dims++] = dims[i]);
	t->has_raw_data = 1;
	/* the host's byte order is the file's: arpg builds for x86-64 (the
	 * engine's arpg_onnx_tensor_write does the same) */
	if (!(t->raw_data.data = zalloc(b, n ? n * esize : 1)))
		return NULL;
	memcpy(t->raw_data.data, data, n * esize);
	t->raw_data.len = n * esize;
	return b->rc ? NULL : t->name;
}

const char *arpg_onnx_build_float(struct arpg_onnx_build *b, const char *name, int rank,
				  const int64_t *dims, const float *data)
{
	return initializer(b, name, rank, dims, data, DT_FLOAT, sizeof *data);
}

const char *arpg_onnx_build_int64(struct arpg_onnx_build *b, const char *name, int rank,
				  const int64_t *dims, const int64_t *data)
{
	return initializer(b, name, rank, dims, data, DT_INT64, sizeof *data);
}

static Onnx__AttributeProto *attribute(struct arpg_onnx_build *b, const struct arpg_onnx_attr *a)
{
	Onnx__AttributeProto *p = zalloc(b, sizeof *p);

	if (!p)
		return NULL;
	onnx__attribute_proto__init(p);
	p->name = dup_str(b, a->name);
	p->has_type = 1;
	switch (a->kind) {
	case ARPG_ONNX_ATTR_INT:
		p->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
		p->has_i = 1;
		p->i = a->i;
		break;
	case ARPG_ONNX_ATTR_FLOAT:
		p->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
		p->has_f = 1;
		p->f = a->f;
		break;
	case ARPG_ONNX_ATTR_STRING:
		p->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
		p->has_s = 1;
		if ((p->s.data = (uint8_t *)dup_str(b, a->s)))
			p->s.len = strlen(a->s);
		break;
	case ARPG_ONNX_ATTR_INTS:
		p->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
		if (a->nints && (p->ints = zalloc(b, sizeof *p->ints * a->nints))) {
			memcpy(p->ints, a->ints, sizeof *p->ints * a->nints);
			p->n_ints = a->nints;
		}
		break;
	default:
		fail(b, ARPG_EINVAL, "an attribute of an unknown kind");
	}
	return p;
}

const char *arpg_onnx_build_op(struct arpg_onnx_build *b, const char *op_type,
			       const char *hint, const struct arpg_onnx_attr *attrs, int nattrs,
			       int nin, ...)
{
	Onnx__GraphProto *g = b->graph;
	Onnx__NodeProto *nd;
	char name[256];
	va_list ap;

	if (b->rc)
		return NULL;
	if (!(nd = zalloc(b, sizeof *nd)))
		return NULL;
	onnx__node_proto__init(nd);
	if (append(b, (void ***)&g->node, &g->n_node, &b->node_cap, nd) < 0) {
		free(nd);
		return NULL;
	}
	nd->op_type = dup_str(b, op_type);
	snprintf(name, sizeof name, "%s_%ld", hint, b->counter++);
	nd->name = dup_str(b, name);
	if ((nd->output = zalloc(b, sizeof *nd->output)) &&
	    (nd->output[0] = dup_str(b, name)))
		nd->n_output = 1;
	if (nin && (nd->input = zalloc(b, sizeof *nd->input * nin))) {
		va_start(ap, nin);
		for (int i = 0; i < nin; i++) {
			const char *in = va_arg(ap, const char *);

			if (!in) {	/* an earlier call failed */
				fail(b, ARPG_EINVAL, "a node's input is missing");
				break;
			}
			if (!(nd->input[i] = dup_str(b, in)))
				break;
			nd->n_input++;
		}
		va_end(ap);
	}
	if (nattrs && (nd->attribute = zalloc(b, sizeof *nd->attribute * nattrs)))
		for (int i = 0; i < nattrs; i++) {
			Onnx__AttributeProto *p = attribute(b, &attrs[i]);

			if (!p)
				break;
			nd->attribute[nd->n_attribute++] = p;
		}
	return b->rc ? NULL : nd->output[0];
}

int arpg_onnx_build_meta(struct arpg_onnx_build *b, const char *key, const char *value)
{
	Onnx__ModelProto *m = b->model;
	Onnx__StringStringEntryProto *e;

	if (b->rc)
		return b->rc;
	if (!(e = zalloc(b, sizeof *e)))
		return b->rc;
	onnx__string_string_entry_proto__init(e);
	if (append(b, (void ***)&m->metadata_props, &m->n_metadata_props, &b->meta_cap, e) < 0) {
		free(e);
		return b->rc;
	}
	e->key = dup_str(b, key);
	e->value = dup_str(b, value);
	return b->rc;
}

int arpg_onnx_build_write(struct arpg_onnx_build *b, const char *path, char *err,
			  size_t errn)
{
	uint8_t *buf;
	size_t len;
	int rc;

	if (b->rc)
		return arpg_errf(err, errn, b->rc, "%s", b->err);
	len = onnx__model_proto__get_packed_size(b->model);
	if (!(buf = malloc(len ? len : 1)))
		return ARPG_ENOMEM;
	onnx__model_proto__pack(b->model, buf);
	rc = arpg_write_file_atomic(path, buf, len);
	free(buf);
	return rc;
}

/* ---- an existing model with new initializer values ---- */

/* What an initializer held before its new values, put back before the
 * unpacked model is freed (free_unpacked frees what unpack allocated). */
struct held {
	Onnx__TensorProto *t;
	protobuf_c_boolean has_raw;
	ProtobufCBinaryData raw;
	size_t n_float;
	float *float_data;
};

static Onnx__TensorProto *find_initializer(const Onnx__GraphProto *g, const char *name)
{
	for (size_t i = 0; i < g->n_initializer; i++)
		if (g->initializer[i]->name && !strcmp(g->initializer[i]->name, name))
			return g->initializer[i];
	return NULL;
}

/* The element count of t, -1 for a negative dimension. */
static long long elements(const Onnx__TensorProto *t)
{
	long long n = 1;

	for (size_t i = 0; i < t->n_dims; i++) {
		if (t->dims[i] < 0)
			return -1;
		n *= t->dims[i];
	}
	return n;
}

/* Can initializer t (NULL: not found) take r's values?  0, or a negative
 * code with the reason in err. */
static int replaceable(const Onnx__TensorProto *t, const struct arpg_onnx_replace *r,
		       char *err, size_t errn)
{
	if (!t)
		return arpg_errf(err, errn, ARPG_EFORMAT, "no initializer named '%s'", r->name);
	if (t->n_external_data || (t->has_data_location && t->data_location ==
				   ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL))
		return arpg_errf(err, errn, ARPG_EUNSUPPORTED, "initializer '%s' is held in an "
				 "external file", r->name);
	if (!t->has_data_type || t->data_type != DT_FLOAT)
		return arpg_errf(err, errn, ARPG_EUNSUPPORTED, "initializer '%s' is not float32",
				 r->name);
	if (elements(t) != (long long)r->n)
		return arpg_errf(err, errn, ARPG_EFORMAT, "initializer '%s' holds %lld values, "
				 "not %zu", r->name, elements(t), r->n);
	return 0;
}

/* Sets t's data to r's values as raw little-endian bytes (malloc'd into
 * *bytes), keeping what it held in h. */
static int replace_one(Onnx__TensorProto *t, const struct arpg_onnx_replace *r, struct held *h,
		       uint8_t **bytes)
{
	if (!(*bytes = malloc(r->n ? 4 * r->n : 1)))
		return ARPG_ENOMEM;
	for (size_t i = 0; i < r->n; i++) {
		uint32_t u;

		memcpy(&u, &r->data[i], 4);
		arpg_le32_put(*bytes + 4 * i, u);
	}
	*h = (struct held){ t, t->has_raw_data, t->raw_data, t->n_float_data, t->float_data };
	t->has_raw_data = 1;
	t->raw_data = (ProtobufCBinaryData){ 4 * r->n, *bytes };
	t->n_float_data = 0;
	t->float_data = NULL;
	return 0;
}

int arpg_onnx_replace_initializers(const void *buf, size_t len,
				   const struct arpg_onnx_replace *repl, int nrepl,
				   const char *path, char *err, size_t errn)
{
	Onnx__ModelProto *p = onnx__model_proto__unpack(NULL, len, buf);
	struct held *held = calloc((size_t)nrepl + 1, sizeof *held);
	uint8_t **bytes = calloc((size_t)nrepl + 1, sizeof *bytes), *out = NULL;
	int rc = 0, done = 0;
	size_t n;

	if (!p || !p->graph) {
		rc = arpg_errf(err, errn, ARPG_EFORMAT, "not an ONNX model (protobuf parse failed)");
		goto out;
	}
	if (!held || !bytes) {
		rc = ARPG_ENOMEM;
		goto out;
	}
	for (; done < nrepl; done++) {
		Onnx__TensorProto *t = find_initializer(p->graph, repl[done].name);

		if ((rc = replaceable(t, &repl[done], err, errn)) < 0 ||
		    (rc = replace_one(t, &repl[done], &held[done], &bytes[done])) < 0)
			goto out;
	}
	n = onnx__model_proto__get_packed_size(p);
	if (!(out = malloc(n ? n : 1))) {
		rc = ARPG_ENOMEM;
		goto out;
	}
	onnx__model_proto__pack(p, out);
	rc = arpg_write_file_atomic(path, out, n);
out:
	/* backwards, so that a name given twice ends as unpack made it */
	for (int i = done - 1; i >= 0; i--) {
		held[i].t->has_raw_data = held[i].has_raw;
		held[i].t->raw_data = held[i].raw;
		held[i].t->n_float_data = held[i].n_float;
		held[i].t->float_data = held[i].float_data;
	}
	for (int i = 0; bytes && i <= done && i < nrepl; i++)
		free(bytes[i]);
	if (p)
		onnx__model_proto__free_unpacked(p, NULL);
	free(held);
	free(bytes);
	free(out);
	return rc;
}
