#!/usr/bin/python3
"""Prints torch.nn.AdaptiveAvgPool2d((G, G)) of the (C, H, W) float32 map in
IN.npy, one value a line in (C, G, G) order.  Exit 77 without torch.
Usage: test_features_pool.py IN.npy G"""
import sys

try:
    import numpy as np
    import torch
except ImportError:
    sys.exit(77)

x = torch.from_numpy(np.load(sys.argv[1])).unsqueeze(0)
y = torch.nn.AdaptiveAvgPool2d((int(sys.argv[2]),) * 2)(x)[0]
for v in y.flatten().tolist():
    print("%.9g" % v)
