/* onnx_graph.c - a read-only view of a loaded graph, node by node, for
 * programs that take a model apart (arpg-train --tune-backbone reads the
 * layers after the stride-8 map as parameters).  See onnx.h. */
#include "onnx.h"
#include "onnx_impl.h"
#include "error.h"

#include <string.h>

int arpg_onnx_nnodes(const struct arpg_onnx *m) { return m->nn; }

int arpg_onnx_node_info(const struct arpg_onnx *m, int i, struct arpg_onnx_node *v)
{
	const struct onx_node *n;

	if (i < 0 || i >= m->nn)
		return ARPG_EINVAL;
	n = &m->nodes[m->order[i]];
	memset(v, 0, sizeof *v);
	v->op = n->opname;
	v->name = n->name ? n->name : "";
	v->nin = n->nin < ARPG_ONNX_NODE_MAXIN ? n->nin : ARPG_ONNX_NODE_MAXIN;
	v->nout = n->nout < 3 ? n->nout : 3;
	for (int k = 0; k < v->nin; k++)
		v->in[k] = n->in[k] >= 0 ? m->t[n->in[k]].name : NULL;
	for (int k = 0; k < v->nout; k++)
		v->out[k] = n->out[k] >= 0 ? m->t[n->out[k]].name : NULL;
	memcpy(v->kernel, n->kernel, sizeof v->kernel);
	memcpy(v->stride, n->stride, sizeof v->stride);
	memcpy(v->dil, n->dil, sizeof v->dil);
	memcpy(v->pad, n->pad, sizeof v->pad);
	v->has_kernel = n->has_kernel;
	v->auto_pad = n->auto_pad != PAD_NOTSET;
	v->group = n->group;
	v->eps = n->eps;
	v->alpha = n->alpha;
	v->beta = n->beta;
	v->trans_a = n->trans_a;
	v->trans_b = n->trans_b;
	v->axis = n->axis;
	return 0;
}

int arpg_onnx_static(const struct arpg_onnx *m, const char *name, struct arpg_onnx_tensor *t)
{
	int i = name ? onx_find(m, name) : -1;

	if (i < 0 || m->t[i].kind != TK_STATIC || !m->t[i].f)
		return ARPG_ENOENT;
	memset(t, 0, sizeof *t);
	t->name = m->t[i].name;
	t->rank = m->t[i].rank;
	memcpy(t->dims, m->t[i].dims, sizeof t->dims);
	t->data = m->t[i].f;
	return 0;
}
