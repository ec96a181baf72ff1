/* onnx_run.c - "arpg-features onnx-run MODEL.onnx -o DIR INPUT.pb...":
 * runs a model once on serialized TensorProto inputs (the ONNX test data
 * format) and writes DIR/output_N.pb.  Float inputs set the input shapes;
 * int64 inputs are bound as constants. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "onnx_run.h"
#include "onnx/onnx.h"
#include "error.h"
#include "fileio.h"
#include "log.h"

static void usage(void)
{
	fprintf(stderr, "usage: arpg-features onnx-run MODEL.onnx -o DIR INPUT.pb...\n");
}

int onnx_run_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct arpg_onnx *m = NULL;
	const char *dir = NULL, *model;
	float **fin = NULL;
	char err[512], path[4096];
	int c, i, nin, rc = 1, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+o:h", opts, NULL)) != -1)
		switch (c) {
		case 'o':
			dir = optarg;
			break;
		case 'h':
			usage();
			return 0;
		default:
			usage();
			return 2;
		}
	/* MODEL may come before or after -o */
	if (optind >= argc) {
		usage();
		return 2;
	}
	model = argv[optind++];
	while (optind < argc && !strcmp(argv[optind], "-o") && optind + 1 < argc) {
		dir = argv[optind + 1];
		optind += 2;
	}
	if (!dir) {
		usage();
		return 2;
	}
	if ((r = arpg_onnx_load_file(&m, model, err, sizeof err)) < 0) {
		arpg_error("%s: %s", model, err);
		return 1;
	}
	nin = argc - optind;
	if (nin != arpg_onnx_ninputs(m)) {
		arpg_error("%s: the model takes %d inputs, %d given", model, arpg_onnx_ninputs(m), nin);
		arpg_onnx_free(m);
		return 2;
	}
	if (!(fin = calloc(nin + 1, sizeof *fin))) {
		arpg_error("out of memory");
		goto out;
	}
	for (i = 0; i < nin; i++) {
		const char *ip = argv[optind + i];
		int64_t dims[ARPG_ONNX_MAXRANK], *i64 = NULL;
		void *buf;
		size_t len;
		int rank;
		if ((r = arpg_read_file(ip, 0, &buf, &len)) < 0) {
			arpg_report(ip, r, r == ARPG_EIO ? strerror(errno) : NULL);
			goto out;
		}
		r = arpg_onnx_tensor_read(buf, len, &rank, dims, &fin[i], &i64, NULL, 0,
					  err, sizeof err);
		free(buf);
		if (r < 0) {
			arpg_error("%s: %s", ip, err);
			goto out;
		}
		if (i64)
			r = arpg_onnx_bind_int64(m, i, rank, dims, i64, err, sizeof err);
		else
			r = arpg_onnx_set_input_shape(m, i, rank, dims, err, sizeof err);
		free(i64);
		if (r < 0) {
			arpg_error("%s: %s", ip, err);
			goto out;
		}
	}
	/* as arpg-features does for a backbone (arpg-features(1)) */
	arpg_onnx_set_winograd(m, arpg_onnx_winograd_parse(getenv("ARPG_ONNX_WINOGRAD")));
	if ((r = arpg_onnx_prepare(m, 0, err, sizeof err)) < 0 ||
	    (r = arpg_onnx_run(m, 1, (const float *const *)fin, err, sizeof err)) < 0) {
		arpg_error("%s: %s", model, err);
		goto out;
	}
	if (arpg_mkdir_p(dir) < 0) {
		arpg_report(dir, ARPG_EIO, strerror(errno));
		goto out;
	}
	for (i = 0; i < arpg_onnx_noutputs(m); i++) {
		struct arpg_onnx_tensor t;
		arpg_onnx_output(m, i, &t);
		snprintf(path, sizeof path, "%s/output_%d.pb", dir, i);
		if (arpg_onnx_tensor_write(path, t.name, t.rank, t.dims, t.data) < 0) {
			arpg_error("%s: cannot write", path);
			goto out;
		}
	}
	rc = 0;
out:
	for (i = 0; fin && i < nin; i++)
		free(fin[i]);
	free(fin);
	arpg_onnx_free(m);
	return rc;
}
