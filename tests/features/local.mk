# Tests of arpg-features (unit, program and end-to-end); see tests/local.mk for the pattern.
check_PROGRAMS += tests/features/test_features tests/features/test_features_gen
TESTS += tests/features/test_features_lock.sh tests/features/test_features_damage.py tests/features/test_features_ids.sh \
	tests/features/test_features_maps.sh
dist_check_SCRIPTS += tests/features/test_features_lock.sh tests/features/test_features_damage.py \
	tests/features/test_features_ids.sh tests/features/test_features_maps.sh
TESTS += tests/features/test_features tests/features/test_features_cli.sh tests/features/test_features_crash.sh \
	tests/features/test_features_py.sh
dist_check_SCRIPTS += tests/features/test_features_cli.sh tests/features/test_features_crash.sh \
	tests/features/test_features_py.sh
EXTRA_DIST += tests/features/test_features_read.py tests/features/test_features_pool.py
tests_features_test_features_SOURCES = tests/features/test_features.c $(ARPG_TEST_SOURCES)
tests_features_test_features_CPPFLAGS = $(ARPG_TEST_CPPFLAGS) -I$(top_srcdir)/features
tests_features_test_features_LDADD = $(FEATURES_LIBS)
tests_features_test_features_gen_SOURCES = tests/features/test_features_gen.c
tests_features_test_features_gen_LDADD = $(ARPG_LIB) -lm
