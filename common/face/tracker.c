/* tracker.c - a clip's faces: detection (cascade.c, or a CNN detector:
 * detector.c), the followed face, 68 landmarks (shape.c), the ArcFace
 * transform and the warp (align.c).
 *
 * Per clip:
 *   1. every frame: with the cascade, grey as OpenCV's COLOR_RGB2GRAY,
 *      optionally equalised as cv2.equalizeHist, then the cascade; with a
 *      CNN detector, its faces (boxes, scores, five keypoints), the engine
 *      prepared once for the clip's frame size;
 *   2. the detections are linked into tracks (box and track pairs best
 *      IoU first: a box joins a track whose last box, at most TRACK_GAP
 *      frames back, overlaps it with IoU >= TRACK_IOU and is of a size
 *      within TRACK_SCALE); the track with the largest summed area is the
 *      face followed, so a big face seen throughout wins over a bigger one
 *      seen once or small ones in the background; in the frames before
 *      and after its span (other shots of a clip with cuts), the next best
 *      tracks of two boxes or more whose spans overlap no chosen one's.
 *      With a CNN detector, which finds faces the cascade misses at the
 *      frame's edges (the back of a shoulder, a passer-by), each box's area
 *      is weighed by its centrality: 1 at the frame's centre falling
 *      linearly to 1/2 at its corners;
 *   3. on its frames: landmarks on grey = (R+G+B)/3 (as dlib reads RGB),
 *      then the 5-point similarity onto the template from them (cascade)
 *      or from the detector's keypoints (CNN; the landmarks, if loaded,
 *      are recorded only); optional smoothing (mean of the transforms of
 *      the detected frames within +-smooth frames);
 *   4. other frames take the transform of the nearest detected frame (the
 *      earlier one on a tie), detected = 0; no face at all: centre crops;
 *   5. every frame is warped.
 * These are tracker.h's arpg_face_clip_* calls (detect: 1, follow: 2,
 * fit: 3 but the smoothing, finish: the smoothing and 4, warp: 5), which
 * keep per frame only its detections and its row: pixels are needed in
 * 1, 3 (landmarks) and 5, so that a caller may decode a long clip once
 * per step instead of holding it.  arpg_face_align_clip makes the same
 * calls over frames in memory.
 */
#include "tracker.h"
#include "align.h"
#include "cascade.h"
#include "error.h"
#include "grow.h"
#include "shape.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_CASCADE "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml"
#define DEFAULT_LANDMARKS "/usr/share/dlib/shape_predictor_68_face_landmarks.dat"
#define TRACK_IOU 0.3	/* a box continues a track: IoU with its last box */
#define TRACK_SCALE 1.5	/* ... and a side within this factor of it */
#define TRACK_GAP 5	/* ... seen at most this many frames before */

struct arpg_face_models {
	struct arpg_cascade *cascade;		/* or */
	struct arpg_detector *det;
	struct arpg_shape_predictor *shape;	/* NULL: no landmarks (with det) */
	struct arpg_face_options o;
};

void arpg_face_options_default(struct arpg_face_options *o)
{
	memset(o, 0, sizeof *o);
	arpg_cascade_params_default(&o->detect);
	o->detect.min_size = 30;
}

/* The cascade into fm, its file named once in err. */
static int load_cascade(struct arpg_face_models *fm, const char *cpath, char *err, size_t errn)
{
	char tmp[512] = "";
	int rc;

	if ((rc = arpg_cascade_load(&fm->cascade, cpath, tmp, sizeof tmp)) < 0) {
		/* cascade.c may or may not name the file */
		if (!strncmp(tmp, cpath, strlen(cpath)))
			arpg_errf(err, errn, rc, "%s", tmp);
		else
			arpg_errf(err, errn, rc, "%s: %s", cpath, tmp[0] ? tmp : arpg_strerror(rc));
	}
	return rc;
}

