/* image.c - PNG decode (libpng's simplified API) and encode (classic API,
 * for the compression level). */
#include "image.h"
#include "error.h"
#include "fileio.h"
#include "grow.h"

#include <errno.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_SIDE = 65535 };
#define MAX_PIXELS (256L << 20)

int arpg_image_alloc(struct arpg_image *im, int w, int h, int c)
{
	memset(im, 0, sizeof *im);
	if ((c != 1 && c != 3) || w <= 0 || h <= 0 || w > MAX_SIDE || h > MAX_SIDE)
		return ARPG_EINVAL;
	if (!(im->px = calloc((size_t)w * h, (size_t)c)))
		return ARPG_ENOMEM;
	im->w = w;
	im->h = h;
	im->c = c;
	return 0;
}

void arpg_image_free(struct arpg_image *im)
{
	free(im->px);
	memset(im, 0, sizeof *im);
}

int arpg_png_decode(struct arpg_image *im, const void *buf, size_t len, int want_c,
		    char *err, size_t errn)
{
	png_image pi;
	int c, rc;

	memset(im, 0, sizeof *im);
	memset(&pi, 0, sizeof pi);
	pi.version = PNG_IMAGE_VERSION;
	if (!png_image_begin_read_from_memory(&pi, buf, len))
		return arpg_errf(err, errn, ARPG_EFORMAT, "%s", pi.message);
	if (pi.width > MAX_SIDE || pi.height > MAX_SIDE ||
	    (long)pi.width * pi.height > MAX_PIXELS) {
		png_image_free(&pi);
		return arpg_errf(err, errn, ARPG_ERANGE, "%ux%u pixels is too large",
				 pi.width, pi.height);
	}
	c = want_c ? want_c : (pi.format & PNG_FORMAT_FLAG_COLOR) ? 3 : 1;
	pi.format = c == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
	if ((rc = arpg_image_alloc(im, (int)pi.width, (int)pi.height, c)) < 0) {
		png_image_free(&pi);
		return rc;
	}
	/* background NULL: alpha is composited on black by libpng for these formats */
	if (!png_image_finish_read(&pi, NULL, im->px, 0, NULL)) {
		arpg_image_free(im);
		return arpg_errf(err, errn, ARPG_EFORMAT, "%s", pi.message);
	}
	return 0;
}

int arpg_png_read(struct arpg_image *im, const char *path, int want_c,
		  char *err, size_t errn)
{
	void *buf;
	size_t len;
	int rc;

	memset(im, 0, sizeof *im);
	if ((rc = arpg_read_file(path, 0, &buf, &len)) < 0)
		return arpg_errf(err, errn, rc, "%s", rc == ARPG_EIO ? strerror(errno) : "");
	rc = arpg_png_decode(im, buf, len, want_c, err, errn);
	free(buf);
	return rc;
}

struct membuf {
	unsigned char *p;
	size_t n, cap;
	int failed;
};

static void mem_write(png_structp png, png_bytep data, png_size_t len)
{
	struct membuf *m = png_get_io_ptr(png);
	if (m->failed)
		return;
	if (ARPG_GROW(m->p, &m->cap, m->n + len) < 0) {
		m->failed = 1;
		return;
	}
	memcpy(m->p + m->n, data, len);
	m->n += len;
}

static void mem_flush(png_structp png) { (void)png; }

int arpg_png_encode(const struct arpg_image *im, int level, void **out, size_t *outlen)
{
	struct membuf m = { 0 };
	png_structp png;
	png_infop info = NULL;
	int y;

	if (!(png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL)))
		return ARPG_ENOMEM;
	if (!(info = png_create_info_struct(png)) || setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		free(m.p);
		return ARPG_ENOMEM;
	}
	png_set_write_fn(png, &m, mem_write, mem_flush);
	png_set_compression_level(png, level);
	/* Sub filter only: nearly the size of adaptive filtering on photos, faster. */
	png_set_filter(png, 0, PNG_FILTER_SUB);
	png_set_IHDR(png, info, (png_uint_32)im->w, (png_uint_32)im->h, 8,
		     im->c == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB,
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (y = 0; y < im->h; y++)
		png_write_row(png, im->px + (size_t)y * im->w * im->c);
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	if (m.failed) {
		free(m.p);
		return ARPG_ENOMEM;
	}
	*out = m.p;
	*outlen = m.n;
	return 0;
}

int arpg_png_write(const struct arpg_image *im, const char *path, int level)
{
	void *buf;
	size_t len;
	FILE *f;
	int rc, e;

	if ((rc = arpg_png_encode(im, level, &buf, &len)) < 0)
		return rc;
	if (!(f = fopen(path, "wb"))) {
		free(buf);
		return ARPG_EIO;
	}
	rc = fwrite(buf, 1, len, f) == len ? 0 : ARPG_EIO;
	e = errno;
	free(buf);
	if (fclose(f) && rc == 0) {
		rc = ARPG_EIO;
		e = errno;
	}
	errno = e;
	return rc < 0 && e == ENOSPC ? ARPG_EFULL : rc;
}
