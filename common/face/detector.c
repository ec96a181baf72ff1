/* detector.c - a CNN face detector on the ONNX engine (see detector.h):
 * the model recognised (yunet.c, scrfd.c), the input made as each
 * reference makes it, the outputs decoded and suppressed, the faces
 * brought back to the frame's pixels.
 *
 * YuNet (OpenCV's FaceDetectorYN): BGR 0..255; a frame whose longer side
 * is above det_size is scaled down to it (never up), and the input is
 * padded with zeros at the right and the bottom to multiples of 32; faces
 * are decoded and suppressed in the input's pixels, then divided by the
 * scale of each axis.  SCRFD (insightface's scrfd.py): RGB (x - 127.5) /
 * 128 in a det_size square (or the model's fixed size), the frame scaled
 * to fit (up or down) at the top-left and zeros elsewhere; faces are
 * divided by the scale before the NMS.  Scaling is bilinear between pixel
 * centres, as cv2.resize's INTER_LINEAR. */
#include "detector.h"
#include "detector_impl.h"
#include "error.h"
#include "fileio.h"
#include "grow.h"
#include "onnx/onnx.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_DET_SIZE 640
/* the side of the input the model is checked with at load (YuNet) */
#define CHECK_SIDE 160
/* what a session's engine may allocate: YuNet at the largest det_size
 * (4096) needs about 1 GiB */
#define DET_MEMORY_LIMIT ((size_t)2 << 30)

struct arpg_detector {
	struct det_layout layout;	/* as recognised at load (SCRFD: for its input) */
	struct arpg_detector_options o;	/* defaults resolved */
	int fixed_w, fixed_h;		/* the model's input size, 0 when symbolic */
	void *buf;			/* the model file, loaded again by each session */
	size_t len;
	char desc[160];
};

struct arpg_detector_session {
	const struct arpg_detector *d;
	struct arpg_onnx *m;
	struct det_layout layout;
	int fw, fh;			/* the frames */
	int inw, inh, iw, ih;		/* the input and the frame's part of it */
	double sx, sy;			/* input pixels per frame pixel */
	float *in;			/* 3 x inh x inw */
	int *xi, *yi;			/* the scaling's source pixels (linear_axis) */
	float *xf, *yf;
};

struct arpg_face_det *det_vec_add(struct det_vec *v)
{
	if (ARPG_GROW(v->d, &v->cap, (size_t)v->n + 1) < 0)
		return NULL;
	memset(&v->d[v->n], 0, sizeof *v->d);
	return &v->d[v->n++];
}

void det_order(const struct det_vec *v, int *idx)
{
	int i, j, k;

	/* insertion sort: stable, and the candidates are few after the
	 * score threshold */
	for (i = 0; i < v->n; i++) {
		k = i;
		for (j = i; j > 0 && v->d[idx[j - 1]].score < v->d[k].score; j--)
			idx[j] = idx[j - 1];
		idx[j] = k;
	}
}

static int round_up32(int v)
{
	return (v + 31) / 32 * 32;
}

/* The input size and the frame's part of it for w x h frames, and the
 * scales (see the top of the file). */
static void input_geometry(struct arpg_detector_session *s, int w, int h)
{
	const struct arpg_detector *d = s->d;
	int side = d->o.det_size;

	if (d->layout.kind == ARPG_DETECTOR_SCRFD) {
		double im_ratio = (double)h / w, model_ratio;
		s->inw = d->fixed_w ? d->fixed_w : side;
		s->inh = d->fixed_h ? d->fixed_h : side;
		/* scrfd.py's detect(): the width or the height fills the input */
		model_ratio = (double)s->inh / s->inw;
		if (im_ratio > model_ratio) {
			s->ih = s->inh;
			s->iw = (int)(s->ih / im_ratio);
		} else {
			s->iw = s->inw;
			s->ih = (int)(s->iw * im_ratio);
		}
		s->iw = s->iw < 1 ? 1 : s->iw;
		s->ih = s->ih < 1 ? 1 : s->ih;
		s->sx = s->sy = (double)s->ih / h;	/* det_scale */
		return;
	}
	if (d->fixed_w) {
		double k = fmin((double)d->fixed_w / w, (double)d->fixed_h / h);
		s->inw = d->fixed_w, s->inh = d->fixed_h;
		s->iw = (int)fmax(1, fmin(d->fixed_w, lround(w * k)));
		s->ih = (int)fmax(1, fmin(d->fixed_h, lround(h * k)));
	} else {
		double k = w > side || h > side ? (double)side / (w > h ? w : h) : 1;
		s->iw = (int)fmax(1, lround(w * k));
		s->ih = (int)fmax(1, lround(h * k));
		s->inw = round_up32(s->iw);
		s->inh = round_up32(s->ih);
	}
	s->sx = (double)s->iw / w;
	s->sy = (double)s->ih / h;
}

