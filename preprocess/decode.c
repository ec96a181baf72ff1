/* decode.c - FFmpeg demuxing and decoding from memory (see decode.h).
 *
 * The loop is FFmpeg's doc/examples/demux_decode.c: receive until EAGAIN,
 * then read and send the next packet of our stream; EOF sends the NULL
 * packet that drains the decoder.  Unlike the CLI we do not conceal errors:
 * a corrupt packet or frame fails the clip, so that no clip is written from
 * a damaged file without anyone noticing. */
#include "decode.h"
#include "error.h"

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define IO_BUF 65536

struct decoder {
	const uint8_t *buf;
	size_t len, pos;
	AVIOContext *io;
	AVFormatContext *fmt;
	AVCodecContext *dec;
	AVPacket *pkt;
	AVFrame *frame, *held, *cur;
	int stream, eof_sent, held_valid, have_t0;
	long packets, decoded, out;
	struct decode_options o;
	double t0, held_t, frame_dur;
	long next_tick, emit_left;
	struct SwsContext *sws;
	int sws_w, sws_h, sws_fmt, sws_range;
	uint8_t *pad;		/* libswscale's SIMD writes past a row's end: a */
	int pad_stride;		/* padded picture, copied into the image after */
};

static int io_read(void *opaque, uint8_t *to, int n)
{
	struct decoder *d = opaque;
	size_t left = d->len - d->pos;

	if (!left)
		return AVERROR_EOF;
	if ((size_t)n > left)
		n = (int)left;
	memcpy(to, d->buf + d->pos, (size_t)n);
	d->pos += (size_t)n;
	return n;
}

static int64_t io_seek(void *opaque, int64_t off, int whence)
{
	struct decoder *d = opaque;
	int64_t to;

	switch (whence & ~AVSEEK_FORCE) {
	case AVSEEK_SIZE:
		return (int64_t)d->len;
	case SEEK_SET:
		to = off;
		break;
	case SEEK_CUR:
		to = (int64_t)d->pos + off;
		break;
	case SEEK_END:
		to = (int64_t)d->len + off;
		break;
	default:
		return AVERROR(EINVAL);
	}
	if (to < 0 || to > (int64_t)d->len)
		return AVERROR(EINVAL);
	d->pos = (size_t)to;
	return to;
}

static int fferr(char *err, size_t errn, int code, const char *what, int averr)
{
	char msg[AV_ERROR_MAX_STRING_SIZE];

	av_strerror(averr, msg, sizeof msg);
	return arpg_errf(err, errn, code, "%s: %s", what, msg);
}

void decoder_close(struct decoder *d)
{
	if (!d)
		return;
	avcodec_free_context(&d->dec);
	avformat_close_input(&d->fmt);
	if (d->io) {
		av_freep(&d->io->buffer);
		avio_context_free(&d->io);
	}
	av_packet_free(&d->pkt);
	av_frame_free(&d->frame);
	av_frame_free(&d->held);
	av_frame_free(&d->cur);
	sws_freeContext(d->sws);
	av_free(d->pad);
	free(d);
}

int decoder_open(struct decoder **dp, const void *buf, size_t len,
		      const struct decode_options *o, char *err, size_t errn)
{
	struct decoder *d;
	const AVCodec *codec = NULL;
	AVStream *st;
	uint8_t *iobuf;
	int r, rc = ARPG_ENOMEM;

	*dp = NULL;
	if (!(d = calloc(1, sizeof *d)))
		return ARPG_ENOMEM;
	d->buf = buf;
	d->len = len;
	if (o)
		d->o = *o;
	if (!len) {
		rc = arpg_errf(err, errn, ARPG_EDECODE, "empty file: not a video");
		goto fail;
	}
	if (!(iobuf = av_malloc(IO_BUF)))
		goto fail;
	if (!(d->io = avio_alloc_context(iobuf, IO_BUF, 0, d, io_read, NULL, io_seek))) {
		av_free(iobuf);
		goto fail;
	}
	if (!(d->fmt = avformat_alloc_context()) || !(d->pkt = av_packet_alloc()) ||
	    !(d->frame = av_frame_alloc()) || !(d->held = av_frame_alloc()) ||
	    !(d->cur = av_frame_alloc()))
		goto fail;
	d->fmt->pb = d->io;
	d->fmt->flags |= AVFMT_FLAG_CUSTOM_IO;
	if ((r = avformat_open_input(&d->fmt, NULL, NULL, NULL)) < 0) {
		/* avformat_open_input frees the context on failure */
		d->fmt = NULL;
		rc = fferr(err, errn, ARPG_EDECODE, "not a video file, or a truncated one (FFmpeg cannot open it)", r);
		goto fail;
	}
	if ((r = avformat_find_stream_info(d->fmt, NULL)) < 0) {
		rc = fferr(err, errn, ARPG_EDECODE, "cannot read the streams", r);
		goto fail;
	}
	if ((r = av_find_best_stream(d->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0)) < 0) {
		rc = arpg_errf(err, errn, ARPG_EDECODE, "no video stream%s (%s)",
			       r == AVERROR_DECODER_NOT_FOUND ? " that FFmpeg can decode" : "",
			       d->fmt->iformat->name);
		goto fail;
	}
	d->stream = r;
	st = d->fmt->streams[r];
	for (r = 0; r < (int)d->fmt->nb_streams; r++)
		if (r != d->stream)
			d->fmt->streams[r]->discard = AVDISCARD_ALL;
	if (!(d->dec = avcodec_alloc_context3(codec)))
		goto fail;
	if ((r = avcodec_parameters_to_context(d->dec, st->codecpar)) < 0) {
		rc = fferr(err, errn, ARPG_EDECODE, "bad stream parameters", r);
		goto fail;
	}
	d->dec->pkt_timebase = st->time_base;
	d->dec->thread_count = 1;	/* parallel over clips, not within one */
	if ((r = avcodec_open2(d->dec, codec, NULL)) < 0) {
		rc = fferr(err, errn, ARPG_EDECODE, "cannot open the decoder", r);
		goto fail;
	}
	if (d->dec->width <= 0 || d->dec->height <= 0) {
		rc = arpg_errf(err, errn, ARPG_EDECODE, "video stream without a picture size");
		goto fail;
	}
	{
		AVRational fr = st->avg_frame_rate.num ? st->avg_frame_rate : st->r_frame_rate;

		d->frame_dur = fr.num > 0 && fr.den > 0 ? 1.0 / av_q2d(fr) : 1.0 / 25;
	}
	*dp = d;
	return 0;
fail:
	decoder_close(d);
	return rc;
}

