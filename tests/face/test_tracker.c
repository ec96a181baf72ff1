/* Unit tests of tracker.c: model loading errors, the face followed through a
 * clip, neighbours' transforms, the centre-crop fallback; on astronaut.png
 * (python3-skimage) with Debian's models, skipped when they are absent. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "face/align.h"
#include "error.h"
#include "face/tracker.h"
#include "harness.h"
#include "image.h"

#define ASTRONAUT "/usr/lib/python3/dist-packages/skimage/data/astronaut.png"
#define CASCADE "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml"
#define MODEL68 "/usr/share/dlib/shape_predictor_68_face_landmarks.dat"

static struct arpg_face_models *models;	/* loaded once, shared by the tests */
static int models_tried;

__attribute__((destructor)) static void free_models(void)
{
	arpg_face_models_free(models);
}

static struct arpg_face_models *get_models(void)
{
	struct arpg_face_options o;
	char err[512];
	int rc;

	if (!models_tried) {
		models_tried = 1;
		arpg_face_options_default(&o);
		if ((rc = arpg_face_models_load(&models, &o, err, sizeof err)) < 0)
			arpg_test_note("models: %s", err);
	}
	return models;
}

ARPG_TEST(tracker_load_names_a_bad_model)
{
	struct arpg_face_options o;
	struct arpg_face_models *fm = NULL;
	char err[512];

	if (!get_models())
		skip("Debian's cascade or landmark model not installed");
	arpg_face_options_default(&o);
	o.landmarks = "bad.dat";
	expect_int(arpg_test_write_file("bad.dat", "\x01\x01\x81\x88garbage", 11), 0);
	expect_int(arpg_face_models_load(&fm, &o, err, sizeof err), ARPG_EFORMAT);
	expect(fm == NULL);
	expect(strncmp(err, "bad.dat: ", 9) == 0);
	arpg_test_note("%s", err);
	o.landmarks = "absent.dat";
	expect_int(arpg_face_models_load(&fm, &o, err, sizeof err), ARPG_EIO);
	expect(strstr(err, "absent.dat") != NULL);
	/* a cascade given as the landmark model */
	o.landmarks = CASCADE;
	expect_int(arpg_face_models_load(&fm, &o, err, sizeof err), ARPG_EFORMAT);
	arpg_test_note("%s", err);
}

static double iou(const float *a, const struct arpg_rect *b)
{
	double x0 = fmax(a[0], b->x), y0 = fmax(a[1], b->y);
	double x1 = fmin(a[0] + a[2], b->x + b->w), y1 = fmin(a[1] + a[3], b->y + b->h);
	double in = (x1 > x0 && y1 > y0) ? (x1 - x0) * (y1 - y0) : 0;

	return in / (a[2] * a[3] + (double)b->w * b->h - in);
}

ARPG_TEST(tracker_follows_the_consistent_face)
{
	struct arpg_face_models *fm = get_models();
	struct arpg_image im, frames[6], crops[6];
	struct arpg_frame_row out[6];
	char err[256];
	/* OpenCV's box on astronaut.png; a small false one; a big one-off */
	struct arpg_rect face = { 177, 66, 95, 95 }, small = { 20, 400, 40, 40 },
			 big = { 300, 300, 150, 150 };
	struct arpg_rect f0[2], f1[1], f3[2], f4[1];
	struct arpg_rect *dets[6] = { f0, f1, NULL, f3, f4, NULL };
	int ndet[6] = { 2, 1, 0, 2, 1, 0 }, i, rc;
	static const int want[6] = { 1, 1, 0, 1, 1, 0 };

	if (!fm)
		skip("Debian's cascade or landmark model not installed");
	if (arpg_png_read(&im, ASTRONAUT, 3, err, sizeof err) < 0)
		skip(ASTRONAUT " not installed (python3-skimage)");
	f0[0] = small, f0[1] = face;
	f1[0] = face;
	f1[0].x += 3;	/* jitter keeps the track */
	f3[0] = big, f3[1] = face;
	f4[0] = face;
	for (i = 0; i < 6; i++)
		frames[i] = im;
	rc = arpg_face_align_detections(fm, frames, 6, 112, dets, ndet, crops, out);
	expect_int(rc, 4);
	for (i = 0; i < 6 && rc == 4; i++) {
		expect_int(out[i].detected, want[i]);
		expect_int(crops[i].w, 112);
		expect_int(crops[i].c, 3);
		if (want[i]) {
			expect(iou(out[i].box, &face) > 0.9);
			/* the eyes land near the template's */
			expect_near(out[i].M[0] * (out[i].landmarks[72] + out[i].landmarks[78]) / 2 +
				    out[i].M[1] * (out[i].landmarks[73] + out[i].landmarks[79]) / 2 +
				    out[i].M[2], 38.3, 4);
		} else {
			expect(out[i].box[2] == 0 && out[i].landmarks[0] == 0);
		}
	}
	/* frame 2 takes frame 1's transform (the earlier of two neighbours),
	 * frame 5 frame 4's */
	expect(memcmp(out[2].M, out[1].M, sizeof out[2].M) == 0);
	expect(memcmp(out[5].M, out[4].M, sizeof out[5].M) == 0);
	expect(memcmp(crops[5].px, crops[4].px, 112 * 112 * 3) == 0);
	for (i = 0; i < 6 && rc >= 0; i++)
		arpg_image_free(&crops[i]);
	arpg_image_free(&im);
}

