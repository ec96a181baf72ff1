"""cache.py - the arpg feature cache (arpg-cache(5)) read with lmdb and numpy.

The reference is the C reader, common/cache.c: the same checks in the same
order (a clip's records against its sums first, so that damage is named as
such, then the clips line and the tensor records), the same messages where
it has them.  What the C reader does and this one does not: check the
structure of data.mdb before LMDB follows its pages (common/mdbcheck.c).
Python's lmdb trusts the file; run `arpg-features verify CACHE` on a cache
of unknown origin first.
"""
import collections
import os
import re
import struct
import zlib

import lmdb
import numpy as np

FORMAT = "arpg-cache 1"
DTYPES = {1: np.dtype("<f4"), 2: np.dtype("<f2")}
DTYPE_NAMES = {"f32": 1, "f16": 2}
NAME_MAX = 200


class CacheError(Exception):
    """A cache that cannot be read as arpg-cache(5) says: not a cache, a
    damaged or missing record, records that disagree with meta.  The message
    names the cache, the clip and the record where there is one."""


# One clip of the clips database: label ("" when unlabelled), split (train,
# val or test), subject ("" when none), frames (T stored), source (the T
# source frame indices), faces (T characters 0/1).
Clip = collections.namedtuple("Clip", "id label split subject frames source faces")


def decode_record(buf):
    """A tensor record (bytes or memoryview) as a numpy array of the stored
    dtype and shape, sharing buf's memory (no copy: read-only when buf is,
    unaligned in general).  ValueError says what is wrong, as
    common/tensor.c's arpg_tensor_decode does."""
    n = len(buf)
    if n < 8 or bytes(buf[:4]) != b"ARPT":
        raise ValueError("not a tensor record (no ARPT magic)")
    version, dtype, rank, zero = struct.unpack_from("<BBBB", buf, 4)
    if version != 1:
        raise ValueError("tensor record version %d, this arpg reads version 1" % version)
    if dtype not in DTYPES:
        raise ValueError("unknown dtype %d" % dtype)
    if not 1 <= rank <= 4 or zero:
        raise ValueError("rank %d is not 1 to 4" % rank)
    if n < 8 + 4 * rank:
        raise ValueError("truncated header")
    dims = struct.unpack_from("<%dI" % rank, buf, 8)
    for k, d in enumerate(dims):
        if not d:
            raise ValueError("dimension %d is zero" % k)
    count = int(np.prod(dims, dtype=np.int64)) if rank else 1
    want = 8 + 4 * rank + count * DTYPES[dtype].itemsize
    if want != n:
        raise ValueError("record is %d bytes, its shape needs %d" % (n, want))
    return np.frombuffer(buf, DTYPES[dtype], count, 8 + 4 * rank).reshape(dims)


def digits(s):
    """True when s is ASCII digits only (str.isdigit alone takes other
    scripts' digits, which C's strtol does not)."""
    return s.isascii() and s.isdigit()


def name_error(s, what):
    """Why s breaks the name rule of common/text.c (labels, subjects, clip
    ids), or None."""
    b = s.encode("utf-8", "surrogateescape")
    if not b and what == "a clip id":
        return "%s cannot be empty" % what
    if len(b) > NAME_MAX:
        return "%s is at most %d bytes (this one has %d)" % (what, NAME_MAX, len(b))
    if s in (".", ".."):
        return '%s cannot be "%s"' % (what, s)
    for ch in b:
        if ch < 0x20 or ch == 0x7F:
            return "%s cannot hold a control character (byte 0x%02x)" % (what, ch)
        if ch in b",/":
            return "%s cannot hold '%c'" % (what, ch)
    return None


def parse_clip_line(key, buf):
    """A clips value as a Clip; ValueError as common/cache.c's
    arpg_clip_info_parse says it."""
    b = bytes(buf)
    if b"\0" in b:
        raise ValueError("NUL byte in clips value")
    try:
        s = b.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("clips value is not UTF-8") from None
    f = s.split("\t")
    if len(f) != 6:
        raise ValueError("clips value needs 6 tab-separated fields")
    label, split, subject, frames, src, faces = f
    why = name_error(label, "a label") or name_error(subject, "a subject")
    if why:
        raise ValueError("clips value: " + why)
    if not digits(frames) or not 1 <= int(frames) <= 1000000:
        raise ValueError("frame count '%s' is not 1 to 1000000" % frames)
    T = int(frames)
    if len(faces) != T or faces.strip("01"):
        raise ValueError("face flags must be %d characters 0 or 1" % T)
    idx = src.split(",")
    if len(idx) != T or not all(digits(i) and int(i) < 2 ** 31 for i in idx):
        raise ValueError("frame indices must be %d numbers joined by ','" % T)
    return Clip(key, label, split, subject, T, tuple(int(i) for i in idx), faces)