int arpg_face_models_load(struct arpg_face_models **out, const struct arpg_face_options *o,
			  char *err, size_t errn)
{
	struct arpg_face_models *fm;
	const char *cpath = o->cascade ? o->cascade : DEFAULT_CASCADE;
	const char *lpath = o->landmarks ? o->landmarks : DEFAULT_LANDMARKS;
	int rc;

	*out = NULL;
	if (arpg_cascade_params_check(&o->detect) < 0 || o->smooth < 0 ||
	    (o->no_landmarks && !o->detector))
		return arpg_errf(err, errn, ARPG_EINVAL, "face options out of range");
	if (!(fm = calloc(1, sizeof *fm)))
		return ARPG_ENOMEM;
	fm->o = *o;
	/* the caller's strings */
	fm->o.cascade = fm->o.landmarks = fm->o.detector = NULL;
	if (o->detector)
		rc = arpg_detector_load(&fm->det, o->detector, &o->det, err, errn);
	else
		rc = load_cascade(fm, cpath, err, errn);
	if (rc < 0)
		goto fail;
	if (o->no_landmarks)
		goto done;
	if ((rc = arpg_shape_load(&fm->shape, lpath, err, errn)) < 0)
		goto fail;
	if (arpg_shape_points(fm->shape) != 68) {
		rc = arpg_errf(err, errn, ARPG_EUNSUPPORTED,
			       "%s: a %d-point model; alignment needs dlib's 68 points",
			       lpath, arpg_shape_points(fm->shape));
		goto fail;
	}
done:
	*out = fm;
	return 0;
fail:
	arpg_face_models_free(fm);
	return rc;
}

void arpg_face_models_free(struct arpg_face_models *fm)
{
	if (!fm)
		return;
	arpg_cascade_free(fm->cascade);
	arpg_detector_free(fm->det);
	arpg_shape_free(fm->shape);
	free(fm);
}

const char *arpg_face_models_detector(const struct arpg_face_models *fm)
{
	return fm && fm->det ? arpg_detector_describe(fm->det) : NULL;
}

/* The grey a model reads from an RGB frame (a grey frame is copied). */
enum grey_kind {
	/* OpenCV's RGB2GRAY for 8 bits (4.x), which the cascade is trained on:
	 * (9798 R + 19235 G + 3735 B + 2^14) >> 15; checked against cv2.cvtColor
	 * on random images (the 14-bit coefficients 4899/9617/1868 of older
	 * releases differ by 1 on about 0.25% of pixels). */
	GREY_OPENCV,
	/* dlib's intensity of an RGB pixel, which the landmarks read:
	 * (R + G + B) / 3, truncated. */
	GREY_DLIB,
};

static void grey_of(uint8_t *g, const struct arpg_image *im, enum grey_kind kind)
{
	size_t i, n = (size_t)im->w * im->h;
	const uint8_t *p = im->px;

	if (im->c == 1) {
		memcpy(g, p, n);
		return;
	}
	if (kind == GREY_OPENCV)
		for (i = 0; i < n; i++, p += 3)
			g[i] = (uint8_t)((p[0] * 9798 + p[1] * 19235 + p[2] * 3735 + (1 << 14)) >> 15);
	else
		for (i = 0; i < n; i++, p += 3)
			g[i] = (uint8_t)(((unsigned)p[0] + p[1] + p[2]) / 3);
}

/* cv2.equalizeHist: lut[v] = round(cdf'(v) * 255 / (total - first bin)). */
static void equalize(uint8_t *g, size_t n)
{
	unsigned hist[256] = { 0 };
	uint8_t lut[256];
	size_t k;
	int i = 0;
	unsigned sum = 0;
	float scale;

	for (k = 0; k < n; k++)
		hist[g[k]]++;
	while (!hist[i])
		i++;
	if (hist[i] == n) {
		memset(g, i, n);
		return;
	}
	scale = 255.f / (float)(n - hist[i]);
	memset(lut, 0, sizeof lut);
	for (lut[i++] = 0; i < 256; i++) {
		float v;
		sum += hist[i];
		v = rintf((float)sum * scale);
		lut[i] = (uint8_t)(v > 255 ? 255 : v);
	}
	for (k = 0; k < n; k++)
		g[k] = lut[g[k]];
}

