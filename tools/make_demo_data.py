#!/usr/bin/python3
"""make_demo_data.py - a small facial-expression video dataset from real faces.

Makes an AFEW-layout dataset (OUT/Train_AFEW.zip, OUT/Val_AFEW.zip: seven
emotion folders of .avi clips with 9-digit names, XviD / MPEG-4 Part 2),
with --layout rml an RML-like tree (OUT/RML/s1..sN/<code>NN.avi, six emotions,
a speaker per source identity), or with --layout affwild2 an Aff-Wild2-shaped
set (long videos in OUT/videos/batch1/ and OUT/videos/batch2.zip, expression
labels per frame in OUT/Annotations/EXPR_Set/{Train_Set,Validation_Set}/, see
make_affwild2), out of face pixels that Debian ships
(python3-skimage's astronaut, opencv-doc's messi5.jpg, frames of Megamind.avi
and a few portraits in opencv-doc's and libdlib19.1's documentation).

Each clip moves a face over time (head translation, rotation and scale,
lighting drift, sensor noise) and deforms it with a class-specific expression
driven by landmarks (eyes found with OpenCV's eye cascade inside the face box,
brows, nose and mouth at canonical positions relative to the eyes), growing
from onset to apex over the clip: smile, frown, raised brows and open mouth,
and so on.  Neutral clips move but do not deform, so the label is only in the
facial geometry.  Everything follows from --seed.

Run with Debian's Python (python3-opencv, python3-numpy):
    /usr/bin/python3 tools/make_demo_data.py -o demo/data [--small] [--subjects-apart]
    /usr/bin/python3 tools/make_demo_data.py -o demo/rml --layout rml
    /usr/bin/python3 tools/make_demo_data.py -o demo/aw --layout affwild2 --small
"""
import argparse
import io
import os
import sys
import tempfile
import time
import zipfile
from multiprocessing import Pool

import cv2
import numpy as np

AFEW_LABELS = ["Angry", "Disgust", "Fear", "Happy", "Neutral", "Sad", "Surprise"]
RML_CODES = {"Angry": "an", "Disgust": "di", "Fear": "fe", "Happy": "ha", "Sad": "sa",
             "Surprise": "su"}

DOC = "/usr/share/doc/opencv-doc/opencv4/html/"
CVDATA = "/usr/share/doc/opencv-doc/examples/data/"
DLIB = "/usr/share/doc/libdlib19.1/examples/faces/"
SKIMAGE = "/usr/lib/python3/dist-packages/skimage/data/"
# Source faces: identity, file, Megamind.avi frame or None, face box (x y w h)
# as OpenCV's frontal-face cascade finds it.  Images with drawings over the
# face are left out.  A missing file is skipped with a warning.
SOURCES = [
    ("astronaut", SKIMAGE + "astronaut.png", None, (176, 66, 95, 95)),
    ("messi", CVDATA + "messi5.jpg", None, (227, 94, 37, 37)),
    ("megamind-roxanne", CVDATA + "Megamind.avi", 40, (219, 164, 169, 169)),
    ("megamind-roxanne", CVDATA + "Megamind.avi", 60, (206, 196, 187, 187)),
    ("megamind-metroman", CVDATA + "Megamind.avi", 140, (401, 166, 174, 174)),
    ("megamind-metroman", CVDATA + "Megamind.avi", 240, (222, 86, 317, 317)),
    ("bearded", DOC + "230501201_1.jpg", None, (113, 211, 375, 375)),
    ("doc05", DOC + "05.jpg", None, (126, 114, 300, 300)),
    ("doc12", DOC + "12.jpg", None, (114, 24, 337, 337)),
    ("voc2009", DLIB + "2009_004587.jpg", None, (262, 270, 75, 75)),
    ("tom", DLIB + "Tom_Cruise_avp_2014_4.jpg", None, (49, 206, 457, 457)),
    ("vin", DLIB + "bald_guys.jpg", None, (38, 40, 214, 214)),
    ("vin", DLIB + "bald_guys.jpg", None, (545, 412, 194, 194)),
    ("vin", DLIB + "bald_guys.jpg", None, (35, 1279, 191, 191)),
    ("dwayne", DLIB + "bald_guys.jpg", None, (1428, 59, 335, 335)),
    ("dwayne", DLIB + "bald_guys.jpg", None, (1824, 421, 118, 118)),
    ("dwayne", DLIB + "bald_guys.jpg", None, (1447, 1322, 146, 146)),
    ("dwayne", DLIB + "bald_guys.jpg", None, (1057, 1274, 206, 206)),
    ("jason", DLIB + "bald_guys.jpg", None, (867, 92, 178, 178)),
    ("jason", DLIB + "bald_guys.jpg", None, (324, 441, 148, 148)),
    ("jason", DLIB + "bald_guys.jpg", None, (50, 678, 175, 175)),
]

