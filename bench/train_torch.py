#!/usr/bin/python3
"""The ARPGNet head in PyTorch, trained on an arpg cache: the peer of
arpg-train in bench/train.sh.  The model is tests/train/golden/make_train_golden.py's
(the reference the C code is tested against), here in float32 with PyTorch's
batched masked attention; the cache is read with lmdb and numpy as
arpg-cache(5) documents.

    train_torch.py CACHE THREADS EPOCHS   ->  one line per epoch:
(CACHE may also be bench/e2e_reference.py's features.npz)
    epoch E train_seconds S eval_seconds S val_war W
"""
import os
import sys
import time

import lmdb
import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "train", "golden"))
import make_train_golden as ref  # noqa: E402


def record(buf):
    b = bytes(buf)
    assert b[:4] == b"ARPT"
    dtype, rank = b[5], b[6]
    dims = np.frombuffer(b, "<u4", rank, 8)
    vals = np.frombuffer(b, "<f4" if dtype == 1 else "<f2", offset=8 + 4 * rank)
    return vals.astype(np.float32).reshape(dims)


def load(path):
    if path.endswith(".npz"):   # bench/e2e_reference.py's features
        z = np.load(path)
        meta = {"grid": str(int(round(z["patch"].shape[2] ** 0.5))), "labels": ",".join(z["labels"])}
        return meta, z["y"], z["split"], z["app"], z["patch"]
    env = lmdb.open(path, max_dbs=4, readonly=True, lock=False)
    meta_db, clips_db, app_db, patch_db = (env.open_db(n) for n in (b"meta", b"clips", b"app", b"patch"))
    with env.begin() as txn:
        meta = {k.decode(): v.decode() for k, v in txn.cursor(meta_db)}
        labels = meta["labels"].split(",")
        ids, y, split, apps, patches = [], [], [], [], []
        for k, v in txn.cursor(clips_db):
            f = v.decode().split("\t")
            ids.append(k)
            y.append(labels.index(f[0]))
            split.append(f[1])
            apps.append(record(txn.get(k, db=app_db)))
            patches.append(record(txn.get(k, db=patch_db)))
    return meta, np.array(y), np.array(split), np.stack(apps), np.stack(patches)


def gat_fast(X, W, a_src, a_dst, g, b, M, H):
    """ref.gat with the heads as a batch dimension and matmuls: PyTorch's best."""
    n, D = X.shape[-2:]
    dh = D // H
    Z = (X @ W).unflatten(-1, (H, dh)).transpose(-2, -3)       # ..., H, n, dh
    s_dst = Z @ a_dst.view(H, dh, 1)                            # ..., H, n, 1
    s_src = (Z @ a_src.view(H, dh, 1)).transpose(-1, -2)        # ..., H, 1, n
    e = torch.nn.functional.leaky_relu(s_dst + s_src, 0.2).masked_fill(~M, float("-inf"))
    O = (torch.softmax(e, dim=-1) @ Z).transpose(-2, -3).flatten(-2)
    return torch.nn.functional.layer_norm(X + torch.nn.functional.elu(O), (D,), g, b, 1e-5)


def check_same_model():
    """The fast attention computes what the reference does."""
    c = ref.CASES[0]
    g = torch.Generator().manual_seed(3)
    P = {n: torch.randn(s, generator=g) * 0.5 for n, s in ref.shapes(c)}
    app = torch.randn(c["B"], c["T"], c["Da"], generator=g)
    patch = torch.randn(c["B"], c["T"], c["G"] ** 2, c["Dp"], generator=g)
    want = ref.forward(c, P, app, patch)
    ref.gat = gat_fast
    got = ref.forward(c, P, app, patch)
    assert torch.allclose(got, want, rtol=1e-4, atol=1e-5), (got, want)


def head(meta, T, Dp, Da):
    """The model's configuration (arpg-train's defaults, batch 32) and its
    parameters, random, for a cache's meta and shapes."""
    c = dict(B=32, T=T, G=int(meta["grid"]), Dp=Dp, Da=Da, D=256, H=4, C=len(meta["labels"].split(",")),
             Lr=2, Lf=1, trs=4, edges="self,adj,sym", fusion="gat", modality="both")
    g = torch.Generator().manual_seed(1)
    P = {n: (torch.randn(s, generator=g) * 0.05).requires_grad_() for n, s in ref.shapes(c)}
    for n in P:
        if n.endswith("ln_g"):
            P[n].data.fill_(1)
    return c, P


def main():
    path, threads, epochs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(threads)
    check_same_model()
    meta, y, split, app, patch = load(path)
    c, P = head(meta, app.shape[1], patch.shape[3], app.shape[2])
    params = list(P.values())
    opt = torch.optim.AdamW(params, lr=1e-3, weight_decay=1e-4)
    tr, va = np.where(split == "train")[0], np.where(split == "val")[0]
    A, Pt, Y = torch.from_numpy(app), torch.from_numpy(patch), torch.from_numpy(y)
    for epoch in range(1, epochs + 1):
        t0 = time.perf_counter()
        order = torch.from_numpy(np.random.default_rng(epoch).permutation(tr))
        for s in range(0, len(order), 32):
            idx = order[s:s + 32]
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(ref.forward(c, P, A[idx], Pt[idx]), Y[idx])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 5.0)
            opt.step()
        t1 = time.perf_counter()
        correct = 0
        with torch.no_grad():
            for s in range(0, len(va), 32):
                idx = torch.from_numpy(va[s:s + 32])
                correct += (ref.forward(c, P, A[idx], Pt[idx]).argmax(1) == Y[idx]).sum().item()
        t2 = time.perf_counter()
        print("epoch %d train_seconds %.3f eval_seconds %.3f val_war %.4f" % (epoch, t1 - t0, t2 - t1, correct / len(va)), flush=True)


if __name__ == "__main__":
    main()