/* Boxes are x y w h; the cascade's are whole numbers, for which these
 * sums are exact, as in the int arithmetic they once had. */
static double iou(const float *a, const float *b)
{
	double x0 = a[0] > b[0] ? a[0] : b[0], y0 = a[1] > b[1] ? a[1] : b[1];
	double x1 = a[0] + a[2] < b[0] + b[2] ? a[0] + a[2] : b[0] + b[2];
	double y1 = a[1] + a[3] < b[1] + b[3] ? a[1] + a[3] : b[1] + b[3];
	double in, un;

	if (x1 <= x0 || y1 <= y0)
		return 0;
	in = (x1 - x0) * (y1 - y0);
	un = (double)a[2] * a[3] + (double)b[2] * b[3] - in;
	return un > 0 ? in / un : 0;
}

struct track {
	float last[4];
	int first_frame, last_frame, count;
	double score;
	int chosen;
};

static int same_scale(const float *a, const float *b)
{
	double sa = (double)a[2] * a[3], sb = (double)b[2] * b[3];

	return sa <= sb * TRACK_SCALE * TRACK_SCALE && sb <= sa * TRACK_SCALE * TRACK_SCALE;
}

/* How tracks are scored: by area alone (the cascade), or by area times
 * centrality in a w x h frame (a CNN detector). */
struct follow_rule {
	int centrality;
	double w, h;
};

static void extend(struct track *t, const float *b, int frame, const struct follow_rule *fr)
{
	double area = (double)b[2] * b[3];

	memcpy(t->last, b, sizeof t->last);
	t->last_frame = frame;
	if (fr->centrality) {
		double dx = b[0] + b[2] / 2 - fr->w / 2, dy = b[1] + b[3] / 2 - fr->h / 2;
		double d = sqrt(dx * dx + dy * dy) / (sqrt(fr->w * fr->w + fr->h * fr->h) / 2);
		area *= 1 - 0.5 * (d < 1 ? d : 1);
	}
	t->score += area;
	t->count++;
}

struct tracks {
	struct track *t;
	int n;
	size_t cap;
};

/* Frame i's boxes b[0..nb) join the tracks of ts whose last box, at most
 * TRACK_GAP frames back, they overlap best, best overlap first, so that a
 * big false box next to the face does not take its track; the others
 * start tracks.  tid[j] is box j's track.  Returns 0 or ARPG_ENOMEM. */
static int link_frame(struct tracks *ts, const struct arpg_face_det *b, int nb, int i, int *tid,
		      const struct follow_rule *fr)
{
	int j, t;

	for (j = 0; j < nb; j++)
		tid[j] = -1;
	for (;;) {
		int bj = -1, bt = -1;
		double bi = TRACK_IOU;
		for (j = 0; j < nb; j++) {
			if (tid[j] >= 0)
				continue;
			for (t = 0; t < ts->n; t++) {
				const struct track *tr = &ts->t[t];
				double v;
				if (tr->last_frame == i || i - tr->last_frame > TRACK_GAP ||
				    !same_scale(tr->last, b[j].box))
					continue;
				if ((v = iou(tr->last, b[j].box)) >= bi)
					bi = v, bj = j, bt = t;
			}
		}
		if (bj < 0)
			break;
		extend(&ts->t[bt], b[bj].box, i, fr);
		tid[bj] = bt;
	}
	for (j = 0; j < nb; j++) {
		if (tid[j] >= 0)
			continue;
		if (ARPG_GROW(ts->t, &ts->cap, (size_t)ts->n + 1) < 0)
			return ARPG_ENOMEM;
		memset(&ts->t[ts->n], 0, sizeof ts->t[ts->n]);
		ts->t[ts->n].first_frame = i;
		extend(&ts->t[ts->n], b[j].box, i, fr);
		tid[j] = ts->n++;
	}
	return 0;
}

/* Chooses tracks (chosen 1; the others -1): the one of the largest summed
 * area, then, in the time it leaves free (other shots of a clip with
 * cuts), the best tracks of two or more boxes that overlap no chosen
 * track's span. */
