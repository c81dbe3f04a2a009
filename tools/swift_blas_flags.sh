#!/usr/bin/env bash
# The swift build/test flags that find the BLAS the kernels link (Sources/COpenBLAS): the header
# and library of scipy-openblas32, from the Python in $PYTHON (default python3) that has it
# installed (the project venv, or pip's build environment). --rpath adds the library's directory
# as an rpath, for what runs here (swift test); the libraries that ship find their copy beside
# them ($ORIGIN).
set -euo pipefail
paths=$("${PYTHON:-python3}" -c 'import scipy_openblas32 as b; print(b.get_include_dir()); print(b.get_lib_dir())') || {
    echo "$0: scipy-openblas32 is not installed for ${PYTHON:-python3} (pip install scipy-openblas32)" >&2
    exit 1
}
include=$(sed -n 1p <<< "$paths")
lib=$(sed -n 2p <<< "$paths")
flags="-Xcc -I$include -Xlinker -L$lib"
[[ "${1:-}" == --rpath ]] && flags+=" -Xlinker -rpath -Xlinker $lib"
echo "$flags"
