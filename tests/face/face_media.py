#!/usr/bin/python3
"""face_media.py OUTDIR [FRAMES] - the real faces Debian ships, as RGB PPMs
with OpenCV's detections, for the dlib and OpenCV comparisons.

Writes OUTDIR/NAME.ppm for messi5.jpg (opencv-doc), astronaut.png
(python3-skimage) and FRAMES frames spread over Megamind.avi (opencv-doc),
and prints "OUTDIR/NAME.ppm X Y W H" per face cv2's CascadeClassifier
finds (haarcascade_frontalface_default, 1.1, 3, 30x30; grey as
COLOR_BGR2GRAY).  Exit status 77 when OpenCV or every medium is missing."""
import os
import sys

try:
    import cv2
except ImportError:
    sys.exit(77)

DATA = "/usr/share/doc/opencv-doc/examples/data"
STILLS = [("messi5", DATA + "/messi5.jpg"),
          ("astronaut", "/usr/lib/python3/dist-packages/skimage/data/astronaut.png")]
VIDEO = DATA + "/Megamind.avi"
CASCADE = "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml"


def write_ppm(path, bgr):
    rgb = bgr[:, :, ::-1]
    h, w = rgb.shape[:2]
    with open(path, "wb") as f:
        f.write(b"P6\n%d %d\n255\n" % (w, h))
        f.write(rgb.tobytes())


def media(frames):
    """[(name, BGR image)]: the stills, then `frames` frames spread over the
    video; empty when none is installed."""
    images = []
    for name, path in STILLS:
        if os.path.exists(path):
            im = cv2.imread(path, cv2.IMREAD_COLOR)
            if im is not None:
                images.append((name, im))
    if os.path.exists(VIDEO) and frames > 0:
        cap = cv2.VideoCapture(VIDEO)
        allf = []
        while True:
            ok, im = cap.read()
            if not ok:
                break
            allf.append(im)
        step = max(1, len(allf) // frames)
        for i in range(0, len(allf), step)[:frames]:
            images.append(("megamind%03d" % i, allf[i]))
    return images


def main():
    out = sys.argv[1]
    frames = int(sys.argv[2]) if len(sys.argv) > 2 else 12
    if not os.path.exists(CASCADE):
        sys.exit(77)
    casc = cv2.CascadeClassifier(CASCADE)
    images = media(frames)
    if not images:
        sys.exit(77)
    for name, im in images:
        path = os.path.join(out, name + ".ppm")
        write_ppm(path, im)
        grey = cv2.cvtColor(im, cv2.COLOR_BGR2GRAY)
        for (x, y, w, h) in casc.detectMultiScale(grey, 1.1, 3, 0, (30, 30)):
            print(path, x, y, w, h)


if __name__ == "__main__":
    main()
