/* onnx_run.c - PLACEHOLDER until the ONNX engine lands (issue 6). */
#include "onnx_run.h"
#include "log.h"

int arpg_onnx_run_main(int argc, char **argv)
{
	(void)argc, (void)argv;
	arpg_error("onnx-run: the ONNX engine is not built yet");
	return 1;
}
