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
