#!/bin/sh
# The whole of face.c on a real clip against OpenCV (python3-opencv):
# Megamind.avi (opencv-doc), every 3rd frame as one clip, through
# face_tool clip (Debian's cascade and landmark model); OpenCV's
# detectMultiScale on the same frames is the reference for which frames
# hold a face and where.  Also checks the crops are faces: the eyes' grey
# level below the cheeks' in the mean crop.
echo "1..3"
MODEL=/usr/share/dlib/shape_predictor_68_face_landmarks.dat
CASCADE=/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml
VIDEO=/usr/share/doc/opencv-doc/examples/data/Megamind.avi
PY=${PYTHON3:-/usr/bin/python3}
skip_all() { for i in 1 2 3; do echo "ok $i # SKIP $1"; done; exit 0; }
for f in "$MODEL" "$CASCADE" "$VIDEO"; do
	[ -r "$f" ] || skip_all "$f not installed"
done
"$PY" -c 'import cv2, numpy' 2>/dev/null || skip_all "python3-opencv not installed"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
"$PY" - "$tmp" "$VIDEO" "$CASCADE" "$MODEL" "$top_builddir/tests/face/face_tool" <<'PYEOF'
import subprocess
import sys
import cv2
import numpy as np
tmp, video, cascade, model, tool = sys.argv[1:6]
cap = cv2.VideoCapture(video)
frames = []
while True:
    ok, im = cap.read()
    if not ok:
        break
    frames.append(im)
frames = frames[::3]
casc = cv2.CascadeClassifier(cascade)
paths, ref = [], []
for i, im in enumerate(frames):
    p = "%s/%03d.ppm" % (tmp, i)
    h, w = im.shape[:2]
    open(p, "wb").write(b"P6\n%d %d\n255\n" % (w, h) + im[:, :, ::-1].tobytes())
    paths.append(p)
    ref.append(casc.detectMultiScale(cv2.cvtColor(im, cv2.COLOR_BGR2GRAY), 1.1, 3, 0, (30, 30)))
res = subprocess.run([tool, "clip", model, "112", "0", tmp + "/sheet.ppm"] + paths,
                     capture_output=True, text=True)
if res.returncode:
    print("# " + res.stderr.strip().replace("\n", "\n# "))
    print("not ok 1 - face_tool clip failed\nnot ok 2\nnot ok 3")
    sys.exit(0)
rows = np.loadtxt(res.stdout.splitlines(), ndmin=2)
def iou(a, b):
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    i = max(0, x1 - x0) * max(0, y1 - y0)
    return i / (a[2] * a[3] + b[2] * b[3] - i)
ncv = sum(len(r) > 0 for r in ref)
ours = rows[:, 0] == 1
best = [max([iou(rows[i, 1:5], b) for b in ref[i]] or [0]) for i in range(len(frames))]
match = sum(1 for i in range(len(frames)) if ours[i] and best[i] >= 0.9)
print("# %d frames: OpenCV finds a face in %d, we follow one in %d; "
      "followed box IoU >= 0.9 with an OpenCV box in %d of ours" % (len(frames), ncv, ours.sum(), match))
print("%s 1 - a face followed in %d frames, OpenCV finds one in %d (at least 85%% of those; two people share some shots)"
      % ("ok" if ours.sum() >= 0.85 * ncv else "not ok", ours.sum(), ncv))
print("%s 2 - followed box matches an OpenCV box in %d of %d frames (>= 95%%)"
      % ("ok" if match >= 0.95 * ours.sum() else "not ok", match, ours.sum()))
parts = open(tmp + "/sheet.ppm", "rb").read().split(b"\n", 3)
W, H = map(int, parts[1].split())
sheet = np.frombuffer(parts[3], np.uint8).reshape(H, W, 3).astype(float).mean(axis=2)
crops = [sheet[r*112:(r+1)*112, c*112:(c+1)*112] for r in range(H // 112) for c in range(W // 112)]
mean = np.mean([c for c, d in zip(crops, ours) if d], axis=0)
eyes = (mean[48:56, 34:43].mean() + mean[48:56, 70:78].mean()) / 2
cheeks = (mean[66:76, 30:40].mean() + mean[66:76, 72:82].mean()) / 2
print("# mean aligned crop: eyes %.1f, cheeks %.1f" % (eyes, cheeks))
print("%s 3 - aligned crops put dark eyes where the template's are" % ("ok" if eyes < cheeks else "not ok"))
PYEOF
