# Tests of the face engines (common/face): one unit test per module (the
# cascade's XML reader, pyramid, detection and grouping, the landmarks,
# alignment, the tracker, the CNN detectors' decoders and refusals); the
# comparisons with OpenCV's detectMultiScale (python3-opencv, driving
# bench/face_detect), with dlib (a C++ reference built by the test with
# g++ and libdlib-dev) and with cv2.warpAffine on Debian's real faces, both
# driving face_tool; the CNN detectors' decoding against numpy ports of
# their references (detector_ref.sh, driving detect_tool; scrfd_ref.sh on
# SCRFDs built by make_scrfd.py, also against onnxruntime-node); the fuzz
# harnesses of the cascade XML, the landmark model and the CNN detectors.
check_PROGRAMS += tests/face/test_cascade_xml tests/face/test_cascade_pyramid \
	tests/face/test_cascade_detect tests/face/test_cascade_group \
	tests/face/test_shape tests/face/test_align tests/face/test_tracker \
	tests/face/test_detector tests/face/face_tool tests/face/detect_tool bench/face_detect
TESTS += tests/face/test_cascade_xml tests/face/test_cascade_pyramid \
	tests/face/test_cascade_detect tests/face/test_cascade_group tests/face/cascade_opencv.py \
	tests/face/test_shape tests/face/test_shape_dlib.sh \
	tests/face/test_align tests/face/test_align_cv2.sh \
	tests/face/test_tracker tests/face/test_face_cv2.sh tests/face/test_detector \
	tests/face/detector_ref.sh tests/face/scrfd_ref.sh
dist_check_SCRIPTS += tests/face/cascade_opencv.py tests/face/test_shape_dlib.sh \
	tests/face/detector_ref.sh tests/face/scrfd_ref.sh tests/face/detector_ports.py \
	tests/face/test_align_cv2.sh tests/face/test_face_cv2.sh
# The cascade tests load the fuzz corpus's hand-made cascades.
CASCADE_SEED = tests/face/cascade_seed.c tests/face/cascade_seed.h
EXTRA_DIST += tests/face/dlib_ref.cpp tests/face/face_media.py bench/face_detect.py \
	tests/face/make_scrfd.py
tests_face_test_cascade_xml_SOURCES = tests/face/test_cascade_xml.c $(CASCADE_SEED) \
	$(ARPG_TEST_SOURCES)
tests_face_test_cascade_xml_CPPFLAGS = $(ARPG_TEST_CPPFLAGS)
tests_face_test_cascade_xml_LDADD = $(ARPG_FACE_LIB)
tests_face_test_cascade_pyramid_SOURCES = tests/face/test_cascade_pyramid.c $(ARPG_TEST_SOURCES)
tests_face_test_cascade_pyramid_CPPFLAGS = $(ARPG_TEST_CPPFLAGS)
tests_face_test_cascade_pyramid_LDADD = $(ARPG_FACE_LIB)
tests_face_test_cascade_detect_SOURCES = tests/face/test_cascade_detect.c $(CASCADE_SEED) \
	$(ARPG_TEST_SOURCES)
tests_face_test_cascade_detect_CPPFLAGS = $(ARPG_TEST_CPPFLAGS)
tests_face_test_cascade_detect_LDADD = $(ARPG_FACE_LIB)
tests_face_test_cascade_group_SOURCES = tests/face/test_cascade_group.c $(ARPG_TEST_SOURCES)
tests_face_test_cascade_group_CPPFLAGS = $(ARPG_TEST_CPPFLAGS)
tests_face_test_cascade_group_LDADD = $(ARPG_FACE_LIB)
tests_face_test_shape_SOURCES = tests/face/test_shape.c $(ARPG_TEST_SOURCES)
tests_face_test_shape_CPPFLAGS = $(ARPG_TEST_CPPFLAGS)
tests_face_test_shape_LDADD = $(ARPG_FACE_LIB)
tests_face_test_align_SOURCES = tests/face/test_align.c $(ARPG_TEST_SOURCES)
tests_face_test_align_CPPFLAGS = $(ARPG_TEST_CPPFLAGS)
tests_face_test_align_LDADD = $(ARPG_FACE_LIB)
tests_face_test_tracker_SOURCES = tests/face/test_tracker.c $(ARPG_TEST_SOURCES)
tests_face_test_tracker_CPPFLAGS = $(ARPG_TEST_CPPFLAGS)
tests_face_test_tracker_LDADD = $(ARPG_FACE_LIB)
tests_face_test_detector_SOURCES = tests/face/test_detector.c tests/onnx/onnx_testmodel.c \
	tests/onnx/onnx_testmodel.h $(ARPG_TEST_SOURCES)
tests_face_test_detector_CPPFLAGS = $(ARPG_TEST_CPPFLAGS) -I$(top_srcdir)/tests/onnx
tests_face_test_detector_CFLAGS = $(AM_CFLAGS) $(PROTOBUFC_CFLAGS)
tests_face_test_detector_LDADD = $(ARPG_FACE_LIB) $(top_builddir)/common/onnx/libonnxpb.la \
	$(PROTOBUFC_LIBS)
$(tests_face_test_detector_OBJECTS): common/onnx/onnx.pb-c.h
tests_face_face_tool_SOURCES = tests/face/face_tool.c tests/face/ppm.c tests/face/ppm.h
tests_face_face_tool_LDADD = $(ARPG_FACE_LIB)
tests_face_detect_tool_SOURCES = tests/face/detect_tool.c tests/face/ppm.c tests/face/ppm.h
tests_face_detect_tool_LDADD = $(ARPG_FACE_LIB)
bench_face_detect_SOURCES = bench/face_detect.c
bench_face_detect_LDADD = $(ARPG_FACE_LIB) -lpthread

FUZZERS += tests/fuzz/fuzz_cascade tests/fuzz/fuzz_shape tests/fuzz/fuzz_detector
tests_fuzz_fuzz_detector_SOURCES = tests/fuzz/fuzz_detector.c $(FUZZ_MAIN)
tests_fuzz_fuzz_detector_LDADD = $(ARPG_FACE_LIB)
tests_fuzz_fuzz_detector_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_CFLAGS)
tests_fuzz_fuzz_cascade_SOURCES = tests/fuzz/fuzz_cascade.c $(FUZZ_MAIN)
tests_fuzz_fuzz_cascade_LDADD = $(ARPG_FACE_LIB)
tests_fuzz_fuzz_cascade_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_CFLAGS)
tests_fuzz_fuzz_shape_SOURCES = tests/fuzz/fuzz_shape.c $(FUZZ_MAIN)
tests_fuzz_fuzz_shape_LDADD = $(ARPG_FACE_LIB)
tests_fuzz_fuzz_shape_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_CFLAGS)
