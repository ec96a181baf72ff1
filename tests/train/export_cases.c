/* export_cases - models of many configurations, every parameter drawn at
 * random (LayerNorm's and the attention vectors' too, which a fresh model
 * holds at 1, 0 and small values), written as ONNX by train/export.c, with
 * inputs and the logits of model_forward, for tests/train/export.sh to
 * run through onnxruntime (and arpg's engine) and compare.
 *
 *   export_cases DIR
 *
 * For each case NAME (one per line on stdout): DIR/NAME.onnx, DIR/NAME.ref
 * (a line per clip: the C model's logits, tab-separated), DIR/NAME.engine
 * (the same of arpg's engine running the exported file; missing, and a
 * message on stderr, when it cannot) and
 * DIR/NAME/K/app.npy and patch.npy for clip K of 3 (float32 .npy, one
 * clip each: (T, Da) and (T, N, Dp), the input of a modality the model
 * does not use included); DIR is made if missing.  Exit status 0, or 1
 * with a message.
 */
#include "error.h"
#include "export.h"
#include "layers.h"
#include "model.h"
#include "npy.h"
#include "onnx/onnx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { CLIPS = 3 };

static const struct kase {
	const char *name;
	int T, G, Dp, Da, D, H, C, rel_layers, fusion_layers, trs, edges, fusion, modality;
} CASES[] = {
	{ "default", 6, 3, 8, 10, 16, 4, 3, 2, 1, 2, EDGE_SELF | EDGE_ADJ | EDGE_SYM, FUSION_GAT, MOD_BOTH },
	{ "app", 6, 3, 8, 10, 16, 4, 3, 2, 1, 2, EDGE_SELF | EDGE_ADJ | EDGE_SYM, FUSION_GAT, MOD_APP },
	{ "rel", 6, 3, 8, 10, 16, 4, 3, 2, 1, 2, EDGE_SELF | EDGE_ADJ | EDGE_SYM, FUSION_GAT, MOD_REL },
	{ "concat", 6, 3, 8, 10, 16, 4, 3, 2, 1, 2, EDGE_SELF | EDGE_ADJ | EDGE_SYM, FUSION_CONCAT, MOD_BOTH },
	{ "trs_all", 6, 3, 8, 10, 16, 4, 3, 2, 1, -1, EDGE_SELF | EDGE_ADJ | EDGE_SYM, FUSION_GAT, MOD_BOTH },
	{ "trs0", 5, 2, 8, 10, 16, 2, 4, 1, 2, 0, EDGE_ADJ, FUSION_GAT, MOD_BOTH },
	{ "adj8", 4, 4, 6, 5, 24, 3, 2, 2, 1, 1, EDGE_SELF | EDGE_ADJ8, FUSION_GAT, MOD_BOTH },
	/* the centre column of an odd grid has no edge of its own: a self-loop */
	{ "sym_only", 4, 3, 6, 5, 16, 4, 3, 1, 1, 2, EDGE_SYM, FUSION_GAT, MOD_REL },
	{ "deep", 3, 2, 4, 4, 8, 1, 2, 0, 3, 1, EDGE_SELF | EDGE_ADJ, FUSION_GAT, MOD_BOTH },
	{ "no_layers", 3, 2, 4, 4, 8, 2, 2, 0, 0, 1, EDGE_SELF, FUSION_GAT, MOD_BOTH },
	{ "grid1", 4, 1, 4, 6, 16, 8, 7, 2, 1, 1, EDGE_SELF | EDGE_ADJ | EDGE_SYM, FUSION_GAT, MOD_BOTH },
};

static void normal(float *p, size_t n, double sd, uint64_t *rng)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (float)(rng_normal(rng) * sd);
}

/* Runs the exported model path on arpg's engine (common/onnx) over the
 * clips' inputs, and writes its logits to out as the .ref file is. */
static int run_engine(const char *path, const struct kase *k, const float *app,
		      const float *patch, const char *out, char *err, size_t errn)
{
	struct arpg_onnx *e = NULL;
	struct arpg_onnx_tensor t;
	const float *in[2];
	int rc, ni = 0;
	FILE *f;

	if (k->modality != MOD_REL)
		in[ni++] = app;
	if (k->modality != MOD_APP)
		in[ni++] = patch;
	if ((rc = arpg_onnx_load_file(&e, path, err, errn)) < 0 ||
	    (rc = arpg_onnx_prepare(e, CLIPS, err, errn)) < 0 ||
	    (rc = arpg_onnx_run(e, CLIPS, in, err, errn)) < 0 ||
	    (rc = arpg_onnx_output(e, 0, &t)) < 0)
		goto out;
	if (!(f = fopen(out, "w"))) {
		rc = arpg_errf(err, errn, ARPG_EIO, "%s: cannot write it", out);
		goto out;
	}
	for (int b = 0; b < CLIPS; b++)
		for (int j = 0; j < k->C; j++)
			fprintf(f, "%.9g%c", t.data[b * k->C + j], j + 1 < k->C ? '\t' : '\n');
	if (fclose(f))
		rc = arpg_errf(err, errn, ARPG_EIO, "%s: cannot write it", out);
out:
	arpg_onnx_free(e);
	return rc;
}

