#!/usr/bin/env bash
# The portable wheel installed where nothing of the build is: a minimal Debian root
# (debootstrap --variant=minbase with Debian's python3 and python3-venv only: no OpenBLAS, no Swift,
# no compiler). The wheel, a numpy wheel and pytest's wheels are copied in and installed with
# pip --no-index; then the numpy-level test suite runs there (torch tests skip: no torch), and the C
# streaming example, built on this host against the header inside the wheel, runs there, with each
# kernel build.
#
#   tools/test_clean_root.sh dist/vidtemporal-*.whl
#
# The bare root and the downloaded wheels are cached in $VT_CLEAN_ROOT_CACHE (default
# /var/cache/vidtemporal); each run works on a fresh copy of the root.
set -euo pipefail
cd "$(dirname "$0")/.."
wheel=$(readlink -f "$1")
cache=${VT_CLEAN_ROOT_CACHE:-/var/cache/vidtemporal}
suite=$(. /etc/os-release && echo "$VERSION_CODENAME")
bare=$cache/$suite-python3
root=$PWD/.build/clean-root

# A clean environment in the root as well: only what each command is given.
in_root() { env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }

if [ ! -e "$bare/.complete" ]; then
    command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap; }
    rm -rf "$bare.partial" && mkdir -p "$cache"
    echo "debootstrap $suite (minbase, python3, python3-venv) into $bare"
    debootstrap --variant=minbase --include=python3,python3-venv "$suite" "$bare.partial" http://deb.debian.org/debian \
        > "$cache/debootstrap.log" 2>&1 || { tail -20 "$cache/debootstrap.log"; exit 1; }
    rm -rf "$bare.partial"/var/cache/apt/archives/*.deb
    touch "$bare.partial/.complete" && mv "$bare.partial" "$bare"
fi

# The root's own Python decides which numpy wheel fits it.
python_version=$(in_root chroot "$bare" /usr/bin/python3 -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
wheels=$cache/wheels-cp${python_version/./}
if [ ! -e "$wheels/.complete" ]; then
    rm -rf "$wheels" && mkdir -p "$wheels"
    python3 -m pip download -q --only-binary=:all: --python-version "$python_version" --platform manylinux_2_28_x86_64 \
        --platform manylinux_2_17_x86_64 -d "$wheels" numpy pytest
    touch "$wheels/.complete"
fi

cleanup() { umount "$root/proc" 2>/dev/null || true; }
trap cleanup EXIT
cleanup
rm -rf "$root" && cp -a "$bare" "$root"
mount -t proc proc "$root/proc"

# Nothing of the build is there.
for absent in cc gcc swift; do
    if in_root chroot "$root" /bin/sh -c "command -v $absent" >/dev/null; then echo "the clean root has $absent"; exit 1; fi
done
if ls "$root"/usr/lib/*/libopenblas* "$root"/usr/lib/*/libblas* >/dev/null 2>&1; then echo "the clean root has a BLAS"; exit 1; fi

mkdir -p "$root/wheels" "$root/src/python"
cp "$wheel" "$wheels"/*.whl "$root/wheels/"
cp -r python/tests "$root/src/python/" && cp -r examples "$root/src/"
in_root chroot "$root" /usr/bin/python3 -m venv /venv
in_root chroot "$root" /venv/bin/pip install -q --no-index --find-links /wheels vidtemporal numpy pytest
echo "clean root: $(in_root chroot "$root" /venv/bin/python -c 'import vidtemporal as vt; print("vidtemporal", vt.__version__, "kernels", vt.cpu_dispatch())')"

for cpu in auto baseline; do
    echo "clean root: the numpy-level tests, VT_CPU=$cpu"
    in_root VT_CPU=$cpu chroot "$root" /bin/sh -c "cd /tmp && /venv/bin/python -m pytest -q -p no:cacheprovider --rootdir=/src /src/python/tests"
done

# The C example, built here against the wheel's header and library, run there with each build.
unpacked=.build/clean-root-wheel
rm -rf "$unpacked" && python3 -m zipfile -e "$wheel" "$unpacked"
site=$(in_root chroot "$root" /venv/bin/python -m vidtemporal --lib-dir)
cc -std=c11 -Wall -Wextra -Werror examples/c/stream_tsm.c -o "$root/stream_tsm" -I"$unpacked/vidtemporal/include" \
    -L"$unpacked/vidtemporal" -lvidtemporal -Wl,-rpath,"$site"
in_root chroot "$root" /stream_tsm > /dev/null
in_root VT_CPU=baseline chroot "$root" /stream_tsm > /dev/null
echo "clean root: the numpy-level tests and the C example (both kernel builds) pass"