ARPG_TEST(tracker_no_face_is_a_centre_crop)
{
	struct arpg_face_models *fm = get_models();
	struct arpg_image frames[3], crops[3];
	struct arpg_frame_row out[3];
	int ndet[3] = { 0, 0, 0 }, i;
	double M[6];

	if (!fm)
		skip("Debian's cascade or landmark model not installed");
	for (i = 0; i < 3; i++)
		expect_int(arpg_image_alloc(&frames[i], 160, 120, 3), 0);
	memset(frames[0].px, 90, 160 * 120 * 3);
	expect_int(arpg_face_align_detections(fm, frames, 3, 64, NULL, ndet, crops, out), 0);
	arpg_align_centre(M, 160, 120, 64);
	for (i = 0; i < 3; i++) {
		expect_int(out[i].detected, 0);
		expect(memcmp(out[i].M, M, sizeof M) == 0);
		expect_int(crops[i].w, 64);
	}
	expect_int(crops[0].px[64 * 32 * 3 + 3 * 32], 90);
	/* the real detector finds nothing on flat frames either */
	for (i = 0; i < 3; i++)
		arpg_image_free(&crops[i]);
	expect_int(arpg_face_align_clip(fm, frames, 3, 64, 0, crops, out, NULL, 0), 0);
	for (i = 0; i < 3; i++) {
		arpg_image_free(&crops[i]);
		arpg_image_free(&frames[i]);
	}
}

ARPG_TEST(tracker_detects_the_astronaut)
{
	struct arpg_face_models *fm = get_models();
	struct arpg_image im, crop;
	struct arpg_frame_row out;
	struct arpg_rect face = { 177, 66, 95, 95 };
	char err[256];

	if (!fm)
		skip("Debian's cascade or landmark model not installed");
	if (arpg_png_read(&im, ASTRONAUT, 3, err, sizeof err) < 0)
		skip(ASTRONAUT " not installed (python3-skimage)");
	expect_int(arpg_face_align_clip(fm, &im, 1, 112, 0, &crop, &out, NULL, 0), 1);
	expect_int(out.detected, 1);
	arpg_test_note("box %g %g %g %g (OpenCV: 177 66 95 95)", out.box[0], out.box[1],
		       out.box[2], out.box[3]);
	expect(iou(out.box, &face) >= 0.9);
	arpg_image_free(&crop);
	/* her face's centre is at x 224 of 512: the left person's, not the
	 * right one's */
	expect_int(arpg_face_align_clip(fm, &im, 1, 112, 'l', &crop, &out, NULL, 0), 1);
	expect(iou(out.box, &face) >= 0.9);
	arpg_image_free(&crop);
	expect_int(arpg_face_align_clip(fm, &im, 1, 112, 'r', &crop, &out, NULL, 0), 0);
	expect_int(out.detected, 0);
	arpg_image_free(&crop);
	expect_int(arpg_face_align_clip(fm, &im, 1, 112, 'x', &crop, &out, NULL, 0), ARPG_EINVAL);
	arpg_image_free(&im);
}

/* A copy of src, as a frame decoded again would be: other memory, the
 * same pixels. */