# Canonical points in face-box units (the frontal-face cascade's box), eyes
# first; the eyes are refined with the eye cascade, the rest follow them.
PTS = {
    "eye_l": (0.31, 0.40), "eye_r": (0.69, 0.40),
    "brow_lo": (0.20, 0.29), "brow_lm": (0.30, 0.27), "brow_li": (0.41, 0.29),
    "brow_ri": (0.59, 0.29), "brow_rm": (0.70, 0.27), "brow_ro": (0.80, 0.29),
    "lid_lu": (0.31, 0.37), "lid_ru": (0.69, 0.37),
    "lid_ll": (0.31, 0.44), "lid_rl": (0.69, 0.44),
    "nostril_l": (0.44, 0.63), "nostril_r": (0.56, 0.63), "nose": (0.50, 0.60),
    "cheek_l": (0.30, 0.62), "cheek_r": (0.70, 0.62),
    "mouth_l": (0.37, 0.80), "mouth_r": (0.63, 0.80),
    "lip_u": (0.50, 0.76), "lip_l": (0.50, 0.83), "chin": (0.50, 0.95),
}

# Expressions: (point, dx, dy, radius), in face-box widths, at the apex.
# dx is towards the face's own left-right outside for paired points:
# positive dx moves a left point left and a right point right (outwards).
EXPR = {
    "Neutral": [],
    "Happy": [("mouth_l", 0.07, -0.08, 0.09), ("mouth_r", 0.07, -0.08, 0.09),
              ("cheek_l", 0.0, -0.04, 0.10), ("cheek_r", 0.0, -0.04, 0.10),
              ("lid_ll", 0.0, -0.025, 0.05), ("lid_rl", 0.0, -0.025, 0.05)],
    "Sad": [("mouth_l", -0.02, 0.08, 0.08), ("mouth_r", -0.02, 0.08, 0.08),
            ("brow_li", -0.02, -0.06, 0.07), ("brow_ri", -0.02, -0.06, 0.07),
            ("brow_lo", 0.0, 0.03, 0.07), ("brow_ro", 0.0, 0.03, 0.07),
            ("lid_lu", 0.0, 0.02, 0.05), ("lid_ru", 0.0, 0.02, 0.05)],
    "Angry": [("brow_li", -0.05, 0.07, 0.08), ("brow_ri", -0.05, 0.07, 0.08),
              ("brow_lm", -0.02, 0.04, 0.08), ("brow_rm", -0.02, 0.04, 0.08),
              ("lid_lu", 0.0, 0.025, 0.05), ("lid_ru", 0.0, 0.025, 0.05),
              ("mouth_l", -0.04, 0.01, 0.07), ("mouth_r", -0.04, 0.01, 0.07),
              ("lip_l", 0.0, -0.02, 0.06)],
    "Surprise": [("brow_lo", 0.0, -0.08, 0.10), ("brow_lm", 0.0, -0.10, 0.10),
                 ("brow_li", 0.0, -0.08, 0.10), ("brow_ri", 0.0, -0.08, 0.10),
                 ("brow_rm", 0.0, -0.10, 0.10), ("brow_ro", 0.0, -0.08, 0.10),
                 ("lid_lu", 0.0, -0.03, 0.05), ("lid_ru", 0.0, -0.03, 0.05),
                 ("lip_l", 0.0, 0.10, 0.09), ("chin", 0.0, 0.10, 0.14),
                 ("mouth_l", -0.02, 0.03, 0.06), ("mouth_r", -0.02, 0.03, 0.06)],
    "Fear": [("brow_li", -0.03, -0.07, 0.07), ("brow_ri", -0.03, -0.07, 0.07),
             ("brow_lm", 0.0, -0.05, 0.08), ("brow_rm", 0.0, -0.05, 0.08),
             ("lid_lu", 0.0, -0.035, 0.05), ("lid_ru", 0.0, -0.035, 0.05),
             ("mouth_l", 0.08, 0.03, 0.08), ("mouth_r", 0.08, 0.03, 0.08),
             ("lip_l", 0.0, 0.04, 0.07)],
    "Disgust": [("lip_u", 0.0, -0.07, 0.07), ("nostril_l", 0.01, -0.045, 0.05),
                ("nostril_r", 0.01, -0.045, 0.05), ("brow_li", -0.02, 0.04, 0.07),
                ("brow_ri", -0.02, 0.04, 0.07), ("mouth_l", 0.0, 0.04, 0.06),
                ("mouth_r", 0.0, 0.04, 0.06), ("lid_ll", 0.0, -0.02, 0.05),
                ("lid_rl", 0.0, -0.02, 0.05)],
}
# An open mouth (a dark gap between the lips), height in face widths at the apex.
MOUTH_OPEN = {"Surprise": 0.10, "Fear": 0.04}

