#!/usr/bin/env bash
# Builds the release libvidtemporal.so (static Swift stdlib: no toolchain needed at run time) and
# prints its path. The one place the release flags live: the Makefile and setup.py both call it.
# --asan: the same library instrumented by AddressSanitizer, in .build/asan (make test-asan).
set -euo pipefail
cd "$(dirname "$0")/.."
flags=(-c release -Xswiftc -target-cpu -Xswiftc haswell -Xlinker "--version-script=$PWD/tools/vidtemporal.map")
if [[ "${1:-}" == --asan ]]; then
    flags+=(--scratch-path .build/asan -Xswiftc -sanitize=address)
else
    flags+=(-Xswiftc -static-stdlib)
fi
swift build "${flags[@]}" --product vidtemporal >&2
echo "$(swift build "${flags[@]}" --show-bin-path)/libvidtemporal.so"
