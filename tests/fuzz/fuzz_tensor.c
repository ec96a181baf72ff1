/* Fuzz tensor record decoding: a decoded view must lie inside the buffer. */
#include <stdint.h>
#include <stdlib.h>
#include "tensor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arpg_tensor_view v;
	char err[256];
	float *out;

	if (arpg_tensor_decode(&v, data, size, err, sizeof err) < 0)
		return 0;
	if (v.data + v.count * (v.dtype == ARPG_F16 ? 2 : 4) != data + size)
		__builtin_trap();
	if ((out = malloc(v.count * sizeof *out))) {
		arpg_tensor_to_f32(out, &v);
		free(out);
	}
	return 0;
}
