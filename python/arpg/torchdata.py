"""torchdata.py - an arpg cache as a torch Dataset: the clips of a split,
T frames of each chosen as arpg-train chooses them (train/data.c)."""
import os

import numpy as np
import torch
import torch.utils.data

from .cache import Cache, CacheError, digits
from .sampling import SplitMix64, sample_frames

_inherited = []


class TorchDataset(torch.utils.data.Dataset):
    """Item i: (appearance [T, Da] float32, patches [T, N, Dp] float32,
    label index), for the i-th clip of split in the cache's key order.

    split   "train", "val", "test", or None for every clip
    frames  T; default meta frames (required when meta frames is "all")
    train   False: the middle frame of each of T segments (arpg-train's
            evaluation); True: a uniform random frame of each (training)
    seed    the jitter's generator, splitmix64 as arpg-train's; DataLoader
            worker w draws from seed + w
    grid    which of the cache's grids the patches hold (N = G*G); default
            the first, as arpg-train
    The label index is the position of the clip's label in meta labels
    (cache.labels), -1 for an unlabelled clip.  Only the crop's view is
    read from a cache with mirrored views.  The cache is opened in each
    process that reads items (DataLoader workers fork)."""

    def __init__(self, path, split="train", frames=None, train=False, seed=1, grid=None):
        self.path = str(path)
        self.train = bool(train)
        self.seed = int(seed)
        self._pid = os.getpid()
        self._cache = cache = Cache(self.path)
        self._rng = SplitMix64(self.seed)
        if frames is None:
            f = cache.meta.get("frames", "")
            if not digits(f):
                raise ValueError("%s: meta frames is '%s': give frames=T" % (self.path, f))
            frames = int(f)
        if not 1 <= int(frames) <= 4096:
            raise ValueError("frames %s is not 1 to 4096" % frames)
        self.frames = int(frames)
        self.grid = cache.grids[0] if grid is None else int(grid)
        self._offset = cache.grid_offset(self.grid)
        if self._offset is None:
            raise CacheError("%s: the cache holds grid %s, not %d (extract with arpg-features "
                             "--grid %d)" % (self.path, cache.meta["grid"], self.grid,
                                             self.grid))
        self.labels = list(cache.labels)
        self.clips = [c for c in cache.clips if split is None or c.split == split]
        self.targets = []
        for c in self.clips:
            if c.label and c.label not in self.labels:
                raise CacheError('%s: clip %s: label "%s" is not in meta labels'
                                 % (self.path, c.id, c.label))
            self.targets.append(self.labels.index(c.label) if c.label else -1)

    def _open(self):
        """The cache and generator of this process (a DataLoader worker
        opens its own: LMDB environments do not survive fork)."""
        if self._pid != os.getpid():
            self._pid = os.getpid()
            # the parent's environment and read transaction, inherited by
            # fork, are kept, never closed here: closing them would free
            # the parent's slot in LMDB's reader table
            _inherited.append(self._cache)
            self._cache = Cache(self.path)
            info = torch.utils.data.get_worker_info()
            self._rng = SplitMix64(self.seed + (info.id if info else 0))
        return self._cache

    def frame_indices(self, i):
        """The T frame indices item i reads now (draws from the generator
        when train)."""
        return sample_frames(self.clips[i].frames, self.frames, self.train, self._rng)

    def __len__(self):
        return len(self.clips)

    def __getitem__(self, i):
        cache = self._open()
        c = self.clips[i]
        idx = self.frame_indices(i)
        a = cache.appearance(c.id)
        p = cache.patches(c.id)
        if cache.views == 2:
            a, p = a[0], p[0]
        # fancy indexing copies out of the map; astype makes float32
        a = a[idx].astype(np.float32)
        p = p[idx, self._offset:self._offset + self.grid * self.grid].astype(np.float32)
        return torch.from_numpy(a), torch.from_numpy(p), self.targets[i]

    def __getstate__(self):
        # pickled for spawn-started workers: the cache is reopened there
        d = dict(self.__dict__)
        d["_cache"] = None
        d["_pid"] = None
        return d

    def __setstate__(self, d):
        self.__dict__.update(d)
