#!/bin/sh
# bench/face_landmarks.sh - landmarks + alignment per second, arpg against
# dlib + OpenCV, on the same faces and boxes, in one run.
#
#   arpg: tests/face/face_tool bench (shape.c's 68 landmarks, the 5-point fit,
#         the 112x112 warp), one thread;
#   peer: dlib's shape_predictor (tests/face/dlib_ref.cpp, built here with
#         g++ -O3 against libdlib-dev) + cv2.estimateAffinePartial2D and
#         cv2.warpAffine (python3-opencv), one thread; their per-face times
#         add up (a face costs dlib's time plus OpenCV's).
# Times are process CPU time (the machines are shared), single-threaded.
# Faces: OpenCV's detections on messi5.jpg, astronaut.png and 30 frames of
# Megamind.avi (tests/face/face_media.py).  Needs tests/face/face_tool: make check, or
# make tests/face/face_tool.  Run: make bench-face-landmarks, or
#   top_srcdir=SRC top_builddir=BUILD sh bench/face_landmarks.sh [SECONDS]
# With SHEET=FILE.png it also writes a contact sheet: the 30 Megamind
# frames as one clip through the whole of tracker.c (detection, the followed
# face, landmarks, alignment), 10 aligned 112x112 crops per row.
set -e
SECS=${1:-3}
MODEL=/usr/share/dlib/shape_predictor_68_face_landmarks.dat
PY=${PYTHON3:-/usr/bin/python3}
src=${top_srcdir:-$(dirname "$0")/..}
bld=${top_builddir:-.}
tool="$bld/tests/face/face_tool"
[ -x "$tool" ] || { echo "face_landmarks.sh: build $tool first (make tests/face/face_tool)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$PY" "$src/tests/face/face_media.py" "$tmp" 30 >"$tmp/list" 2>/dev/null
mkdir "$tmp/crops"
"$tool" align "$MODEL" 112 "$tmp/crops" <"$tmp/list" >"$tmp/align"
# shellcheck disable=SC2046
g++ -O3 -o "$tmp/dlib_ref" "$src/tests/face/dlib_ref.cpp" $(pkg-config --cflags --libs dlib-1)
echo "faces: $(wc -l <"$tmp/list") boxes on $(cut -d' ' -f1 "$tmp/list" | sort -u | wc -l) images; $SECS s per side"
# OMP/BLAS threads off: one thread each side
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
ours=$("$tool" bench "$MODEL" 112 "$SECS" <"$tmp/list")
dlib=$("$tmp/dlib_ref" --bench "$MODEL" "$SECS" <"$tmp/list")
cv=$("$PY" - "$tmp/list" "$tmp/align" "$SECS" <<'PYEOF'
import sys, time
import cv2
import numpy as np
cv2.setNumThreads(1)
T = np.array([38.2946, 51.6963, 73.5318, 51.5014, 56.0252, 71.7366,
              41.5493, 92.3655, 70.7299, 92.2041], np.float32).reshape(5, 2)
def ppm(p):
    parts = open(p, "rb").read().split(b"\n", 3)
    w, h = map(int, parts[1].split())
    return np.frombuffer(parts[3], np.uint8).reshape(h, w, 3)
paths = [l.split()[0] for l in open(sys.argv[1]) if l.strip()]
imgs = {p: ppm(p) for p in set(paths)}
five = np.loadtxt(sys.argv[2], ndmin=2)[:, :10].reshape(-1, 5, 2).astype(np.float32)
n, t0 = 0, time.process_time()
while True:
    for p, f in zip(paths, five):
        M, _ = cv2.estimateAffinePartial2D(f, T, method=cv2.LMEDS)
        cv2.warpAffine(imgs[p], M, (112, 112), flags=cv2.INTER_LINEAR,
                       borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        n += 1
    el = time.process_time() - t0
    if el >= float(sys.argv[3]):
        break
print("warps/s %.1f" % (n / el))
PYEOF
)
echo "arpg:   $ours"
echo "dlib:   $dlib (landmarks only)"
echo "cv2:    $cv (estimateAffinePartial2D + warpAffine, from Python)"
if [ -n "$SHEET" ]; then
	"$tool" clip "$MODEL" 112 0 "$tmp/sheet.ppm" "$tmp"/megamind*.ppm >/dev/null 2>&1
	"$PY" -c 'import sys, cv2; cv2.imwrite(sys.argv[2], cv2.imread(sys.argv[1]))' \
		"$tmp/sheet.ppm" "$SHEET"
	echo "sheet:  $SHEET"
fi
echo "$ours $dlib $cv" | awk '{ a = $2; d = $8; c = $10;
	ref = 1 / (1 / d + 1 / c);
	printf "peer:   faces/s %.1f (dlib + cv2)\nratio:  %.2fx (arpg faces/s over dlib + cv2)\n", ref, a / ref;
	printf "split:  landmarks arpg %.1f us vs dlib %.1f us (%.2fx); warp arpg %.1f us vs cv2 %.1f us (%.2fx)\n",
		$4, 1e6 / d, (1e6 / d) / $4, $6, 1e6 / c, (1e6 / c) / $6 }'
