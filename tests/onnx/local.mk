# Tests of the ONNX engine (common/onnx), one per module on models built in
# C (tests/onnx/onnx_testmodel.c, no Python needed): the loader's checks
# (test_onnx_load), shapes, folding and fusion (test_onnx_plan), the
# operators against naive loops (test_onnx_ops), Winograd against a direct
# convolution (test_onnx_wino, and again on other BLIS kernel sets); then
# IResNet against PyTorch (generated at test time by
# tests/onnx/make_iresnet.py; skipped without python3-torch/python3-onnx),
# the ONNX project's node tests from libonnx-testdata through onnx-run; the
# real YuNet (ARPG_TEST_MODELS) against onnxruntime-node (detector_ort.sh);
# and the fuzz harness.

ONNX_C_TESTS = tests/onnx/test_onnx_load tests/onnx/test_onnx_plan tests/onnx/test_onnx_ops
check_PROGRAMS += $(ONNX_C_TESTS) tests/onnx/test_onnx_iresnet \
	tests/onnx/test_onnx_conformance tests/onnx/test_onnx_wino
TESTS += $(ONNX_C_TESTS) tests/onnx/test_onnx_iresnet tests/onnx/test_onnx_conformance \
	tests/onnx/test_onnx_wino tests/onnx/onnx_wino_kernels.sh tests/onnx/onnx_run.sh \
	tests/onnx/detector_ort.sh
dist_check_SCRIPTS += tests/onnx/onnx_wino_kernels.sh tests/onnx/onnx_run.sh \
	tests/onnx/detector_ort.sh
EXTRA_DIST += tests/onnx/make_iresnet.py tests/onnx/detector_inputs.py tests/onnx/ort_run.js \
	tests/onnx/compare_ort.py
# the three share the model builder, which writes protobuf-c's structures
ONNX_TESTMODEL = tests/onnx/onnx_testmodel.c tests/onnx/onnx_testmodel.h $(ARPG_TEST_SOURCES)
ONNX_TESTMODEL_CFLAGS = $(AM_CFLAGS) $(PROTOBUFC_CFLAGS) $(BLIS_CFLAGS)
tests_onnx_test_onnx_load_SOURCES = tests/onnx/test_onnx_load.c $(ONNX_TESTMODEL)
tests_onnx_test_onnx_plan_SOURCES = tests/onnx/test_onnx_plan.c $(ONNX_TESTMODEL)
tests_onnx_test_onnx_ops_SOURCES = tests/onnx/test_onnx_ops.c $(ONNX_TESTMODEL)
tests_onnx_test_onnx_load_CPPFLAGS = $(ARPG_TEST_CPPFLAGS)
tests_onnx_test_onnx_plan_CPPFLAGS = $(ARPG_TEST_CPPFLAGS)
tests_onnx_test_onnx_ops_CPPFLAGS = $(ARPG_TEST_CPPFLAGS)
tests_onnx_test_onnx_load_CFLAGS = $(ONNX_TESTMODEL_CFLAGS)
tests_onnx_test_onnx_plan_CFLAGS = $(ONNX_TESTMODEL_CFLAGS)
tests_onnx_test_onnx_ops_CFLAGS = $(ONNX_TESTMODEL_CFLAGS)
tests_onnx_test_onnx_load_LDADD = $(ARPG_ONNX_LIB)
tests_onnx_test_onnx_plan_LDADD = $(ARPG_ONNX_LIB)
tests_onnx_test_onnx_ops_LDADD = $(ARPG_ONNX_LIB)
$(tests_onnx_test_onnx_load_OBJECTS) $(tests_onnx_test_onnx_plan_OBJECTS) \
	$(tests_onnx_test_onnx_ops_OBJECTS): common/onnx/onnx.pb-c.h
tests_onnx_test_onnx_iresnet_SOURCES = tests/onnx/test_onnx_iresnet.c $(ARPG_TEST_SOURCES)
tests_onnx_test_onnx_iresnet_CPPFLAGS = $(ARPG_TEST_CPPFLAGS)
tests_onnx_test_onnx_iresnet_LDADD = $(ARPG_ONNX_LIB)
tests_onnx_test_onnx_conformance_SOURCES = tests/onnx/test_onnx_conformance.c $(ARPG_TEST_SOURCES)
tests_onnx_test_onnx_conformance_CPPFLAGS = $(ARPG_TEST_CPPFLAGS) -I$(top_srcdir)/features
tests_onnx_test_onnx_conformance_LDADD = $(FEATURES_LIBS)
tests_onnx_test_onnx_wino_SOURCES = tests/onnx/test_onnx_wino.c $(ARPG_TEST_SOURCES)
tests_onnx_test_onnx_wino_CPPFLAGS = $(ARPG_TEST_CPPFLAGS)
tests_onnx_test_onnx_wino_CFLAGS = $(AM_CFLAGS) $(BLIS_CFLAGS)
tests_onnx_test_onnx_wino_LDADD = $(ARPG_ONNX_LIB)

# arpg_onnx_replace_initializers (arpg-train --export-backbone) on a model
# the builder writes.
check_PROGRAMS += tests/onnx/test_onnx_replace
TESTS += tests/onnx/test_onnx_replace
tests_onnx_test_onnx_replace_SOURCES = tests/onnx/test_onnx_replace.c $(ARPG_TEST_SOURCES)
tests_onnx_test_onnx_replace_CPPFLAGS = $(ARPG_TEST_CPPFLAGS)
tests_onnx_test_onnx_replace_LDADD = $(ARPG_ONNX_LIB)

FUZZERS += tests/fuzz/fuzz_onnx
tests_fuzz_fuzz_onnx_SOURCES = tests/fuzz/fuzz_onnx.c $(FUZZ_MAIN)
tests_fuzz_fuzz_onnx_LDADD = $(ARPG_ONNX_LIB)
tests_fuzz_fuzz_onnx_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_CFLAGS)