FRAME = 160		# output frames are FRAME x FRAME
FACE = 76		# face-box width in output pixels
CANVAS = 2.6		# the canvas around a face, in face widths


def load_sources(verbose):
    """Canvases: (identity, BGR canvas, point dict in canvas pixels)."""
    eyes_cc = cv2.CascadeClassifier(
        "/usr/share/opencv4/haarcascades/haarcascade_eye.xml")
    cache = {}
    out = []
    for ident, path, frame_no, box in SOURCES:
        key = (path, frame_no)
        if key not in cache:
            img = None
            if os.path.exists(path):
                if frame_no is None:
                    img = cv2.imread(path, cv2.IMREAD_COLOR)
                else:
                    cap = cv2.VideoCapture(path)
                    cap.set(cv2.CAP_PROP_POS_FRAMES, frame_no)
                    ok, img = cap.read()
                    cap.release()
                    img = img if ok else None
            cache[key] = img
        img = cache[key]
        if img is None:
            print("make_demo_data: %s: missing, skipped" % path, file=sys.stderr)
            continue
        x, y, w, h = box
        k = FACE / w
        side = int(round(CANVAS * FACE))
        # the canvas is centred on the box centre
        cx, cy = x + w / 2, y + h / 2
        A = np.array([[k, 0, side / 2 - k * cx], [0, k, side / 2 - k * cy]])
        canvas = cv2.warpAffine(img, A, (side, side), flags=cv2.INTER_AREA
                                if k < 1 else cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
        bx, by = side / 2 - FACE / 2, side / 2 - FACE / 2   # face box in the canvas

        def canon(name):
            u, v = PTS[name]
            return np.array([bx + u * FACE, by + v * FACE])
        el, er = canon("eye_l"), canon("eye_r")
        # refine the eyes with the eye cascade in the upper half of the box
        grey = cv2.cvtColor(canvas, cv2.COLOR_BGR2GRAY)
        x0, y0 = int(bx), int(by + 0.15 * FACE)
        roi = grey[y0:int(by + 0.6 * FACE), x0:int(bx + FACE)]
        found = eyes_cc.detectMultiScale(roi, 1.05, 3, minSize=(10, 10))
        cands = [np.array([x0 + ex + ew / 2, y0 + ey + eh / 2]) for ex, ey, ew, eh in found]
        left = [c for c in cands if c[0] < bx + FACE / 2 and np.linalg.norm(c - el) < 0.15 * FACE]
        right = [c for c in cands if c[0] >= bx + FACE / 2 and np.linalg.norm(c - er) < 0.15 * FACE]
        refined = False
        if left and right:
            nel = min(left, key=lambda c: np.linalg.norm(c - el))
            ner = min(right, key=lambda c: np.linalg.norm(c - er))
            d = np.linalg.norm(ner - nel) / FACE
            if 0.28 < d < 0.5:
                el, er, refined = nel, ner, True
        # similarity from canonical eyes to the found eyes, applied to every point
        ce_l, ce_r = canon("eye_l"), canon("eye_r")
        src, dst = ce_r - ce_l, er - el
        s = np.linalg.norm(dst) / np.linalg.norm(src)
        ang = np.arctan2(dst[1], dst[0]) - np.arctan2(src[1], src[0])
        R = s * np.array([[np.cos(ang), -np.sin(ang)], [np.sin(ang), np.cos(ang)]])
        pts = {n: R @ (canon(n) - ce_l) + el for n in PTS}
        out.append((ident, canvas, pts, FACE * s))
        if verbose:
            print("make_demo_data: %-18s %s%s eyes %s" % (
                ident, os.path.basename(path), "" if frame_no is None else "#%d" % frame_no,
                "found" if refined else "canonical"), file=sys.stderr)
    return out


def smoothstep(x):
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


def displacement(pts, fw, label, jitter, flipped, size):
    """The apex displacement field (dx, dy), size x size, in canvas pixels."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    dx = np.zeros((size, size), np.float32)
    dy = np.zeros((size, size), np.float32)
    cx = (pts["eye_l"][0] + pts["eye_r"][0]) / 2
    for i, (name, ox, oy, r) in enumerate(EXPR[label]):
        p = pts[name]
        side = -1.0 if p[0] < cx - 1e-3 else (1.0 if p[0] > cx + 1e-3 else 0.0)
        if flipped:
            side = -side
        j = jitter[i % len(jitter)]
        vx, vy = side * ox * fw * j, oy * fw * j
        rr = r * fw
        g = np.exp(-((xx - p[0]) ** 2 + (yy - p[1]) ** 2) / (2 * rr * rr))
        dx += vx * g
        dy += vy * g
    return dx, dy


def clip_frames(src, label, seed, nframes):
    """The frames of one clip, FRAME x FRAME BGR uint8 each, with the
    expression's amplitude in each (0 before the onset, about 1 at the apex)."""
    ident, canvas, pts, fw = src
    rng = np.random.default_rng(seed)
    size = canvas.shape[0]
    flipped = rng.random() < 0.5
    if flipped:
        canvas = canvas[:, ::-1].copy()
        pts = {n: np.array([size - 1 - p[0], p[1]]) for n, p in pts.items()}
    jitter = rng.uniform(0.8, 1.2, 16)
    amp = rng.uniform(0.85, 1.15)
    onset = rng.uniform(0.0, 0.3) * nframes
    apex = rng.uniform(0.6, 0.95) * nframes
    DX, DY = displacement(pts, fw, label, jitter, flipped, size)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    mouth = (pts["mouth_l"] + pts["mouth_r"]) / 2
    mw = np.linalg.norm(pts["mouth_r"] - pts["mouth_l"])
    # head motion: a base pose plus slow oscillations
    base = dict(tx=rng.uniform(-5, 5), ty=rng.uniform(-5, 5), rot=rng.uniform(-6, 6),
                sc=rng.uniform(0.92, 1.08))
    osc = [(rng.uniform(1, 4), rng.uniform(0.3, 1.2), rng.uniform(0, 2 * np.pi))
           for _ in range(4)]   # amplitude scale, cycles per clip, phase
    gain0, gainv = rng.uniform(0.8, 1.15), rng.uniform(-0.15, 0.15)
    bias0 = rng.uniform(-15, 15)
    grad = rng.uniform(-0.25, 0.25)   # left-right illumination slope
    sigma = rng.uniform(1.5, 4.0)
    ramp = np.linspace(-1, 1, FRAME, dtype=np.float32)[None, :, None]
    for t in range(nframes):
        a = amp * smoothstep((t - onset) / max(apex - onset, 1.0))
        img = canvas
        if a > 0 and EXPR[label]:
            img = cv2.remap(canvas, xx - a * DX, yy - a * DY, cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_REFLECT101)
        if label in MOUTH_OPEN and a > 0:
            img = img.copy()
            hgt = a * MOUTH_OPEN[label] * fw
            ctr = (mouth[0], mouth[1] + 0.55 * hgt)
            mask = np.zeros((size, size), np.float32)
            cv2.ellipse(mask, (int(round(ctr[0] * 4)), int(round(ctr[1] * 4))),
                        (int(round(0.36 * mw * 4)), int(round(max(0.5 * hgt, 0.5) * 4))),
                        0, 0, 360, 1.0, -1, cv2.LINE_AA, 2)
            mask = cv2.GaussianBlur(mask, (0, 0), 1.0)[..., None]
            img = (img * (1 - 0.85 * mask) + 25 * mask).astype(np.uint8)
        ph = 2 * np.pi * t / nframes
        tx = base["tx"] + osc[0][0] * np.sin(osc[0][1] * ph + osc[0][2])
        ty = base["ty"] + osc[1][0] * np.sin(osc[1][1] * ph + osc[1][2])
        rot = base["rot"] + osc[2][0] * np.sin(osc[2][1] * ph + osc[2][2])
        sc = base["sc"] * (1 + 0.012 * osc[3][0] * np.sin(osc[3][1] * ph + osc[3][2]))
        M = cv2.getRotationMatrix2D((size / 2, size / 2), rot, sc)
        M[0, 2] += FRAME / 2 - size / 2 + tx
        M[1, 2] += FRAME / 2 - size / 2 + ty
        fr = cv2.warpAffine(img, M, (FRAME, FRAME), flags=cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
        gain = gain0 + gainv * t / max(nframes - 1, 1)
        fr = fr * (gain * (1 + grad * ramp)) + bias0
        fr += rng.normal(0, sigma, fr.shape).astype(np.float32)
        yield np.clip(fr + 0.5, 0, 255).astype(np.uint8), a


def avi_bytes(frames, width, height):
    """XviD .avi bytes of BGR frames, 25 frames per second."""
    fd, path = tempfile.mkstemp(suffix=".avi")
    os.close(fd)
    vw = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"XVID"), 25, (width, height))
    if not vw.isOpened():
        raise RuntimeError("cv2.VideoWriter cannot write XviD")
    for fr in frames:
        vw.write(fr)
    vw.release()
    with open(path, "rb") as f:
        data = f.read()
    os.unlink(path)
    return data


