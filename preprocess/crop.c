/* crop.c - centre square and scale in one libswscale pass (see crop.h). */
#include "crop.h"
#include "error.h"

#include <libavutil/common.h>
#include <libavutil/frame.h>
#include <libavutil/mem.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
#include <stdlib.h>
#include <string.h>

struct cropper {
	int size;
	struct SwsContext *sws;
	AVFrame *view;		/* a reference to the frame, cropped */
	uint8_t *pad;		/* libswscale's SIMD may write past a row's end: */
	int pad_stride;		/* scale into a padded picture, then copy */
};

int cropper_new(struct cropper **cp, int size)
{
	struct cropper *c;

	*cp = NULL;
	if (size < 1 || size > 4096)
		return ARPG_EINVAL;
	if (!(c = calloc(1, sizeof *c)))
		return ARPG_ENOMEM;
	c->size = size;
	c->pad_stride = FFALIGN(size * 3, 64);
	if (!(c->view = av_frame_alloc()) ||
	    !(c->pad = av_malloc((size_t)c->pad_stride * (size_t)(size + 1) + 64))) {
		av_frame_free(&c->view);
		free(c);
		return ARPG_ENOMEM;
	}
	*cp = c;
	return 0;
}

void cropper_free(struct cropper *c)
{
	if (!c)
		return;
	sws_freeContext(c->sws);
	av_frame_free(&c->view);
	av_free(c->pad);
	free(c);
}

int crop_centre(struct cropper *c, const struct AVFrame *f, struct arpg_image *out,
		     double M[6])
{
	const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(f->format);
	int s = f->width < f->height ? f->width : f->height, x0, y0, rc, y;
	uint8_t *dst[4] = { 0 };
	int stride[4] = { 0 };
	double k;

	if (!desc || s <= 0)
		return ARPG_EDECODE;
	if (!out->px) {
		if ((rc = arpg_image_alloc(out, c->size, c->size, 3)) < 0)
			return rc;
	}
	x0 = (f->width - s) / 2;
	y0 = (f->height - s) / 2;
	if (!(desc->flags & AV_PIX_FMT_FLAG_RGB)) {
		x0 &= ~((1 << desc->log2_chroma_w) - 1);
		y0 &= ~((1 << desc->log2_chroma_h) - 1);
	}
	av_frame_unref(c->view);
	if (av_frame_ref(c->view, f) < 0)
		return ARPG_ENOMEM;
	c->view->crop_left = (size_t)x0;
	c->view->crop_top = (size_t)y0;
	c->view->crop_right = (size_t)(f->width - x0 - s);
	c->view->crop_bottom = (size_t)(f->height - y0 - s);
	if (av_frame_apply_cropping(c->view, AV_FRAME_CROP_UNALIGNED) < 0)
		return ARPG_EDECODE;
	c->sws = sws_getCachedContext(c->sws, s, s, c->view->format, c->size, c->size,
				      AV_PIX_FMT_RGB24, SWS_BICUBIC, NULL, NULL, NULL);
	if (!c->sws)
		return ARPG_EDECODE;
	dst[0] = c->pad;
	stride[0] = c->pad_stride;
	sws_scale(c->sws, (const uint8_t *const *)c->view->data, c->view->linesize, 0, s,
		  dst, stride);
	for (y = 0; y < c->size; y++)
		memcpy(out->px + (size_t)y * (size_t)c->size * 3,
		       c->pad + (size_t)y * (size_t)c->pad_stride, (size_t)c->size * 3);
	av_frame_unref(c->view);
	k = (double)c->size / s;
	M[0] = k;
	M[1] = 0;
	M[2] = k * (0.5 - x0) - 0.5;
	M[3] = 0;
	M[4] = k;
	M[5] = k * (0.5 - y0) - 0.5;
	return 0;
}
