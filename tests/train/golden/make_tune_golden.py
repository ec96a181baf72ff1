#!/usr/bin/python3
"""Reference for arpg-train's tuned backbone tail (train/tune.c), written
with PyTorch in float64 from arcface_torch's iresnet.py, independent of the
C code.

The tail is what follows the stride-8 map of an iresnet: stage 4 (IBasicBlock
bn1-conv1-bn2-prelu-conv2(stride 2 in the first block)-bn3, the first with
the conv1x1(stride 2)-bn downsample, the residual added), then bn2, flatten,
dropout (p 0), fc and the features BatchNorm1d.  Every BatchNorm is in
inference mode with its running statistics frozen (model.eval()); their
weight and bias train.  Above the tail, a linear classifier and the
cross-entropy stand for the head, so that one Adam step covers the two
learning-rate groups of --tune-backbone: lr 1e-4 for the tail, 1e-3 for the
classifier.

Shapes are an iresnet18's (2 blocks) and an iresnet50's (3 blocks) stage 4
with fewer channels and a smaller map, so that the file stays small.

Regenerate with:
    /usr/bin/python3 tests/train/golden/make_tune_golden.py > tests/train/golden/tune.golden
"""
import sys

import torch
import torch.nn as nn

# blocks, Cin (stage 3's channels), C (stage 4's), map side, embedding, batch, classes
CASES = [
    dict(name="iresnet18", blocks=2, cin=4, c=8, side=6, emb=5, n=3, classes=3),
    dict(name="iresnet50", blocks=3, cin=6, c=8, side=5, emb=6, n=2, classes=4),
]
LR_TAIL, LR_HEAD, BETAS, EPS = 1e-4, 1e-3, (0.9, 0.999), 1e-8


class IBasicBlock(nn.Module):
    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(inplanes, eps=1e-05)
        self.conv1 = nn.Conv2d(inplanes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes, eps=1e-05)
        self.prelu = nn.PReLU(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes, eps=1e-05)
        self.downsample = downsample

    def forward(self, x):
        out = self.bn3(self.conv2(self.prelu(self.bn2(self.conv1(self.bn1(x))))))
        return out + (self.downsample(x) if self.downsample is not None else x)


class Tail(nn.Module):
    def __init__(self, blocks, cin, c, side, emb):
        super().__init__()
        ds = nn.Sequential(nn.Conv2d(cin, c, 1, 2, bias=False), nn.BatchNorm2d(c, eps=1e-05))
        self.layer4 = nn.Sequential(IBasicBlock(cin, c, 2, ds),
                                    *[IBasicBlock(c, c) for _ in range(blocks - 1)])
        self.bn2 = nn.BatchNorm2d(c, eps=1e-05)
        self.dropout = nn.Dropout(p=0)
        out = (side + 1) // 2
        self.fc = nn.Linear(c * out * out, emb)
        self.features = nn.BatchNorm1d(emb, eps=1e-05)

    def forward(self, x):
        x = self.bn2(self.layer4(x))
        return self.features(self.fc(self.dropout(torch.flatten(x, 1))))


def randomise(model, g):
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d)):
            k = m.num_features
            m.weight.data = torch.rand(k, generator=g, dtype=torch.float64) + 0.5
            m.bias.data = torch.randn(k, generator=g, dtype=torch.float64) * 0.1
            m.running_mean = torch.randn(k, generator=g, dtype=torch.float64) * 0.1
            m.running_var = torch.rand(k, generator=g, dtype=torch.float64) + 0.5
        elif isinstance(m, nn.PReLU):
            m.weight.data = torch.rand(m.weight.shape, generator=g, dtype=torch.float64) * 0.3 + 0.1
        elif isinstance(m, (nn.Conv2d, nn.Linear)):
            fan_in = m.weight[0].numel()
            m.weight.data = torch.randn(m.weight.shape, generator=g, dtype=torch.float64) * (1.0 / fan_in) ** 0.5
            if m.bias is not None:
                m.bias.data = torch.randn(m.bias.shape, generator=g, dtype=torch.float64) * 0.1


def emit(name, t):
    v = t.detach().reshape(-1).tolist()
    print(name, len(v), " ".join("%.17g" % x for x in v))


def main():
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(20)
    print("# arpg-train tuned-tail golden file: tests/train/golden/make_tune_golden.py "
          "(PyTorch %s, float64)" % torch.__version__)
    print("# Adam lr tail=%g head=%g beta1=%g beta2=%g eps=%g, no weight decay, no clipping"
          % (LR_TAIL, LR_HEAD, BETAS[0], BETAS[1], EPS))
    for c in CASES:
        tail = Tail(c["blocks"], c["cin"], c["c"], c["side"], c["emb"]).double()
        randomise(tail, g)
        tail.eval()
        head = nn.Linear(c["emb"], c["classes"]).double()
        randomise(head, g)
        x = torch.randn(c["n"], c["cin"], c["side"], c["side"], generator=g, dtype=torch.float64)
        labels = torch.randint(0, c["classes"], (c["n"],), generator=g)
        tp = [p for _, p in tail.named_parameters()]
        hp = [p for _, p in head.named_parameters()]
        consts = torch.cat([torch.cat([m.running_mean, m.running_var]) for m in tail.modules()
                            if isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d))])
        print("case", " ".join("%s=%s" % kv for kv in c.items()))
        emit("params", torch.cat([p.detach().reshape(-1) for p in tp]))
        emit("head", torch.cat([p.detach().reshape(-1) for p in hp]))
        emit("consts", consts)
        emit("maps", x)
        emit("labels", labels.double())
        e = tail(x)
        logits = head(e)
        loss = nn.functional.cross_entropy(logits, labels)
        loss.backward()
        emit("emb", e)
        emit("loss", loss.reshape(1))
        emit("grads", torch.cat([p.grad.reshape(-1) for p in tp]))
        emit("hgrads", torch.cat([p.grad.reshape(-1) for p in hp]))
        opt = torch.optim.Adam([dict(params=tp, lr=LR_TAIL), dict(params=hp, lr=LR_HEAD)],
                               betas=BETAS, eps=EPS)
        opt.step()
        emit("step1", torch.cat([p.detach().reshape(-1) for p in tp]))
        emit("hstep1", torch.cat([p.detach().reshape(-1) for p in hp]))
        print("end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
