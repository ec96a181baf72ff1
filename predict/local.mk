# arpg-predict: options (main.c); the run beneath it runs the other three
# programs as child processes (it includes none of their headers).
bin_PROGRAMS += predict/arpg-predict
predict_arpg_predict_SOURCES = predict/main.c predict/run.c predict/run.h \
	predict/spawn.c predict/spawn.h predict/plan.c predict/plan.h \
	predict/inputs.c predict/inputs.h predict/output.c predict/output.h
predict_arpg_predict_CFLAGS = $(AM_CFLAGS) $(MD_CFLAGS)
predict_arpg_predict_LDADD = $(ARPG_LIB) $(MD_LIBS)
dist_man_MANS += man/arpg-predict.1
