/* clip.c - decode one clip and write its folder atomically (see clip.h). */
#include "clip.h"
#include "crop.h"
#include "progress.h"
#include "error.h"
#include "frames_tsv.h"
#include "grow.h"
#include "face/tracker.h"
#include "fileio.h"
#include "image.h"
#include "log.h"
#include "origin.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PNG_LEVEL 1

/* The code of a failed write: a full disk (or quota) says so. */
static int write_code(void)
{
	return errno == ENOSPC || errno == EDQUOT ? ARPG_EFULL : ARPG_EIO;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

int remove_tree(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : ARPG_EIO;
	return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0 ? ARPG_EIO : 0;
}

static int write_png(const struct arpg_image *im, const char *dir, long index,
		     char *err, size_t errn)
{
	char path[4200];
	int rc;

	snprintf(path, sizeof path, "%s/%06ld.png", dir, index);
	if ((rc = arpg_png_write(im, path, PNG_LEVEL)) < 0)
		return arpg_errf(err, errn, rc, "cannot write %s: %s", path, strerror(errno));
	return 0;
}

/* frames.tsv's columns: the detector's too when a CNN detector runs, the
 * label when the clip is labelled frame by frame. */
static int tsv_columns(const struct clip *c, const struct clip_options *o)
{
	return (arpg_face_models_detector(o->fm) ? ARPG_FRAMES_TSV_DETECTOR : 0) |
	       (c->frame_labels ? ARPG_FRAMES_TSV_LABEL : 0);
}

/* Frame i's label: the annotation's line for video frame i, -1 past its
 * end (and -1 for a clip without labels).  Frames are decoded at the
 * video's own rate (affwild2 refuses --fps), so frame i is video frame i. */
static int label_of(const struct clip *c, long i)
{
	return c->frame_labels && i < c->nlabels ? c->frame_labels[i] : -1;
}

/* Centre crops, frame by frame: nothing but the current frame in memory. */
static int run_centre(const struct clip *c, struct decoder *d, const struct clip_options *o,
		      const char *tmp, FILE *tsv, struct clip_result *res,
		      char *err, size_t errn)
{
	struct cropper *cr = NULL;
	struct arpg_image im = { 0 };
	struct arpg_frame_row ff;
	int r, rc;

	memset(&ff, 0, sizeof ff);
	if ((rc = cropper_new(&cr, o->size)) < 0)
		return rc;
	for (;;) {
		double t0 = arpg_now(), t1, t2;

		if ((r = decoder_next(d, err, errn)) != 1)
			break;
		t1 = arpg_now();
		res->t_decode += t1 - t0;
		if (o->stop && *o->stop) {
			rc = ARPG_EINTR;
			break;
		}
		if ((rc = crop_centre(cr, decoder_frame(d), &im, ff.M)) < 0) {
			arpg_errf(err, errn, rc, "cannot convert frame %ld (pixel format)",
				  res->frames);
			break;
		}
		t2 = arpg_now();
		res->t_scale += t2 - t1;
		rc = write_png(&im, tmp, res->frames, err, errn);
		res->t_png += arpg_now() - t2;
		if (rc < 0)
			break;
		ff.label = label_of(c, res->frames);
		if (arpg_frames_tsv_write_row(tsv, res->frames, &ff, tsv_columns(c, o)) < 0) {
			rc = arpg_errf(err, errn, write_code(), "cannot write frames.tsv: %s",
				       strerror(errno));
			break;
		}
		res->frames++;
	}
	if (r < 0)
		rc = r;
	arpg_image_free(&im);
	cropper_free(cr);
	return rc;
}

/* A frame of the clip decoded again (a later pass of run_align): opens
 * dec on the clip's bytes when NULL, advances it to the next frame and
 * converts it into im.  Returns 1, 0 (the clip ended), or a negative code
 * with err filled. */
static int decode_again(struct decoder **dec, const void *data, size_t len,
			const struct clip_options *o, struct arpg_image *im,
			char *err, size_t errn)
{
	int r;

	if (!*dec && (r = decoder_open(dec, data, len, &o->decode, err, errn)) < 0)
		return r;
	if ((r = decoder_next(*dec, err, errn)) != 1)
		return r;
	if ((r = decoder_rgb(*dec, im)) < 0)
		return arpg_errf(err, errn, r, "cannot convert a frame (pixel format)");
	return 1;
}

/* A later pass found got frames (-1: more) where the first found n:
 * decoding is meant to be deterministic, so this is the decoder's fault,
 * which decoding once avoids. */
static int differs(long n, long got, char *err, size_t errn)
{
	char more[32] = "more";

	if (got >= 0)
		snprintf(more, sizeof more, "%ld", got);
	return arpg_errf(err, errn, ARPG_EDECODE, "decoded %ld frames, then %s on a later pass: "
			 "set ARPG_FRAME_MEMORY above the clip's size to decode it once", n, more);
}

/* Frame i of a later pass, of the n the first pass decoded, into cur:
 * 0, or a negative code with err (ARPG_EINTR when stopped). */
static int frame_again(struct decoder **dec, const void *data, size_t len,
		       const struct clip_options *o, long i, long n, struct arpg_image *cur,
		       struct clip_result *res, char *err, size_t errn)
{
	double t0 = arpg_now();
	int r;

	if (o->stop && *o->stop)
		return ARPG_EINTR;
	r = decode_again(dec, data, len, o, cur, err, errn);
	res->t_decode += arpg_now() - t0;
	return r == 1 ? 0 : r < 0 ? r : differs(n, i, err, errn);
}

/* Alignment (common/face/tracker.h's steps).  The first pass decodes
 * every frame and detects its faces, holding the frames while they fit
 * o->frame_memory; the followed face is chosen from the detections alone.
 * Held frames then serve the landmarks and the warps; a clip too long to
 * hold is decoded again for each: once up to its last frame with a face
 * (when landmarks are loaded) and once for the warps.  Each frame's crop
 * is written as it is made. */
static int run_align(const struct clip *c, struct decoder *d, const void *data, size_t len,
		     const struct clip_options *o, const char *tmp, FILE *tsv,
		     struct clip_result *res, char *err, size_t errn)
{
	struct arpg_face_clip *t = NULL;
	struct decoder *again = NULL;
	struct arpg_image *held = NULL, cur = { 0 }, crop = { 0 };
	char why[512] = "";
	long n = 0, nheld = 0, i, last = -1;
	size_t cap = 0, bytes = 0;
	int keep = 1, w = 0, h = 0, r, rc;
	double t0 = arpg_now(), t1;

	if ((rc = arpg_face_clip_new(&t, o->fm, o->size, c->side)) < 0)
		goto out;
	/* pass 1: decode, detect, hold while the frames fit */
	while ((r = decoder_next(d, err, errn)) == 1) {
		struct arpg_image *im = &cur;

		if (o->stop && *o->stop) {
			rc = ARPG_EINTR;
			goto out;
		}
		if (keep && (rc = ARPG_GROW(held, &cap, (size_t)nheld + 1)) < 0)
			goto out;
		if (keep)
			memset(im = &held[nheld++], 0, sizeof *im);
		if ((rc = decoder_rgb(d, im)) < 0)
			goto out;
		w = im->w, h = im->h;
		t1 = arpg_now();
		res->t_decode += t1 - t0;
		rc = arpg_face_clip_detect(t, im, why, sizeof why);
		t0 = arpg_now();
		res->t_face += t0 - t1;
		if (rc < 0)
			goto failed;
		n++;
		if (keep && (bytes += (size_t)im->w * im->h * im->c) > o->frame_memory) {
			/* too long to hold: every later step decodes again */
			for (i = 0; i < nheld; i++)
				arpg_image_free(&held[i]);
			keep = 0;
			nheld = 0;
		}
	}
	if (r < 0) {
		rc = r;
		goto out;
	}
	if (!keep)
		arpg_info("%s: %ld frames of %dx%d exceed ARPG_FRAME_MEMORY (%zu MiB): decoded "
			  "again for the landmarks and the crops", c->source, n, w, h,
			  o->frame_memory >> 20);
	/* the followed face and, per frame, its landmarks and transform */
	if ((rc = arpg_face_clip_follow(t)) < 0)
		goto failed;
	for (i = 0; i < n; i++)
		if (arpg_face_clip_needs(t, (int)i))
			last = i;
	for (i = 0; i < n; i++) {
		const struct arpg_image *im = NULL;

		if (keep)
			im = &held[i];
		else if (i <= last) {
			if ((rc = frame_again(&again, data, len, o, i, n, &cur, res, err,
					      errn)) < 0)
				goto out;
			im = &cur;
		}
		t1 = arpg_now();
		rc = arpg_face_clip_fit(t, (int)i, arpg_face_clip_needs(t, (int)i) ? im : NULL);
		res->t_face += arpg_now() - t1;
		if (rc < 0)
			goto failed;
	}
	decoder_close(again);
	again = NULL;
	if ((rc = arpg_face_clip_finish(t)) < 0)
		goto failed;
	/* the crops, written as they are made */
	res->faces = 0;
	for (i = 0; i < n; i++) {
		struct arpg_frame_row row = *arpg_face_clip_row(t, (int)i);
		const struct arpg_image *im = keep ? &held[i] : &cur;

		if (!keep)
			rc = frame_again(&again, data, len, o, i, n, &cur, res, err, errn);
		else if (o->stop && *o->stop)
			rc = ARPG_EINTR;
		if (rc < 0)
			goto out;
		t1 = arpg_now();
		arpg_image_free(&crop);
		rc = arpg_face_clip_warp(t, (int)i, im, &crop);
		t0 = arpg_now();
		res->t_face += t0 - t1;
		if (rc < 0)
			goto failed;
		rc = write_png(&crop, tmp, i, err, errn);
		res->t_png += arpg_now() - t0;
		if (rc < 0)
			goto out;
		row.label = label_of(c, i);
		if (arpg_frames_tsv_write_row(tsv, i, &row, tsv_columns(c, o)) < 0) {
			rc = arpg_errf(err, errn, write_code(), "cannot write frames.tsv: %s",
				       strerror(errno));
			goto out;
		}
		res->faces += row.detected != 0;
		res->frames++;
	}
	/* the last pass must end where the first did */
	if (!keep && (r = decode_again(&again, data, len, o, &cur, err, errn)) != 0) {
		rc = r < 0 ? r : differs(n, -1, err, errn);
		goto out;
	}
	rc = 0;
	goto out;
failed:
	arpg_errf(err, errn, rc, "face alignment failed%s%s", why[0] ? ": " : "", why);
out:
	for (i = 0; i < nheld; i++)
		arpg_image_free(&held[i]);
	free(held);
	arpg_image_free(&cur);
	arpg_image_free(&crop);
	decoder_close(again);
	arpg_face_clip_free(t);
	return rc;
}

int clip_process(const struct clip *c, const char *outdir,
		      const struct clip_options *o, struct clip_result *res,
		      char *err, size_t errn)
{
	char tmp[4200], final[4200], path[4300], desc[256];
	struct decoder *d = NULL;
	void *owned = NULL;
	const void *data = c->data;
	size_t len = c->len;
	FILE *tsv = NULL;
	int rc;

	memset(res, 0, sizeof *res);
	err[0] = 0;
	snprintf(tmp, sizeof tmp, "%s/%s.tmp", outdir, c->id);
	snprintf(final, sizeof final, "%s/%s", outdir, c->id);
	if (!data) {
		if ((rc = arpg_read_file(c->file, 0, &owned, &len)) < 0)
			return arpg_errf(err, errn, rc, "cannot read: %s: check the file and its "
					 "permissions", rc == ARPG_EIO ? strerror(errno) : arpg_strerror(rc));
		data = owned;
	}
	if ((rc = decoder_open(&d, data, len, &o->decode, err, errn)) < 0)
		goto out;
	if (arpg_verbosity() >= ARPG_DEBUG) {
		decoder_describe(d, desc, sizeof desc);
		arpg_debug("%s: %s", c->source, desc);
	}
	if (remove_tree(tmp) < 0 || mkdir(tmp, 0777) < 0) {
		rc = arpg_errf(err, errn, write_code(),
			       "cannot make %s: %s", tmp, strerror(errno));
		goto out;
	}
	snprintf(path, sizeof path, "%s/frames.tsv", tmp);
	if (!(tsv = fopen(path, "w")) || arpg_frames_tsv_write_header(tsv, tsv_columns(c, o)) < 0 ||
	    (c->frame_labels && arpg_frames_tsv_write_classes(tsv, c->label_classes) < 0)) {
		rc = arpg_errf(err, errn, write_code(), "cannot write %s: %s", path, strerror(errno));
		goto out;
	}
	rc = o->fm ? run_align(c, d, data, len, o, tmp, tsv, res, err, errn)
		   : run_centre(c, d, o, tmp, tsv, res, err, errn);
	if (rc < 0)
		goto out;
	if (ferror(tsv) | fclose(tsv)) {
		tsv = NULL;
		rc = arpg_errf(err, errn, write_code(),
			       "cannot write %s: %s", path, strerror(errno));
		goto out;
	}
	tsv = NULL;
	if ((rc = origin_write(tmp, c, o->settings ? o->settings : "")) < 0) {
		rc = arpg_errf(err, errn, rc, "cannot write %s/origin.tsv: %s", tmp,
			       strerror(errno));
		goto out;
	}
	/* a folder the run chose to redo (run.c, origin.h) is replaced: for a
	 * moment neither is there, never half of one */
	if (rename(tmp, final) < 0 && ((errno != ENOTEMPTY && errno != EEXIST) ||
				       remove_tree(final) < 0 || rename(tmp, final) < 0))
		rc = arpg_errf(err, errn, ARPG_EIO, "cannot rename %s: %s", tmp, strerror(errno));
out:
	if (tsv)
		fclose(tsv);
	if (rc < 0) {
		remove_tree(tmp);
		if (rc == ARPG_EINTR && !err[0])
			arpg_errf(err, errn, rc, "stopped: a rerun redoes this clip");
	}
	decoder_close(d);
	free(owned);
	return rc;
}

int clip_done(const char *outdir, const char *id, struct clip_result *res)
{
	struct arpg_frames_tsv ft;
	struct stat st;
	char path[4300], why[256];

	memset(res, 0, sizeof *res);
	snprintf(path, sizeof path, "%s/%s", outdir, id);
	if (stat(path, &st) < 0)
		return 0;
	snprintf(path, sizeof path, "%s/%s/frames.tsv", outdir, id);
	if (arpg_frames_tsv_read(&ft, path, why, sizeof why) < 0)
		return ARPG_EFORMAT;
	res->frames = ft.rows;
	res->faces = ft.faces;
	arpg_frames_tsv_free(&ft);
	return 1;
}
