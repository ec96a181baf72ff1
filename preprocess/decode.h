/* decode.h - every video frame of a clip held in memory, through FFmpeg.
 *
 * The clip's bytes are read by libavformat through a custom AVIOContext
 * (reads and seeks within the buffer; nothing touches the disk).  The best
 * video stream is decoded with one thread per decoder (arpg-preprocess runs
 * clips in parallel instead), frames come out in presentation order, and the
 * frame count is the number of frames decoded, not the container's claim.
 *
 * Options: fps > 0 resamples to that rate the way FFmpeg's fps filter does
 * (output frame k shows the latest frame whose time is not after
 * t0 + k/fps, rounded to the nearest output tick: frames are repeated or
 * dropped); max_frames > 0 stops after that many output frames.
 *
 * A clip fails (ARPG_EDECODE, with the reason in err) when it cannot be
 * opened as a video, has no video stream, has a packet the demuxer found
 * truncated or corrupt, a frame the decoder could not decode or marked
 * corrupt, or yields no frame at all: arpg-preprocess writes no half clip.
 */
#ifndef PREPROCESS_DECODE_H
#define PREPROCESS_DECODE_H

#include <stddef.h>
#include <stdint.h>
#include "image.h"

struct AVFrame;

struct decode_options {
	double fps;		/* 0: every frame */
	long max_frames;	/* 0: no cap */
};

struct decoder;

/* Opens the clip in buf[0..len), which must stay valid until close.
 * Returns 0, ARPG_EDECODE (not a video: reason in err), ARPG_ENOMEM. */
int decoder_open(struct decoder **d, const void *buf, size_t len,
		      const struct decode_options *o, char *err, size_t errn);

/* Advances to the next output frame: 1 (a frame is current), 0 (end of
 * clip, at least one frame was returned), or ARPG_EDECODE / ARPG_ENOMEM
 * with err filled.  The current frame stays valid until the next call. */
int decoder_next(struct decoder *d, char *err, size_t errn);

/* The current frame as decoded (native pixel format), owned by d. */
const struct AVFrame *decoder_frame(const struct decoder *d);

/* Picture size of the stream (valid after open). */
void decoder_size(const struct decoder *d, int *w, int *h);

/* Converts the current frame to full-size RGB24 into im (allocated or
 * reused when the size matches), with the conversion the ffmpeg CLI uses
 * for "-pix_fmt rgb24" (libswscale, bicubic), so pixels are identical.
 * Returns 0, ARPG_ENOMEM, ARPG_EDECODE. */
int decoder_rgb(struct decoder *d, struct arpg_image *im);

/* Source description ("mpeg4 640x480 25 fps, avi") for -v messages. */
void decoder_describe(const struct decoder *d, char *buf, size_t n);

void decoder_close(struct decoder *d);

#endif
