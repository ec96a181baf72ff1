/* Unit tests of the CNN face detectors (detector.c, yunet.c, scrfd.c): the
 * decoders and suppression rules on outputs made by hand, and the models
 * refused at load with the reason (built with tests/onnx's model builder).
 * The real YuNet against a numpy port of OpenCV's decoder is
 * tests/face/detector_ref.sh. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "face/detector.h"
#include "face/detector_impl.h"
#include "harness.h"
#include "onnx_testmodel.h"

/* A 32x32 YuNet input: 16, 4 and 1 cells at strides 8, 16, 32; every
 * cell scores 0 but cell (1, 2) of stride 8 (0.81 x 1.2, clamped: 0.9). */
ARPG_TEST(yunet_decodes_as_facedetectoryn)
{
	static const int st[3] = { 8, 16, 32 };
	float cls[3][16] = { { 0 } }, obj[3][16] = { { 0 } }, bbox[3][64] = { { 0 } };
	float kps[3][160] = { { 0 } };
	const float *out[4][DET_MAX_LEVELS];
	struct det_vec v = { 0 };
	int l, k;

	for (l = 0; l < 3; l++)
		out[0][l] = cls[l], out[1][l] = obj[l], out[2][l] = bbox[l], out[3][l] = kps[l];
	cls[0][6] = 0.81f, obj[0][6] = 1.2f;	/* row 1, column 2 of 4 */
	bbox[0][24] = 0.5f, bbox[0][25] = 0.25f, bbox[0][26] = logf(2), bbox[0][27] = 0;
	for (k = 0; k < 10; k++)
		kps[0][60 + k] = 0.1f * k;
	expect_int(yunet_decode(out, st, 3, 32, 32, 0.5f, &v), 0);
	expect_int(v.n, 1);
	if (v.n == 1) {
		expect_near(v.d[0].score, 0.9, 1e-6);
		expect_near(v.d[0].box[0], 20 - 8, 1e-5);	/* centre (2 + 0.5) * 8 */
		expect_near(v.d[0].box[1], 10 - 4, 1e-5);	/* (1 + 0.25) * 8 */
		expect_near(v.d[0].box[2], 16, 1e-5);
		expect_near(v.d[0].box[3], 8, 1e-5);
		expect_near(v.d[0].kps[0], (2 + 0.0) * 8, 1e-5);
		expect_near(v.d[0].kps[9], (1 + 0.9) * 8, 1e-5);
	}
	free(v.d);
}

static void add(struct det_vec *v, float score, float x, float y, float w, float h)
{
	struct arpg_face_det *f = det_vec_add(v);

	f->score = score;
	f->box[0] = x, f->box[1] = y, f->box[2] = w, f->box[3] = h;
}

/* NMSBoxes on int rectangles: above the score strictly, best first, equal
 * scores in their order, IoU above the threshold suppressed, top_k. */
ARPG_TEST(yunet_nms_as_nmsboxes)
{
	struct det_vec v = { 0 };

	add(&v, 0.5f, 0, 0, 10, 10);		/* at the threshold: dropped */
	add(&v, 0.8f, 99.9f, 0, 10.9f, 10);	/* as ints 99 0 10 10: IoU 6/14 with
						 * the next; 0.53 in floats */
	add(&v, 0.95f, 103, 0, 10, 10);
	add(&v, 0.8f, 200, 0, 10, 10);		/* equal score: after the first 0.8 */
	add(&v, 0.7f, 106, 0, 10, 10);		/* IoU 7/13 with 103: suppressed */
	expect_int(yunet_nms(&v, 0.5f, 0.45f, 0), 0);
	expect_int(v.n, 3);
	if (v.n == 3) {
		expect_near(v.d[0].box[0], 103, 0);
		expect_near(v.d[1].box[0], 99.9, 1e-5);
		expect_near(v.d[2].box[0], 200, 0);
	}
	expect_int(yunet_nms(&v, 0.5f, 0.45f, 2), 0);
	expect_int(v.n, 2);
	free(v.d);
}

/* A frame without candidates, and one whose candidates all score at or
 * below the threshold: nothing kept, and no copy from a NULL array (the
 * sanitizer build stopped here once). */
ARPG_TEST(nms_of_nothing_keeps_nothing)
{
	struct det_vec v = { 0 };

	expect_int(yunet_nms(&v, 0.5f, 0.45f, 0), 0);
	expect_int(v.n, 0);
	expect_int(scrfd_nms(&v, 0.4f), 0);
	expect_int(v.n, 0);
	add(&v, 0.5f, 0, 0, 10, 10);
	add(&v, 0.2f, 50, 0, 10, 10);
	expect_int(yunet_nms(&v, 0.5f, 0.45f, 0), 0);
	expect_int(v.n, 0);
	free(v.d);
}

/* Two anchors per cell at one level of an 16x8 input (stride 8: 2x1
 * cells): the anchor centres, distances times the stride, the division by
 * det_scale; then the NMS with +1 areas. */
