# Manual pages (mdoc).  Each program's fragment adds its own page.
dist_man_MANS += man/arpg.7
lint-man:
	mandoc -T lint -W warning $(dist_man_MANS:%=$(srcdir)/%)
.PHONY: lint-man
