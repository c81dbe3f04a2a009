# vidtemporal: `make test` and `make demo` work on a fresh machine (Swift 6.3, Python 3.10 or newer,
# root with apt-get and pip): they install what is missing, build, and run.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PREFIX ?= /usr/local
VERSION := $(shell sed -n 's/^\#define VT_VERSION "\(.*\)"/\1/p' include/vidtemporal.h)
STAGE := $(CURDIR)/.build/stage
WHEEL := .build/wheel/vidtemporal-$(VERSION)-*.whl

.PHONY: all deps venv lib generate check-generated dev-wheel wheel test-builds test-qemu test-clean-root test-torch test-torch-floor test-cpython python install test test-swift test-python test-c example-c fuzz-c fuzz test-asan test-numpy-only demo bench clean

all: lib

# Debian packages the build needs: the DLPack header (the ABI's tensor type), pkg-config, a C
# compiler and binutils (extension, C tests, export check), Python headers and venv (Debian's
# python3). The BLAS and the linker for old glibc come from PyPI, into the venv.
deps:
	@missing=""; \
	dpkg -s libdlpack-dev >/dev/null 2>&1 || missing="$$missing libdlpack-dev"; \
	command -v pkg-config >/dev/null || missing="$$missing pkg-config"; \
	command -v cc >/dev/null || missing="$$missing gcc"; \
	command -v readelf >/dev/null || missing="$$missing binutils"; \
	$(PYTHON) -c 'import sysconfig, os, sys; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' \
	  || missing="$$missing python3-dev"; \
	$(PYTHON) -c 'import ensurepip' 2>/dev/null || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then echo "installing:$$missing"; apt-get update -qq && apt-get install -y -qq $$missing; fi

venv: deps $(VENV)/.installed

$(VENV)/.installed: python/requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip setuptools wheel
	$(VENV)/bin/pip install -q -r python/requirements-dev.txt
	touch $@

# The library's build takes zig and the BLAS from the venv's packages.
BUILD_LIBRARY := PYTHON=$(CURDIR)/$(PY) tools/build_library.sh

lib: venv
	$(BUILD_LIBRARY) >/dev/null

# The wheel is what `pip install .` would install; building it once serves both test venvs.
dev-wheel: venv
	rm -rf .build/wheel build
	$(VENV)/bin/pip wheel -q --no-build-isolation --no-deps -w .build/wheel .

