# Tests of arpg-preprocess (unit, program and end-to-end); see tests/local.mk for the pattern.
# test_preprocess.sh makes its clips with the ffmpeg CLI and archives with
# zip, tar and 7z; test_preprocess_framemd5 is its helper (frame hashes).
check_PROGRAMS += tests/preprocess/test_preprocess_framemd5
tests_preprocess_test_preprocess_framemd5_SOURCES = tests/preprocess/test_preprocess_framemd5.c
tests_preprocess_test_preprocess_framemd5_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/preprocess
tests_preprocess_test_preprocess_framemd5_CFLAGS = $(AM_CFLAGS) $(AVUTIL_CFLAGS)
tests_preprocess_test_preprocess_framemd5_LDADD = $(PREPROCESS_LIBS)
# detector.sh: --detector's refusals and options, and the real YuNet
# (ARPG_TEST_MODELS) against the cascade on Debian's faces.
TESTS += tests/preprocess/test_preprocess.sh tests/preprocess/detector.sh
dist_check_SCRIPTS += tests/preprocess/test_preprocess.sh tests/preprocess/detector.sh
# test_preprocess_reruns.sh: reruns, colliding ids, links, names and messages
# from outside (issue 15); also runs arpg-features and arpg-train.
TESTS += tests/preprocess/test_preprocess_reruns.sh
dist_check_SCRIPTS += tests/preprocess/test_preprocess_reruns.sh
# affwild2.sh: -l affwild2 on make_demo_data.py's Aff-Wild2-shaped set,
# through arpg-features; bad annotation files (issue 18).
TESTS += tests/preprocess/affwild2.sh
dist_check_SCRIPTS += tests/preprocess/affwild2.sh
# frame_memory.sh: ARPG_FRAME_MEMORY, a clip decoded again per step gives
# the same bytes as one held in memory (cascade, detectors, --smooth, sides).
TESTS += tests/preprocess/frame_memory.sh
dist_check_SCRIPTS += tests/preprocess/frame_memory.sh

# test_abaw: Aff-Wild2's annotation files (preprocess/abaw.c).
check_PROGRAMS += tests/preprocess/test_abaw
TESTS += tests/preprocess/test_abaw
tests_preprocess_test_abaw_SOURCES = tests/preprocess/test_abaw.c $(ARPG_TEST_SOURCES)
tests_preprocess_test_abaw_CPPFLAGS = $(ARPG_TEST_CPPFLAGS) -I$(top_srcdir)/preprocess
tests_preprocess_test_abaw_LDADD = $(PREPROCESS_LIBS)

# Fuzz harnesses of the demuxing and archive paths and the annotation files
# (seed corpora in tests/fuzz/corpus/demux, archive, abaw).
FUZZERS += tests/fuzz/fuzz_demux tests/fuzz/fuzz_archive tests/fuzz/fuzz_abaw
tests_fuzz_fuzz_abaw_SOURCES = tests/fuzz/fuzz_abaw.c $(FUZZ_MAIN)
tests_fuzz_fuzz_abaw_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/preprocess
tests_fuzz_fuzz_abaw_LDADD = $(PREPROCESS_LIBS)
tests_fuzz_fuzz_abaw_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_CFLAGS)
tests_fuzz_fuzz_demux_SOURCES = tests/fuzz/fuzz_demux.c $(FUZZ_MAIN)
tests_fuzz_fuzz_demux_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/preprocess
tests_fuzz_fuzz_demux_CFLAGS = $(AM_CFLAGS) $(AVUTIL_CFLAGS)
tests_fuzz_fuzz_demux_LDADD = $(PREPROCESS_LIBS)
tests_fuzz_fuzz_demux_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_CFLAGS)
tests_fuzz_fuzz_archive_SOURCES = tests/fuzz/fuzz_archive.c $(FUZZ_MAIN)
tests_fuzz_fuzz_archive_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/preprocess
tests_fuzz_fuzz_archive_LDADD = $(PREPROCESS_LIBS)
tests_fuzz_fuzz_archive_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_CFLAGS)

