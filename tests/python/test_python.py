#!/usr/bin/python3
"""The Python package arpg (python/arpg) against the programs.  TAP.

Caches made by arpg-features -b hog from test_features_gen's clips (f32,
f16 with clips of varying length, two grids with mirrored views): every
clip's arrays equal `arpg-features dump --npy`, meta and clips agree with
`arpg-features info` and dump; arpg.sample_frames gives train/data.c's
frames (sample_frames_c); TorchDataset's items are the cache's frames at
those indices (skipped, and said so, without torch); damaged, missing and
foreign caches raise CacheError naming the clip; the manifest.tsv and
frames.tsv readers; the README's "Into PyTorch" snippet runs."""
import os
import shutil
import subprocess
import sys
import tempfile

top_src = os.path.abspath(os.environ.get("top_srcdir", "."))
top_build = os.path.abspath(os.environ.get("top_builddir", "."))
sys.path.insert(0, os.path.join(top_src, "python"))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ["PYTHONPATH"] = os.path.join(top_src, "python")

try:
    import lmdb
    import numpy as np
except ImportError as e:
    print("1..0 # SKIP %s lacks lmdb or numpy (Debian: python3-lmdb python3-numpy): %s"
          % (sys.executable, e))
    sys.exit(0)

import arpg  # noqa: E402
from tap import ok, skip  # noqa: E402
import tap  # noqa: E402

try:
    import torch
except ImportError:
    torch = None


def run(args):
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode:
        print("Bail out! %s: exit %d: %s" % (" ".join(args), p.returncode, p.stderr.decode()))
        sys.exit(1)
    return p.stdout.decode()


def raises(fn, *needles):
    """The CacheError fn raises, if its message holds every needle; else
    None (a wrong exception is printed as a TAP comment)."""
    try:
        fn()
    except arpg.CacheError as e:
        if all(s in str(e) for s in needles):
            return str(e)
        print("# CacheError without %s: %s" % (needles, e))
    except Exception as e:   # noqa: BLE001 - the test names what it got
        print("# %s, not CacheError: %s" % (type(e).__name__, e))
    else:
        print("# no exception")
    return None


def value_error(fn, *needles):
    try:
        fn()
    except ValueError as e:
        if all(s in str(e) for s in needles):
            return str(e)
        print("# ValueError without %s: %s" % (needles, e))
    except Exception as e:   # noqa: BLE001
        print("# %s, not ValueError: %s" % (type(e).__name__, e))
    return None


tmp = tempfile.mkdtemp(prefix="arpg-python.")
os.chdir(tmp)
gen = os.path.join(top_build, "tests/features/test_features_gen")
run([gen, "d", "6", "i"])
run(["arpg-features", "-q", "-b", "hog", "--frames", "4", "--grid", "5", "-o", "c32",
     "d/manifest.tsv"])
run(["arpg-features", "-q", "-b", "hog", "--frames", "all", "--dtype", "f16", "-o", "c16",
     "d/manifest.tsv"])
run(["arpg-features", "-q", "-b", "hog", "--frames", "5", "--grid", "3,5", "--flip", "-o", "cf",
     "d/manifest.tsv"])

