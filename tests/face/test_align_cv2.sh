#!/bin/sh
# Alignment against OpenCV (python3-opencv): on the real faces Debian ships,
# face_tool's 5 points go through cv2.estimateAffinePartial2D (all 5 points
# inliers, i.e. least squares) and cv2.warpAffine (INTER_LINEAR,
# BORDER_CONSTANT 0); we compare the transforms and the 112x112 crops.
echo "1..3"
MODEL=/usr/share/dlib/shape_predictor_68_face_landmarks.dat
PY=${PYTHON3:-/usr/bin/python3}
skip_all() { for i in 1 2 3; do echo "ok $i # SKIP $1"; done; exit 0; }
[ -r "$MODEL" ] || skip_all "$MODEL not installed (libdlib-data)"
"$PY" -c 'import cv2, numpy' 2>/dev/null || skip_all "python3-opencv not installed"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
"$PY" "$top_srcdir/tests/face/face_media.py" "$tmp" 12 >"$tmp/list" 2>/dev/null
case $? in 0) ;; 77) skip_all "no test media (opencv-doc, python3-skimage)" ;;
	*) echo "not ok 1 - face_media.py failed"; echo "not ok 2"; echo "not ok 3"; exit 0 ;; esac
mkdir "$tmp/crops"
"$top_builddir/tests/face/face_tool" align "$MODEL" 112 "$tmp/crops" <"$tmp/list" >"$tmp/align" || {
	echo "not ok 1 - face_tool align failed"; echo "not ok 2"; echo "not ok 3"; exit 0; }
"$PY" - "$tmp/list" "$tmp/align" "$tmp/crops" <<'PYEOF'
import sys
import cv2
import numpy as np
T = np.array([38.2946, 51.6963, 73.5318, 51.5014, 56.0252, 71.7366,
              41.5493, 92.3655, 70.7299, 92.2041]).reshape(5, 2)
def ppm(p):
    parts = open(p, "rb").read().split(b"\n", 3)
    w, h = map(int, parts[1].split())
    return np.frombuffer(parts[3], np.uint8).reshape(h, w, 3)
paths = [l.split()[0] for l in open(sys.argv[1]) if l.strip()]
rows = np.loadtxt(sys.argv[2], ndmin=2)
dM = dsame = 0
dcv = []
for i, r in enumerate(rows):
    five, M = r[:10].reshape(5, 2), r[10:].reshape(2, 3)
    Mc, inl = cv2.estimateAffinePartial2D(five, T, ransacReprojThreshold=1e4, refineIters=100)
    dM = max(dM, np.abs(Mc - M).max())
    img, crop = ppm(paths[i]), ppm("%s/%d.ppm" % (sys.argv[3], i)).astype(int)
    warp = lambda m: cv2.warpAffine(img, m, (112, 112), flags=cv2.INTER_LINEAR,
                                    borderMode=cv2.BORDER_CONSTANT, borderValue=0).astype(int)
    dsame = max(dsame, np.abs(warp(M) - crop).max())
    dcv.append(np.abs(warp(Mc) - crop).ravel())
dcv = np.concatenate(dcv)
print("# %d faces: transform vs estimateAffinePartial2D max |dM| %.3g" % (len(rows), dM))
print("# crop vs warpAffine(our M): max |d| %d" % dsame)
print("# crop vs warpAffine(cv2's M): max |d| %d, mean %.5f, %.4f%% of samples differ"
      % (dcv.max(), dcv.mean(), 100.0 * (dcv != 0).mean()))
print("%s 1 - similarity transform within 1e-3 of estimateAffinePartial2D (%.3g)"
      % ("ok" if dM <= 1e-3 else "not ok", dM))
print("%s 2 - warp identical to cv2.warpAffine on the same M (max %d)" % ("ok" if dsame == 0 else "not ok", dsame))
ok = dcv.mean() < 0.5 and np.percentile(dcv, 99.9) <= 2
print("%s 3 - crops vs OpenCV's whole pipeline: mean %.5f < 0.5, 99.9%% within 2 (max %d)"
      % ("ok" if ok else "not ok", dcv.mean(), dcv.max()))
PYEOF