static void choose_tracks(struct track *tr, int ntr)
{
	int t, best, best_any = 0;

	for (;;) {
		best = -1;
		for (t = 0; t < ntr; t++) {
			int free_span = 1, u;
			if (tr[t].chosen < 0 || tr[t].chosen)
				continue;
			for (u = 0; u < ntr; u++)
				if (tr[u].chosen > 0 && tr[u].first_frame <= tr[t].last_frame &&
				    tr[t].first_frame <= tr[u].last_frame)
					free_span = 0;
			if (!free_span || (best_any && tr[t].count < 2)) {
				tr[t].chosen = -1;
				continue;
			}
			if (best < 0 || tr[t].score > tr[best].score)
				best = t;
		}
		if (best < 0)
			break;
		tr[best].chosen = 1;
		best_any = 1;
	}
}

/* Picks the followed face: pick[i] is its index in frame i, or -1. */
static int follow(struct arpg_face_det *const *dets, const int *ndet, int n,
		  const struct follow_rule *fr, int *pick)
{
	struct tracks ts = { 0 };
	int i, j, rc = 0;
	int **tid = calloc((size_t)n, sizeof *tid);

	if (!tid)
		return ARPG_ENOMEM;
	for (i = 0; i < n; i++) {
		if (ndet[i] <= 0)
			continue;
		if (!(tid[i] = malloc((size_t)ndet[i] * sizeof **tid))) {
			rc = ARPG_ENOMEM;
			goto out;
		}
		if ((rc = link_frame(&ts, dets[i], ndet[i], i, tid[i], fr)) < 0)
			goto out;
	}
	choose_tracks(ts.t, ts.n);
	for (i = 0; i < n; i++) {
		pick[i] = -1;
		for (j = 0; j < ndet[i]; j++)
			if (ts.t[tid[i][j]].chosen > 0)
				pick[i] = j;
	}
out:
	for (i = 0; i < n; i++)
		free(tid[i]);
	free(tid);
	free(ts.t);
	return rc;
}

/* The box given to dlib: the cascade's as it is, a detector's rounded. */
static struct arpg_rect rect_of(const float *box)
{
	struct arpg_rect r = { (int)lrintf(box[0]), (int)lrintf(box[1]), (int)lrintf(box[2]),
			       (int)lrintf(box[3]) };
	return r;
}

/* A clip's state between the steps (tracker.h): per frame only its
 * detections and its row, never its pixels. */
struct arpg_face_clip {
	const struct arpg_face_models *fm;	/* NULL: faces given, no smoothing */
	const struct arpg_shape_predictor *shape;	/* NULL: no landmarks */
	int cnn;		/* centrality weighs boxes; keypoints give transforms */
	int size, side;
	int w, h;		/* the frames' size, 0 before the first */
	enum { STEP_DETECT, STEP_FIT, STEP_WARP } step;
	struct arpg_detector_session *sess;	/* a CNN detector's, from frame 0 */
	uint8_t *grey;		/* w x h: the grey a model reads */
	struct arpg_face_det **dets;	/* dets[i][0..ndet[i]): frame i's faces */
	int *ndet;
	size_t cap_dets, cap_ndet;
	int n;			/* frames seen by step 1 */
	int *pick;		/* from step 2: frame i's followed face, or -1 */
	struct arpg_frame_row *rows;	/* from step 2 */
};

/* The state of clip_new with the rule given: cnn (keypoints, centrality)
 * or not (landmarks, area alone); fm may be NULL. */
static int clip_new(struct arpg_face_clip **out, const struct arpg_face_models *fm, int cnn,
		    int size, int side)
{
	struct arpg_face_clip *t;

	*out = NULL;
	if (size <= 0 || size > 2048 || (side && side != 'l' && side != 'r'))
		return ARPG_EINVAL;
	if (!(t = calloc(1, sizeof *t)))
		return ARPG_ENOMEM;
	t->fm = fm;
	t->shape = fm ? fm->shape : NULL;
	t->cnn = cnn;
	t->size = size;
	t->side = side;
	*out = t;
	return 0;
}

