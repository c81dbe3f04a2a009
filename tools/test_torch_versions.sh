#!/usr/bin/env bash
# The wheel against each torch version: a venv per version (torch, numpy, pytest and the ONNX
# packages the torch tests use), cached in $VT_CACHE/torch (default /var/cache/vidtemporal/torch),
# the wheel installed fresh into it, and the Python suite run there, all but the demo's training
# run (test_demo.py: accuracy margins, minutes). Prints one line per version and fails if any fails.
#
#   tools/test_torch_versions.sh dist/vidtemporal-*.whl 2.4.1 2.11.0 2.15.0
#
# The venvs use the Python in $PYTHON (default python3). Versions without a CPU-only build on the
# index install the CUDA build (about 4 GB with its libraries), which runs without a GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
wheel=$(readlink -f "$1"); shift
cache=${VT_CACHE:-/var/cache/vidtemporal}/torch
python=${PYTHON:-python3}
tag=cp$("$python" -c 'import sys; print(f"{sys.version_info[0]}{sys.version_info[1]}")')
summary=()
status=0
for version in "$@"; do
    venv=$cache/torch-$version-$tag
    if [ ! -e "$venv/.complete" ]; then
        echo "torch $version: a venv in $venv (once)"
        rm -rf "$venv" && mkdir -p "$cache"
        "$python" -m venv "$venv"
        "$venv/bin/pip" install -q --upgrade pip
        "$venv/bin/pip" install -q "torch==$version" numpy pytest onnx onnxscript onnxruntime
        touch "$venv/.complete"
    fi
    "$venv/bin/pip" install -q --no-deps --force-reinstall "$wheel"
    echo "torch $version: the suite"
    log=$PWD/.build/torch-$version.log
    mkdir -p .build
    if (cd /tmp && "$venv/bin/python" -m pytest -q -p no:cacheprovider --rootdir="$OLDPWD" \
            --ignore="$OLDPWD/python/tests/test_demo.py" "$OLDPWD/python/tests") > "$log" 2>&1; then
        result=ok
    else
        result=FAILED; status=1
        grep -E "^(FAILED|ERROR)" "$log" || tail -20 "$log"
    fi
    installed=$("$venv/bin/python" -c 'import torch; print(torch.__version__)')
    summary+=("torch $installed: $(tail -1 "$log" | sed 's/=//g; s/^ *//; s/ *$//') ($result)")
done
printf '%s\n' "${summary[@]}"
exit $status