ARPG_TEST(scrfd_decodes_and_suppresses_as_scrfd_py)
{
	static const int st[1] = { 8 };
	float score[4] = { 0.2f, 0.6f, 0.7f, 0.9f }, bbox[16] = { 0 }, kps[40] = { 0 };
	const float *sc[1] = { score }, *bb[1] = { bbox }, *kp[1] = { kps };
	struct det_vec v = { 0 };
	int k;

	for (k = 0; k < 16; k++)
		bbox[k] = 1 + 0.25f * (k % 4);
	for (k = 0; k < 40; k++)
		kps[k] = k % 2 ? -0.5f : 0.5f;
	expect_int(scrfd_decode(sc, bb, kp, st, 1, 2, 16, 8, 0.5f, 0.5, &v), 0);
	expect_int(v.n, 3);
	if (v.n == 3) {
		/* row 1: anchor 1 of cell (0, 0): centre (0, 0) */
		expect_near(v.d[0].score, 0.6, 1e-6);
		expect_near(v.d[0].box[0], (0 - 8) / 0.5, 1e-5);
		expect_near(v.d[0].box[3], (0 + 1.75 * 8) / 0.5, 1e-5);
		expect_near(v.d[0].kps[1], (0 - 4) / 0.5, 1e-5);
		/* row 3: anchor 1 of cell (0, 1): centre (8, 0) */
		expect_near(v.d[2].box[0], (8 - 8) / 0.5, 1e-5);
		expect_near(v.d[2].kps[8], (8 + 4) / 0.5, 1e-5);
	}
	/* boxes 0..28 and 16..44 (x): overlap 13 x 35 of 29 x 35 + 29 x 35 */
	expect_int(scrfd_nms(&v, 0.4f), 0);
	expect_int(v.n, 1);
	expect_near(v.d[0].score, 0.9, 1e-6);
	free(v.d);
}

/* The model t into the test directory as path, then loaded as a detector:
 * the code, the message in err. */
static int load_as_detector(struct tmodel *t, const char *path, char *err, size_t errn)
{
	struct arpg_detector_options o = { 0 };
	struct arpg_detector *d = NULL;
	size_t len;
	uint8_t *buf = tm_pack(t, &len);
	int rc;

	arpg_test_write_file(path, buf, len);
	free(buf);
	rc = arpg_detector_load(&d, path, &o, err, errn);
	arpg_detector_free(d);
	arpg_test_note("%s", err);
	return rc;
}

/* An image classifier: GlobalAveragePool, Flatten, Gemm to 10 classes. */
static struct tmodel *classifier(void)
{
	static float w[30];
	struct tmodel *t = tm_new(13);

	tm_input(t, "image", 4, (int64_t[]){ 1, 3, -1, -1 });
	tm_init(t, "fc.weight", 2, (int64_t[]){ 10, 3 }, w);
	tm_node(t, "GlobalAveragePool", "gap", "image", "g");
	tm_node(t, "Flatten", "flat", "g", "f");
	tm_node(t, "Gemm", "fc", "f,fc.weight", "logits");
	tm_int(t, "transB", 1);
	tm_output(t, "logits", 0, NULL);
	return t;
}

/* Twelve outputs with YuNet's names whose shapes are not YuNet's. */
static struct tmodel *yunet_names_wrong_shapes(void)
{
	static const char *const kind[4] = { "cls", "obj", "bbox", "kps" };
	struct tmodel *t = tm_new(13);
	char name[16];
	int k, s;

	tm_input(t, "input", 4, (int64_t[]){ 1, 3, -1, -1 });
	for (k = 0; k < 4; k++)
		for (s = 8; s <= 32; s *= 2) {
			snprintf(name, sizeof name, "%s_%d", kind[k], s);
			tm_node(t, "Relu", name, "input", name);
			tm_output(t, name, 0, NULL);
		}
	return t;
}

ARPG_TEST(detector_refuses_models_it_cannot_decode)
{
	char err[1024];
	FILE *f;

	expect_err(load_as_detector(classifier(), "classifier.onnx", err, sizeof err),
		   ARPG_EUNSUPPORTED, err, "output is 'logits' (1x10)");
	expect(strstr(err, "classifier.onnx: not a face detector") == err);
	expect(strstr(err, "YuNet has 12") && strstr(err, "SCRFD 6 or 9"));
	expect_err(load_as_detector(yunet_names_wrong_shapes(), "names.onnx", err, sizeof err),
		   ARPG_EUNSUPPORTED, err, "output 'cls_8' is not 1x400x1");
	expect(strstr(err, "'cls_8' (1x3x160x160)") != NULL);
	/* truncated: the first half of a model */
	f = fopen("half.onnx", "wb");
	{
		size_t len;
		uint8_t *buf = tm_pack(classifier(), &len);
		fwrite(buf, 1, len / 2, f);
		free(buf);
	}
	fclose(f);
	{
		struct arpg_detector_options o = { 0 };
		struct arpg_detector *d = NULL;
		expect_err(arpg_detector_load(&d, "half.onnx", &o, err, sizeof err), ARPG_EFORMAT,
			   err, "half.onnx: not an ONNX model, or truncated");
		expect_err(arpg_detector_load(&d, "absent.onnx", &o, err, sizeof err), ARPG_ENOENT,
			   err, "absent.onnx");
		o.det_size = 100;
		expect_int(arpg_detector_load(&d, "half.onnx", &o, err, sizeof err), ARPG_EINVAL);
		expect(d == NULL);
	}
}

/* A model declaring a 4 GiB tensor (an input of 1x4x16384x16384 floats)
 * is refused by the engine's memory limit, not allocated. */
ARPG_TEST(detector_refuses_a_huge_declared_tensor)
{
	struct tmodel *t = tm_new(13);
	char err[1024];

	tm_input(t, "input", 4, (int64_t[]){ 1, 3, 16384, 16384 });
	tm_node(t, "Relu", "r", "input", "y");
	tm_node(t, "Concat", "c", "y,input", "z");
	tm_int(t, "axis", 1);
	tm_output(t, "z", 0, NULL);
	expect_err(load_as_detector(t, "huge.onnx", err, sizeof err), ARPG_ERANGE, err,
		   "huge.onnx: activations need");
}