int arpg_face_clip_new(struct arpg_face_clip **out, const struct arpg_face_models *fm,
		       int size, int side)
{
	if (!fm) {
		*out = NULL;
		return ARPG_EINVAL;
	}
	return clip_new(out, fm, fm->det != NULL, size, side);
}

void arpg_face_clip_free(struct arpg_face_clip *t)
{
	int i;

	if (!t)
		return;
	for (i = 0; i < t->n; i++)
		free(t->dets[i]);
	free(t->dets);
	free(t->ndet);
	free(t->pick);
	free(t->rows);
	free(t->grey);
	arpg_detector_session_free(t->sess);
	free(t);
}

int arpg_face_clip_frames(const struct arpg_face_clip *t)
{
	return t->n;
}

/* 0 if frame is a grey or RGB image of the clip's size (the first one
 * fixes it, with the grey buffer), else ARPG_EINVAL or ARPG_ENOMEM. */
static int take_size(struct arpg_face_clip *t, const struct arpg_image *frame)
{
	if (!frame || !frame->px || (frame->c != 3 && frame->c != 1) || frame->w <= 0 ||
	    frame->h <= 0)
		return ARPG_EINVAL;
	if (t->w)
		return frame->w == t->w && frame->h == t->h ? 0 : ARPG_EINVAL;
	if (!(t->grey = malloc((size_t)frame->w * frame->h)))
		return ARPG_ENOMEM;
	t->w = frame->w;
	t->h = frame->h;
	return 0;
}

/* Frame t->n's faces: faces[0..nf) (malloc'd, taken over; NULL when nf
 * is 0), of which those of t->side are kept.  Returns their number or
 * ARPG_ENOMEM (faces freed). */
static int add_faces(struct arpg_face_clip *t, struct arpg_face_det *faces, int nf)
{
	int j, k = 0;

	if (ARPG_GROW(t->dets, &t->cap_dets, (size_t)t->n + 1) < 0 ||
	    ARPG_GROW(t->ndet, &t->cap_ndet, (size_t)t->n + 1) < 0) {
		free(faces);
		return ARPG_ENOMEM;
	}
	/* side: only the faces whose box centre is in that half of the frame */
	for (j = 0; j < nf; j++) {
		float cx = faces[j].box[0] + faces[j].box[2] / 2;

		if (!t->side || (t->side == 'l' ? cx < t->w / 2.0f : cx >= t->w / 2.0f))
			faces[k++] = faces[j];
	}
	t->dets[t->n] = faces;
	t->ndet[t->n++] = k;
	return k;
}

/* The cascade's faces of frame: grey as OpenCV's, equalised if asked. */
static int detect_cascade(struct arpg_face_clip *t, const struct arpg_image *frame)
{
	const struct arpg_face_models *fm = t->fm;
	struct arpg_face_det *faces = NULL;
	struct arpg_rect *rects = NULL;
	int j, r;

	grey_of(t->grey, frame, GREY_OPENCV);
	if (fm->o.equalize)
		equalize(t->grey, (size_t)t->w * t->h);
	if ((r = arpg_cascade_detect(fm->cascade, t->grey, t->w, t->h, t->w, &fm->o.detect,
				     &rects)) < 0)
		return r;
	if (r && !(faces = calloc((size_t)r, sizeof *faces))) {
		free(rects);
		return ARPG_ENOMEM;
	}
	for (j = 0; j < r; j++) {
		faces[j].box[0] = (float)rects[j].x, faces[j].box[1] = (float)rects[j].y;
		faces[j].box[2] = (float)rects[j].w, faces[j].box[3] = (float)rects[j].h;
	}
	free(rects);
	return add_faces(t, faces, r);
}