def parse_sums(line):
    """A sums line as {name: crc}; ValueError when it is not one."""
    try:
        s = bytes(line).decode("ascii")
    except UnicodeDecodeError:
        raise ValueError("sums: not a checksum line") from None
    if len(s) >= 128 or "\0" in s:
        raise ValueError("sums: not a checksum line")
    out = {}
    for pair in s.split(" "):
        name, sep, crc = pair.partition(":")
        if not sep:
            continue
        if len(crc) != 8 or crc.strip("0123456789abcdefABCDEF"):
            raise ValueError("sums: the %s checksum is not 8 hex digits" % name)
        out[name] = int(crc, 16)
    return out


class Cache:
    """An arpg cache opened read-only.

    meta      the meta database as a dict of str
    labels    meta labels as a list: the class index order of arpg-train
    clips     every clip (Clip tuples) in key order, as arpg-train loads them
    grids     the grids of meta grid, in the order of the records' nodes
    views     2 when the records hold the mirrored view (meta flip yes), else 1
    dtype     numpy dtype of the records (float16 or float32, little-endian)
    has_checksums  False for a cache written before the sums database
    frame_label_names  meta frame_labels as a list (the classes of per-frame
              labels, Aff-Wild2's), or [] when no clip has them

    maps(id) returns the clip's unpooled maps (T, C, H, W) of a cache made
    with arpg-features --maps, or None.
    frame_labels(id) returns the clip's per-frame labels, an int8 array of
    T (-1: no label; else an index into frame_label_names), or None when
    the clip has none.  appearance(id) and patches(id) return the clip's records as arrays of
    the stored dtype and shape, (T, Da) and (T, N, Dp), with a leading axis
    of 2 views when views is 2.  They are views of LMDB's read-only map,
    valid until close(): copy what you keep past it (np.array(a), or
    a.astype(np.float32)).  The clip's records are checked against its sums
    first.  Every error is a CacheError naming the cache, and the clip and
    record where there is one.

    One Cache per process: after fork (DataLoader workers) open another.
    """

    def __init__(self, path):
        self.path = str(path)
        self._env = self._txn = None
        try:
            self._open()
        except BaseException:
            self.close()
            raise

    def _fail(self, what, clip=None):
        where = "%s: clip %s: " % (self.path, clip) if clip is not None else self.path + ": "
        return CacheError(where + what)

    def _open(self):
        try:
            self._env = lmdb.open(self.path, readonly=True, lock=True, max_dbs=8,
                                  subdir=True, create=False)
        except lmdb.Error as e:
            if not os.path.isfile(os.path.join(self.path, "data.mdb")):
                raise self._fail("no LMDB cache there (run arpg-features first): %s" % e) \
                    from None
            # a directory we may not write (no lock.mdb, a read-only file
            # system): read without LMDB's reader table
            try:
                self._env = lmdb.open(self.path, readonly=True, lock=False, max_dbs=8,
                                      subdir=True, create=False)
            except lmdb.Error as e2:
                raise self._fail("not an LMDB environment, or a damaged one (%s)" % e2) \
                    from None
        # buffers=True: values are memoryviews of the map, not copies
        self._txn = self._env.begin(buffers=True)
        self._db = {}
        for name in ("meta", "clips", "app", "patch"):
            try:
                self._db[name] = self._env.open_db(name.encode(), txn=self._txn, create=False)
            except lmdb.NotFoundError:
                raise self._fail("not an arpg cache (no database named meta, clips, app, "
                                 "patch)") from None
            except lmdb.Error as e:
                raise self._fail("cannot open database %s: %s" % (name, e)) from None
        try:
            self._db["sums"] = self._env.open_db(b"sums", txn=self._txn, create=False)
        except lmdb.NotFoundError:
            self._db["sums"] = None
        self.has_checksums = self._db["sums"] is not None
        try:
            self._db["frame_labels"] = self._env.open_db(b"frame_labels", txn=self._txn,
                                                         create=False)
        except lmdb.NotFoundError:
            self._db["frame_labels"] = None
        try:
            self._db["maps"] = self._env.open_db(b"maps", txn=self._txn, create=False)
        except lmdb.NotFoundError:
            self._db["maps"] = None
        self.meta = {}
        for k, v in self._cursor("meta"):
            try:
                self.meta[bytes(k).decode("utf-8")] = bytes(v).decode("utf-8")
            except UnicodeDecodeError:
                raise self._fail("meta key %r: not UTF-8" % bytes(k)) from None
        fmt = self.meta.get("format")
        if fmt is None:
            raise self._fail("not an arpg cache (meta has no format key)")
        if fmt != FORMAT:
            raise self._fail("cache format '%s'; this reader reads '%s': rebuild it with "
                             "this arpg-features" % (fmt, FORMAT))
        self._layout()
        self.labels = self.meta["labels"].split(",") if self.meta.get("labels") else []
        fl = self.meta.get("frame_labels")
        self.frame_label_names = fl.split(",") if fl else []
        self.clips = []
        self._index = {}
        for k, v in self._cursor("clips"):
            cid = bytes(k).decode("utf-8", "replace")
            sums = self._sums(cid)
            if sums is not None:
                self._check(cid, "clips", v, sums)
            try:
                clip = parse_clip_line(cid, v)
            except ValueError as e:
                raise self._fail("clips: %s" % e, cid) from None
            self._index[cid] = len(self.clips)
            self.clips.append(clip)

    def _cursor(self, name):
        try:
            yield from self._txn.cursor(db=self._db[name])
        except lmdb.Error as e:
            raise self._fail("reading database %s: %s" % (name, e)) from None

    def _meta_int(self, key):
        v = self.meta.get(key)
        if v is None:
            raise self._fail("meta has no %s key" % key)
        if not digits(v) or not 1 <= int(v) <= 1 << 20:
            raise self._fail('meta %s is "%s", not a positive number' % (key, v))
        return int(v)

    def _layout(self):
        """grids, nodes, views, Da, Dp, dtype from meta, checked as
        common/cache.c's arpg_cache_layout_read and train/data.c do."""
        grid = self.meta.get("grid")
        if grid is None:
            raise self._fail("meta has no grid key")
        g = grid.split(",")
        if not (1 <= len(g) <= 8 and all(digits(x) and 1 <= int(x) <= 64 for x in g)
                and len(set(map(int, g))) == len(g)):
            raise self._fail('meta grid is "%s", not a list of up to 8 distinct numbers '
                             'from 1 to 64' % grid)
        self.grids = [int(x) for x in g]
        self.nodes = sum(x * x for x in self.grids)
        flip = self.meta.get("flip", "no")
        if flip not in ("yes", "no"):
            raise self._fail('meta flip is "%s", not yes or no' % flip)
        self.views = 2 if flip == "yes" else 1
        self.app_dim = self._meta_int("app_dim")
        self.patch_dim = self._meta_int("patch_dim")
        dt = self.meta.get("dtype", "f32")
        if dt not in DTYPE_NAMES:
            raise self._fail('meta dtype is "%s", not f32 or f16' % dt)
        self.dtype = DTYPES[DTYPE_NAMES[dt]]

    def grid_offset(self, G):
        """The first node of grid G among a frame's nodes (None if the cache
        does not hold G)."""
        off = 0
        for g in self.grids:
            if g == G:
                return off
            off += g * g
        return None

    def _sums(self, cid):
        """The clip's sums as {name: crc}, or None when it has none."""
        if self._db["sums"] is None:
            return None
        line = self._txn.get(cid.encode(), db=self._db["sums"])
        if line is None:
            return None
        try:
            return parse_sums(line)
        except ValueError as e:
            raise self._fail(str(e), cid) from None

    def _check(self, cid, name, buf, sums):
        want = sums.get(name)
        if want is not None and zlib.crc32(buf) != want:
            raise self._fail("%s: the record does not match its checksum (damaged); make the "
                             "clip again (arpg-features --force on its manifest line)"
                             % name, cid)

    def clip(self, clip_id):
        """The Clip of clip_id."""
        i = self._index.get(clip_id)
        if i is None:
            raise self._fail("no clip '%s' (arpg-features info lists the cache)" % clip_id)
        return self.clips[i]

    def _record(self, clip_id, name, inner):
        if self._txn is None:
            raise CacheError("%s: the cache is closed" % self.path)
        c = self.clip(clip_id)
        buf = self._txn.get(clip_id.encode(), db=self._db[name])
        if buf is None:
            raise self._fail("%s: no record" % name, clip_id)
        sums = self._sums(clip_id)
        if sums is not None:
            self._check(clip_id, name, buf, sums)
        try:
            a = decode_record(buf)
        except ValueError as e:
            raise self._fail("%s: %s" % (name, e), clip_id) from None
        shape = ((2,) if self.views == 2 else ()) + (c.frames,) + inner
        if a.shape != shape:
            raise self._fail("%s record has shape %s, not %s as meta and the clips line say"
                             % (name, a.shape, shape), clip_id)
        if a.dtype != self.dtype:
            raise self._fail("%s record is %s, meta dtype %s" % (name, a.dtype.name,
                                                                 self.meta.get("dtype")), clip_id)
        return a

    def maps(self, clip_id):
        """The clip's maps record (arpg-features --maps), an array (T, C, H, W)
        of meta maps' dtype, a view of the map as appearance() is; None when
        the clip has none.  Checked against its sums."""
        if self._txn is None:
            raise CacheError("%s: the cache is closed" % self.path)
        c = self.clip(clip_id)
        db = self._db["maps"]
        buf = self._txn.get(clip_id.encode(), db=db) if db is not None else None
        sums = self._sums(clip_id)
        if buf is None:
            if sums is not None and "maps" in sums:
                raise self._fail("maps: no record, but sums lists one", clip_id)
            return None
        if sums is not None:
            self._check(clip_id, "maps", buf, sums)
        try:
            a = decode_record(buf)
        except ValueError as e:
            raise self._fail("maps: %s" % e, clip_id) from None
        if a.ndim != 4 or a.shape[0] != c.frames:
            raise self._fail("maps record has shape %s, not (%d, C, H, W)"
                             % (a.shape, c.frames), clip_id)
        return a

    def frame_labels(self, clip_id):
        """The clip's per-frame labels (int8, T), or None when it has none;
        checked against its sums and read as common/cache.c reads them."""
        if self._txn is None:
            raise CacheError("%s: the cache is closed" % self.path)
        c = self.clip(clip_id)
        db = self._db["frame_labels"]
        buf = self._txn.get(clip_id.encode(), db=db) if db is not None else None
        sums = self._sums(clip_id)
        if buf is None:
            if sums is not None and "frame_labels" in sums:
                raise self._fail("frame_labels: no record, but sums lists one", clip_id)
            return None
        if sums is not None:
            self._check(clip_id, "frame_labels", buf, sums)
        parts = bytes(buf).split(b",")
        if len(parts) != c.frames or not all(
                re.fullmatch(rb"-?[0-9]{1,4}", x) and -1 <= int(x) <= 127 for x in parts):
            raise self._fail("frame_labels: not %d labels (-1 to 127) joined by ','"
                             % c.frames, clip_id)
        return np.array([int(x) for x in parts], dtype=np.int8)

    def appearance(self, clip_id):
        """The app record: (T, Da), or (2, T, Da) with mirrored views."""
        return self._record(clip_id, "app", (self.app_dim,))

    def patches(self, clip_id):
        """The patch record: (T, N, Dp), N the nodes of every grid (grid
        offsets: grid_offset), or (2, T, N, Dp) with mirrored views."""
        return self._record(clip_id, "patch", (self.nodes, self.patch_dim))

    def close(self):
        """Ends the read transaction and closes the environment; arrays
        returned before must not be used after."""
        if self._txn is not None:
            self._txn.abort()
            self._txn = None
        if self._env is not None:
            self._env.close()
            self._env = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __len__(self):
        return len(self.clips)

    def __repr__(self):
        return "<arpg.Cache %s: %d clips, %s>" % (self.path, len(self.clips),
                                                   self.meta.get("backbone"))
