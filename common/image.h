/* image.h - 8-bit images and PNG files through libpng.
 *
 * An image is h rows of w pixels of c channels (1 gray, 3 RGB), row-major,
 * rows stride = w*c bytes apart, owned by the struct (free with
 * arpg_image_free).
 */
#ifndef ARPG_IMAGE_H
#define ARPG_IMAGE_H

#include <stddef.h>
#include <stdint.h>

struct arpg_image {
	int w, h, c;
	uint8_t *px;
};

/* Allocates a zeroed w x h x c image.  ARPG_EINVAL for c not 1 or 3 or a
 * size above 65535 on a side; ARPG_ENOMEM. */
int arpg_image_alloc(struct arpg_image *im, int w, int h, int c);
void arpg_image_free(struct arpg_image *im);

/* Decodes a PNG held in buf[0..len) into im.  want_c = 1 converts to gray,
 * 3 to RGB, 0 keeps gray as gray and everything else as RGB.  Alpha is
 * composited on black, 16-bit samples are reduced to 8.  Returns 0,
 * ARPG_EFORMAT (detail in err: not a PNG, truncated, CRC...), ARPG_ERANGE
 * (larger than 65535x65535 or 256 Mpixel), ARPG_ENOMEM. */
int arpg_png_decode(struct arpg_image *im, const void *buf, size_t len, int want_c,
		    char *err, size_t errn);
/* Reads and decodes a file; ARPG_EIO if it cannot be read (errno set). */
int arpg_png_read(struct arpg_image *im, const char *path, int want_c,
		  char *err, size_t errn);

/* Encodes im as PNG into a malloc'd buffer (*out, *outlen), zlib level
 * 0-9 (1 is a good speed/size trade for frame dumps). */
int arpg_png_encode(const struct arpg_image *im, int level, void **out, size_t *outlen);
/* Writes im to path atomically enough for callers that rename later:
 * plain write + fclose checked.  ARPG_EIO (errno set), ARPG_EFULL (ENOSPC). */
int arpg_png_write(const struct arpg_image *im, const char *path, int level);

#endif
