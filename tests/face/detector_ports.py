#!/usr/bin/python3
"""detector_ports.py - numpy ports of the reference decoders of the face
detectors, run on the raw outputs detect_tool saved, compared with the
faces detect_tool printed.

  detector_ports.py yunet|scrfd MODEL RAWDIR TOOL_OUTPUT SCORE NMS

YuNet: OpenCV 4.8's FaceDetectorYN::postProcess (modules/objdetect/src/
face_detect.cpp) and the dnn::NMSBoxes it calls, then the division by the
input's scale that arpg adds.  SCRFD: insightface's model_zoo/scrfd.py
(forward, detect, nms), from the raw outputs on.  Prints TAP comments:
the number of images and faces compared, and the first disagreements;
exit status 0 when every image has the same faces in the same order,
scores and coordinates equal up to float rounding (1e-5 relative, 1e-3
pixel), else 1."""
import sys

import numpy as np
import onnx


def yunet_decode(outs, padw, padh, thr):
    """FaceDetectorYN::postProcess: rows of x y w h, 5 keypoints, score."""
    faces = []
    for i, s in enumerate((8, 16, 32)):
        cols, rows = padw // s, padh // s
        cls, obj = outs["cls_%d" % s].reshape(-1), outs["obj_%d" % s].reshape(-1)
        bbox, kps = outs["bbox_%d" % s].reshape(-1, 4), outs["kps_%d" % s].reshape(-1, 10)
        score = np.sqrt(np.clip(cls, 0, 1) * np.clip(obj, 0, 1)).astype(np.float32)
        r, c = np.divmod(np.arange(rows * cols), cols)
        c, r, sf = c.astype(np.float32), r.astype(np.float32), np.float32(s)
        cx, cy = (c + bbox[:, 0]) * sf, (r + bbox[:, 1]) * sf
        w, h = np.exp(bbox[:, 2]) * sf, np.exp(bbox[:, 3]) * sf
        f = np.zeros((rows * cols, 15), np.float32)
        f[:, 0], f[:, 1], f[:, 2], f[:, 3] = cx - w / np.float32(2), cy - h / np.float32(2), w, h
        for n in range(5):
            f[:, 4 + 2 * n] = (kps[:, 2 * n] + c) * sf
            f[:, 5 + 2 * n] = (kps[:, 2 * n + 1] + r) * sf
        f[:, 14] = score
        faces.append(f[score >= np.float32(thr)])
    return np.concatenate(faces)


def nms_boxes(faces, score_thr, nms_thr, top_k):
    """cv::dnn::NMSBoxes on Rect2i(int(x), int(y), int(w), int(h))."""
    boxes = faces[:, :4].astype(np.int64)     # C++ int(): toward zero
    cand = [i for i in range(len(faces)) if faces[i, 14] > np.float32(score_thr)]
    cand.sort(key=lambda i: -faces[i, 14])    # stable
    if 0 < top_k < len(cand):
        cand = cand[:top_k]
    keep = []
    for i in cand:
        ok = True
        for k in keep:
            a, b = boxes[i], boxes[k]
            aa, ab = a[2] * a[3], b[2] * b[3]
            iw = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
            ih = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
            inter = float(iw * ih) if iw > 0 and ih > 0 else 0.0
            ov = np.float32(1) if aa + ab <= 0 else \
                np.float32(1) - np.float32(1.0 - inter / (aa + ab - inter))
            if not ov <= np.float32(nms_thr):
                ok = False
                break
        if ok:
            keep.append(i)
    return faces[keep]


def yunet(outs, meta, score, nms):
    w, h, inw, inh, iw, ih = meta
    f = nms_boxes(yunet_decode(outs, inw, inh, score), score, nms, 5000)
    sx, sy = iw / w, ih / h
    out = f.copy()
    out[:, 0:14:2] = (f[:, 0:14:2].astype(np.float64) / sx).astype(np.float32)
    out[:, 1:14:2] = (f[:, 1:14:2].astype(np.float64) / sy).astype(np.float32)
    return np.hstack([out[:, 14:15], out[:, :14]])


def distance2bbox(points, distance):
    return np.stack([points[:, 0] - distance[:, 0], points[:, 1] - distance[:, 1],
                     points[:, 0] + distance[:, 2], points[:, 1] + distance[:, 3]], axis=-1)


def distance2kps(points, distance):
    preds = []
    for i in range(0, distance.shape[1], 2):
        preds.append(points[:, i % 2] + distance[:, i])
        preds.append(points[:, i % 2 + 1] + distance[:, i + 1])
    return np.stack(preds, axis=-1)


