#!/usr/bin/python3
"""Reference for arpg-train's network, written from DESIGN.md "arpg-train"
with PyTorch in float64, independent of the C code.

For a few small configurations covering every ablation path it draws
parameters (in arpg's flat layout order), inputs and labels, then records the
logits, the loss, the gradients, and the parameters after two optimizer
steps (AdamW, or Adam with its L2 weight decay) with gradient-norm clipping.
The training pieces beyond plain cross-entropy have cases of their own:
class weights and label smoothing (F.cross_entropy's weight and
label_smoothing), mixup (inputs mixed as lam x + (1 - lam) x[perm], the loss
lam CE(y) + (1 - lam) CE(y[perm])) and frame drop-out (the fusion nodes of
dropped frames attended to by no other node and left out of the means over
frames).  tests/train/test_model.c replays the file and compares.
Regenerate with:
    /usr/bin/python3 tests/train/golden/make_train_golden.py > tests/train/golden/train.golden
    /usr/bin/python3 tests/train/golden/make_train_golden.py --per-frame \
        > tests/train/golden/perframe.golden
"""
import math
import sys

import torch

# B T G Dp Da D H C Lr Lf trs edges fusion modality
CASES = [
    dict(B=3, T=4, G=3, Dp=6, Da=5, D=8, H=2, C=3, Lr=2, Lf=1, trs=1, edges="self,adj,sym", fusion="gat", modality="both"),
    dict(B=2, T=5, G=2, Dp=4, Da=7, D=8, H=4, C=4, Lr=1, Lf=2, trs=-1, edges="self,adj8", fusion="gat", modality="both"),
    dict(B=3, T=4, G=3, Dp=6, Da=5, D=8, H=2, C=3, Lr=2, Lf=1, trs=2, edges="sym", fusion="concat", modality="both"),
    dict(B=2, T=3, G=2, Dp=5, Da=6, D=6, H=3, C=2, Lr=2, Lf=1, trs=0, edges="self,adj", fusion="gat", modality="app"),
    dict(B=2, T=3, G=3, Dp=5, Da=6, D=6, H=2, C=3, Lr=2, Lf=1, trs=1, edges="self,adj,sym", fusion="gat", modality="rel"),
    dict(B=2, T=3, G=2, Dp=5, Da=6, D=8, H=2, C=3, Lr=0, Lf=0, trs=1, edges="self", fusion="gat", modality="both"),
    # the loss and the optimizer: class weights, label smoothing, Adam
    dict(B=4, T=4, G=3, Dp=6, Da=5, D=8, H=2, C=3, Lr=2, Lf=1, trs=1, edges="self,adj,sym", fusion="gat", modality="both",
         opt="adam", wd=0, ls=0.1, cw=1),
    # mixup with label smoothing, Adam's L2 weight decay
    dict(B=3, T=4, G=2, Dp=6, Da=5, D=8, H=2, C=4, Lr=1, Lf=1, trs=2, edges="self,adj", fusion="gat", modality="both",
         opt="adam", wd=1e-3, ls=0.05, mix=1),
    # frame drop-out through two fusion layers, with class weights
    dict(B=3, T=5, G=2, Dp=4, Da=6, D=8, H=2, C=3, Lr=1, Lf=2, trs=1, edges="self,adj,sym", fusion="gat", modality="both",
         opt="adam", wd=0, cw=1, drop=1),
    # frame drop-out without the fusion graph: the means only
    dict(B=2, T=4, G=2, Dp=4, Da=6, D=6, H=3, C=3, Lr=1, Lf=1, trs=1, edges="self,adj", fusion="concat", modality="app",
         opt="adam", wd=0, drop=1),
    # everything at once, relation branch alone, AdamW
    dict(B=4, T=3, G=2, Dp=5, Da=4, D=8, H=4, C=3, Lr=1, Lf=1, trs=0, edges="self,adj,sym", fusion="gat", modality="rel",
         opt="adamw", wd=1e-4, ls=0.1, cw=1, mix=1, drop=1),
]

