# Tests of arpg-preprocess (unit, program and end-to-end); see tests/local.mk for the pattern.
# test_preprocess.sh makes its clips with the ffmpeg CLI and archives with
# zip, tar and 7z; test_preprocess_framemd5 is its helper (frame hashes).
check_PROGRAMS += tests/test_preprocess_framemd5
tests_test_preprocess_framemd5_SOURCES = tests/test_preprocess_framemd5.c
tests_test_preprocess_framemd5_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/preprocess
tests_test_preprocess_framemd5_CFLAGS = $(AM_CFLAGS) $(AVUTIL_CFLAGS)
tests_test_preprocess_framemd5_LDADD = $(PREPROCESS_LIBS)
TESTS += tests/test_preprocess.sh
dist_check_SCRIPTS += tests/test_preprocess.sh
