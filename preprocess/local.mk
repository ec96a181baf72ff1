# arpg-preprocess: rules live here (see Makefile.am).