_backgrounds = []


def background(k, width, height):
    """Scene k (of 8) as a width x height BGR background: a frame of
    Megamind.avi blurred so much that no face in it is found, or a grey
    gradient when the video is missing."""
    if not _backgrounds:
        cap = cv2.VideoCapture(CVDATA + "Megamind.avi")
        for no in range(10, 270, 32):
            cap.set(cv2.CAP_PROP_POS_FRAMES, no)
            ok, fr = cap.read()
            if ok:
                _backgrounds.append(fr)
        if not _backgrounds:
            _backgrounds.append(np.tile(np.linspace(60, 180, 64, dtype=np.uint8)[None, :, None],
                                        (48, 1, 3)))
    bg = cv2.resize(_backgrounds[k % len(_backgrounds)], (width, height),
                    interpolation=cv2.INTER_LINEAR)
    return cv2.GaussianBlur(bg, (0, 0), 9)


def in_scene(frames, seed, width, height):
    """The frames (FRAME x FRAME) scaled up to a face about as wide as in
    AFEW's films and put at one place of a scene of width x height; the
    place and the scene follow from the clip's seed (the main rng is not
    drawn from, so that the clips are those of the default size)."""
    rng = np.random.default_rng(seed ^ 0x5CE4E)
    side = min(2 * FRAME, width, height)
    bg = background(int(rng.integers(8)), width, height)
    x, y = int(rng.integers(0, width - side + 1)), int(rng.integers(0, height - side + 1))
    for fr in frames:
        out = bg.copy()
        out[y:y + side, x:x + side] = cv2.resize(fr, (side, side), interpolation=cv2.INTER_LINEAR)
        yield out


