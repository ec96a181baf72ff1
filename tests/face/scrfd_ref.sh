#!/bin/sh
# SCRFD, which has no weights here: four models built as InsightFace builds
# and exports them (tests/face/make_scrfd.py: SCRFD-10G- and 500M-shaped,
# with and without keypoints, random weights, torch.onnx.export with
# dynamic height and width).  For each: arpg's engine (arpg-features
# onnx-run) against onnxruntime-node on Debian's faces at two input sizes,
# every output within 1e-4 relative (tests/onnx/compare_ort.py); and the
# faces of detect_tool (letterboxed to 320x320, score 0.9) against the
# numpy port of insightface's scrfd.py on the same raw outputs
# (tests/face/detector_ports.py).  Skipped, and said so, without
# python3-torch, python3-onnx or python3-opencv; the onnxruntime half
# without node or onnxruntime-node (in $ORT_DIR, default /tmp/ortbench).
. "${top_srcdir:-.}/tests/tap.sh"
PY=${PYTHON3:-/usr/bin/python3}
ORT_DIR=${ORT_DIR:-/tmp/ortbench}
export ORT_DIR
tool=$top_builddir/tests/face/detect_tool
"$PY" -c 'import cv2, numpy, onnx, torch' 2>/dev/null ||
	skip_all "python3-torch, python3-onnx, python3-numpy or python3-opencv not installed"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/m" "$tmp/img" "$tmp/in"
"$PY" "$top_srcdir/tests/face/face_media.py" "$tmp/img" 2 >/dev/null 2>&1
case $? in 0) ;; 77) skip_all "the media are not installed" ;; esac
ort=yes
command -v node >/dev/null && [ -d "$ORT_DIR/node_modules/onnxruntime-node" ] || ort=no
plan 9
"$PY" "$top_srcdir/tests/face/make_scrfd.py" "$tmp/m" >"$tmp/err" 2>&1
ok $? "make_scrfd.py built four SCRFD models"
sed 's/^/# /' "$tmp/err"
if [ $ort = yes ]; then
	"$PY" "$top_srcdir/tests/onnx/detector_inputs.py" "$tmp/in" 256x192,160x128 2 rgb128 \
		>"$tmp/list" || ort=no
fi
for m in scrfd_500m_kps scrfd_500m scrfd_10g_kps scrfd_10g; do
	model=$tmp/m/$m.onnx
	if [ $ort = yes ]; then
		rm -rf "$tmp"/in/*.ort "$tmp"/in/*.arpg
		fail=0
		node "$top_srcdir/tests/onnx/ort_run.js" "$model" "$tmp/in" "$tmp/list" || fail=1
		while read -r name w h; do
			arpg-features onnx-run "$model" -o "$tmp/in/$name.arpg" "$tmp/in/$name.pb" ||
				fail=1
		done <"$tmp/list"
		[ $fail = 0 ] && "$PY" "$top_srcdir/tests/onnx/compare_ort.py" "$tmp/in" "$tmp/list"
		ok $? "$m: every output of the engine within 1e-4 relative of onnxruntime-node"
	else
		tap_n=$((tap_n + 1))
		echo "ok $tap_n # SKIP node or onnxruntime-node (in $ORT_DIR) is not installed"
	fi
	rm -rf "$tmp/raw" && mkdir -p "$tmp/raw"
	if "$tool" "$model" -s 320 -t 0.9 -r "$tmp/raw" "$tmp"/img/*.ppm >"$tmp/out" 2>"$tmp/err"
	then
		sed -n '1s/^/# /p' "$tmp/err"
		"$PY" "$top_srcdir/tests/face/detector_ports.py" scrfd "$model" "$tmp/raw" \
			"$tmp/out" 0.9 0.4
	else
		sed 's/^/# /' "$tmp/err"
		false
	fi
	ok $? "$m: faces as the numpy port of insightface's scrfd.py"
done