/* One axis of cv2.resize's INTER_LINEAR from n to m samples: for output
 * i the first source index and the weight of the next (clamped at the
 * ends). */
static void linear_axis(int n, int m, int *i0, float *f)
{
	double k = (double)n / m;
	int i;

	for (i = 0; i < m; i++) {
		double x = (i + 0.5) * k - 0.5;
		int x0 = (int)floor(x);
		double t = x - x0;
		if (x0 < 0)
			x0 = 0, t = 0;
		if (x0 >= n - 1)
			x0 = n - 1, t = 0;
		i0[i] = x0;
		f[i] = (float)t;
	}
}

/* The model's input from a frame: the frame scaled into the top-left iw x
 * ih, zeros elsewhere, as BGR 0..255 (YuNet) or RGB (x - 127.5) / 128
 * (SCRFD). */
static void fill_input(struct arpg_detector_session *s, const struct arpg_image *im)
{
	int scrfd = s->layout.kind == ARPG_DETECTOR_SCRFD, c, x, y;
	size_t plane = (size_t)s->inw * s->inh;
	float pad = scrfd ? -127.5f / 128 : 0;

	for (c = 0; c < 3; c++) {
		/* YuNet reads B G R: plane c is RGB channel 2 - c */
		int ch = im->c == 1 ? 0 : scrfd ? c : 2 - c;
		float *p = s->in + c * plane;
		for (y = 0; y < s->inh; y++) {
			float *row = p + (size_t)y * s->inw;
			const uint8_t *r0, *r1;
			float fy;
			if (y >= s->ih) {
				for (x = 0; x < s->inw; x++)
					row[x] = pad;
				continue;
			}
			r0 = im->px + (size_t)s->yi[y] * im->w * im->c;
			r1 = s->yi[y] + 1 < im->h ? r0 + (size_t)im->w * im->c : r0;
			fy = s->yf[y];
			for (x = 0; x < s->iw; x++) {
				int a = s->xi[x] * im->c + ch, b = s->xi[x] + 1 < im->w ? a + im->c : a;
				float t = r0[a] + (r0[b] - r0[a]) * s->xf[x];
				float u = r1[a] + (r1[b] - r1[a]) * s->xf[x];
				float v = t + (u - t) * fy;
				row[x] = scrfd ? (v - 127.5f) / 128 : v;
			}
			for (; x < s->inw; x++)
				row[x] = pad;
		}
	}
}

/* The engine loaded from d's bytes and prepared for the session's input. */
static int prepare_engine(struct arpg_detector_session *s, char *err, size_t errn)
{
	const struct arpg_detector *d = s->d;
	int64_t dims[4] = { 1, 3, s->inh, s->inw };
	int rc;

	if ((rc = arpg_onnx_load(&s->m, d->buf, d->len, err, errn)) < 0)
		return rc;
	arpg_onnx_set_memory_limit(s->m, DET_MEMORY_LIMIT);
	if (d->o.threads > 0)
		arpg_onnx_set_threads(s->m, d->o.threads);
	if ((rc = arpg_onnx_set_input_shape(s->m, 0, 4, dims, err, errn)) < 0 ||
	    (rc = arpg_onnx_prepare(s->m, 1, err, errn)) < 0)
		return rc;
	s->in = malloc(3 * (size_t)s->inw * s->inh * sizeof *s->in);
	s->xi = malloc(s->iw * sizeof *s->xi);
	s->yi = malloc(s->ih * sizeof *s->yi);
	s->xf = malloc(s->iw * sizeof *s->xf);
	s->yf = malloc(s->ih * sizeof *s->yf);
	if (!s->in || !s->xi || !s->yi || !s->xf || !s->yf)
		return ARPG_ENOMEM;
	linear_axis(s->fw, s->iw, s->xi, s->xf);
	linear_axis(s->fh, s->ih, s->yi, s->yf);
	return 0;
}