static int write_case(const char *dir, const struct kase *k, uint64_t seed)
{
	struct model_config c;
	struct model *m = NULL;
	int N = k->G * k->G, rc = 0;
	size_t na = (size_t)CLIPS * k->T * k->Da, np = (size_t)CLIPS * k->T * N * k->Dp;
	float *app = malloc(sizeof *app * na), *patch = malloc(sizeof *patch * np);
	float logits[CLIPS * 8];
	char path[4096], err[256] = "";
	uint64_t rng = seed;
	FILE *f;

	model_config_default(&c);
	c.T = k->T, c.G = k->G, c.Dp = k->Dp, c.Da = k->Da, c.D = k->D, c.H = k->H, c.C = k->C;
	c.rel_layers = k->rel_layers, c.fusion_layers = k->fusion_layers, c.trs = k->trs;
	c.edges = k->edges, c.fusion = k->fusion, c.modality = k->modality;
	if (!app || !patch || (rc = model_create(&m, &c, CLIPS, seed)) < 0)
		goto out;
	{
		float *p = model_params(m);

		for (size_t i = 0; i < model_nparams(m); i++)
			p[i] += (float)(rng_normal(&rng) * 0.3);
	}
	normal(app, na, 1.0, &rng);
	normal(patch, np, 1.0, &rng);
	if ((rc = model_forward(m, &(struct model_batch){ .B = CLIPS, .app = app, .patch = patch },
				0, &rng, logits, NULL)) < 0)
		goto out;
	snprintf(path, sizeof path, "%s/%s.onnx", dir, k->name);
	if ((rc = export_onnx(m, "a,b,c,d,e,f,g", path, err, sizeof err)) < 0)
		goto out;
	{
		char out[4096];

		snprintf(out, sizeof out, "%s/%s.engine", dir, k->name);
		if (run_engine(path, k, app, patch, out, err, sizeof err) < 0)
			fprintf(stderr, "export_cases: %s: arpg's engine: %s\n", k->name, err);
		*err = 0;
	}
	snprintf(path, sizeof path, "%s/%s.ref", dir, k->name);
	if (!(f = fopen(path, "w"))) {
		rc = ARPG_EIO;
		goto out;
	}
	for (int b = 0; b < CLIPS; b++)
		for (int j = 0; j < k->C; j++)
			fprintf(f, "%.9g%c", logits[b * k->C + j], j + 1 < k->C ? '\t' : '\n');
	if (fclose(f))
		rc = ARPG_EIO;
	for (int b = 0; b < CLIPS && rc == 0; b++) {
		snprintf(path, sizeof path, "%s/%s", dir, k->name);
		mkdir(path, 0777);
		snprintf(path, sizeof path, "%s/%s/%d", dir, k->name, b);
		mkdir(path, 0777);
		snprintf(path, sizeof path, "%s/%s/%d/app.npy", dir, k->name, b);
		rc = npy_write_f32(path, app + (size_t)b * k->T * k->Da, 2,
				   (uint32_t[]){ k->T, k->Da });
		snprintf(path, sizeof path, "%s/%s/%d/patch.npy", dir, k->name, b);
		if (rc == 0)
			rc = npy_write_f32(path, patch + (size_t)b * k->T * N * k->Dp, 3,
					   (uint32_t[]){ k->T, N, k->Dp });
	}
out:
	if (rc < 0)
		fprintf(stderr, "export_cases: %s: %s%s%s\n", k->name, arpg_strerror(rc),
			*err ? ": " : "", err);
	model_free(m);
	free(app);
	free(patch);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: export_cases DIR\n");
		return 2;
	}
	mkdir(argv[1], 0777);
	for (size_t i = 0; i < sizeof CASES / sizeof *CASES; i++) {
		if (write_case(argv[1], &CASES[i], 1000 + i) < 0)
			return 1;
		printf("%s\n", CASES[i].name);
	}
	return 0;
}
