# Face detection, landmarks and alignment (issue 5), linked by arpg-preprocess.
noinst_LTLIBRARIES += preprocess/libface.la
preprocess_libface_la_SOURCES = preprocess/face.c preprocess/face.h preprocess/cascade.c preprocess/cascade.h
preprocess_libface_la_CFLAGS = $(AM_CFLAGS) $(XML_CFLAGS)
preprocess_libface_la_LIBADD = $(XML_LIBS)
# Landmarks (dlib's shape predictor, bzip2 through libbz2) and alignment.
preprocess_libface_la_SOURCES += preprocess/shape.c preprocess/shape.h \
	preprocess/align.c preprocess/align.h
preprocess_libface_la_LIBADD += -lbz2 -lm