int arpg_detector_session_new(struct arpg_detector_session **sp, const struct arpg_detector *d,
			      int w, int h, char *err, size_t errn)
{
	struct arpg_detector_session *s;
	char why[200];
	int rc;

	*sp = NULL;
	if (w < 1 || h < 1 || w > 65535 || h > 65535)
		return arpg_errf(err, errn, ARPG_EINVAL, "frames of %dx%d", w, h);
	if (!(s = calloc(1, sizeof *s)))
		return ARPG_ENOMEM;
	s->d = d;
	s->layout = d->layout;
	s->fw = w, s->fh = h;
	input_geometry(s, w, h);
	if ((rc = prepare_engine(s, err, errn)) < 0)
		goto fail;
	if (s->layout.kind == ARPG_DETECTOR_SCRFD ?
	    !scrfd_recognise(s->m, s->inw, s->inh, &s->layout, why, sizeof why) :
	    yunet_check(s->m, s->inw, s->inh, why, sizeof why) < 0) {
		rc = arpg_errf(err, errn, ARPG_EUNSUPPORTED, "at %dx%d: %s", s->inw, s->inh, why);
		goto fail;
	}
	*sp = s;
	return 0;
fail:
	arpg_detector_session_free(s);
	return rc;
}

void arpg_detector_session_free(struct arpg_detector_session *s)
{
	if (!s)
		return;
	arpg_onnx_free(s->m);
	free(s->in);
	free(s->xi), free(s->yi), free(s->xf), free(s->yf);
	free(s);
}

void arpg_detector_session_input(const struct arpg_detector_session *s, int *w, int *h,
				 int *iw, int *ih)
{
	*w = s->inw, *h = s->inh, *iw = s->iw, *ih = s->ih;
}

const struct arpg_onnx *arpg_detector_session_engine(const struct arpg_detector_session *s)
{
	return s->m;
}

/* Output k's data after a run. */
static const float *out_data(const struct arpg_detector_session *s, int k)
{
	struct arpg_onnx_tensor t;

	arpg_onnx_output(s->m, k, &t);
	return t.data;
}

/* The run's outputs decoded and suppressed into v, in the frame's pixels
 * as x y w h. */
static int decode(struct arpg_detector_session *s, struct det_vec *v)
{
	const struct det_layout *l = &s->layout;
	const float *o[4][DET_MAX_LEVELS] = { { 0 } };
	int k, lv, i, rc;

	for (k = 0; k < 4; k++)
		for (lv = 0; lv < l->nlevels; lv++)
			if (k < 3 || l->kind == ARPG_DETECTOR_YUNET)
				o[k][lv] = k == 2 && l->kind == ARPG_DETECTOR_SCRFD && !l->kps ? NULL
					: out_data(s, l->out[k][lv]);
	if (l->kind == ARPG_DETECTOR_YUNET) {
		if ((rc = yunet_decode(o, l->strides, l->nlevels, s->inw, s->inh, s->d->o.score,
				       v)) < 0 ||
		    (rc = yunet_nms(v, s->d->o.score, s->d->o.nms, 5000)) < 0)
			return rc;
		for (i = 0; i < v->n; i++)
			for (k = 0; k < 7; k++) {
				float *p = k < 2 ? &v->d[i].box[2 * k] : &v->d[i].kps[2 * (k - 2)];
				p[0] = (float)(p[0] / s->sx);
				p[1] = (float)(p[1] / s->sy);
			}
		return 0;
	}
	if ((rc = scrfd_decode(o[0], o[1], l->kps ? o[2] : NULL, l->strides, l->nlevels,
			       l->anchors, s->inw, s->inh, s->d->o.score, s->sx, v)) < 0 ||
	    (rc = scrfd_nms(v, s->d->o.nms)) < 0)
		return rc;
	for (i = 0; i < v->n; i++) {
		v->d[i].box[2] -= v->d[i].box[0];
		v->d[i].box[3] -= v->d[i].box[1];
	}
	return 0;
}

int arpg_detector_detect(struct arpg_detector_session *s, const struct arpg_image *frame,
			 struct arpg_face_det **faces, char *err, size_t errn)
{
	const float *in[1];
	struct det_vec v = { 0 };
	int rc;

