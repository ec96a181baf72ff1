/* ppm.c - P6 PPM images (see ppm.h). */
#include <stdio.h>

#include "ppm.h"

int ppm_read(const char *path, struct arpg_image *im)
{
	FILE *f = fopen(path, "rb");
	int w, h, maxv, ok = 0;

	if (!f)
		return -1;
	if (fscanf(f, "P6 %d %d %d", &w, &h, &maxv) == 3 && maxv == 255 && fgetc(f) != EOF &&
	    arpg_image_alloc(im, w, h, 3) == 0)
		ok = fread(im->px, 1, (size_t)w * h * 3, f) == (size_t)w * h * 3;
	fclose(f);
	return ok ? 0 : -1;
}

int ppm_write(const char *path, const struct arpg_image *im)
{
	FILE *f = fopen(path, "wb");
	int ok;

	if (!f)
		return -1;
	fprintf(f, "P6\n%d %d\n255\n", im->w, im->h);
	ok = fwrite(im->px, 1, (size_t)im->w * im->h * 3, f) == (size_t)im->w * im->h * 3;
	return fclose(f) == 0 && ok ? 0 : -1;
}
