"""arpg - an arpg feature cache and preprocess outputs read from Python.

Needs numpy and the lmdb module (Debian: python3-numpy python3-lmdb);
TorchDataset needs torch too, imported only when TorchDataset is used.

    import arpg
    cache = arpg.Cache("afew.lmdb")       # arpg-cache(5), read-only
    a = cache.appearance(cache.clips[0].id)   # (T, Da), f16 or f32 as stored
    ds = arpg.TorchDataset("afew.lmdb", split="train", frames=16, train=True)

The formats are those of arpg-cache(5) (the cache), common/manifest.h
(manifest.tsv) and common/frames_tsv.h (frames.tsv).
"""
from .cache import Cache, CacheError, Clip, decode_record
from .sampling import SplitMix64, sample_frames
from .tsv import read_frames_tsv, read_manifest

__all__ = ["Cache", "CacheError", "Clip", "decode_record", "SplitMix64", "sample_frames",
           "read_frames_tsv", "read_manifest", "TorchDataset"]


def __getattr__(name):
    # torch is imported the first time TorchDataset is asked for, not by
    # `import arpg`: reading a cache needs numpy and lmdb only.
    if name == "TorchDataset":
        from .torchdata import TorchDataset
        return TorchDataset
    raise AttributeError("module 'arpg' has no attribute %r" % name)