int arpg_face_clip_detect(struct arpg_face_clip *t, const struct arpg_image *frame,
			  char *err, size_t errn)
{
	struct arpg_face_det *faces = NULL;
	char tmp[256];
	int rc;

	if (!err)
		err = tmp, errn = sizeof tmp;
	if (!t->fm || t->step != STEP_DETECT || t->n == INT_MAX)
		return ARPG_EINVAL;
	if ((rc = take_size(t, frame)) < 0)
		return rc;
	if (!t->fm->det)
		return detect_cascade(t, frame);
	/* one engine for the clip's frame size */
	if (!t->sess && (rc = arpg_detector_session_new(&t->sess, t->fm->det, t->w, t->h, err,
							errn)) < 0)
		return rc;
	if ((rc = arpg_detector_detect(t->sess, frame, &faces, err, errn)) < 0)
		return rc;
	return add_faces(t, faces, rc);
}

int arpg_face_clip_follow(struct arpg_face_clip *t)
{
	struct follow_rule fr = { t->cnn, t->w, t->h };

	if (t->step != STEP_DETECT || t->n < 1)
		return ARPG_EINVAL;
	t->pick = malloc((size_t)t->n * sizeof *t->pick);
	t->rows = calloc((size_t)t->n, sizeof *t->rows);
	if (!t->pick || !t->rows) {
		/* as it was: this step may be tried again */
		free(t->pick), free(t->rows);
		t->pick = NULL, t->rows = NULL;
		return ARPG_ENOMEM;
	}
	t->step = STEP_FIT;
	return follow(t->dets, t->ndet, t->n, &fr, t->pick);
}

int arpg_face_clip_needs(const struct arpg_face_clip *t, int i)
{
	return t->step == STEP_FIT && i >= 0 && i < t->n && t->pick[i] >= 0 && t->shape;
}

/* Step 3 of frame i: the landmarks (if a model is loaded) and the
 * transform of its followed face, from the landmarks or (cnn) from the
 * detector's keypoints; points that give no transform count as no face. */
int arpg_face_clip_fit(struct arpg_face_clip *t, int i, const struct arpg_image *frame)
{
	struct arpg_frame_row *f;
	const struct arpg_face_det *b;
	struct arpg_rect r;
	double tmpl[10], src[10];
	int k, rc;

	if (t->step != STEP_FIT || i < 0 || i >= t->n)
		return ARPG_EINVAL;
	if (t->pick[i] < 0)
		return 0;
	f = &t->rows[i];
	b = &t->dets[i][t->pick[i]];
	r = rect_of(b->box);
	if (t->shape) {
		if ((rc = take_size(t, frame)) < 0)
			return rc;
		grey_of(t->grey, frame, GREY_DLIB);
		if ((rc = arpg_shape_predict(t->shape, t->grey, t->w, t->h, t->w, &r,
					     f->landmarks)) < 0)
			return rc;
	}
	arpg_align_template(tmpl, t->size);
	for (k = 0; k < 10; k++)
		src[k] = b->kps[k];
	if (t->cnn ? arpg_align_similarity(f->M, src, tmpl, 5) < 0
	    : arpg_align_transform(f->M, f->landmarks, t->size) < 0) {
		memset(f->landmarks, 0, sizeof f->landmarks);
		return 0;	/* degenerate points: as if not detected */
	}
	f->detected = 1;
	memcpy(f->box, b->box, sizeof f->box);
	if (t->cnn) {
		f->score = b->score;
		memcpy(f->kps, b->kps, sizeof f->kps);
	}
	return 0;
}

/* Each detected frame's transform becomes the mean of the transforms of
 * the detected frames within +-radius (radius > 0).  Returns 0 or
 * ARPG_ENOMEM. */
static int smooth_transforms(struct arpg_frame_row *out, int n, int radius)
{
	double (*Ms)[6] = malloc((size_t)n * sizeof *Ms);
	int i, j, k;

	if (!Ms)
		return ARPG_ENOMEM;
	for (i = 0; i < n; i++) {
		int cnt = 0;
		memcpy(Ms[i], out[i].M, sizeof Ms[i]);
		if (!out[i].detected)
			continue;
		memset(Ms[i], 0, sizeof Ms[i]);
		for (j = i - radius; j <= i + radius; j++) {
			if (j < 0 || j >= n || !out[j].detected)
				continue;
			for (k = 0; k < 6; k++)
				Ms[i][k] += out[j].M[k];
			cnt++;
		}
		for (k = 0; k < 6; k++)
			Ms[i][k] /= cnt;
	}
	for (i = 0; i < n; i++)
		if (out[i].detected)
			memcpy(out[i].M, Ms[i], sizeof Ms[i]);
	free(Ms);
	return 0;
}