def make_clip(job):
    """Renders one clip and returns the .avi bytes; a job with a frame size
    (width, height) puts the face into a scene of that size."""
    src, label, seed, nframes = job[:4]
    frames = (fr for fr, _ in clip_frames(src, label, seed, nframes))
    if len(job) > 4:
        return avi_bytes(in_scene(frames, seed, *job[4]), *job[4])
    return avi_bytes(frames, FRAME, FRAME)


# Aff-Wild2's expression classes (the ABAW EXPR set), in index order, and
# the class of each demo expression; Other is never rendered.
ABAW_LABELS = ["Neutral", "Anger", "Disgust", "Fear", "Happiness", "Sadness", "Surprise",
               "Other"]
ABAW_OF = {"Neutral": 0, "Angry": 1, "Disgust": 2, "Fear": 3, "Happy": 4, "Sad": 5,
           "Surprise": 6}
# a frame shows its segment's expression once the expression has grown to
# this part of its apex; before, it is labelled Neutral
ABAW_SHOWN = 0.4


def make_video(job):
    """One Aff-Wild2-like video: job is a list of people (one, or left and
    right side by side), each a list of segments (source, label, seed,
    frames, annotated); every person's segments have the same frame total.
    Returns the .avi bytes and each person's labels per frame (-1 where the
    segment is not annotated)."""
    labels, streams = [], []
    for segments in job:
        lab = []
        for src, label, seed, n, annotated in segments:
            for _, a in clip_frames(src, label, seed, n):
                lab.append(-1 if not annotated else ABAW_OF[label] if a >= ABAW_SHOWN else 0)
        labels.append(lab)
        streams.append(fr for seg in segments for fr, _ in clip_frames(*seg[:4]))
    frames = (np.hstack(row) if len(row) > 1 else row[0] for row in zip(*streams))
    return avi_bytes(frames, FRAME * len(job), FRAME), labels


