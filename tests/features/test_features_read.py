#!/usr/bin/python3
"""Reads an arpg cache following arpg-cache(5) with lmdb and numpy only, and
compares every tensor of CLIP with the .npy files that `arpg-features dump
--npy` wrote.  Usage: test_features_read.py CACHE CLIP NPYDIR.  TAP."""
import struct
import sys

import lmdb
import numpy as np


def read_record(buf):
    """A tensor record (arpg-cache(5)) as a float32 array."""
    magic, version, dtype, rank, zero = struct.unpack_from("<4sBBBB", buf, 0)
    assert magic == b"ARPT" and version == 1 and zero == 0 and 1 <= rank <= 4
    dims = struct.unpack_from("<%dI" % rank, buf, 8)
    dt = {1: "<f4", 2: "<f2"}[dtype]
    a = np.frombuffer(buf, dtype=dt, offset=8 + 4 * rank)
    assert a.size == int(np.prod(dims))
    return a.reshape(dims).astype(np.float32)


def main():
    cache, clip, npy = sys.argv[1:4]
    env = lmdb.open(cache, readonly=True, lock=False, max_dbs=4, subdir=True)
    meta_db = env.open_db(b"meta", create=False)
    dbs = {n: env.open_db(n.encode(), create=False) for n in ("clips", "app", "patch")}
    print("1..5")
    with env.begin() as txn:
        meta = {k.decode(): v.decode() for k, v in txn.cursor(db=meta_db)}
        key = clip.encode()
        info = txn.get(key, db=dbs["clips"]).decode().split("\t")
        app = read_record(txn.get(key, db=dbs["app"]))
        patch = read_record(txn.get(key, db=dbs["patch"]))
        nclips = txn.stat(dbs["clips"])["entries"]
    label, split, subject, T, src, faces = info
    T = int(T)
    grids = [int(g) for g in meta["grid"].split(",")]
    nodes = sum(g * g for g in grids)
    Da, Dp = int(meta["app_dim"]), int(meta["patch_dim"])
    views = (2,) if meta.get("flip") == "yes" else ()
    ok = lambda n, c, d: print(("ok %d - %s" if c else "not ok %d - %s") % (n, d))
    ok(1, meta["format"] == "arpg-cache 1", "meta format")
    ok(2, len(src.split(",")) == T and len(faces) == T, "clips value: %d frames" % T)
    ok(3, app.shape == views + (T, Da) and patch.shape == views + (T, nodes, Dp),
       "shapes %s %s (grids %s, %d views)" % (app.shape, patch.shape, grids, len(views) + 1))
    ok(4, np.array_equal(app, np.load(npy + "/app.npy")), "app equals dump --npy")
    ok(5, np.array_equal(patch, np.load(npy + "/patch.npy")), "patch equals dump --npy")
    print("# %d clips, labels %s" % (nclips, meta.get("labels")))


main()
