# arpg-features: rules live here (see Makefile.am).
bin_PROGRAMS += features/arpg-features
# The modules of arpg-features, also linked by its unit tests.
noinst_LTLIBRARIES += features/libfeatures.la
features_libfeatures_la_SOURCES = \
	features/hog.c features/hog.h \
	features/backbone_hog.c features/backbone_hog.h \
	features/pool.c features/pool.h \
	features/sample.c features/sample.h \
	features/extract.c features/extract.h \
	features/meta.c features/meta.h \
	features/npy.c features/npy.h \
	features/run.c features/run.h \
	features/cmds.c features/cmds.h \
	features/backbone_onnx.c features/backbone.h \
	features/onnx_run.c features/onnx_run.h
features_libfeatures_la_CFLAGS = $(AM_CFLAGS) $(MD_CFLAGS) $(LMDB_CFLAGS)
features_libfeatures_la_LIBADD = $(MD_LIBS) -lm
features_arpg_features_SOURCES = features/main.c
features_arpg_features_LDADD = features/libfeatures.la $(ARPG_ONNX_LIB) -lpthread
# What the tests of arpg-features link.
FEATURES_LIBS = $(top_builddir)/features/libfeatures.la $(ARPG_ONNX_LIB) -lpthread
dist_man_MANS += man/arpg-features.1 man/arpg-cache.5