def make_affwild2(o, sources, rng):
    """The Aff-Wild2-shaped set: o.train and o.val videos of 5 (--small) or 8
    segments of o.frames frames each, an expression per segment growing from
    onset to apex, one source face per person; about one segment in four is
    not annotated (-1).  Train video 0 has two people (NAME_left.txt and
    NAME_right.txt); train video 1's annotation has 3 lines more than the
    video has frames, as some of the release's do.  The first half of the
    videos are files in OUT/videos/batch1/, the others in batch2.zip.
    Returns the number of videos and of labelled frames."""
    ntrain = o.train if o.train is not None else (6 if o.small else 24)
    nval = o.val if o.val is not None else (3 if o.small else 8)
    nseg = 5 if o.small else 8
    fr = o.frames or ("10-16" if o.small else "25-60")
    fmin, fmax = (int(v) for v in fr.split("-")) if "-" in fr else (int(fr), int(fr))
    classes = sorted(ABAW_OF, key=ABAW_OF.get)
    jobs = []   # (split, name, people)
    for split, n in (("Train_Set", ntrain), ("Validation_Set", nval)):
        for v in range(n):
            lengths = [int(rng.integers(fmin, fmax + 1)) for _ in range(nseg)]
            two = split == "Train_Set" and v == 0
            people = []
            for _ in range(2 if two else 1):
                src = sources[int(rng.integers(len(sources)))]
                people.append([(src, classes[int(rng.integers(len(classes)))],
                                int(rng.integers(2 ** 63)), k, bool(rng.random() >= 0.25))
                               for k in lengths])
            jobs.append((split, "video%d" % (len(jobs) + 1) if two else
                         "%d-25-%dx%d" % (len(jobs) + 1, FRAME, FRAME), people))
    ann = os.path.join(o.out, "Annotations", "EXPR_Set")
    vids = os.path.join(o.out, "videos")
    for d in ("Train_Set", "Validation_Set"):
        os.makedirs(os.path.join(ann, d), exist_ok=True)
    os.makedirs(os.path.join(vids, "batch1"), exist_ok=True)
    half = (len(jobs) + 1) // 2
    z = zipfile.ZipFile(os.path.join(vids, "batch2.zip.part"), "w", zipfile.ZIP_STORED)
    labelled = 0
    with Pool(max(1, o.jobs)) as pool:
        for i, ((split, name, people), (data, labels)) in enumerate(
                zip(jobs, pool.imap(make_video, [j[2] for j in jobs]))):
            if i < half:
                with open(os.path.join(vids, "batch1", name + ".avi"), "wb") as f:
                    f.write(data)
            else:
                # fixed timestamps: the archive is the same bytes for the same seed
                zi = zipfile.ZipInfo(name + ".avi", date_time=(2020, 1, 1, 0, 0, 0))
                zi.external_attr = 0o644 << 16
                z.writestr(zi, data)
            for side, lab in zip(("_left", "_right") if len(people) == 2 else ("",), labels):
                if i == 1:
                    lab = lab + lab[-1:] * 3
                labelled += sum(v >= 0 for v in lab)
                with open(os.path.join(ann, split, name + side + ".txt"), "w") as f:
                    f.write(",".join(ABAW_LABELS) + "\n")
                    f.write("".join("%d\n" % v for v in lab))
            if not o.quiet:
                print("make_demo_data: %d/%d videos" % (i + 1, len(jobs)), file=sys.stderr)
    z.close()
    os.replace(os.path.join(vids, "batch2.zip.part"), os.path.join(vids, "batch2.zip"))
    return len(jobs), labelled


