#!/usr/bin/python3
"""bench/e2e_reference.py - the experiment of bench/e2e.sh done the way a
researcher would without arpg, as a plain script (issue 19's peer):

  preprocess  the ffmpeg CLI decodes each clip; OpenCV's frontal cascade
              finds faces (the largest one; a frame without one keeps the
              last box); dlib's 68 landmarks (tests/face/dlib_ref.cpp
              --stream: Debian has no dlib for Python) give five points;
              cv2.estimateAffinePartial2D to the ArcFace template and
              cv2.warpAffine make 112x112 crops, written as PNG
  features    16 frames per clip (segment centres), RGB (x - 127.5) / 127.5,
              through the ONNX backbone on onnxruntime (onnxruntime-node,
              bench/e2e_ort.js: no onnxruntime for Debian's Python), its
              embedding and the patch node's map pooled to 6 x 6
  train       the ARPGNet head in PyTorch (bench/train_torch.py's, the
              reference arpg-train is tested against), EPOCHS epochs

usage: e2e_reference.py DATA WORK MODEL PATCH_NODE DLIB_REF EPOCHS THREADS
DATA holds Train_AFEW.zip and Val_AFEW.zip; prints "STAGE SECONDS" lines
(preprocess, features, train) on stdout.
"""
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from multiprocessing import Pool

import cv2
import numpy as np
import onnx

HERE = os.path.dirname(os.path.abspath(__file__))
ARCFACE = np.array([[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366],
                    [41.5493, 92.3655], [70.7299, 92.2041]], np.float32)
LANDMARKS = "/usr/share/dlib/shape_predictor_68_face_landmarks.dat"
CASCADE = "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml"
T, G = 16, 6
_w = {}


def worker_init(dlib_ref, ppm_dir):
    cv2.setNumThreads(1)
    _w["cascade"] = cv2.CascadeClassifier(CASCADE)
    _w["dlib"] = subprocess.Popen([dlib_ref, "--stream", LANDMARKS], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True, bufsize=1)
    _w["ppm"] = os.path.join(ppm_dir, "%d.ppm" % os.getpid())   # removed with ppm_dir


