#!/bin/sh
# bench/detector.sh - the face detector YuNet (face_detection_yunet_2026may.onnx,
# in $ARPG_TEST_MODELS, default ../shared/models) on arpg's ONNX engine
# (bench/backbone --size) against OpenCV's cv2.dnn running the same file
# (bench/detector_cv2.py, Debian's python3-opencv) and onnxruntime-node
# (bench/backbone_ort.js), at 1 and 2 threads: the raw forward pass over
# 8 Megamind.avi frames at 640x480, the input arpg-preprocess --detector
# feeds YuNet for that video (720x528 scaled to 640 wide, padded to
# multiples of 32).  Then the whole face stage in frames/s: arpg-preprocess
# -j 1 on Megamind.avi (270 frames, decoding included) with the cascade and
# dlib (the default) and with YuNet (--landmarks none: detect, align, PNG).
#
# The shared machines' speed drifts, so each case alternates the programs
# ROUNDS times (default 3) and compares the best run of each, as ratios.
# STAGE=no leaves out the face stage.  On a machine loaded past its cores,
# libgomp's threads spin at each barrier while the thread they wait for is
# descheduled: arpg's 2-thread runs collapse (measured 0.4 frames/s against
# 12 with OMP_WAIT_POLICY=passive in the environment, which helps then).
#
#	make bench && sh bench/detector.sh [SECONDS_PER_RUN]
#
# Run from the build directory.  Needs /usr/bin/python3 with cv2, numpy and
# onnx, and onnxruntime-node in $ORT_DIR (default /tmp/ortbench; see
# bench/backbone.sh); a peer that is missing is shown as "-".
set -e
secs=${1:-3}
rounds=${ROUNDS:-3}
here=$(cd "$(dirname "$0")" && pwd)
src=${top_srcdir:-$here/..}
PY=${PYTHON3:-/usr/bin/python3}
ORT_DIR=${ORT_DIR:-/tmp/ortbench}
export ORT_DIR
model=${ARPG_TEST_MODELS:-$src/../shared/models}/face_detection_yunet_2026may.onnx
video=/usr/share/doc/opencv-doc/examples/data/Megamind.avi
[ -r "$model" ] || { echo "bench/detector.sh: $model: no such model (set ARPG_TEST_MODELS)" >&2; exit 1; }
dir=$(mktemp -d) && trap 'rm -rf "$dir"' EXIT
"$PY" "$src/tests/onnx/detector_inputs.py" "$dir" 640x480 8 >/dev/null 2>&1
set -- "$dir"/megamind*_640x480.f32
frames="$*"
ort=yes cv=yes
[ -d "$ORT_DIR/node_modules/onnxruntime-node" ] && command -v node >/dev/null || ort=no
"$PY" -c 'import cv2' 2>/dev/null || cv=no
best() { awk -v x="$1" -v y="$2" 'BEGIN { print (y == "-" || x + 0 > y + 0 ? x : y) }'; }
echo "YuNet 640x480, forward pass, frames/s, best of $rounds alternating runs of $secs s"
printf '%-8s %8s %8s %8s %10s %10s\n' threads arpg cv2.dnn ort arpg/cv2 arpg/ort
for th in 1 2; do
	a=- c=- o=- r=0
	while [ $r -lt "$rounds" ]; do
		# shellcheck disable=SC2086
		x=$(OMP_NUM_THREADS=$th ./bench/backbone "$model" 1 "$th" "$secs" --size 640x480 $frames |
			cut -d' ' -f1)
		a=$(best "$x" "$a")
		if [ $cv = yes ]; then
			# shellcheck disable=SC2086
			x=$("$PY" "$src/bench/detector_cv2.py" "$model" "$th" "$secs" 640 480 $frames)
			c=$(best "$x" "$c")
		fi
		if [ $ort = yes ]; then
			# shellcheck disable=SC2086
			x=$(node "$src/bench/backbone_ort.js" "$model" 1 "$th" "$secs" 640 480 $frames)
			o=$(best "$x" "$o")
		fi
		r=$((r + 1))
	done
	awk -v th="$th" -v a="$a" -v c="$c" -v o="$o" 'BEGIN {
		printf "%-8s %8.2f %8s %8s %10s %10s\n", th, a, c, o,
			c == "-" ? "-" : sprintf("%.2fx", a / c), o == "-" ? "-" : sprintf("%.2fx", a / o) }'
done
[ "${STAGE:-yes}" != no ] || exit 0
[ -r "$video" ] || { echo "no $video: the face stage is not measured"; exit 0; }
mkdir -p "$dir/data/x" && ln -s "$video" "$dir/data/x/megamind.avi"
stage() {	# OUT ARGS...: seconds of one arpg-preprocess run
	out=$1; shift
	rm -rf "$dir/$out"
	t0=$(date +%s.%N)
	./preprocess/arpg-preprocess -q -j 1 "$@" -o "$dir/$out" "$dir/data" >/dev/null
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }'
}
v=- y=- r=0
while [ $r -lt "$rounds" ]; do
	x=$(stage vj)
	v=$(awk -v x="$x" -v y="$v" 'BEGIN { print (y == "-" || x < y ? x : y) }')
	x=$(stage yu --detector "$model" --landmarks none)
	y=$(awk -v x="$x" -v y="$y" 'BEGIN { print (y == "-" || x < y ? x : y) }')
	r=$((r + 1))
done
faces() { tail -n +2 "$dir/$1/manifest.tsv" | awk -F'\t' '{ n += $6 } END { print n + 0 }'; }
awk -v v="$v" -v y="$y" -v fv="$(faces vj)" -v fy="$(faces yu)" 'BEGIN {
	printf "face stage on Megamind.avi (270 frames, -j 1, decoding included), best of the runs:\n"
	printf "  cascade + dlib: %.1f frames/s (%d frames with the face)\n", 270 / v, fv
	printf "  YuNet:          %.1f frames/s (%d frames with the face): %.2fx\n", 270 / y, fy, v / y }'
