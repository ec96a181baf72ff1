# The face engines: Viola-Jones cascades (OpenCV's XML through libxml2),
# dlib's shape model (bzip2 through libbz2), the CNN detectors YuNet and
# SCRFD (on libarpg_onnx), five-point ArcFace alignment, and the tracker
# that runs them over a clip.  Linked by arpg-preprocess, its tests and
# bench/face_detect.
noinst_LTLIBRARIES += common/face/libarpg_face.la
common_face_libarpg_face_la_SOURCES = \
	common/face/cascade.h common/face/cascade_impl.h \
	common/face/cascade_xml.c \
	common/face/cascade_pyramid.c common/face/cascade_pyramid.h \
	common/face/cascade_detect.c \
	common/face/cascade_group.c common/face/cascade_group.h \
	common/face/shape.c common/face/shape.h \
	common/face/detector.c common/face/detector.h common/face/detector_impl.h \
	common/face/yunet.c common/face/scrfd.c \
	common/face/align.c common/face/align.h \
	common/face/tracker.c common/face/tracker.h
common_face_libarpg_face_la_CFLAGS = $(AM_CFLAGS) $(XML_CFLAGS)
common_face_libarpg_face_la_LIBADD = $(XML_LIBS) -lbz2 -lm

# What a program links to find, landmark and align faces.
ARPG_FACE_LIB = $(top_builddir)/common/face/libarpg_face.la $(ARPG_ONNX_LIB) $(XML_LIBS) -lbz2 -lm
