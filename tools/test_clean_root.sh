#!/usr/bin/env bash
# The portable wheel installed where nothing of the build is: a minimal Debian root
# (debootstrap --variant=minbase: no OpenBLAS, no Swift, no compiler) with a Python. The wheel, a
# numpy wheel and pytest's wheels are copied in and installed with pip --no-index; then the
# numpy-level test suite runs there (torch tests skip: no torch), and the C streaming example,
# built on this host against the header inside the wheel (by zig cc for glibc 2.28, as a C user on
# that system would build it), runs there, with each kernel build.
#
#   tools/test_clean_root.sh dist/vidtemporal-*.whl [SUITE]
#
# SUITE: bookworm (Debian 12, glibc 2.36: Debian's python3 3.11; the default) or bullseye (Debian
# 11, glibc 2.31, the oldest release the mirror still serves). Bullseye's python3 (3.9) is older
# than the wheel's floor (3.10), so the root gets a CPython 3.11 built from Debian's own source
# (bookworm's python3.11) in a separate bullseye root with a compiler, as a cluster's module
# system or conda would provide one.
#
# The bare roots, the built CPython and the downloaded wheels are cached in $VT_CLEAN_ROOT_CACHE
# (default /var/cache/vidtemporal); each run works on a fresh copy of the root.
set -euo pipefail
cd "$(dirname "$0")/.."
wheel=$(readlink -f "$1")
suite=${2:-bookworm}
cache=${VT_CLEAN_ROOT_CACHE:-/var/cache/vidtemporal}
root=$PWD/.build/clean-root-$suite
PYTHON=${PYTHON:-python3}
mirror=http://deb.debian.org/debian

# A clean environment in the root as well: only what each command is given.
in_root() { env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }

