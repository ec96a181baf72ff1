#!/bin/sh
# Quick start on a fresh Debian 12 machine: install the dependencies (as
# root), build in build/, and run the whole pipeline on the demo data
# (make demo: tools/demo.sh; outputs in build/demo).
set -e
cd "$(dirname "$0")/.."
if [ "$(id -u)" = 0 ]; then
	apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		$(grep -v '^#' .ci/packages)
fi
autoreconf -fi
# out of the source tree, so that .ci/run's own builds (also out of tree) work afterwards
mkdir -p build
cd build
../configure
make -j"$(nproc)"
make demo