def landmarks(frame, box):
    """dlib's 68 points of the face in box, on the region around it."""
    x, y, w, h = (int(v) for v in box)
    H, W = frame.shape[:2]
    x0, y0 = max(0, x - w // 2), max(0, y - h // 2)
    x1, y1 = min(W, x + w + w // 2), min(H, y + h + h // 2)
    region = np.ascontiguousarray(frame[y0:y1, x0:x1, ::-1])
    with open(_w["ppm"], "wb") as f:
        f.write(b"P6\n%d %d\n255\n" % (region.shape[1], region.shape[0]))
        f.write(region.tobytes())
    p = _w["dlib"]
    p.stdin.write("%s %d %d %d %d\n" % (_w["ppm"], x - x0, y - y0, w, h))
    p.stdin.flush()
    v = np.array(p.stdout.readline().split(), np.float32).reshape(-1, 2)
    return v + (x0, y0)


def clip_crops(job):
    """Decodes a clip, aligns its faces, writes its crops; (frames, faces)."""
    video, out = job
    os.makedirs(out, exist_ok=True)
    size = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                           "stream=width,height", "-of", "csv=p=0", video],
                          capture_output=True, text=True, check=True).stdout.split(",")
    W, H = int(size[0]), int(size[1])
    raw = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", video, "-f", "rawvideo",
                          "-pix_fmt", "bgr24", "-"], capture_output=True, check=True).stdout
    frames = np.frombuffer(raw, np.uint8).reshape(-1, H, W, 3)
    last, faces = None, 0
    for i, fr in enumerate(frames):
        found = _w["cascade"].detectMultiScale(cv2.cvtColor(fr, cv2.COLOR_BGR2GRAY), 1.1, 3,
                                               minSize=(30, 30))
        if len(found):
            last = max(found, key=lambda b: b[2] * b[3])
            faces += 1
        if last is None:
            s = min(W, H)
            crop = cv2.resize(fr[(H - s) // 2:(H + s) // 2, (W - s) // 2:(W + s) // 2], (112, 112),
                              interpolation=cv2.INTER_AREA)
        else:
            p = landmarks(fr, last)
            five = np.array([p[36:42].mean(0), p[42:48].mean(0), p[30], p[48], p[54]], np.float32)
            M, _ = cv2.estimateAffinePartial2D(five, ARCFACE, method=cv2.LMEDS)
            crop = cv2.warpAffine(fr, M, (112, 112), borderValue=0)
        cv2.imwrite(os.path.join(out, "%06d.png" % i), crop)
    return len(frames), faces


def clips(data, work):
    """(video file, crops folder, label, split) of the AFEW archives, the
    videos extracted into work/videos."""
    out = []
    for split, name in (("train", "Train_AFEW.zip"), ("val", "Val_AFEW.zip")):
        with zipfile.ZipFile(os.path.join(data, name)) as z:
            for m in sorted(z.namelist()):
                if not m.endswith(".avi"):
                    continue
                label, base = m.split("/")[-2], os.path.basename(m)[:-4]
                video = os.path.join(work, "videos", split, label, base + ".avi")
                os.makedirs(os.path.dirname(video), exist_ok=True)
                with open(video, "wb") as f:
                    f.write(z.read(m))
                out.append((video, os.path.join(work, "crops", "%s_%s_%s" % (split, label, base)),
                            label, split))
    return out


def features(jobs, work, model, node, threads):
    """The backbone over T frames of every clip: app (n, T, Da), patch (n, T, G*G, C)."""
    m = onnx.load(model)
    m.graph.output.append(onnx.helper.make_tensor_value_info(node, onnx.TensorProto.FLOAT, None))
    tapped = os.path.join(work, "tapped.onnx")
    onnx.save(m, tapped)
    inp = os.path.join(work, "input.f32")
    n = 0
    with open(inp, "wb") as f:
        for _, crops, _, _ in jobs:
            files = sorted(os.listdir(crops))
            for k in range(T):
                im = cv2.imread(os.path.join(crops, files[min(len(files) - 1,
                                                             int((k + 0.5) * len(files) / T))]))
                x = (im[:, :, ::-1].astype(np.float32) - 127.5) / 127.5
                f.write(np.ascontiguousarray(x.transpose(2, 0, 1)).tobytes())
                n += 1
    app, patch = os.path.join(work, "app.f32"), os.path.join(work, "patch.f32")
    subprocess.run(["node", os.path.join(HERE, "e2e_ort.js"), tapped, node, str(G), str(threads),
                    "8", inp, str(n), app, patch], check=True)
    a = np.fromfile(app, np.float32).reshape(len(jobs), T, -1)
    p = np.fromfile(patch, np.float32).reshape(len(jobs), T, G * G, -1)
    return a, p


def main():
    data, work, model, node, dlib_ref, epochs, threads = sys.argv[1:8]
    os.makedirs(work, exist_ok=True)
    t0 = time.perf_counter()
    jobs = clips(data, work)
    shm = "/dev/shm" if os.path.isdir("/dev/shm") else None
    with tempfile.TemporaryDirectory(dir=shm) as ppm_dir, \
            Pool(int(threads), worker_init, (dlib_ref, ppm_dir)) as pool:
        counts = pool.map(clip_crops, [(v, c) for v, c, _, _ in jobs], chunksize=1)
    t1 = time.perf_counter()
    print("preprocess %.1f" % (t1 - t0), flush=True)
    print("# %d clips, %d frames, %d with a face" % (len(jobs), sum(c[0] for c in counts),
                                                     sum(c[1] for c in counts)), file=sys.stderr)
    app, patch = features(jobs, work, model, node, threads)
    labels = sorted(set(j[2] for j in jobs))
    npz = os.path.join(work, "features.npz")
    np.savez(npz, app=app, patch=patch, y=np.array([labels.index(j[2]) for j in jobs]),
             split=np.array([j[3] for j in jobs]), labels=np.array(labels))
    t2 = time.perf_counter()
    print("features %.1f" % (t2 - t1), flush=True)
    out = subprocess.run([sys.executable, os.path.join(HERE, "train_torch.py"), npz, threads, epochs],
                         capture_output=True, text=True, check=True).stdout
    t3 = time.perf_counter()
    print("train %.1f" % (t3 - t2), flush=True)
    print("# " + out.strip().split("\n")[-1], file=sys.stderr)


if __name__ == "__main__":
    main()
