#!/bin/sh
# The real YuNet (face_detection_yunet_2026may.onnx from the folder named by
# ARPG_TEST_MODELS) on arpg's engine (arpg-features onnx-run) against
# onnxruntime-node on the same inputs: 20 frames of Megamind.avi, messi5.jpg
# and astronaut.png at three input sizes (tests/onnx/detector_inputs.py).
# Every output must agree within 1e-4 of the largest magnitude of the
# reference tensor, or 1e-6 absolute (onnxruntime's logistic function is an
# approximation good to about 1e-7 near 0, where the objectness of a frame
# without faces lies).  Skipped, and said so, without the model,
# onnxruntime-node (in $ORT_DIR, default /tmp/ortbench; see
# bench/backbone.sh), node or python3-opencv.
. "${top_srcdir:-.}/tests/tap.sh"
PY=${PYTHON3:-/usr/bin/python3}
ORT_DIR=${ORT_DIR:-/tmp/ortbench}
export ORT_DIR
model=${ARPG_TEST_MODELS:+$ARPG_TEST_MODELS/face_detection_yunet_2026may.onnx}
[ -n "$ARPG_TEST_MODELS" ] || skip_all "ARPG_TEST_MODELS is not set (the folder of the real models)"
[ -r "$model" ] || skip_all "$model is absent"
command -v node >/dev/null || skip_all "node is not installed"
[ -d "$ORT_DIR/node_modules/onnxruntime-node" ] ||
	skip_all "onnxruntime-node is not installed in $ORT_DIR"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
"$PY" "$top_srcdir/tests/onnx/detector_inputs.py" "$tmp" 160x128,320x256,640x480 20 \
	>"$tmp/list"
case $? in
0) ;;
77) skip_all "python3-opencv, python3-onnx or the media are not installed" ;;
*) echo "1..1"; ok 1 "detector_inputs.py failed"; exit 0 ;;
esac
plan 3
node "$top_srcdir/tests/onnx/ort_run.js" "$model" "$tmp" "$tmp/list"
ok $? "onnxruntime-node ran $(wc -l <"$tmp/list") inputs"
fail=0
while read -r name w h; do
	arpg-features onnx-run "$model" -o "$tmp/$name.arpg" "$tmp/$name.pb" || fail=1
done <"$tmp/list"
ok $fail "arpg-features onnx-run ran every input"
"$PY" "$top_srcdir/tests/onnx/compare_ort.py" "$tmp" "$tmp/list"
ok $? "every output within 1e-4 relative of onnxruntime"
