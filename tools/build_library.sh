#!/usr/bin/env bash
# Builds the release library (static Swift stdlib: no toolchain needed at run time) into
# .build/lib and prints the path of its libvidtemporal.so. The one place the release flags live:
# the Makefile and setup.py both call it; a user of the library takes every .so of that directory.
#
# On x86-64 Linux the kernels are built three times, for the baseline x86-64, for x86-64-v3
# (AVX2, FMA, F16C) and for x86-64-v4 (AVX-512), and libvidtemporal.so is the small loader (loader/vidtemporal_loader.c) that picks
# one from cpuid at load time. Each is linked by zig cc against glibc 2.28's symbol versions
# (the Swift objects compiled as usual, the static Swift runtime, the system's libstdc++ and
# libgcc_s), so that it loads on any glibc from 2.28 (RHEL 8, Debian 10, Ubuntu 18.10) whatever
# the build machine's glibc. Elsewhere libvidtemporal.so is the one build for the host, linked by
# swift build.
#
# The BLAS (scipy-openblas32's libscipy_openblas.so, Sources/COpenBLAS) is copied beside the
# kernels, which find it there ($ORIGIN). The tools come from the Python in $PYTHON (default
# python3): the scipy-openblas32 and ziglang packages (the project venv has them; pip's build
# environment gets them from pyproject.toml).
#
# --asan: the x86-64-v3 kernels instrumented by AddressSanitizer, in .build/asan (make
# test-asan), linked by swift build; prints that library's path (no loader).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
v3=(-Xswiftc -target-cpu -Xswiftc haswell -Xswiftc -DVT_BUILD_X86_64_V3)
# x86-64-v4: AVX-512, and loops the compiler vectorises itself in 512-bit vectors too (LLVM's
# tuning for these CPUs prefers 256); VT_BUILD_X86_64_V3 holds in it as well (FMA, F16C).
v4=(-Xswiftc -target-cpu -Xswiftc skylake-avx512 -Xcc -mprefer-vector-width=512 -Xswiftc -DVT_BUILD_X86_64_V3
    -Xswiftc -DVT_BUILD_X86_64_V4)
read -r -a blas <<< "$(PYTHON=$PYTHON tools/swift_blas_flags.sh)"
blas_lib=$("$PYTHON" -c 'import scipy_openblas32 as b; print(b.get_lib_dir())')
if [[ "$(uname -s)" == Darwin ]]; then
    # Darwin (not tested here): Accelerate's BLAS, the Swift runtime is the system's; ld64 exports by pattern.
    release=(-c release -Xlinker -exported_symbol -Xlinker '_vt_*')
    ext=dylib
else
    release=(-c release -Xlinker "--version-script=$PWD/tools/vidtemporal.map" -Xswiftc -static-stdlib "${blas[@]}")
    ext=so
fi

built() { swift build "$@" --product vidtemporal >&2 && echo "$(swift build "$@" --show-bin-path)/libvidtemporal.$ext"; }
# A copy without the DWARF (mostly the static Swift runtime's): a third of the size; the symbol
# table stays, so backtraces and profiles still name the functions.
copy_stripped() { cp "$1" "$2" && if [[ $ext == so ]]; then strip --strip-debug "$2"; fi; }

if [[ "${1:-}" == --asan ]]; then
    flags=(-c release -Xlinker "--version-script=$PWD/tools/vidtemporal.map" --scratch-path .build/asan
           -Xswiftc -sanitize=address "${blas[@]}" -Xlinker -rpath -Xlinker "$blas_lib")
    [[ "$(uname -m)" == x86_64 ]] && flags+=("${v3[@]}")
    built "${flags[@]}"
    exit
fi

out=.build/lib
rm -rf "$out" .build/loader && mkdir -p "$out" .build/loader
if [[ "$(uname -s)-$(uname -m)" != Linux-x86_64 ]]; then
    copy_stripped "$(built "${release[@]}")" "$out/libvidtemporal.$ext"
    [[ $ext == so ]] && cp "$blas_lib/libscipy_openblas.so" "$out/"
    echo "$PWD/$out/libvidtemporal.$ext"
    exit
fi

zig=("$PYTHON" -m ziglang cc -target x86_64-linux-gnu.2.28)
toolchain=$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")
swift_static=$toolchain/lib/swift_static/linux

# $(link_for_glibc_2_28 output, swift build flags...): compiles the package's objects with swift
# build and links them with zig cc: the objects of this build (SwiftPM's output file maps), the
# static libraries they ask for (their autolink entries), libstdc++ and libgcc_s as shared
# libraries; -z defs: every symbol resolved now.
link_for_glibc_2_28() {
    local output=$1; shift
    swift build "$@" --target VidTemporal >&2
    local bin objects libraries
    bin=$(swift build "$@" --show-bin-path)
    mapfile -t objects < <("$PYTHON" - "$bin" <<'PY'
import json, pathlib, sys
for target in ("VidTemporal", "COpenMPTasks", "CStreamingStores"):
    build = pathlib.Path(sys.argv[1], f"{target}.build")
    maps = list(build.glob("output-file-map.json"))
    if maps:  # Swift: the map lists this build's objects
        for source, files in json.loads(maps[0].read_text()).items():
            if source and "object" in files:
                print(files["object"])
    else:  # C: one object per source file of the target
        for source in sorted(pathlib.Path("Sources", target).glob("*.c")):
            print(build / f"{source.name}.o")
PY
)
    read -r -a libraries <<< "$("$toolchain/bin/swift-autolink-extract" "${objects[@]}" -o - | sort -u | tr '\n' ' ')"
    "${zig[@]}" -c -fPIC -O2 tools/libstdcxx_compat.c -o "$bin/libstdcxx_compat.o"
    "${zig[@]}" -shared -o "$output" "$swift_static/x86_64/swiftrt.o" "${objects[@]}" "$bin/libstdcxx_compat.o" \
        -L"$swift_static" -L"$blas_lib" -Wl,--start-group "${libraries[@]}" -Wl,--end-group \
        "$(cc -print-file-name=libstdc++.so)" "$(cc -print-file-name=libgcc_s.so.1)" \
        -Wl,--gc-sections -Wl,-z,defs -Wl,-rpath,'$ORIGIN' -Wl,--version-script=tools/vidtemporal.map
}

link_for_glibc_2_28 .build/lib-v3.so "${release[@]}" "${v3[@]}"
link_for_glibc_2_28 .build/lib-v4.so "${release[@]}" "${v4[@]}" --scratch-path .build/v4
link_for_glibc_2_28 .build/lib-baseline.so "${release[@]}" --scratch-path .build/baseline
copy_stripped .build/lib-v4.so "$out/libvidtemporal-x86-64-v4.so"
copy_stripped .build/lib-v3.so "$out/libvidtemporal-x86-64-v3.so"
copy_stripped .build/lib-baseline.so "$out/libvidtemporal-x86-64.so"
cp "$blas_lib/libscipy_openblas.so" "$out/"
# The loader forwards exactly the functions the header declares.
{ printf '#define VT_EXPORTS(X)'; tools/header_functions.sh | sed 's/.*/ X(&)/' | tr -d '\n'; echo; } \
    > .build/loader/exports.inc
# For the baseline whatever the compiler's default: the loader runs before any choice is made.
"${zig[@]}" -mcpu=x86_64 -std=c11 -O2 -fPIC -shared -Wall -Wextra -Werror -I .build/loader \
    loader/vidtemporal_loader.c -o "$out/libvidtemporal.so" -ldl -Wl,--version-script=tools/vidtemporal.map \
    -Wl,-z,now
echo "$PWD/$out/libvidtemporal.so"
