/* tune_embed - the trainer's own forward of a tuned model's backbone tail,
 * for tests/train/tune_export.sh to compare with onnxruntime and
 * arpg-features on the exported backbone.
 *
 * usage: tune_embed MODEL MAPS.pb OUT.pb [BACKBONE.onnx]
 * MODEL a model file arpg-train --tune-backbone saved; MAPS a serialized
 * TensorProto of stride-8 maps (n, C, H, W); OUT the embeddings (n, E) the
 * tail gives, read as arpg-train --load reads it (tune_backbone_load: the
 * ONNX file BACKBONE.onnx, or the one MODEL names, with MODEL's tuned
 * parameters) and run by tune_forward.  Exit 0, or 1 with a message. */
#include "checkpoint.h"
#include "error.h"
#include "fileio.h"
#include "onnx/onnx.h"
#include "tune_backbone.h"

#include <stdio.h>
#include <stdlib.h>

/* The maps tensor of path into *maps (n, C*H*W), its rank 4 checked. */
static int read_maps(const char *path, float **maps, int64_t *dims, char *err, size_t errn)
{
	void *buf;
	size_t len;
	int64_t *i64 = NULL;
	int rank, rc;

	if ((rc = arpg_read_file(path, 0, &buf, &len)) < 0)
		return arpg_errf(err, errn, rc, "%s: cannot read it", path);
	rc = arpg_onnx_tensor_read(buf, len, &rank, dims, maps, &i64, NULL, 0, err, errn);
	free(buf);
	free(i64);
	if (rc == 0 && (!*maps || rank != 4))
		rc = arpg_errf(err, errn, ARPG_EFORMAT, "%s: not a float tensor (n, C, H, W)", path);
	return rc;
}

int main(int argc, char **argv)
{
	struct checkpoint ck = { 0 };
	struct tune_backbone bb = { 0 };
	float *maps = NULL, *emb = NULL;
	int64_t dims[8], out[2];
	char err[1024] = "";
	int rc;

	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: tune_embed MODEL MAPS.pb OUT.pb [BACKBONE.onnx]\n");
		return 2;
	}
	if ((rc = checkpoint_load(&ck, argv[1], err, sizeof err)) < 0 ||
	    (rc = read_maps(argv[2], &maps, dims, err, sizeof err)) < 0 ||
	    (rc = tune_backbone_load(&bb, &ck, argc == 5 ? argv[4] : NULL, (int)dims[0], err,
				     sizeof err)) < 0)
		goto out;
	if ((size_t)(dims[1] * dims[2] * dims[3]) != tune_in_dim(bb.t)) {
		rc = arpg_errf(err, sizeof err, ARPG_EFORMAT, "%s: maps of another shape", argv[2]);
		goto out;
	}
	out[0] = dims[0];
	out[1] = tune_out_dim(bb.t);
	if (!(emb = malloc(sizeof *emb * (size_t)(out[0] * out[1])))) {
		rc = arpg_errf(err, sizeof err, ARPG_ENOMEM, "out of memory");
		goto out;
	}
	tune_forward(bb.t, maps, (int)dims[0], emb);
	if ((rc = arpg_onnx_tensor_write(argv[3], "embedding", 2, out, emb)) < 0)
		arpg_errf(err, sizeof err, rc, "%s: cannot write it", argv[3]);
out:
	if (rc < 0)
		fprintf(stderr, "tune_embed: %s\n", err);
	tune_backbone_free(&bb);
	checkpoint_free(&ck);
	free(maps);
	free(emb);
	return rc < 0;
}
