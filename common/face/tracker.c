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
 */
#include "tracker.h"
#include "align.h"
#include "cascade.h"
#include "error.h"
#include "grow.h"
#include "shape.h"

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

/* The box given to dlib: the cascade's as it is, a detector's rounded. */
static struct arpg_rect rect_of(const float *box)
{
	struct arpg_rect r = { (int)lrintf(box[0]), (int)lrintf(box[1]), (int)lrintf(box[2]),
			       (int)lrintf(box[3]) };
	return r;
}

/* The landmarks (if a model is loaded) and the transform of the face
 * picked in each frame (pick[i] < 0: none): from the landmarks, or with
 * kps from the detector's keypoints; a frame whose points give no
 * transform counts as not detected.  Returns the number of frames with a
 * face, or a negative code. */
static int fit_faces(const struct arpg_shape_predictor *shape, const struct arpg_image *frames,
		     int n, int size, struct arpg_face_det *const *dets, const int *pick,
		     int kps, struct arpg_frame_row *out)
{
	int W = frames[0].w, H = frames[0].h, i, k, found = 0, rc = 0;
	uint8_t *grey = shape ? malloc((size_t)W * H) : NULL;
	double tmpl[10], src[10];

	if (shape && !grey)
		return ARPG_ENOMEM;
	arpg_align_template(tmpl, size);
	for (i = 0; i < n; i++) {
		struct arpg_frame_row *f = &out[i];
		const struct arpg_face_det *b;
		struct arpg_rect r;
		if (pick[i] < 0)
			continue;
		b = &dets[i][pick[i]];
		r = rect_of(b->box);
		if (shape) {
			grey_of(grey, &frames[i], GREY_DLIB);
			if ((rc = arpg_shape_predict(shape, grey, W, H, W, &r, f->landmarks)) < 0)
				break;
		}
		for (k = 0; k < 10; k++)
			src[k] = b->kps[k];
		if (kps ? arpg_align_similarity(f->M, src, tmpl, 5) < 0
		    : arpg_align_transform(f->M, f->landmarks, size) < 0) {
			memset(f->landmarks, 0, sizeof f->landmarks);
			continue;	/* degenerate points: as if not detected */
		}
		f->detected = 1;
		memcpy(f->box, b->box, sizeof f->box);
		if (kps) {
			f->score = b->score;
			memcpy(f->kps, b->kps, sizeof f->kps);
		}
		found++;
	}
	free(grey);
	return rc < 0 ? rc : found;
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

/* The rest of a clip once its faces are known: the followed face, its
 * points and transforms, the frames without it, the warps (see the top
 * of the file).  fm may be NULL (no landmarks, no smoothing). */
static int align_faces(const struct arpg_face_models *fm, const struct arpg_image *frames,
		       int n, int size, struct arpg_face_det *const *dets, const int *ndet,
		       int cnn, struct arpg_image *crops, struct arpg_frame_row *out)
{
	struct follow_rule fr = { cnn, frames[0].w, frames[0].h };
	int *pick = NULL, i, found = 0, rc = 0;

	memset(out, 0, (size_t)n * sizeof *out);
	memset(crops, 0, (size_t)n * sizeof *crops);
	if (!(pick = malloc((size_t)n * sizeof *pick))) {
		rc = ARPG_ENOMEM;
		goto out;
	}
	if ((rc = follow(dets, ndet, n, &fr, pick)) < 0 ||
	    (rc = found = fit_faces(fm ? fm->shape : NULL, frames, n, size, dets, pick, cnn,
				    out)) < 0)
		goto out;
	if (fm && fm->o.smooth > 0 && (rc = smooth_transforms(out, n, fm->o.smooth)) < 0)
		goto out;
	fill_missing(out, n, found, frames[0].w, frames[0].h, size);
	for (i = 0; i < n; i++)
		if ((rc = arpg_align_warp(&crops[i], &frames[i], out[i].M, size)) < 0)
			goto out;
	rc = found;
out:
	if (rc < 0)
		for (i = 0; i < n; i++)
			arpg_image_free(&crops[i]);
	free(pick);
	return rc;
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

static void free_dets(struct arpg_face_det **dets, int n)
{
	int i;

	for (i = 0; dets && i < n; i++)
		free(dets[i]);
	free(dets);
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
			free_dets(dets, n);
			return ARPG_ENOMEM;
		}
		for (j = 0; j < ndet[i]; j++) {
			dets[i][j].box[0] = (float)rects[i][j].x;
			dets[i][j].box[1] = (float)rects[i][j].y;
			dets[i][j].box[2] = (float)rects[i][j].w;
			dets[i][j].box[3] = (float)rects[i][j].h;
		}
	}
	rc = align_faces(fm, frames, n, size, dets, ndet, 0, crops, out);
	free_dets(dets, n);
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
	return align_faces(fm, frames, n, size, faces, nfaces, 1, crops, out);
}

