# arpg-train: options (main.c); the modules beneath it are a library the
# tests link too: experiments and sweeps, data loading, training runs,
# metrics, checkpoints.
bin_PROGRAMS += train/arpg-train
train_arpg_train_SOURCES = train/main.c
train_arpg_train_LDADD = train/libtrain.la train/libmodel.la $(ARPG_ONNX_LIB) $(ARPG_LIB) \
	$(BLIS_LIBS) $(LMDB_LIBS) $(MD_LIBS) -lm
noinst_LTLIBRARIES += train/libtrain.la
train_libtrain_la_SOURCES = train/experiment.c train/experiment.h train/sweep.c \
	train/sweep.h train/data.c train/data.h train/run.c train/run.h train/metrics.c \
	train/metrics.h train/checkpoint.c train/checkpoint.h train/export.c train/export.h \
	train/frames.c train/frames.h train/tune_onnx.c train/tune_onnx.h \
	train/tune_run.c train/tune_run.h train/tune_backbone.c \
	train/tune_backbone.h
train_libtrain_la_CFLAGS = $(AM_CFLAGS) $(MD_CFLAGS)
dist_man_MANS += man/arpg-train.1
# The ARPGNet head: layers, model, optimizer; also linked by the tests.
noinst_LTLIBRARIES += train/libmodel.la
train_libmodel_la_SOURCES = train/layers.c train/layers.h train/model.c train/model.h \
	train/optim.c train/optim.h train/tune.c train/tune.h train/tune_wgrad.c \
	train/tune_wgrad.h train/tune_phase.c train/tune_phase.h
# no errno from libm: nothing here reads it, and a loop calling sqrtf with
# it does not vectorise (the optimizer's step ran a value at a time)
train_libmodel_la_CFLAGS = $(AM_CFLAGS) $(BLIS_CFLAGS) -fno-math-errno
train_libmodel_la_LIBADD = $(BLIS_LIBS) -lm
