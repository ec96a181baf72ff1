# libarpg: what two or more programs share.
noinst_LTLIBRARIES += common/libarpg.la
common_libarpg_la_SOURCES = \
	common/error.c common/error.h \
	common/log.c common/log.h \
	common/progress.c common/progress.h \
	common/blis_setup.c common/blis_setup.h \
	common/manifest.c common/manifest.h \
	common/image.c common/image.h \
	common/tensor.c common/tensor.h \
	common/cache.c common/cache.h \
	common/lock.c common/lock.h \
	common/mdbcheck.c common/mdbcheck.h \
	common/fileio.c common/fileio.h \
	common/cli.c common/cli.h \
	common/workq.c common/workq.h \
	common/kv.c common/kv.h \
	common/grow.c common/grow.h \
	common/le.h \
	common/frames_tsv.c common/frames_tsv.h \
	common/origin_tsv.c common/origin_tsv.h \
	common/model_file.c common/model_file.h \
	common/text.c common/text.h
common_libarpg_la_CFLAGS = $(AM_CFLAGS) $(MD_CFLAGS) $(PNG_CFLAGS) $(LMDB_CFLAGS) $(ZLIB_CFLAGS) $(BLIS_CFLAGS)
common_libarpg_la_LIBADD = $(MD_LIBS) $(PNG_LIBS) $(LMDB_LIBS) $(ZLIB_LIBS) $(BLIS_LIBS) -lpthread -lm

# Programs link this, plus the libraries of their own modules.
ARPG_LIB = $(top_builddir)/common/libarpg.la
