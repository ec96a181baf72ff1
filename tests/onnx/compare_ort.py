#!/usr/bin/python3
"""compare_ort.py DIR LIST - each output of arpg-features onnx-run
(DIR/NAME.arpg/output_K.pb) against onnxruntime-node's (DIR/NAME.ort/K.f32,
ort_run.js) for every line "NAME W H" of LIST.  An output agrees within
1e-4 of the largest magnitude of the reference tensor, or 1e-6 absolute
(onnxruntime's logistic function is an approximation good to about 1e-7
near 0).  Prints TAP comments (the count, the largest differences, the
first disagreements); exit status 0 when every output agrees, else 1."""
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def main():
    tmp, lst = sys.argv[1:3]
    worst_rel, worst_abs, n, bad = 0.0, 0.0, 0, []
    for line in open(lst):
        name = line.split()[0]
        k = 0
        while os.path.exists("%s/%s.ort/%d.f32" % (tmp, name, k)):
            ref = np.fromfile("%s/%s.ort/%d.f32" % (tmp, name, k), dtype=np.float32)
            path = "%s/%s.arpg/output_%d.pb" % (tmp, name, k)
            if not os.path.exists(path):
                bad.append("%s output %d: arpg wrote none" % (name, k))
                n += 1
                k += 1
                continue
            got = numpy_helper.to_array(onnx.load_tensor(path)).ravel()
            if got.shape != ref.shape:
                bad.append("%s output %d: %d values, expected %d" % (name, k, got.size, ref.size))
            else:
                d = float(np.abs(got.astype(np.float64) - ref).max())
                scale = float(np.abs(ref).max())
                rel = d / scale if scale > 0 else 0.0
                worst_abs = max(worst_abs, d)
                if scale > 1e-2:
                    worst_rel = max(worst_rel, rel)
                if not (d <= 1e-4 * scale or d <= 1e-6):
                    bad.append("%s output %d: max diff %.3g, max |ref| %.3g" % (name, k, d, scale))
            n += 1
            k += 1
    print("# %d output tensors compared; largest difference %.3g, largest relative to "
          "max |ref| (tensors above 0.01) %.3g" % (n, worst_abs, worst_rel))
    for b in bad[:20]:
        print("# " + b)
    sys.exit(0 if n and not bad else 1)


if __name__ == "__main__":
    main()
