/* onnx_testmodel.c - small ONNX models built with protobuf-c for the
 * engine's tests: see onnx_testmodel.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "onnx/onnx.h"
#include "onnx/onnx.pb-c.h"
#include "onnx_testmodel.h"

#define TM_MAX 32		/* nodes, initializers, inputs, outputs, attributes per node */

struct tm_value {
	Onnx__ValueInfoProto vi;
	Onnx__TypeProto type;
	Onnx__TypeProto__Tensor tensor;
	Onnx__TensorShapeProto shape;
	Onnx__TensorShapeProto__Dimension dim[ARPG_ONNX_MAXRANK], *dimp[ARPG_ONNX_MAXRANK];
};

struct tm_node {
	Onnx__NodeProto np;
	Onnx__AttributeProto attr[TM_MAX], *attrp[TM_MAX];
	char *in[TM_MAX], *out[TM_MAX];
};

struct tmodel {
	Onnx__ModelProto mp;
	Onnx__GraphProto g;
	Onnx__OperatorSetIdProto ops, *opsp;
	struct tm_node node[TM_MAX];
	Onnx__NodeProto *nodep[TM_MAX];
	Onnx__TensorProto init[TM_MAX], *initp[TM_MAX];
	struct tm_value in[TM_MAX], out[TM_MAX];
	Onnx__ValueInfoProto *inp[TM_MAX], *outp[TM_MAX];
};

static void *room(void *p)
{
	if (!p) {
		fprintf(stderr, "onnx_testmodel: out of memory\n");
		abort();
	}
	return p;
}

static void full(size_t n, const char *what)
{
	if (n >= TM_MAX) {
		fprintf(stderr, "onnx_testmodel: more than %d %s\n", TM_MAX, what);
		abort();
	}
}

struct tmodel *tm_new(int opset)
{
	struct tmodel *t = room(calloc(1, sizeof *t));

	onnx__model_proto__init(&t->mp);
	onnx__graph_proto__init(&t->g);
	onnx__operator_set_id_proto__init(&t->ops);
	t->ops.domain = "", t->ops.has_version = 1, t->ops.version = opset;
	t->opsp = &t->ops;
	t->mp.has_ir_version = 1, t->mp.ir_version = 7;
	t->mp.n_opset_import = 1, t->mp.opset_import = &t->opsp;
	t->mp.graph = &t->g;
	t->g.name = "t";
	t->g.node = t->nodep, t->g.initializer = t->initp;
	t->g.input = t->inp, t->g.output = t->outp;
	return t;
}

static void value(struct tm_value *v, const char *name, int rank, const int64_t *dims)
{
	int i;

	onnx__value_info_proto__init(&v->vi);
	onnx__type_proto__init(&v->type);
	onnx__type_proto__tensor__init(&v->tensor);
	onnx__tensor_shape_proto__init(&v->shape);
	v->vi.name = room(strdup(name));
	v->vi.type = &v->type;
	v->type.value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
	v->type.tensor_type = &v->tensor;
	v->tensor.has_elem_type = 1, v->tensor.elem_type = 1;
	if (!dims && !rank)
		return;
	v->tensor.shape = &v->shape;
	v->shape.n_dim = rank, v->shape.dim = v->dimp;
	for (i = 0; i < rank; i++) {
		onnx__tensor_shape_proto__dimension__init(&v->dim[i]);
		v->dimp[i] = &v->dim[i];
		if (dims) {
			v->dim[i].value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
			v->dim[i].dim_value = dims[i];
		} else {
			v->dim[i].value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
			v->dim[i].dim_param = "n";
		}
	}
}

void tm_input(struct tmodel *t, const char *name, int rank, const int64_t *dims)
{
	full(t->g.n_input, "inputs");
	value(&t->in[t->g.n_input], name, rank, dims);
	t->inp[t->g.n_input] = &t->in[t->g.n_input].vi;
	t->g.n_input++;
}

void tm_output(struct tmodel *t, const char *name, int rank, const int64_t *dims)
{
	full(t->g.n_output, "outputs");
	value(&t->out[t->g.n_output], name, rank, dims);
	t->outp[t->g.n_output] = &t->out[t->g.n_output].vi;
	t->g.n_output++;
}

static Onnx__TensorProto *tensor(struct tmodel *t, const char *name, int rank,
				 const int64_t *dims, int dtype, const void *v, size_t es)
{
	Onnx__TensorProto *p;
	size_t n = 1;
	int i;

	full(t->g.n_initializer, "initializers");
	p = &t->init[t->g.n_initializer];
	t->initp[t->g.n_initializer++] = p;
	onnx__tensor_proto__init(p);
	p->name = room(strdup(name));
	p->n_dims = rank;
	p->dims = room(malloc((rank + 1) * sizeof *p->dims));
	for (i = 0; i < rank; i++)
		n *= p->dims[i] = dims[i];
	p->has_data_type = 1, p->data_type = dtype;
	p->has_raw_data = 1;
	p->raw_data.len = n * es;
	p->raw_data.data = room(malloc(n * es + 1));
	memcpy(p->raw_data.data, v, n * es);
	return p;
}

