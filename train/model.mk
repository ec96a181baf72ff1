# The ARPGNet head: layers, model, optimizer (issue 8), linked by arpg-train.
noinst_LTLIBRARIES += train/libmodel.la
train_libmodel_la_SOURCES = train/layers.c train/layers.h train/model.c train/model.h \
	train/optim.c train/optim.h
train_libmodel_la_CFLAGS = $(AM_CFLAGS) $(BLIS_CFLAGS)
train_libmodel_la_LIBADD = $(BLIS_LIBS) -lm
