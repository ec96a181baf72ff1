/* npy.c - .npy writer (see npy.h). */
#include "npy.h"
#include "error.h"
#include "le.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int npy_write_f32(const char *path, const float *data, int rank, const uint32_t *dims)
{
	char hdr[256], shape[128];
	size_t count = 1, len, i;
	int n = 0, k, rc = 0;
	uint8_t pre[10] = { 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 0, 0 };
	FILE *f;

	shape[0] = 0;
	for (k = 0; k < rank; k++) {
		n += snprintf(shape + n, sizeof shape - (size_t)n, "%u,%s", dims[k],
			      k + 1 < rank ? " " : "");
		count *= dims[k];
	}
	if (rank > 1)
		shape[n - 1] = 0;	/* "(2, 3)" not "(2, 3,)"; rank 1 keeps "(2,)" */
	len = (size_t)snprintf(hdr, sizeof hdr,
			       "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }", shape);
	while ((10 + len + 1) % 64)
		hdr[len++] = ' ';
	hdr[len++] = '\n';
	arpg_le16_put(pre + 8, (uint16_t)len);
	if (!(f = fopen(path, "wb")))
		return ARPG_EIO;
	if (fwrite(pre, 1, 10, f) != 10 || fwrite(hdr, 1, len, f) != len)
		rc = ARPG_EIO;
	for (i = 0; !rc && i < count; i++) {
		uint32_t u;
		uint8_t b[4];

		memcpy(&u, &data[i], 4);
		arpg_le32_put(b, u);
		if (fwrite(b, 1, 4, f) != 4)
			rc = ARPG_EIO;
	}
	if (fclose(f) && !rc)
		rc = ARPG_EIO;
	if (rc && errno == ENOSPC)
		rc = ARPG_EFULL;
	return rc;
}
