# arpg-report: learning curves, confusion matrices, ablation charts, contact sheets.
# JSON lines through json-c, drawing and PNG through cairo.
bin_PROGRAMS += report/arpg-report
report_arpg_report_SOURCES = report/main.c \
	report/runlog.c report/runlog.h \
	report/chart.c report/chart.h \
	report/figures.c report/figures.h
report_arpg_report_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(CAIRO_CFLAGS)
report_arpg_report_LDADD = $(ARPG_LIB) $(JSONC_LIBS) $(CAIRO_LIBS) -lm
dist_man_MANS += man/arpg-report.1