def scrfd(outs, meta, score, nms):
    """scrfd.py's forward() from net_outs, then detect() and nms()."""
    w, h, inw, inh, iw, ih = meta
    nout = len(outs)
    fmc = 3 if nout in (6, 9) else 5
    strides = [8, 16, 32] if fmc == 3 else [8, 16, 32, 64, 128]
    use_kps = nout in (9, 15)
    det_scale = float(ih) / h
    scores_list, bboxes_list, kpss_list = [], [], []
    for idx, stride in enumerate(strides):
        scores = outs[idx].reshape(-1, 1)
        bbox_preds = outs[idx + fmc].reshape(-1, 4) * stride
        height, width = inh // stride, inw // stride
        anchors = scores.shape[0] // (height * width)
        centers = np.stack(np.mgrid[:height, :width][::-1], axis=-1).astype(np.float32)
        centers = (centers * stride).reshape((-1, 2))
        if anchors > 1:
            centers = np.stack([centers] * anchors, axis=1).reshape((-1, 2))
        pos = np.where(scores >= score)[0]
        scores_list.append(scores[pos])
        bboxes_list.append(distance2bbox(centers, bbox_preds)[pos])
        if use_kps:
            kps_preds = outs[idx + fmc * 2].reshape(-1, 10) * stride
            kpss_list.append(distance2kps(centers, kps_preds).reshape((-1, 5, 2))[pos])
    scores = np.vstack(scores_list)
    # scrfd.py's argsort()[::-1] leaves equal scores in an unspecified
    # order: here (and in arpg) they keep their order
    order = np.argsort(-scores.ravel(), kind="stable")
    bboxes = np.vstack(bboxes_list) / np.float32(det_scale)
    pre_det = np.hstack((bboxes, scores)).astype(np.float32, copy=False)[order, :]
    x1, y1, x2, y2, sc = (pre_det[:, k] for k in range(5))
    areas = (x2 - x1 + 1) * (y2 - y1 + 1)
    rest, keep = np.arange(len(sc)), []
    while rest.size > 0:
        i = rest[0]
        keep.append(i)
        xx1, yy1 = np.maximum(x1[i], x1[rest[1:]]), np.maximum(y1[i], y1[rest[1:]])
        xx2, yy2 = np.minimum(x2[i], x2[rest[1:]]), np.minimum(y2[i], y2[rest[1:]])
        ww = np.maximum(np.float32(0), xx2 - xx1 + 1)
        hh = np.maximum(np.float32(0), yy2 - yy1 + 1)
        inter = ww * hh
        ovr = inter / (areas[i] + areas[rest[1:]] - inter)
        rest = rest[np.where(ovr <= np.float32(nms))[0] + 1]
    det = pre_det[keep]
    out = np.zeros((len(keep), 15), np.float32)
    out[:, 0] = det[:, 4]
    out[:, 1], out[:, 2] = det[:, 0], det[:, 1]
    out[:, 3], out[:, 4] = det[:, 2] - det[:, 0], det[:, 3] - det[:, 1]
    if use_kps:
        kpss = (np.vstack(kpss_list) / np.float32(det_scale))[order][keep]
        out[:, 5:] = kpss.reshape(-1, 10)
    return out


def main():
    kind, model, rawdir, tool_out, score, nms = sys.argv[1:7]
    score, nms = float(score), float(nms)
    m = onnx.load(model)
    names = [o.name for o in m.graph.output]
    lines = open(tool_out).read().split("\n")
    i, images, faces, bad = 0, 0, 0, []
    while i < len(lines) and lines[i]:
        head = lines[i].split()
        path, n = head[0], int(head[1])
        meta = None
        with open(path, "rb") as f:
            f.readline()
            w, h = (int(v) for v in f.readline().split())
        meta = (w, h) + tuple(int(v) for v in head[2:6])
        got = np.array([[float(v) for v in lines[i + 1 + k].split()] for k in range(n)],
                       np.float64).reshape(n, 15)
        i += 1 + n
        base = rawdir + "/" + path.split("/")[-1]
        raw = [np.fromfile("%s.%d.f32" % (base, k), np.float32) for k in range(len(names))]
        if kind == "yunet":
            want = yunet(dict(zip(names, raw)), meta, score, nms)
        else:
            want = scrfd(raw, meta, score, nms)
        images += 1
        faces += len(want)
        if len(want) != n:
            bad.append("%s: %d faces, the reference %d" % (path, n, len(want)))
            continue
        d = np.abs(got - want.astype(np.float64))
        tol = np.maximum(1e-3, 1e-5 * np.abs(want))
        if (d > tol).any():
            k = np.unravel_index(np.argmax(d - tol), d.shape)
            bad.append("%s: face %d field %d is %.9g, the reference %.9g" %
                       (path, k[0], k[1], got[k], want[k]))
    print("# %s: %d images, %d faces compared with the numpy port" % (kind, images, faces))
    for b in bad[:10]:
        print("# " + b)
    sys.exit(0 if images and not bad else 1)


if __name__ == "__main__":
    main()