void tm_init(struct tmodel *t, const char *name, int rank, const int64_t *dims, const float *v)
{
	tensor(t, name, rank, dims, 1, v, sizeof *v);
}

void tm_init_i64(struct tmodel *t, const char *name, int rank, const int64_t *dims,
		 const int64_t *v)
{
	tensor(t, name, rank, dims, 7, v, sizeof *v);
}

/* "a,b,,c" into names (empty ones kept); returns the count */
static size_t split(char **names, const char *list)
{
	size_t n = 0;
	const char *s = list, *e;

	if (!*list)
		return 0;
	for (;;) {
		full(n, "names");
		e = strchr(s, ',');
		names[n++] = room(strndup(s, e ? (size_t)(e - s) : strlen(s)));
		if (!e)
			return n;
		s = e + 1;
	}
}

void tm_node(struct tmodel *t, const char *op, const char *name, const char *ins,
	     const char *outs)
{
	struct tm_node *n;

	full(t->g.n_node, "nodes");
	n = &t->node[t->g.n_node];
	t->nodep[t->g.n_node++] = &n->np;
	onnx__node_proto__init(&n->np);
	n->np.op_type = room(strdup(op));
	n->np.name = room(strdup(name));
	n->np.n_input = split(n->in, ins);
	n->np.input = n->in;
	n->np.n_output = split(n->out, outs);
	n->np.output = n->out;
	n->np.attribute = n->attrp;
}

static Onnx__AttributeProto *attr(struct tmodel *t, const char *name,
				  Onnx__AttributeProto__AttributeType type)
{
	struct tm_node *n = &t->node[t->g.n_node - 1];
	Onnx__AttributeProto *a;

	full(n->np.n_attribute, "attributes");
	a = &n->attr[n->np.n_attribute];
	n->attrp[n->np.n_attribute++] = a;
	onnx__attribute_proto__init(a);
	a->name = room(strdup(name));
	a->has_type = 1, a->type = type;
	return a;
}

void tm_int(struct tmodel *t, const char *name, int64_t v)
{
	Onnx__AttributeProto *a = attr(t, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);

	a->has_i = 1, a->i = v;
}

void tm_ints(struct tmodel *t, const char *name, int n, const int64_t *v)
{
	Onnx__AttributeProto *a = attr(t, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);

	a->n_ints = n;
	a->ints = room(malloc((n + 1) * sizeof *a->ints));
	memcpy(a->ints, v, n * sizeof *v);
}

void tm_float(struct tmodel *t, const char *name, float v)
{
	Onnx__AttributeProto *a = attr(t, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);

	a->has_f = 1, a->f = v;
}

void tm_string(struct tmodel *t, const char *name, const char *v)
{
	Onnx__AttributeProto *a = attr(t, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);

	a->has_s = 1;
	a->s.data = (uint8_t *)room(strdup(v));
	a->s.len = strlen(v);
}

static void tm_free(struct tmodel *t)
{
	size_t i, j;

	for (i = 0; i < t->g.n_node; i++) {
		struct tm_node *n = &t->node[i];
		free(n->np.op_type);
		free(n->np.name);
		for (j = 0; j < n->np.n_input; j++)
			free(n->in[j]);
		for (j = 0; j < n->np.n_output; j++)
			free(n->out[j]);
		for (j = 0; j < n->np.n_attribute; j++) {
			free(n->attr[j].name);
			free(n->attr[j].ints);
			free(n->attr[j].s.data);
		}
	}
	for (i = 0; i < t->g.n_initializer; i++) {
		free(t->init[i].name);
		free(t->init[i].dims);
		free(t->init[i].raw_data.data);
	}
	for (i = 0; i < t->g.n_input; i++)
		free(t->in[i].vi.name);
	for (i = 0; i < t->g.n_output; i++)
		free(t->out[i].vi.name);
	free(t);
}

uint8_t *tm_pack(struct tmodel *t, size_t *len)
{
	uint8_t *buf;

	*len = onnx__model_proto__get_packed_size(&t->mp);
	buf = room(malloc(*len + 1));
	onnx__model_proto__pack(&t->mp, buf);
	tm_free(t);
	return buf;
}

int tm_load(struct tmodel *t, struct arpg_onnx **m, char *err, size_t errn)
{
	size_t len;
	uint8_t *buf = tm_pack(t, &len);
	int rc;

	err[0] = 0;
	rc = arpg_onnx_load(m, buf, len, err, errn);
	free(buf);
	return rc;
}