	*faces = NULL;
	if (frame->w != s->fw || frame->h != s->fh || (frame->c != 1 && frame->c != 3))
		return arpg_errf(err, errn, ARPG_EINVAL, "a %dx%d frame for a session of %dx%d",
				 frame->w, frame->h, s->fw, s->fh);
	fill_input(s, frame);
	in[0] = s->in;
	if ((rc = arpg_onnx_run(s->m, 1, in, err, errn)) < 0)
		return rc;
	if ((rc = decode(s, &v)) < 0) {
		free(v.d);
		return arpg_errf(err, errn, rc, "out of memory");
	}
	*faces = v.d;
	return v.n;
}

/* The model's only input, 1 (or symbolic) x 3 x H x W; H and W fixed or
 * symbolic. */
static int check_input(struct arpg_detector *d, const struct arpg_onnx *m, char *err,
		       size_t errn)
{
	int64_t dims[8];
	const char *name;
	int rank;

	if (arpg_onnx_ninputs(m) != 1 || arpg_onnx_input_info(m, 0, &name, &rank, dims) < 0 ||
	    rank != 4 || dims[0] > 1 || (dims[1] != 3 && dims[1] > 0))
		return arpg_errf(err, errn, ARPG_EUNSUPPORTED,
				 "expected one input of 1x3xHxW (an image), as YuNet and SCRFD have");
	d->fixed_w = dims[3] > 0 ? (int)dims[3] : 0;
	d->fixed_h = dims[2] > 0 ? (int)dims[2] : 0;
	if (!d->fixed_w != !d->fixed_h)
		return arpg_errf(err, errn, ARPG_EUNSUPPORTED,
				 "input '%s': one side fixed, the other not", name);
	return 0;
}

/* Names the outputs m has, for the error of an unknown model. */
static void list_outputs(const struct arpg_onnx *m, char *buf, size_t n)
{
	size_t k = 0;
	int i, j;

	buf[0] = 0;
	for (i = 0; i < arpg_onnx_noutputs(m) && i < 6 && k < n; i++) {
		struct arpg_onnx_tensor t;
		arpg_onnx_output(m, i, &t);
		k += snprintf(buf + k, n - k, "%s'%s' (", i ? ", " : "", t.name);
		for (j = 0; j < t.rank && k < n; j++)
			k += snprintf(buf + k, n - k, j ? "x%lld" : "%lld", (long long)t.dims[j]);
		if (k < n)
			k += snprintf(buf + k, n - k, ")");
	}
	if (i < arpg_onnx_noutputs(m) && k < n)
		snprintf(buf + k, n - k, " and %d more", arpg_onnx_noutputs(m) - i);
}

/* Recognises the model: YuNet by its output names, SCRFD by its outputs'
 * count and shapes once prepared at a check size (which also shows that
 * the engine runs it). */
static int recognise(struct arpg_detector *d, char *err, size_t errn)
{
	struct arpg_onnx *m = NULL;
	char outs[400], why[200] = "";
	int rc, yunet, w, h;

	if ((rc = arpg_onnx_load(&m, d->buf, d->len, err, errn)) < 0)
		return rc;
	if ((rc = check_input(d, m, err, errn)) < 0)
		goto out;
	yunet = yunet_recognise(m, &d->layout);
	w = d->fixed_w ? d->fixed_w : yunet ? CHECK_SIDE : d->o.det_size;
	h = d->fixed_h ? d->fixed_h : yunet ? CHECK_SIDE : d->o.det_size;
	arpg_onnx_set_memory_limit(m, DET_MEMORY_LIMIT);
	if ((rc = arpg_onnx_set_input_shape(m, 0, 4, (int64_t[]){ 1, 3, h, w }, err, errn)) < 0 ||
	    (rc = arpg_onnx_prepare(m, 1, err, errn)) < 0)
		goto out;
	if (yunet ? yunet_check(m, w, h, why, sizeof why) < 0
	    : !scrfd_recognise(m, w, h, &d->layout, why, sizeof why)) {
		list_outputs(m, outs, sizeof outs);
		rc = arpg_errf(err, errn, ARPG_EUNSUPPORTED,
			       "not a face detector arpg knows (%s: %s at %dx%d); its %d output%s "
			       "%s; YuNet has 12, cls_8 cls_16 cls_32 obj_* bbox_* kps_* of 1 x N x "
			       "1, 4 or 10; SCRFD 6 or 9, scores (N x 1), boxes (N x 4) and "
			       "keypoints (N x 10) at strides 8, 16, 32", yunet ? "as YuNet" :
			       "not YuNet's names; as SCRFD", why, w, h, arpg_onnx_noutputs(m),
			       arpg_onnx_noutputs(m) == 1 ? " is" : "s are", outs);
		goto out;
	}
	if (!d->o.score)
		d->o.score = 0.5f;
	if (!d->o.nms)
		d->o.nms = yunet ? 0.3f : 0.4f;
	if (yunet)
		snprintf(d->desc, sizeof d->desc, "YuNet (12 outputs, strides 8 16 32; BGR input, "
			 "longer side at most %d, padded to multiples of 32)", d->o.det_size);
	else
		snprintf(d->desc, sizeof d->desc, "SCRFD (%d outputs, %s keypoints, %d anchors per "
			 "cell at strides 8 to %d; RGB input %dx%d)", arpg_onnx_noutputs(m),
			 d->layout.kps ? "with" : "without", d->layout.anchors,
			 d->layout.strides[d->layout.nlevels - 1], w, h);
out:
	arpg_onnx_free(m);
	return rc;
}

