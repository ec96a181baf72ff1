#!/bin/sh
# Quick start on a fresh Debian 12 machine: install the dependencies, build,
# and run the whole pipeline on the demo data (make demo).
set -e
cd "$(dirname "$0")/.."
if [ "$(id -u)" = 0 ]; then
	apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		$(grep -v '^#' .ci/packages)
fi
autoreconf -fi
./configure
make -j"$(nproc)"
make demo