# --per-frame (pf=1): a class per frame from that frame's fusion output
# nodes [u'_t; v'_t], labels (B, T) with -1 for frames without a label
# (F.cross_entropy's ignore_index=-1), plain or class-weighted.  Written by
# --per-frame into perframe.golden.
PERFRAME_CASES = [
    dict(B=3, T=5, G=3, Dp=6, Da=5, D=8, H=2, C=4, Lr=2, Lf=1, trs=1, edges="self,adj,sym", fusion="gat", modality="both", pf=1),
    dict(B=2, T=6, G=2, Dp=4, Da=7, D=8, H=4, C=3, Lr=1, Lf=2, trs=2, edges="self,adj", fusion="gat", modality="both", pf=1,
         opt="adam", wd=0, cw=1),
    dict(B=3, T=4, G=2, Dp=5, Da=6, D=6, H=3, C=3, Lr=1, Lf=1, trs=1, edges="self,adj,sym", fusion="concat", modality="both", pf=1,
         opt="adam", wd=0, cw=1, ls=0.1),
    dict(B=2, T=4, G=2, Dp=5, Da=6, D=6, H=2, C=3, Lr=1, Lf=1, trs=-1, edges="self,adj", fusion="gat", modality="app", pf=1,
         opt="adamw", wd=1e-4, cw=1),
    dict(B=2, T=3, G=3, Dp=5, Da=6, D=8, H=2, C=4, Lr=2, Lf=1, trs=0, edges="self,adj,sym", fusion="gat", modality="rel", pf=1),
]

LR, BETAS, EPS, WD, CLIP = 1e-3, (0.9, 0.999), 1e-8, 1e-4, 0.05


def rel_mask(G, edges):
    N = G * G
    M = torch.zeros(N, N, dtype=torch.bool)
    kinds = edges.split(",")
    for i in range(N):
        ri, ci = divmod(i, G)
        for j in range(N):
            rj, cj = divmod(j, G)
            dr, dc = abs(ri - rj), abs(ci - cj)
            if "self" in kinds and i == j:
                M[i, j] = True
            if "adj" in kinds and dr + dc == 1:
                M[i, j] = True
            if "adj8" in kinds and max(dr, dc) == 1:
                M[i, j] = True
            if "sym" in kinds and ri == rj and cj == G - 1 - ci and i != j:
                M[i, j] = True
    # arpg's documented rule: a node left without any edge attends to itself
    for i in range(N):
        if not M[i].any():
            M[i, i] = True
    return M


def fusion_mask(T, nmod, trs):
    t = torch.arange(T).repeat(nmod)
    d = (t[:, None] - t[None, :]).abs()
    return torch.ones_like(d, dtype=torch.bool) if trs < 0 else d <= trs


def posenc(T, D):
    pe = torch.zeros(T, D)
    for t in range(T):
        for i in range(0, D, 2):
            f = t / 10000 ** (i / D)
            pe[t, i] = math.sin(f)
            if i + 1 < D:
                pe[t, i + 1] = math.cos(f)
    return pe


def gat(X, W, a_src, a_dst, g, b, M, H):
    """X (..., n, D); one GAT layer of DESIGN.md; M (n, n) or (..., n, n)."""
    n, D = X.shape[-2:]
    dh = D // H
    Z = (X @ W).unflatten(-1, (H, dh))               # ..., n, H, dh
    s_dst = (Z * a_dst.view(H, dh)).sum(-1)          # ..., n, H
    s_src = (Z * a_src.view(H, dh)).sum(-1)
    e = torch.nn.functional.leaky_relu(s_dst.unsqueeze(-2) + s_src.unsqueeze(-3), 0.2)  # ..., i, j, H
    e = e.masked_fill(~M.unsqueeze(-1), float("-inf"))  # M broadcasts over the batch
    alpha = torch.softmax(e, dim=-2)                 # over j
    O = torch.einsum("...ijh,...jhk->...ihk", alpha, Z).flatten(-2)
    return torch.nn.functional.layer_norm(X + torch.nn.functional.elu(O), (D,), g, b, 1e-5)


