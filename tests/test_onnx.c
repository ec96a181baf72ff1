/* test_onnx.c - the ONNX loader's checks and small graphs, built here
 * with protobuf-c (no Python needed). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "error.h"
#include "onnx.h"
#include "onnx.pb-c.h"

ARPG_TEST(onnx_rejects_garbage)
{
	struct arpg_onnx *m = NULL;
	char err[256];

	expect_int(arpg_onnx_load(&m, "\xff\xff\xff", 3, err, sizeof err), ARPG_EFORMAT);
	expect(m == NULL);
}
