"""tsv.py - arpg-preprocess's outputs: manifest.tsv (common/manifest.c) and a
clip's frames.tsv (common/frames_tsv.c).  A bad line is a ValueError naming
the file and the line."""
import re

import numpy as np

from .cache import digits, name_error

MANIFEST_FIELDS = ("clip_id", "split", "label", "subject", "frames", "faces", "path")
MANIFEST_HEADER = "\t".join(MANIFEST_FIELDS)
COLUMNS = (["index", "detected", "box_x", "box_y", "box_w", "box_h"]
           + ["%s%d" % (a, i) for i in range(68) for a in "xy"]
           + ["m%d" % i for i in range(6)]
           + ["score"] + ["k%d%s" % (i, a) for i in range(5) for a in "xy"])
LABEL_CLASSES = "#label_classes\t"
ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "\\": "\\"}


def unescape(s):
    """A manifest text field unescaped: \\t \\n \\r \\\\ (common/manifest.c
    writes them); ValueError on another escape or a raw control character
    among CR, LF, NUL."""
    out = []
    i = 0
    while i < len(s):
        ch = s[i]
        if ch != "\\":
            if ch in "\0\r\n":
                raise ValueError("bad escape or control character")
            out.append(ch)
            i += 1
            continue
        if i + 1 == len(s) or s[i + 1] not in ESCAPES:
            raise ValueError("bad escape or control character")
        out.append(ESCAPES[s[i + 1]])
        i += 2
    return "".join(out)


def _count(s):
    if not digits(s) or int(s) > 2 ** 31 - 1:
        raise ValueError
    return int(s)


def parse_manifest_line(line):
    """One manifest row as a dict (text fields unescaped, frames and faces
    ints); ValueError with the reason, as arpg_manifest_parse gives it."""
    f = line.split("\t")
    if len(f) > 7:
        raise ValueError("more than 7 tab-separated fields")
    if len(f) != 7:
        raise ValueError("%d fields where 7 are expected (%s)"
                         % (len(f), " ".join(MANIFEST_FIELDS)))
    row = {}
    for name, v in zip(MANIFEST_FIELDS, f):
        try:
            row[name] = unescape(v)
        except ValueError as e:
            raise ValueError("field %s: %s" % (name, e)) from None
    why = (name_error(row["clip_id"], "a clip id") or name_error(row["label"], "a label")
           or name_error(row["subject"], "a subject"))
    if why:
        raise ValueError(why + " (see IDS AND LABELS in arpg-preprocess(1))")
    if row["split"] not in ("train", "val", "test"):
        raise ValueError("split '%s' is not train, val or test" % row["split"])
    try:
        row["frames"] = _count(row["frames"])
    except ValueError:
        raise ValueError("frames '%s' is not a non-negative integer" % row["frames"]) from None
    try:
        row["faces"] = _count(row["faces"])
        if row["faces"] > row["frames"]:
            raise ValueError
    except ValueError:
        raise ValueError("faces '%s' is not an integer from 0 to frames" % f[5]) from None
    if not row["path"]:
        raise ValueError("empty path")
    return row