/* Frame i's faces by the cascade into dets[i], ndet[i]. */
static int detect_cascade(const struct arpg_face_models *fm, const struct arpg_image *frames,
			  int n, struct arpg_face_det **dets, int *ndet)
{
	int W = frames[0].w, H = frames[0].h, i, j, r, rc = 0;
	uint8_t *grey = malloc((size_t)W * H);
	struct arpg_rect *rects = NULL;

	if (!grey)
		return ARPG_ENOMEM;
	for (i = 0; i < n && rc >= 0; i++) {
		grey_of(grey, &frames[i], GREY_OPENCV);
		if (fm->o.equalize)
			equalize(grey, (size_t)W * H);
		if ((r = arpg_cascade_detect(fm->cascade, grey, W, H, W, &fm->o.detect, &rects)) < 0) {
			rc = r;
			break;
		}
		if (r && !(dets[i] = calloc((size_t)r, sizeof **dets)))
			rc = ARPG_ENOMEM;
		for (j = 0; j < r && rc >= 0; j++) {
			dets[i][j].box[0] = (float)rects[j].x, dets[i][j].box[1] = (float)rects[j].y;
			dets[i][j].box[2] = (float)rects[j].w, dets[i][j].box[3] = (float)rects[j].h;
		}
		ndet[i] = rc < 0 ? 0 : r;
		free(rects);
		rects = NULL;
	}
	free(grey);
	return rc;
}

/* Frame i's faces by the CNN detector into dets[i], ndet[i]: one session
 * for the clip's frame size. */
static int detect_cnn(const struct arpg_face_models *fm, const struct arpg_image *frames, int n,
		      struct arpg_face_det **dets, int *ndet, char *err, size_t errn)
{
	struct arpg_detector_session *s = NULL;
	int i, r, rc;

	if ((rc = arpg_detector_session_new(&s, fm->det, frames[0].w, frames[0].h, err, errn)) < 0)
		return rc;
	for (i = 0; i < n; i++) {
		if ((r = arpg_detector_detect(s, &frames[i], &dets[i], err, errn)) < 0) {
			rc = r;
			break;
		}
		ndet[i] = r;
	}
	arpg_detector_session_free(s);
	return rc;
}

/* Leaves in dets[i] only the faces whose box centre is in the side half
 * ('l' or 'r') of a frame w pixels wide. */
static void keep_side(struct arpg_face_det **dets, int *ndet, int n, int w, int side)
{
	for (int i = 0; i < n; i++) {
		int k = 0;

		for (int j = 0; j < ndet[i]; j++) {
			float cx = dets[i][j].box[0] + dets[i][j].box[2] / 2;

			if (side == 'l' ? cx < w / 2.0f : cx >= w / 2.0f)
				dets[i][k++] = dets[i][j];
		}
		ndet[i] = k;
	}
}

int arpg_face_align_clip(const struct arpg_face_models *fm, const struct arpg_image *frames,
			 int n, int size, int side, struct arpg_image *crops,
			 struct arpg_frame_row *out, char *err, size_t errn)
{
	struct arpg_face_det **dets = NULL;
	char tmp[256];
	int *ndet = NULL, rc;

	if (!err)
		err = tmp, errn = sizeof tmp;
	if (n <= 0)
		return 0;
	if (!fm || !frames || !crops || !out || size <= 0 || size > 2048 ||
	    (side && side != 'l' && side != 'r') || check_frames(frames, n) < 0)
		return ARPG_EINVAL;
	dets = calloc((size_t)n, sizeof *dets);
	ndet = calloc((size_t)n, sizeof *ndet);
	if (!dets || !ndet) {
		rc = ARPG_ENOMEM;
		goto out;
	}
	rc = fm->det ? detect_cnn(fm, frames, n, dets, ndet, err, errn)
		: detect_cascade(fm, frames, n, dets, ndet);
	if (rc >= 0 && side)
		keep_side(dets, ndet, n, frames[0].w, side);
	if (rc >= 0)
		rc = align_faces(fm, frames, n, size, dets, ndet, fm->det != NULL, crops, out);
out:
	free_dets(dets, n);
	free(ndet);
	return rc;
}
