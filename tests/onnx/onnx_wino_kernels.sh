#!/bin/sh
# The Winograd GEMMs call BLIS's micro-kernel on panels they pack
# themselves, in the kernel's own panel sizes (skx: 32x12, prefers
# columns; haswell: 6x16, prefers rows; generic: 4x16).  test_onnx_wino
# runs on the kernels arpg chooses for this machine; this runs it again on
# the other two, so that a packing that only fits one of them is caught.
. "${top_srcdir:-.}/tests/tap.sh"
grep -q ' avx2 ' /proc/cpuinfo 2>/dev/null && grep -q ' fma ' /proc/cpuinfo ||
	skip_all "the haswell kernels need AVX2 and FMA"
plan 2
for arch in haswell generic; do
	out=$(ARPG_BLIS_ARCH=$arch ./tests/onnx/test_onnx_wino 2>&1)
	st=$?
	echo "$out" | sed 's/^/# /'
	if [ $st = 0 ] && echo "$out" | grep -q '^ok' && ! echo "$out" | grep -q '^not ok'; then
		ok 0 "test_onnx_wino passes on BLIS's $arch kernels"
	else
		ok 1 "test_onnx_wino passes on BLIS's $arch kernels"
	fi
done
