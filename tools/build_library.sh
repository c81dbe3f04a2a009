#!/usr/bin/env bash
# Builds the release library (static Swift stdlib: no toolchain needed at run time) into
# .build/lib and prints the path of its libvidtemporal.so. The one place the release flags live:
# the Makefile and setup.py both call it; a user of the library takes every libvidtemporal*.so
# of that directory.
#
# On x86-64 Linux the kernels are built twice, for the baseline x86-64 and for x86-64-v3 (AVX2,
# FMA, F16C), and libvidtemporal.so is the small loader (loader/vidtemporal_loader.c) that picks
# one from cpuid at load time. Elsewhere libvidtemporal.so is the one build for the host.
#
# --asan: the x86-64-v3 kernels instrumented by AddressSanitizer, in .build/asan (make
# test-asan); prints that library's path (no loader).
set -euo pipefail
cd "$(dirname "$0")/.."
v3=(-Xswiftc -target-cpu -Xswiftc haswell -Xswiftc -DVT_BUILD_X86_64_V3)
if [[ "$(uname -s)" == Darwin ]]; then
    # Darwin (not tested here): the Swift runtime is the system's; ld64 exports by pattern.
    release=(-c release -Xlinker -exported_symbol -Xlinker '_vt_*')
    ext=dylib
else
    release=(-c release -Xlinker "--version-script=$PWD/tools/vidtemporal.map" -Xswiftc -static-stdlib)
    ext=so
fi

built() { swift build "$@" --product vidtemporal >&2 && echo "$(swift build "$@" --show-bin-path)/libvidtemporal.$ext"; }
# A copy without the DWARF (mostly the static Swift runtime's): a third of the size; the symbol
# table stays, so backtraces and profiles still name the functions.
copy_stripped() { cp "$1" "$2" && if [[ $ext == so ]]; then strip --strip-debug "$2"; fi; }

if [[ "${1:-}" == --asan ]]; then
    flags=(-c release -Xlinker "--version-script=$PWD/tools/vidtemporal.map" --scratch-path .build/asan
           -Xswiftc -sanitize=address)
    [[ "$(uname -m)" == x86_64 ]] && flags+=("${v3[@]}")
    built "${flags[@]}"
    exit
fi

out=.build/lib
rm -rf "$out" .build/loader && mkdir -p "$out" .build/loader
if [[ "$(uname -s)-$(uname -m)" == Linux-x86_64 ]]; then
    copy_stripped "$(built "${release[@]}" "${v3[@]}")" "$out/libvidtemporal-x86-64-v3.so"
    copy_stripped "$(built "${release[@]}" --scratch-path .build/baseline)" "$out/libvidtemporal-x86-64.so"
    # The loader forwards exactly the functions the header declares.
    { printf '#define VT_EXPORTS(X)'; tools/header_functions.sh | sed 's/.*/ X(&)/' | tr -d '\n'; echo; } \
        > .build/loader/exports.inc
    # For the baseline whatever the compiler's default: the loader runs before any choice is made.
    cc -std=c11 -O2 -march=x86-64 -mtune=generic -fPIC -shared -Wall -Wextra -Werror -I .build/loader \
        loader/vidtemporal_loader.c -o "$out/libvidtemporal.so" -ldl -Wl,--version-script=tools/vidtemporal.map \
        -Wl,-z,now
else
    copy_stripped "$(built "${release[@]}")" "$out/libvidtemporal.$ext"
fi
echo "$PWD/$out/libvidtemporal.$ext"