def shapes(c):
    """Parameter names and shapes in arpg's flat layout order."""
    D, use_rel, use_app = c["D"], c["modality"] != "app", c["modality"] != "rel"
    out = []
    gat_params = lambda p: [(p + "W", (D, D)), (p + "a_src", (D,)), (p + "a_dst", (D,)), (p + "ln_g", (D,)), (p + "ln_b", (D,))]
    if use_rel:
        out += [("Wp", (c["Dp"], D)), ("bp", (D,)), ("E", (c["G"] ** 2, D))]
        for l in range(c["Lr"]):
            out += gat_params("rel%d." % l)
    if use_app:
        out += [("Wa", (c["Da"], D)), ("ba", (D,)), ("m_a", (D,))]
    if use_rel:
        out += [("m_r", (D,))]
    if c["fusion"] == "gat":
        for l in range(c["Lf"]):
            out += gat_params("fus%d." % l)
    din = (use_rel + use_app) * D
    out += [("W1", (din, D)), ("b1", (D,)), ("W2", (D, c["C"])), ("b2", (c["C"],))]
    return out


def forward(c, P, app, patch, keep=None):
    """keep (B, T) bool: the frames not dropped, or None."""
    D, H, T = c["D"], c["H"], c["T"]
    use_rel, use_app = c["modality"] != "app", c["modality"] != "rel"
    pe = posenc(T, D)
    nodes = []
    if use_app:
        a = app @ P["Wa"] + P["ba"]                  # B, T, D
        nodes.append(a + pe + P["m_a"])
    if use_rel:
        M = rel_mask(c["G"], c["edges"])
        X = patch @ P["Wp"] + P["bp"] + P["E"]       # B, T, N, D
        for l in range(c["Lr"]):
            p = "rel%d." % l
            X = gat(X, P[p + "W"], P[p + "a_src"], P[p + "a_dst"], P[p + "ln_g"], P[p + "ln_b"], M, H)
        nodes.append(X.mean(-2) + pe + P["m_r"])
    F = torch.cat(nodes, dim=1)                       # B, nmod*T, D
    nmod = len(nodes)
    if c["fusion"] == "gat":
        M = fusion_mask(T, nmod, c["trs"])
        if keep is not None:
            # a dropped node is attended to by no other node (B, n, n)
            kn = keep.repeat(1, nmod)
            M = M & (kn[:, None, :] | torch.eye(nmod * T, dtype=torch.bool))
        for l in range(c["Lf"]):
            p = "fus%d." % l
            F = gat(F, P[p + "W"], P[p + "a_src"], P[p + "a_dst"], P[p + "ln_g"], P[p + "ln_b"], M, H)
    if c.get("pf"):
        # per frame: [u'_t; v'_t], (B*T, nmod*D), frame-major within a clip
        h = torch.cat([F[:, k * T:(k + 1) * T] for k in range(nmod)], dim=2).flatten(0, 1)
    elif keep is None:
        h = torch.cat([F[:, k * T:(k + 1) * T].mean(1) for k in range(nmod)], dim=1)
    else:
        w = keep.double() / keep.double().sum(1, keepdim=True)      # B, T
        h = torch.cat([(F[:, k * T:(k + 1) * T] * w[..., None]).sum(1) for k in range(nmod)], dim=1)
    e1 = torch.nn.functional.elu(h @ P["W1"] + P["b1"])
    return e1 @ P["W2"] + P["b2"]


def emit(name, t):
    v = t.detach().flatten().tolist()
    print(name, len(v), " ".join("%.17g" % x for x in v))


