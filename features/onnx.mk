# The ONNX engine on BLIS (issue 6), linked by arpg-features.
noinst_LTLIBRARIES += features/libonnx.la
features_libonnx_la_SOURCES = features/backbone_onnx.c features/backbone.h \
	features/onnx_run.c features/onnx_run.h
features_libonnx_la_CFLAGS = $(AM_CFLAGS) $(PROTOBUFC_CFLAGS) $(BLIS_CFLAGS) $(MD_CFLAGS)
features_libonnx_la_LIBADD = $(PROTOBUFC_LIBS) $(BLIS_LIBS) $(MD_LIBS)