static void copy_image(struct arpg_image *dst, const struct arpg_image *src)
{
	expect_int(arpg_image_alloc(dst, src->w, src->h, src->c), 0);
	memcpy(dst->px, src->px, (size_t)src->w * src->h * src->c);
}

/* 1 if a and b hold the same values, field by field (not their padding). */
static int same_row(const struct arpg_frame_row *a, const struct arpg_frame_row *b)
{
	return a->detected == b->detected && !memcmp(a->box, b->box, sizeof a->box) &&
	       !memcmp(a->landmarks, b->landmarks, sizeof a->landmarks) &&
	       !memcmp(a->M, b->M, sizeof a->M) && a->score == b->score &&
	       !memcmp(a->kps, b->kps, sizeof a->kps) && a->label == b->label;
}

/* The steps of tracker.h, each handed a frame that is freed after it (as
 * clip.c's passes do), give arpg_face_align_clip's rows and crops; a step
 * out of order, a frame of another size or a needed frame missing is
 * ARPG_EINVAL. */
ARPG_TEST(tracker_steps_match_the_clip_in_memory)
{
	struct arpg_face_models *fm = get_models();
	struct arpg_face_clip *t = NULL;
	struct arpg_image im, frames[4], crops[4], f, crop, small;
	struct arpg_frame_row rows[4];
	char err[256];
	int i, rc;

	if (!fm)
		skip("Debian's cascade or landmark model not installed");
	if (arpg_png_read(&im, ASTRONAUT, 3, err, sizeof err) < 0)
		skip(ASTRONAUT " not installed (python3-skimage)");
	/* the face, a black frame (no face: a neighbour's transform), the
	 * face, black */
	expect_int(arpg_image_alloc(&frames[1], im.w, im.h, 3), 0);
	frames[0] = frames[2] = im;
	frames[3] = frames[1];
	expect_int(arpg_face_align_clip(fm, frames, 4, 112, 0, crops, rows, err, sizeof err), 2);

	expect_int(arpg_face_clip_new(&t, fm, 112, 0), 0);
	expect_int(arpg_face_clip_follow(t), ARPG_EINVAL);	/* no frame yet */
	expect_int(arpg_face_clip_fit(t, 0, &im), ARPG_EINVAL);
	for (i = 0; i < 4; i++) {
		copy_image(&f, &frames[i]);
		rc = arpg_face_clip_detect(t, &f, err, sizeof err);
		expect(i % 2 ? rc == 0 : rc >= 1);
		arpg_image_free(&f);
	}
	expect_int(arpg_image_alloc(&small, 64, 48, 3), 0);
	expect_int(arpg_face_clip_detect(t, &small, err, sizeof err), ARPG_EINVAL);
	expect_int(arpg_face_clip_frames(t), 4);
	expect_int(arpg_face_clip_follow(t), 0);
	expect_int(arpg_face_clip_detect(t, &im, err, sizeof err), ARPG_EINVAL);
	expect_int(arpg_face_clip_warp(t, 0, &im, &crop), ARPG_EINVAL);	/* before finish */
	expect_int(arpg_face_clip_needs(t, 0), 1);
	expect_int(arpg_face_clip_needs(t, 1), 0);
	expect_int(arpg_face_clip_fit(t, 0, NULL), ARPG_EINVAL);	/* needed */
	expect_int(arpg_face_clip_fit(t, 0, &small), ARPG_EINVAL);
	expect_int(arpg_face_clip_fit(t, 4, NULL), ARPG_EINVAL);
	/* any order */
	for (i = 3; i >= 0; i--) {
		copy_image(&f, &frames[i]);
		expect_int(arpg_face_clip_fit(t, i, arpg_face_clip_needs(t, i) ? &f : NULL), 0);
		arpg_image_free(&f);
	}
	expect_int(arpg_face_clip_finish(t), 2);
	expect_int(arpg_face_clip_finish(t), ARPG_EINVAL);
	expect(arpg_face_clip_row(t, 4) == NULL);
	for (i = 0; i < 4; i++) {
		copy_image(&f, &frames[i]);
		expect_int(arpg_face_clip_warp(t, i, &f, &crop), 0);
		arpg_image_free(&f);
		expect(same_row(arpg_face_clip_row(t, i), &rows[i]));
		expect(crop.w == 112 && memcmp(crop.px, crops[i].px, 112 * 112 * 3) == 0);
		arpg_image_free(&crop);
		arpg_image_free(&crops[i]);
	}
	expect_int(rows[1].detected, 0);
	expect(memcmp(rows[1].M, rows[0].M, sizeof rows[0].M) == 0);
	expect_int(arpg_face_clip_warp(t, 0, &small, &crop), ARPG_EINVAL);
	arpg_face_clip_free(t);
	expect_int(arpg_face_clip_new(&t, fm, 112, 'x'), ARPG_EINVAL);
	expect(t == NULL);
	arpg_image_free(&small);
	arpg_image_free(&frames[1]);
	arpg_image_free(&im);
}