/* Next decoded frame into d->frame: 1, 0 at the end, or an error. */
static int decode_one(struct decoder *d, char *err, size_t errn)
{
	int r;

	for (;;) {
		r = avcodec_receive_frame(d->dec, d->frame);
		if (r == 0) {
			if (d->frame->decode_error_flags || (d->frame->flags & AV_FRAME_FLAG_CORRUPT))
				return arpg_errf(err, errn, ARPG_EDECODE, "frame %ld is damaged "
						 "(truncated or corrupt video): re-encode or remove "
						 "the clip", d->decoded);
			d->decoded++;
			return 1;
		}
		if (r == AVERROR_EOF) {
			AVStream *st = d->fmt->streams[d->stream];

			/* a file cut at a packet boundary: fewer packets than the
			 * header declares (with slack: muxers round, -shortest...) */
			if (st->nb_frames > 0 && d->packets < st->nb_frames - 1 - st->nb_frames / 20)
				return arpg_errf(err, errn, ARPG_EDECODE, "truncated video: %ld of "
						 "the %lld frames it declares: re-download or "
						 "re-encode the clip", d->packets,
						 (long long)st->nb_frames);
			return 0;
		}
		if (r != AVERROR(EAGAIN))
			return fferr(err, errn, ARPG_EDECODE, "cannot decode the video", r);
		if (d->eof_sent)
			return 0;
		r = av_read_frame(d->fmt, d->pkt);
		if (r == AVERROR_EOF || (r < 0 && avio_feof(d->fmt->pb))) {
			d->eof_sent = 1;
			if ((r = avcodec_send_packet(d->dec, NULL)) < 0 && r != AVERROR_EOF)
				return fferr(err, errn, ARPG_EDECODE, "cannot decode the video", r);
			continue;
		}
		if (r < 0)
			return fferr(err, errn, ARPG_EDECODE, "cannot read the video", r);
		if (d->pkt->stream_index != d->stream) {
			av_packet_unref(d->pkt);
			continue;
		}
		d->packets++;
		if (d->pkt->flags & AV_PKT_FLAG_CORRUPT) {
			av_packet_unref(d->pkt);
			return arpg_errf(err, errn, ARPG_EDECODE, "packet %ld is truncated or "
					 "corrupt: re-download or re-encode the clip", d->packets - 1);
		}
		r = avcodec_send_packet(d->dec, d->pkt);
		av_packet_unref(d->pkt);
		if (r < 0 && r != AVERROR(EAGAIN))
			return fferr(err, errn, ARPG_EDECODE, "corrupt video data (re-encode or "
				     "remove the clip)", r);
	}
}

static double frame_time(struct decoder *d, const AVFrame *f)
{
	AVRational tb = d->fmt->streams[d->stream]->time_base;

	if (f->best_effort_timestamp == AV_NOPTS_VALUE)
		return (double)(d->decoded - 1) * d->frame_dur;
	return (double)f->best_effort_timestamp * av_q2d(tb);
}

