#!/bin/sh
# bench/face.sh - the whole face stage of arpg-preprocess per frame, arpg
# against OpenCV + dlib, in one run: Viola-Jones detection on Megamind.avi
# (bench/face_detect.py, 1 and 2 threads) plus, per face, 68 landmarks and
# the 112x112 warp (bench/face_landmarks.sh, 1 thread: dlib's
# shape_predictor + cv2.estimateAffinePartial2D + cv2.warpAffine on the
# peer's side).  Megamind.avi has a face in 269 of its 270 frames, so a
# frame is counted as one detection plus one face's landmarks and warp;
# at 2 threads the landmark share is taken at twice its 1-thread rate (both
# sides spread frames, or faces, over the threads).  Decoding is not timed.
#
#   make bench tests/face/face_tool &&
#   top_srcdir=SRC top_builddir=BUILD sh bench/face.sh [SECONDS]
set -e
src=${top_srcdir:-$(dirname "$0")/..}
bld=${top_builddir:-.}
PY=${PYTHON3:-/usr/bin/python3}
det=$("$PY" "$src/bench/face_detect.py" "$bld")
lm=$(top_srcdir=$src top_builddir=$bld sh "$src/bench/face_landmarks.sh" "${1:-3}")
echo "$det"
echo "$lm"
# detection rows "threads arpg_fps opencv_fps ratio"; landmarks: "arpg:
# faces/s A ..." and "peer: faces/s P (dlib + cv2)"
a_lm=$(echo "$lm" | awk '$1 == "arpg:" { print $3 }')
p_lm=$(echo "$lm" | awk '$1 == "peer:" { print $3 }')
echo "whole face stage (detection + landmarks + warp), frames/s:"
echo "$det" | awk -v a="$a_lm" -v p="$p_lm" '
	$1 == "1" || $1 == "2" {
		ours = 1 / (1 / $2 + 1 / (a * $1)); peer = 1 / (1 / $3 + 1 / (p * $1))
		printf "  %s thread%s: arpg %.1f, OpenCV + dlib %.1f: %.2fx\n", $1, $1 == 1 ? " " : "s", ours, peer, ours / peer
	}'