int tm_prepare(struct tmodel *t, int batch, struct arpg_onnx **m, char *err, size_t errn)
{
	int rc = tm_load(t, m, err, errn);

	if (rc == 0)
		rc = arpg_onnx_prepare(*m, batch, err, errn);
	if (rc)
		arpg_test_note("%s", err);
	return rc;
}

void tm_random(float *v, int64_t n, float lo, float hi, unsigned *seed)
{
	int64_t i;

	for (i = 0; i < n; i++) {
		*seed = *seed * 1103515245u + 12345u;
		v[i] = lo + (hi - lo) * (float)((*seed >> 8) & 0xffff) / 65536.0f;
	}
}

void tm_conv_ref(double *y, const float *x, const float *w, const float *b,
		 int N, int C, int H, int W, int M, int k, int st, int pad)
{
	int OH = (H + 2 * pad - k) / st + 1, OW = (W + 2 * pad - k) / st + 1;
	int n, o, c, oy, ox, ky, kx;

	for (n = 0; n < N; n++)
		for (o = 0; o < M; o++)
			for (oy = 0; oy < OH; oy++)
				for (ox = 0; ox < OW; ox++) {
					double acc = b[o];
					for (c = 0; c < C; c++)
						for (ky = 0; ky < k; ky++)
							for (kx = 0; kx < k; kx++) {
								int iy = oy * st - pad + ky, ix = ox * st - pad + kx;
								if (iy < 0 || iy >= H || ix < 0 || ix >= W)
									continue;
								acc += (double)w[((o * C + c) * k + ky) * k + kx] *
									x[((n * C + c) * H + iy) * W + ix];
							}
					y[((n * M + o) * OH + oy) * OW + ox] = acc;
				}
}

float tm_conv_w[3 * 2 * 3 * 3], tm_conv_b[3];

uint8_t *tm_conv_relu(enum tm_defect d, size_t *len)
{
	Onnx__StringStringEntryProto loc = ONNX__STRING_STRING_ENTRY_PROTO__INIT, *locp = &loc;
	int64_t xd[4] = { 1, 2, 5, 5 }, yd[4] = { 1, 3, 3, 3 }, wd[4] = { 3, 2, 3, 3 };
	int64_t bd[1] = { 3 }, pads[4] = { 1, 1, 1, 1 }, strides[2] = { 2, 2 };
	struct tmodel *t = tm_new(13);
	Onnx__TensorProto *w;
	uint8_t *buf;

	if (d == TM_HUGE_INPUT)
		xd[3] = (int64_t)1 << 40;
	if (d == TM_DECL_MISMATCH)
		yd[1] = 4;
	if (d == TM_BAD_CHANNELS)
		wd[1] = 1;
	tm_input(t, "x", 4, xd);
	tm_output(t, "y", 4, yd);
	tm_init(t, "W", 4, wd, tm_conv_w);
	tm_init(t, "B", 1, bd, tm_conv_b);
	/* conv reads relu's output, relu reads conv's */
	tm_node(t, d == TM_UNSUPPORTED_OP ? "Softmax2d" : "Conv", "conv0",
		d == TM_CYCLE ? "y,W,B" : d == TM_MISSING_INIT ? "x,W,bias_missing" : "x,W,B", "c");
	if (d != TM_UNSUPPORTED_OP) {
		tm_ints(t, "pads", 4, pads);
		if (d == TM_BAD_ATTR)
			tm_float(t, "strides", 2);
		else
			tm_ints(t, "strides", 2, strides);
	}
	tm_node(t, "Relu", "relu0", "c", "y");
	w = &t->init[0];
	if (d == TM_WRONG_TYPE)
		w->data_type = 3;
	if (d == TM_SHORT_DATA)
		w->raw_data.len -= 4;
	if (d == TM_HUGE_INIT)
		w->dims[0] = (int64_t)1 << 40;
	if (d == TM_EXTERNAL) {
		loc.key = "location", loc.value = "weights.bin";
		w->n_external_data = 1, w->external_data = &locp;
		w->has_data_location = 1;
		w->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
	}
	buf = tm_pack(t, len);
	if (d == TM_TRUNCATED)
		*len = *len * 2 / 3;
	return buf;
}

int tm_conv_relu_try(enum tm_defect d, char *err, size_t errn)
{
	struct arpg_onnx *m = NULL;
	size_t len;
	uint8_t *buf = tm_conv_relu(d, &len);
	int rc;

	err[0] = 0;
	rc = arpg_onnx_load(&m, buf, len, err, errn);
	free(buf);
	if (rc == 0)
		rc = arpg_onnx_prepare(m, 0, err, errn);
	arpg_onnx_free(m);
	if (rc)
		arpg_test_note("%s", err);
	return rc;
}
