/* backbone.h - what arpg-features needs of a backbone: a batch of face
 * crops in, an appearance vector and a patch feature map per face out.
 * The patch map is pooled to the G x G grid by the caller. */
#ifndef FEATURES_BACKBONE_H
#define FEATURES_BACKBONE_H

#include <stddef.h>
#include "image.h"

/* Input normalisation of a CNN: channel c of the input tensor is
 * (pixel - mean[c]) / std[c], channels in RGB order unless bgr. */
struct norm {
	float mean[3], std[3];
	int bgr;
};

struct backbone {
	char name[256];		/* "hog", or the model file's base name */
	char sha256[65];	/* hex SHA-256 of the model file; "" for hog */
	char patch_node[256];	/* where the patch map comes from */
	int in_size;		/* side of the square input, pixels (112) */
	int app_dim;		/* Da */
	int patch_c, patch_h, patch_w;	/* the patch map before pooling */
	int max_batch;		/* faces per run call */

	/* Runs n <= max_batch faces (in_size x in_size RGB).  Writes app
	 * (n x app_dim) and patch (n x patch_c x patch_h x patch_w, CHW per
	 * face).  Returns 0 or a negative code with detail in err. */
	int (*run)(struct backbone *b, int n, const struct arpg_image *faces,
		   float *app, float *patch, char *err, size_t errn);
	void (*free)(struct backbone *b);
	void *impl;
};

/* Opens an ONNX CNN (features/backbone_onnx.c).  patch_node NULL: the
 * stride-8 feature map found automatically.  threads: BLIS threads in use. */
int backbone_open_onnx(struct backbone **b, const char *path,
			    const struct norm *norm, const char *patch_node,
			    int max_batch, char *err, size_t errn);

#endif
