#!/usr/bin/python3
"""frames_eyes.py DIR [keypoints] - how well the crops of an arpg-preprocess
output put the eyes on the ArcFace template: over every DIR/*/frames.tsv
line with detected 1, the eye centres (means of landmarks 36-41 and 42-47;
with "keypoints", the detector's keypoints 0 and 1) mapped through the
line's transform against the template's (38.29, 51.69) and (73.53, 51.50).
Prints the frames, the eyes within 5 px and the median error in px."""
import glob
import sys

import numpy as np

TEMPLATE = ((38.2946, 51.6963), (73.5318, 51.5014))


def eyes(d, keypoints):
    if keypoints:
        return [np.array([float(d["k%dx" % k]), float(d["k%dy" % k])]) for k in (0, 1)]
    p = np.array([[float(d["x%d" % i]), float(d["y%d" % i])] for i in range(68)])
    return [p[36:42].mean(0), p[42:48].mean(0)]


def main():
    keypoints = len(sys.argv) > 2 and sys.argv[2] == "keypoints"
    errs = []
    for f in glob.glob(sys.argv[1] + "/*/frames.tsv"):
        rows = [l.rstrip("\n").split("\t") for l in open(f)]
        for r in rows[1:]:
            d = dict(zip(rows[0], r))
            if d["detected"] != "1":
                continue
            M = np.array([float(d["m%d" % i]) for i in range(6)]).reshape(2, 3)
            for c, ref in zip(eyes(d, keypoints), TEMPLATE):
                errs.append(np.hypot(*(M[:, :2] @ c + M[:, 2] - ref)))
    e = np.array(errs)
    print(len(e) // 2, int((e < 5).sum()), "%.2f" % (np.median(e) if len(e) else -1))


if __name__ == "__main__":
    main()