def read_manifest(path):
    """The rows of a manifest.tsv as a list of dicts with the keys clip_id,
    split, label, subject (strings, "" when empty), frames, faces (ints) and
    path (as written: relative paths are relative to where arpg-preprocess
    ran).  Empty lines and lines starting with '#' are skipped; the header
    may repeat (concatenated manifests) and must come first."""
    rows = []
    header = False
    with open(path, "rb") as f:
        for n, raw in enumerate(f, 1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise ValueError("%s: line %d: not UTF-8" % (path, n)) from None
            line = line[:-1] if line.endswith("\n") else line
            line = line[:-1] if line.endswith("\r") else line
            if line == MANIFEST_HEADER:
                header = True
                continue
            if not line or line.startswith("#"):
                continue
            if not header:
                raise ValueError('%s: line %d: expected the header line "%s" (tab-separated)'
                                 % (path, n, " ".join(MANIFEST_FIELDS)))
            try:
                rows.append(parse_manifest_line(line))
            except ValueError as e:
                raise ValueError("%s: line %d: %s" % (path, n, e)) from None
    return rows


def read_frames_tsv(path):
    """A clip's frames.tsv as a dict of numpy arrays, one row per frame line
    (in file order):
      index      (n,) int64, the frame index (its PNG is %06d.png)
      detected   (n,) uint8, 1 where a face was detected
      box        (n, 4) float32, x y w h of the followed face, source pixels
      landmarks  (n, 68, 2) float32, x y in source pixels (0 when none)
      M          (n, 2, 3) float64, source -> crop: [x', y'] = M @ [x, y, 1]
    and with a CNN detector's columns (else absent):
      score      (n,) float32
      kps        (n, 5, 2) float32, the five keypoints
    and for a clip labelled frame by frame (a last header column "label"):
      label      (n,) int8, the class index, -1 where the frame has none
      label_classes  the class names of the "#label_classes" line
    plus columns, the columns' names.  Columns are taken by position, as
    common/frames_tsv.h defines them; the header must start with index and
    detected (of the rest only a last "label" is read, as the C reader
    does).  Every line has 148 fields, or every line 159, one more with the
    label.  Lines after the header that are empty or start with '#' are
    skipped, but the label classes line."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("%s: not UTF-8" % path) from None
    lines = text.split("\n")
    header = lines[0].rstrip("\r").split("\t")
    if header[:2] != ["index", "detected"]:
        raise ValueError("%s: line 1: not a frames.tsv header (index, detected, ...)" % path)
    labelled = len(header) > 2 and header[-1] == "label"
    rows, labels, classes = [], [], None
    ncol = None
    for n, line in enumerate(lines[1:], 2):
        line = line.rstrip("\r")
        if labelled and line.startswith(LABEL_CLASSES):
            if classes is not None:
                raise ValueError("%s: line %d: a second label classes line" % (path, n))
            classes = line[len(LABEL_CLASSES):].split(",")
            if not 1 <= len(classes) <= 128 or "" in classes:
                raise ValueError("%s: line %d: label classes are not up to 128 names "
                                 "joined by ','" % (path, n))
            continue
        if not line or line.startswith("#"):
            continue
        f = line.split("\t")
        if labelled:
            if classes is None:
                raise ValueError("%s: line %d: a label column, but no label classes line "
                                 "after the header" % (path, n))
            label = f.pop() if len(f) in (149, 160) else ""
            if not re.fullmatch(r"-?[0-9]{1,4}", label) or not -1 <= int(label) < len(classes):
                raise ValueError("%s: line %d: the label is not -1 or a class index below %d"
                                 % (path, n, len(classes)))
            labels.append(int(label))
        if ncol is None and len(f) in (148, 159):
            ncol = len(f)
        if len(f) != ncol:
            raise ValueError("%s: line %d: %d fields where a frames.tsv line has %s"
                             % (path, n, len(f), ncol or "148 (or 159 with a detector's)"))
        if not digits(f[0]) or int(f[0]) >= 1 << 24:
            raise ValueError("%s: line %d: no frame index below %d" % (path, n, 1 << 24))
        if f[1] not in ("0", "1"):
            raise ValueError("%s: line %d: detected must be 0 or 1" % (path, n))
        try:
            rows.append([int(f[0]), int(f[1])] + [float(x) for x in f[2:]])
        except ValueError:
            bad = next(i for i, x in enumerate(f[2:], 2) if not _is_float(x))
            raise ValueError("%s: line %d: %s '%s' is not a number"
                             % (path, n, COLUMNS[bad], f[bad])) from None
    ncol = ncol or 148
    v = np.array(rows, dtype=np.float64).reshape(len(rows), ncol)
    out = {
        "columns": COLUMNS[:ncol],
        "index": v[:, 0].astype(np.int64),
        "detected": v[:, 1].astype(np.uint8),
        "box": v[:, 2:6].astype(np.float32),
        "landmarks": v[:, 6:142].astype(np.float32).reshape(-1, 68, 2),
        "M": v[:, 142:148].reshape(-1, 2, 3).copy(),
    }
    if ncol == 159:
        out["score"] = v[:, 148].astype(np.float32)
        out["kps"] = v[:, 149:159].astype(np.float32).reshape(-1, 5, 2)
    if labelled:
        out["columns"] = out["columns"] + ["label"]
        out["label"] = np.array(labels, dtype=np.int8)
        out["label_classes"] = classes or []
    return out


def _is_float(x):
    try:
        float(x)
        return True
    except ValueError:
        return False