ARPG_TEST(tracker_smoothing_averages_neighbours)
{
	struct arpg_face_models *fm = get_models(), *fs = NULL;
	struct arpg_face_options o;
	struct arpg_image im, frames[4], crops[4];
	struct arpg_frame_row raw[4], sm[4];
	struct arpg_rect b[4];
	struct arpg_rect *dets[4] = { &b[0], &b[1], &b[2], &b[3] };
	int ndet[4] = { 1, 1, 0, 1 }, i, k;
	char err[512];

	if (!fm)
		skip("Debian's cascade or landmark model not installed");
	if (arpg_png_read(&im, ASTRONAUT, 3, err, sizeof err) < 0)
		skip(ASTRONAUT " not installed (python3-skimage)");
	arpg_face_options_default(&o);
	o.smooth = 1;
	expect_int(arpg_face_models_load(&fs, &o, err, sizeof err), 0);
	for (i = 0; i < 4; i++) {
		struct arpg_rect r = { 177 + 4 * i, 66 - 3 * i, 95 + 2 * i, 95 + 2 * i };
		b[i] = r;
		frames[i] = im;
	}
	expect_int(arpg_face_align_detections(fm, frames, 4, 112, dets, ndet, crops, raw), 3);
	for (i = 0; i < 4; i++)
		arpg_image_free(&crops[i]);
	if (fs) {
		expect_int(arpg_face_align_detections(fs, frames, 4, 112, dets, ndet, crops, sm), 3);
		for (i = 0; i < 4; i++)
			arpg_image_free(&crops[i]);
		/* +-1 frame over detected frames only: 0 <- {0,1}, 1 <- {0,1},
		 * 3 <- {3}; frame 2 (no detection) takes frame 1's smoothed M */
		for (k = 0; k < 6; k++) {
			expect_near(sm[0].M[k], (raw[0].M[k] + raw[1].M[k]) / 2, 1e-9);
			expect_near(sm[1].M[k], (raw[0].M[k] + raw[1].M[k]) / 2, 1e-9);
			expect_near(sm[3].M[k], raw[3].M[k], 1e-12);
			expect_near(sm[2].M[k], sm[1].M[k], 0);
		}
	}
	arpg_face_models_free(fs);
	arpg_image_free(&im);
}

/* A clip with a cut: one face in frames 0-2, another in 3-5, both
 * followed; a small box beside the second, overlapping its span, and a
 * box seen once after it are not. */
ARPG_TEST(tracker_follows_each_shot)
{
	struct arpg_face_models *fm = get_models();
	struct arpg_image im, frames[7], crops[7];
	struct arpg_frame_row out[7];
	struct arpg_rect a = { 177, 66, 95, 95 }, b = { 377, 66, 95, 95 },
			 small = { 20, 400, 40, 40 }, once = { 100, 300, 90, 90 };
	struct arpg_rect shot2[2] = { small, b };
	struct arpg_rect *dets[7] = { &a, &a, &a, shot2, shot2, shot2, &once };
	int ndet[7] = { 1, 1, 1, 2, 2, 2, 1 }, i, rc;
	char err[256];

	if (!fm)
		skip("Debian's cascade or landmark model not installed");
	if (arpg_png_read(&im, ASTRONAUT, 3, err, sizeof err) < 0)
		skip(ASTRONAUT " not installed (python3-skimage)");
	for (i = 0; i < 7; i++)
		frames[i] = im;
	rc = arpg_face_align_detections(fm, frames, 7, 112, dets, ndet, crops, out);
	expect_int(rc, 6);
	for (i = 0; i < 7 && rc >= 0; i++) {
		const struct arpg_rect *want = i < 3 ? &a : &b;

		if (i == 6) {
			expect_int(out[i].detected, 0);
			expect(memcmp(out[6].M, out[5].M, sizeof out[6].M) == 0);
		} else if (out[i].box[0] != want->x || out[i].box[1] != want->y ||
			   out[i].box[2] != want->w) {
			arpg_test_fail(__FILE__, __LINE__, "frame %d: box %g %g %g, expected %d %d %d",
				       i, out[i].box[0], out[i].box[1], out[i].box[2], want->x,
				       want->y, want->w);
		}
		arpg_image_free(&crops[i]);
	}
	arpg_image_free(&im);
}