/* Frames without a detection take the transform of the nearest detected
 * frame (the earlier one on a tie); when no frame has one (found 0), the
 * centre crop of a w x h frame. */
static void fill_missing(struct arpg_frame_row *out, int n, int found, int w, int h, int size)
{
	int i, d;

	for (i = 0; i < n; i++) {
		if (out[i].detected)
			continue;
		if (!found) {
			arpg_align_centre(out[i].M, w, h, size);
			continue;
		}
		for (d = 1;; d++) {
			if (i - d >= 0 && out[i - d].detected) {
				memcpy(out[i].M, out[i - d].M, sizeof out[i].M);
				break;
			}
			if (i + d < n && out[i + d].detected) {
				memcpy(out[i].M, out[i + d].M, sizeof out[i].M);
				break;
			}
		}
	}
}


int arpg_face_clip_finish(struct arpg_face_clip *t)
{
	int i, found = 0, rc;

	if (t->step != STEP_FIT)
		return ARPG_EINVAL;
	for (i = 0; i < t->n; i++)
		found += t->rows[i].detected;
	if (t->fm && t->fm->o.smooth > 0 &&
	    (rc = smooth_transforms(t->rows, t->n, t->fm->o.smooth)) < 0)
		return rc;
	fill_missing(t->rows, t->n, found, t->w, t->h, t->size);
	t->step = STEP_WARP;
	return found;
}

int arpg_face_clip_warp(const struct arpg_face_clip *t, int i, const struct arpg_image *frame,
			struct arpg_image *crop)
{
	if (t->step != STEP_WARP || i < 0 || i >= t->n || !frame || frame->w != t->w ||
	    frame->h != t->h)
		return ARPG_EINVAL;
	return arpg_align_warp(crop, frame, t->rows[i].M, t->size);
}

const struct arpg_frame_row *arpg_face_clip_row(const struct arpg_face_clip *t, int i)
{
	return i >= 0 && i < t->n && t->rows ? &t->rows[i] : NULL;
}

/* Steps 2 to 5 over frames[0..n) held in memory, once step 1 has seen
 * them: crops[i] and out[i] for every frame.  Returns the number of
 * frames with a face or a negative code (no crop left allocated). */
static int align_held(struct arpg_face_clip *t, const struct arpg_image *frames, int n,
		      struct arpg_image *crops, struct arpg_frame_row *out)
{
	int i, rc, found;

	memset(crops, 0, (size_t)n * sizeof *crops);
	if ((rc = arpg_face_clip_follow(t)) < 0)
		return rc;
	for (i = 0; i < n; i++)
		if ((rc = arpg_face_clip_fit(t, i, &frames[i])) < 0)
			return rc;
	if ((rc = found = arpg_face_clip_finish(t)) < 0)
		return rc;
	for (i = 0; i < n; i++) {
		if ((rc = arpg_face_clip_warp(t, i, &frames[i], &crops[i])) < 0) {
			while (i-- > 0)
				arpg_image_free(&crops[i]);
			return rc;
		}
		out[i] = t->rows[i];
	}
	return found;
}

/* ARPG_EINVAL unless frames[0..n) (n >= 1) are all of one size, grey or
 * RGB. */
static int check_frames(const struct arpg_image *frames, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (frames[i].w != frames[0].w || frames[i].h != frames[0].h ||
		    (frames[i].c != 3 && frames[i].c != 1))
			return ARPG_EINVAL;
	return 0;
}

/* The arguments every entry point checks: 0 or ARPG_EINVAL. */
static int check_args(const struct arpg_image *frames, int n, int size,
		      const struct arpg_image *crops, const struct arpg_frame_row *out,
		      const int *ndet)
{
	if (!frames || !crops || !out || !ndet || size <= 0 || size > 2048)
		return ARPG_EINVAL;
	return check_frames(frames, n);
}