def run(c, seed):
    g = torch.Generator().manual_seed(seed)
    P = {}
    for name, shp in shapes(c):
        scale = 0.5 if name.split(".")[-1] not in ("ln_g",) else 0.2
        t = torch.randn(shp, generator=g) * scale
        if name.endswith("ln_g"):
            t = 1 + t
        # round to float32 so that the C side starts from the same numbers
        P[name] = t.float().double().requires_grad_()
    B, T, N, C = c["B"], c["T"], c["G"] ** 2, c["C"]
    app = torch.randn(B, T, c["Da"], generator=g).float().double()
    patch = torch.randn(B, T, N, c["Dp"], generator=g).float().double()
    if c.get("pf"):
        # a class per frame, about a third of the frames without one
        labels = torch.randint(0, C, (B * T,), generator=g)
        labels[torch.rand(B * T, generator=g) < 0.3] = -1
        labels[0] = 0   # at least one labelled frame
    else:
        labels = torch.randint(0, C, (B,), generator=g)
    params = [P[n] for n, _ in shapes(c)]
    flat0 = torch.cat([p.detach().flatten() for p in params])
    opt_name, wd = c.get("opt", "adamw"), c.get("wd", WD)
    ls, weights, keep, labels2, lam = c.get("ls", 0.0), None, None, None, None
    if c.get("cw"):
        weights = (0.5 + torch.rand(C, generator=g)).float().double()
    if c.get("mix"):
        lam = float(torch.tensor(0.2 + 0.6 * torch.rand(1, generator=g).item()).float())
        perm = torch.randperm(B, generator=g)
        # the inputs as the model sees them, rounded to float32 as C mixes them
        app = (lam * app + (1 - lam) * app[perm]).float().double()
        patch = (lam * patch + (1 - lam) * patch[perm]).float().double()
        labels2 = labels[perm]
    if c.get("drop"):
        keep = torch.rand(B, T, generator=g) > 0.4
        keep[:, 0] |= ~keep.any(1)   # at least one frame per clip

    print("case", " ".join("%s=%s" % kv for kv in c.items()))
    emit("params", flat0)
    emit("app", app)
    emit("patch", patch)
    emit("labels", labels)
    if weights is not None:
        emit("weights", weights)
    if lam is not None:
        emit("labels2", labels2)
        emit("lam", torch.tensor([lam]))
    if keep is not None:
        emit("keep", keep.long())

    def loss_of(logits, y):
        return torch.nn.functional.cross_entropy(logits, y, weight=weights, label_smoothing=ls, ignore_index=-1)

    if opt_name == "adam":
        opt = torch.optim.Adam(params, lr=LR, betas=BETAS, eps=EPS, weight_decay=wd)
    else:
        opt = torch.optim.AdamW(params, lr=LR, betas=BETAS, eps=EPS, weight_decay=wd)
    for step in range(2):
        opt.zero_grad()
        logits = forward(c, P, app, patch, keep)
        loss = loss_of(logits, labels)
        if lam is not None:
            loss = lam * loss + (1 - lam) * loss_of(logits, labels2)
        loss.backward()
        if step == 0:
            emit("logits", logits)
            emit("loss", loss.reshape(1))
            emit("grads", torch.cat([p.grad.flatten() for p in params]))
        torch.nn.utils.clip_grad_norm_(params, CLIP)
        opt.step()
        emit("step%d" % (step + 1), torch.cat([p.detach().flatten() for p in params]))
    print("end")


def main():
    torch.set_default_dtype(torch.float64)
    print("# arpg-train golden file: tests/train/golden/make_train_golden.py (PyTorch %s, float64)" % torch.__version__)
    print("# optimizer lr=%g beta1=%g beta2=%g eps=%g clip=%g; adamw weight_decay=%g unless the case says opt= and wd="
          % (LR, BETAS[0], BETAS[1], EPS, CLIP, WD))
    if sys.argv[1:] == ["--per-frame"]:
        for k, c in enumerate(PERFRAME_CASES):
            run(c, 2000 + k)
        return
    for k, c in enumerate(CASES):
        run(c, 1000 + k)


if __name__ == "__main__":
    main()
