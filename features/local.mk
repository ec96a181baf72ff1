# arpg-features: rules live here (see Makefile.am).
