/* arpg_onnx_replace_initializers (onnx_build.h, for arpg-train
 * --export-backbone): a model written by the builder comes back with the
 * new values of the initializers named and the others as they were; a
 * name it lacks, another element count, an int64 initializer and bytes
 * that are not a model are refused, and nothing is written then. */
#include "harness.h"
#include "error.h"
#include "fileio.h"
#include "onnx/onnx.h"
#include "onnx/onnx_build.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const float W[6] = { 1, 2, 3, 4, 5, 6 }, B[3] = { 0.5f, -0.5f, 0.25f };

/* y = x W + b, x (B, 2): a model file m.onnx; its bytes into *buf. */
static size_t small_model(void **buf)
{
	struct arpg_onnx_build *b;
	const char *x, *w, *bias, *y;
	char err[200] = "";
	size_t len = 0;

	expect_int(arpg_onnx_build_new(&b, "small", 17), 0);
	x = arpg_onnx_build_input(b, "x", 2, (int64_t[]){ -1, 2 });
	w = arpg_onnx_build_float(b, "w", 2, (int64_t[]){ 2, 3 }, W);
	bias = arpg_onnx_build_float(b, "b", 1, (int64_t[]){ 3 }, B);
	arpg_onnx_build_int64(b, "unused", 1, (int64_t[]){ 1 }, (int64_t[]){ 7 });
	y = arpg_onnx_build_op(b, "MatMul", "xw", NULL, 0, 2, x, w);
	y = arpg_onnx_build_op(b, "Add", "y", NULL, 0, 2, y, bias);
	expect_int(arpg_onnx_build_output(b, y, "y", 2, (int64_t[]){ -1, 3 }), 0);
	expect_int(arpg_onnx_build_write(b, "m.onnx", err, sizeof err), 0);
	arpg_onnx_build_free(b);
	expect_int(arpg_read_file("m.onnx", 0, buf, &len), 0);
	return len;
}

/* The values of initializer name of the model file path into v (n). */
static void values(const char *path, const char *name, float *v, size_t n)
{
	struct arpg_onnx *m = NULL;
	struct arpg_onnx_tensor t;
	char err[200] = "";

	expect_int(arpg_onnx_load_file(&m, path, err, sizeof err), 0);
	if (!m)
		return;
	expect_int(arpg_onnx_static(m, name, &t), 0);
	memcpy(v, t.data, sizeof *v * n);
	arpg_onnx_free(m);
}

ARPG_TEST(replaced_initializers_take_the_new_values_and_others_stay)
{
	void *buf = NULL;
	size_t len = small_model(&buf);
	const float nw[6] = { -1, -2, -3, -4, -5, 1e-42f };
	struct arpg_onnx_replace r = { "w", nw, 6 };
	char err[200] = "";
	float got[6];

	expect_int(arpg_onnx_replace_initializers(buf, len, &r, 1, "r.onnx", err, sizeof err), 0);
	values("r.onnx", "w", got, 6);
	expect(!memcmp(got, nw, sizeof nw));
	values("r.onnx", "b", got, 3);
	expect(!memcmp(got, B, sizeof B));
	/* the old values back: the model means what it meant */
	r.data = W;
	expect_int(arpg_onnx_replace_initializers(buf, len, &r, 1, "o.onnx", err, sizeof err), 0);
	values("o.onnx", "w", got, 6);
	expect(!memcmp(got, W, sizeof W));
	free(buf);
}

ARPG_TEST(bad_replacements_are_refused_and_write_nothing)
{
	void *buf = NULL;
	size_t len = small_model(&buf);
	const float v[6] = { 0 };
	struct arpg_onnx_replace none = { "nope", v, 6 }, count = { "w", v, 5 },
		ints = { "unused", v, 1 };
	char err[200] = "";

	expect_int(arpg_onnx_replace_initializers(buf, len, &none, 1, "x.onnx", err, sizeof err),
		   ARPG_EFORMAT);
	expect(strstr(err, "no initializer named 'nope'") != NULL);
	expect_int(arpg_onnx_replace_initializers(buf, len, &count, 1, "x.onnx", err, sizeof err),
		   ARPG_EFORMAT);
	expect(strstr(err, "holds 6 values, not 5") != NULL);
	expect_int(arpg_onnx_replace_initializers(buf, len, &ints, 1, "x.onnx", err, sizeof err),
		   ARPG_EUNSUPPORTED);
	expect(strstr(err, "not float32") != NULL);
	expect_int(arpg_onnx_replace_initializers("\xff\xff\xff", 3, &count, 1, "x.onnx", err,
						  sizeof err), ARPG_EFORMAT);
	expect(access("x.onnx", F_OK) != 0);
	free(buf);
}
