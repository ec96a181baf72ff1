#!/usr/bin/python3
"""detector_inputs.py OUTDIR W1xH1,W2xH2,... [FRAMES [bgr|rgb128]] - inputs
for a face detector from the real faces Debian ships: FRAMES frames spread
over Megamind.avi (opencv-doc), messi5.jpg (opencv-doc) and astronaut.png
(python3-skimage), each resized (cv2.resize, INTER_LINEAR) to every size
WxH, as float NCHW: BGR 0..255 (bgr, the default: YuNet's input) or RGB
(x - 127.5) / 128 (rgb128: SCRFD's), written twice:
OUTDIR/NAME_WxH.pb (a TensorProto, for arpg-features onnx-run) and
OUTDIR/NAME_WxH.f32 (raw little-endian floats, for onnxruntime-node).
Prints "NAME_WxH W H" per input.  Exit status 77 when OpenCV, onnx or every
medium is missing."""
import os
import sys

try:
    import cv2
    import numpy as np
    from onnx import numpy_helper
except ImportError:
    sys.exit(77)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "face"))
from face_media import media  # noqa: E402  (the stills and frames the face tests use)


def main():
    out = sys.argv[1]
    sizes = [tuple(int(v) for v in s.split("x")) for s in sys.argv[2].split(",")]
    frames = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    rgb128 = len(sys.argv) > 4 and sys.argv[4] == "rgb128"
    images = media(frames)
    if not images:
        sys.exit(77)
    for name, im in images:
        for w, h in sizes:
            x = cv2.resize(im, (w, h), interpolation=cv2.INTER_LINEAR)
            if rgb128:
                x = (x[:, :, ::-1].astype(np.float32) - np.float32(127.5)) / np.float32(128)
            x = x.transpose(2, 0, 1)[None].astype(np.float32)
            base = os.path.join(out, "%s_%dx%d" % (name, w, h))
            with open(base + ".pb", "wb") as f:
                f.write(numpy_helper.from_array(x, "input").SerializeToString())
            x.tofile(base + ".f32")
            print("%s_%dx%d %d %d" % (name, w, h, w, h))


if __name__ == "__main__":
    main()
