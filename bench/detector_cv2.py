#!/usr/bin/python3
"""detector_cv2.py MODEL THREADS SECONDS W H FRAME.f32... - frames/s of an
ONNX face detector on OpenCV's dnn module (cv2.dnn.readNet, its default
CPU backend): the raw forward pass over every output, the frames (raw
floats, 1 x 3 x H x W each) taken in turn, as bench/backbone runs arpg's
engine and bench/backbone_ort.js onnxruntime.  Prints FRAMES_PER_S."""
import sys
import time

import cv2
import numpy as np


def main():
    model, threads, secs, w, h = sys.argv[1:6]
    cv2.setNumThreads(int(threads))
    net = cv2.dnn.readNet(model)
    names = net.getUnconnectedOutLayersNames()
    frames = [np.fromfile(f, np.float32).reshape(1, 3, int(h), int(w)) for f in sys.argv[6:]]
    net.setInput(frames[0])
    net.forward(names)
    reps, t0 = 0, time.perf_counter()
    while True:
        net.setInput(frames[reps % len(frames)])
        net.forward(names)
        reps += 1
        el = time.perf_counter() - t0
        if el >= float(secs) and reps >= 2:
            break
    print("%.2f" % (reps / el))


if __name__ == "__main__":
    main()
