# Tests of libarpg, the harness, and the fuzz corpus replay.
# C unit tests link tests/harness.c (main, TAP output) and libarpg.
ARPG_TEST_SOURCES = tests/harness.c tests/harness.h
ARPG_TEST_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests

check_PROGRAMS += tests/test_error tests/test_manifest tests/test_image \
	tests/test_tensor tests/test_cache tests/test_blis_setup tests/test_progress
TESTS += tests/test_progress tests/test_error tests/test_manifest tests/test_image \
	tests/test_tensor tests/test_cache tests/blis_setup.sh tests/fuzz_replay.sh
dist_check_SCRIPTS += tests/blis_setup.sh tests/fuzz_replay.sh

tests_test_error_SOURCES = tests/test_error.c $(ARPG_TEST_SOURCES)
tests_test_error_CPPFLAGS = $(ARPG_TEST_CPPFLAGS)
tests_test_error_LDADD = $(ARPG_LIB)
tests_test_manifest_SOURCES = tests/test_manifest.c $(ARPG_TEST_SOURCES)
tests_test_manifest_CPPFLAGS = $(ARPG_TEST_CPPFLAGS)
tests_test_manifest_LDADD = $(ARPG_LIB)
tests_test_image_SOURCES = tests/test_image.c $(ARPG_TEST_SOURCES)
tests_test_image_CPPFLAGS = $(ARPG_TEST_CPPFLAGS)
tests_test_image_LDADD = $(ARPG_LIB)
tests_test_tensor_SOURCES = tests/test_tensor.c $(ARPG_TEST_SOURCES)
tests_test_tensor_CPPFLAGS = $(ARPG_TEST_CPPFLAGS)
tests_test_tensor_LDADD = $(ARPG_LIB)
tests_test_cache_SOURCES = tests/test_cache.c $(ARPG_TEST_SOURCES)
tests_test_cache_CPPFLAGS = $(ARPG_TEST_CPPFLAGS)
tests_test_cache_LDADD = $(ARPG_LIB)
tests_test_progress_SOURCES = tests/test_progress.c $(ARPG_TEST_SOURCES)
tests_test_progress_CPPFLAGS = $(ARPG_TEST_CPPFLAGS)
tests_test_progress_LDADD = $(ARPG_LIB)
tests_test_blis_setup_SOURCES = tests/test_blis_setup.c $(ARPG_TEST_SOURCES)
tests_test_blis_setup_CPPFLAGS = $(ARPG_TEST_CPPFLAGS)
tests_test_blis_setup_LDADD = $(ARPG_LIB)

# Fuzz harnesses: one per parser of outside data, each with a seed corpus in
# tests/fuzz/corpus/NAME/.  Normally linked with replay.c (make check runs
# the corpus through them); with --enable-fuzz (clang) with libFuzzer, for
# .ci/run's bounded fuzzing.  Other fragments add their harnesses to FUZZERS
# with the same three lines.
if FUZZ
FUZZ_MAIN =
else
FUZZ_MAIN = tests/fuzz/replay.c
endif
FUZZERS = tests/fuzz/fuzz_manifest tests/fuzz/fuzz_tensor tests/fuzz/fuzz_png \
	tests/fuzz/fuzz_clipinfo
tests_fuzz_fuzz_manifest_SOURCES = tests/fuzz/fuzz_manifest.c $(FUZZ_MAIN)
tests_fuzz_fuzz_manifest_LDADD = $(ARPG_LIB)
tests_fuzz_fuzz_manifest_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_CFLAGS)
tests_fuzz_fuzz_tensor_SOURCES = tests/fuzz/fuzz_tensor.c $(FUZZ_MAIN)
tests_fuzz_fuzz_tensor_LDADD = $(ARPG_LIB)
tests_fuzz_fuzz_tensor_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_CFLAGS)
tests_fuzz_fuzz_png_SOURCES = tests/fuzz/fuzz_png.c $(FUZZ_MAIN)
tests_fuzz_fuzz_png_LDADD = $(ARPG_LIB)
tests_fuzz_fuzz_png_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_CFLAGS)
tests_fuzz_fuzz_clipinfo_SOURCES = tests/fuzz/fuzz_clipinfo.c $(FUZZ_MAIN)
tests_fuzz_fuzz_clipinfo_LDADD = $(ARPG_LIB)
tests_fuzz_fuzz_clipinfo_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_CFLAGS)
EXTRA_DIST += tests/fuzz/replay.c tests/fuzz/corpus
fuzzers: $(FUZZERS)
.PHONY: fuzzers
# check_PROGRAMS takes FUZZERS last, after every fragment has added its own.

# Manual pages lint-clean and complete against each program's --help.
TESTS += tests/man.sh
dist_check_SCRIPTS += tests/man.sh
