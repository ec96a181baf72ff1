/* Fuzz the ONNX loader: a buffer as a model; when it loads, prepare it for
 * batch 2 and, if small (FLOPs and arena), run it on zeros at batch 1 and
 * 2 (shapes, folding, kernels). */
#include <stdint.h>
#include <stdlib.h>
#include "onnx/onnx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arpg_onnx *m;
	char err[512];
	const float *in[16] = { 0 };
	float *buf = NULL;
	int i, n;

	if (arpg_onnx_load(&m, data, size, err, sizeof err) < 0)
		return 0;
	/* well under libFuzzer's 4 GiB: a model declaring huge tensors is
	 * refused by prepare instead of allocating them */
	arpg_onnx_set_memory_limit(m, (size_t)256 << 20);
	n = arpg_onnx_ninputs(m);
	if (n <= 16 && arpg_onnx_prepare(m, 2, err, sizeof err) == 0 &&
	    arpg_onnx_flops(m) < 2e7 && arpg_onnx_arena_bytes(m) < (64u << 20)) {
		size_t most = 1;
		for (i = 0; i < n; i++) {
			int rank;
			int64_t d[ARPG_ONNX_MAXRANK];
			size_t k = 1;
			int j;
			arpg_onnx_input_info(m, i, NULL, &rank, d);
			for (j = 0; j < rank; j++)
				k *= d[j];
			if (k > most)
				most = k;
		}
		if (most < (1u << 22) && (buf = calloc(most, sizeof *buf))) {
			for (i = 0; i < n; i++)
				in[i] = buf;
			arpg_onnx_run(m, 1, in, err, sizeof err);
			arpg_onnx_run(m, 2, in, err, sizeof err);
		}
	}
	free(buf);
	arpg_onnx_free(m);
	return 0;
}
