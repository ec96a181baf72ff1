# arpg-train: rules live here (see Makefile.am).