int decoder_next(struct decoder *d, char *err, size_t errn)
{
	int r;

	if (d->o.max_frames > 0 && d->out >= d->o.max_frames)
		return 0;
	if (d->emit_left > 0) {		/* the current frame again (--fps) */
		d->emit_left--;
		d->next_tick++;
		d->out++;
		return 1;
	}
	for (;;) {
		if ((r = decode_one(d, err, errn)) < 0)
			return r;
		if (d->o.fps <= 0) {
			if (r == 0)
				break;
			av_frame_unref(d->cur);
			av_frame_move_ref(d->cur, d->frame);
			d->out++;
			return 1;
		}
		if (r == 1) {
			double t = frame_time(d, d->frame);
			long tick;

			if (!d->have_t0) {
				d->t0 = t;
				d->have_t0 = 1;
			}
			tick = lround((t - d->t0) * d->o.fps);
			if (d->held_valid && tick > d->next_tick) {
				av_frame_unref(d->cur);
				av_frame_move_ref(d->cur, d->held);
				d->emit_left = tick - d->next_tick - 1;
				av_frame_move_ref(d->held, d->frame);
				d->held_t = t;
				d->next_tick++;
				d->out++;
				return 1;
			}
			av_frame_unref(d->held);
			av_frame_move_ref(d->held, d->frame);
			d->held_t = t;
			d->held_valid = 1;
			continue;
		}
		if (d->held_valid) {	/* the end: the last frame until its end time */
			long end = lround((d->held_t + d->frame_dur - d->t0) * d->o.fps);

			d->held_valid = 0;
			if (end <= d->next_tick) {
				if (d->out)	/* as the fps filter: its time has passed */
					break;
				end = d->next_tick + 1;
			}
			av_frame_unref(d->cur);
			av_frame_move_ref(d->cur, d->held);
			d->emit_left = end - d->next_tick - 1;
			d->next_tick++;
			d->out++;
			return 1;
		}
		break;
	}
	if (!d->out)
		return arpg_errf(err, errn, ARPG_EDECODE, "no frame could be decoded: "
				 "re-encode or remove the clip");
	return 0;
}

const struct AVFrame *decoder_frame(const struct decoder *d)
{
	return d->cur;
}

void decoder_size(const struct decoder *d, int *w, int *h)
{
	*w = d->dec->width;
	*h = d->dec->height;
}

void decoder_describe(const struct decoder *d, char *buf, size_t n)
{
	AVStream *st = d->fmt->streams[d->stream];

	snprintf(buf, n, "%s %dx%d %s %.3g fps, %s", avcodec_get_name(d->dec->codec_id),
		 d->dec->width, d->dec->height,
		 av_get_pix_fmt_name(d->dec->pix_fmt) ? av_get_pix_fmt_name(d->dec->pix_fmt) : "?",
		 av_q2d(st->avg_frame_rate), d->fmt->iformat->name);
}

int decoder_rgb(struct decoder *d, struct arpg_image *im)
{
	const AVFrame *f = d->cur;
	uint8_t *dst[4] = { 0 };
	int stride[4] = { 0 }, rc, y;

	if (f->width <= 0 || f->height <= 0)
		return ARPG_EDECODE;
	if (!im->px || im->w != f->width || im->h != f->height || im->c != 3) {
		arpg_image_free(im);
		if ((rc = arpg_image_alloc(im, f->width, f->height, 3)) < 0)
			return rc;
	}
	/* As the ffmpeg CLI's auto-inserted scale filter does: flags "bicubic",
	 * and the frame's colour range when it states one (vf_scale.c). */
	if (!d->sws || d->sws_w != f->width || d->sws_h != f->height || d->sws_fmt != f->format ||
	    d->sws_range != (int)f->color_range) {
		sws_freeContext(d->sws);
		d->sws = sws_getContext(f->width, f->height, f->format, f->width, f->height,
					AV_PIX_FMT_RGB24, SWS_BICUBIC, NULL, NULL, NULL);
		if (!d->sws)
			return ARPG_EDECODE;
		d->sws_w = f->width;
		d->sws_h = f->height;
		d->sws_fmt = f->format;
		d->sws_range = (int)f->color_range;
		av_freep(&d->pad);
		d->pad_stride = FFALIGN(f->width * 3, 64);
		if (!(d->pad = av_malloc((size_t)d->pad_stride * (size_t)(f->height + 1) + 64)))
			return ARPG_ENOMEM;
		if (f->color_range != AVCOL_RANGE_UNSPECIFIED) {
			int *inv, *tab, in_full, out_full, bri, con, sat;

			sws_getColorspaceDetails(d->sws, &inv, &in_full, &tab, &out_full,
						 &bri, &con, &sat);
			in_full = f->color_range == AVCOL_RANGE_JPEG;
			sws_setColorspaceDetails(d->sws, inv, in_full, tab, out_full, bri, con, sat);
		}
	}
	dst[0] = d->pad;
	stride[0] = d->pad_stride;
	sws_scale(d->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, dst, stride);
	for (y = 0; y < f->height; y++)
		memcpy(im->px + (size_t)y * (size_t)im->w * 3, d->pad + (size_t)y * (size_t)d->pad_stride,
		       (size_t)im->w * 3);
	return 0;
}
