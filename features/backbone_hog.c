/* backbone_hog.c - HOG as a backbone (see backbone_hog.h). */
#include "backbone_hog.h"
#include "error.h"
#include "hog.h"

#include <sha2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int hog_run(struct backbone *b, int n, const struct arpg_image *faces,
		   float *app, float *patch, char *err, size_t errn)
{
	int bx = b->patch_w, by = b->patch_h, D = HOG_BLOCK_DIM, i, k;
	size_t nb = (size_t)bx * by, p;
	int rc;

	for (i = 0; i < n; i++) {
		float *a = app + (size_t)i * b->app_dim;
		float *pm = patch + (size_t)i * D * nb;

		if (faces[i].w != b->in_size || faces[i].h != b->in_size)
			return arpg_errf(err, errn, ARPG_EINVAL, "face is %dx%d, HOG expects %dx%d",
					 faces[i].w, faces[i].h, b->in_size, b->in_size);
		if ((rc = hog_compute(a, &faces[i])) < 0)
			return arpg_errf(err, errn, rc, "HOG failed");
		/* (by, bx, D) -> (D, by, bx) */
		for (p = 0; p < nb; p++)
			for (k = 0; k < D; k++)
				pm[(size_t)k * nb + p] = a[p * D + (size_t)k];
	}
	return 0;
}

static void hog_free(struct backbone *b)
{
	free(b);
}

int backbone_open_hog(struct backbone **bp, int in_size, int max_batch,
			   char *err, size_t errn)
{
	struct backbone *b;
	int bx, by;

	*bp = NULL;
	hog_blocks(in_size, in_size, &bx, &by);
	if (!bx || in_size > 4096 || max_batch < 1)
		return arpg_errf(err, errn, ARPG_EINVAL, "HOG needs faces of 16 to 4096 pixels");
	if (!(b = calloc(1, sizeof *b)))
		return ARPG_ENOMEM;
	snprintf(b->name, sizeof b->name, "hog");
	SHA256Data((const uint8_t *)HOG_SETTINGS, strlen(HOG_SETTINGS), b->sha256);
	snprintf(b->patch_node, sizeof b->patch_node, "hog-blocks");
	b->in_size = in_size;
	b->patch_c = HOG_BLOCK_DIM;
	b->patch_h = by;
	b->patch_w = bx;
	b->app_dim = bx * by * HOG_BLOCK_DIM;
	b->max_batch = max_batch;
	b->run = hog_run;
	b->free = hog_free;
	*bp = b;
	return 0;
}
