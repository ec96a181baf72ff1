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

# Fuzz harnesses of the demuxing and archive paths (seed corpora in
# tests/fuzz/corpus/demux and archive: tiny clips and archives).
FUZZERS += tests/fuzz/fuzz_demux tests/fuzz/fuzz_archive
tests_fuzz_fuzz_demux_SOURCES = tests/fuzz/fuzz_demux.c $(FUZZ_MAIN)
tests_fuzz_fuzz_demux_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/preprocess
tests_fuzz_fuzz_demux_CFLAGS = $(AM_CFLAGS) $(AVUTIL_CFLAGS)
tests_fuzz_fuzz_demux_LDADD = $(PREPROCESS_LIBS)
tests_fuzz_fuzz_demux_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_CFLAGS)
tests_fuzz_fuzz_archive_SOURCES = tests/fuzz/fuzz_archive.c $(FUZZ_MAIN)
tests_fuzz_fuzz_archive_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/preprocess
tests_fuzz_fuzz_archive_LDADD = $(PREPROCESS_LIBS)
tests_fuzz_fuzz_archive_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_CFLAGS)

# Landmarks (shape.c) and alignment (align.c), issue 5: unit tests; the
# comparisons with dlib (a C++ reference built by the test with g++ and
# libdlib-dev) and with OpenCV (python3-opencv) on Debian's real faces,
# both driving face_tool; the landmark model's fuzz harness.
FACE_TEST_LIBS = preprocess/libface.la $(ARPG_LIB) -lbz2 -lm
check_PROGRAMS += tests/test_shape tests/test_align tests/face_tool
TESTS += tests/test_shape tests/test_align tests/test_shape_dlib.sh tests/test_align_cv2.sh
dist_check_SCRIPTS += tests/test_shape_dlib.sh tests/test_align_cv2.sh
EXTRA_DIST += tests/dlib_ref.cpp tests/face_media.py
tests_test_shape_SOURCES = tests/test_shape.c $(ARPG_TEST_SOURCES)
tests_test_shape_CPPFLAGS = $(ARPG_TEST_CPPFLAGS) -I$(top_srcdir)/preprocess
tests_test_shape_LDADD = $(FACE_TEST_LIBS)
tests_test_align_SOURCES = tests/test_align.c $(ARPG_TEST_SOURCES)
tests_test_align_CPPFLAGS = $(ARPG_TEST_CPPFLAGS) -I$(top_srcdir)/preprocess
tests_test_align_LDADD = $(FACE_TEST_LIBS)
tests_face_tool_SOURCES = tests/face_tool.c
tests_face_tool_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/preprocess
tests_face_tool_LDADD = $(FACE_TEST_LIBS) $(XML_LIBS)
FUZZERS += tests/fuzz/fuzz_shape
tests_fuzz_fuzz_shape_SOURCES = tests/fuzz/fuzz_shape.c $(FUZZ_MAIN)
tests_fuzz_fuzz_shape_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/preprocess
tests_fuzz_fuzz_shape_LDADD = $(FACE_TEST_LIBS)
tests_fuzz_fuzz_shape_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_CFLAGS)

# Face detection (cascade.c), issue 5: unit tests; the comparison with
# OpenCV's detectMultiScale (python3-opencv) on Debian's real faces, driving
# bench/face_detect (also the benchmark's C side); the cascade's fuzz harness.
CASCADE_TEST_LIBS = preprocess/libface.la $(ARPG_LIB) $(XML_LIBS) -lm
check_PROGRAMS += tests/test_cascade bench/face_detect
TESTS += tests/test_cascade tests/cascade_opencv.py
dist_check_SCRIPTS += tests/cascade_opencv.py
EXTRA_DIST += bench/face_detect.py
tests_test_cascade_SOURCES = tests/test_cascade.c $(ARPG_TEST_SOURCES)
tests_test_cascade_CPPFLAGS = $(ARPG_TEST_CPPFLAGS) -I$(top_srcdir)/preprocess
tests_test_cascade_LDADD = $(CASCADE_TEST_LIBS)
bench_face_detect_SOURCES = bench/face_detect.c
bench_face_detect_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/preprocess
bench_face_detect_LDADD = $(CASCADE_TEST_LIBS) -lpthread
FUZZERS += tests/fuzz/fuzz_cascade
tests_fuzz_fuzz_cascade_SOURCES = tests/fuzz/fuzz_cascade.c $(FUZZ_MAIN)
tests_fuzz_fuzz_cascade_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/preprocess
tests_fuzz_fuzz_cascade_LDADD = $(CASCADE_TEST_LIBS)
tests_fuzz_fuzz_cascade_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_CFLAGS)
check_PROGRAMS += tests/test_face
TESTS += tests/test_face
tests_test_face_SOURCES = tests/test_face.c $(ARPG_TEST_SOURCES)
tests_test_face_CPPFLAGS = $(ARPG_TEST_CPPFLAGS) -I$(top_srcdir)/preprocess
tests_test_face_LDADD = $(FACE_TEST_LIBS) $(XML_LIBS)
TESTS += tests/test_face_cv2.sh
dist_check_SCRIPTS += tests/test_face_cv2.sh
