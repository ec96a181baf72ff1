#!/usr/bin/python3
"""make_scrfd.py OUTDIR - SCRFD face detectors with random weights, built as
InsightFace's detection/scrfd builds them (mmdet: backbone, PAFPN neck,
SCRFDHead) and exported as its tools/scrfd2onnx.py exports them
(torch.onnx.export, opset 11, input 'input.1', dynamic batch, height and
width), for the engine and decoder tests: no SCRFD weights are available
here.  Writes:

  OUTDIR/scrfd_10g_kps.onnx   ResNet (BasicBlocks, deep stem, average-pool
                              downsampling: ResNetV1e) + PAFPN + a head of
                              3 BN convs per stride; scores, boxes and
                              keypoints as (N, 1), (N, 4), (N, 10): nine
                              outputs, torch's own (numeric) names
  OUTDIR/scrfd_10g.onnx       the same without keypoints: six outputs
  OUTDIR/scrfd_500m_kps.onnx  MobileNet (depthwise separable convs) +
                              PAFPN + a depthwise head; outputs with a
                              batch dimension, (1, N, C), named score_8 ...
                              kps_32 as scrfd2onnx.py names them
  OUTDIR/scrfd_500m.onnx      the same without keypoints

Two anchors per cell at strides 8, 16 and 32, as det_10g, det_2.5g and
det_500m of InsightFace's model packs.  Channels are InsightFace's for
SCRFD-10G (56, 88, 88, 224; head 80) and SCRFD-500M (16, 16, 40, 72, 152,
288; head 64), depths smaller.  The head's biases make a few cells score
above 0.5, so that decoding has faces to find.  Needs Debian's
python3-torch and python3-onnx; exit status 77 without them."""
import os
import sys

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:
    sys.exit(77)


