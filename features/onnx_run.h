/* onnx_run.h - "arpg-features onnx-run MODEL.onnx -o DIR INPUT.pb...":
 * runs a model on serialized TensorProto inputs and writes output_N.pb. */
#ifndef FEATURES_ONNX_RUN_H
#define FEATURES_ONNX_RUN_H

/* argv[0] is "onnx-run".  Returns the exit status (0, 1, 2). */
int onnx_run_main(int argc, char **argv);

#endif