# 1. every clip of every cache against dump and dump --npy
for name, dt in (("c32", "f32"), ("c16", "f16"), ("cf", "f32")):
    with arpg.Cache(name) as c:
        same_arrays = same_lines = True
        for clip in c.clips:
            out = run(["arpg-features", "dump", name, clip.id, "--npy", "n"])
            d = dict(line.split("\t", 1) for line in out.splitlines())
            a, p = c.appearance(clip.id), c.patches(clip.id)
            same_arrays &= (a.dtype == np.dtype({"f32": "<f4", "f16": "<f2"}[dt]) and p.dtype == a.dtype
                            and not a.flags.writeable
                            and np.array_equal(a.astype(np.float32), np.load("n/app.npy"))
                            and np.array_equal(p.astype(np.float32), np.load("n/patch.npy")))
            same_lines &= (d["label"] == clip.label and d["split"] == clip.split
                           and d["subject"] == clip.subject and int(d["frames"]) == clip.frames
                           and d["source"] == ",".join(map(str, clip.source))
                           and d["faces"] == clip.faces)
        ok(same_arrays and len(c.clips) == 6,
           "%s: app and patch of all %d clips equal dump --npy (%s, read-only views)"
           % (name, len(c.clips), dt))
        ok(same_lines, "%s: clips lines equal dump's" % name)
        info = run(["arpg-features", "info", name]).splitlines()
        meta = dict(l.split("\t")[1:3] for l in info if l.startswith("meta\t"))
        tally = {}
        for l in info:
            f = l.split("\t")
            if f[0] in ("split", "label"):
                tally[(f[0], "" if f[1] == "(none)" else f[1])] = int(f[2])
        mine = {}
        for clip in c.clips:
            for k in (("split", clip.split), ("label", clip.label)):
                mine[k] = mine.get(k, 0) + 1
        ok(meta == c.meta and c.labels == meta["labels"].split(",") and tally == mine
           and "clips\t%d" % len(c.clips) in info and c.has_checksums,
           "%s: meta, labels, splits and label counts equal info's" % name)
with arpg.Cache("cf") as c:
    ok(c.grids == [3, 5] and c.nodes == 34 and c.views == 2 and c.grid_offset(5) == 9
       and c.patches(c.clips[0].id).shape[:3] == (2, 5, 34), "cf: grids 3,5 and mirrored views")

p = subprocess.run([sys.executable, "-c", "import sys, arpg; arpg.Cache('c32'); "
                    "print(sorted(m for m in ('torch', 'arpg.torchdata') if m in sys.modules))"],
                   stdout=subprocess.PIPE)
ok(p.stdout == b"[]\n", "import arpg and reading a cache import no torch")

