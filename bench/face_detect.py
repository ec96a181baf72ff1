#!/usr/bin/python3
"""Face detection speed: arpg_cascade_detect (bench/face_detect) against
OpenCV's CascadeClassifier.detectMultiScale on Megamind.avi's frames, at 1
and 2 threads, in one run.

	bench/face_detect.py [BUILDDIR] [--cascade FILE] [--frames N] [--repeat R]

Both sides get the same grey frames (cv2.cvtColor BGR2GRAY), scale 1.1,
minNeighbors 3, minSize 30; decoding is not timed.  OpenCV's threads are
cv2.setNumThreads(n) (its parallel_for_ over stripes of one frame); ours are
frames handed to n threads in turn (face_detect -j n), as arpg-preprocess
spreads clips over threads.  Each figure is the best of R runs.
"""
import argparse
import os
import subprocess
import sys
import time

import cv2
import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("builddir", nargs="?", default=".")
ap.add_argument("--cascade", default="/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml")
ap.add_argument("--video", default="/usr/share/doc/opencv-doc/examples/data/Megamind.avi")
ap.add_argument("--frames", type=int, default=0, help="use the first N frames (0: all)")
ap.add_argument("--repeat", type=int, default=3)
a = ap.parse_args()

tool = os.path.join(a.builddir, "bench", "face_detect")
if not os.access(tool, os.X_OK):
    sys.exit("face_detect: %s not built (make bench/face_detect in the build tree)" % tool)

cap = cv2.VideoCapture(a.video)
grey = []
while True:
    ok, bgr = cap.read()
    if not ok or (a.frames and len(grey) == a.frames):
        break
    grey.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY))
if not grey:
    sys.exit("cannot decode " + a.video)
pgm = b"".join(b"P5\n%d %d\n255\n" % (g.shape[1], g.shape[0]) + g.tobytes() for g in grey)
clf = cv2.CascadeClassifier(a.cascade)
n = len(grey)
print("%d frames %dx%d, cascade %s, OpenCV %s" % (n, grey[0].shape[1], grey[0].shape[0],
                                                   os.path.basename(a.cascade), cv2.__version__))
rows = []
for threads in (1, 2):
    cv2.setNumThreads(threads)
    best = None
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        for g in grey:
            clf.detectMultiScale(g, 1.1, 3, minSize=(30, 30))
        dt = time.perf_counter() - t0
        best = dt if best is None or dt < best else best
    cv_fps = n / best
    p = subprocess.run([tool, "-q", "-j", str(threads), "-r", str(a.repeat), "-c", a.cascade, "-"],
                       input=pgm, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode:
        sys.exit(p.stderr.decode())
    # "face_detect: N frames in S s: F frames/s (T threads)"
    our_fps = float(p.stderr.decode().split(":")[2].split()[0])
    rows.append((threads, our_fps, cv_fps))
print("threads  arpg frames/s  OpenCV frames/s  ratio (arpg/OpenCV)")
for t, o, c in rows:
    print("%7d  %13.1f  %15.1f  %6.2fx" % (t, o, c, o / c))