def conv_bn(cin, cout, k=3, s=1, groups=1, relu=True):
    layers = [nn.Conv2d(cin, cout, k, s, k // 2, groups=groups, bias=False),
              nn.BatchNorm2d(cout)]
    if relu:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


def backbone_forward(net, x):
    """The stem, then the stages; the outputs of the last three (strides
    8, 16, 32), as mmdet's backbones give them to the neck."""
    x = net.stem(x)
    outs = []
    for i, s in enumerate(net.stages):
        x = s(x)
        if i >= 1:
            outs.append(x)
    return outs


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = conv_bn(cin, cout, 3, stride)
        self.conv2 = conv_bn(cout, cout, 3, 1, relu=False)
        self.down = None
        if stride != 1 or cin != cout:
            # ResNetV1d/e: average pooling, then a 1x1 conv
            self.down = nn.Sequential(nn.AvgPool2d(stride, stride, ceil_mode=True,
                                                   count_include_pad=False),
                                      conv_bn(cin, cout, 1, 1, relu=False))

    def forward(self, x):
        y = self.conv2(self.conv1(x))
        return F.relu(y + (self.down(x) if self.down is not None else x))


class ResNetV1e(nn.Module):
    def __init__(self, planes=(56, 88, 88, 224), blocks=(2, 2, 1, 1)):
        super().__init__()
        self.stem = nn.Sequential(conv_bn(3, planes[0] // 2, 3, 2),
                                  conv_bn(planes[0] // 2, planes[0] // 2),
                                  conv_bn(planes[0] // 2, planes[0]),
                                  nn.MaxPool2d(3, 2, 1))
        self.stages = nn.ModuleList()
        cin = planes[0]
        for i, (p, b) in enumerate(zip(planes, blocks)):
            layers = [BasicBlock(cin, p, 1 if i == 0 else 2)]
            layers += [BasicBlock(p, p, 1) for _ in range(b - 1)]
            self.stages.append(nn.Sequential(*layers))
            cin = p
        self.out_channels = list(planes[1:])

    def forward(self, x):
        return backbone_forward(self, x)


class MobileNetV1(nn.Module):
    def __init__(self, planes=(16, 16, 40, 72, 152, 288), blocks=(1, 1, 1, 2)):
        super().__init__()
        def dw(cin, cout, s):
            return nn.Sequential(conv_bn(cin, cin, 3, s, groups=cin), conv_bn(cin, cout, 1))
        self.stem = nn.Sequential(conv_bn(3, planes[0], 3, 2), dw(planes[0], planes[1], 1))
        self.stages = nn.ModuleList()
        cin = planes[1]
        for p, b in zip(planes[2:], blocks):
            layers = [dw(cin, p, 2)] + [dw(p, p, 1) for _ in range(b - 1)]
            self.stages.append(nn.Sequential(*layers))
            cin = p
        self.out_channels = list(planes[3:])

    def forward(self, x):
        return backbone_forward(self, x)


class PAFPN(nn.Module):
    """mmdet's PAFPN: laterals, a top-down path upsampling to the size of
    the level below (F.interpolate with size=, nearest), 3x3 convs, then a
    bottom-up path of stride-2 convs."""
    def __init__(self, in_channels, out):
        super().__init__()
        self.lateral = nn.ModuleList([nn.Conv2d(c, out, 1) for c in in_channels])
        self.fpn = nn.ModuleList([nn.Conv2d(out, out, 3, padding=1) for _ in in_channels])
        self.down = nn.ModuleList([nn.Conv2d(out, out, 3, 2, 1) for _ in in_channels[1:]])
        self.pafpn = nn.ModuleList([nn.Conv2d(out, out, 3, padding=1) for _ in in_channels[1:]])

    def forward(self, feats):
        lat = [l(f) for l, f in zip(self.lateral, feats)]
        for i in range(len(lat) - 1, 0, -1):
            prev_shape = lat[i - 1].shape[2:]
            lat[i - 1] = lat[i - 1] + F.interpolate(lat[i], size=prev_shape, mode="nearest")
        inter = [f(l) for f, l in zip(self.fpn, lat)]
        for i in range(len(inter) - 1):
            inter[i + 1] = inter[i + 1] + self.down[i](inter[i])
        return [inter[0]] + [p(x) for p, x in zip(self.pafpn, inter[1:])]


class Scale(nn.Module):
    def __init__(self, v):
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(v, dtype=torch.float))

    def forward(self, x):
        return x * self.scale


class SCRFDHead(nn.Module):
    """SCRFDHead with cls_reg_share and strides_share off per stride, BN,
    use_scale (scale_mode 2), two anchors; the forward of torch.onnx export:
    permute, reshape to rows, sigmoid the scores."""
    def __init__(self, cin, feat, stacked, kps, batched, dw):
        super().__init__()
        self.kps, self.batched = kps, batched
        A = 2
        def tower():
            layers, c = [], cin
            for _ in range(stacked):
                layers.append(nn.Sequential(conv_bn(c, c, 3, groups=c), conv_bn(c, feat, 1))
                              if dw else conv_bn(c, feat, 3))
                c = feat
            return nn.Sequential(*layers)
        self.towers = nn.ModuleList([tower() for _ in range(3)])
        self.cls = nn.ModuleList([nn.Conv2d(feat, A, 3, padding=1) for _ in range(3)])
        self.reg = nn.ModuleList([nn.Conv2d(feat, 4 * A, 3, padding=1) for _ in range(3)])
        self.kp = nn.ModuleList([nn.Conv2d(feat, 10 * A, 3, padding=1) for _ in range(3)])
        self.scales = nn.ModuleList([Scale(1.0) for _ in range(3)])

    def rows(self, t, c):
        t = t.permute(0, 2, 3, 1)
        if self.batched:
            return t.reshape(t.shape[0], -1, c)
        return t.reshape(-1, c)

    def forward(self, feats):
        scores, boxes, kpss = [], [], []
        for i, x in enumerate(feats):
            f = self.towers[i](x)
            scores.append(self.rows(self.cls[i](f), 1).sigmoid())
            boxes.append(self.rows(self.scales[i](self.reg[i](f)), 4))
            if self.kps:
                kpss.append(self.rows(self.kp[i](f), 10))
        return scores + boxes + kpss


class SCRFD(nn.Module):
    def __init__(self, backbone, neck_out, feat, stacked, kps, batched, dw):
        super().__init__()
        self.backbone = backbone
        self.neck = PAFPN(backbone.out_channels, neck_out)
        self.head = SCRFDHead(neck_out, feat, stacked, kps, batched, dw)

    def forward(self, x):
        return tuple(self.head(self.neck(self.backbone(x))))


def randomise(model, seed):
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            fan = m.in_channels // m.groups * m.kernel_size[0] * m.kernel_size[1]
            m.weight.data = torch.randn(m.weight.shape, generator=g) * (2.0 / fan) ** 0.5
            if m.bias is not None:
                m.bias.data = torch.randn(m.bias.shape, generator=g) * 0.1
        elif isinstance(m, nn.BatchNorm2d):
            m.weight.data = 1 + 0.1 * torch.randn(m.weight.shape, generator=g)
            m.bias.data = 0.1 * torch.randn(m.bias.shape, generator=g)
            m.running_mean.data = 0.1 * torch.randn(m.running_mean.shape, generator=g)
            m.running_var.data = 1 + 0.2 * torch.rand(m.running_var.shape, generator=g)
    head = model.head
    for i in range(3):
        # scores mostly low, some cells above 0.5 after the sigmoid; small
        # distances (in strides) and keypoint offsets
        head.cls[i].weight.data *= 0.5
        head.cls[i].bias.data[:] = -1.5
        head.reg[i].weight.data *= 0.1
        head.reg[i].bias.data[:] = 1.5
        head.kp[i].weight.data *= 0.1
        head.scales[i].scale.data.fill_(0.8 + 0.1 * i)


def export(model, path, names):
    model.eval()
    x = torch.rand(1, 3, 640, 640) * 2 - 1
    n = len(model(x))
    kw = {}
    if names:
        kw["output_names"] = (["score_8", "score_16", "score_32", "bbox_8", "bbox_16",
                               "bbox_32", "kps_8", "kps_16", "kps_32"])[:n]
        axes = {o: {0: "?", 1: "?"} for o in kw["output_names"]}
    else:
        axes = {}
    axes["input.1"] = {0: "?", 2: "?", 3: "?"}
    torch.onnx.export(model, x, path, input_names=["input.1"], dynamic_axes=axes,
                      opset_version=11, keep_initializers_as_inputs=False,
                      do_constant_folding=True, **kw)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    for kps in (True, False):
        suffix = "_kps" if kps else ""
        m = SCRFD(ResNetV1e(), 56, 80, 3, kps, batched=False, dw=False)
        randomise(m, 10 + kps)
        export(m, os.path.join(out, "scrfd_10g%s.onnx" % suffix), names=False)
        m = SCRFD(MobileNetV1(), 16, 64, 2, kps, batched=True, dw=True)
        randomise(m, 20 + kps)
        export(m, os.path.join(out, "scrfd_500m%s.onnx" % suffix), names=True)


if __name__ == "__main__":
    main()
