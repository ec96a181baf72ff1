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

/* Alignment: the face modules want the whole clip in RGB. */
static int run_align(const struct clip *c, struct decoder *d, const struct clip_options *o,
		     const char *tmp, FILE *tsv, struct clip_result *res,
		     char *err, size_t errn)
{
	struct arpg_image *frames = NULL, *crops = NULL;
	struct arpg_frame_row *rows = NULL;
	char why[512] = "";
	long n = 0, i;
	size_t cap = 0;
	int r, rc = 0;
	double t0 = arpg_now(), t1;

	while ((r = decoder_next(d, err, errn)) == 1) {
		if (o->stop && *o->stop) {
			rc = ARPG_EINTR;
			goto out;
		}
		if ((rc = ARPG_GROW(frames, &cap, (size_t)n + 1)) < 0)
			goto out;
		memset(&frames[n], 0, sizeof *frames);
		if ((rc = decoder_rgb(d, &frames[n++])) < 0)
			goto out;
	}
	if (r < 0) {
		rc = r;
		goto out;
	}
	t1 = arpg_now();
	res->t_decode += t1 - t0;
	crops = calloc((size_t)n, sizeof *crops);
	rows = calloc((size_t)n, sizeof *rows);
	if (!crops || !rows) {
		rc = ARPG_ENOMEM;
		goto out;
	}
	rc = arpg_face_align_clip(o->fm, frames, (int)n, o->size, c->side, crops, rows, why,
				  sizeof why);
	t0 = arpg_now();
	res->t_face += t0 - t1;
	if (rc < 0) {
		arpg_errf(err, errn, rc, "face alignment failed%s%s", why[0] ? ": " : "", why);
		goto out;
	}
	res->faces = 0;
	for (i = 0; i < n; i++) {
		if ((rc = write_png(&crops[i], tmp, i, err, errn)) < 0)
			goto out;
		rows[i].label = label_of(c, i);
		if (arpg_frames_tsv_write_row(tsv, i, &rows[i], tsv_columns(c, o)) < 0) {
			rc = arpg_errf(err, errn, write_code(), "cannot write frames.tsv: %s",
				       strerror(errno));
			goto out;
		}
		res->faces += rows[i].detected != 0;
		res->frames++;
	}
	res->t_png += arpg_now() - t0;
	rc = 0;
out:
	for (i = 0; i < n; i++) {
		arpg_image_free(&frames[i]);
		if (crops)
			arpg_image_free(&crops[i]);
	}
	free(frames);
	free(crops);
	free(rows);
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
	rc = o->fm ? run_align(c, d, o, tmp, tsv, res, err, errn)
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
