# Tests of the ONNX engine (common/onnx): loader checks and small models
# built in C, IResNet against PyTorch (generated at test time by
# tests/onnx/make_iresnet.py; skipped without python3-torch/python3-onnx),
# the ONNX project's node tests from libonnx-testdata through onnx-run, the
# Winograd kernels on several BLIS kernel sets, and the fuzz harness.

check_PROGRAMS += tests/onnx/test_onnx tests/onnx/test_onnx_iresnet \
	tests/onnx/test_onnx_conformance tests/onnx/test_onnx_wino
TESTS += tests/onnx/test_onnx tests/onnx/test_onnx_iresnet tests/onnx/test_onnx_conformance \
	tests/onnx/test_onnx_wino tests/onnx/onnx_wino_kernels.sh tests/onnx/onnx_run.sh
dist_check_SCRIPTS += tests/onnx/onnx_wino_kernels.sh tests/onnx/onnx_run.sh
EXTRA_DIST += tests/onnx/make_iresnet.py
tests_onnx_test_onnx_SOURCES = tests/onnx/test_onnx.c $(ARPG_TEST_SOURCES)
tests_onnx_test_onnx_CPPFLAGS = $(ARPG_TEST_CPPFLAGS)
tests_onnx_test_onnx_CFLAGS = $(AM_CFLAGS) $(PROTOBUFC_CFLAGS)
tests_onnx_test_onnx_LDADD = $(ARPG_ONNX_LIB)
$(tests_onnx_test_onnx_OBJECTS): common/onnx/onnx.pb-c.h
tests_onnx_test_onnx_iresnet_SOURCES = tests/onnx/test_onnx_iresnet.c $(ARPG_TEST_SOURCES)
tests_onnx_test_onnx_iresnet_CPPFLAGS = $(ARPG_TEST_CPPFLAGS)
tests_onnx_test_onnx_iresnet_LDADD = $(ARPG_ONNX_LIB)
tests_onnx_test_onnx_conformance_SOURCES = tests/onnx/test_onnx_conformance.c $(ARPG_TEST_SOURCES)
tests_onnx_test_onnx_conformance_CPPFLAGS = $(ARPG_TEST_CPPFLAGS) -I$(top_srcdir)/features
tests_onnx_test_onnx_conformance_LDADD = $(FEATURES_LIBS)
tests_onnx_test_onnx_wino_SOURCES = tests/onnx/test_onnx_wino.c $(ARPG_TEST_SOURCES)
tests_onnx_test_onnx_wino_CPPFLAGS = $(ARPG_TEST_CPPFLAGS)
tests_onnx_test_onnx_wino_LDADD = $(ARPG_ONNX_LIB)

FUZZERS += tests/fuzz/fuzz_onnx
tests_fuzz_fuzz_onnx_SOURCES = tests/fuzz/fuzz_onnx.c $(FUZZ_MAIN)
tests_fuzz_fuzz_onnx_LDADD = $(ARPG_ONNX_LIB)
tests_fuzz_fuzz_onnx_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_CFLAGS)