/* Checks the options; a detector owning buf (len bytes), recognised, or
 * NULL with the code and err naming name.  buf is freed on failure. */
static int load_owned(struct arpg_detector **dp, const char *name, void *buf, size_t len,
		      const struct arpg_detector_options *o, char *err, size_t errn)
{
	struct arpg_detector *d;
	char msg[700];
	int rc;

	*dp = NULL;
	if (!(d = calloc(1, sizeof *d))) {
		free(buf);
		return ARPG_ENOMEM;
	}
	d->buf = buf, d->len = len;
	d->o = *o;
	if (!d->o.det_size)
		d->o.det_size = DEFAULT_DET_SIZE;
	msg[0] = 0;
	if ((rc = recognise(d, msg, sizeof msg)) < 0) {
		arpg_errf(err, errn, rc, "%s: %s", name, msg[0] ? msg : arpg_strerror(rc));
		arpg_detector_free(d);
		return rc;
	}
	*dp = d;
	return 0;
}

static int options_ok(const struct arpg_detector_options *o, char *err, size_t errn)
{
	if (o->det_size < 0 || o->det_size > 4096 || o->det_size % 32 || o->score < 0 ||
	    o->score > 1 || o->nms < 0 || o->nms > 1 || o->threads < 0)
		return arpg_errf(err, errn, ARPG_EINVAL, "detector options out of range");
	return 0;
}

int arpg_detector_load(struct arpg_detector **dp, const char *path,
		       const struct arpg_detector_options *o, char *err, size_t errn)
{
	void *buf;
	size_t len;
	int rc;

	*dp = NULL;
	if ((rc = options_ok(o, err, errn)) < 0)
		return rc;
	if ((rc = arpg_read_file(path, 0, &buf, &len)) < 0)
		return arpg_errf(err, errn, rc == ARPG_EIO && errno == ENOENT ? ARPG_ENOENT : rc,
				 "%s: %s", path, rc == ARPG_EIO ? strerror(errno) : arpg_strerror(rc));
	return load_owned(dp, path, buf, len, o, err, errn);
}

int arpg_detector_load_buffer(struct arpg_detector **dp, const char *name, const void *buf,
			      size_t len, const struct arpg_detector_options *o,
			      char *err, size_t errn)
{
	void *copy;
	int rc;

	*dp = NULL;
	if ((rc = options_ok(o, err, errn)) < 0)
		return rc;
	if (!(copy = malloc(len ? len : 1)))
		return ARPG_ENOMEM;
	memcpy(copy, buf, len);
	return load_owned(dp, name, copy, len, o, err, errn);
}

void arpg_detector_free(struct arpg_detector *d)
{
	if (!d)
		return;
	free(d->buf);
	free(d);
}

enum arpg_detector_kind arpg_detector_kind(const struct arpg_detector *d)
{
	return d->layout.kind;
}

const char *arpg_detector_describe(const struct arpg_detector *d)
{
	return d->desc;
}