# The portable wheel in dist/: the dev wheel under the lowest manylinux tag its symbols allow
# (auditwheel), checked: every ELF file loads on manylinux_2_28, the extension is abi3.
wheel: dev-wheel
	rm -rf dist
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/auditwheel repair -w dist $(WHEEL)
	$(VENV)/bin/auditwheel show dist/*.whl
	$(PY) tools/check_wheel.py dist/*.whl
	$(VENV)/bin/abi3audit --strict --summary dist/*.whl

python: dev-wheel
	$(VENV)/bin/pip install -q --no-deps --force-reinstall $(WHEEL)

# The loader, the kernel builds and the BLAS they link (libscipy_openblas.so), side by side.
install: lib
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include
	lib="$$($(BUILD_LIBRARY))" && install -m 755 "$$(dirname "$$lib")"/*.so $(DESTDIR)$(PREFIX)/lib/
	install -m 644 include/vidtemporal.h $(DESTDIR)$(PREFIX)/include/vidtemporal.h
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$${prefix}/lib|' -e 's|@RPATH@||' -e 's|@VERSION@|$(VERSION)|' vidtemporal.pc.in \
	  > $(DESTDIR)$(PREFIX)/lib/pkgconfig/vidtemporal.pc

test: check-generated test-swift test-c fuzz-c test-python test-numpy-only test-builds test-qemu test-clean-root \
	test-cpython test-torch-floor

# The per-op glue (Swift thunks, CPython entry points) written from the op table.
generate:
	$(PYTHON) tools/generate_glue.py

check-generated:
	$(PYTHON) tools/generate_glue.py --check

test-swift: venv
	swift test $$(PYTHON=$(PY) tools/swift_blas_flags.sh --rpath)

# The C user's view: install into a staging prefix, build the C tests through pkg-config.
C_LINK = $$(PKG_CONFIG_PATH=$(STAGE)/lib/pkgconfig pkg-config --cflags --libs vidtemporal) -Wl,-rpath,$(STAGE)/lib -lm
# $(call run_c_tests,extra cc flags,command each test runs under,binary prefix)
define run_c_tests
	@for test in Tests/c/test_*.c; do \
	  bin=.build/$(3)$$(basename $$test .c); \
	  echo "cc $$test $(2)"; \
	  cc -std=c11 -Wall -Wextra -Werror $(1) $$test -o $$bin $(C_LINK) && $(2) $$bin || exit 1; \
	done
endef

test-c: venv
	$(MAKE) --no-print-directory install PREFIX=$(STAGE)
	@for so in $(STAGE)/lib/libvidtemporal*.so; do tools/check_exports.sh $$so || exit 1; done
	$(call run_c_tests,,,)
	$(MAKE) --no-print-directory example-c

# The C tests under qemu-x86_64 as two older CPUs, each with a build that must not run there as a
# negative control: -cpu Nehalem (no AVX, no FMA: the loader picks the baseline, and the
# x86-64-v3 build linked directly dies of SIGILL), with a shorter fuzz run, and -cpu Haswell
# (AVX2, no AVX-512: the loader picks x86-64-v3, the x86-64-v4 build dies of SIGILL). qemu 7.2
# faults the instructions a model lacks.
# Each program gets 10 minutes (the longest takes about one): a hang inside qemu fails the target.
QEMU := timeout 600 qemu-x86_64 -cpu Nehalem
# (Without the features TCG cannot emulate, so that qemu does not warn about each.)
QEMU_AVX2 := timeout 600 qemu-x86_64 -cpu Haswell,-pcid,-x2apic,-tsc-deadline,-hle,-invpcid,-rtm
# $(call sigill,qemu command,build): a test linked to that build directly must die of SIGILL there.
define sigill
	cc -std=c11 -Wall -Wextra -Werror Tests/c/test_temporal_shift.c -o .build/qemu-$(2)-direct -Iinclude \
	  -L$(STAGE)/lib -l:libvidtemporal-$(2).so -Wl,-rpath,$(STAGE)/lib -lm
	@$(1) .build/qemu-$(2)-direct >/dev/null 2>&1; status=$$?; \
	if [ $$status -ne 132 ]; then echo "the $(2) build under $(1) exited $$status, not SIGILL (132)"; exit 1; fi; \
	echo "the $(2) build under $(1): SIGILL, as it must"
endef
test-qemu: venv
	@command -v qemu-x86_64 >/dev/null || { apt-get update -qq && apt-get install -y -qq qemu-user; }
	$(MAKE) --no-print-directory install PREFIX=$(STAGE)
	$(call run_c_tests,-DVT_TEST_UNDER_QEMU,$(QEMU),qemu-)
	cc -std=c11 -O1 -Wall -Wextra -Werror Tests/fuzz/fuzz_abi.c -o .build/qemu-fuzz_abi $(C_LINK)
	$(QEMU) .build/qemu-fuzz_abi --seed $(FUZZ_SEED) --calls 20000
	$(call sigill,$(QEMU),x86-64-v3)
	$(call run_c_tests,-DVT_TEST_UNDER_QEMU,$(QEMU_AVX2),qemu-avx2-)
	$(call sigill,$(QEMU_AVX2),x86-64-v4)

# The C fuzz test (Tests/fuzz/fuzz_abi.c): every function of the ABI with valid, extreme and
# malformed arguments. make test runs a fixed seed and count (about a minute); `make fuzz` ten
# times as many with a new seed (FUZZ_CALLS, FUZZ_SEED choose).
FUZZ_CALLS ?= 200000
FUZZ_SEED ?= 1
fuzz-c: venv
	$(MAKE) --no-print-directory install PREFIX=$(STAGE)
	cc -std=c11 -O1 -g -Wall -Wextra -Werror Tests/fuzz/fuzz_abi.c -o .build/fuzz_abi $(C_LINK)
	.build/fuzz_abi --seed $(FUZZ_SEED) --calls $(FUZZ_CALLS)

fuzz:
	$(MAKE) --no-print-directory fuzz-c FUZZ_CALLS=2000000 FUZZ_SEED=$$(date +%s)

# AddressSanitizer: the library instrumented, and the C tests and the fuzz test run against it
# (built with the Swift toolchain's clang, whose sanitizer runtime matches). .ci/run runs it.
ASAN_CC := $(shell dirname "$$(readlink -f "$$(command -v swift)")")/clang
test-asan: venv
	@lib="$$($(BUILD_LIBRARY) --asan)" && mkdir -p .build/asan-bin && \
	for test in Tests/c/test_*.c Tests/fuzz/fuzz_abi.c; do \
	  bin=.build/asan-bin/$$(basename $$test .c); \
	  echo "asan $$test"; \
	  $(ASAN_CC) -fuse-ld=lld -fsanitize=address -fno-omit-frame-pointer -std=c11 -g -O1 -Wall -Wextra -Werror -DVT_TEST_NO_LOADER \
	    $$test -o $$bin -Iinclude -L"$$(dirname $$lib)" -lvidtemporal -Wl,-rpath,"$$(dirname $$lib)" -lm || exit 1; \
	  if [ $$bin = .build/asan-bin/fuzz_abi ]; then args="--seed $(FUZZ_SEED) --calls $(FUZZ_CALLS)"; else args=; fi; \
	  ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 $$bin $$args || exit 1; \
	done

# The C streaming example, built the way its header comment says (against the staged install).
example-c:
	$(MAKE) --no-print-directory install PREFIX=$(STAGE)
	cc -std=c11 -Wall -Wextra -Werror examples/c/stream_tsm.c -o .build/stream_tsm \
	  $$(PKG_CONFIG_PATH=$(STAGE)/lib/pkgconfig pkg-config --cflags --libs vidtemporal) -Wl,-rpath,$(STAGE)/lib
	.build/stream_tsm

# Run from outside the repo so `import vidtemporal` is the installed package.
test-python: python
	cd /tmp && $(CURDIR)/$(PY) -m pytest -q -p no:cacheprovider --rootdir=$(CURDIR) $(CURDIR)/python/tests

# The Python suite again with each kernel build below the one this CPU runs forced (what CPUs
# without AVX-512, or without AVX2, run), but for the demo's training run (about 3 minutes): it
# checks accuracy margins, and every op it calls has its own tests here.
test-builds: python
	@builds=$$($(PY) -c 'import vidtemporal as vt; b = ["x86-64", "x86-64-v3", "x86-64-v4"]; print(*b[:b.index(vt.cpu_dispatch())])'); \
	for build in $$builds; do \
	  echo "the Python suite with VT_CPU=$$build"; \
	  (cd /tmp && VT_CPU=$$build $(CURDIR)/$(PY) -m pytest -q -p no:cacheprovider --rootdir=$(CURDIR) \
	    --ignore=$(CURDIR)/python/tests/test_demo.py $(CURDIR)/python/tests) || exit 1; \
	done

# The portable wheel installed in minimal Debian roots with nothing of the build in them: Debian 12
# and Debian 11 (glibc 2.31).
test-clean-root: wheel
	PYTHON=$(PY) tools/test_clean_root.sh dist/vidtemporal-$(VERSION)-*.whl bookworm
	PYTHON=$(PY) tools/test_clean_root.sh dist/vidtemporal-$(VERSION)-*.whl bullseye

# The abi3 wheel in every CPython 3.10+ pyenv has here: the numpy-level suite.
test-cpython: wheel
	tools/test_cpython_versions.sh dist/vidtemporal-$(VERSION)-*.whl

# The wheel against the torch versions of the README's table: the floor, the first that exports
# ONNX, one between and the newest on the index (the dev venv's torch runs test-python). Each
# version's venv is cached in /var/cache/vidtemporal/torch; a first run fetches about 4 GB per
# version (CUDA builds), about 20 minutes in all. make test runs the floor only (test-torch-floor).
TORCH_VERSIONS ?= 2.4.1 2.8.0 2.11.0 2.15.0
TORCH_FLOOR := $(firstword $(TORCH_VERSIONS))
test-torch: wheel
	PYTHON=$(PYTHON) tools/test_torch_versions.sh dist/vidtemporal-$(VERSION)-*.whl $(TORCH_VERSIONS)

test-torch-floor: wheel
	PYTHON=$(PYTHON) tools/test_torch_versions.sh dist/vidtemporal-$(VERSION)-*.whl $(TORCH_FLOOR)

# A fresh venv with only numpy (and pytest): the package imports and its numpy tests pass, and the
# installed library needs no Swift toolchain.
test-numpy-only: dev-wheel
	rm -rf .build/venv-numpy
	$(PYTHON) -m venv .build/venv-numpy
	.build/venv-numpy/bin/pip install -q numpy pytest $(WHEEL)
	@so=$$(.build/venv-numpy/bin/python -c 'import os, vidtemporal; print(os.path.join(os.path.dirname(vidtemporal.__file__), "libvidtemporal.so"))'); \
	if ldd $$so | grep -E 'swift|not found'; then echo "$$so needs the Swift toolchain"; exit 1; fi; \
	echo "ldd: $$so needs only system libraries"
	cd /tmp && $(CURDIR)/.build/venv-numpy/bin/python -m pytest -q -p no:cacheprovider --rootdir=$(CURDIR) $(CURDIR)/python/tests

demo: python
	$(PY) examples/demo/demo.py --output results

bench: python
	$(PY) benchmarks/bench.py
	$(PY) benchmarks/sweep.py
	$(PY) benchmarks/model_step.py
	$(PY) benchmarks/deploy.py

clean:
	rm -rf .build build dist *.egg-info python/*.egg-info
