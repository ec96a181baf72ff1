# arpg-preprocess: rules live here (see Makefile.am).
bin_PROGRAMS += preprocess/arpg-preprocess
preprocess_arpg_preprocess_SOURCES = preprocess/main.c preprocess/run.c preprocess/run.h \
	preprocess/sheet.c preprocess/sheet.h
preprocess_arpg_preprocess_LDADD = preprocess/libpreprocess.la $(ARPG_FACE_LIB) \
	$(AVFORMAT_LIBS) $(AVCODEC_LIBS) $(SWSCALE_LIBS) $(AVUTIL_LIBS) $(ARCHIVE_LIBS) \
	$(CAIRO_LIBS) -lpthread
preprocess_arpg_preprocess_CFLAGS = $(AM_CFLAGS) $(AVUTIL_CFLAGS) $(CAIRO_CFLAGS)

# The modules, also linked by the tests and fuzz harnesses.
noinst_LTLIBRARIES += preprocess/libpreprocess.la
preprocess_libpreprocess_la_SOURCES = \
	preprocess/dataset.c preprocess/dataset.h \
	preprocess/decode.c preprocess/decode.h \
	preprocess/crop.c preprocess/crop.h \
	preprocess/clip.c preprocess/clip.h \
	preprocess/origin.c preprocess/origin.h \
	preprocess/abaw.c preprocess/abaw.h
preprocess_libpreprocess_la_CFLAGS = $(AM_CFLAGS) $(AVFORMAT_CFLAGS) $(AVCODEC_CFLAGS) \
	$(SWSCALE_CFLAGS) $(AVUTIL_CFLAGS) $(ARCHIVE_CFLAGS)
preprocess_libpreprocess_la_LIBADD = $(AVFORMAT_LIBS) $(AVCODEC_LIBS) $(SWSCALE_LIBS) \
	$(AVUTIL_LIBS) $(ARCHIVE_LIBS)
PREPROCESS_LIBS = preprocess/libpreprocess.la $(ARPG_FACE_LIB) \
	$(AVFORMAT_LIBS) $(AVCODEC_LIBS) $(SWSCALE_LIBS) $(AVUTIL_LIBS) $(ARCHIVE_LIBS) -lpthread
dist_man_MANS += man/arpg-preprocess.1
