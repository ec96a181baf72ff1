# Tests of arpg-features (unit, program and end-to-end); see tests/local.mk for the pattern.
check_PROGRAMS += tests/test_features tests/test_features_gen
TESTS += tests/test_features tests/test_features_cli.sh tests/test_features_crash.sh \
	tests/test_features_py.sh
dist_check_SCRIPTS += tests/test_features_cli.sh tests/test_features_crash.sh \
	tests/test_features_py.sh
EXTRA_DIST += tests/test_features_read.py tests/test_features_pool.py
tests_test_features_SOURCES = tests/test_features.c $(ARPG_TEST_SOURCES)
tests_test_features_CPPFLAGS = $(ARPG_TEST_CPPFLAGS) -I$(top_srcdir)/features
tests_test_features_LDADD = features/libfeatures.la $(ARPG_LIB) -lpthread -lm
tests_test_features_gen_SOURCES = tests/test_features_gen.c
tests_test_features_gen_LDADD = $(ARPG_LIB) -lm

# The ONNX engine (features/onnx*.c, issue 6): loader checks and small
# models built in C, IResNet-18 against PyTorch (generated at test time by
# tests/onnx/make_iresnet.py; skipped without python3-torch/python3-onnx),
# and the ONNX project's node tests from libonnx-testdata through onnx-run.
ONNX_TEST_LIBS = $(top_builddir)/features/libonnx.la $(ARPG_LIB) $(BLIS_LIBS) -lm
ONNX_TEST_CPPFLAGS = $(ARPG_TEST_CPPFLAGS) -I$(top_srcdir)/features -I$(top_builddir)/features
check_PROGRAMS += tests/test_onnx tests/test_onnx_iresnet tests/test_onnx_conformance \
	tests/test_onnx_wino
TESTS += tests/test_onnx tests/test_onnx_iresnet tests/test_onnx_conformance tests/test_onnx_wino \
	tests/onnx_wino_kernels.sh
dist_check_SCRIPTS += tests/onnx_wino_kernels.sh
EXTRA_DIST += tests/onnx/make_iresnet.py
tests_test_onnx_SOURCES = tests/test_onnx.c $(ARPG_TEST_SOURCES)
tests_test_onnx_CPPFLAGS = $(ONNX_TEST_CPPFLAGS)
tests_test_onnx_CFLAGS = $(AM_CFLAGS) $(PROTOBUFC_CFLAGS)
tests_test_onnx_LDADD = $(ONNX_TEST_LIBS)
$(tests_test_onnx_OBJECTS): features/onnx.pb-c.h
tests_test_onnx_iresnet_SOURCES = tests/test_onnx_iresnet.c $(ARPG_TEST_SOURCES)
tests_test_onnx_iresnet_CPPFLAGS = $(ONNX_TEST_CPPFLAGS)
tests_test_onnx_iresnet_LDADD = $(ONNX_TEST_LIBS)
tests_test_onnx_conformance_SOURCES = tests/test_onnx_conformance.c $(ARPG_TEST_SOURCES)
tests_test_onnx_conformance_CPPFLAGS = $(ONNX_TEST_CPPFLAGS)
tests_test_onnx_conformance_LDADD = $(ONNX_TEST_LIBS)
tests_test_onnx_wino_SOURCES = tests/test_onnx_wino.c $(ARPG_TEST_SOURCES)
tests_test_onnx_wino_CPPFLAGS = $(ONNX_TEST_CPPFLAGS)
tests_test_onnx_wino_LDADD = $(ONNX_TEST_LIBS)
FUZZERS += tests/fuzz/fuzz_frames_tsv
tests_fuzz_fuzz_frames_tsv_SOURCES = tests/fuzz/fuzz_frames_tsv.c $(FUZZ_MAIN)
tests_fuzz_fuzz_frames_tsv_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/features
tests_fuzz_fuzz_frames_tsv_LDADD = features/libfeatures.la $(ARPG_LIB) -lm
tests_fuzz_fuzz_frames_tsv_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_CFLAGS)
FUZZERS += tests/fuzz/fuzz_onnx
tests_fuzz_fuzz_onnx_SOURCES = tests/fuzz/fuzz_onnx.c $(FUZZ_MAIN)
tests_fuzz_fuzz_onnx_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/features
tests_fuzz_fuzz_onnx_LDADD = $(top_builddir)/features/libonnx.la $(ARPG_LIB) $(BLIS_LIBS) -lm
tests_fuzz_fuzz_onnx_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_CFLAGS)

# arpg-features onnx-run on iresnet18 and iresnet50 exports against PyTorch.
TESTS += tests/onnx_run.sh
dist_check_SCRIPTS += tests/onnx_run.sh
