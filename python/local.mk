# The Python package arpg: the cache, manifest.tsv and frames.tsv read from
# Python, and a torch Dataset (README, "Into PyTorch").  Installed into
# $(pkgpythondir) (PYTHONDIR/arpg, byte-compiled) when configure found a
# Python 3.9 or newer; shipped in the tarball either way.
ARPG_PY = python/arpg/__init__.py python/arpg/cache.py python/arpg/sampling.py \
	python/arpg/tsv.py python/arpg/torchdata.py
if HAVE_PYTHON
pkgpython_PYTHON = $(ARPG_PY)
else
EXTRA_DIST += $(ARPG_PY)
endif
