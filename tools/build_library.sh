#!/usr/bin/env bash
# Builds the release libvidtemporal.so (static Swift stdlib: no toolchain needed at run time) and
# prints its path. The one place the release flags live: the Makefile and setup.py both call it.
set -euo pipefail
cd "$(dirname "$0")/.."
flags=(-c release -Xswiftc -static-stdlib -Xswiftc -target-cpu -Xswiftc haswell
       -Xlinker "--version-script=$PWD/tools/vidtemporal.map")
swift build "${flags[@]}" --product vidtemporal >&2
echo "$(swift build "${flags[@]}" --show-bin-path)/libvidtemporal.so"
