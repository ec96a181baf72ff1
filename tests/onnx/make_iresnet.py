#!/usr/bin/python3
"""Writes an InsightFace-structure IResNet (arcface_torch's iresnet.py:
conv-bn-prelu stem, IBasicBlock bn1-conv1-bn2-prelu-conv2-bn3 with a
conv1x1-bn downsample, then bn2-flatten-dropout-fc-features BN) with random
weights and randomised batch-norm statistics, exported to ONNX, with inputs
and PyTorch's reference outputs as serialized TensorProto files.

usage: make_iresnet.py OUTDIR [--layers 2,2,2,2] [--opset 11] [--batch 8]
                       [--seed 1] [--preserve-bn] [--size 112]
OUTDIR/model.onnx, input.pb (batch x 3 x size x size), output.pb (the
embedding), stage3.pb (the third stage's output, the stride-8 map),
input1.pb/output1.pb/stage31.pb (the first item alone, batch 1).
--preserve-bn exports the batch norms as nodes (TrainingMode.PRESERVE in
eval mode) instead of letting the exporter fold them into the convs.
"""
import argparse
import os
import sys

import warnings

import torch
import torch.nn as nn
import onnx
from onnx import numpy_helper


def conv3x3(i, o, stride=1):
    return nn.Conv2d(i, o, kernel_size=3, stride=stride, padding=1, bias=False)


class IBasicBlock(nn.Module):
    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(inplanes, eps=1e-05)
        self.conv1 = conv3x3(inplanes, planes)
        self.bn2 = nn.BatchNorm2d(planes, eps=1e-05)
        self.prelu = nn.PReLU(planes)
        self.conv2 = conv3x3(planes, planes, stride)
        self.bn3 = nn.BatchNorm2d(planes, eps=1e-05)
        self.downsample = downsample

    def forward(self, x):
        identity = x
        out = self.bn1(x)
        out = self.conv1(out)
        out = self.bn2(out)
        out = self.prelu(out)
        out = self.conv2(out)
        out = self.bn3(out)
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return out


class IResNet(nn.Module):
    def __init__(self, layers, num_features=512, size=112):
        super().__init__()
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(64, eps=1e-05)
        self.prelu = nn.PReLU(64)
        self.layer1 = self._make_layer(64, layers[0])
        self.layer2 = self._make_layer(128, layers[1])
        self.layer3 = self._make_layer(256, layers[2])
        self.layer4 = self._make_layer(512, layers[3])
        self.bn2 = nn.BatchNorm2d(512, eps=1e-05)
        self.dropout = nn.Dropout(p=0, inplace=True)
        self.fc = nn.Linear(512 * (size // 16) ** 2, num_features)
        self.features = nn.BatchNorm1d(num_features, eps=1e-05)

    def _make_layer(self, planes, blocks):
        downsample = nn.Sequential(
            nn.Conv2d(self.inplanes, planes, kernel_size=1, stride=2, bias=False),
            nn.BatchNorm2d(planes, eps=1e-05))
        layers = [IBasicBlock(self.inplanes, planes, 2, downsample)]
        self.inplanes = planes
        for _ in range(1, blocks):
            layers.append(IBasicBlock(self.inplanes, planes))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.conv1(x)
        x = self.bn1(x)
        x = self.prelu(x)
        x = self.layer1(x)
        x = self.layer2(x)
        x = self.layer3(x)
        x = self.layer4(x)
        x = self.bn2(x)
        x = torch.flatten(x, 1)
        x = self.dropout(x)
        x = self.fc(x)
        x = self.features(x)
        return x


def randomise(model, g):
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d)):
            n = m.num_features
            m.weight.data = torch.rand(n, generator=g) + 0.5
            m.bias.data = torch.randn(n, generator=g) * 0.1
            m.running_mean = torch.randn(n, generator=g) * 0.1
            m.running_var = torch.rand(n, generator=g) + 0.5
        elif isinstance(m, nn.PReLU):
            m.weight.data = torch.rand(m.weight.shape, generator=g) * 0.3 + 0.1
        elif isinstance(m, (nn.Conv2d, nn.Linear)):
            fan_in = m.weight[0].numel()
            m.weight.data = torch.randn(m.weight.shape, generator=g) * (1.0 / fan_in) ** 0.5
            if m.bias is not None:
                m.bias.data = torch.randn(m.bias.shape, generator=g) * 0.1


def save(path, t):
    with open(path, "wb") as f:
        f.write(numpy_helper.from_array(t.detach().numpy()).SerializeToString())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--layers", default="2,2,2,2")
    ap.add_argument("--opset", type=int, default=11)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--size", type=int, default=112)
    ap.add_argument("--preserve-bn", action="store_true")
    ap.add_argument("--no-reference", action="store_true")
    a = ap.parse_args()
    warnings.filterwarnings("ignore", category=UserWarning)
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    g = torch.Generator().manual_seed(a.seed)
    model = IResNet([int(v) for v in a.layers.split(",")], size=a.size)
    randomise(model, g)
    model.eval()
    os.makedirs(a.outdir, exist_ok=True)
    x = torch.rand(a.batch, 3, a.size, a.size, generator=g) * 2 - 1
    mode = torch.onnx.TrainingMode.PRESERVE if a.preserve_bn else torch.onnx.TrainingMode.EVAL
    with torch.no_grad():
        torch.onnx.export(model, x[:1], os.path.join(a.outdir, "model.onnx"),
                          opset_version=a.opset, training=mode,
                          input_names=["data"], output_names=["fc1"],
                          dynamic_axes={"data": {0: "N"}, "fc1": {0: "N"}})
        if a.no_reference:
            return 0
        stage3 = {}
        h = model.layer3.register_forward_hook(lambda m, i, o: stage3.__setitem__("o", o.clone()))
        for suffix, xb in (("", x), ("1", x[:1])):
            y = model(xb)
            save(os.path.join(a.outdir, "input%s.pb" % suffix), xb)
            save(os.path.join(a.outdir, "output%s.pb" % suffix), y)
            save(os.path.join(a.outdir, "stage3%s.pb" % suffix), stage3["o"])
        h.remove()
    return 0


if __name__ == "__main__":
    sys.exit(main())
