# The ONNX engine on BLIS (issue 6), linked by arpg-features.
# features/onnx.proto (the subset of ONNX's schema read) is compiled by
# protoc-c into the build tree; the generated C is built without the
# project's warning flags (it is not ours to fix).
ONNX_PB = features/onnx.pb-c.c features/onnx.pb-c.h
BUILT_SOURCES += $(ONNX_PB)
CLEANFILES += $(ONNX_PB)
EXTRA_DIST += features/onnx.proto
features/onnx.pb-c.c features/onnx.pb-c.h: features/onnx.stamp
	@test -f $@ || { rm -f features/onnx.stamp; $(MAKE) $(AM_MAKEFLAGS) features/onnx.stamp; }
features/onnx.stamp: $(top_srcdir)/features/onnx.proto
	@$(MKDIR_P) features
	$(AM_V_GEN)$(PROTOC_C) --proto_path=$(top_srcdir)/features --c_out=features onnx.proto
	@touch $@
CLEANFILES += features/onnx.stamp

noinst_LTLIBRARIES += features/libonnxpb.la features/libonnx.la
nodist_features_libonnxpb_la_SOURCES = $(ONNX_PB)
features_libonnxpb_la_CFLAGS = -std=gnu11 $(PROTOBUFC_CFLAGS) $(SAN_CFLAGS)
features_libonnxpb_la_LIBADD = $(PROTOBUFC_LIBS)

features_libonnx_la_SOURCES = features/backbone_onnx.c features/backbone.h \
	features/onnx.h features/onnx_impl.h features/onnx_load.c features/onnx_plan.c \
	features/onnx_ops.c features/onnx_wino.c features/onnx_run.c features/onnx_run.h
features_libonnx_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_builddir)/features
features_libonnx_la_CFLAGS = $(AM_CFLAGS) $(PROTOBUFC_CFLAGS) $(BLIS_CFLAGS) $(MD_CFLAGS)
features_libonnx_la_LIBADD = features/libonnxpb.la $(PROTOBUFC_LIBS) $(BLIS_LIBS) $(MD_LIBS) -lm
# BUILT_SOURCES is made first only for all, check and install; targets such
# as 'make fuzzers' need the generated header named as a prerequisite.
$(features_libonnx_la_OBJECTS): features/onnx.pb-c.h
