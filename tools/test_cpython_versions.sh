#!/usr/bin/env bash
# The abi3 wheel in every CPython from 3.10 on that pyenv has here (the newest patch release of
# each minor version; the missing ones are skipped): a venv per version with numpy and pytest,
# cached in $VT_CACHE (default /var/cache/vidtemporal), the wheel installed fresh into it, and the
# numpy-level suite run there (the torch tests skip: no torch). Fails if any fails, or if no
# CPython was found.
#
#   tools/test_cpython_versions.sh dist/vidtemporal-*.whl
set -euo pipefail
cd "$(dirname "$0")/.."
wheel=$(readlink -f "$1")
cache=${VT_CACHE:-/var/cache/vidtemporal}
versions=${PYENV_ROOT:-$HOME/.pyenv}/versions
summary=()
for minor in $(ls "$versions" 2>/dev/null | sed -n 's/^3\.\([0-9]*\)\..*/\1/p' | sort -nu); do
    [ "$minor" -ge 10 ] || continue
    python=$(ls -d "$versions"/3."$minor".* | sort -V | tail -1)/bin/python3."$minor"
    [ -x "$python" ] || continue
    venv=$cache/cpython-3.$minor
    if [ ! -e "$venv/.complete" ]; then
        rm -rf "$venv" && mkdir -p "$cache"
        "$python" -m venv "$venv"
        "$venv/bin/pip" install -q numpy pytest
        touch "$venv/.complete"
    fi
    "$venv/bin/pip" install -q --no-deps --force-reinstall "$wheel"
    result=$(cd /tmp && "$venv/bin/python" -m pytest -q -p no:cacheprovider --rootdir="$OLDPWD" "$OLDPWD/python/tests" 2>&1 \
        | tail -1) || { echo "$result"; echo "CPython 3.$minor: FAILED"; exit 1; }
    summary+=("$("$venv/bin/python" -c 'import platform; print("CPython", platform.python_version())'): $result")
done
[ ${#summary[@]} -gt 0 ] || { echo "no CPython 3.10 or newer under $versions"; exit 1; }
printf '%s\n' "${summary[@]}"
