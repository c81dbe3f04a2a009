# vidtemporal: `make test` and `make demo` work on a fresh machine (Swift 6.3, Python 3.11, root
# with apt-get and pip): they install what is missing, build, and run.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PREFIX ?= /usr/local
VERSION := $(shell sed -n 's/^\#define VT_VERSION "\(.*\)"/\1/p' include/vidtemporal.h)
STAGE := $(CURDIR)/.build/stage
WHEEL := .build/wheel/vidtemporal-$(VERSION)-*.whl

.PHONY: all deps venv lib generate check-generated wheel python install test test-swift test-python test-c example-c fuzz-c fuzz test-asan test-numpy-only demo bench clean

all: lib

# Debian packages the build needs: OpenBLAS (GEMM kernels), the DLPack header (the ABI's tensor
# type), pkg-config, a C compiler and binutils (extension, C tests, export check), Python headers
# and venv (Debian's python3).
deps:
	@missing=""; \
	dpkg -s libopenblas-dev >/dev/null 2>&1 || missing="$$missing libopenblas-dev"; \
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

lib: deps
	tools/build_library.sh >/dev/null

# The wheel is what `pip install .` would install; building it once serves both test venvs.
wheel: venv
	rm -rf .build/wheel build
	$(VENV)/bin/pip wheel -q --no-build-isolation --no-deps -w .build/wheel .

python: wheel
	$(VENV)/bin/pip install -q --no-deps --force-reinstall $(WHEEL)

install: lib
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include
	install -m 755 "$$(tools/build_library.sh)" $(DESTDIR)$(PREFIX)/lib/libvidtemporal.so
	install -m 644 include/vidtemporal.h $(DESTDIR)$(PREFIX)/include/vidtemporal.h
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$${prefix}/lib|' -e 's|@RPATH@||' -e 's|@VERSION@|$(VERSION)|' vidtemporal.pc.in \
	  > $(DESTDIR)$(PREFIX)/lib/pkgconfig/vidtemporal.pc

test: check-generated test-swift test-c fuzz-c test-python test-numpy-only

# The per-op glue (Swift thunks, CPython entry points) written from the op table.
generate:
	$(PYTHON) tools/generate_glue.py

check-generated:
	$(PYTHON) tools/generate_glue.py --check

test-swift: deps
	swift test

# The C user's view: install into a staging prefix, build the C test through pkg-config.
test-c: deps
	$(MAKE) --no-print-directory install PREFIX=$(STAGE)
	tools/check_exports.sh $(STAGE)/lib/libvidtemporal.so
	@for test in Tests/c/test_*.c; do \
	  bin=.build/$$(basename $$test .c); \
	  echo "cc $$test"; \
	  cc -std=c11 -Wall -Wextra -Werror $$test -o $$bin \
	    $$(PKG_CONFIG_PATH=$(STAGE)/lib/pkgconfig pkg-config --cflags --libs vidtemporal) -Wl,-rpath,$(STAGE)/lib -lm \
	    && $$bin || exit 1; \
	done
	$(MAKE) --no-print-directory example-c

# The C fuzz test (Tests/fuzz/fuzz_abi.c): every function of the ABI with valid, extreme and
# malformed arguments. make test runs a fixed seed and count (about a minute); `make fuzz` ten
# times as many with a new seed (FUZZ_CALLS, FUZZ_SEED choose).
FUZZ_CALLS ?= 200000
FUZZ_SEED ?= 1
fuzz-c:
	$(MAKE) --no-print-directory install PREFIX=$(STAGE)
	cc -std=c11 -O1 -g -Wall -Wextra -Werror Tests/fuzz/fuzz_abi.c -o .build/fuzz_abi \
	  $$(PKG_CONFIG_PATH=$(STAGE)/lib/pkgconfig pkg-config --cflags --libs vidtemporal) -Wl,-rpath,$(STAGE)/lib -lm
	.build/fuzz_abi --seed $(FUZZ_SEED) --calls $(FUZZ_CALLS)

fuzz:
	$(MAKE) --no-print-directory fuzz-c FUZZ_CALLS=2000000 FUZZ_SEED=$$(date +%s)

# AddressSanitizer: the library instrumented, and the C tests and the fuzz test run against it
# (built with the Swift toolchain's clang, whose sanitizer runtime matches). .ci/run runs it.
ASAN_CC := $(shell dirname "$$(readlink -f "$$(command -v swift)")")/clang
test-asan: deps
	@lib="$$(tools/build_library.sh --asan)" && mkdir -p .build/asan-bin && \
	for test in Tests/c/test_*.c Tests/fuzz/fuzz_abi.c; do \
	  bin=.build/asan-bin/$$(basename $$test .c); \
	  echo "asan $$test"; \
	  $(ASAN_CC) -fuse-ld=lld -fsanitize=address -fno-omit-frame-pointer -std=c11 -g -O1 -Wall -Wextra -Werror \
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

# A fresh venv with only numpy (and pytest): the package imports and its numpy tests pass, and the
# installed library needs no Swift toolchain.
test-numpy-only: wheel
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

clean:
	rm -rf .build build *.egg-info python/*.egg-info
