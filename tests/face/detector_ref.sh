#!/bin/sh
# The face detectors' decoding and NMS against numpy ports of their
# references (tests/face/detector_ports.py) on the same raw outputs, which
# detect_tool saves: the real YuNet (face_detection_yunet_2026may.onnx in
# the folder named by ARPG_TEST_MODELS) on messi5.jpg, astronaut.png and 20
# frames of Megamind.avi, at two input sizes, with OpenCV's score threshold
# (0.9) and a low one (0.05) that leaves hundreds of candidates to the NMS.
# Skipped, and said so, without the model or python3-opencv.
. "${top_srcdir:-.}/tests/tap.sh"
PY=${PYTHON3:-/usr/bin/python3}
tool=$top_builddir/tests/face/detect_tool
model=${ARPG_TEST_MODELS:+$ARPG_TEST_MODELS/face_detection_yunet_2026may.onnx}
[ -n "$ARPG_TEST_MODELS" ] || skip_all "ARPG_TEST_MODELS is not set (the folder of the real models)"
[ -r "$model" ] || skip_all "$model is absent"
"$PY" -c 'import cv2, numpy, onnx' 2>/dev/null ||
	skip_all "python3-opencv, python3-numpy or python3-onnx not installed"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
"$PY" "$top_srcdir/tests/face/face_media.py" "$tmp" 20 >/dev/null 2>&1
case $? in 0) ;; 77) skip_all "the media are not installed" ;; esac
plan 4
for size in 640 320; do
	for score in 0.9 0.05; do
		mkdir -p "$tmp/raw"
		if "$tool" "$model" -s $size -t $score -r "$tmp/raw" "$tmp"/*.ppm >"$tmp/out" \
			2>"$tmp/err"; then
			"$PY" "$top_srcdir/tests/face/detector_ports.py" yunet "$model" "$tmp/raw" \
				"$tmp/out" $score 0.3
		else
			sed 's/^/# /' "$tmp/err"
			false
		fi
		ok $? "YuNet at $size, score $score: faces as the numpy port of OpenCV's decoder"
		rm -rf "$tmp/raw"
	done
done
