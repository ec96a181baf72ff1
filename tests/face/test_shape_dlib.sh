#!/bin/sh
# Landmarks against dlib itself (libdlib-dev): a C++ reference built here
# (tests/face/dlib_ref.cpp) and face_tool run Debian's 68-point model on the
# same boxes (OpenCV's detections) of the real faces Debian ships
# (messi5.jpg, astronaut.png, 30 frames of Megamind.avi).  dlib rounds its points
# to integers: we report the distance of our (float) points to dlib's and
# how many agree exactly once rounded as dlib rounds.
echo "1..2"
MODEL=/usr/share/dlib/shape_predictor_68_face_landmarks.dat
PY=${PYTHON3:-/usr/bin/python3}
skip_all() { echo "ok 1 # SKIP $1"; echo "ok 2 # SKIP $1"; exit 0; }
[ -r "$MODEL" ] || skip_all "$MODEL not installed (libdlib-data)"
command -v g++ >/dev/null 2>&1 || skip_all "no g++"
pkg-config --exists dlib-1 2>/dev/null || skip_all "dlib not installed (libdlib-dev)"
"$PY" -c 'import cv2, numpy' 2>/dev/null || skip_all "python3-opencv not installed"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
"$PY" "$top_srcdir/tests/face/face_media.py" "$tmp" 30 >"$tmp/list" 2>/dev/null
case $? in 0) ;; 77) skip_all "no test media (opencv-doc, python3-skimage)" ;;
	*) echo "not ok 1 - face_media.py failed"; echo "not ok 2"; exit 0 ;; esac
# shellcheck disable=SC2046
if ! g++ -O2 -o "$tmp/dlib_ref" "$top_srcdir/tests/face/dlib_ref.cpp" \
	$(pkg-config --cflags --libs dlib-1) 2>"$tmp/gxx.log"; then
	sed 's/^/# /' "$tmp/gxx.log" | tail -n 20
	echo "not ok 1 - building dlib_ref"; echo "not ok 2"; exit 0
fi
"$tmp/dlib_ref" "$MODEL" <"$tmp/list" >"$tmp/dlib" &&
	"$top_builddir/tests/face/face_tool" landmarks "$MODEL" <"$tmp/list" >"$tmp/ours" || {
	echo "not ok 1 - running dlib_ref or face_tool"; echo "not ok 2"; exit 0; }
"$PY" - "$tmp/ours" "$tmp/dlib" <<'PYEOF'
import sys
import numpy as np
a = np.loadtxt(sys.argv[1], ndmin=2).reshape(-1, 68, 2)
b = np.loadtxt(sys.argv[2], ndmin=2).reshape(-1, 68, 2)
e = np.hypot(*(a - b).transpose(2, 0, 1)).ravel()
r = np.hypot(*(np.floor(a + 0.5) - b).transpose(2, 0, 1)).ravel()
print("# %d faces, %d points: float vs dlib median %.3f px, max %.3f px"
      % (a.shape[0], e.size, np.median(e), e.max()))
# our points are floats: a coordinate at x.5 exactly in float may be
# x.4999999 in dlib's double before it rounds, so ties count as agreeing
c = (np.abs(a - b) <= 0.5 + 1e-3).all(axis=2).ravel()
print("# rounded as dlib rounds: %d/%d identical, max %.3f px; within 0.5 px per coordinate "
      "(dlib's rounding, ties included): %d/%d" % ((r == 0).sum(), r.size, r.max(), c.sum(), c.size))
print("%s 1 - landmarks vs dlib: median %.3f px <= 0.5" % ("ok" if np.median(e) <= 0.5 else "not ok", np.median(e)))
ok = c.mean() >= 0.999
print("%s 2 - dlib's integer points are ours rounded for %.2f%% of points (>= 99.9%%)"
      % ("ok" if ok else "not ok", 100 * c.mean()))
PYEOF