/* The faces given, faces[i][0..nfaces[i]) (copied), as step 1's of
 * frames[0..n), then the other steps; cnn as clip_new's. */
static int align_given(const struct arpg_face_models *fm, int cnn,
		       const struct arpg_image *frames, int n, int size,
		       struct arpg_face_det *const *faces, const int *nfaces,
		       struct arpg_image *crops, struct arpg_frame_row *out)
{
	struct arpg_face_clip *t = NULL;
	int i, rc;

	memset(out, 0, (size_t)n * sizeof *out);
	memset(crops, 0, (size_t)n * sizeof *crops);
	if ((rc = clip_new(&t, fm, cnn, size, 0)) < 0 ||
	    (rc = take_size(t, &frames[0])) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		struct arpg_face_det *copy = NULL;
		size_t bytes = (size_t)(nfaces[i] > 0 ? nfaces[i] : 0) * sizeof *copy;

		if (bytes && !(copy = malloc(bytes))) {
			rc = ARPG_ENOMEM;
			goto out;
		}
		if (bytes)
			memcpy(copy, faces[i], bytes);
		if ((rc = add_faces(t, copy, nfaces[i] > 0 ? nfaces[i] : 0)) < 0)
			goto out;
	}
	rc = align_held(t, frames, n, crops, out);
out:
	arpg_face_clip_free(t);
	return rc;
}

int arpg_face_align_detections(const struct arpg_face_models *fm,
			       const struct arpg_image *frames, int n, int size,
			       struct arpg_rect *const *rects, const int *ndet,
			       struct arpg_image *crops, struct arpg_frame_row *out)
{
	struct arpg_face_det **dets = NULL;
	int i, j, rc;

	if (n <= 0)
		return 0;
	if (!fm || check_args(frames, n, size, crops, out, ndet) < 0)
		return ARPG_EINVAL;
	if (!(dets = calloc((size_t)n, sizeof *dets)))
		return ARPG_ENOMEM;
	for (i = 0; i < n; i++) {
		if (ndet[i] <= 0)
			continue;
		if (!(dets[i] = calloc((size_t)ndet[i], sizeof **dets))) {
			rc = ARPG_ENOMEM;
			goto out;
		}
		for (j = 0; j < ndet[i]; j++) {
			dets[i][j].box[0] = (float)rects[i][j].x;
			dets[i][j].box[1] = (float)rects[i][j].y;
			dets[i][j].box[2] = (float)rects[i][j].w;
			dets[i][j].box[3] = (float)rects[i][j].h;
		}
	}
	rc = align_given(fm, 0, frames, n, size, dets, ndet, crops, out);
out:
	for (i = 0; i < n; i++)
		free(dets[i]);
	free(dets);
	return rc;
}

int arpg_face_align_faces(const struct arpg_face_models *fm, const struct arpg_image *frames,
			  int n, int size, struct arpg_face_det *const *faces, const int *nfaces,
			  struct arpg_image *crops, struct arpg_frame_row *out)
{
	if (n <= 0)
		return 0;
	if (check_args(frames, n, size, crops, out, nfaces) < 0)
		return ARPG_EINVAL;
	return align_given(fm, 1, frames, n, size, faces, nfaces, crops, out);
}

int arpg_face_align_clip(const struct arpg_face_models *fm, const struct arpg_image *frames,
			 int n, int size, int side, struct arpg_image *crops,
			 struct arpg_frame_row *out, char *err, size_t errn)
{
	struct arpg_face_clip *t = NULL;
	int i, rc;

	if (n <= 0)
		return 0;
	if (!fm || !frames || !crops || !out || check_frames(frames, n) < 0)
		return ARPG_EINVAL;
	memset(out, 0, (size_t)n * sizeof *out);
	if ((rc = arpg_face_clip_new(&t, fm, size, side)) < 0)
		return rc;
	for (i = 0; i < n; i++)
		if ((rc = arpg_face_clip_detect(t, &frames[i], err, errn)) < 0)
			goto out;
	rc = align_held(t, frames, n, crops, out);
out:
	arpg_face_clip_free(t);
	return rc;
}
