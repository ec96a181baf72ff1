#!/usr/bin/python3
"""arpg-train --tune-backbone's peers in PyTorch, for bench/tune.sh: an
IResNet (tests/onnx/make_iresnet.py's, random weights) and the ARPGNet head
(bench/train_torch.py's), Adam with two learning-rate groups (1e-4 for the
backbone, 1e-3 for the head), the head's gradient clipped to norm 5, as
arpg-train does by default.

    tune_torch.py tail CACHE THREADS LAYERS [CLIPS]
        the stage-4 tail (layer4, bn2, flatten, fc, features) over the
        cache's maps, read from LMDB per batch like arpg-train; BatchNorm in
        eval mode, its affine parameters trained.  One epoch over the first
        CLIPS training clips (all by default).
    tune_torch.py full CACHE THREADS LAYERS CLIPS
        the paper's way: the whole backbone trained (BatchNorm in train mode)
        from 112x112 crops (random, made once: no decoding is timed), the
        patches still from the cache; CLIPS training clips in micro-batches
        of 2 clips, accumulated to batches of 32 (a whole batch's
        activations would not fit in memory).
Both print:  clips N seconds S
"""
import os
import sys
import time
import warnings

import lmdb
import numpy as np
import torch

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "tests", "onnx"))
sys.path.insert(0, here)
import make_iresnet  # noqa: E402
import train_torch  # noqa: E402
ref = train_torch.ref


def main():
    mode, path, threads, layers = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    warnings.filterwarnings("ignore", category=UserWarning)
    torch.set_num_threads(threads)
    train_torch.check_same_model()      # and ref.gat = the batched attention
    meta, y, split, app, patch = train_torch.load(path)
    c, P = train_torch.head(meta, app.shape[1], patch.shape[3], app.shape[2])
    T = c["T"]
    net = make_iresnet.IResNet([int(v) for v in layers.split(",")])
    make_iresnet.randomise(net, torch.Generator().manual_seed(1))
    tail = torch.nn.Sequential(net.layer4, net.bn2, torch.nn.Flatten(), net.fc, net.features)
    tuned = tail if mode == "tail" else net
    opt = torch.optim.Adam([{"params": list(tuned.parameters()), "lr": 1e-4},
                            {"params": list(P.values()), "lr": 1e-3}])
    tr = np.where(split == "train")[0]
    n = int(sys.argv[5]) if len(sys.argv) > 5 else len(tr)
    order = np.random.default_rng(1).permutation(tr)[:n]
    Pt, Y = torch.from_numpy(patch), torch.from_numpy(y)

    if mode == "tail":
        tail.eval()                 # BatchNorm's statistics frozen, its affine trained
        env = lmdb.open(path, max_dbs=5, readonly=True, lock=False)
        maps_db, clips_db = env.open_db(b"maps"), env.open_db(b"clips")
        with env.begin() as txn:
            ids = [k for k, _ in txn.cursor(clips_db)]
        t0 = time.perf_counter()
        with env.begin() as txn:
            for s in range(0, n, 32):
                idx = order[s:s + 32]
                maps = np.stack([train_torch.record(txn.get(ids[i], db=maps_db)) for i in idx])
                opt.zero_grad()
                a = tail(torch.from_numpy(maps).flatten(0, 1)).unflatten(0, (len(idx), T))
                loss = torch.nn.functional.cross_entropy(ref.forward(c, P, a, Pt[idx]), Y[idx])
                loss.backward()
                torch.nn.utils.clip_grad_norm_(list(P.values()), 5.0)
                opt.step()
    else:
        net.train()
        micro = 2
        crops = torch.rand(micro * T, 3, 112, 112, generator=torch.Generator().manual_seed(2)) * 2 - 1
        t0 = time.perf_counter()
        for s in range(0, n, 32):
            opt.zero_grad()
            batch = order[s:s + 32]
            for m in range(0, len(batch), micro):
                idx = batch[m:m + micro]
                a = net(crops[:len(idx) * T]).unflatten(0, (len(idx), T))
                loss = torch.nn.functional.cross_entropy(ref.forward(c, P, a, Pt[idx]), Y[idx])
                (loss * len(idx) / len(batch)).backward()
            torch.nn.utils.clip_grad_norm_(list(P.values()), 5.0)
            opt.step()
    print("clips %d seconds %.3f" % (n, time.perf_counter() - t0), flush=True)


if __name__ == "__main__":
    main()