# 2. frame sampling against train/data.c
lines = run([os.path.join(top_build, "tests/python/sample_frames_c"), "7"]).splitlines()
rng = arpg.SplitMix64(7)
same_e = same_j = True
in_seg = True
for line in lines:
    f = line.split()
    kind, cT, T, want = f[0], int(f[1]), int(f[2]), [int(x) for x in f[3:]]
    got = arpg.sample_frames(cT, T, kind == "j", rng)
    if kind == "e":
        same_e &= got == want
    else:
        same_j &= got == want
        for i, k in enumerate(got):
            lo = i * cT // T
            hi = max(lo, -(-(i + 1) * cT // T) - 1)
            in_seg &= lo <= k <= min(hi, cT - 1)
ok(len(lines) == 2 * 40 * 17 and same_e,
   "evaluation frames (segment centres) equal sample_frames' for clip_T 1..40, T 1..17")
ok(same_j, "jittered frames equal sample_frames' from the same splitmix64 seed")
ok(in_seg, "every jittered frame lies in its segment")

# 3. TorchDataset
if torch is None:
    for what in ("TorchDataset items", "TorchDataset jitter", "DataLoader batches"):
        skip(what, "%s has no torch" % sys.executable)
else:
    ds = arpg.TorchDataset("c16", split="val", frames=4, train=False)
    with arpg.Cache("c16") as c:
        vals = [cl for cl in c.clips if cl.split == "val"]
        good = len(ds) == len(vals) > 0
        for i, cl in enumerate(vals):
            a, p, y = ds[i]
            idx = arpg.sample_frames(cl.frames, 4)
            good &= (a.dtype == torch.float32 and tuple(a.shape) == (4, c.app_dim)
                     and tuple(p.shape) == (4, c.nodes, c.patch_dim)
                     and np.array_equal(a.numpy(), c.appearance(cl.id)[idx].astype(np.float32))
                     and np.array_equal(p.numpy(), c.patches(cl.id)[idx].astype(np.float32))
                     and y == c.labels.index(cl.label))
    ok(good, "TorchDataset(val, eval): %d items are the cache's frames at the segment centres,"
       " labels in meta order" % len(ds))
    ds = arpg.TorchDataset("cf", split="train", train=True, seed=3, grid=5)
    with arpg.Cache("cf") as c:
        rng = arpg.SplitMix64(3)
        good = len(ds) == sum(cl.split == "train" for cl in c.clips)
        for i, cl in enumerate(ds.clips):
            a, p, y = ds[i]
            idx = arpg.sample_frames(cl.frames, 5, True, rng)
            good &= (np.array_equal(a.numpy(), c.appearance(cl.id)[0][idx])
                     and np.array_equal(p.numpy(), c.patches(cl.id)[0][idx, 9:34]))
    ok(good, "TorchDataset(train, jitter, grid 5 of 3,5, view 0): frames of the seed's draws")
    batches = list(torch.utils.data.DataLoader(arpg.TorchDataset("c32", split=None), batch_size=4,
                                               num_workers=1))
    ok(len(batches) == 2 and tuple(batches[0][1].shape) == (4, 4, 25, batches[0][1].shape[-1]),
       "DataLoader with a worker process: 2 batches of (4, 4, 25, Dp) patches")


# 4. damage, missing records, old caches, foreign paths
def copy_with(src, dst, fn):
    """A copy of cache src in dst, changed by fn(txn, dbs) in one write
    transaction."""
    shutil.copytree(src, dst)
    env = lmdb.open(dst, max_dbs=8)
    with env.begin(write=True) as txn:
        fn(txn, {k: env.open_db(k.encode(), txn=txn) for k in
                 ("meta", "clips", "app", "patch", "sums")})
    env.close()


def flip_byte(db, at):
    def fn(txn, dbs):
        v = bytearray(txn.get(b"clip0003", db=dbs[db]))
        v[at] ^= 0x40
        txn.put(b"clip0003", bytes(v), db=dbs[db])
    return fn


copy_with("c32", "bad_app", flip_byte("app", 40))
with arpg.Cache("bad_app") as c:
    msg = raises(lambda: c.appearance("clip0003"), "clip clip0003", "app", "checksum")
    ok(msg and c.patches("clip0003").shape[0] == 4,
       "a flipped byte in an app value: CacheError naming the clip and record")
    print("# %s" % msg)
copy_with("c32", "bad_patch", flip_byte("patch", 100))
with arpg.Cache("bad_patch") as c:
    ok(raises(lambda: c.patches("clip0003"), "bad_patch: clip clip0003: patch"),
       "a flipped byte in a patch value: CacheError naming the cache, clip and record")
copy_with("c32", "bad_clips", flip_byte("clips", 2))
ok(raises(lambda: arpg.Cache("bad_clips"), "clip clip0003", "clips", "checksum"),
   "a flipped byte in a clips line: CacheError at open naming the clip")
copy_with("c32", "old", lambda txn, dbs: txn.drop(dbs["sums"], delete=True))
with arpg.Cache("old") as c, arpg.Cache("c32") as ref:
    ok(not c.has_checksums and all(np.array_equal(c.patches(x.id), ref.patches(x.id))
                                   for x in c.clips),
       "a cache without sums reads the same, has_checksums False")


def old_and(fn):
    def both(txn, dbs):
        txn.drop(dbs["sums"], delete=True)
        fn(txn, dbs)
    return both


copy_with("c32", "old_short", old_and(lambda txn, dbs: txn.put(
    b"clip0002", txn.get(b"clip0002", db=dbs["app"])[:-2], db=dbs["app"])))
with arpg.Cache("old_short") as c:
    ok(raises(lambda: c.appearance("clip0002"), "clip clip0002: app: record is"),
       "a truncated record in a cache without sums: CacheError naming the clip")
copy_with("c32", "old_count", old_and(lambda txn, dbs: txn.put(
    b"clip0001", txn.get(b"clip0001", db=dbs["clips"]).replace(b"\t4\t", b"\t3\t"),
    db=dbs["clips"])))
ok(raises(lambda: arpg.Cache("old_count"), "clip clip0001: clips:", "face flags"),
   "a clips line whose frame count disagrees with its flags: CacheError naming the clip")
copy_with("c32", "missing", lambda txn, dbs: txn.delete(b"clip0004", db=dbs["patch"]))
with arpg.Cache("missing") as c:
    ok(raises(lambda: c.patches("clip0004"), "clip clip0004: patch: no record"),
       "a missing patch record: CacheError")
    ok(raises(lambda: c.appearance("nosuch"), "no clip 'nosuch'"), "an unknown clip id: CacheError")
os.mkdir("empty")
open("file", "w").write("x\n")
os.mkdir("garbage")
open("garbage/data.mdb", "wb").write(bytes(range(256)) * 64)
env = lmdb.open("foreign", max_dbs=2)
env.open_db(b"other")
env.close()
ok(raises(lambda: arpg.Cache("nowhere"), "nowhere: no LMDB cache there")
   and raises(lambda: arpg.Cache("empty"), "empty:")
   and raises(lambda: arpg.Cache("file"), "file:")
   and raises(lambda: arpg.Cache("foreign"), "foreign: not an arpg cache")
   and raises(lambda: arpg.Cache("garbage"), "garbage: not an LMDB environment"),
   "not a cache (no path, an empty directory, a file, another LMDB, garbage): CacheError")

# 5. manifest.tsv and frames.tsv
rows = arpg.read_manifest("d/manifest.tsv")
with arpg.Cache("c16") as c:
    same = [(r["clip_id"], r["split"], r["label"], r["subject"], r["frames"]) for r in rows] == \
           [(x.id, x.split, x.label, x.subject, x.frames) for x in c.clips]
    ft = [arpg.read_frames_tsv(os.path.join(r["path"], "frames.tsv")) for r in rows]
    faces = all("".join(str(int(f["detected"][list(f["index"]).index(s)])) for s in x.source)
                == x.faces for f, x in zip(ft, c.clips))
ok(same and len(rows) == 6, "read_manifest: the clips of the cache (id, split, label, subject, "
   "frames)")
ok(faces and ft[0]["landmarks"].shape == (ft[0]["index"].size, 68, 2)
   and ft[0]["M"].shape[1:] == (2, 3), "read_frames_tsv: detected flags are the cache's faces")
hdr = open("d/manifest.tsv").readline()
with open("m_esc.tsv", "w") as f:
    f.write(hdr + "# comment\n\nc1\ttrain\tHappy\t\t3\t2\ta\\tb\\\\c\\nd\n")
ok([r["path"] for r in arpg.read_manifest("m_esc.tsv")] == ["a\tb\\c\nd"],
   "read_manifest unescapes \\t \\\\ \\n, skips comments and empty lines")
for i, (bad, why) in enumerate((("c1\ttrain\tHappy\t\t3\t2", "6 fields"),
                                ("c1\tdev\tHappy\t\t3\t2\tp", "split 'dev'"),
                                ("c1\ttrain\tHappy\t\t3\t4\tp", "faces '4'"),
                                ("c1\ttrain\tHa,ppy\t\t3\t2\tp", "','"),
                                ("c1\ttrain\tHappy\t\t3\t2\tp\\x", "bad escape"))):
    with open("m_bad.tsv", "w") as f:
        f.write(hdr + "c0\ttrain\tSad\t\t3\t2\tp\n" + bad + "\n")
    ok(value_error(lambda: arpg.read_manifest("m_bad.tsv"), "m_bad.tsv: line 3:", why),
       "read_manifest: a bad line (%s) is a ValueError naming file and line" % why)
with open("d/clip0000/frames.tsv") as f:
    lines = f.read().split("\n")
lines[2] = lines[2].replace("\t", "\tx", 1)
open("f_bad.tsv", "w").write("\n".join(lines))
lines3 = open("d/clip0000/frames.tsv").read().split("\n")
lines3[3] = lines3[3].rsplit("\t", 1)[0]
open("f_short.tsv", "w").write("\n".join(lines3))
ok(value_error(lambda: arpg.read_frames_tsv("f_bad.tsv"), "f_bad.tsv: line 3: detected")
   and value_error(lambda: arpg.read_frames_tsv("f_short.tsv"), "f_short.tsv: line 4: 147 fields")
   and value_error(lambda: arpg.read_frames_tsv("d/manifest.tsv"), "manifest.tsv: line 1"),
   "read_frames_tsv: bad lines and a wrong file are ValueErrors naming file and line")

with open("f_det.tsv", "w") as f:
    f.write("index\tdetected\tbox_x\n# a comment\n")
    for i in range(3):
        f.write("%d\t%d\t%s\t0.9\t%s\n" % (i, i % 2, "\t".join(["1.5"] * 146),
                                          "\t".join(str(k + i) for k in range(10))))
fd = arpg.read_frames_tsv("f_det.tsv")
ok(fd["kps"].shape == (3, 5, 2) and fd["kps"][2, 4].tolist() == [10, 11]
   and fd["score"].tolist() == [np.float32(0.9)] * 3 and fd["detected"].tolist() == [0, 1, 0]
   and fd["M"][1, 1, 2] == 1.5 and len(fd["columns"]) == 159,
   "read_frames_tsv: a detector's score and keypoints (159 columns)")

with open("f_lab.tsv", "w") as f:
    f.write("index\tdetected\tbox_x\tlabel\n#label_classes\tNeutral,Anger,Other\n")
    for i, lab in enumerate((2, -1, 0)):
        f.write("%d\t1\t%s\t%d\n" % (i, "\t".join(["0"] * 146), lab))
fl = arpg.read_frames_tsv("f_lab.tsv")
ok(fl["label"].tolist() == [2, -1, 0] and fl["label"].dtype == np.int8
   and fl["label_classes"] == ["Neutral", "Anger", "Other"] and len(fl["columns"]) == 149
   and "label" not in fd, "read_frames_tsv: per-frame labels and their classes (149 columns)")
with open("f_lab_bad.tsv", "w") as f:
    f.write("index\tdetected\tbox_x\tlabel\n#label_classes\tNeutral,Anger\n")
    f.write("0\t1\t%s\t2\n" % "\t".join(["0"] * 146))
ok(value_error(lambda: arpg.read_frames_tsv("f_lab_bad.tsv"),
               "f_lab_bad.tsv: line 3: the label is not -1 or a class index below 2"),
   "read_frames_tsv: a label outside the classes is a ValueError, worded as C words it")

# 6. the README's snippet, as a user would run it
readme = open(os.path.join(top_src, "README")).read()
def snippet(text):
    """The indented block of text that holds "    import arpg"."""
    lines = text.split("\n")
    if "    import arpg" not in lines:
        return None
    a = b = lines.index("    import arpg")
    block = lambda l: l.startswith("    ") or not l.strip()
    while a > 0 and block(lines[a - 1]):
        a -= 1
    while b + 1 < len(lines) and block(lines[b + 1]):
        b += 1
    return "\n".join(l[4:] for l in lines[a:b + 1]).strip() + "\n"


m = snippet(readme)
if torch is None:
    skip("README's Into PyTorch snippet", "%s has no torch" % sys.executable)
elif not m:
    ok(False, "README has the Into PyTorch snippet")
else:
    code = m.replace("afew.lmdb", "cf")
    open("snippet.py", "w").write(code)
    p = subprocess.run([sys.executable, "snippet.py"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    for l in p.stdout.decode().splitlines():
        print("# " + l)
    ok(p.returncode == 0, "README's Into PyTorch snippet (%d lines) trains on a cache"
       % len(code.strip().splitlines()))

tap.plan()
if tap.failed == 0:
    os.chdir("/")
    shutil.rmtree(tmp)
else:
    print("# kept %s" % tmp)
sys.exit(1 if tap.failed else 0)
