# The ONNX inference engine on BLIS: loader, planner, operators, Winograd.
# Linked by arpg-features (backbones), its tests and bench/backbone.
# common/onnx/onnx.proto (the subset of ONNX's schema read) is compiled by
# protoc-c into the build tree; the generated C is built without the
# project's warning flags (it is not ours to fix).
ONNX_PB = common/onnx/onnx.pb-c.c common/onnx/onnx.pb-c.h
BUILT_SOURCES += $(ONNX_PB)
CLEANFILES += $(ONNX_PB)
EXTRA_DIST += common/onnx/onnx.proto
common/onnx/onnx.pb-c.c common/onnx/onnx.pb-c.h: common/onnx/onnx.stamp
	@test -f $@ || { rm -f common/onnx/onnx.stamp; $(MAKE) $(AM_MAKEFLAGS) common/onnx/onnx.stamp; }
common/onnx/onnx.stamp: $(top_srcdir)/common/onnx/onnx.proto
	@$(MKDIR_P) common/onnx
	$(AM_V_GEN)$(PROTOC_C) --proto_path=$(top_srcdir)/common/onnx --c_out=common/onnx onnx.proto
	@touch $@
CLEANFILES += common/onnx/onnx.stamp

noinst_LTLIBRARIES += common/onnx/libonnxpb.la common/onnx/libarpg_onnx.la
nodist_common_onnx_libonnxpb_la_SOURCES = $(ONNX_PB)
common_onnx_libonnxpb_la_CFLAGS = -std=gnu11 $(PROTOBUFC_CFLAGS) $(SAN_CFLAGS)
common_onnx_libonnxpb_la_LIBADD = $(PROTOBUFC_LIBS)

common_onnx_libarpg_onnx_la_SOURCES = common/onnx/onnx.h common/onnx/onnx_impl.h \
	common/onnx/onnx_load.c common/onnx/onnx_plan.c common/onnx/onnx_ops.c \
	common/onnx/onnx_wino.c common/onnx/onnx_wino.h common/onnx/onnx_pw.c common/onnx/onnx_build.c common/onnx/onnx_build.h \
	common/onnx/onnx_graph.c

common_onnx_libarpg_onnx_la_CFLAGS = $(AM_CFLAGS) $(PROTOBUFC_CFLAGS) $(BLIS_CFLAGS)
common_onnx_libarpg_onnx_la_LIBADD = common/onnx/libonnxpb.la $(PROTOBUFC_LIBS) $(BLIS_LIBS) -lm
# BUILT_SOURCES is made first only for all, check and install; targets such
# as 'make fuzzers' need the generated header named as a prerequisite.
$(common_onnx_libarpg_onnx_la_OBJECTS): common/onnx/onnx.pb-c.h

# What a program links to run ONNX models.
ARPG_ONNX_LIB = $(top_builddir)/common/onnx/libarpg_onnx.la $(ARPG_LIB) $(BLIS_LIBS) -lm