/* A CNN detector's faces: the five keypoints of a face are the template
 * scaled by s and moved to (x, y), its box around them. */
static void cnn_face(struct arpg_face_det *f, double s, double x, double y, float score)
{
	double t[10];
	int k;

	arpg_align_template(t, 112);
	for (k = 0; k < 5; k++) {
		f->kps[2 * k] = (float)(x + s * t[2 * k]);
		f->kps[2 * k + 1] = (float)(y + s * t[2 * k + 1]);
	}
	f->box[0] = (float)x, f->box[1] = (float)y;
	f->box[2] = f->box[3] = (float)(112 * s);
	f->score = score;
}

/* The face the clip is about, seen in every frame near the centre, stays
 * followed when a larger one appears for a few frames at the edge; its
 * keypoints give the transform (onto the template exactly), and the
 * score and keypoints reach the rows. */
ARPG_TEST(tracker_cnn_follows_the_main_face_over_a_brief_larger_one)
{
	enum { N = 10 };
	struct arpg_image frames[N], crops[N];
	struct arpg_frame_row out[N];
	struct arpg_face_det f[N][2], *faces[N];
	int nf[N], i, rc;

	for (i = 0; i < N; i++) {
		expect_int(arpg_image_alloc(&frames[i], 320, 240, 3), 0);
		cnn_face(&f[i][0], 0.8, 115 + i, 70, 0.95f);
		nf[i] = 1;
		if (i >= 3 && i < 6) {	/* 1.6 times its side, at the left edge */
			cnn_face(&f[i][1], 1.3, 0, 60, 0.99f);
			nf[i] = 2;
		}
		faces[i] = f[i];
	}
	rc = arpg_face_align_faces(NULL, frames, N, 112, faces, nf, crops, out);
	expect_int(rc, N);
	for (i = 0; i < N && rc == N; i++) {
		double t[10];
		arpg_align_template(t, 112);
		expect_int(out[i].detected, 1);
		expect_near(out[i].box[0], 115 + i, 1e-4);
		expect_near(out[i].score, 0.95, 1e-6);
		expect_near(out[i].kps[2], f[i][0].kps[2], 0);
		/* the keypoints land on the template */
		expect_near(out[i].M[0] * out[i].kps[0] + out[i].M[1] * out[i].kps[1] + out[i].M[2],
			    t[0], 1e-3);
		expect_near(out[i].M[3] * out[i].kps[8] + out[i].M[4] * out[i].kps[9] + out[i].M[5],
			    t[9], 1e-3);
		expect(out[i].landmarks[0] == 0);
		arpg_image_free(&crops[i]);
	}
	for (i = 0; i < N; i++)
		arpg_image_free(&frames[i]);
}

/* Between two faces seen alike throughout, the one nearer the centre is
 * followed with a CNN detector (its area counts more). */
ARPG_TEST(tracker_cnn_prefers_the_central_face)
{
	enum { N = 6 };
	struct arpg_image frames[N], crops[N];
	struct arpg_frame_row out[N];
	struct arpg_face_det f[N][2], *faces[N];
	int nf[N], i;

	for (i = 0; i < N; i++) {
		expect_int(arpg_image_alloc(&frames[i], 400, 200, 3), 0);
		cnn_face(&f[i][0], 0.5, 0, 0, 0.9f);		/* a corner */
		cnn_face(&f[i][1], 0.45, 175, 70, 0.9f);	/* the centre, a little smaller */
		nf[i] = 2, faces[i] = f[i];
	}
	expect_int(arpg_face_align_faces(NULL, frames, N, 112, faces, nf, crops, out), N);
	for (i = 0; i < N; i++) {
		expect_near(out[i].box[0], 175, 1e-4);
		arpg_image_free(&crops[i]);
		arpg_image_free(&frames[i]);
	}
}