# $(bare_root name packages...): a cached minbase root of $suite with the packages, made once.
bare_root() {
    local dir=$cache/$suite-$1; shift
    if [ ! -e "$dir/.complete" ]; then
        command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap > /dev/null; }
        rm -rf "$dir.partial" && mkdir -p "$cache"
        echo "debootstrap $suite (minbase, $*) into $dir" >&2
        debootstrap --variant=minbase --include="$(IFS=,; echo "$*")" "$suite" "$dir.partial" $mirror \
            > "$dir.log" 2>&1 || { tail -20 "$dir.log" >&2; exit 1; }
        rm -rf "$dir.partial"/var/cache/apt/archives/*.deb
        touch "$dir.partial/.complete" && mv "$dir.partial" "$dir"
    fi
    echo "$dir"
}

case $suite in
bookworm)
    bare=$(bare_root python3 python3 python3-venv)
    python=/usr/bin/python3
    ;;
bullseye)
    # Runtime libraries of the CPython built below (zlib is in minbase).
    bare=$(bare_root runtime libffi7 libssl1.1 ca-certificates)
    python=/opt/python3.11/bin/python3.11
    cpython=$cache/bullseye-cpython3.11
    if [ ! -e "$cpython/.complete" ]; then
        # Debian bookworm's python3.11 source (3.11.2), built in a bullseye root with a compiler.
        source=$cache/python3.11_3.11.2.orig.tar.gz
        if [ ! -e "$source" ]; then
            curl -fsSL -o "$source.partial" $mirror/pool/main/p/python3.11/python3.11_3.11.2.orig.tar.gz
            echo "2411c74bda5bbcfcddaf4531f66d1adc73f247f529aee981b029513aefdbf849  $source.partial" | sha256sum -c --quiet
            mv "$source.partial" "$source"
        fi
        build=$(bare_root build build-essential zlib1g-dev libffi-dev libssl-dev)
        work=$PWD/.build/cpython-build-root
        rm -rf "$work" && cp -a "$build" "$work"
        mkdir -p "$work/src" && tar -xzf "$source" -C "$work/src" --strip-components=1
        echo "building CPython 3.11.2 in a bullseye root (a few minutes, once)"
        in_root chroot "$work" /bin/sh -c "cd /src && ./configure -q --prefix=/opt/python3.11 --without-ensurepip \
            > /dev/null && make -s -j$(nproc) > /build.log 2>&1 && make -s install >> /build.log 2>&1" \
            || { tail -30 "$work/build.log"; exit 1; }
        rm -rf "$cpython.partial" && mkdir -p "$cpython.partial" && cp -a "$work/opt/python3.11" "$cpython.partial/"
        touch "$cpython.partial/.complete" && mv "$cpython.partial" "$cpython" && rm -rf "$work"
    fi
    ;;
*)
    echo "$0: unknown suite $suite (bookworm or bullseye)"; exit 2
    ;;
esac

cleanup() { umount "$root/proc" 2>/dev/null || true; }
trap cleanup EXIT
cleanup
rm -rf "$root" && cp -a "$bare" "$root"
[ "$suite" = bullseye ] && mkdir -p "$root/opt" && cp -a "$cpython/python3.11" "$root/opt/"
mount -t proc proc "$root/proc"
echo "clean root $suite: glibc $(in_root chroot "$root" /usr/bin/ldd --version | head -1 | awk '{print $NF}'), $(in_root chroot "$root" $python --version)"

# Nothing of the build is there.
for absent in cc gcc swift; do
    if in_root chroot "$root" /bin/sh -c "command -v $absent" >/dev/null; then echo "the clean root has $absent"; exit 1; fi
done
if ls "$root"/usr/lib/*/libopenblas* "$root"/usr/lib/*/libblas* >/dev/null 2>&1; then echo "the clean root has a BLAS"; exit 1; fi

# The root's own Python decides which numpy wheel fits it.
python_version=$(in_root chroot "$root" $python -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
wheels=$cache/test-wheels-cp${python_version/./}
if [ ! -e "$wheels/.complete" ]; then
    rm -rf "$wheels" && mkdir -p "$wheels"
    python3 -m pip download -q --only-binary=:all: --python-version "$python_version" --platform manylinux_2_28_x86_64 \
        --platform manylinux_2_17_x86_64 -d "$wheels" numpy pytest pip
    touch "$wheels/.complete"
fi

mkdir -p "$root/wheels" "$root/src/python"
cp "$wheel" "$wheels"/*.whl "$root/wheels/"
cp -r python/tests "$root/src/python/" && cp -r examples "$root/src/"
if [ "$suite" = bullseye ]; then
    # This CPython has no ensurepip: the venv gets pip from the downloaded wheel.
    in_root chroot "$root" $python -m venv --without-pip /venv
    in_root chroot "$root" /bin/sh -c 'pip=$(ls /wheels/pip-*.whl) && /venv/bin/python "$pip/pip" install -q --no-index "$pip"'
else
    in_root chroot "$root" $python -m venv /venv
fi
in_root chroot "$root" /venv/bin/pip install -q --no-index --find-links /wheels vidtemporal numpy pytest
echo "clean root $suite: $(in_root chroot "$root" /venv/bin/python -c 'import vidtemporal as vt; print("vidtemporal", vt.__version__, "kernels", vt.cpu_dispatch())')"

for cpu in auto baseline; do
    echo "clean root $suite: the numpy-level tests, VT_CPU=$cpu"
    in_root VT_CPU=$cpu chroot "$root" /bin/sh -c "cd /tmp && /venv/bin/python -m pytest -q -p no:cacheprovider --rootdir=/src /src/python/tests"
done

# The C example, built here against the wheel's header and library, run there with each build.
unpacked=.build/clean-root-wheel
rm -rf "$unpacked" && python3 -m zipfile -e "$wheel" "$unpacked"
site=$(in_root chroot "$root" /venv/bin/python -m vidtemporal --lib-dir)
"$PYTHON" -m ziglang cc -target x86_64-linux-gnu.2.28 -std=c11 -Wall -Wextra -Werror examples/c/stream_tsm.c \
    -o "$root/stream_tsm" -I"$unpacked/vidtemporal/include" -L"$unpacked/vidtemporal" -lvidtemporal -Wl,-rpath,"$site"
in_root chroot "$root" /stream_tsm > /dev/null
in_root VT_CPU=baseline chroot "$root" /stream_tsm > /dev/null
echo "clean root $suite: the numpy-level tests and the C example (both kernel builds) pass"