def nine_digit_names(rng, n):
    names, seen = [], set()
    while len(names) < n:
        v = int(rng.integers(1, 10 ** 9))
        if v not in seen:
            seen.add(v)
            names.append("%09d" % v)
    return names


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-o", "--out", required=True, help="output directory")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--layout", choices=["afew", "rml", "affwild2"], default="afew")
    ap.add_argument("--small", action="store_true", help="fewer, shorter clips, for the tests (175 AFEW or 48 RML)")
    ap.add_argument("--train", type=int, help="train clips per class (afew; 25, --small 20), "
                    "or train videos (affwild2; 24, --small 6)")
    ap.add_argument("--val", type=int, help="val clips per class (afew; 10, --small 5), "
                    "or validation videos (affwild2; 8, --small 3)")
    ap.add_argument("--speakers", type=int, help="speakers (rml; 6, --small 4)")
    ap.add_argument("--per-speaker", type=int,
                    help="clips per speaker and emotion (rml; 4, --small 2)")
    ap.add_argument("--frames", default=None, help="frames per clip, MIN-MAX (16-24, --small "
                    "8-10), or per segment (affwild2; 25-60, --small 10-16)")
    ap.add_argument("--frame-size", metavar="WxH",
                    help="frames of W x H (afew; AFEW's films are 720x576), the face scaled "
                    "up and put into a blurred scene; default: the face's %dx%d" % (FRAME, FRAME))
    ap.add_argument("--subjects-apart", action="store_true",
                    help="no source identity in both train and val (afew)")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("-q", "--quiet", action="store_true")
    ap.add_argument("-v", "--verbose", action="store_true")
    o = ap.parse_args()
    ntrain = o.train if o.train is not None else (20 if o.small else 25)
    nval = o.val if o.val is not None else (5 if o.small else 10)
    nspk = o.speakers if o.speakers is not None else (4 if o.small else 6)
    nper = o.per_speaker if o.per_speaker is not None else (2 if o.small else 4)
    fr = o.frames or ("8-10" if o.small else "16-24")
    fmin, fmax = (int(v) for v in fr.split("-")) if "-" in fr else (int(fr), int(fr))
    t0 = time.time()
    cv2.setNumThreads(1)
    sources = load_sources(o.verbose)
    idents = sorted(set(s[0] for s in sources), key=lambda n: [s[0] for s in sources].index(n))
    if len(idents) < 2:
        sys.exit("make_demo_data: fewer than 2 source faces found")
    rng = np.random.default_rng(o.seed)
    os.makedirs(o.out, exist_ok=True)
    if o.layout == "affwild2":
        nvid, nlab = make_affwild2(o, sources, rng)
        if not o.quiet:
            print("make_demo_data: done in %.1f s: %d videos, %d labelled frames in %s"
                  % (time.time() - t0, nvid, nlab, o.out), file=sys.stderr)
        return
    jobs = []   # (source, label, seed, frames), archive, member name

    def pick(pool, k):
        """Source k of a balanced cycle over identities, then over their images."""
        ids = sorted(set(s[0] for s in pool), key=lambda n: [s[0] for s in pool].index(n))
        ident = ids[k % len(ids)]
        imgs = [s for s in pool if s[0] == ident]
        return imgs[(k // len(ids)) % len(imgs)]

    scene = ()
    if o.frame_size:
        try:
            w, h = (int(v) for v in o.frame_size.lower().split("x"))
            assert o.layout == "afew" and 64 <= w <= 4096 and 64 <= h <= 4096
        except (ValueError, AssertionError):
            sys.exit("make_demo_data: --frame-size '%s': expected WxH of 64 to 4096 each, "
                     "with the afew layout" % o.frame_size)
        scene = ((w, h),)
    if o.layout == "afew":
        if o.subjects_apart:
            perm = list(rng.permutation(len(idents)))
            nv = max(1, round(len(idents) * nval / (ntrain + nval)))
            val_ids = set(idents[i] for i in perm[:nv])
            pools = {"Train": [s for s in sources if s[0] not in val_ids],
                     "Val": [s for s in sources if s[0] in val_ids]}
        else:
            val_ids = set()
            pools = {"Train": sources, "Val": sources}
        names = nine_digit_names(rng, len(AFEW_LABELS) * (ntrain + nval))
        for split, n in (("Train", ntrain), ("Val", nval)):
            offset = int(rng.integers(0, 1000))
            for li, label in enumerate(AFEW_LABELS):
                for k in range(n):
                    src = pick(pools[split], offset + li * 3 + k)
                    jobs.append(((src, label, int(rng.integers(2 ** 63)),
                                  int(rng.integers(fmin, fmax + 1))) + scene,
                                 "%s_AFEW.zip" % split, "%s/%s.avi" % (label, names.pop())))
    else:
        if nspk > len(idents):
            sys.exit("make_demo_data: only %d identities for %d speakers" % (len(idents), nspk))
        perm = list(rng.permutation(len(idents)))[:nspk]
        for si, ii in enumerate(perm):
            pool = [s for s in sources if s[0] == idents[ii]]
            for label, code in RML_CODES.items():
                for k in range(nper):
                    src = pool[(k + si) % len(pool)]
                    jobs.append(((src, label, int(rng.integers(2 ** 63)),
                                  int(rng.integers(fmin, fmax + 1))),
                                 None, "RML/s%d/%s%d.avi" % (si + 1, code, k + 1)))
    if not o.quiet:
        print("make_demo_data: %d clips from %d source faces of %d identities%s, %s layout"
              % (len(jobs), len(set(id(j[0][0]) for j in jobs)),
                 len(set(j[0][0][0] for j in jobs)),
                 " (val identities: %s)" % ", ".join(sorted(val_ids))
                 if o.layout == "afew" and val_ids else "", o.layout), file=sys.stderr)
    with Pool(max(1, o.jobs)) as pool:
        results = pool.imap(make_clip, [j[0] for j in jobs], chunksize=4)
        zips = {}
        for i, (job, data) in enumerate(zip(jobs, results)):
            _, arch, member = job
            if arch is None:
                p = os.path.join(o.out, member)
                os.makedirs(os.path.dirname(p), exist_ok=True)
                with open(p, "wb") as f:
                    f.write(data)
            else:
                if arch not in zips:
                    zips[arch] = zipfile.ZipFile(os.path.join(o.out, arch + ".part"), "w",
                                                 zipfile.ZIP_STORED)
                # fixed timestamps: the archives are the same bytes for the same seed
                zi = zipfile.ZipInfo(member, date_time=(2013, 1, 1, 0, 0, 0))
                zi.external_attr = 0o644 << 16
                zips[arch].writestr(zi, data)
            if not o.quiet and (i + 1) % 25 == 0 or i + 1 == len(jobs):
                if not o.quiet:
                    print("make_demo_data: %d/%d clips" % (i + 1, len(jobs)), file=sys.stderr)
        for arch, z in zips.items():
            z.close()
            os.replace(os.path.join(o.out, arch + ".part"), os.path.join(o.out, arch))
    if not o.quiet:
        print("make_demo_data: done in %.1f s: %s" % (
            time.time() - t0, ", ".join(sorted(os.path.join(o.out, a) for a in zips))
            if o.layout == "afew" else os.path.join(o.out, "RML")), file=sys.stderr)


if __name__ == "__main__":
    main()
