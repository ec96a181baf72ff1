/* backbone_onnx.c - PLACEHOLDER until the ONNX engine lands (issue 6):
 * opening an ONNX backbone is refused with a clear message. */
#include "backbone.h"
#include "error.h"

int arpg_backbone_open_onnx(struct arpg_backbone **b, const char *path,
			    const struct arpg_norm *norm, const char *patch_node,
			    int max_batch, char *err, size_t errn)
{
	(void)norm, (void)patch_node, (void)max_batch;
	*b = NULL;
	return arpg_errf(err, errn, ARPG_EUNSUPPORTED,
			 "%s: ONNX backbones are not built yet: use -b hog", path);
}
